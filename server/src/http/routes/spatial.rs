//! Spatial-core routes: admin units, facilities by box, nearest, within and the admin
//! chain at a point.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::coverage::CoverageMode;
use civmap_geo_core::AdminCode;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::AsOfDay;
use crate::http::schema::{CategoryId, CrsName, LevelName, ModeName, ProfileName};
use crate::service::as_of::AsOf;
use crate::service::catalog::MAX_FACILITIES;
use crate::service::error::blocking;
use crate::service::geojson::{AdminCollection, FacilityCollection};
use crate::service::spatial::{AdminAt, MAX_K, MAX_RADIUS_M};
use crate::service::SharedState;

/// Admin units of a level, or the children of a parent.
#[utoipa::path(get, path = "/api/v1/admin", tag = "spatial",
    params(
        ("level" = Option<LevelName>, Query, description = "city, district, township or community"),
        ("parent" = Option<String>, Query, description = "12-digit code: alone, its direct children; with `level`, that level's units anywhere below it (e.g. a district's communities)"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: as it stood that day"),
    ),
    responses((status = 200, description = "Admin units", body = AdminCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn admin(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["level", "parent", "as_of"])?;
    let level = p.level("level")?;
    let parent = p
        .get("parent")
        .map(|v| AdminCode::parse(v).map_err(|e| ApiError::bad("parent", e.to_string())))
        .transpose()?;
    let as_of = p.as_of()?;
    let data = s.data.clone();
    let body = blocking(move || data.admin_units(level, parent.as_ref(), as_of)).await?;
    Ok(render::bytes(render::GEOJSON, body))
}

/// Facilities in a box and of some categories, by id.
#[utoipa::path(get, path = "/api/v1/facilities", tag = "spatial",
    params(
        ("bbox" = Option<String>, Query, description = "minlon,minlat,maxlon,maxlat (WGS84)"),
        ("category" = Option<Vec<CategoryId>>, Query, description = "category ids (repeatable or comma-separated)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 50000, description = "at most this many (1..=50000, default 1000)"),
    ),
    responses((status = 200, description = "Facilities", body = FacilityCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn facilities(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["bbox", "category", "limit"])?;
    let bbox = p.bbox("bbox")?;
    let cats = p.categories("category")?;
    let limit = p.int("limit", 1_000, 1, MAX_FACILITIES as u64)? as usize;
    render::geojson(&s.data.facilities(bbox, &cats, limit)?)
}

/// The `k` nearest facilities, in a straight line or along the walking network.
#[utoipa::path(get, path = "/api/v1/facilities/nearest", tag = "spatial",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180, description = "longitude"), ("lat" = f64, Query, minimum = -90, maximum = 90, description = "latitude"),
        ("crs" = Option<CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("category" = Option<Vec<CategoryId>>, Query, description = "category ids"),
        ("k" = Option<u64>, Query, minimum = 1, maximum = 100, description = "1..=100, default 10"),
        ("mode" = Option<ModeName>, Query, description = "straight (default) or walk"),
        ("profile" = Option<ProfileName>, Query, description = "walk mode: standard or elderly"),
    ),
    responses((status = 200, description = "Facilities, nearest first", body = FacilityCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn nearest(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "category", "k", "mode", "profile"])?;
    let (lon, lat) = p.lon_lat()?;
    let cats = p.categories("category")?;
    let k = p.int("k", 10, 1, MAX_K as u64)? as usize;
    let answer = match p.mode("straight")? {
        CoverageMode::Walk => {
            let profile = p.profile()?;
            let snap = s.coverage.engine().await?;
            s.data
                .nearest_walk(&snap.engine, (lon, lat), &cats, k, &profile)?
        }
        _ if p.get("profile").is_some() => {
            return Err(ApiError::bad("profile", "only with mode=walk"))
        }
        _ => s.data.nearest(lon, lat, &cats, k)?,
    };
    render::geojson(&answer)
}

/// Facilities within a radius, nearest first.
#[utoipa::path(get, path = "/api/v1/facilities/within", tag = "spatial",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180, description = "longitude"), ("lat" = f64, Query, minimum = -90, maximum = 90, description = "latitude"),
        ("crs" = Option<CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("radius_m" = f64, Query, exclusive_minimum = 0, maximum = 50000, description = "metres, > 0 and <= 50000"),
        ("category" = Option<Vec<CategoryId>>, Query, description = "category ids"),
    ),
    responses((status = 200, description = "Facilities, nearest first", body = FacilityCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn within(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "category", "radius_m"])?;
    let (lon, lat) = p.lon_lat()?;
    let cats = p.categories("category")?;
    let r = p.float("radius_m")?;
    if !(r > 0.0 && r <= MAX_RADIUS_M) {
        return Err(ApiError::range(
            "radius_m",
            format!("must be > 0 and <= {MAX_RADIUS_M}, got {r}"),
        ));
    }
    render::geojson(&s.data.within(lon, lat, r, &cats)?)
}

/// The admin units holding a point, city first.
#[utoipa::path(get, path = "/api/v1/admin/at", tag = "spatial",
    params(
        ("lon" = f64, Query, minimum = -180, maximum = 180, description = "longitude"), ("lat" = f64, Query, minimum = -90, maximum = 90, description = "latitude"),
        ("crs" = Option<CrsName>, Query, description = "wgs84 (default), cgcs2000, gcj02 or bd09"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: as it stood that day"),
    ),
    responses((status = 200, description = "The chain", body = AdminAt), ErrorResponses))]
pub async fn admin_at(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "as_of"])?;
    let (lon, lat) = p.lon_lat()?;
    let as_of = p.as_of()?;
    if as_of == AsOf::Today {
        return render::json(&s.data.admin_at(lon, lat)?);
    }
    let data = s.data.clone();
    render::json(&blocking(move || data.admin_at_as_of(lon, lat, as_of)).await?)
}
