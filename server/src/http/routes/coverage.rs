//! Planners' routes: coverage per unit, service areas, gaps, indicators and siting.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::coverage::CoverageMode;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::{check_minutes, profile_named, Params};
use crate::http::render;
use crate::http::schema::{CategoryId, LevelName, ModeName, ProfileName};
use crate::service::coverage::{
    AreaCollection, CoverageAnswer, CoverageQuery, GapCollection, IndicatorsAnswer, SitingAnswer,
    SitingRequest,
};
use crate::service::{AppState, SharedState};

/// The parameters every coverage route takes (scenario looked up: 404 when unknown).
pub fn coverage_query(s: &AppState, p: &Params) -> Result<CoverageQuery, ApiError> {
    Ok(CoverageQuery {
        category: p.one_category()?,
        minutes: p.minutes()?,
        mode: p.mode("walk")?,
        profile: p.profile()?,
        scenario: p
            .get("scenario")
            .map(|id| s.coverage.scenario(id))
            .transpose()?,
    })
}

/// Who lives within `minutes` of a category, per unit.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage",
    params(
        ("category" = CategoryId, Query, description = "one category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "0 < m <= 120, default 15"),
        ("mode" = Option<ModeName>, Query, description = "walk (default) or straight"),
        ("level" = Option<LevelName>, Query, description = "city, district, township (default) or community"),
        ("profile" = Option<ProfileName>, Query, description = "standard (1.0 m/s) or elderly (0.8 m/s)"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id"),
    ),
    responses((status = 200, description = "Coverage per unit", body = CoverageAnswer), ErrorResponses))]
pub async fn coverage(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario",
    ])?;
    let q = coverage_query(&s, &p)?;
    render::json(&s.coverage.coverage(&q, p.level_or_township()?).await?)
}

/// Service-area polygons of a category (walking).
#[utoipa::path(get, path = "/api/v1/coverage/area", tag = "coverage",
    params(
        ("category" = CategoryId, Query, description = "one category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "0 < m <= 120, default 15"),
        ("mode" = Option<ModeName>, Query, description = "walk only"),
        ("profile" = Option<ProfileName>, Query, description = "standard or elderly"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id"),
        ("cell_m" = Option<u64>, Query, minimum = 10, maximum = 500, description = "grid cell, 10..=500 m, default 50"),
    ),
    responses((status = 200, description = "Service areas", body = AreaCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn area(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "profile", "scenario", "cell_m", "mode",
    ])?;
    let q = coverage_query(&s, &p)?;
    let cell_m = p.int("cell_m", 50, 10, 500)? as f64;
    Ok(render::bytes(
        render::GEOJSON,
        s.coverage.area(&q, cell_m).await?,
    ))
}

/// Uncovered areas within units, most uncovered elderly first.
#[utoipa::path(get, path = "/api/v1/coverage/gaps", tag = "coverage",
    params(
        ("category" = CategoryId, Query, description = "one category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "0 < m <= 120, default 15"),
        ("mode" = Option<ModeName>, Query, description = "walk (default) or straight"),
        ("level" = Option<LevelName>, Query, description = "gaps never cross a unit of this level (default township)"),
        ("profile" = Option<ProfileName>, Query, description = "standard or elderly"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 10000, description = "1..=10000, default 100"),
        ("cell_m" = Option<u64>, Query, minimum = 50, maximum = 2000, description = "grid cell, 50..=2000 m, default 200"),
    ),
    responses((status = 200, description = "Gaps", body = GapCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn gaps(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario", "limit", "cell_m",
    ])?;
    let q = coverage_query(&s, &p)?;
    let level = p.level_or_township()?;
    let limit = p.int("limit", 100, 1, 10_000)? as usize;
    let cell_m = p.int("cell_m", 200, 50, 2_000)? as f64;
    Ok(render::bytes(
        render::GEOJSON,
        s.coverage.gaps(&q, level, limit, cell_m).await?,
    ))
}

/// The plan indicators of every township or community.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "coverage",
    params(
        ("level" = Option<LevelName>, Query, description = "township (default) or community"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id"),
        ("profile" = Option<ProfileName>, Query, description = "standard or elderly"),
    ),
    responses((status = 200, description = "Indicators per unit", body = IndicatorsAnswer), ErrorResponses))]
pub async fn indicators(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&["level", "scenario", "profile"])?;
    let level = p.level_or_township()?;
    let scenario = p
        .get("scenario")
        .map(|id| s.coverage.scenario(id))
        .transpose()?;
    let profile = p.profile()?;
    render::json(&s.coverage.indicators(level, scenario, profile).await?)
}

/// `k` suggested sites that newly cover the most elderly (greedy maximal covering).
#[utoipa::path(post, path = "/api/v1/siting", tag = "coverage",
    request_body = SitingRequest,
    responses((status = 200, description = "Sites in the order chosen", body = SitingAnswer, content_type = "application/geo+json"),
        (status = 413, description = "Body over 1 MiB", body = crate::http::error::ErrorBody), ErrorResponses))]
pub async fn siting(State(s): State<SharedState>, body: Body) -> Result<Response, ApiError> {
    let b: SitingRequest = render::json_body(body).await?;
    let q = CoverageQuery {
        category: b.category,
        minutes: check_minutes(b.minutes)?,
        mode: CoverageMode::Walk,
        profile: profile_named(b.profile.as_deref(), "profile")?,
        scenario: b
            .scenario
            .as_deref()
            .map(|id| s.coverage.scenario(id))
            .transpose()?,
    };
    let k = usize::try_from(b.k).unwrap_or(usize::MAX);
    render::geojson(&s.coverage.siting(&q, k).await?)
}
