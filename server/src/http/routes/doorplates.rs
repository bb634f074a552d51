//! Digital doorplates (issue 16): the page `/d/{id}` and its JSON twin, the QR code of the
//! page URL, the numbering check, and the surveyors' renumbering (an alias from the old id,
//! so that old URLs redirect).

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use civmap_data::accounts::Role;
use civmap_data::doorplate_aliases::AliasReason;
use civmap_geo_core::numbering::NumberingRule;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::Caller;
use crate::http::doorplate_page::{self, base_url, cached, moved, not_found, HTML};
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorBody, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::doorplate_qr::qr_svg;
use crate::service::doorplates::{
    alias_error, DoorplatePage, NumberingSummary, RenumberAnswer, Renumbering, Resolved,
};
use crate::service::{ServiceError, SharedState};

/// `image/svg+xml`.
const SVG: &str = "image/svg+xml";

/// A renumbering or merge to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenumberBody {
    /// The id that replaces this one (a served doorplate, or an id aliased to one).
    pub new_id: u64,
    /// `renumbered` or `merged`.
    pub reason: String,
    /// When it took effect, `YYYY-MM-DD` (default: today in China).
    pub date: Option<String>,
}

/// A doorplate id from the path: decimal digits only.
fn doorplate_id(path: Result<Path<String>, PathRejection>) -> Result<u64, ApiError> {
    let Path(raw) = path.map_err(path_error)?;
    parse_id(&raw).ok_or_else(|| ApiError::bad("id", format!("{raw:?} is not a doorplate id")))
}

fn parse_id(raw: &str) -> Option<u64> {
    let digits = !raw.is_empty() && raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| raw.parse().ok()).flatten()
}

/// The served id an API request names (no query parameters), or the permanent redirect
/// (308) of an old id to `/api/v1/doorplates/{new}{suffix}`.
async fn served_or_moved(
    s: &SharedState,
    query: Option<&str>,
    path: Result<Path<String>, PathRejection>,
    suffix: &str,
) -> Result<Result<u64, Response>, ApiError> {
    Params::parse(query)?.only(&[])?;
    let id = doorplate_id(path)?;
    Ok(match s.doorplates.resolve(id).await? {
        Resolved::Current(id) => Ok(id),
        Resolved::Moved(chain) => {
            let to = chain.last().copied().unwrap_or(id);
            let location = format!("/api/v1/doorplates/{to}{suffix}");
            Err(moved(StatusCode::PERMANENT_REDIRECT, &location))
        }
    })
}

/// The doorplate page (HTML, no script): the address in Chinese, pinyin and English, the
/// admin units, and the nearest facility of each category within a 15-minute walk. An old
/// id (renumbered or merged) redirects (301) to the page of the id that replaced it.
#[utoipa::path(get, path = "/d/{id}", tag = "doorplates",
    params(("id" = String, Path, description = "doorplate id (decimal)")),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 301, description = "Renumbered or merged: `Location` is the page of the id that replaced it"),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "No such doorplate (an HTML page)", content_type = "text/html", body = String),
        (status = 503, description = "The coverage engine is warming up, or the store is unavailable", body = ErrorBody),
    ))]
pub async fn page(
    State(s): State<SharedState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let raw = path.map(|Path(p)| p).unwrap_or_default();
    let Some(id) = parse_id(&raw) else {
        return Ok(not_found(&raw));
    };
    match s.doorplates.resolve(id).await {
        Ok(Resolved::Current(_)) => {}
        Ok(Resolved::Moved(chain)) => {
            let to = chain.last().copied().unwrap_or(id);
            return Ok(moved(StatusCode::MOVED_PERMANENTLY, &format!("/d/{to}")));
        }
        Err(ServiceError::NotFound(_)) => return Ok(not_found(&raw)),
        Err(e) => return Err(e.into()),
    }
    // without a public URL or Host header the canonical link is relative
    let base = base_url(s.doorplates.public_url(), &headers).unwrap_or_default();
    let page = s.doorplates.page(id).await?;
    let url = format!("{base}/d/{id}");
    Ok(cached(&headers, HTML, doorplate_page::render(&page, &url)))
}

/// The doorplate page's content as JSON. An old id redirects (308) to the id that
/// replaced it.
#[utoipa::path(get, path = "/api/v1/doorplates/{id}", tag = "doorplates",
    params(("id" = String, Path, description = "doorplate id (decimal)")),
    responses(
        (status = 200, description = "The page's content", body = DoorplatePage),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 308, description = "Renumbered or merged: `Location` is the id that replaced it"),
        ErrorResponses))]
pub async fn get(
    State(s): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = match served_or_moved(&s, q.as_deref(), path, "").await? {
        Ok(id) => id,
        Err(redirect) => return Ok(redirect),
    };
    let body =
        serde_json::to_string(&s.doorplates.page(id).await?).map_err(ServiceError::internal)?;
    Ok(cached(&headers, render::JSON, body))
}

/// The QR code of the doorplate page's absolute URL (`serve --public-url`, else from the
/// request's `Host`), as SVG. An old id redirects (308) to the QR of the id that replaced it.
#[utoipa::path(get, path = "/api/v1/doorplates/{id}/qr.svg", tag = "doorplates",
    params(("id" = String, Path, description = "doorplate id (decimal)")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml", body = String),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 308, description = "Renumbered or merged: `Location` is the QR of the id that replaced it"),
        ErrorResponses))]
pub async fn qr(
    State(s): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = match served_or_moved(&s, q.as_deref(), path, "/qr.svg").await? {
        Ok(id) => id,
        Err(redirect) => return Ok(redirect),
    };
    let base = base_url(s.doorplates.public_url(), &headers).ok_or_else(|| {
        ApiError::bad("Host", "the QR code needs an absolute URL: send a Host header of a host name (and port), or run serve --public-url")
    })?;
    Ok(cached(&headers, SVG, qr_svg(&format!("{base}/d/{id}"))?))
}

/// The numbering check over every served doorplate: per road segment, odd and even by
/// side of the centreline, numbers in sequence along the road, duplicates and gaps.
#[utoipa::path(get, path = "/api/v1/doorplates/check", tag = "doorplates",
    params(
        ("rule" = Option<String>, Query, description = "only findings of this rule: wrong_side, out_of_sequence, duplicate or gap"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 10000, description = "findings listed (0..=10000, default 100); the counts cover all"),
    ),
    responses((status = 200, description = "Totals and the first findings", body = NumberingSummary), ErrorResponses))]
pub async fn check(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["rule", "limit"])?;
    let rule = p.get("rule").map(parse_rule).transpose()?;
    let limit = p.int("limit", 100, 0, 10_000)? as usize;
    render::json(&s.doorplates.numbering(rule, limit).await?)
}

fn parse_rule(v: &str) -> Result<NumberingRule, ApiError> {
    [
        NumberingRule::WrongSide,
        NumberingRule::OutOfSequence,
        NumberingRule::Duplicate,
        NumberingRule::Gap,
    ]
    .into_iter()
    .find(|r| r.as_str() == v)
    .ok_or_else(|| {
        ApiError::bad(
            "rule",
            format!("{v:?}: use wrong_side, out_of_sequence, duplicate or gap"),
        )
    })
}

/// Records that a doorplate was renumbered or merged into another (surveyors; a surveyor
/// limited to a district only for plates in it): `/d/{id}` then redirects to
/// `/d/{new_id}`. Audited as `doorplate.renumber` in the same transaction. An id already
/// aliased, or an alias closing a cycle, is a 409; an unknown `new_id` a 400.
#[utoipa::path(post, path = "/api/v1/doorplates/{id}/renumber", security(("bearer" = [])), tag = "doorplates",
    params(("id" = String, Path, description = "the old doorplate id (decimal)")),
    request_body = RenumberBody,
    responses((status = 201, description = "The alias", body = RenumberAnswer),
        (status = 409, description = "The id was already renumbered or merged, or the alias would close a cycle", body = ErrorBody),
        AuthResponses, ErrorResponses))]
pub async fn renumber(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let p = caller.require(Role::Surveyor)?;
    let id = doorplate_id(path)?;
    let b: RenumberBody = render::json_body(body).await?;
    let reason = AliasReason::parse(&b.reason).map_err(alias_error)?;
    let r = Renumbering {
        new_id: b.new_id,
        reason,
        date: b.date,
    };
    let record = caller.record("doorplate.renumber", format!("doorplate:{id}"));
    let mut resp = render::json(&s.doorplates.renumber(p, id, r, record).await?)?;
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}
