//! The one error type of the service layer. Services know nothing of HTTP: each variant
//! says what went wrong in domain terms and names the input (`param`) that caused it, and
//! `http::error` maps the variants to status codes in one place.

use civmap_geo_core::coverage::CoverageError;
use civmap_geo_core::gazetteer::GazetteerError;
use civmap_geo_core::index::IndexError;

/// Why a service refused or failed a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// An input that cannot be understood (a malformed value, a missing field).
    #[error("{param}: {message}")]
    Invalid {
        /// The input's name (query parameter or body path, e.g. `add[0].lon`).
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// An input that is well formed but outside what the service accepts.
    #[error("{param}: {message}")]
    OutOfRange {
        /// The input's name.
        param: String,
        /// What is wrong with it.
        message: String,
    },
    /// The thing asked for does not exist (an admin code, a scenario id).
    #[error("{0}")]
    NotFound(String),
    /// The coverage engine for the current data is still being built.
    #[error("the coverage engine is still being built for the current data (waited {waited_s} s); retry in {retry_after_s} s")]
    WarmingUp {
        /// How long the request waited, seconds.
        waited_s: u64,
        /// When to retry, seconds.
        retry_after_s: u64,
    },
    /// No valid credentials: anonymous, or a token that is unknown, expired or whose user
    /// was removed.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but the role (or the surveyor's district) does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with what is stored (a name taken, a quota full).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts (failed logins); retry later.
    #[error("{message}")]
    TooManyRequests {
        /// What was refused.
        message: String,
        /// When to retry, seconds.
        retry_after_s: u64,
    },
    /// The accounts or audit store cannot be reached; nothing was changed.
    #[error("{0}")]
    StoreUnavailable(String),
    /// A failure inside the server (a panicked worker, a serialisation error). Logged,
    /// never shown to clients.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A malformed `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            param: param.into(),
            message: message.into(),
        }
    }

    /// An out-of-range `param`.
    pub fn out_of_range(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::OutOfRange {
            param: param.into(),
            message: message.into(),
        }
    }

    /// An internal failure.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Index errors are about the query's coordinates, box or radius; the variant says which.
impl From<IndexError> for ServiceError {
    fn from(e: IndexError) -> Self {
        let param = match &e {
            IndexError::InvertedBbox { .. } => "bbox",
            IndexError::BadRadius { .. } => "radius_m",
            IndexError::ZeroK => "k",
            _ => "lon",
        };
        Self::out_of_range(param, e.to_string())
    }
}

/// Gazetteer errors are about the query text (`q`) or the `kind` filter.
impl From<GazetteerError> for ServiceError {
    fn from(e: GazetteerError) -> Self {
        match &e {
            GazetteerError::UnknownKind(_) => Self::invalid("kind", e.to_string()),
            GazetteerError::NoSuchRecord { .. } => Self::internal(e),
            _ => Self::invalid("q", e.to_string()),
        }
    }
}

/// Coverage errors name their own input.
impl From<CoverageError> for ServiceError {
    fn from(e: CoverageError) -> Self {
        let param = match &e {
            CoverageError::BadMinutes { .. } => "minutes",
            CoverageError::BadSpeed { .. } => "profile",
            CoverageError::BadCellSize { .. } => "cell_m",
            CoverageError::CoordinateOutOfRange { param, .. } => param,
            CoverageError::UnknownSource { .. } => "scenario",
            CoverageError::UnknownArea { .. } => "area",
            CoverageError::EmptyNetwork => return Self::out_of_range("category", e.to_string()),
            _ => "query",
        };
        Self::out_of_range(param, e.to_string())
    }
}

/// Runs CPU-heavy work off the async runtime; a panic in it becomes [`ServiceError::Internal`].
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ServiceError::internal)?
}
