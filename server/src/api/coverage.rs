//! The planners' routes: coverage per unit, service areas, gaps, plan indicators, what-if
//! scenarios and siting — all answered by the coverage engine (`crate::coverage_service`),
//! with facilities read from the live data on every request.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use civmap_geo_core::coverage::{
    plan_indicators, suggest_sites, CoverageMode, CoverageReport, CoverageResult, Gap, Scenario,
    WalkProfile,
};
use civmap_geo_core::{AdminLevel, Dataset, FacilityAttributes, FacilityCategory};
use geo::{MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{geojson_bytes, json_bytes, ApiError, Params};
use crate::coverage_service::{
    AddedFacility, CoverageService, EngineSnapshot, ResultKey, StoredScenario, WalkState,
};
use crate::state::{LiveData, SharedState};

/// Longest time limit, minutes.
pub const MAX_MINUTES: f64 = 120.0;
/// Largest request body (scenarios, siting), bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most edits in one scenario.
pub const MAX_EDITS: usize = 10_000;
/// Largest `k` for siting.
pub const MAX_SITING_K: u64 = 50;

/// The parameters every coverage computation takes.
#[derive(Debug, Clone)]
pub struct CoverageQuery {
    /// Facility category.
    pub category: FacilityCategory,
    /// Time limit.
    pub minutes: f64,
    /// Walk or straight.
    pub mode: CoverageMode,
    /// Walking profile.
    pub profile: WalkProfile,
    /// Scenario, if any.
    pub scenario: Option<Arc<StoredScenario>>,
}

impl CoverageQuery {
    fn key(&self, with_scenario: bool) -> ResultKey {
        ResultKey {
            category: self.category,
            minutes_bits: self.minutes.to_bits(),
            mode: mode_str(self.mode),
            profile: profile_str(&self.profile),
            scenario: with_scenario
                .then(|| self.scenario.as_ref().map(|s| s.id.clone()))
                .flatten(),
        }
    }
}

fn mode_str(m: CoverageMode) -> &'static str {
    match m {
        CoverageMode::Walk => "walk",
        _ => "straight",
    }
}

fn profile_str(p: &WalkProfile) -> &'static str {
    if p.speed_m_per_s == WalkProfile::ELDERLY_SPEED_M_PER_S {
        "elderly"
    } else {
        "standard"
    }
}

/// `category` (one, required).
pub fn category(p: &Params) -> Result<FacilityCategory, ApiError> {
    let cats = p.categories("category")?;
    match cats.as_slice() {
        [c] => Ok(*c),
        [] => Err(ApiError::bad(
            "category",
            format!("required; one of: {}", FacilityCategory::ids().join(", ")),
        )),
        _ => Err(ApiError::bad("category", "give exactly one category")),
    }
}

/// `minutes` in (0, 120], default 15.
pub fn minutes(p: &Params) -> Result<f64, ApiError> {
    if p.get("minutes").is_none() {
        return Ok(15.0);
    }
    let m = p.float("minutes")?;
    if !(m > 0.0 && m <= MAX_MINUTES) {
        return Err(ApiError::range(
            "minutes",
            format!("must be > 0 and <= {MAX_MINUTES}, got {m}"),
        ));
    }
    Ok(m)
}

/// `mode=walk|straight`, default walk.
pub fn mode(p: &Params) -> Result<CoverageMode, ApiError> {
    match p.get("mode").map(str::trim).unwrap_or("walk") {
        "walk" => Ok(CoverageMode::Walk),
        "straight" => Ok(CoverageMode::Straight),
        other => Err(ApiError::bad(
            "mode",
            format!("expected walk or straight, got {other:?}"),
        )),
    }
}

/// `profile=standard|elderly` (1.0 / 0.8 m/s), default standard.
pub fn profile(p: &Params) -> Result<WalkProfile, ApiError> {
    profile_named(p.get("profile"), "profile")
}

fn profile_named(v: Option<&str>, param: &str) -> Result<WalkProfile, ApiError> {
    match v.map(str::trim).unwrap_or("standard") {
        "standard" | "default" => Ok(WalkProfile::standard()),
        "elderly" => Ok(WalkProfile::elderly()),
        other => Err(ApiError::bad(
            param,
            format!("expected standard (1.0 m/s) or elderly (0.8 m/s), got {other:?}"),
        )),
    }
}

/// `scenario=ID`: 404 when unknown.
pub fn scenario(s: &SharedState, p: &Params) -> Result<Option<Arc<StoredScenario>>, ApiError> {
    scenario_named(s, p.get("scenario"))
}

fn scenario_named(
    s: &SharedState,
    id: Option<&str>,
) -> Result<Option<Arc<StoredScenario>>, ApiError> {
    id.map(|id| {
        s.coverage
            .scenario(id.trim())
            .ok_or_else(|| ApiError::NotFound(format!("no scenario {id:?} (scenarios live in memory; they are lost on restart and the oldest is evicted beyond {})", crate::coverage_service::MAX_SCENARIOS)))
    })
    .transpose()
}

/// `level`, default township.
fn level(p: &Params) -> Result<AdminLevel, ApiError> {
    Ok(p.level("level")?.unwrap_or(AdminLevel::Township))
}

/// The category's sources in the base data: `(record, lon, lat)`, record = facility index.
pub fn base_sources(data: &Dataset, category: FacilityCategory) -> Vec<(u32, f64, f64)> {
    data.facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == category)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect()
}

/// A scenario's edits to one category, in records of the current data.
fn scenario_edits(
    live: &LiveData,
    sc: &StoredScenario,
    category: FacilityCategory,
) -> Result<Scenario, ApiError> {
    let d = live.data.data();
    let record = |id: &str| {
        live.data.facility_record(id).ok_or_else(|| {
            ApiError::range(
                "scenario",
                format!(
                    "scenario {} names facility {id:?}, which no longer exists",
                    sc.id
                ),
            )
        })
    };
    let mut out = Scenario::default();
    for id in &sc.close {
        let r = record(id)?;
        if d.facilities[r as usize].category == category {
            out.close.push(r);
        }
    }
    for (id, lon, lat) in &sc.moves {
        let r = record(id)?;
        if d.facilities[r as usize].category == category {
            out.moves.push((r, *lon, *lat));
        }
    }
    out.add = sc
        .add
        .iter()
        .filter(|a| a.category == category)
        .map(|a| (a.id.clone(), a.lon, a.lat))
        .collect();
    Ok(out)
}

/// The source list with a scenario's edits applied (for straight mode and siting); added
/// facilities get records past the dataset's.
fn edited_sources(live: &LiveData, q: &CoverageQuery) -> Result<Vec<(u32, f64, f64)>, ApiError> {
    let d = live.data.data();
    let mut sources = base_sources(d, q.category);
    if let Some(sc) = &q.scenario {
        let e = scenario_edits(live, sc, q.category)?;
        sources.retain(|s| !e.close.contains(&s.0));
        for (r, lon, lat) in &e.moves {
            if let Some(s) = sources.iter_mut().find(|s| s.0 == *r) {
                *s = (*r, *lon, *lat);
            }
        }
        let n = d.facilities.len() as u32;
        sources.extend(
            e.add
                .iter()
                .enumerate()
                .map(|(i, (_, lon, lat))| (n + i as u32, *lon, *lat)),
        );
    }
    Ok(sources)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

/// The walking state (labels + result) of a query, scenario applied; cached.
pub async fn walk_state(
    s: &SharedState,
    snap: &EngineSnapshot,
    q: &CoverageQuery,
) -> Result<Arc<WalkState>, ApiError> {
    let svc = &s.coverage;
    let g = snap.generation;
    let full_key = q.key(true);
    if let Some(st) = svc.cached_state(&full_key, g) {
        return Ok(st);
    }
    let version = svc.version();
    let base_key = q.key(false);
    let base = match svc.cached_state(&base_key, g) {
        Some(b) => b,
        None => {
            let sources = base_sources(s.read().data.data(), q.category);
            let engine = snap.engine.clone();
            let (minutes, profile) = (q.minutes, q.profile.clone());
            let b = blocking(move || {
                WalkState::new(engine, &sources, minutes, &profile)
                    .map(Arc::new)
                    .map_err(|e| ApiError::range("minutes", e.to_string()))
            })
            .await?;
            svc.put_state(base_key, b.clone(), g, version);
            b
        }
    };
    let Some(sc) = &q.scenario else {
        return Ok(base);
    };
    let edits = scenario_edits(&s.read(), sc, q.category)?;
    let st = blocking(move || {
        let mut st = (*base).clone();
        st.apply(&edits)
            .map_err(|e| ApiError::range("scenario", e.to_string()))?;
        Ok(Arc::new(st))
    })
    .await?;
    svc.put_state(full_key, st.clone(), g, version);
    Ok(st)
}

/// The whole-city result of a query; cached.
pub async fn result(
    s: &SharedState,
    snap: &EngineSnapshot,
    q: &CoverageQuery,
) -> Result<Arc<CoverageResult>, ApiError> {
    let svc = &s.coverage;
    let key = q.key(true);
    if let Some(r) = svc.cached_result(&key, snap.generation) {
        return Ok(r);
    }
    let version = svc.version();
    let r = match q.mode {
        CoverageMode::Walk => {
            let st = walk_state(s, snap, q).await?;
            Arc::new(st.current().clone())
        }
        _ => {
            let sources = edited_sources(&s.read(), q)?;
            let engine = snap.engine.clone();
            let (minutes, profile) = (q.minutes, q.profile.clone());
            blocking(move || {
                engine
                    .coverage(&sources, minutes, &profile, CoverageMode::Straight)
                    .map(Arc::new)
                    .map_err(|e| ApiError::range("minutes", e.to_string()))
            })
            .await?
        }
    };
    svc.put_result(key, r.clone(), snap.generation, version);
    Ok(r)
}

pub(crate) fn query(s: &SharedState, p: &Params) -> Result<CoverageQuery, ApiError> {
    Ok(CoverageQuery {
        category: category(p)?,
        minutes: minutes(p)?,
        mode: mode(p)?,
        profile: profile(p)?,
        scenario: scenario(s, p)?,
    })
}

fn share(covered: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        covered as f64 / all as f64
    }
}

/// The `/api/v1/coverage` body of a report.
pub fn report_json(report: &CoverageReport, q: &CoverageQuery, level: AdminLevel) -> Value {
    let units: Vec<Value> = report
        .units
        .iter()
        .map(|u| {
            json!({
                "code": u.code.as_str(), "name": u.name, "level": u.level.as_str(),
                "population": u.population, "covered_population": u.covered_population,
                "elderly": u.elderly, "covered_elderly": u.covered_elderly,
                "share_elderly": u.share_elderly,
                "share_population": share(u.covered_population, u.population),
            })
        })
        .collect();
    let t = &report.total;
    json!({
        "category": q.category.id(),
        "minutes": q.minutes,
        "mode": mode_str(q.mode),
        "profile": profile_str(&q.profile),
        "speed_m_per_s": q.profile.speed_m_per_s,
        "limit_m": q.profile.distance_m(q.minutes),
        "level": level.as_str(),
        "scenario": q.scenario.as_ref().map(|s| s.id.clone()),
        "units": units,
        "total": {
            "population": t.population, "covered_population": t.covered_population,
            "elderly": t.elderly, "covered_elderly": t.covered_elderly,
            "share_elderly": t.share_elderly,
            "share_population": share(t.covered_population, t.population),
        },
    })
}

fn to_vec(v: &Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(internal)
}

/// `GET /api/v1/coverage`.
pub async fn coverage(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario",
    ])?;
    let q = query(&s, &p)?;
    let level = level(&p)?;
    let snap = CoverageService::engine(&s).await?;
    let r = result(&s, &snap, &q).await?;
    let report = snap.engine.report(&r, Some(level));
    Ok(json_bytes(to_vec(&report_json(&report, &q, level))?))
}

fn polygon_json(p: &Polygon<f64>) -> Value {
    let ring = |ls: &geo::LineString<f64>| -> Value {
        Value::Array(ls.0.iter().map(|c| json!([c.x, c.y])).collect())
    };
    let mut rings = vec![ring(p.exterior())];
    rings.extend(p.interiors().iter().map(ring));
    json!({"type": "Polygon", "coordinates": rings})
}

/// `GET /api/v1/coverage/area`: one Feature per service-area polygon (holes kept).
pub async fn area(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "profile", "scenario", "cell_m", "mode",
    ])?;
    let q = query(&s, &p)?;
    if q.mode != CoverageMode::Walk {
        return Err(ApiError::bad(
            "mode",
            "service areas are walking areas: use mode=walk (the default)",
        ));
    }
    let cell_m = p.int("cell_m", 50, 10, 500)? as f64;
    let snap = CoverageService::engine(&s).await?;
    let body_key = format!("area|{:?}|{cell_m}", q.key(true));
    if let Some(b) = s.coverage.cached_body(&body_key, snap.generation) {
        return Ok(geojson_bytes(b));
    }
    let version = s.coverage.version();
    let st = walk_state(&s, &snap, &q).await?;
    let areas: MultiPolygon<f64> = blocking(move || {
        st.service_area(cell_m)
            .map_err(|e| ApiError::range("cell_m", e.to_string()))
    })
    .await?;
    let synthetic = s.read().data.data().network.synthetic;
    let features: Vec<Value> = areas
        .0
        .iter()
        .map(|poly| {
            json!({"type": "Feature", "geometry": polygon_json(poly), "properties": {
                "category": q.category.id(), "minutes": q.minutes,
                "profile": profile_str(&q.profile), "cell_m": cell_m,
                "scenario": q.scenario.as_ref().map(|s| s.id.clone()), "synthetic": synthetic,
            }})
        })
        .collect();
    let body = axum::body::Bytes::from(to_vec(
        &json!({"type": "FeatureCollection", "features": features}),
    )?);
    s.coverage
        .put_body(body_key, body.clone(), snap.generation, version);
    Ok(geojson_bytes(body))
}

/// The unit of `level` that most of a gap's doorplates belong to.
fn gap_unit(live: &LiveData, gap: &Gap, level: AdminLevel) -> Value {
    let d = live.data.data();
    let by_code: std::collections::HashMap<&civmap_geo_core::AdminCode, usize> = d
        .admin
        .iter()
        .enumerate()
        .map(|(i, u)| (&u.code, i))
        .collect();
    let mut votes: std::collections::HashMap<usize, usize> = Default::default();
    for &i in &gap.doorplates {
        let Some(dp) = d.doorplates.get(i as usize) else {
            continue;
        };
        let mut cur = dp.community.as_ref().and_then(|c| by_code.get(c)).copied();
        let mut hops = 0;
        while let Some(u) = cur {
            if d.admin[u].level == level || hops > 8 {
                break;
            }
            cur = d.admin[u]
                .parent
                .as_ref()
                .and_then(|c| by_code.get(c))
                .copied();
            hops += 1;
        }
        if let Some(u) = cur.filter(|&u| d.admin[u].level == level) {
            *votes.entry(u).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by_key(|&(u, n)| (n, std::cmp::Reverse(u)))
        .map(|(u, _)| {
            let a = &d.admin[u];
            json!({"code": a.code.as_str(), "name": a.name, "level": a.level.as_str()})
        })
        .unwrap_or(Value::Null)
}

/// `GET /api/v1/coverage/gaps`: uncovered areas, most uncovered elderly first.
pub async fn gaps(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&[
        "category", "minutes", "mode", "level", "profile", "scenario", "limit", "cell_m",
    ])?;
    let q = query(&s, &p)?;
    let level = level(&p)?;
    let limit = p.int("limit", 100, 1, 10_000)? as usize;
    let cell_m = p.int("cell_m", 200, 50, 2_000)? as f64;
    let snap = CoverageService::engine(&s).await?;
    let body_key = format!("gaps|{:?}|{cell_m}|{level:?}|{limit}", q.key(true));
    if let Some(b) = s.coverage.cached_body(&body_key, snap.generation) {
        return Ok(geojson_bytes(b));
    }
    let version = s.coverage.version();
    let r = result(&s, &snap, &q).await?;
    let engine = snap.engine.clone();
    let all = blocking(move || {
        engine
            .gaps(&r, cell_m)
            .map_err(|e| ApiError::range("cell_m", e.to_string()))
    })
    .await?;
    let live = s.read();
    let synthetic = live.data.data().doorplates.iter().any(|d| d.synthetic);
    let features: Vec<Value> = all
        .iter()
        .take(limit)
        .enumerate()
        .map(|(rank, g)| {
            json!({"type": "Feature", "geometry": polygon_json(&g.polygon), "properties": {
                "rank": rank + 1, "elderly": g.elderly, "population": g.residents,
                "doorplates": g.doorplates.len(), "cells": g.cells,
                "admin": gap_unit(&live, g, level),
                "category": q.category.id(), "minutes": q.minutes, "mode": mode_str(q.mode),
                "synthetic": synthetic,
            }})
        })
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features,
        "numberMatched": all.len(), "numberReturned": features.len(),
        "scenario": q.scenario.as_ref().map(|s| s.id.clone())});
    drop(live);
    let body = axum::body::Bytes::from(to_vec(&body)?);
    s.coverage
        .put_body(body_key, body.clone(), snap.generation, version);
    Ok(geojson_bytes(body))
}

/// `GET /api/v1/indicators?level=township|community&scenario&profile`.
pub async fn indicators(
    State(s): State<SharedState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref())?;
    p.only(&["level", "scenario", "profile"])?;
    let level = level(&p)?;
    if !matches!(level, AdminLevel::Township | AdminLevel::Community) {
        return Err(ApiError::bad(
            "level",
            "indicators are per township or community",
        ));
    }
    let sc = scenario(&s, &p)?;
    let prof = profile(&p)?;
    let snap = CoverageService::engine(&s).await?;
    let mut reports = Vec::new();
    for minutes in [15.0, 20.0] {
        let q = CoverageQuery {
            category: FacilityCategory::HomeCareCentre,
            minutes,
            mode: CoverageMode::Walk,
            profile: prof.clone(),
            scenario: sc.clone(),
        };
        let r = result(&s, &snap, &q).await?;
        reports.push(snap.engine.report(&r, None));
    }
    let live = s.read();
    let d = live.data.data();
    let facilities = match &sc {
        None => d.facilities.clone(),
        Some(sc) => sc
            .facilities(d)?
            .into_iter()
            .map(|(mut f, placed)| {
                if placed {
                    // moved or added: the unit it now stands in
                    f.admin_code = live
                        .data
                        .index()
                        .admin_chain(f.location.x(), f.location.y())
                        .ok()
                        .and_then(|c| c.last().map(|&u| d.admin[u as usize].code.clone()));
                }
                f
            })
            .collect(),
    };
    let rows = plan_indicators(&d.admin, &facilities, &reports[0], &reports[1], level);
    let body = json!({
        "level": level.as_str(),
        "scenario": sc.as_ref().map(|s| s.id.clone()),
        "profile": profile_str(&prof),
        "units": rows.iter().map(|u| json!({
            "code": u.code.as_str(), "name": u.name, "level": u.level.as_str(),
            "elderly": u.elderly,
            "indicators": u.indicators.iter().map(|i| json!({
                "id": i.id.as_str(), "name_zh": i.name_zh, "unit": i.unit, "value": i.value,
                "target_2022": i.target_2022, "target_2025": i.target_2025, "pass": i.pass,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "docs": "docs/indicators.md",
    });
    Ok(json_bytes(to_vec(&body)?))
}

/// Reads a JSON body: 413 beyond [`MAX_BODY_BYTES`], 400 naming the field otherwise.
async fn json_body<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::TooLarge(format!("request body larger than {MAX_BODY_BYTES} bytes"))
        })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        ApiError::bad(&param, e.inner().to_string())
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    id: Option<String>,
    category: Option<FacilityCategory>,
    lon: f64,
    lat: f64,
    name: Option<String>,
    #[serde(default)]
    hub: bool,
    #[serde(default)]
    delivery: bool,
    #[serde(default)]
    demonstration: bool,
    beds: Option<u32>,
    nursing_beds: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    id: String,
    lon: f64,
    lat: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioBody {
    category: Option<FacilityCategory>,
    #[serde(default)]
    add: Vec<AddBody>,
    #[serde(default, rename = "move")]
    moves: Vec<MoveBody>,
    #[serde(default)]
    close: Vec<String>,
}

fn check_point(param: &str, lon: f64, lat: f64) -> Result<(), ApiError> {
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(ApiError::range(
            &format!("{param}.lon"),
            format!("must be within [-180, 180], got {lon}"),
        ));
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ApiError::range(
            &format!("{param}.lat"),
            format!("must be within [-90, 90], got {lat}"),
        ));
    }
    Ok(())
}

fn scenario_json(sc: &StoredScenario, data: &Dataset) -> Value {
    let cat_of = |id: &str| {
        data.facilities
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.category.id())
    };
    let mut cats: Vec<&str> = sc.add.iter().map(|a| a.category.id()).collect();
    cats.extend(sc.moves.iter().filter_map(|m| cat_of(&m.0)));
    cats.extend(sc.close.iter().filter_map(|c| cat_of(c)));
    cats.sort_unstable();
    cats.dedup();
    json!({
        "id": sc.id,
        "created_unix_s": sc.created_unix_s,
        "categories": cats,
        "add": sc.add.iter().map(|a| json!({
            "id": a.id, "category": a.category.id(), "name": a.name, "lon": a.lon, "lat": a.lat,
            "hub": a.attributes.hub, "delivery": a.attributes.delivery,
            "demonstration": a.attributes.demonstration, "beds": a.attributes.beds,
            "nursing_beds": a.attributes.nursing_beds,
        })).collect::<Vec<_>>(),
        "move": sc.moves.iter().map(|(id, lon, lat)| json!({"id": id, "category": cat_of(id), "lon": lon, "lat": lat})).collect::<Vec<_>>(),
        "close": sc.close.iter().map(|id| json!({"id": id, "category": cat_of(id)})).collect::<Vec<_>>(),
    })
}

/// `POST /api/v1/scenarios`: 201 with the stored scenario's summary.
pub async fn create_scenario(
    State(s): State<SharedState>,
    body: Body,
) -> Result<Response, ApiError> {
    let b: ScenarioBody = json_body(body).await?;
    if b.add.len() + b.moves.len() + b.close.len() > MAX_EDITS {
        return Err(ApiError::range(
            "body",
            format!("at most {MAX_EDITS} edits per scenario"),
        ));
    }
    let live = s.read();
    let d = live.data.data();
    let exists = |param: &str, id: &str| {
        live.data
            .facility_record(id)
            .map(|_| ())
            .ok_or_else(|| ApiError::range(param, format!("no facility with id {id:?}")))
    };
    let mut seen = std::collections::HashSet::new();
    for (i, c) in b.close.iter().enumerate() {
        exists(&format!("close[{i}]"), c)?;
        if !seen.insert(c.as_str()) {
            return Err(ApiError::range(
                &format!("close[{i}]"),
                format!("facility {c:?} is edited twice"),
            ));
        }
    }
    for (i, m) in b.moves.iter().enumerate() {
        exists(&format!("move[{i}].id"), &m.id)?;
        check_point(&format!("move[{i}]"), m.lon, m.lat)?;
        if !seen.insert(m.id.as_str()) {
            return Err(ApiError::range(
                &format!("move[{i}].id"),
                format!(
                    "facility {:?} is edited twice (moved and closed, or moved twice)",
                    m.id
                ),
            ));
        }
    }
    let mut add_ids = std::collections::HashSet::new();
    for (i, a) in b.add.iter().enumerate() {
        check_point(&format!("add[{i}]"), a.lon, a.lat)?;
        if a.category.or(b.category).is_none() {
            return Err(ApiError::bad(
                &format!("add[{i}].category"),
                "required (here or as the body's category)",
            ));
        }
        if let (Some(beds), Some(n)) = (a.beds, a.nursing_beds) {
            if n > beds {
                return Err(ApiError::range(
                    &format!("add[{i}].nursing_beds"),
                    format!("nursing_beds ({n}) exceeds beds ({beds})"),
                ));
            }
        }
        if let Some(id) = &a.id {
            if id.trim().is_empty() {
                return Err(ApiError::bad(&format!("add[{i}].id"), "must not be empty"));
            }
            if live.data.facility_record(id).is_some() || !add_ids.insert(id.clone()) {
                return Err(ApiError::range(
                    &format!("add[{i}].id"),
                    format!("id {id:?} is already taken"),
                ));
            }
        }
    }
    let created_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (sc, evicted) = s.coverage.insert_scenario(|id| StoredScenario {
        add: b
            .add
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let category = a.category.or(b.category).expect("checked above");
                AddedFacility {
                    id: a.id.clone().unwrap_or_else(|| format!("{id}-add-{i}")),
                    name: a
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("{} (scenario {id})", category.name_zh())),
                    category,
                    lon: a.lon,
                    lat: a.lat,
                    attributes: FacilityAttributes {
                        hub: a.hub,
                        delivery: a.delivery,
                        demonstration: a.demonstration,
                        beds: a.beds,
                        nursing_beds: a.nursing_beds,
                    },
                }
            })
            .collect(),
        moves: b
            .moves
            .iter()
            .map(|m| (m.id.clone(), m.lon, m.lat))
            .collect(),
        close: b.close.clone(),
        created_unix_s,
        id,
    });
    let mut body = scenario_json(&sc, d);
    body["evicted"] = json!(evicted);
    let location = format!("/api/v1/scenarios/{}", sc.id);
    Ok((
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::LOCATION, location),
        ],
        to_vec(&body)?,
    )
        .into_response())
}

/// `GET /api/v1/scenarios/{id}`.
pub async fn get_scenario(
    State(s): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref())?.only(&[])?;
    let sc = scenario_named(&s, Some(&id))?.expect("some id given");
    let body = scenario_json(&sc, s.read().data.data());
    Ok(json_bytes(to_vec(&body)?))
}

/// `DELETE /api/v1/scenarios/{id}`: 204.
pub async fn delete_scenario(
    State(s): State<SharedState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if s.coverage.delete_scenario(&id) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound(format!("no scenario {id:?}")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SitingBody {
    category: FacilityCategory,
    #[serde(default = "fifteen")]
    minutes: f64,
    k: u64,
    scenario: Option<String>,
    profile: Option<String>,
}

fn fifteen() -> f64 {
    15.0
}

/// `POST /api/v1/siting`: `k` suggested sites (greedy maximal covering).
pub async fn siting(State(s): State<SharedState>, body: Body) -> Result<Response, ApiError> {
    let b: SitingBody = json_body(body).await?;
    if !(1..=MAX_SITING_K).contains(&b.k) {
        return Err(ApiError::range(
            "k",
            format!("must be between 1 and {MAX_SITING_K}, got {}", b.k),
        ));
    }
    if !(b.minutes > 0.0 && b.minutes <= MAX_MINUTES) {
        return Err(ApiError::range(
            "minutes",
            format!("must be > 0 and <= {MAX_MINUTES}, got {}", b.minutes),
        ));
    }
    let q = CoverageQuery {
        category: b.category,
        minutes: b.minutes,
        mode: CoverageMode::Walk,
        profile: profile_named(b.profile.as_deref(), "profile")?,
        scenario: scenario_named(&s, b.scenario.as_deref())?,
    };
    let snap = CoverageService::engine(&s).await?;
    let base = result(&s, &snap, &q).await?;
    let before = snap.engine.report(&base, None).total;
    let sources = edited_sources(&s.read(), &q)?;
    let engine = snap.engine.clone();
    let (minutes, profile, k) = (q.minutes, q.profile.clone(), b.k as usize);
    let sites = blocking(move || {
        suggest_sites(&engine, &sources, minutes, &profile, k, None)
            .map_err(|e| ApiError::range("minutes", e.to_string()))
    })
    .await?;
    let mut cumulative = 0;
    let synthetic = s.read().data.data().doorplates.iter().any(|d| d.synthetic);
    let features: Vec<Value> = sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            cumulative += site.newly_covered_elderly;
            json!({"type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {"rank": i + 1, "newly_covered_elderly": site.newly_covered_elderly,
                    "cumulative_newly_covered_elderly": cumulative, "category": q.category.id(),
                    "minutes": q.minutes, "synthetic": synthetic}})
        })
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features,
        "category": q.category.id(), "minutes": q.minutes, "k": b.k,
        "profile": profile_str(&q.profile),
        "scenario": q.scenario.as_ref().map(|s| s.id.clone()),
        "covered_elderly_before": before.covered_elderly, "elderly": before.elderly,
        "total_newly_covered_elderly": cumulative,
        "covered_elderly_after": before.covered_elderly + cumulative});
    Ok(geojson_bytes(to_vec(&body)?))
}
