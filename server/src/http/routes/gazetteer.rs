//! Gazetteer routes: search, autocomplete, address parsing and reverse geocoding.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::gazetteer::PlaceKind;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::{AsOfDay, CrsName, PlaceKindName};
use crate::service::as_of::AsOf;
use crate::service::error::blocking;
use crate::service::gazetteer::{ParsedAddressBody, PlaceCollection, Reverse, MAX_LIMIT};
use crate::service::SharedState;

/// Longest query accepted before the gazetteer's own checks, bytes.
const MAX_QUERY_BYTES: usize = 4096;

/// The query text: present and not absurdly long (the gazetteer's checks give the rest).
fn query_text(p: &Params) -> Result<&str, ApiError> {
    let q = p.get("q").ok_or_else(|| ApiError::bad("q", "required"))?;
    if q.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad(
            "q",
            format!("too long: {} bytes, at most 256 characters", q.len()),
        ));
    }
    Ok(q)
}

/// Ranked search of places and addresses.
#[utoipa::path(get, path = "/api/v1/search", tag = "gazetteer",
    params(
        ("q" = String, Query, description = "Chinese, pinyin, initials, English, an address or a code"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 50, description = "1..=50, default 10"),
        ("lon" = Option<f64>, Query, description = "bias point"), ("lat" = Option<f64>, Query, description = "bias point"),
        ("crs" = Option<CrsName>, Query, description = "CRS of the bias point"),
        ("kind" = Option<Vec<PlaceKindName>>, Query, description = "admin, road, facility, doorplate, landmark"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: search the admin unit names of the edition in force that day"),
    ),
    responses((status = 200, description = "Places, best first", body = PlaceCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn search(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q", "limit", "lon", "lat", "crs", "kind", "as_of"])?;
    let text = query_text(&p)?;
    let limit = p.int("limit", 10, 1, MAX_LIMIT as u64)? as usize;
    let near = if p.get("lon").is_some() || p.get("lat").is_some() {
        Some(p.lon_lat()?)
    } else {
        None
    };
    let kinds = p
        .all("kind")
        .into_iter()
        .map(|k| PlaceKind::parse(k).map_err(|e| ApiError::bad("kind", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let as_of = p.as_of()?;
    if as_of == AsOf::Today {
        return render::geojson(&s.data.search(text, limit, near, kinds)?);
    }
    let (data, text) = (s.data.clone(), text.to_owned());
    render::geojson(&blocking(move || data.search_as_of(&text, limit, near, kinds, as_of)).await?)
}

/// Prefix completion, fast.
#[utoipa::path(get, path = "/api/v1/autocomplete", tag = "gazetteer",
    params(
        ("q" = String, Query, description = "what has been typed"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 50, description = "1..=50, default 10"),
    ),
    responses((status = 200, description = "Places, best first", body = PlaceCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn autocomplete(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q", "limit"])?;
    let text = query_text(&p)?;
    let limit = p.int("limit", 10, 1, MAX_LIMIT as u64)? as usize;
    render::geojson(&s.data.autocomplete(text, limit)?)
}

/// An address split into components, with the doorplate it names.
#[utoipa::path(get, path = "/api/v1/address/parse", tag = "gazetteer",
    params(("q" = String, Query, description = "an address, e.g. 西湖区文三路12号")),
    responses((status = 200, description = "Components and match", body = ParsedAddressBody), ErrorResponses))]
pub async fn parse_address(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q"])?;
    render::json(&s.data.parse_address(query_text(&p)?)?)
}

/// The admin chain, nearest doorplate and nearest street of a point.
#[utoipa::path(get, path = "/api/v1/reverse", tag = "gazetteer",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180, description = "longitude"), ("lat" = f64, Query, minimum = -90, maximum = 90, description = "latitude"),
        ("crs" = Option<CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: the admin chain as it stood that day (doorplate and road are today's)"),
    ),
    responses((status = 200, description = "Where the point is", body = Reverse), ErrorResponses))]
pub async fn reverse(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "as_of"])?;
    let (lon, lat) = p.lon_lat()?;
    let as_of = p.as_of()?;
    if as_of == AsOf::Today {
        return render::json(&s.data.reverse(lon, lat)?);
    }
    let data = s.data.clone();
    render::json(&blocking(move || data.reverse_as_of(lon, lat, as_of)).await?)
}
