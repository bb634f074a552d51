//! Division history routes: the dated editions, and what changed between two of them (as
//! JSON, CSV or a GeoJSON change layer).

use axum::extract::{RawQuery, State};
use axum::response::Response;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::{ChangeFormatName, LevelName};
use crate::service::change_layer::{self, ChangeLayer};
use crate::service::error::blocking;
use crate::service::history::{self, ChangesAnswer, EditionsAnswer};
use crate::service::SharedState;

/// The dated editions of the division list known, oldest first, with their cut-off days.
#[utoipa::path(get, path = "/api/v1/editions", tag = "history",
    responses((status = 200, description = "The editions", body = EditionsAnswer), ErrorResponses))]
pub async fn editions(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    Params::parse(q.as_deref())?.only(&[])?;
    render::json(&blocking(history::editions).await?)
}

/// How `/changes` answers.
enum ChangeFormat {
    Json,
    Csv,
    Geojson,
}

fn change_format(p: &Params) -> Result<ChangeFormat, ApiError> {
    match p.get("format").map(str::trim).unwrap_or("json") {
        "json" => Ok(ChangeFormat::Json),
        "csv" => Ok(ChangeFormat::Csv),
        "geojson" => Ok(ChangeFormat::Geojson),
        other => Err(ApiError::bad(
            "format",
            format!("expected json, csv or geojson, got {other:?}"),
        )),
    }
}

/// What was added, removed, renamed, moved (new parent) and recoded between two
/// editions or days, with counts; as CSV (one row per change) or as a GeoJSON change layer
/// (each change with its unit's shape and `geometry_source`).
#[utoipa::path(get, path = "/api/v1/changes", tag = "history",
    params(
        ("from" = String, Query, description = "the earlier side: an edition id (NBS2019 … NBS2023) or a day YYYY-MM-DD (the edition in force that day)"),
        ("to" = String, Query, description = "the later side, as `from`"),
        ("level" = Option<LevelName>, Query, description = "compare one level only (default: all)"),
        ("format" = Option<ChangeFormatName>, Query, description = "json (default), csv (kind, level, name, from_code, to_code, from_parent, to_parent, event, date, unit) or geojson (the change layer)"),
    ),
    responses((status = 200, description = "The changes", content((ChangesAnswer = "application/json"), (ChangeLayer = "application/geo+json"), (String = "text/csv"))), ErrorResponses))]
pub async fn changes(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["from", "to", "level", "format"])?;
    let from = p
        .get("from")
        .ok_or_else(|| ApiError::bad("from", "required"))?;
    let to = p.get("to").ok_or_else(|| ApiError::bad("to", "required"))?;
    let (from, to) = (from.to_owned(), to.to_owned());
    let level = p.level("level")?;
    match change_format(&p)? {
        ChangeFormat::Json => {
            render::json(&blocking(move || history::changes(&from, &to, level)).await?)
        }
        ChangeFormat::Csv => Ok(render::csv(
            blocking(move || change_layer::csv(&from, &to, level)).await?,
        )),
        ChangeFormat::Geojson => render::geojson(
            &blocking(move || {
                let live = s.data.read();
                change_layer::geojson(&live.data.data().admin, &from, &to, level)
            })
            .await?,
        ),
    }
}
