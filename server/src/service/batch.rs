//! Batch jobs across processes: what one partition of a coverage job or of a validation
//! job computes.
//!
//! A coverage job asks for every combination of facility categories and time limits, per
//! admin unit of one level, over the whole city. It is cut into one partition per district
//! ([`civmap_geo_core::coverage::partition`]: the district's doorplates, and the network
//! and facilities in a halo as wide as the largest walking budget of the job, twice that
//! for the network), so that a worker holds one district's engine at a time and the rows
//! are exactly those of a single process over the whole city. The queue itself is
//! [`civmap_data::postgis::JobQueue`].
//!
//! A validation job ([`ValidationJob`]) has the same partitions. Each worker indexes the
//! whole frame once (cheap: hash look-ups on a clean frame) and computes the findings its
//! district owns ([`Validator::validate_owned`] with [`owning_district`]): every run finds
//! the same pieces of work, so the partitions together are exactly one whole run.
//!
//! ```
//! use civmap_server::service::batch::CoverageJob;
//! let job = CoverageJob {
//!     categories: vec!["elder_canteen".into()],
//!     minutes: vec![15.0, 20.0],
//!     level: "township".into(),
//!     profile: "standard".into(),
//! };
//! let plan = job.plan().unwrap();
//! assert_eq!(plan.budget_m(), 1200.0); // 20 minutes at 1.0 m/s
//! let rows = plan.partition_rows(&civmap_geo_core::Dataset::default(), "330102000000");
//! assert!(rows.is_err()); // not a district of this (empty) city
//! ```

use civmap_geo_core::coverage::{
    partition, partition_districts, units_in_district, CoverageEngine, CoverageError, CoverageMode,
    WalkProfile,
};
use civmap_geo_core::survey::validate::{owning_district, Validator};
use civmap_geo_core::{AdminCode, AdminLevel, Dataset, FacilityCategory};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::coverage::base_sources;

/// The parameters of a coverage job, as stored in `civmap.jobs.params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageJob {
    /// Facility category ids (`elder_canteen`, …); empty means every category.
    pub categories: Vec<String>,
    /// Time limits, minutes (each in (0, 120]).
    pub minutes: Vec<f64>,
    /// `district`, `township` or `community`: the units of the rows.
    pub level: String,
    /// `standard` (1.0 m/s) or `elderly` (0.8 m/s).
    pub profile: String,
}

/// Why a batch job could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The job's parameters are wrong (named).
    #[error("job parameters: {0}")]
    Params(String),
    /// A partition is not a district of the city the worker loaded.
    #[error("partition {0:?} is not a district of this city")]
    UnknownDistrict(String),
    /// The coverage engine refused.
    #[error(transparent)]
    Coverage(#[from] CoverageError),
}

/// A checked [`CoverageJob`].
#[derive(Debug, Clone, PartialEq)]
pub struct CoveragePlan {
    categories: Vec<FacilityCategory>,
    minutes: Vec<f64>,
    level: AdminLevel,
    profile: WalkProfile,
}

impl CoverageJob {
    /// Reads stored parameters.
    pub fn from_params(params: &Value) -> Result<Self, BatchError> {
        serde_json::from_value(params.clone()).map_err(|e| BatchError::Params(e.to_string()))
    }

    /// Checks every parameter, naming the first bad one.
    pub fn plan(&self) -> Result<CoveragePlan, BatchError> {
        let categories = if self.categories.is_empty() {
            FacilityCategory::ALL.to_vec()
        } else {
            self.categories
                .iter()
                .map(|c| {
                    c.parse().map_err(|_| {
                        BatchError::Params(format!(
                            "categories: unknown category {c:?}; one of: {}",
                            FacilityCategory::ids().join(", ")
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        if self.minutes.is_empty() {
            return Err(BatchError::Params("minutes: give at least one".into()));
        }
        if let Some(m) = self
            .minutes
            .iter()
            .find(|m| !(**m > 0.0 && **m <= crate::service::coverage::MAX_MINUTES))
        {
            return Err(BatchError::Params(format!(
                "minutes: {m} is not in (0, {}]",
                crate::service::coverage::MAX_MINUTES
            )));
        }
        let level = AdminLevel::parse(&self.level)
            .ok()
            .filter(|l| *l != AdminLevel::City)
            .ok_or_else(|| {
                BatchError::Params(format!(
                    "level: {:?} is not district, township or community (rows are per unit inside one district)",
                    self.level
                ))
            })?;
        let profile = match self.profile.as_str() {
            "standard" => WalkProfile::standard(),
            "elderly" => WalkProfile::elderly(),
            other => {
                return Err(BatchError::Params(format!(
                    "profile: {other:?} is not standard or elderly"
                )))
            }
        };
        Ok(CoveragePlan {
            categories,
            minutes: self.minutes.clone(),
            level,
            profile,
        })
    }
}

impl CoveragePlan {
    /// The widest walking budget of the job, metres: the halo of its partitions.
    pub fn budget_m(&self) -> f64 {
        self.minutes
            .iter()
            .map(|m| self.profile.distance_m(*m))
            .fold(0.0, f64::max)
    }

    /// The partitions of a job over `city`: its districts.
    pub fn partitions(city: &Dataset) -> Vec<String> {
        partition_districts(city)
            .into_iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }

    /// The rows of one partition: for every category and time limit, every unit of the
    /// level inside `district`, keyed `category/minutes/code`.
    pub fn partition_rows(
        &self,
        city: &Dataset,
        district: &str,
    ) -> Result<Vec<(String, Value)>, BatchError> {
        let code = AdminCode::parse(district)
            .ok()
            .filter(|c| partition_districts(city).contains(c))
            .ok_or_else(|| BatchError::UnknownDistrict(district.to_owned()))?;
        let part = partition(city, &code, self.budget_m());
        let mine = units_in_district(city, &code);
        let engine = CoverageEngine::new(&part);
        let mut rows = Vec::new();
        for category in &self.categories {
            let sources = base_sources(&part, *category);
            for minutes in &self.minutes {
                let result = if part.network.edges.is_empty() {
                    None
                } else {
                    Some(engine.coverage(&sources, *minutes, &self.profile, CoverageMode::Walk)?)
                };
                let report = match &result {
                    Some(r) => engine.report(r, Some(self.level)).units,
                    // no doorplates in the district: its units, all zero
                    None => empty_rows(city, self.level),
                };
                for unit in report.into_iter().filter(|u| mine.contains(&u.code)) {
                    let key = format!("{}/{minutes}/{}", category.id(), unit.code.as_str());
                    let mut body = serde_json::to_value(&unit)
                        .map_err(|e| BatchError::Params(e.to_string()))?;
                    body["category"] = Value::from(category.id());
                    body["minutes"] = Value::from(*minutes);
                    rows.push((key, body));
                }
            }
        }
        Ok(rows)
    }
}

/// The parameters of a validation job, as stored in `civmap.jobs.params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationJob {
    /// Levels to check (`city`, `district`, `township`, `community`); empty means all.
    pub levels: Vec<String>,
}

/// A checked [`ValidationJob`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationPlan {
    levels: Vec<AdminLevel>,
}

impl ValidationJob {
    /// Reads stored parameters.
    pub fn from_params(params: &Value) -> Result<Self, BatchError> {
        serde_json::from_value(params.clone()).map_err(|e| BatchError::Params(e.to_string()))
    }

    /// Checks every parameter, naming the first bad one.
    pub fn plan(&self) -> Result<ValidationPlan, BatchError> {
        let levels = if self.levels.is_empty() {
            AdminLevel::ALL.to_vec()
        } else {
            self.levels
                .iter()
                .map(|l| {
                    AdminLevel::parse(l).map_err(|_| {
                        BatchError::Params(format!(
                            "levels: {l:?} is not city, district, township or community"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        Ok(ValidationPlan { levels })
    }
}

impl ValidationPlan {
    /// The findings district `district` owns, keyed `district/n`, each the JSON of a
    /// [`civmap_geo_core::survey::Finding`]. `validator` indexes the whole frame (every
    /// partition of a worker shares one).
    pub fn partition_rows(
        &self,
        city: &Dataset,
        validator: &Validator,
        district: &str,
    ) -> Result<Vec<(String, Value)>, BatchError> {
        let districts = partition_districts(city);
        let code = AdminCode::parse(district)
            .ok()
            .filter(|c| districts.contains(c))
            .ok_or_else(|| BatchError::UnknownDistrict(district.to_owned()))?;
        let findings = validator.validate_owned(&self.levels, &|c| {
            owning_district(c, &districts) == Some(&code)
        });
        findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let body =
                    serde_json::to_value(f).map_err(|e| BatchError::Params(e.to_string()))?;
                Ok((format!("{district}/{i:06}"), body))
            })
            .collect()
    }
}

fn empty_rows(city: &Dataset, level: AdminLevel) -> Vec<civmap_geo_core::coverage::UnitCoverage> {
    city.admin_at_level(level)
        .map(|u| civmap_geo_core::coverage::UnitCoverage {
            code: u.code.clone(),
            name: u.name.clone(),
            level,
            population: 0,
            covered_population: 0,
            elderly: 0,
            covered_elderly: 0,
            share_elderly: 0.0,
        })
        .collect()
}
