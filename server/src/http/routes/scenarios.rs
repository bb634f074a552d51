//! What-if scenario routes: create, read and delete.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::error::{path_error, ApiError, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::coverage::{ScenarioRequest, ScenarioSummary};
use crate::service::SharedState;

/// Stores a scenario: facilities to add, move or close (never applied to the base data).
#[utoipa::path(post, path = "/api/v1/scenarios", tag = "coverage",
    request_body = ScenarioRequest,
    responses((status = 201, description = "The stored scenario; Location names it", body = ScenarioSummary),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody), ErrorResponses))]
pub async fn create(State(s): State<SharedState>, body: Body) -> Result<Response, ApiError> {
    let request: ScenarioRequest = render::json_body(body).await?;
    let summary = s.coverage.create_scenario(request).await?;
    let mut resp = render::json(&summary)?;
    *resp.status_mut() = StatusCode::CREATED;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/scenarios/{}", summary.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// A stored scenario.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "coverage",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 200, description = "The scenario", body = ScenarioSummary), ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    Params::parse(raw.as_deref())?.only(&[])?;
    let sc = s.coverage.scenario(&id)?;
    render::json(&sc.summary(s.data.read().data.data()))
}

/// Deletes a scenario.
#[utoipa::path(delete, path = "/api/v1/scenarios/{id}", tag = "coverage",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 204, description = "Deleted"), ErrorResponses))]
pub async fn delete(
    State(s): State<SharedState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    if s.coverage.delete_scenario(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(crate::service::ServiceError::NotFound(format!("no scenario {id:?}")).into())
    }
}
