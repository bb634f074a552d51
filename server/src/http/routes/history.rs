//! Division history routes: the dated editions, and what changed between two of them.

use axum::extract::RawQuery;
use axum::response::Response;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::LevelName;
use crate::service::error::blocking;
use crate::service::history::{self, ChangesAnswer, EditionsAnswer};

/// The dated editions of the division list known, oldest first, with their cut-off days.
#[utoipa::path(get, path = "/api/v1/editions", tag = "history",
    responses((status = 200, description = "The editions", body = EditionsAnswer), ErrorResponses))]
pub async fn editions(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    render::json(&blocking(history::editions).await?)
}

/// What was added, removed, renamed, moved (new parent) and recoded between two
/// editions or days, with counts.
#[utoipa::path(get, path = "/api/v1/changes", tag = "history",
    params(
        ("from" = String, Query, description = "the earlier side: an edition id (NBS2019 … NBS2023) or a day YYYY-MM-DD (the edition in force that day)"),
        ("to" = String, Query, description = "the later side, as `from`"),
        ("level" = Option<LevelName>, Query, description = "compare one level only (default: all)"),
    ),
    responses((status = 200, description = "The changes", body = ChangesAnswer), ErrorResponses))]
pub async fn changes(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["from", "to", "level"])?;
    let from = p
        .get("from")
        .ok_or_else(|| ApiError::bad("from", "required"))?;
    let to = p.get("to").ok_or_else(|| ApiError::bad("to", "required"))?;
    let (from, to) = (from.to_owned(), to.to_owned());
    let level = p.level("level")?;
    render::json(&blocking(move || history::changes(&from, &to, level)).await?)
}
