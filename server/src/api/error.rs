//! One error type for every route, rendered as the contract's JSON body
//! `{"error": {"code", "message", "param"?}}`. Internals are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error a route returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A parameter that cannot be parsed (400).
    #[error("{param}: {message}")]
    BadParameter {
        /// The parameter's name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// A parameter that parses but is out of range (422).
    #[error("{param}: {message}")]
    OutOfRange {
        /// The parameter's name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// Nothing at this route or with this id (404).
    #[error("{0}")]
    NotFound(String),
    /// A feature that a later version provides (501).
    #[allow(dead_code)] // every route is served now; kept for those a later version adds
    #[error("{0}")]
    NotImplemented(String),
    /// A request body larger than the route accepts (413).
    #[error("{0}")]
    TooLarge(String),
    /// The coverage engine is still being built for the current data (503, `Retry-After`).
    #[error("{message}")]
    WarmingUp {
        /// What is happening.
        message: String,
        /// Seconds after which to retry.
        retry_after_s: u64,
    },
    /// Something went wrong inside (500); the message is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 for `param`.
    pub fn bad(param: &str, message: impl Into<String>) -> Self {
        Self::BadParameter {
            param: param.into(),
            message: message.into(),
        }
    }

    /// A 422 for `param`.
    pub fn range(param: &str, message: impl Into<String>) -> Self {
        Self::OutOfRange {
            param: param.into(),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, param) = match &self {
            Self::BadParameter { param, .. } => (
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                Some(param.clone()),
            ),
            Self::OutOfRange { param, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "out_of_range",
                Some(param.clone()),
            ),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", None),
            Self::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, "not_implemented", None),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
            Self::WarmingUp { .. } => (StatusCode::SERVICE_UNAVAILABLE, "warming_up", None),
            Self::Internal(m) => {
                tracing::error!("internal error: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let mut err = json!({"code": code, "message": self.to_string()});
        if let Some(p) = param {
            err["param"] = json!(p);
        }
        let mut resp = (status, Json(json!({ "error": err }))).into_response();
        if let Self::WarmingUp { retry_after_s, .. } = &self {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_s),
            );
        }
        resp
    }
}
