use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong getting data in or out.
///
/// Errors about input name the file, where in it (`line 12`, `feature 3`, `way 4711`) and
/// the field, so that a user can fix the input without guessing.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Input that is malformed or breaks a rule of the model.
    #[error("{file}: {at}{}: {message}", field.as_ref().map(|f| format!(": field {f:?}")).unwrap_or_default())]
    Invalid {
        /// File name (or `<embedded>/…` for built-in data).
        file: String,
        /// Where in the file: `line 12`, `feature 3`, `way 4711`, or `file`.
        at: String,
        /// The field or property at fault, if one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A data directory or snapshot that this version cannot read.
    #[error("{path}: {message}")]
    BadSnapshot {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A database did not answer in time: a statement ran past `statement_timeout`, waited
    /// past `lock_timeout`, a transaction idled past `idle_in_transaction_session_timeout`,
    /// the connection could not be opened within the connect timeout, or a call waited
    /// too long for the store's one connection (see `postgis::DbTimeouts`).
    #[error("{database}: {at}: timed out: {message}")]
    DbTimeout {
        /// The database URL, password redacted.
        database: String,
        /// What was being done (`load`, `read civmap.facilities "F1"`, `push: truncate`, …).
        at: String,
        /// Which limit ran out, and the server's words when it was the server's.
        message: String,
    },
    /// A CRS that cannot be used (unknown name, or an EPSG code without the `proj` feature).
    #[error("crs {crs:?}: {message}")]
    Crs {
        /// The CRS as given.
        crs: String,
        /// What is wrong.
        message: String,
    },
}

impl DataError {
    /// Shorthand for [`DataError::Invalid`].
    pub fn invalid(
        file: impl Into<String>,
        at: impl Into<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            file: file.into(),
            at: at.into(),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// Shorthand for [`DataError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
