//! Place-name routes: the check of one name, same and same-sounding names by scope, and
//! the city's clean-up list.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::names::{BuildingSize, NameKind};
use civmap_geo_core::AdminCode;

use crate::http::error::{ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::{NameKindName, NamedLayerName};
use crate::service::error::blocking;
use crate::service::names::{
    CheckRequest, CleanupAnswer, DuplicatesAnswer, NameCheckAnswer, NamedLayer, Scope,
};
use crate::service::SharedState;

/// The `kind` parameter, when given.
fn kind(p: &Params) -> Result<Option<NameKind>, ApiError> {
    p.get("kind")
        .map(|k| NameKind::parse(k).map_err(|e| ApiError::bad("kind", e.to_string())))
        .transpose()
}

/// What is known of the building (`height_m`, `floors`), if anything.
fn building(p: &Params) -> Result<Option<BuildingSize>, ApiError> {
    let height_m = p.get("height_m").map(|_| p.float("height_m")).transpose()?;
    let floors = p
        .get("floors")
        .map(|_| p.int("floors", 0, 0, 500))
        .transpose()?;
    if height_m.is_some_and(|h| !(0.0..=1000.0).contains(&h)) {
        return Err(ApiError::range("height_m", "must be between 0 and 1000"));
    }
    Ok(
        (height_m.is_some() || floors.is_some()).then(|| BuildingSize {
            height_m,
            floors: floors.map(|f| f as u32),
        }),
    )
}

/// The rules a name breaks (grand, foreign, odd, stacked, size, english; with `scope`,
/// duplicate and homophone among the names of its kind there) and its romanised forms.
#[utoipa::path(get, path = "/api/v1/names/check", tag = "names",
    params(
        ("name" = String, Query, description = "the name, e.g. 文三路 or 观山村委会"),
        ("kind" = NameKindName, Query, description = "what it names"),
        ("scope" = Option<String>, Query, description = "12-digit unit code: compare with the names of this kind in use there"),
        ("height_m" = Option<f64>, Query, minimum = 0, maximum = 1000, description = "building height (generic-term size rules)"),
        ("floors" = Option<u64>, Query, minimum = 0, maximum = 500, description = "building floors (generic-term size rules)"),
        ("english" = Option<String>, Query, description = "an existing English or pinyin name to lint, e.g. Wensan Road"),
    ),
    responses((status = 200, description = "Findings and romanised forms", body = NameCheckAnswer), ErrorResponses))]
pub async fn check(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["name", "kind", "scope", "height_m", "floors", "english"])?;
    let name = p
        .get("name")
        .ok_or_else(|| ApiError::bad("name", "required"))?;
    let kind = kind(&p)?.ok_or_else(|| ApiError::bad("kind", "required"))?;
    let scope = p.get("scope").map(AdminCode::parse).transpose();
    let scope = scope.map_err(|e| ApiError::bad("scope", e.to_string()))?;
    let req = CheckRequest {
        name,
        kind,
        scope,
        building: building(&p)?,
        english: p.get("english"),
    };
    render::json(&s.data.check_name(&req)?)
}

/// Same and same-sounding names: `level`'s names within `scope` (a unit, or each unit of
/// a level).
#[utoipa::path(get, path = "/api/v1/names/duplicates", tag = "names",
    params(
        ("level" = NamedLayerName, Query, description = "the names compared"),
        ("scope" = String, Query, description = "a 12-digit unit code, or a level (city, district, township): within each unit of it"),
    ),
    responses((status = 200, description = "Groups of clashing names", body = DuplicatesAnswer), ErrorResponses))]
pub async fn duplicates(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["level", "scope"])?;
    let level = NamedLayer::parse(
        p.get("level")
            .ok_or_else(|| ApiError::bad("level", "required"))?,
    )?;
    let scope = Scope::parse(
        p.get("scope")
            .ok_or_else(|| ApiError::bad("scope", "required"))?,
    )?;
    let answer = blocking(move || s.data.name_duplicates(level, &scope)).await?;
    render::json(&answer)
}

/// The clean-up list: every unit, road and facility name with findings, and what a
/// rename touches.
#[utoipa::path(get, path = "/api/v1/names/cleanup", tag = "names",
    params(("kind" = Option<NameKindName>, Query, description = "only names of this kind (district, township, community, road, facility)")),
    responses((status = 200, description = "The records with findings", body = CleanupAnswer), ErrorResponses))]
pub async fn cleanup(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["kind"])?;
    let kind = kind(&p)?;
    render::json(&blocking(move || s.data.name_cleanup(kind)).await?)
}
