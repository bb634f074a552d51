//! What-if scenarios: facilities added, moved or closed, never applied to the base data.
//! A request is validated against the live data (every id exists, no facility is edited
//! twice, coordinates in range) before it is stored.

use std::collections::{HashMap, HashSet};

use civmap_geo_core::coverage::Scenario;
use civmap_geo_core::{Dataset, Facility, FacilityAttributes, FacilityCategory};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use civmap_data::scenarios::ScenarioRow;

use crate::service::data::LiveData;
use crate::service::ServiceError;

/// Most edits in one scenario.
pub const MAX_EDITS: usize = 10_000;

/// Farthest a facility may be placed from the walking network, metres. Why: coverage
/// walks from where a facility meets the network, so a point kilometres from any street
/// (in a lake, on a mountain, a typo in a coordinate) would silently be credited with the
/// coverage of a street it cannot reach.
pub const MAX_OFF_NETWORK_M: f64 = 2_000.0;

/// A facility a scenario adds.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AddedFacility {
    /// Its id (given, or `{scenario}-add-{n}`).
    pub id: String,
    /// Category id.
    #[schema(value_type = String)]
    pub category: FacilityCategory,
    /// Name.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Hub canteen.
    pub hub: bool,
    /// Delivers meals.
    pub delivery: bool,
    /// Demonstration centre.
    pub demonstration: bool,
    /// Beds.
    pub beds: Option<u32>,
    /// Nursing beds.
    pub nursing_beds: Option<u32>,
}

impl AddedFacility {
    fn attributes(&self) -> FacilityAttributes {
        FacilityAttributes {
            hub: self.hub,
            delivery: self.delivery,
            demonstration: self.demonstration,
            beds: self.beds,
            nursing_beds: self.nursing_beds,
        }
    }
}

/// A stored what-if scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScenario {
    /// `s1`, `s2`, …
    pub id: String,
    /// The planner who created it: the only one who may read, use or delete it.
    pub owner: String,
    /// New facilities.
    pub add: Vec<AddedFacility>,
    /// `(facility id, lon, lat)`.
    pub moves: Vec<(String, f64, f64)>,
    /// Facility ids.
    pub close: Vec<String>,
    /// Seconds since the Unix epoch at creation.
    pub created_unix_s: u64,
}

fn gone(scenario: &str, id: &str) -> ServiceError {
    ServiceError::out_of_range(
        "scenario",
        format!("scenario {scenario} names facility {id:?}, which no longer exists"),
    )
}

impl StoredScenario {
    /// The scenario a stored row holds: its body is the request that created it.
    pub fn from_row(row: ScenarioRow) -> Result<Self, ServiceError> {
        let request: ScenarioRequest = serde_json::from_value(row.body).map_err(|e| {
            ServiceError::internal(format!("stored scenario {} does not read: {e}", row.id))
        })?;
        let created_unix_s = u64::try_from(row.created_ms / 1000).unwrap_or(0);
        Ok(request.into_stored(row.id, row.owner, created_unix_s))
    }

    /// The facilities in force under this scenario, with whether each was placed by it
    /// (moved or added: its admin code must be re-resolved by the caller).
    pub fn facilities(&self, data: &Dataset) -> Result<Vec<(Facility, bool)>, ServiceError> {
        let mut out: Vec<(Facility, bool)> =
            data.facilities.iter().map(|f| (f.clone(), false)).collect();
        let pos: HashMap<&str, usize> = data
            .facilities
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.as_str(), i))
            .collect();
        let find = |id: &str| pos.get(id).copied().ok_or_else(|| gone(&self.id, id));
        for (id, lon, lat) in &self.moves {
            let i = find(id)?;
            out[i].0.location = geo::Point::new(*lon, *lat);
            out[i].1 = true;
        }
        let mut closed = vec![false; out.len()];
        for id in &self.close {
            closed[find(id)?] = true;
        }
        let mut out: Vec<(Facility, bool)> = out
            .into_iter()
            .zip(closed)
            .filter(|(_, c)| !c)
            .map(|(f, _)| f)
            .collect();
        out.extend(self.add.iter().map(|a| {
            let f = Facility {
                id: a.id.clone(),
                name: a.name.clone(),
                category: a.category,
                location: geo::Point::new(a.lon, a.lat),
                address: String::new(),
                admin_code: None,
                attributes: a.attributes(),
                synthetic: true,
            };
            (f, true)
        }));
        Ok(out)
    }

    /// The scenario's edits to one category, in records of the current data.
    pub fn edits(
        &self,
        live: &LiveData,
        category: FacilityCategory,
    ) -> Result<Scenario, ServiceError> {
        let d = live.data.data();
        let record = |id: &str| {
            live.data
                .facility_record(id)
                .ok_or_else(|| gone(&self.id, id))
        };
        let mut out = Scenario::default();
        for id in &self.close {
            let r = record(id)?;
            if d.facilities[r as usize].category == category {
                out.close.push(r);
            }
        }
        for (id, lon, lat) in &self.moves {
            let r = record(id)?;
            if d.facilities[r as usize].category == category {
                out.moves.push((r, *lon, *lat));
            }
        }
        out.add = self
            .add
            .iter()
            .filter(|a| a.category == category)
            .map(|a| (a.id.clone(), a.lon, a.lat))
            .collect();
        Ok(out)
    }

    /// The summary the API returns.
    pub fn summary(&self, data: &Dataset) -> ScenarioSummary {
        let cat_of = |id: &str| {
            data.facilities
                .iter()
                .find(|f| f.id == id)
                .map(|f| f.category.id().to_owned())
        };
        let mut categories: Vec<String> = self
            .add
            .iter()
            .map(|a| a.category.id().to_owned())
            .collect();
        categories.extend(self.moves.iter().filter_map(|m| cat_of(&m.0)));
        categories.extend(self.close.iter().filter_map(|c| cat_of(c)));
        categories.sort_unstable();
        categories.dedup();
        ScenarioSummary {
            id: self.id.clone(),
            created_unix_s: self.created_unix_s,
            categories,
            add: self.add.clone(),
            moves: self
                .moves
                .iter()
                .map(|(id, lon, lat)| MovedFacility {
                    id: id.clone(),
                    category: cat_of(id),
                    lon: *lon,
                    lat: *lat,
                })
                .collect(),
            close: self
                .close
                .iter()
                .map(|id| ClosedFacility {
                    id: id.clone(),
                    category: cat_of(id),
                })
                .collect(),
            evicted: None,
        }
    }
}

/// A facility moved by a scenario.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovedFacility {
    /// Facility id.
    pub id: String,
    /// Its category.
    pub category: Option<String>,
    /// New longitude.
    pub lon: f64,
    /// New latitude.
    pub lat: f64,
}

/// A facility closed by a scenario.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosedFacility {
    /// Facility id.
    pub id: String,
    /// Its category.
    pub category: Option<String>,
}

/// A stored scenario as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScenarioSummary {
    /// Use as `scenario=ID`.
    pub id: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_unix_s: u64,
    /// Categories it edits.
    pub categories: Vec<String>,
    /// Facilities added.
    pub add: Vec<AddedFacility>,
    /// Facilities moved.
    #[serde(rename = "move")]
    pub moves: Vec<MovedFacility>,
    /// Facilities closed.
    pub close: Vec<ClosedFacility>,
    /// Always null: scenarios are no longer evicted (kept for clients of the first
    /// contract; a full quota is a 409 instead). Creation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evicted: Option<Option<String>>,
}

/// A facility to add.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRequest {
    /// Id (default `{scenario}-add-{n}`); must not be taken.
    pub id: Option<String>,
    /// Category (default: the body's `category`).
    #[schema(value_type = Option<String>)]
    pub category: Option<FacilityCategory>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Name.
    pub name: Option<String>,
    /// Hub canteen.
    #[serde(default)]
    pub hub: bool,
    /// Delivers meals.
    #[serde(default)]
    pub delivery: bool,
    /// Demonstration centre.
    #[serde(default)]
    pub demonstration: bool,
    /// Beds.
    pub beds: Option<u32>,
    /// Nursing beds (at most `beds`).
    pub nursing_beds: Option<u32>,
}

/// A facility to move.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Facility id.
    pub id: String,
    /// New longitude.
    pub lon: f64,
    /// New latitude.
    pub lat: f64,
}

/// `POST /api/v1/scenarios`. Stored as it came (its JSON is the scenario store's body),
/// so the ids and names it leaves out are given from the stored id each time it is read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRequest {
    /// Default category of added facilities.
    #[schema(value_type = Option<String>)]
    pub category: Option<FacilityCategory>,
    /// Facilities to add.
    #[serde(default)]
    pub add: Vec<AddRequest>,
    /// Facilities to move.
    #[serde(default, rename = "move")]
    pub moves: Vec<MoveRequest>,
    /// Facility ids to close.
    #[serde(default)]
    pub close: Vec<String>,
}

/// Checks a WGS84 point of a body, naming `param.lon` / `param.lat`.
pub fn check_point(param: &str, lon: f64, lat: f64) -> Result<(), ServiceError> {
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        return Err(ServiceError::out_of_range(
            format!("{param}.lon"),
            format!("must be within [-180, 180], got {lon}"),
        ));
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        return Err(ServiceError::out_of_range(
            format!("{param}.lat"),
            format!("must be within [-90, 90], got {lat}"),
        ));
    }
    Ok(())
}

/// Checks that a point lies inside one of the city's admin units, naming `param.lon`.
/// A dataset without admin units (an import of facilities and streets only) has no city
/// outline to check against; the network-distance check still applies.
pub fn check_in_city(live: &LiveData, param: &str, lon: f64, lat: f64) -> Result<(), ServiceError> {
    if live.data.data().admin.is_empty() {
        return Ok(());
    }
    let chain = live.data.index().admin_chain(lon, lat).unwrap_or_default();
    if chain.is_empty() {
        return Err(ServiceError::out_of_range(
            format!("{param}.lon"),
            format!("({lon}, {lat}) lies outside every admin unit of the city"),
        ));
    }
    Ok(())
}

impl ScenarioRequest {
    /// The points the request places, with the body path naming each (`add[0]`, `move[1]`).
    pub fn placed(&self) -> Vec<(String, f64, f64)> {
        let adds = self
            .add
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("add[{i}]"), a.lon, a.lat));
        let moves = self
            .moves
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("move[{i}]"), m.lon, m.lat));
        adds.chain(moves).collect()
    }

    /// Checks the request against the live data: sizes, ids, coordinates, beds.
    pub fn validate(&self, live: &LiveData) -> Result<(), ServiceError> {
        if self.add.len() + self.moves.len() + self.close.len() > MAX_EDITS {
            return Err(ServiceError::out_of_range(
                "body",
                format!("at most {MAX_EDITS} edits per scenario"),
            ));
        }
        let exists = |param: &str, id: &str| {
            live.data.facility_record(id).map(|_| ()).ok_or_else(|| {
                ServiceError::out_of_range(param, format!("no facility with id {id:?}"))
            })
        };
        let mut seen = HashSet::new();
        for (i, c) in self.close.iter().enumerate() {
            exists(&format!("close[{i}]"), c)?;
            if !seen.insert(c.as_str()) {
                return Err(ServiceError::out_of_range(
                    format!("close[{i}]"),
                    format!("facility {c:?} is edited twice"),
                ));
            }
        }
        for (i, m) in self.moves.iter().enumerate() {
            exists(&format!("move[{i}].id"), &m.id)?;
            check_point(&format!("move[{i}]"), m.lon, m.lat)?;
            check_in_city(live, &format!("move[{i}]"), m.lon, m.lat)?;
            if !seen.insert(m.id.as_str()) {
                return Err(ServiceError::out_of_range(
                    format!("move[{i}].id"),
                    format!(
                        "facility {:?} is edited twice (moved and closed, or moved twice)",
                        m.id
                    ),
                ));
            }
        }
        let mut add_ids = HashSet::new();
        for (i, a) in self.add.iter().enumerate() {
            self.check_add(live, i, a, &mut add_ids)?;
        }
        Ok(())
    }

    fn check_add<'a>(
        &self,
        live: &LiveData,
        i: usize,
        a: &'a AddRequest,
        add_ids: &mut HashSet<&'a str>,
    ) -> Result<(), ServiceError> {
        check_point(&format!("add[{i}]"), a.lon, a.lat)?;
        check_in_city(live, &format!("add[{i}]"), a.lon, a.lat)?;
        if a.category.or(self.category).is_none() {
            return Err(ServiceError::invalid(
                format!("add[{i}].category"),
                "required (here or as the body's category)",
            ));
        }
        if let (Some(beds), Some(n)) = (a.beds, a.nursing_beds) {
            if n > beds {
                return Err(ServiceError::out_of_range(
                    format!("add[{i}].nursing_beds"),
                    format!("nursing_beds ({n}) exceeds beds ({beds})"),
                ));
            }
        }
        if let Some(id) = &a.id {
            if id.trim().is_empty() {
                return Err(ServiceError::invalid(
                    format!("add[{i}].id"),
                    "must not be empty",
                ));
            }
            if live.data.facility_record(id).is_some() || !add_ids.insert(id.as_str()) {
                return Err(ServiceError::out_of_range(
                    format!("add[{i}].id"),
                    format!("id {id:?} is already taken"),
                ));
            }
        }
        Ok(())
    }

    /// The scenario this request stores under `id` (call after [`validate`](Self::validate)).
    pub fn into_stored(self, id: String, owner: String, created_unix_s: u64) -> StoredScenario {
        let default_category = self.category;
        StoredScenario {
            owner,
            add: self
                .add
                .into_iter()
                .enumerate()
                .map(|(i, a)| {
                    let category = a
                        .category
                        .or(default_category)
                        .unwrap_or(FacilityCategory::ElderCanteen);
                    AddedFacility {
                        id: a.id.unwrap_or_else(|| format!("{id}-add-{i}")),
                        name: a
                            .name
                            .unwrap_or_else(|| format!("{} (scenario {id})", category.name_zh())),
                        category,
                        lon: a.lon,
                        lat: a.lat,
                        hub: a.hub,
                        delivery: a.delivery,
                        demonstration: a.demonstration,
                        beds: a.beds,
                        nursing_beds: a.nursing_beds,
                    }
                })
                .collect(),
            moves: self
                .moves
                .into_iter()
                .map(|m| (m.id, m.lon, m.lat))
                .collect(),
            close: self.close,
            created_unix_s,
            id,
        }
    }
}
