//! Service routes: health, layers and categories.

use axum::extract::{RawQuery, State};
use axum::response::Response;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::catalog::{CategoryInfo, Health, LayerInfo};
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
