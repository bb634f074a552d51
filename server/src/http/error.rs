//! The one place where errors become HTTP: every [`ServiceError`] and every HTTP-level
//! refusal (a body too large, a method not allowed, an unknown route) is rendered as the
//! contract's body `{"error": {"code", "message", "param"?}}`. Internals are logged, never
//! sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

use crate::service::ServiceError;

/// The error of a route.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A service refused or failed the request.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A request body larger than the route accepts (413).
    #[error("request body larger than {limit_bytes} bytes")]
    TooLarge {
        /// The route's limit.
        limit_bytes: usize,
    },
    /// No route at this path (404).
    #[error("no route {0}")]
    NoRoute(String),
    /// The path exists but not with this method (405).
    #[error("method {method} is not allowed here; allowed: {allowed}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The methods the path takes.
        allowed: String,
    },
}

impl ApiError {
    /// A 400 for a malformed `param`.
    pub fn bad(param: &str, message: impl Into<String>) -> Self {
        ServiceError::invalid(param, message).into()
    }

    /// A 422 for an out-of-range `param`.
    pub fn range(param: &str, message: impl Into<String>) -> Self {
        ServiceError::out_of_range(param, message).into()
    }
}

/// The body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_parameter`, `out_of_range`, `not_found`, `method_not_allowed`,
    /// `payload_too_large`, `unauthenticated`, `forbidden`, `conflict`,
    /// `too_many_requests`, `warming_up`, `overloaded`, `store_unavailable` or `internal`.
    pub code: String,
    /// A sentence for people, naming the input at fault.
    pub message: String,
    /// The parameter or body field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// The answers of a route that needs a role (for the OpenAPI document).
#[derive(Debug, IntoResponses)]
#[allow(dead_code)] // describes responses; never constructed
pub enum AuthResponses {
    /// No valid token or session (with `WWW-Authenticate: Bearer`).
    #[response(status = 401, description = "No valid token or session")]
    Unauthenticated(ErrorBody),
    /// Signed in without the role this needs.
    #[response(status = 403, description = "The role does not allow this")]
    Forbidden(ErrorBody),
}

/// The error answers every route may give (for the OpenAPI document).
#[derive(Debug, IntoResponses)]
#[allow(dead_code)] // describes responses; never constructed
pub enum ErrorResponses {
    /// A malformed, unknown or repeated parameter.
    #[response(
        status = 400,
        description = "A malformed, unknown or repeated parameter"
    )]
    BadParameter(ErrorBody),
    /// No such record or route.
    #[response(status = 404, description = "No such record or route")]
    NotFound(ErrorBody),
    /// A value out of range.
    #[response(status = 422, description = "A value out of range")]
    OutOfRange(ErrorBody),
    /// The coverage engine is warming up, or the store is unavailable.
    #[response(
        status = 503,
        description = "Warming up (with Retry-After) or store unavailable"
    )]
    Unavailable(ErrorBody),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, param) = match &self {
            Self::Service(ServiceError::Invalid { param, .. }) => (
                StatusCode::BAD_REQUEST,
                "bad_parameter",
                Some(param.clone()),
            ),
            Self::Service(ServiceError::OutOfRange { param, .. }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "out_of_range",
                Some(param.clone()),
            ),
            Self::Service(ServiceError::NotFound(_)) | Self::NoRoute(_) => {
                (StatusCode::NOT_FOUND, "not_found", None)
            }
            Self::Service(ServiceError::WarmingUp { .. }) => {
                (StatusCode::SERVICE_UNAVAILABLE, "warming_up", None)
            }
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
            Self::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None)
            }
            Self::Service(ServiceError::Unauthenticated(_)) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", None)
            }
            Self::Service(ServiceError::Forbidden(_)) => (StatusCode::FORBIDDEN, "forbidden", None),
            Self::Service(ServiceError::Conflict(_)) => (StatusCode::CONFLICT, "conflict", None),
            Self::Service(ServiceError::TooManyRequests { .. }) => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", None)
            }
            Self::Service(ServiceError::StoreUnavailable(m)) => {
                tracing::error!("accounts store: {m}");
                (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", None)
            }
            Self::Service(ServiceError::Internal(m)) => {
                tracing::error!("internal error: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", None)
            }
        };
        let message = match &self {
            Self::Service(ServiceError::Invalid { message, .. })
            | Self::Service(ServiceError::OutOfRange { message, .. }) => {
                format!("{}: {message}", param.as_deref().unwrap_or(""))
            }
            Self::Service(ServiceError::Internal(_)) => "internal error".to_owned(),
            Self::Service(ServiceError::StoreUnavailable(_)) => {
                "the accounts store is unavailable; nothing was changed".to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                param,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        if let Self::Service(ServiceError::TooManyRequests { retry_after_s, .. }) = &self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
        }
        if let Self::Service(ServiceError::Unauthenticated(_)) = &self {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"civmap\""),
            );
        }
        if let Self::Service(ServiceError::WarmingUp { retry_after_s, .. }) = &self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
        }
        if let Self::MethodNotAllowed { allowed, .. } = &self {
            if let Ok(v) = HeaderValue::from_str(allowed) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
        }
        resp
    }
}

/// A path segment axum could not decode (e.g. invalid UTF-8 after percent-decoding): 400.
pub fn path_error(e: axum::extract::rejection::PathRejection) -> ApiError {
    ApiError::bad("path", e.body_text())
}
