//! The planners' answers: coverage per unit, service areas, gaps, plan indicators and
//! suggested sites — computed by the engine, cached by query, returned as typed bodies
//! (the same structs `/api/v1/openapi.json` describes).

use std::sync::Arc;

use civmap_geo_core::coverage::{
    plan_indicators, suggest_sites, CoverageMode, CoverageReport, CoverageResult, WalkProfile,
};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::{base_sources, mode_name, profile_name};
use super::{CoverageQuery, CoverageService, EngineSnapshot, WalkState};
use crate::service::error::blocking;
use crate::service::geojson::{CollectionTag, FeatureTag, Geometry};
use crate::service::spatial::ChainLink;
use crate::service::ServiceError;

/// Largest `k` for siting.
pub const MAX_SITING_K: usize = 50;

fn share(covered: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        covered as f64 / all as f64
    }
}

/// Coverage of one unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitCoverageBody {
    /// 12-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: String,
    /// Residents.
    pub population: u64,
    /// Residents within the limit.
    pub covered_population: u64,
    /// Residents aged 60+.
    pub elderly: u64,
    /// Elderly within the limit.
    pub covered_elderly: u64,
    /// `covered_elderly / elderly` (0 without elderly).
    pub share_elderly: f64,
    /// `covered_population / population`.
    pub share_population: f64,
}

/// Totals over every doorplate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageTotalsBody {
    /// Residents.
    pub population: u64,
    /// Residents within the limit.
    pub covered_population: u64,
    /// Residents aged 60+.
    pub elderly: u64,
    /// Elderly within the limit.
    pub covered_elderly: u64,
    /// `covered_elderly / elderly`.
    pub share_elderly: f64,
    /// `covered_population / population`.
    pub share_population: f64,
}

/// `GET /api/v1/coverage` (and `civmap coverage report`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageAnswer {
    /// Category id.
    pub category: String,
    /// Time limit.
    pub minutes: f64,
    /// `walk` or `straight`.
    pub mode: String,
    /// `standard` or `elderly`.
    pub profile: String,
    /// Walking speed.
    pub speed_m_per_s: f64,
    /// Distance walked in `minutes`.
    pub limit_m: f64,
    /// Level of `units`.
    pub level: String,
    /// Scenario applied.
    pub scenario: Option<String>,
    /// Per unit.
    pub units: Vec<UnitCoverageBody>,
    /// Over every doorplate.
    pub total: CoverageTotalsBody,
}

impl CoverageAnswer {
    /// The answer of a report.
    pub fn new(report: &CoverageReport, q: &CoverageQuery, level: AdminLevel) -> Self {
        let t = &report.total;
        Self {
            category: q.category.id().to_owned(),
            minutes: q.minutes,
            mode: mode_name(q.mode).to_owned(),
            profile: profile_name(&q.profile).to_owned(),
            speed_m_per_s: q.profile.speed_m_per_s,
            limit_m: q.profile.distance_m(q.minutes),
            level: level.as_str().to_owned(),
            scenario: q.scenario_id(),
            units: report
                .units
                .iter()
                .map(|u| UnitCoverageBody {
                    code: u.code.as_str().to_owned(),
                    name: u.name.clone(),
                    level: u.level.as_str().to_owned(),
                    population: u.population,
                    covered_population: u.covered_population,
                    elderly: u.elderly,
                    covered_elderly: u.covered_elderly,
                    share_elderly: u.share_elderly,
                    share_population: share(u.covered_population, u.population),
                })
                .collect(),
            total: CoverageTotalsBody {
                population: t.population,
                covered_population: t.covered_population,
                elderly: t.elderly,
                covered_elderly: t.covered_elderly,
                share_elderly: t.share_elderly,
                share_population: share(t.covered_population, t.population),
            },
        }
    }
}

/// Properties of a service-area polygon.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaProperties {
    /// Category id.
    pub category: String,
    /// Time limit.
    pub minutes: f64,
    /// Walking profile.
    pub profile: String,
    /// Grid cell, metres.
    pub cell_m: f64,
    /// Scenario applied.
    pub scenario: Option<String>,
    /// Built on a generated network.
    pub synthetic: bool,
}

/// One service-area polygon.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// Polygon (holes kept).
    pub geometry: Geometry,
    /// The query.
    pub properties: AreaProperties,
}

/// `GET /api/v1/coverage/area`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaCollection {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// The polygons.
    pub features: Vec<AreaFeature>,
}

/// Properties of a gap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapProperties {
    /// 1 = most uncovered elderly.
    pub rank: usize,
    /// Uncovered elderly residents.
    pub elderly: u64,
    /// Uncovered residents.
    pub population: u64,
    /// Uncovered doorplates.
    pub doorplates: usize,
    /// Grid cells.
    pub cells: usize,
    /// The unit of `level` it lies in.
    pub admin: Option<ChainLink>,
    /// Category id.
    pub category: String,
    /// Time limit.
    pub minutes: f64,
    /// `walk` or `straight`.
    pub mode: String,
    /// Generated doorplates.
    pub synthetic: bool,
}

/// One gap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// MultiPolygon outline of its grid cells.
    pub geometry: Geometry,
    /// The gap.
    pub properties: GapProperties,
}

/// `GET /api/v1/coverage/gaps`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapCollection {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// Gaps, largest first.
    pub features: Vec<GapFeature>,
    /// Gaps in all.
    #[serde(rename = "numberMatched")]
    pub number_matched: usize,
    /// Gaps returned.
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    /// Scenario applied.
    pub scenario: Option<String>,
}

/// One indicator of a unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorBody {
    /// Indicator id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// `count`, `share` or `per_1000`.
    pub unit: String,
    /// Value; null when undefined.
    pub value: Option<f64>,
    /// 2022 target.
    pub target_2022: Option<f64>,
    /// 2025 target.
    pub target_2025: Option<f64>,
    /// `value >= target_2025`.
    pub pass: Option<bool>,
}

/// A unit's indicators.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitIndicatorsBody {
    /// 12-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: String,
    /// Elderly residents.
    pub elderly: u64,
    /// The indicators.
    pub indicators: Vec<IndicatorBody>,
}

/// `GET /api/v1/indicators`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorsAnswer {
    /// Level.
    pub level: String,
    /// Scenario applied.
    pub scenario: Option<String>,
    /// Walking profile.
    pub profile: String,
    /// Per unit.
    pub units: Vec<UnitIndicatorsBody>,
    /// Where the indicators are defined.
    pub docs: String,
}

/// `POST /api/v1/siting`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SitingRequest {
    /// Category id.
    #[schema(value_type = String)]
    pub category: FacilityCategory,
    /// Time limit (default 15).
    #[serde(default = "fifteen")]
    pub minutes: f64,
    /// Sites to suggest (1..=50).
    pub k: u64,
    /// Scenario to start from.
    pub scenario: Option<String>,
    /// `standard` or `elderly`.
    pub profile: Option<String>,
}

fn fifteen() -> f64 {
    15.0
}

/// Properties of a suggested site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteProperties {
    /// 1 = first pick.
    pub rank: usize,
    /// Elderly it newly covers, after the sites before it.
    pub newly_covered_elderly: u64,
    /// Running total.
    pub cumulative_newly_covered_elderly: u64,
    /// Category id.
    pub category: String,
    /// Time limit.
    pub minutes: f64,
    /// Generated doorplates.
    pub synthetic: bool,
}

/// A suggested site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// Point.
    pub geometry: Geometry,
    /// The site.
    pub properties: SiteProperties,
}

/// `POST /api/v1/siting` answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SitingAnswer {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// Sites, in the order chosen.
    pub features: Vec<SiteFeature>,
    /// Category id.
    pub category: String,
    /// Time limit.
    pub minutes: f64,
    /// Sites asked for.
    pub k: u64,
    /// Walking profile.
    pub profile: String,
    /// Scenario started from.
    pub scenario: Option<String>,
    /// Elderly covered before.
    pub covered_elderly_before: u64,
    /// Elderly in all.
    pub elderly: u64,
    /// Elderly the sites add.
    pub total_newly_covered_elderly: u64,
    /// Elderly covered with the sites.
    pub covered_elderly_after: u64,
}

impl CoverageService {
    /// The walking state (labels + result) of a query, scenario applied; cached.
    pub async fn walk_state(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
    ) -> Result<Arc<WalkState>, ServiceError> {
        let g = snap.generation;
        let full_key = q.key(true);
        if let Some(st) = self.cached_state(&full_key, g) {
            return Ok(st);
        }
        let version = self.version();
        let base_key = q.key(false);
        let base = match self.cached_state(&base_key, g) {
            Some(b) => b,
            None => {
                let sources = base_sources(self.data().read().data.data(), q.category);
                let engine = snap.engine.clone();
                let (minutes, profile) = (q.minutes, q.profile.clone());
                let b = blocking(move || {
                    Ok(Arc::new(WalkState::new(
                        engine, &sources, minutes, &profile,
                    )?))
                })
                .await?;
                self.put_state(base_key, b.clone(), g, version);
                b
            }
        };
        if q.scenario.is_none() {
            return Ok(base);
        }
        let edits = q.edits(&self.data().read())?;
        let st = blocking(move || {
            let mut st = (*base).clone();
            st.apply(&edits)?;
            Ok(Arc::new(st))
        })
        .await?;
        self.put_state(full_key, st.clone(), g, version);
        Ok(st)
    }

    /// The whole-city result of a query; cached.
    pub async fn result(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
    ) -> Result<Arc<CoverageResult>, ServiceError> {
        let key = q.key(true);
        if let Some(r) = self.cached_result(&key, snap.generation) {
            return Ok(r);
        }
        let version = self.version();
        let r = match q.mode {
            CoverageMode::Walk => Arc::new(self.walk_state(snap, q).await?.current().clone()),
            _ => {
                let sources = q.sources(&self.data().read())?;
                let engine = snap.engine.clone();
                let (minutes, profile) = (q.minutes, q.profile.clone());
                blocking(move || {
                    Ok(Arc::new(engine.coverage(
                        &sources,
                        minutes,
                        &profile,
                        CoverageMode::Straight,
                    )?))
                })
                .await?
            }
        };
        self.put_result(key, r.clone(), snap.generation, version);
        Ok(r)
    }

    /// Coverage per unit of `level`.
    pub async fn coverage(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
    ) -> Result<CoverageAnswer, ServiceError> {
        let snap = self.engine().await?;
        let r = self.result(&snap, q).await?;
        let report = snap.engine.report(&r, Some(level));
        Ok(CoverageAnswer::new(&report, q, level))
    }

    /// Service-area polygons on a grid of `cell_m`, serialised; cached.
    pub async fn area(
        self: &Arc<Self>,
        q: &CoverageQuery,
        cell_m: f64,
    ) -> Result<axum::body::Bytes, ServiceError> {
        if q.mode != CoverageMode::Walk {
            return Err(ServiceError::invalid(
                "mode",
                "service areas are walking areas: use mode=walk (the default)",
            ));
        }
        let snap = self.engine().await?;
        let body_key = format!("area|{:?}|{cell_m}", q.key(true));
        if let Some(b) = self.cached_body(&body_key, snap.generation) {
            return Ok(b);
        }
        let version = self.version();
        let st = self.walk_state(&snap, q).await?;
        let areas = blocking(move || Ok(st.service_area(cell_m)?)).await?;
        let synthetic = self.data().read().data.data().network.synthetic;
        let properties = AreaProperties {
            category: q.category.id().to_owned(),
            minutes: q.minutes,
            profile: profile_name(&q.profile).to_owned(),
            cell_m,
            scenario: q.scenario_id(),
            synthetic,
        };
        let fc = AreaCollection {
            tag: CollectionTag::FeatureCollection,
            features: areas
                .0
                .iter()
                .map(|poly| AreaFeature {
                    tag: FeatureTag::Feature,
                    geometry: Geometry(geojson::Geometry::from(poly)),
                    properties: properties.clone(),
                })
                .collect(),
        };
        let body =
            axum::body::Bytes::from(serde_json::to_vec(&fc).map_err(ServiceError::internal)?);
        self.put_body(body_key, body.clone(), snap.generation, version);
        Ok(body)
    }

    /// Uncovered areas within units of `level`, most uncovered elderly first, at most
    /// `limit`, serialised; cached.
    pub async fn gaps(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        limit: usize,
        cell_m: f64,
    ) -> Result<axum::body::Bytes, ServiceError> {
        let snap = self.engine().await?;
        let body_key = format!("gaps|{:?}|{cell_m}|{level:?}|{limit}", q.key(true));
        if let Some(b) = self.cached_body(&body_key, snap.generation) {
            return Ok(b);
        }
        let version = self.version();
        let r = self.result(&snap, q).await?;
        let engine = snap.engine.clone();
        let all = blocking(move || Ok(engine.gaps_by_unit(&r, cell_m, Some(level))?)).await?;
        let fc = {
            let live = self.data().read();
            let synthetic = live.doorplates_synthetic();
            let admin = &live.data.data().admin;
            let features: Vec<GapFeature> = all
                .iter()
                .take(limit)
                .enumerate()
                .map(|(rank, g)| GapFeature {
                    tag: FeatureTag::Feature,
                    geometry: Geometry(geojson::Geometry::from(&g.outline)),
                    properties: GapProperties {
                        rank: rank + 1,
                        elderly: g.elderly,
                        population: g.residents,
                        doorplates: g.doorplates.len(),
                        cells: g.cells,
                        admin: g
                            .unit
                            .and_then(|u| admin.get(u as usize))
                            .map(|a| ChainLink {
                                code: a.code.as_str().to_owned(),
                                name: a.name.clone(),
                                level: a.level.as_str().to_owned(),
                                synthetic: a.synthetic,
                            }),
                        category: q.category.id().to_owned(),
                        minutes: q.minutes,
                        mode: mode_name(q.mode).to_owned(),
                        synthetic,
                    },
                })
                .collect();
            GapCollection {
                tag: CollectionTag::FeatureCollection,
                number_matched: all.len(),
                number_returned: features.len(),
                features,
                scenario: q.scenario_id(),
            }
        };
        let body =
            axum::body::Bytes::from(serde_json::to_vec(&fc).map_err(ServiceError::internal)?);
        self.put_body(body_key, body.clone(), snap.generation, version);
        Ok(body)
    }

    /// The plan indicators of every unit of `level` (township or community).
    pub async fn indicators(
        self: &Arc<Self>,
        level: AdminLevel,
        scenario: Option<Arc<super::StoredScenario>>,
        profile: WalkProfile,
    ) -> Result<IndicatorsAnswer, ServiceError> {
        if !matches!(level, AdminLevel::Township | AdminLevel::Community) {
            return Err(ServiceError::invalid(
                "level",
                "indicators are per township or community",
            ));
        }
        let snap = self.engine().await?;
        let mut reports = Vec::new();
        for minutes in [15.0, 20.0] {
            let q = CoverageQuery {
                category: FacilityCategory::HomeCareCentre,
                minutes,
                mode: CoverageMode::Walk,
                profile: profile.clone(),
                scenario: scenario.clone(),
            };
            let r = self.result(&snap, &q).await?;
            reports.push(snap.engine.report(&r, None));
        }
        let live = self.data().read();
        let d = live.data.data();
        let facilities = match &scenario {
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
        Ok(IndicatorsAnswer {
            level: level.as_str().to_owned(),
            scenario: scenario.as_ref().map(|s| s.id.clone()),
            profile: profile_name(&profile).to_owned(),
            units: rows
                .iter()
                .map(|u| UnitIndicatorsBody {
                    code: u.code.as_str().to_owned(),
                    name: u.name.clone(),
                    level: u.level.as_str().to_owned(),
                    elderly: u.elderly,
                    indicators: u
                        .indicators
                        .iter()
                        .map(|i| IndicatorBody {
                            id: i.id.as_str().to_owned(),
                            name_zh: i.name_zh.to_owned(),
                            unit: i.unit.to_owned(),
                            value: i.value,
                            target_2022: i.target_2022,
                            target_2025: i.target_2025,
                            pass: i.pass,
                        })
                        .collect(),
                })
                .collect(),
            docs: "docs/indicators.md".to_owned(),
        })
    }

    /// `k` suggested sites (greedy maximal covering) for a walking query.
    pub async fn siting(
        self: &Arc<Self>,
        q: &CoverageQuery,
        k: usize,
    ) -> Result<SitingAnswer, ServiceError> {
        if !(1..=MAX_SITING_K).contains(&k) {
            return Err(ServiceError::out_of_range(
                "k",
                format!("must be between 1 and {MAX_SITING_K}, got {k}"),
            ));
        }
        let snap = self.engine().await?;
        let base = self.result(&snap, q).await?;
        let before = snap.engine.report(&base, None).total;
        let sources = q.sources(&self.data().read())?;
        let engine = snap.engine.clone();
        let (minutes, profile) = (q.minutes, q.profile.clone());
        let sites = blocking(move || {
            Ok(suggest_sites(
                &engine, &sources, minutes, &profile, k, None,
            )?)
        })
        .await?;
        let synthetic = self.data().read().doorplates_synthetic();
        let mut cumulative = 0;
        let features: Vec<SiteFeature> = sites
            .iter()
            .enumerate()
            .map(|(i, site)| {
                cumulative += site.newly_covered_elderly;
                SiteFeature {
                    tag: FeatureTag::Feature,
                    geometry: Geometry::point(site.lon, site.lat),
                    properties: SiteProperties {
                        rank: i + 1,
                        newly_covered_elderly: site.newly_covered_elderly,
                        cumulative_newly_covered_elderly: cumulative,
                        category: q.category.id().to_owned(),
                        minutes: q.minutes,
                        synthetic,
                    },
                }
            })
            .collect();
        Ok(SitingAnswer {
            tag: CollectionTag::FeatureCollection,
            features,
            category: q.category.id().to_owned(),
            minutes: q.minutes,
            k: k as u64,
            profile: profile_name(&q.profile).to_owned(),
            scenario: q.scenario_id(),
            covered_elderly_before: before.covered_elderly,
            elderly: before.elderly,
            total_newly_covered_elderly: cumulative,
            covered_elderly_after: before.covered_elderly + cumulative,
        })
    }
}
