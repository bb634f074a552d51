//! What keeps the server standing: CPU-heavy requests beyond a bound are shed at once with
//! `503` and `Retry-After` (an unbounded queue would only turn overload into timeouts for
//! everyone), and a panic in a handler becomes a `500` with the JSON error body while the
//! process and every other request live on.

use std::any::Any;
use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::BoxError;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;

use crate::http::error::{ErrorBody, ErrorDetail};

/// Seconds a shed client is asked to wait.
pub const SHED_RETRY_AFTER_S: u64 = 2;

/// `router` with at most `semaphore`'s permits of requests at once (the semaphore is shared
/// by every router given it); the rest are answered `503 overloaded` at once.
pub fn shed<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    semaphore: &Arc<tokio::sync::Semaphore>,
) -> axum::Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|e: BoxError| async move {
                overloaded(&e)
            }))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(
                semaphore.clone(),
            )),
    )
}

fn json_error(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message,
            param: None,
        },
    };
    (status, axum::Json(body)).into_response()
}

fn overloaded(e: &BoxError) -> Response {
    let (status, message) = if e.is::<tower::load_shed::error::Overloaded>() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("too many coverage computations at once; retry in {SHED_RETRY_AFTER_S} s"),
        )
    } else {
        tracing::error!("request failed in the limit layers: {e}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error".to_owned(),
        )
    };
    let mut resp = json_error(status, "overloaded", message);
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(SHED_RETRY_AFTER_S));
    resp
}

/// The answer to a panicked handler: logged with its message, `500` to the client.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!("a handler panicked: {what}");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error".to_owned(),
    )
}
