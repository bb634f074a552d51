//! Planners' routes: coverage per unit, service areas, gaps, indicators and siting.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::coverage::CoverageMode;

use crate::http::auth::Caller;
use crate::http::error::{ApiError, AuthResponses, ErrorResponses};
use crate::http::params::{check_minutes, format_named, profile_named, Format, Params};
use crate::http::render;
use crate::http::schema::{AsOfDay, CategoryId, FormatName, LevelName, ModeName, ProfileName};
use crate::service::as_of::AsOf;
use crate::service::coverage::export::{self, Chains, CsvFile};
use crate::service::coverage::{
    AreaCollection, CoverageAnswer, CoverageQuery, GapCollection, IndicatorsAnswer, SitingAnswer,
    SitingRequest, StoredScenario,
};
use crate::service::ServiceError;
use crate::service::{AppState, SharedState};
use civmap_data::accounts::Role;
use std::sync::Arc;

/// The parameters every coverage route takes (scenario looked up: 401 when anonymous,
/// 404 when unknown or someone else's).
pub async fn coverage_query(
    s: &AppState,
    p: &Params,
    caller: &Caller,
) -> Result<CoverageQuery, ApiError> {
    Ok(CoverageQuery {
        category: p.one_category()?,
        minutes: p.minutes()?,
        mode: p.mode("walk")?,
        profile: p.profile()?,
        scenario: scenario_of(s, p.get("scenario"), caller).await?,
    })
}

/// A scenario named by a request: the caller must be a planner and its owner.
pub async fn scenario_of(
    s: &AppState,
    id: Option<&str>,
    caller: &Caller,
) -> Result<Option<Arc<StoredScenario>>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let owner = caller.require(Role::Planner)?;
    Ok(Some(s.coverage.scenario(id, owner.name()).await?))
}

/// Whether the caller may see person counts below the unit level (planners).
fn sees_people(caller: &Caller) -> bool {
    caller
        .principal
        .as_ref()
        .is_some_and(|p| p.has(Role::Planner))
}

/// Renders an answer as JSON (`json`: plain or GeoJSON) or as its CSV export. An export
/// is for planners and is audited (`export.csv`, the request as target) before it is sent;
/// its unit chain columns are those of the edition the answer is `as_of`.
async fn render_as<T: serde::Serialize>(
    s: &AppState,
    (caller, request, as_of): (&Caller, &str, AsOf),
    format: Format,
    answer: &T,
    geojson: bool,
    to_csv: impl FnOnce(&T, &Chains<'_>) -> Result<CsvFile, ServiceError>,
) -> Result<Response, ApiError> {
    match format {
        Format::Csv => {
            caller.require(Role::Planner)?;
            let file = match as_of {
                AsOf::Past { edition, .. } => {
                    CsvFile::of(answer, &s.data.as_of_view(edition)?.units, to_csv)?
                }
                AsOf::Today => CsvFile::of(answer, &s.data.read().data.data().admin, to_csv)?,
            };
            let after = serde_json::json!({"file": file.filename, "bytes": file.bytes.len()});
            let record = caller.record("export.csv", format!("export:{request}"));
            s.identity.audit(record.after(after)).await?;
            Ok(render::csv(file))
        }
        Format::Json if geojson => render::geojson(answer),
        Format::Json => render::json(answer),
    }
}

/// Who lives within `minutes` of a category, per unit.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "coverage",
    params(
        ("category" = CategoryId, Query, description = "one category id"),
        ("minutes" = Option<f64>, Query, exclusive_minimum = 0, maximum = 120, description = "0 < m <= 120, default 15"),
        ("mode" = Option<ModeName>, Query, description = "walk (default) or straight"),
        ("level" = Option<LevelName>, Query, description = "city, district, township (default) or community"),
        ("profile" = Option<ProfileName>, Query, description = "standard (1.0 m/s) or elderly (0.8 m/s)"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id; the answer then carries its delta against the base"),
        ("format" = Option<FormatName>, Query, description = "json (default) or csv (UTF-8 with BOM, unit chain columns, parameters in the file name)"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: per unit of the edition in force that day (today's facilities and doorplates, summed over the units of today each was made from)"),
    ),
    responses((status = 200, description = "Coverage per unit", content((CoverageAnswer = "application/json"), (String = "text/csv"))), AuthResponses, ErrorResponses))]
pub async fn coverage(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario", "format", "as_of",
    ])?;
    let q = coverage_query(&s, &p, &caller).await?;
    let format = p.format()?;
    let as_of = p.as_of()?;
    let level = p.level_or_township()?;
    let answer = s.coverage.coverage_as_of(&q, level, as_of).await?;
    let request = format!("/api/v1/coverage?{}", raw.unwrap_or_default());
    render_as(
        &s,
        (&caller, &request, as_of),
        format,
        &answer,
        false,
        export::coverage_csv,
    )
    .await
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
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: checked and named in the answer's as_of; service areas do not depend on the division, so the polygons are today's"),
    ),
    responses((status = 200, description = "Service areas", body = AreaCollection, content_type = "application/geo+json"), AuthResponses, ErrorResponses))]
pub async fn area(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "profile", "scenario", "cell_m", "mode", "as_of",
    ])?;
    let q = coverage_query(&s, &p, &caller).await?;
    let cell_m = p.int("cell_m", 50, 10, 500)? as f64;
    let as_of = p.as_of()?;
    Ok(render::bytes(
        render::GEOJSON,
        s.coverage.area_as_of(&q, cell_m, as_of).await?,
    ))
}

/// The parameters part of a gaps export's file name, e.g. `elder_canteen_3min_walk_township`.
fn gaps_file_stem(q: &CoverageQuery, level: civmap_geo_core::AdminLevel) -> String {
    let mode = crate::service::coverage::mode_name(q.mode);
    format!(
        "{}_{}min_{mode}_{}",
        q.category.id(),
        q.minutes,
        level.as_str()
    )
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
        ("offset" = Option<u64>, Query, description = "gaps to skip (paging), default 0; numberMatched is the total"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 10000, description = "1..=10000, default 100"),
        ("cell_m" = Option<u64>, Query, minimum = 50, maximum = 2000, description = "grid cell, 50..=2000 m, default 200"),
        ("format" = Option<FormatName>, Query, description = "json (default, GeoJSON) or csv (one row per gap of the page, centroid instead of outline)"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: gaps kept within the units of the edition in force that day (today's facilities and doorplates; each unit made of today's units, geometry_from)"),
    ),
    responses((status = 200, description = "Gaps (elderly and population counts for planners only)", content((GapCollection = "application/geo+json"), (String = "text/csv"))), AuthResponses, ErrorResponses))]
pub async fn gaps(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario", "offset", "limit", "cell_m",
        "format", "as_of",
    ])?;
    let q = coverage_query(&s, &p, &caller).await?;
    let level = p.level_or_township()?;
    let page = (
        p.int("offset", 0, 0, u32::MAX as u64)? as usize,
        p.int("limit", 100, 1, 10_000)? as usize,
    );
    let cell_m = p.int("cell_m", 200, 50, 2_000)? as f64;
    let (format, as_of) = (p.format()?, p.as_of()?);
    let gaps = s.coverage.gaps_as_of(&q, level, page, cell_m, as_of);
    let mut answer = gaps.await?;
    if !sees_people(&caller) {
        answer = answer.without_people();
    }
    let request = format!("/api/v1/coverage/gaps?{}", raw.unwrap_or_default());
    let name = gaps_file_stem(&q, level);
    render_as(
        &s,
        (&caller, &request, as_of),
        format,
        &answer,
        true,
        |a, c| export::gaps_csv(a, &name, c),
    )
    .await
}

/// The plan indicators of every unit of a level (district and city: roll-ups).
#[utoipa::path(get, path = "/api/v1/indicators", tag = "coverage",
    params(
        ("level" = Option<LevelName>, Query, description = "township (default) or community; district or city for roll-ups of the same records"),
        ("scenario" = Option<String>, Query, description = "a what-if scenario id"),
        ("profile" = Option<ProfileName>, Query, description = "standard or elderly"),
        ("format" = Option<FormatName>, Query, description = "json (default) or csv (one row per unit and indicator)"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: the units of the edition in force that day (today's facilities and doorplates, summed over the units of today each was made from)"),
    ),
    responses((status = 200, description = "Indicators per unit", content((IndicatorsAnswer = "application/json"), (String = "text/csv"))), AuthResponses, ErrorResponses))]
pub async fn indicators(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&["level", "scenario", "profile", "format", "as_of"])?;
    let level = p.level_or_township()?;
    let scenario = scenario_of(&s, p.get("scenario"), &caller).await?;
    let (profile, format, as_of) = (p.profile()?, p.format()?, p.as_of()?);
    let answer = (s.coverage)
        .indicators_as_of(level, scenario, profile, as_of)
        .await?;
    let request = format!("/api/v1/indicators?{}", raw.unwrap_or_default());
    render_as(
        &s,
        (&caller, &request, as_of),
        format,
        &answer,
        false,
        export::indicators_csv,
    )
    .await
}

/// `k` suggested sites that newly cover the most elderly (greedy maximal covering; planners).
#[utoipa::path(post, path = "/api/v1/siting", security(("bearer" = [])), tag = "coverage",
    request_body = SitingRequest,
    params(("format" = Option<FormatName>, Query, description = "json (default, GeoJSON) or csv; the body's format does the same"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: `area` is a unit of the edition in force that day (shape rebuilt from today's units), the sites' units that edition's; the body's as_of does the same")),
    responses((status = 200, description = "Sites in the order chosen", content((SitingAnswer = "application/geo+json"), (String = "text/csv"))),
        (status = 413, description = "Body over 1 MiB", body = crate::http::error::ErrorBody), AuthResponses, ErrorResponses))]
pub async fn siting(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Planner)?;
    let p = Params::parse(raw.as_deref())?;
    p.only(&["format", "as_of"])?;
    let b: SitingRequest = render::json_body(body).await?;
    let format = match b.format.as_deref() {
        Some(f) => format_named(Some(f), "format")?,
        None => p.format()?,
    };
    let as_of = AsOf::parse("as_of", b.as_of.as_deref().or(p.get("as_of")))?;
    let q = CoverageQuery {
        category: b.category,
        minutes: check_minutes(b.minutes)?,
        mode: CoverageMode::Walk,
        profile: profile_named(b.profile.as_deref(), "profile")?,
        scenario: scenario_of(&s, b.scenario.as_deref(), &caller).await?,
    };
    let k = usize::try_from(b.k).unwrap_or(usize::MAX);
    let answer = (s.coverage)
        .siting_as_of(&q, k, b.area.as_deref(), as_of)
        .await?;
    let request = format!("/api/v1/siting {}", q.category.id());
    render_as(
        &s,
        (&caller, &request, as_of),
        format,
        &answer,
        true,
        export::siting_csv,
    )
    .await
}
