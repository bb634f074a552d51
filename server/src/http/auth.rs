//! Who is calling: the [`Caller`] extractor reads `Authorization: Bearer TOKEN` or the web
//! map's session cookie, checks it with the identity service, and gives handlers the
//! principal (or none: `public`) and the client's address for audit rows.
//!
//! A request that presents a token gets 401 if the token is bad, even on a public route
//! that looks at the caller (coverage, gaps, indicators): a client that believes it is
//! signed in must learn that it is not, rather than receive the anonymous answer. Routes
//! that never depend on the caller (search, tiles) do not look, and cost nothing more. Cookies are only accepted on unsafe methods from the same
//! origin (`Origin` equal to the `Host`, `Sec-Fetch-Site` not `cross-site`), which with
//! `SameSite=Strict` closes cross-site request forgery.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use civmap_data::accounts::{AuditRecord, Role};

use crate::http::error::ApiError;
use crate::service::identity::Principal;
use crate::service::{ServiceError, SharedState};

/// The web map's session cookie.
pub const SESSION_COOKIE: &str = "civmap_session";

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in user, if any.
    pub principal: Option<Principal>,
    /// The client address (and the `X-Forwarded-For` chain, when a proxy sent one).
    pub client: Option<String>,
}

impl Caller {
    /// The principal if it has `role` (an admin has every role): 401 when anonymous, 403
    /// when signed in without it.
    pub fn require(&self, role: Role) -> Result<&Principal, ServiceError> {
        match &self.principal {
            None => Err(ServiceError::Unauthenticated(format!(
                "sign in as a {role} (Authorization: Bearer TOKEN from POST /api/v1/auth/token)"
            ))),
            Some(p) if p.has(role) => Ok(p),
            Some(p) => Err(ServiceError::Forbidden(format!(
                "{} is a {}; this needs a {role}",
                p.user.name, p.user.role
            ))),
        }
    }

    /// The name for audit rows: the user, or `anonymous`.
    pub fn who(&self) -> &str {
        self.principal.as_ref().map_or("anonymous", |p| p.name())
    }

    /// An audit row by this caller, from this client.
    pub fn record(&self, action: &str, target: impl Into<String>) -> AuditRecord {
        AuditRecord::new(self.who(), action, target).client(self.client.clone())
    }
}

/// The token of a request and whether it came from the cookie.
fn token(headers: &HeaderMap) -> Result<Option<(String, bool)>, ServiceError> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.to_str().unwrap_or("");
        let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || rest.trim().is_empty() {
            return Err(ServiceError::Unauthenticated(
                "Authorization: only `Bearer TOKEN` is accepted".into(),
            ));
        }
        return Ok(Some((rest.trim().to_owned(), false)));
    }
    Ok(session_cookie(headers).map(|t| (t, true)))
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether a cookie-authenticated unsafe request comes from our own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return false;
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            let o = origin.to_str().unwrap_or("");
            let h = host.to_str().unwrap_or("");
            o.split_once("://").is_some_and(|(_, rest)| rest == h)
        }
        (Some(_), None) => false,
    }
}

fn client(parts: &Parts) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded = parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(200).collect::<String>());
    match (peer, forwarded) {
        (Some(p), Some(f)) => Some(format!("{p} (for {f})")),
        (p, f) => p.or(f),
    }
}

impl Caller {
    /// No one signed in.
    pub fn anonymous() -> Self {
        Caller {
            principal: None,
            client: None,
        }
    }

    /// The caller of a request with these headers and method.
    pub async fn of_headers(
        s: &SharedState,
        headers: &HeaderMap,
        method: &Method,
        client: Option<String>,
    ) -> Result<Self, ApiError> {
        let Some((token, from_cookie)) = token(headers)? else {
            return Ok(Caller {
                principal: None,
                client,
            });
        };
        let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if from_cookie && unsafe_method && !same_origin(headers) {
            return Err(ServiceError::Forbidden(
                "a cross-site request with the session cookie is refused".into(),
            )
            .into());
        }
        let principal = s.identity.authenticate(&token).await?;
        Ok(Caller {
            principal: Some(principal),
            client,
        })
    }
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &SharedState) -> Result<Self, ApiError> {
        let client = client(parts);
        Caller::of_headers(s, &parts.headers, &parts.method, client).await
    }
}

/// The `Set-Cookie` value that stores a session token for `max_age_s` seconds
/// (`HttpOnly`: page scripts never see it; `SameSite=Strict`: never sent cross-site).
pub fn session_cookie_header(token: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("civmap_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Whether the request reached us over HTTPS (directly or through a proxy that says so),
/// so that the cookie can be marked `Secure`.
pub fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}
