//! What a coverage computation is asked: category, time limit, mode, walking profile and
//! an optional what-if scenario — and the cache key that names its answer.

use std::sync::Arc;

use civmap_geo_core::coverage::{CoverageMode, Scenario, WalkProfile};
use civmap_geo_core::{Dataset, FacilityCategory};

use super::StoredScenario;
use crate::service::data::LiveData;
use crate::service::ServiceError;

/// Longest time limit, minutes.
pub const MAX_MINUTES: f64 = 120.0;

/// The parameters every coverage computation takes.
#[derive(Debug, Clone)]
pub struct CoverageQuery {
    /// Facility category.
    pub category: FacilityCategory,
    /// Time limit, minutes.
    pub minutes: f64,
    /// Walk or straight.
    pub mode: CoverageMode,
    /// Walking profile.
    pub profile: WalkProfile,
    /// Scenario, if any.
    pub scenario: Option<Arc<StoredScenario>>,
}

/// Cache key of a whole-city result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultKey {
    /// Category.
    pub category: FacilityCategory,
    /// Minutes, as bits (exact).
    pub minutes_bits: u64,
    /// `walk` or `straight`.
    pub mode: &'static str,
    /// Profile name.
    pub profile: &'static str,
    /// Scenario id, if any.
    pub scenario: Option<String>,
}

/// `walk` or `straight`.
pub fn mode_name(m: CoverageMode) -> &'static str {
    match m {
        CoverageMode::Walk => "walk",
        _ => "straight",
    }
}

/// `standard` or `elderly`.
pub fn profile_name(p: &WalkProfile) -> &'static str {
    if p.speed_m_per_s == WalkProfile::ELDERLY_SPEED_M_PER_S {
        "elderly"
    } else {
        "standard"
    }
}

impl CoverageQuery {
    /// The cache key, with or without the scenario.
    pub fn key(&self, with_scenario: bool) -> ResultKey {
        ResultKey {
            category: self.category,
            minutes_bits: self.minutes.to_bits(),
            mode: mode_name(self.mode),
            profile: profile_name(&self.profile),
            scenario: with_scenario.then(|| self.scenario_id()).flatten(),
        }
    }

    /// The scenario's id, if any.
    pub fn scenario_id(&self) -> Option<String> {
        self.scenario.as_ref().map(|s| s.id.clone())
    }

    /// The category's sources in force: the base facilities with the scenario's edits
    /// applied (added facilities get records past the dataset's).
    pub fn sources(&self, live: &LiveData) -> Result<Vec<(u32, f64, f64)>, ServiceError> {
        let d = live.data.data();
        let mut sources = base_sources(d, self.category);
        if let Some(sc) = &self.scenario {
            let e = sc.edits(live, self.category)?;
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

    /// The scenario's edits to this category (empty without a scenario).
    pub fn edits(&self, live: &LiveData) -> Result<Scenario, ServiceError> {
        match &self.scenario {
            Some(sc) => sc.edits(live, self.category),
            None => Ok(Scenario::default()),
        }
    }
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
