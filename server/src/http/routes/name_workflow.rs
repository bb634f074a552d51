//! Name registry and naming-workflow routes: the registry lookup, applications (surveyors
//! make and review them; admins start the public notice, approve and reject), the
//! announcements, and the heritage list with its candidates.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use civmap_data::accounts::Role;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::name_workflow::{
    AnnouncementsAnswer, ApplicationBody, ApplicationsAnswer, ApprovalRequest, CandidatesAnswer,
    HeritageAnswer, HeritageBody, NewApplication, RegistryAnswer, SimpleStep,
};
use crate::service::SharedState;

/// `POST /api/v1/names/applications`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// The place: `unit/<12-digit code>`, `road/<name>`, `facility/<id>` or `landmark/<id>`.
    pub place: String,
    /// The name applied for.
    pub proposed_name: String,
    /// Why (kept for the announcement).
    pub reason: String,
    /// Rename a name on the heritage list (admins only; audited as `names.heritage_override`).
    #[serde(default)]
    pub heritage_override: bool,
    /// The day the application was received, `YYYY-MM-DD` (today in China by default;
    /// never in the future).
    pub submitted: Option<String>,
}

/// `POST /api/v1/names/applications/{id}/reviews`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `support`, `object` or `comment`.
    pub verdict: String,
    /// The comment (kept as written; at most 2000 characters).
    pub comment: String,
}

/// `POST /api/v1/names/applications/{id}/notice`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    /// First day of the notice, `YYYY-MM-DD` (today in China by default; not in the future).
    pub from: Option<String>,
    /// Days of public consultation (30–366; default 30).
    pub days: Option<u32>,
}

/// `POST /api/v1/names/applications/{id}/approve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The issuing unit, e.g. `杭州市民政局`.
    pub unit: String,
    /// The approval document, e.g. `杭政函〔2026〕12号`.
    pub approval_ref: String,
    /// Reading override of the new name (toneless pinyin), for polyphonic characters.
    pub reading: Option<String>,
}

/// `POST /api/v1/names/applications/{id}/reject`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why.
    pub reason: String,
}

/// `POST /api/v1/names/heritage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeritageRequest {
    /// The name.
    pub name: String,
    /// The place it names (`class/id`), if one.
    pub place: Option<String>,
    /// Its category, e.g. `历史地名`.
    pub category: String,
    /// A note.
    #[serde(default)]
    pub note: String,
}

fn app_id(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let Path(raw) = path.map_err(path_error)?;
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::bad("id", format!("{raw:?} is not an application number")))
}

/// The registry's names: every place that has or had `name` (with its type and dates; a
/// former name says what it was renamed to and when), or every name of `place`.
#[utoipa::path(get, path = "/api/v1/names/registry", tag = "names",
    params(
        ("name" = Option<String>, Query, description = "a name, e.g. 长庆街道"),
        ("place" = Option<String>, Query, description = "a place, e.g. unit/330105014000"),
    ),
    responses((status = 200, description = "The names", body = RegistryAnswer), ErrorResponses))]
pub async fn registry(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["name", "place"])?;
    render::json(&s.names.lookup(p.get("name"), p.get("place")).await?)
}

/// Makes a naming or renaming application (surveyors): the automatic checks run and their
/// findings are kept. A name on the heritage list is refused (409) unless an admin sets
/// `heritage_override`. Audited as `names.application.create`.
#[utoipa::path(post, path = "/api/v1/names/applications", security(("bearer" = [])), tag = "names",
    request_body = ApplicationRequest,
    responses((status = 201, description = "The application, checked", body = ApplicationBody),
        (status = 409, description = "The name is on the heritage list", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn create(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let b: ApplicationRequest = render::json_body(body).await?;
    let req = NewApplication {
        place: b.place,
        proposed_name: b.proposed_name,
        reason: b.reason,
        heritage_override: b.heritage_override,
        submitted: b.submitted,
    };
    let record = caller.record("names.application.create", "name_application:new");
    let mut resp = render::json(&s.names.create(p, req, record).await?)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// The applications (surveyors), optionally of one status.
#[utoipa::path(get, path = "/api/v1/names/applications", security(("bearer" = [])), tag = "names",
    params(("status" = Option<String>, Query, description = "checked, reviewed, notice, approved or rejected")),
    responses((status = 200, description = "The applications", body = ApplicationsAnswer),
        AuthResponses, ErrorResponses))]
pub async fn list(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Role::Surveyor)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["status"])?;
    render::json(&s.names.applications(p.get("status")).await?)
}

/// One application with its findings, reviews, notice and announcement (surveyors).
#[utoipa::path(get, path = "/api/v1/names/applications/{id}", security(("bearer" = [])), tag = "names",
    params(("id" = i64, Path, description = "application number")),
    responses((status = 200, description = "The application", body = ApplicationBody),
        AuthResponses, ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Surveyor)?;
    let id = app_id(path)?;
    render::json(&s.names.application(id).await?)
}

/// Records an expert review (surveyors); every comment is kept. An objection blocks the
/// notice and the approval until a later review supports. Audited as `names.application.review`.
#[utoipa::path(post, path = "/api/v1/names/applications/{id}/reviews", security(("bearer" = [])), tag = "names",
    params(("id" = i64, Path, description = "application number")),
    request_body = ReviewRequest,
    responses((status = 200, description = "The application", body = ApplicationBody),
        (status = 409, description = "The application is approved or rejected", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn review(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let id = app_id(path)?;
    let b: ReviewRequest = render::json_body(body).await?;
    let step = SimpleStep::Review {
        verdict: b.verdict,
        comment: b.comment,
    };
    let record = caller.record("names.application.review", format!("name_application:{id}"));
    render::json(&s.names.step(p, id, step, record).await?)
}

/// Starts the public consultation (admins): needs the experts' support; lasts 30–366
/// days. Audited as `names.application.notice`.
#[utoipa::path(post, path = "/api/v1/names/applications/{id}/notice", security(("bearer" = [])), tag = "names",
    params(("id" = i64, Path, description = "application number")),
    request_body = NoticeRequest,
    responses((status = 200, description = "The application, in notice", body = ApplicationBody),
        (status = 409, description = "Not reviewed, or the latest expert verdict is not support", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn notice(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Admin)?;
    let id = app_id(path)?;
    let b: NoticeRequest = render::json_body(body).await?;
    let step = SimpleStep::Notice {
        from: b.from,
        days: b.days.unwrap_or(civmap_geo_core::names::MIN_NOTICE_DAYS),
    };
    let record = caller.record("names.application.notice", format!("name_application:{id}"));
    render::json(&s.names.step(p, id, step, record).await?)
}

/// Approves after the public notice (admins): writes the new standard name dated today,
/// keeps the old one as a searchable former name, files the announcement (number, date,
/// names, unit, reason), and renames the served record in the gazetteer and tiles.
/// Approval before the notice deadline is a 409. Audited as `names.application.approve`.
#[utoipa::path(post, path = "/api/v1/names/applications/{id}/approve", security(("bearer" = [])), tag = "names",
    params(("id" = i64, Path, description = "application number")),
    request_body = ApproveRequest,
    responses((status = 200, description = "The application, approved, with its announcement", body = ApplicationBody),
        (status = 409, description = "Not in notice, the notice still runs, or the experts object", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn approve(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Admin)?;
    let id = app_id(path)?;
    let b: ApproveRequest = render::json_body(body).await?;
    let req = ApprovalRequest {
        unit: b.unit,
        approval_ref: b.approval_ref,
        reading: b.reading,
    };
    let record = caller.record(
        "names.application.approve",
        format!("name_application:{id}"),
    );
    let answer = s.names.approve(p, id, req, record).await?;
    s.tiles.names_changed(&s.data, &answer.place);
    render::json(&answer)
}

/// Rejects an open application with its reason (admins). Audited as
/// `names.application.reject`.
#[utoipa::path(post, path = "/api/v1/names/applications/{id}/reject", security(("bearer" = [])), tag = "names",
    params(("id" = i64, Path, description = "application number")),
    request_body = RejectRequest,
    responses((status = 200, description = "The application, rejected", body = ApplicationBody),
        (status = 409, description = "Already approved or rejected", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn reject(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Admin)?;
    let id = app_id(path)?;
    let b: RejectRequest = render::json_body(body).await?;
    let step = SimpleStep::Reject { reason: b.reason };
    let record = caller.record("names.application.reject", format!("name_application:{id}"));
    render::json(&s.names.step(p, id, step, record).await?)
}

/// The announcements filed with approvals.
#[utoipa::path(get, path = "/api/v1/names/announcements", tag = "names",
    responses((status = 200, description = "The announcements", body = AnnouncementsAnswer), ErrorResponses))]
pub async fn announcements(State(s): State<SharedState>) -> Result<Response, ApiError> {
    render::json(&s.names.announcements().await?)
}

/// The heritage list: listed names are locked against renaming.
#[utoipa::path(get, path = "/api/v1/names/heritage", tag = "names",
    responses((status = 200, description = "The list", body = HeritageAnswer), ErrorResponses))]
pub async fn heritage(State(s): State<SharedState>) -> Result<Response, ApiError> {
    render::json(&s.names.heritage().await?)
}

/// Lists a name (admins). Audited as `names.heritage.add`.
#[utoipa::path(post, path = "/api/v1/names/heritage", security(("bearer" = [])), tag = "names",
    request_body = HeritageRequest,
    responses((status = 201, description = "Listed", body = HeritageBody),
        (status = 409, description = "Already listed", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn add_heritage(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Admin)?;
    let b: HeritageRequest = render::json_body(body).await?;
    let record = caller.record("names.heritage.add", format!("heritage:{}", b.name));
    let e = s
        .names
        .list_heritage(p, &b.name, b.place.as_deref(), &b.category, &b.note, record);
    let mut resp = render::json(&e.await?)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// Takes a name off the heritage list (admins). Audited as `names.heritage.remove`.
#[utoipa::path(delete, path = "/api/v1/names/heritage/{name}", security(("bearer" = [])), tag = "names",
    params(("name" = String, Path, description = "the listed name")),
    responses((status = 200, description = "Unlisted", body = HeritageBody), AuthResponses, ErrorResponses))]
pub async fn remove_heritage(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let Path(name) = path.map_err(path_error)?;
    let record = caller.record("names.heritage.remove", format!("heritage:{name}"));
    render::json(&s.names.unlist_heritage(&name, record).await?)
}

/// Heritage candidates: the units' current names in continuous use for at least
/// `min_years` (default 3) by the division history's editions.
#[utoipa::path(get, path = "/api/v1/names/heritage/candidates", tag = "names",
    params(("min_years" = Option<f64>, Query, minimum = 0, maximum = 1000, description = "years of continuous use (default 3)")),
    responses((status = 200, description = "The candidates", body = CandidatesAnswer), ErrorResponses))]
pub async fn candidates(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["min_years"])?;
    let min_years = match p.get("min_years") {
        Some(_) => p.float("min_years")?,
        None => 3.0,
    };
    render::json(&s.names.candidates(min_years).await?)
}
