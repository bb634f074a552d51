//! What-if scenario routes: create, read and delete.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::coverage::{ScenarioRequest, ScenarioSummary};
use crate::service::{ServiceError, SharedState};
use civmap_data::accounts::Role;

/// Stores a scenario of the caller's: facilities to add, move or close (never applied to
/// the base data). Planners; audited.
#[utoipa::path(post, path = "/api/v1/scenarios", security(("bearer" = [])), tag = "coverage",
    request_body = ScenarioRequest,
    responses((status = 201, description = "The stored scenario; Location names it", body = ScenarioSummary),
        (status = 409, description = "The planner's scenario quota is full", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn create(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let owner = caller.require(Role::Planner)?.name().to_owned();
    let request: ScenarioRequest = render::json_body(body).await?;
    // the scenario and its audit row (target and body filled in by the store) commit together
    let record = caller.record("scenario.create", "scenario");
    let summary = s.coverage.create_scenario(request, &owner, record).await?;
    let mut resp = render::json(&summary)?;
    *resp.status_mut() = StatusCode::CREATED;
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/scenarios/{}", summary.id)) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// A stored scenario of the caller's (another planner's is a 404).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", security(("bearer" = [])), tag = "coverage",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 200, description = "The scenario", body = ScenarioSummary), AuthResponses, ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let owner = caller.require(Role::Planner)?;
    let Path(id) = path.map_err(path_error)?;
    Params::parse(raw.as_deref())?.only(&[])?;
    let sc = s.coverage.scenario(&id, owner.name()).await?;
    render::json(&sc.summary(s.data.read().data.data()))
}

/// Deletes a scenario of the caller's; audited.
#[utoipa::path(delete, path = "/api/v1/scenarios/{id}", security(("bearer" = [])), tag = "coverage",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 204, description = "Deleted"), AuthResponses, ErrorResponses))]
pub async fn delete(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let owner = caller.require(Role::Planner)?.name().to_owned();
    let Path(id) = path.map_err(path_error)?;
    // the deletion and its audit row (`before` = the stored scenario) commit together
    let record = caller.record("scenario.delete", format!("scenario:{}", id.trim()));
    if !s
        .coverage
        .delete_scenario(id.trim(), &owner, record)
        .await?
    {
        return Err(ServiceError::NotFound(format!("no scenario {id:?} of yours")).into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
