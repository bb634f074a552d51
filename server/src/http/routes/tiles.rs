//! Tile routes: `GET /tiles/{layer}/{z}/{x}/{y}.mvt` and `GET /tiles/{layer}.json`, with
//! gzip negotiation, ETags (304) and cache headers.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use civmap_tiles::cache::CachedTile;
use civmap_tiles::{TileError, TileId, TileSet};

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::routes::coverage::coverage_query;
use crate::http::schema::{AsOfDay, CategoryId, ProfileName, TileSetName};
use crate::service::tiles::{MVT_CONTENT_TYPE, TILE_CACHE_CONTROL};
use crate::service::SharedState;

/// Header saying whether a tile came from the cache (`hit`) or was rendered (`miss`).
pub const CACHE_HEADER: &str = "x-tile-cache";

/// Query parameters of the `coverage` and `gaps` sets.
const COVERAGE_PARAMS: [&str; 4] = ["category", "minutes", "profile", "scenario"];

fn parse_set(s: &str) -> Result<TileSet, ApiError> {
    s.parse()
        .map_err(|e: civmap_tiles::layers::UnknownTileSet| ApiError::bad("layer", e.to_string()))
}

fn parse_tile(z: &str, x: &str, y: &str) -> Result<TileId, ApiError> {
    let z: u8 = z.parse().map_err(|_| {
        ApiError::bad(
            "z",
            format!("expected a zoom 0..={}, got {z:?}", TileId::MAX_ZOOM),
        )
    })?;
    let x: u32 = x
        .parse()
        .map_err(|_| ApiError::bad("x", format!("expected a column number, got {x:?}")))?;
    let y: u32 = y
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::bad("y", format!("expected {{y}}.mvt, got {y:?}")))?
        .parse()
        .map_err(|_| ApiError::bad("y", format!("expected a row number, got {y:?}")))?;
    TileId::new(z, x, y).map_err(|e| match e {
        TileError::ZoomOutOfRange { .. } => ApiError::bad("z", e.to_string()),
        TileError::XyOutOfRange { x, limit, .. } if x < limit => ApiError::bad("y", e.to_string()),
        e => ApiError::bad("x", e.to_string()),
    })
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.trim().split(';');
            let name = parts.next().unwrap_or("").trim();
            let q0 = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q0
        })
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        })
}

fn respond(tile: &CachedTile, headers: &HeaderMap, hit: bool) -> Response {
    let mut res = if tile.raw.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else if etag_matches(headers, &tile.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) {
        let mut r = tile.gzip.clone().into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        tile.raw.clone().into_response()
    };
    let h = res.headers_mut();
    if !tile.raw.is_empty() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(MVT_CONTENT_TYPE),
        );
        if let Ok(v) = HeaderValue::from_str(&tile.etag) {
            h.insert(header::ETAG, v);
        }
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(TILE_CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        CACHE_HEADER,
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

/// A Mapbox Vector Tile 2.1 (`{y}` is the row followed by `.mvt`).
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}", tag = "tiles",
    params(
        ("layer" = TileSetName, Path, description = "all, admin, facilities, doorplates, coverage or gaps"),
        ("z" = u8, Path, maximum = 22, description = "zoom"), ("x" = u32, Path, description = "column"),
        ("y" = String, Path, description = "row followed by .mvt, e.g. 420.mvt"),
        ("category" = Option<CategoryId>, Query, description = "coverage/gaps: category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "coverage/gaps: minutes"),
        ("profile" = Option<ProfileName>, Query, description = "coverage/gaps: profile"),
        ("scenario" = Option<String>, Query, description = "coverage/gaps: scenario id"),
        ("as_of" = Option<AsOfDay>, Query, description = "admin/all: YYYY-MM-DD, the admin layers of the edition in force that day (facilities and doorplates stay today's)"),
    ),
    responses((status = 200, description = "The tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"), (status = 304, description = "Not modified"), ErrorResponses))]
pub async fn tile(
    State(s): State<SharedState>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path((layer, z, x, y)) = path.map_err(path_error)?;
    let set = parse_set(&layer)?;
    let p = Params::parse(q.as_deref())?;
    let tile = parse_tile(&z, &x, &y)?;
    let query = if matches!(set, TileSet::Coverage | TileSet::Gaps) {
        p.only(&COVERAGE_PARAMS)?;
        // Who is asking matters only for a scenario (its owner's): no lookup otherwise.
        let caller = match p.get("scenario") {
            Some(_) => Caller::of_headers(&s, &headers, &axum::http::Method::GET, None).await?,
            None => Caller::anonymous(),
        };
        Some(coverage_query(&s, &p, &caller).await?)
    } else {
        p.only(&["as_of"])?;
        None
    };
    let as_of = p.as_of()?;
    let gzip = accepts_gzip(&headers);
    let rendered = s
        .tiles
        .tile(&s.coverage, set, tile, query.as_ref(), gzip, as_of)
        .await?;
    Ok(respond(&rendered.tile, &headers, rendered.hit))
}

/// TileJSON 3.0.0 of a tile set (`{file}` is the set followed by `.json`), tile URLs on the
/// request's host.
#[utoipa::path(get, path = "/tiles/{file}", tag = "tiles",
    params(
        ("file" = String, Path, description = "tile set followed by .json, e.g. all.json"),
        ("category" = Option<CategoryId>, Query, description = "coverage/gaps: category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "coverage/gaps: minutes"),
        ("profile" = Option<ProfileName>, Query, description = "coverage/gaps: profile"),
        ("scenario" = Option<String>, Query, description = "coverage/gaps: scenario id"),
        ("as_of" = Option<AsOfDay>, Query, description = "admin/all: YYYY-MM-DD, carried into the tile URLs"),
    ),
    responses((status = 200, description = "TileJSON 3.0.0", body = Object), ErrorResponses))]
pub async fn tilejson(
    State(s): State<SharedState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(file) = path.map_err(path_error)?;
    let name = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NoRoute(format!("/tiles/{file}")))?;
    let set = parse_set(name)?;
    let p = Params::parse(q.as_deref())?;
    let query = if matches!(set, TileSet::Coverage | TileSet::Gaps) {
        p.only(&COVERAGE_PARAMS)?;
        let caller = match p.get("scenario") {
            Some(_) => Caller::of_headers(&s, &headers, &axum::http::Method::GET, None).await?,
            None => Caller::anonymous(),
        };
        coverage_query(&s, &p, &caller).await?; // the same checks the tiles make, so a bad query fails here
        q.as_deref().map(|q| format!("?{q}")).unwrap_or_default()
    } else {
        p.only(&["as_of"])?;
        p.as_of()?; // checked here, so a bad day fails before any tile
        p.get("as_of")
            .map(|d| format!("?as_of={}", d.trim()))
            .unwrap_or_default()
    };
    let url = format!(
        "{}/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt{query}",
        origin(&headers)
    );
    render::json(&civmap_tiles::tilejson::tilejson(
        set,
        &url,
        s.tiles.bounds(),
    ))
}

/// `scheme://host` of the request (Host and X-Forwarded-Proto, checked).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}
