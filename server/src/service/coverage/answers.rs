//! The planners' answers: coverage per unit, service areas, gaps, plan indicators and
//! suggested sites — computed by the engine, cached by query, returned as typed bodies
//! (the same structs `/api/v1/openapi.json` describes).

use std::sync::Arc;

use civmap_geo_core::coverage::{
    plan_indicators, suggest_sites_cancellable, suggest_sites_in_area_cancellable, Cancel,
    CoverageMode, CoverageReport, CoverageResult, Gap, SitingArea, UnitIndicators, WalkProfile,
};
use civmap_geo_core::{AdminCode, AdminLevel, Facility, FacilityCategory};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::{base_sources, mode_name, profile_name};
use super::{CoverageQuery, CoverageService, EngineSnapshot, WalkState};
use crate::service::as_of::{AsOfBody, AsOfView};
use crate::service::data::LiveData;
use crate::service::geojson::{CollectionTag, FeatureTag, Geometry};
use crate::service::spatial::ChainLink;
use crate::service::ServiceError;

/// Largest `k` for siting.
pub const MAX_SITING_K: usize = 50;

pub(super) fn share(covered: u64, all: u64) -> f64 {
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
    /// With a scenario: `covered_elderly` minus the base's (null without a scenario).
    pub covered_elderly_delta: Option<i64>,
    /// With a scenario: `covered_population` minus the base's (null without a scenario).
    pub covered_population_delta: Option<i64>,
}

/// A scenario's difference against the base data, so that a what-if answer needs no second
/// request and no subtraction by hand.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageDeltaBody {
    /// Elderly covered without the scenario.
    pub base_covered_elderly: u64,
    /// Residents covered without the scenario.
    pub base_covered_population: u64,
    /// `total.covered_elderly - base_covered_elderly`.
    pub covered_elderly: i64,
    /// `total.covered_population - base_covered_population`.
    pub covered_population: i64,
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
    /// With a scenario: the difference against the base (per unit in `units[].*_delta`).
    pub delta: Option<CoverageDeltaBody>,
    /// Answers `as_of` a past day only: the edition whose units `units` are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
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
                    covered_elderly_delta: None,
                    covered_population_delta: None,
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
            delta: None,
            as_of: None,
        }
    }

    /// Adds the difference against `base` (the same query without the scenario).
    pub fn with_base(mut self, base: &CoverageReport) -> Self {
        let diff = |a: u64, b: u64| a as i64 - b as i64;
        let by_code: std::collections::HashMap<&str, (u64, u64)> = base
            .units
            .iter()
            .map(|u| (u.code.as_str(), (u.covered_elderly, u.covered_population)))
            .collect();
        for u in &mut self.units {
            let (e, p) = by_code.get(u.code.as_str()).copied().unwrap_or((0, 0));
            u.covered_elderly_delta = Some(diff(u.covered_elderly, e));
            u.covered_population_delta = Some(diff(u.covered_population, p));
        }
        let b = &base.total;
        self.delta = Some(CoverageDeltaBody {
            base_covered_elderly: b.covered_elderly,
            base_covered_population: b.covered_population,
            covered_elderly: diff(self.total.covered_elderly, b.covered_elderly),
            covered_population: diff(self.total.covered_population, b.covered_population),
        });
        self
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
    /// Answers `as_of` a past day only: the edition in force that day (service areas do
    /// not depend on the division, so the polygons are today's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

/// Properties of a gap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GapProperties {
    /// 1 = most uncovered elderly.
    pub rank: usize,
    /// Uncovered elderly residents (planners only: a gap can be a handful of households,
    /// so public answers leave the counts out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elderly: Option<u64>,
    /// Uncovered residents (planners only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<u64>,
    /// Uncovered doorplates.
    pub doorplates: usize,
    /// Grid cells.
    pub cells: usize,
    /// The unit of `level` it lies in.
    pub admin: Option<ChainLink>,
    /// Longitude of the outline's centroid (where to look on the map).
    pub centroid_lon: f64,
    /// Latitude of the outline's centroid.
    pub centroid_lat: f64,
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
    /// Gaps in all (every page together).
    #[serde(rename = "numberMatched")]
    pub number_matched: usize,
    /// Gaps skipped before this page (`rank` of the first is `offset + 1`).
    pub offset: usize,
    /// Gaps returned.
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    /// Scenario applied.
    pub scenario: Option<String>,
    /// Answers `as_of` a past day only: the edition whose units the gaps are kept within.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

impl GapFeature {
    /// The feature of gap `g`, ranked `rank`, in the unit `admin`.
    pub(super) fn new(
        rank: usize,
        g: &Gap,
        admin: Option<ChainLink>,
        q: &CoverageQuery,
        synthetic: bool,
    ) -> Self {
        use geo::Centroid;
        let c = g.outline.centroid().map(|p| (p.x(), p.y()));
        let (centroid_lon, centroid_lat) = c.unwrap_or((f64::NAN, f64::NAN));
        GapFeature {
            tag: FeatureTag::Feature,
            geometry: Geometry(geojson::Geometry::from(&g.outline)),
            properties: GapProperties {
                rank,
                elderly: Some(g.elderly),
                population: Some(g.residents),
                doorplates: g.doorplates.len(),
                cells: g.cells,
                admin,
                centroid_lon,
                centroid_lat,
                category: q.category.id().to_owned(),
                minutes: q.minutes,
                mode: mode_name(q.mode).to_owned(),
                synthetic,
            },
        }
    }
}

impl GapCollection {
    /// The page of at most `limit` gaps after `offset` of the whole list `all`.
    pub(super) fn page(
        all: &[GapFeature],
        offset: usize,
        limit: usize,
        scenario: Option<String>,
    ) -> Self {
        let features: Vec<GapFeature> = all.iter().skip(offset).take(limit).cloned().collect();
        GapCollection {
            tag: CollectionTag::FeatureCollection,
            number_matched: all.len(),
            number_returned: features.len(),
            offset,
            features,
            scenario,
            as_of: None,
        }
    }

    /// Drops the person counts of every gap (the public answer: population figures are
    /// shown for units, community and above, never for areas this small).
    pub fn without_people(mut self) -> Self {
        for f in &mut self.features {
            f.properties.elderly = None;
            f.properties.population = None;
        }
        self
    }
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
    /// What the value is made of: the count, a share's numerator or the beds of
    /// `per_1000`; a roll-up's is the sum of its parts'.
    pub numerator: u64,
    /// A share's or `per_1000`'s denominator; null for a count.
    pub denominator: Option<u64>,
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
    /// Answers `as_of` a past day only: the edition whose units `units` are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

impl IndicatorsAnswer {
    /// The answer of the indicator rows of `level`.
    pub fn new(
        rows: &[UnitIndicators],
        level: AdminLevel,
        scenario: Option<Arc<super::StoredScenario>>,
        profile: &WalkProfile,
    ) -> Self {
        Self {
            level: level.as_str().to_owned(),
            scenario: scenario.as_ref().map(|s| s.id.clone()),
            profile: profile_name(profile).to_owned(),
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
                            numerator: i.numerator,
                            denominator: i.denominator,
                            target_2022: i.target_2022,
                            target_2025: i.target_2025,
                            pass: i.pass,
                        })
                        .collect(),
                })
                .collect(),
            docs: "docs/indicators.md".to_owned(),
            as_of: None,
        }
    }
}

/// What the plan indicators are computed from (see `CoverageService::indicator_inputs`).
pub(super) struct IndicatorInputs {
    /// Home-care centres at 15 and 20 minutes, every level.
    pub reports: [CoverageReport; 2],
    /// The facilities in force, each with the code of the unit it stands in.
    pub facilities: Vec<Facility>,
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
    /// Limit the sites to this admin unit (any level, 12-digit code): every site stands
    /// inside it, and only its elderly count.
    pub area: Option<String>,
    /// `json` (default, GeoJSON) or `csv`; the query parameter `format` does the same.
    pub format: Option<String>,
    /// `YYYY-MM-DD`: `area` is a code of the edition in force that day (its shape rebuilt
    /// from today's units), and the sites' units are that edition's; the query parameter
    /// `as_of` does the same.
    pub as_of: Option<String>,
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
    /// Longitude (as the geometry).
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Address of the nearest doorplate, e.g. `文三路12号`.
    pub nearest_address: Option<String>,
    /// Metres to that doorplate.
    pub nearest_doorplate_m: Option<f64>,
    /// The district the site stands in.
    pub district: Option<ChainLink>,
    /// The township.
    pub township: Option<ChainLink>,
    /// The community.
    pub community: Option<ChainLink>,
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
    /// The area the sites are limited to (then the elderly figures are the area's).
    pub area: Option<String>,
    /// Elderly covered before.
    pub covered_elderly_before: u64,
    /// Elderly in all.
    pub elderly: u64,
    /// Elderly the sites add.
    pub total_newly_covered_elderly: u64,
    /// Elderly covered with the sites.
    pub covered_elderly_after: u64,
    /// Answers `as_of` a past day only: the edition of `area` and of the sites' units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

impl CoverageService {
    /// The walking state (labels + result) of a query, scenario applied; cached. Not
    /// cancellable (see [`Self::walk_state_cancellable`]).
    pub async fn walk_state(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
    ) -> Result<Arc<WalkState>, ServiceError> {
        self.walk_state_cancellable(snap, q, &Cancel::never()).await
    }

    /// [`Self::walk_state`], stopping with [`ServiceError::Cancelled`] when `cancel` is.
    pub async fn walk_state_cancellable(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
        cancel: &Cancel,
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
                let b = self
                    .blocking_cancellable(cancel, move |cancel| {
                        Ok(Arc::new(WalkState::new_cancellable(
                            engine, &sources, minutes, &profile, cancel,
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
        let st = self
            .blocking_cancellable(cancel, move |cancel| {
                let mut st = (*base).clone();
                st.apply_cancellable(&edits, cancel)?;
                Ok(Arc::new(st))
            })
            .await?;
        self.put_state(full_key, st.clone(), g, version);
        Ok(st)
    }

    /// The whole-city result of a query; cached. Not cancellable (see
    /// [`Self::result_cancellable`]).
    pub async fn result(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
    ) -> Result<Arc<CoverageResult>, ServiceError> {
        self.result_cancellable(snap, q, &Cancel::never()).await
    }

    /// [`Self::result`], stopping with [`ServiceError::Cancelled`] when `cancel` is.
    pub async fn result_cancellable(
        &self,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
        cancel: &Cancel,
    ) -> Result<Arc<CoverageResult>, ServiceError> {
        let key = q.key(true);
        if let Some(r) = self.cached_result(&key, snap.generation) {
            return Ok(r);
        }
        let version = self.version();
        let r = match q.mode {
            CoverageMode::Walk => Arc::new(
                self.walk_state_cancellable(snap, q, cancel)
                    .await?
                    .current()
                    .clone(),
            ),
            _ => {
                let sources = q.sources(&self.data().read())?;
                let engine = snap.engine.clone();
                let (minutes, profile) = (q.minutes, q.profile.clone());
                self.blocking_cancellable(cancel, move |cancel| {
                    Ok(Arc::new(engine.coverage_cancellable(
                        &sources,
                        minutes,
                        &profile,
                        CoverageMode::Straight,
                        cancel,
                    )?))
                })
                .await?
            }
        };
        self.put_result(key, r.clone(), snap.generation, version);
        Ok(r)
    }

    /// Coverage per unit of `level`, within the coverage budget.
    pub async fn coverage(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
    ) -> Result<CoverageAnswer, ServiceError> {
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        self.within(&cancel, budget, self.coverage_now(q, level, &cancel))
            .await
    }

    async fn coverage_now(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        cancel: &Cancel,
    ) -> Result<CoverageAnswer, ServiceError> {
        let snap = self.engine().await?;
        let r = self.result_cancellable(&snap, q, cancel).await?;
        let report = snap.engine.report(&r, Some(level));
        let answer = CoverageAnswer::new(&report, q, level);
        if q.scenario.is_none() {
            return Ok(answer);
        }
        let base_q = CoverageQuery {
            scenario: None,
            ..q.clone()
        };
        let base = self.result_cancellable(&snap, &base_q, cancel).await?;
        Ok(answer.with_base(&snap.engine.report(&base, Some(level))))
    }

    /// Service-area polygons on a grid of `cell_m`, serialised; cached; within the
    /// coverage budget.
    pub async fn area(
        self: &Arc<Self>,
        q: &CoverageQuery,
        cell_m: f64,
    ) -> Result<axum::body::Bytes, ServiceError> {
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        self.within(&cancel, budget, self.area_now(q, cell_m, &cancel))
            .await
    }

    async fn area_now(
        self: &Arc<Self>,
        q: &CoverageQuery,
        cell_m: f64,
        cancel: &Cancel,
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
        let st = self.walk_state_cancellable(&snap, q, cancel).await?;
        let areas = self
            .blocking_cancellable(cancel, move |cancel| {
                Ok(st.service_area_cancellable(cell_m, cancel)?)
            })
            .await?;
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
            as_of: None,
        };
        let body =
            axum::body::Bytes::from(serde_json::to_vec(&fc).map_err(ServiceError::internal)?);
        self.put_body(body_key, body.clone(), snap.generation, version);
        Ok(body)
    }

    /// Uncovered areas within units of `level`, most uncovered elderly first: the page of
    /// at most `limit` after `offset`, with the number of gaps in all. The whole list is
    /// cached, so paging through it computes it once. Within the coverage budget.
    pub async fn gaps(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        offset: usize,
        limit: usize,
        cell_m: f64,
    ) -> Result<GapCollection, ServiceError> {
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        let work = self.gaps_now(q, level, offset, limit, cell_m, &cancel);
        self.within(&cancel, budget, work).await
    }

    async fn gaps_now(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        offset: usize,
        limit: usize,
        cell_m: f64,
        cancel: &Cancel,
    ) -> Result<GapCollection, ServiceError> {
        let snap = self.engine().await?;
        let list_key = format!("gaps|{:?}|{cell_m}|{level:?}", q.key(true));
        let all = match self.cached_gaps(&list_key, snap.generation) {
            Some(all) => all,
            None => {
                let version = self.version();
                let all = Arc::new(self.gap_features(&snap, q, level, cell_m, cancel).await?);
                self.put_gaps(list_key, all.clone(), snap.generation, version);
                all
            }
        };
        Ok(GapCollection::page(&all, offset, limit, q.scenario_id()))
    }

    async fn gap_features(
        self: &Arc<Self>,
        snap: &EngineSnapshot,
        q: &CoverageQuery,
        level: AdminLevel,
        cell_m: f64,
        cancel: &Cancel,
    ) -> Result<Vec<GapFeature>, ServiceError> {
        let r = self.result_cancellable(snap, q, cancel).await?;
        let engine = snap.engine.clone();
        let all = self
            .blocking_cancellable(cancel, move |cancel| {
                Ok(engine.gaps_by_unit_cancellable(&r, cell_m, Some(level), cancel)?)
            })
            .await?;
        let live = self.data().read();
        let synthetic = live.doorplates_synthetic();
        let admin = &live.data.data().admin;
        Ok(all
            .iter()
            .enumerate()
            .map(|(rank, g)| {
                let unit = g.unit.and_then(|u| admin.get(u as usize));
                GapFeature::new(rank + 1, g, unit.map(ChainLink::of), q, synthetic)
            })
            .collect())
    }

    /// The plan indicators of every unit of `level`: townships and communities checked
    /// against the plan, districts and the city as roll-ups of the same records (each
    /// value with its numerator and denominator, the sums of its parts'). Within the
    /// coverage budget.
    pub async fn indicators(
        self: &Arc<Self>,
        level: AdminLevel,
        scenario: Option<Arc<super::StoredScenario>>,
        profile: WalkProfile,
    ) -> Result<IndicatorsAnswer, ServiceError> {
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        let work = self.indicators_now(level, scenario, profile, &cancel);
        self.within(&cancel, budget, work).await
    }

    async fn indicators_now(
        self: &Arc<Self>,
        level: AdminLevel,
        scenario: Option<Arc<super::StoredScenario>>,
        profile: WalkProfile,
        cancel: &Cancel,
    ) -> Result<IndicatorsAnswer, ServiceError> {
        let inputs = self
            .indicator_inputs(scenario.clone(), profile.clone(), cancel)
            .await?;
        let live = self.data().read();
        let [r15, r20] = &inputs.reports;
        let rows = plan_indicators(&live.data.data().admin, &inputs.facilities, r15, r20, level);
        Ok(IndicatorsAnswer::new(&rows, level, scenario, &profile))
    }

    /// What the plan indicators are computed from: the walking reports of home-care
    /// centres at 15 and 20 minutes over every level, and the facilities in force (a
    /// scenario's applied, a moved or added one in the unit it now stands in).
    pub(super) async fn indicator_inputs(
        self: &Arc<Self>,
        scenario: Option<Arc<super::StoredScenario>>,
        profile: WalkProfile,
        cancel: &Cancel,
    ) -> Result<IndicatorInputs, ServiceError> {
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
            let r = self.result_cancellable(&snap, &q, cancel).await?;
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
        let reports: [CoverageReport; 2] = reports
            .try_into()
            .map_err(|_| ServiceError::internal("two reports"))?;
        Ok(IndicatorInputs {
            reports,
            facilities,
        })
    }

    /// `k` suggested sites (greedy maximal covering) for a walking query, limited to the
    /// admin unit `area` when given; each site with its nearest doorplate's address and
    /// the units it stands in. Within the siting budget.
    pub async fn siting(
        self: &Arc<Self>,
        q: &CoverageQuery,
        k: usize,
        area: Option<&str>,
    ) -> Result<SitingAnswer, ServiceError> {
        check_siting_k(k)?;
        let area = parse_area(area)?.map(|code| SitingScope {
            codes: vec![code.clone()],
            label: code,
        });
        self.siting_in(q, k, area, None).await
    }

    /// Siting within `area` (none: the whole city), the sites placed in the units of
    /// `view` (none: today's); within the siting budget.
    pub(super) async fn siting_in(
        self: &Arc<Self>,
        q: &CoverageQuery,
        k: usize,
        area: Option<SitingScope>,
        view: Option<Arc<AsOfView>>,
    ) -> Result<SitingAnswer, ServiceError> {
        let budget = self.budgets().siting;
        let cancel = Self::token(budget);
        let work = self.siting_now(q, k, area, view, &cancel);
        self.within(&cancel, budget, work).await
    }

    async fn siting_now(
        self: &Arc<Self>,
        q: &CoverageQuery,
        k: usize,
        scope: Option<SitingScope>,
        view: Option<Arc<AsOfView>>,
        cancel: &Cancel,
    ) -> Result<SitingAnswer, ServiceError> {
        let snap = self.engine().await?;
        let base = self.result_cancellable(&snap, q, cancel).await?;
        let (sources, area) = {
            let live = self.data().read();
            let area = scope
                .as_ref()
                .map(|a| SitingArea::new(&live.data.data().admin, &a.codes))
                .transpose()?;
            (q.sources(&live)?, area)
        };
        let (covered_before, elderly) = match &scope {
            None => {
                let t = snap.engine.report(&base, None).total;
                (t.covered_elderly, t.elderly)
            }
            Some(a) => snap
                .engine
                .report(&base, None)
                .units
                .iter()
                .filter(|u| a.codes.contains(&u.code))
                .fold((0, 0), |(c, e), u| (c + u.covered_elderly, e + u.elderly)),
        };
        let engine = snap.engine.clone();
        let (minutes, profile) = (q.minutes, q.profile.clone());
        let sites = self
            .blocking_cancellable(cancel, move |cancel| {
                Ok(match &area {
                    None => suggest_sites_cancellable(
                        &engine, &sources, minutes, &profile, k, None, cancel,
                    )?,
                    Some(a) => suggest_sites_in_area_cancellable(
                        &engine, a, &sources, minutes, &profile, k, None, cancel,
                    )?,
                })
            })
            .await?;
        let live = self.data().read();
        let synthetic = live.doorplates_synthetic();
        let mut cumulative = 0;
        let features: Vec<SiteFeature> = sites
            .iter()
            .enumerate()
            .map(|(i, site)| {
                cumulative += site.newly_covered_elderly;
                let chain = match &view {
                    None => chain_at(&live, site.lon, site.lat),
                    Some(v) => ChainLink::chain_as_of(v, site.lon, site.lat).unwrap_or_default(),
                };
                let (district, township, community) = by_level(&chain);
                let nearest = nearest_doorplate(&live, site.lon, site.lat);
                SiteFeature {
                    tag: FeatureTag::Feature,
                    geometry: Geometry::point(site.lon, site.lat),
                    properties: SiteProperties {
                        rank: i + 1,
                        newly_covered_elderly: site.newly_covered_elderly,
                        cumulative_newly_covered_elderly: cumulative,
                        lon: site.lon,
                        lat: site.lat,
                        nearest_address: nearest.as_ref().map(|n| n.0.clone()),
                        nearest_doorplate_m: nearest.map(|n| (n.1 * 10.0).round() / 10.0),
                        district,
                        township,
                        community,
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
            area: scope.map(|a| a.label.as_str().to_owned()),
            covered_elderly_before: covered_before,
            elderly,
            total_newly_covered_elderly: cumulative,
            covered_elderly_after: covered_before + cumulative,
            as_of: None,
        })
    }
}

/// The chain of today's units holding a point (by their polygons), city first.
fn chain_at(live: &LiveData, lon: f64, lat: f64) -> Vec<ChainLink> {
    let admin = &live.data.data().admin;
    let chain = live.data.index().admin_chain(lon, lat).unwrap_or_default();
    chain
        .iter()
        .filter_map(|&u| admin.get(u as usize))
        .map(ChainLink::of)
        .collect()
}

/// The district, township and community of a chain.
fn by_level(chain: &[ChainLink]) -> (Option<ChainLink>, Option<ChainLink>, Option<ChainLink>) {
    let at = |level: AdminLevel| chain.iter().find(|c| c.level == level.as_str()).cloned();
    (
        at(AdminLevel::District),
        at(AdminLevel::Township),
        at(AdminLevel::Community),
    )
}

/// The area siting is limited to: the code the answer names and today's units making it.
#[derive(Debug, Clone)]
pub(super) struct SitingScope {
    /// The code asked for (today's, or a past edition's).
    pub label: AdminCode,
    /// Today's units it is made of.
    pub codes: Vec<AdminCode>,
}

/// Refuses a `k` out of 1..=[`MAX_SITING_K`] (422 naming `k`).
pub(super) fn check_siting_k(k: usize) -> Result<(), ServiceError> {
    if (1..=MAX_SITING_K).contains(&k) {
        Ok(())
    } else {
        Err(ServiceError::out_of_range(
            "k",
            format!("must be between 1 and {MAX_SITING_K}, got {k}"),
        ))
    }
}

/// The 12-digit code of an `area` (400 naming `area` when it is not one).
pub(super) fn parse_area(area: Option<&str>) -> Result<Option<AdminCode>, ServiceError> {
    area.map(|a| {
        AdminCode::parse(a.trim()).map_err(|e| ServiceError::invalid("area", e.to_string()))
    })
    .transpose()
}

/// The address of the doorplate nearest a point and its distance, metres.
fn nearest_doorplate(live: &LiveData, lon: f64, lat: f64) -> Option<(String, f64)> {
    let hit = live.data.index().doorplates().nearest(lon, lat, 1).ok()?;
    let &(record, distance_m) = hit.first()?;
    let d = live.data.data().doorplates.get(record as usize)?;
    Some((d.address(), distance_m))
}
