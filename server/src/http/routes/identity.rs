//! Sign-in, the caller's identity, users and the audit log.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use civmap_data::accounts::{AuditQuery, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::{self, Caller};
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::identity::{AuditPage, IdentityService, Login, UserView};
use crate::service::{ServiceError, SharedState};

/// A login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Login name: 1–64 ASCII letters, digits, `_ . @ -`.
    pub name: String,
    /// `planner`, `surveyor` or `admin`.
    pub role: String,
    /// For a surveyor: the 12-digit code of the one district they may edit.
    pub district: Option<String>,
    /// At least 10 characters.
    pub password: String,
}

fn signed_in(caller: &Caller) -> Result<&crate::service::identity::Principal, ServiceError> {
    caller
        .principal
        .as_ref()
        .ok_or_else(|| ServiceError::Unauthenticated("not signed in".into()))
}

/// A bearer token for a name and password (401 for a wrong name or password alike; 429
/// after repeated failures).
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "identity",
    request_body = Credentials,
    responses((status = 200, description = "A token and when it expires", body = Login),
        (status = 401, description = "Wrong name or password", body = ErrorBody),
        (status = 429, description = "Too many failed logins (Retry-After)", body = ErrorBody), ErrorResponses))]
pub async fn token(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    let c: Credentials = render::json_body(body).await?;
    render::json(
        &s.identity
            .login(&c.name, &c.password, caller.client)
            .await?,
    )
}

/// Signs in the web map: the same login, answered with an `HttpOnly` session cookie
/// instead of a token in the body.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "identity",
    request_body = Credentials,
    responses((status = 200, description = "Signed in; Set-Cookie carries the session", body = Login),
        (status = 401, description = "Wrong name or password", body = ErrorBody),
        (status = 429, description = "Too many failed logins (Retry-After)", body = ErrorBody), ErrorResponses))]
pub async fn sign_in(
    State(s): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let c: Credentials = render::json_body(body).await?;
    let mut login = s
        .identity
        .login(&c.name, &c.password, caller.client)
        .await?;
    let token = login.token.take().unwrap_or_default();
    let secure = auth::over_https(&headers);
    let cookie = auth::session_cookie_header(&token, login.expires_in_s, secure);
    let mut resp = render::json(&login)?;
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// Signs out: ends the session of the token or cookie presented (if it is still alive) and
/// always clears the cookie, so that a browser holding a stale one is never stuck.
#[utoipa::path(delete, path = "/api/v1/auth/session", tag = "identity",
    responses((status = 204, description = "Signed out (the cookie cleared)"),
        (status = 401, description = "A bearer token that is unknown or has expired", body = ErrorBody), ErrorResponses))]
pub async fn sign_out(State(s): State<SharedState>, caller: Caller) -> Result<Response, ApiError> {
    if let Some(p) = &caller.principal {
        s.identity.logout(p, caller.client.clone()).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, auth::clear_session_cookie());
    Ok(resp)
}

/// Who the token or cookie belongs to.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])), tag = "identity",
    responses((status = 200, description = "The signed-in user", body = Login), AuthResponses, ErrorResponses))]
pub async fn me(caller: Caller, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref())?.only(&[])?;
    render::json(&IdentityService::me(signed_in(&caller)?))
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/api/v1/audit", security(("bearer" = [])), tag = "identity",
    params(
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "1..=1000, default 100"),
        ("before" = Option<u64>, Query, minimum = 1, description = "only rows with a smaller id (the previous page's next_before)"),
        ("who" = Option<String>, Query, description = "only this user's rows"),
        ("action" = Option<String>, Query, description = "only actions starting with this, e.g. `scenario.` or `auth.login`"),
    ),
    responses((status = 200, description = "Audit rows", body = AuditPage), AuthResponses, ErrorResponses))]
pub async fn audit(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let p = Params::parse(raw.as_deref())?;
    p.only(&["limit", "before", "who", "action"])?;
    let before_id = match p.get("before") {
        Some(_) => Some(p.int("before", 0, 1, i64::MAX as u64)? as i64),
        None => None,
    };
    let q = AuditQuery {
        limit: p.int("limit", 100, 1, 1000)? as u32,
        before_id,
        who: p.get("who").map(str::to_owned),
        action_prefix: p.get("action").map(str::to_owned),
    };
    render::json(&s.identity.audit_log(q).await?)
}

/// Every user (admins).
#[utoipa::path(get, path = "/api/v1/users", security(("bearer" = [])), tag = "identity",
    responses((status = 200, description = "Users by name", body = Vec<UserView>), AuthResponses, ErrorResponses))]
pub async fn users(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    Params::parse(raw.as_deref())?.only(&[])?;
    render::json(&s.identity.users().await?)
}

/// Creates a user (admins); audited.
#[utoipa::path(post, path = "/api/v1/users", security(("bearer" = [])), tag = "identity",
    request_body = NewUserBody,
    responses((status = 201, description = "Created", body = UserView),
        (status = 409, description = "The name is taken", body = ErrorBody), AuthResponses, ErrorResponses))]
pub async fn add_user(
    State(s): State<SharedState>,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let b: NewUserBody = render::json_body(body).await?;
    let role: Role = b
        .role
        .parse()
        .map_err(|e: civmap_data::accounts::AccountsError| ApiError::bad("role", e.to_string()))?;
    let record = caller.record("user.add", format!("user:{}", b.name));
    let user = s
        .identity
        .add_user(&b.name, role, b.district, &b.password, record)
        .await?;
    let mut resp = render::json(&UserView::from(&user))?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// Removes a user (admins); their tokens stop working at once. Audited.
#[utoipa::path(delete, path = "/api/v1/users/{name}", security(("bearer" = [])), tag = "identity",
    params(("name" = String, Path, description = "user name")),
    responses((status = 204, description = "Removed"), AuthResponses, ErrorResponses))]
pub async fn remove_user(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let Path(name) = path.map_err(path_error)?;
    let record = caller.record("user.remove", format!("user:{name}"));
    s.identity.remove_user(&name, record).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
