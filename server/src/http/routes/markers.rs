//! The boundary-marker (界桩) register and validation exceptions (issue 14): public reads
//! without person-level data, surveyor writes (district-checked, audited, reversible).

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use civmap_data::accounts::Role;
use civmap_data::register::{MarkerChange, MarkerQuery, NewException, NewMarker};
use civmap_geo_core::survey::markers::{Inspection, MarkerKind, MarkerStatus};
use civmap_geo_core::survey::Rule;
use civmap_geo_core::AdminCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::survey_register::{
    ExceptionView, MarkerCollection, MarkerFeature, MarkerHistory, Viewer,
};
use crate::service::{ServiceError, SharedState};

/// A marker to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMarkerBody {
    /// Register number: 2–40 ASCII letters, digits or `-`, ending with the type code
    /// (e.g. `330106-330105-003A`).
    pub number: String,
    /// Boundary line id.
    pub line: String,
    /// CGCS2000 longitude, degrees (73–136).
    pub lon: f64,
    /// CGCS2000 latitude, degrees (3–54).
    pub lat: f64,
    /// Type code: `A`, `B`, `C`, `D`, `E` or `Q`.
    pub kind: String,
    /// `intact` (default), `damaged`, `moved`, `lost` or `obscured`.
    pub status: Option<String>,
}

/// An edit of a marker: give only what changes (a move gives both `lon` and `lat`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkerPatchBody {
    /// Another boundary line.
    pub line: Option<String>,
    /// New longitude.
    pub lon: Option<f64>,
    /// New latitude.
    pub lat: Option<f64>,
    /// Another type code (the number must end with it).
    pub kind: Option<String>,
    /// Another condition.
    pub status: Option<String>,
}

/// An inspection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionBody {
    /// Day of the inspection, `YYYY-MM-DD`, not in the future (China time).
    pub date: String,
    /// Who inspected (default: the caller).
    pub inspector: Option<String>,
    /// What they found.
    pub status: String,
    /// Measured offset from the registered position, metres (≥ 0).
    pub offset_m: Option<f64>,
    /// Remarks.
    pub note: Option<String>,
}

/// Which version to restore.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    /// A version number from `/history`.
    pub version: i64,
}

/// A validation exception to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExceptionBody {
    /// Rule id: `invalid_polygon`, `overlap`, `gap`, `sliver`, `child_outside_parent`,
    /// `children_do_not_cover_parent`, `marker_off_line`, `marker_out_of_sequence`.
    pub rule: String,
    /// The 12-digit codes of the finding (order free).
    #[serde(default)]
    pub codes: Vec<String>,
    /// The marker number (marker rules only).
    pub marker: Option<String>,
    /// Why it is accepted.
    pub why: String,
    /// Last day it applies, `YYYY-MM-DD`.
    pub expires: Option<String>,
}

fn kind(field: &str, s: &str) -> Result<MarkerKind, ApiError> {
    MarkerKind::parse(s).ok_or_else(|| {
        ApiError::bad(
            field,
            format!("{s:?} is not a type code (A, B, C, D, E, Q)"),
        )
    })
}

fn status(field: &str, s: &str) -> Result<MarkerStatus, ApiError> {
    MarkerStatus::parse(s).ok_or_else(|| {
        ApiError::bad(
            field,
            format!("{s:?} is not a status (intact, damaged, moved, lost, obscured)"),
        )
    })
}

fn number(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(n) = path.map_err(path_error)?;
    Ok(n)
}

fn created(answer: &impl serde::Serialize) -> Result<Response, ApiError> {
    let mut resp = render::geojson(answer)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// Boundary markers in the register, as points (public; inspector names and notes only
/// for signed-in surveyors and admins).
#[utoipa::path(get, path = "/api/v1/markers", tag = "surveyors",
    params(
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat"),
        ("line" = Option<String>, Query, description = "only markers on this boundary line"),
        ("status" = Option<String>, Query, description = "intact, damaged, moved, lost or obscured"),
    ),
    responses((status = 200, description = "Markers", body = MarkerCollection, content_type = "application/geo+json"), (status = 401, description = "A bad or expired bearer token (anonymous reads need none)", body = ErrorBody), ErrorResponses))]
pub async fn list(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&["bbox", "line", "status"])?;
    let q = MarkerQuery {
        bbox: p.bbox("bbox")?,
        line: p.get("line").map(str::to_owned),
        status: p.get("status").map(|v| status("status", v)).transpose()?,
    };
    let viewer = Viewer::of(caller.principal.as_ref());
    render::geojson(&s.register.markers(&q, viewer).await?)
}

/// One marker with its inspections (public; 404 once retired — see its history).
#[utoipa::path(get, path = "/api/v1/markers/{number}", tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    responses((status = 200, description = "The marker", body = MarkerFeature, content_type = "application/geo+json"), (status = 401, description = "A bad or expired bearer token (anonymous reads need none)", body = ErrorBody), ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let n = number(path)?;
    let viewer = Viewer::of(caller.principal.as_ref());
    render::geojson(&s.register.marker(&n, viewer).await?)
}

/// Every version a marker has had, oldest first (public; authors only for staff).
#[utoipa::path(get, path = "/api/v1/markers/{number}/history", tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    responses((status = 200, description = "The versions", body = MarkerHistory), (status = 401, description = "A bad or expired bearer token (anonymous reads need none)", body = ErrorBody), ErrorResponses))]
pub async fn history(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let n = number(path)?;
    let viewer = Viewer::of(caller.principal.as_ref());
    render::json(&s.register.history(&n, viewer).await?)
}

/// Registers a marker (surveyors; a district-limited surveyor only inside their district).
/// Audited as `marker.create`.
#[utoipa::path(post, path = "/api/v1/markers", security(("bearer" = [])), tag = "surveyors",
    request_body = NewMarkerBody,
    responses((status = 201, description = "Registered", body = MarkerFeature, content_type = "application/geo+json"),
        (status = 409, description = "The number is taken", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn create(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let b: NewMarkerBody = render::json_body(body).await?;
    let m = NewMarker {
        kind: kind("kind", &b.kind)?,
        status: match &b.status {
            Some(v) => status("status", v)?,
            None => MarkerStatus::Intact,
        },
        number: b.number,
        line: b.line,
        lon: b.lon,
        lat: b.lat,
    };
    let record = caller.record("marker.create", format!("marker:{}", m.number));
    created(&s.register.create(p, m, record).await?)
}

/// Edits a marker: a move, another line, kind or status (surveyors). Ends the current
/// version and starts the next; audited as `marker.update`.
#[utoipa::path(patch, path = "/api/v1/markers/{number}", security(("bearer" = [])), tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    request_body = MarkerPatchBody,
    responses((status = 200, description = "The marker as it is now", body = MarkerFeature, content_type = "application/geo+json"),
        (status = 409, description = "The marker is retired", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn update(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let n = number(path)?;
    let b: MarkerPatchBody = render::json_body(body).await?;
    let change = MarkerChange {
        line: b.line,
        lon: b.lon,
        lat: b.lat,
        kind: b.kind.as_deref().map(|v| kind("kind", v)).transpose()?,
        status: b
            .status
            .as_deref()
            .map(|v| status("status", v))
            .transpose()?,
    };
    let record = caller.record("marker.update", format!("marker:{n}"));
    render::geojson(&s.register.update(p, &n, change, record).await?)
}

/// Retires a marker (surveyors): it leaves the register, its history stays and `restore`
/// brings it back. Audited as `marker.retire`.
#[utoipa::path(delete, path = "/api/v1/markers/{number}", security(("bearer" = [])), tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    responses((status = 204, description = "Retired"), AuthResponses, ErrorResponses))]
pub async fn retire(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let n = number(path)?;
    let record = caller.record("marker.retire", format!("marker:{n}"));
    s.register.retire(p, &n, record).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Records an inspection (surveyors); the marker takes its status unless a later-dated
/// inspection is on file. Audited as `marker.inspect`.
#[utoipa::path(post, path = "/api/v1/markers/{number}/inspections", security(("bearer" = [])), tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    request_body = InspectionBody,
    responses((status = 201, description = "Recorded; the marker as it is now", body = MarkerFeature, content_type = "application/geo+json"),
        (status = 409, description = "The marker is retired", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn inspect(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let n = number(path)?;
    let b: InspectionBody = render::json_body(body).await?;
    let i = Inspection {
        status: status("status", &b.status)?,
        date: b.date,
        inspector: b.inspector.unwrap_or_else(|| p.name().to_owned()),
        offset_m: b.offset_m,
        note: b.note,
    };
    let record = caller.record("marker.inspect", format!("marker:{n}"));
    created(&s.register.inspect(p, &n, i, record).await?)
}

/// Restores a marker to an earlier version (surveyors): a new version equal to it; a
/// retired marker comes back. Audited as `marker.restore`.
#[utoipa::path(post, path = "/api/v1/markers/{number}/restore", security(("bearer" = [])), tag = "surveyors",
    params(("number" = String, Path, description = "register number")),
    request_body = RestoreBody,
    responses((status = 200, description = "The marker as it is now", body = MarkerFeature, content_type = "application/geo+json"), AuthResponses, ErrorResponses))]
pub async fn restore(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let n = number(path)?;
    let b: RestoreBody = render::json_body(body).await?;
    let record = caller.record("marker.restore", format!("marker:{n}"));
    render::geojson(&s.register.restore(p, &n, b.version, record).await?)
}

/// Validation exceptions (signed-in users: they name staff).
#[utoipa::path(get, path = "/api/v1/validation/exceptions", security(("bearer" = [])), tag = "surveyors",
    params(("withdrawn" = Option<bool>, Query, description = "include withdrawn exceptions (default false)")),
    responses((status = 200, description = "Exceptions by id", body = Vec<ExceptionView>), AuthResponses, ErrorResponses))]
pub async fn exceptions(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if caller.principal.is_none() {
        return Err(ServiceError::Unauthenticated(
            "sign in to read validation exceptions (Authorization: Bearer TOKEN)".into(),
        )
        .into());
    }
    let p = Params::parse(raw.as_deref())?;
    p.only(&["withdrawn"])?;
    let with_withdrawn = match p.get("withdrawn") {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(ApiError::bad("withdrawn", format!("{v:?}: true or false"))),
    };
    render::json(&s.register.exceptions(with_withdrawn).await?)
}

/// Records a validation exception (surveyors; a district-limited surveyor only for codes of
/// their district). Audited as `exception.add`.
#[utoipa::path(post, path = "/api/v1/validation/exceptions", security(("bearer" = [])), tag = "surveyors",
    request_body = NewExceptionBody,
    responses((status = 201, description = "Recorded", body = ExceptionView), AuthResponses, ErrorResponses))]
pub async fn add_exception(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let b: NewExceptionBody = render::json_body(body).await?;
    let rule = Rule::parse(&b.rule)
        .ok_or_else(|| ApiError::bad("rule", format!("{:?} is not a rule id", b.rule)))?;
    let codes = b
        .codes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            AdminCode::parse(c).map_err(|e| ApiError::bad(&format!("codes[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let e = NewException {
        rule,
        codes,
        marker: b.marker,
        why: b.why,
        expires: b.expires,
    };
    let record = caller.record("exception.add", format!("exception:{}", rule));
    let mut resp = render::json(&s.register.add_exception(p, e, record).await?)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// Withdraws a validation exception (surveyors): its row stays, stamped with who and when.
/// Audited as `exception.withdraw`.
#[utoipa::path(delete, path = "/api/v1/validation/exceptions/{id}", security(("bearer" = [])), tag = "surveyors",
    params(("id" = i64, Path, description = "exception id")),
    responses((status = 200, description = "Withdrawn", body = ExceptionView),
        (status = 409, description = "Already withdrawn", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn withdraw_exception(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let Path(raw) = path.map_err(path_error)?;
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad("id", format!("{raw:?} is not an exception id")))?;
    let record = caller.record("exception.withdraw", format!("exception:{id}"));
    render::json(&s.register.withdraw_exception(p, id, record).await?)
}
