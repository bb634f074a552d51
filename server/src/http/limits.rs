//! What keeps the server standing: CPU-heavy requests beyond a bound are shed at once with
//! `503` and `Retry-After` (an unbounded queue would only turn overload into timeouts for
//! everyone), light reads are bounded by [`READ_BUDGET`], and a panic in a handler becomes
//! a `500` with the JSON error body while the process and every other request live on.
//! (The heavy answers carry their own, longer budgets inside the coverage service, where
//! running out also stops their CPU work: `service::coverage::budget`.)

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::BoxError;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;

use crate::http::error::{ErrorBody, ErrorDetail};

/// Seconds a shed client is asked to wait.
pub const SHED_RETRY_AFTER_S: u64 = 2;

/// Budget of a light public read (search, spatial queries, admin units, TileJSON). They
/// answer in milliseconds from memory; one that takes 10 s is stuck behind something (a
/// lock held by a reload), and a client is better told so than left hanging.
pub const READ_BUDGET: Duration = Duration::from_secs(10);

/// `router` with every request bounded by `budget`: past it the handler's future is
/// dropped and the client gets `503 timeout` with `Retry-After`.
pub fn read_budget<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    budget: Duration,
) -> axum::Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(move |e: BoxError| async move {
                timed_out(&e, budget)
            }))
            .timeout(budget),
    )
}

fn timed_out(e: &BoxError, budget: Duration) -> Response {
    if !e.is::<tower::timeout::error::Elapsed>() {
        tracing::error!("request failed in the timeout layer: {e}");
        return json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error".to_owned(),
        );
    }
    let mut resp = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        format!(
            "the request took longer than its budget of {} s; retry in {SHED_RETRY_AFTER_S} s",
            budget.as_secs_f64()
        ),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(SHED_RETRY_AFTER_S));
    resp
}

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
