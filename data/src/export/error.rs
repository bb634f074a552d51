use std::path::PathBuf;
use thiserror::Error;

/// Everything that can go wrong writing an export.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A file could not be written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite refused a statement while writing a GeoPackage.
    #[error("{path}: sqlite: {source}")]
    Sqlite {
        /// The GeoPackage.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A CRS that civmap does not export to.
    #[error("crs {crs:?}: {message}")]
    UnsupportedCrs {
        /// The CRS as given.
        crs: String,
        /// What is wrong, and what is accepted.
        message: String,
    },
    /// A format name that is not one of gpkg, shp, geojson, csv.
    #[error("format {format:?}: expected gpkg, shp, geojson or csv")]
    UnknownFormat {
        /// The format as given.
        format: String,
    },
    /// A table whose rows do not fit its declaration, or that a format cannot hold.
    #[error("table {table:?}: {at}: {message}")]
    BadTable {
        /// The table name.
        table: String,
        /// Where: `row 12`, `field "name"`, `table`.
        at: String,
        /// What is wrong.
        message: String,
    },
}

impl ExportError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad(table: &str, at: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadTable {
            table: table.to_owned(),
            at: at.into(),
            message: message.into(),
        }
    }
}
