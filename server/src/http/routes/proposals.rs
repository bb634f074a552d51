//! Change proposals (区划调整, issue 15): surveyors propose, planners and surveyors read the
//! impact, admins approve (with an effective date) or reject. Every write is audited.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use civmap_data::accounts::Role;
use civmap_geo_core::proposal::ProposalKind;
use civmap_geo_core::AdminCode;
use geo::{Coord, LineString};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::render;
use crate::service::proposal_shapes::{self, ProposalShapes};
use crate::service::proposals::{self, Approval, ProposalList, ProposalView};
use crate::service::SharedState;

/// A proposal. `kind` picks the fields that apply:
/// `transfer` — `community`, `to_township`; `merge` — `units`, `survivor`, optional `name`;
/// `split` — `unit`, `line` (a GeoJSON LineString or its coordinates, WGS84, crossing the
/// unit from outside to outside; the part on its left becomes the new unit), `new_name`;
/// `rename` — `unit`, `name`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// transfer: the community's 12-digit code.
    pub community: Option<String>,
    /// transfer: the township it moves to.
    pub to_township: Option<String>,
    /// merge: every unit merged (the survivor included).
    pub units: Option<Vec<String>>,
    /// merge: the unit that keeps its code.
    pub survivor: Option<String>,
    /// merge: a new name (optional); rename: the new name.
    pub name: Option<String>,
    /// split, rename: the unit.
    pub unit: Option<String>,
    /// split: the cut.
    #[schema(value_type = Object)]
    pub line: Option<serde_json::Value>,
    /// split: the new unit's name.
    pub new_name: Option<String>,
}

/// An approval.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The day the change takes effect, `YYYY-MM-DD`, today or later (China time).
    pub effective: String,
}

/// A rejection.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why.
    pub note: Option<String>,
}

fn required<T>(field: &str, v: Option<T>) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::bad(field, "is required for this kind"))
}

fn code(field: &str, v: Option<String>) -> Result<AdminCode, ApiError> {
    let s = required(field, v)?;
    AdminCode::parse(&s).map_err(|_| ApiError::bad(field, format!("{s:?} is not a 12-digit code")))
}

/// A GeoJSON LineString or its bare coordinates.
fn line(v: Option<serde_json::Value>) -> Result<LineString<f64>, ApiError> {
    let v = required("line", v)?;
    let coords = match &v {
        serde_json::Value::Object(o)
            if o.get("type").and_then(|t| t.as_str()) == Some("LineString") =>
        {
            o.get("coordinates").cloned().unwrap_or_default()
        }
        serde_json::Value::Array(_) => v.clone(),
        _ => {
            return Err(ApiError::bad(
                "line",
                "give a GeoJSON LineString or an array of [lon, lat]",
            ))
        }
    };
    let pts: Vec<[f64; 2]> = serde_json::from_value(coords)
        .map_err(|e| ApiError::bad("line", format!("coordinates must be [lon, lat] pairs: {e}")))?;
    if pts.len() < 2 {
        return Err(ApiError::bad("line", "needs at least two points"));
    }
    Ok(LineString::from(
        pts.into_iter()
            .map(|[x, y]| Coord { x, y })
            .collect::<Vec<_>>(),
    ))
}

fn kind_of(b: ProposalBody) -> Result<ProposalKind, ApiError> {
    Ok(match b.kind.as_str() {
        "transfer" => ProposalKind::Transfer {
            community: code("community", b.community)?,
            to_township: code("to_township", b.to_township)?,
        },
        "merge" => ProposalKind::Merge {
            units: required("units", b.units)?
                .into_iter()
                .map(|c| code("units", Some(c)))
                .collect::<Result<_, _>>()?,
            survivor: code("survivor", b.survivor)?,
            name: b.name,
        },
        "split" => ProposalKind::Split {
            unit: code("unit", b.unit)?,
            line: line(b.line)?,
            new_name: required("new_name", b.new_name)?,
        },
        "rename" => ProposalKind::Rename {
            unit: code("unit", b.unit)?,
            name: required("name", b.name)?,
        },
        other => {
            return Err(ApiError::bad(
                "kind",
                format!("{other:?} is not a kind: use transfer, merge, split or rename"),
            ))
        }
    })
}

fn id(path: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    Ok(id)
}

/// Staff who may read proposals: surveyors (and admins) and planners.
fn require_reader(caller: &Caller) -> Result<(), ApiError> {
    caller
        .require(Role::Surveyor)
        .or_else(|_| caller.require(Role::Planner))?;
    Ok(())
}

/// Proposes a change: applied to a branch, validated and measured; stored with its impact
/// report. Surveyors; audited.
#[utoipa::path(post, path = "/api/v1/proposals", security(("bearer" = [])), tag = "surveyors",
    request_body = ProposalBody,
    responses((status = 201, description = "The stored proposal with its validation and impact report", body = ProposalView),
        (status = 409, description = "The data changed while measuring; retry", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn create(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Surveyor)?;
    let b: ProposalBody = render::json_body(body).await?;
    let kind = kind_of(b)?;
    let record = caller.record("proposal.create", "proposal");
    let mut resp = render::json(&proposals::propose(&s, kind, record).await?)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// Every proposal, newest first (without impact reports). Surveyors and planners.
#[utoipa::path(get, path = "/api/v1/proposals", security(("bearer" = [])), tag = "surveyors",
    responses((status = 200, description = "The proposals", body = ProposalList), AuthResponses, ErrorResponses))]
pub async fn list(State(s): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    require_reader(&caller)?;
    render::json(&proposals::list(&s).await?)
}

/// One proposal with its impact report. Surveyors and planners.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", security(("bearer" = [])), tag = "surveyors",
    params(("id" = i64, Path, description = "proposal id")),
    responses((status = 200, description = "The proposal", body = ProposalView), AuthResponses, ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    require_reader(&caller)?;
    render::json(&proposals::get(&s, id(path)?).await?)
}

/// The proposal's units before (today's polygons) and after (as its branch writes them),
/// on today's data: the planner's before/after map. Surveyors and planners.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/shapes", security(("bearer" = [])), tag = "surveyors",
    params(("id" = i64, Path, description = "proposal id")),
    responses((status = 200, description = "The units before and after", body = ProposalShapes),
        (status = 409, description = "The proposal does not apply to today's data (approved, or overtaken by other edits)", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn shapes(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    require_reader(&caller)?;
    render::json(&proposal_shapes::shapes(&s, id(path)?).await?)
}

/// Approves a pending proposal with its effective date: a new dated version of the
/// division; the old names stay searchable as former names. Admins; atomic with its audit
/// row.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/approve", security(("bearer" = [])), tag = "surveyors",
    params(("id" = i64, Path, description = "proposal id")),
    request_body = ApproveBody,
    responses((status = 200, description = "Approved: the proposal and the dated change", body = Approval),
        (status = 409, description = "Already decided, or the proposal no longer applies or validates", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn approve(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<i64>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let id = id(path)?;
    let b: ApproveBody = render::json_body(body).await?;
    let record = caller.record("proposal.approve", format!("proposal:{id}"));
    render::json(&proposals::approve(&s, id, b.effective, record).await?)
}

/// Rejects a pending proposal. Admins; audited.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/reject", security(("bearer" = [])), tag = "surveyors",
    params(("id" = i64, Path, description = "proposal id")),
    request_body = RejectBody,
    responses((status = 200, description = "Rejected", body = ProposalView),
        (status = 409, description = "Already decided", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn reject(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<i64>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let id = id(path)?;
    let b: RejectBody = render::json_body(body).await?;
    let record = caller.record("proposal.reject", format!("proposal:{id}"));
    render::json(&proposals::reject(&s, id, b.note, record).await?)
}
