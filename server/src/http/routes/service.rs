//! Service routes: health, layers and categories.

use axum::extract::{RawQuery, State};
use axum::response::Response;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::catalog::{CategoryInfo, EngineStatus, Health, HealthStatus, LayerInfo};
use crate::service::SharedState;

/// Whether the server answers, from what store, with how many records.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "Status, store and counts", body = Health), ErrorResponses))]
pub async fn health(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    render::json(&s.data.health(s.coverage.ready()))
}

/// The data layers with their record counts.
#[utoipa::path(get, path = "/api/v1/layers", tag = "service",
    responses((status = 200, description = "Layers", body = Vec<LayerInfo>), ErrorResponses))]
pub async fn layers(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    render::json(&s.data.layers())
}

/// The facility categories with their counts.
#[utoipa::path(get, path = "/api/v1/categories", tag = "service",
    responses((status = 200, description = "Categories", body = Vec<CategoryInfo>), ErrorResponses))]
pub async fn categories(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    render::json(&s.data.categories())
}

/// Liveness: 200 while the process runs (no check of data or store).
#[utoipa::path(get, path = "/livez", tag = "service",
    responses((status = 200, description = "The process runs", body = String, content_type = "text/plain")))]
pub async fn livez() -> &'static str {
    "ok"
}

/// Readiness: 200 when it answers with current data; 503 with the health body when the
/// store is lost or the coverage engine is (re)building.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready: store lost or engine building", body = Health), ErrorResponses))]
pub async fn readyz(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    let health = s.data.health(s.coverage.ready());
    let ready = health.status == HealthStatus::Ok && health.coverage_engine == EngineStatus::Ready;
    let mut resp = render::json(&health)?;
    if !ready {
        *resp.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    }
    Ok(resp)
}
