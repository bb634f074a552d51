//! What the data holds: health, layers, categories, admin units by level or parent, and
//! facilities by box and category.

use std::collections::HashMap;

use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit, DatasetCounts, FacilityCategory};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::as_of::AsOf;
use crate::service::data::DataService;
use crate::service::geojson::{AdminCollection, AdminFeature, FacilityCollection, FacilityFeature};
use crate::service::ServiceError;

/// `ok`, or `degraded` while the store is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Serving current data.
    Ok,
    /// Serving what is in memory while the store is unreachable.
    Degraded,
}

/// Whether the coverage engine for the current data is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EngineStatus {
    /// Coverage routes answer at once.
    Ready,
    /// Coverage routes wait for it (then 503 `warming_up`).
    Building,
}

/// Record counts per layer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    /// Admin units.
    pub admin: usize,
    /// Facilities.
    pub facilities: usize,
    /// Doorplates.
    pub doorplates: usize,
    /// Landmarks.
    pub landmarks: usize,
    /// Walking-network nodes.
    pub network_nodes: usize,
    /// Walking-network edges.
    pub network_edges: usize,
}

impl From<DatasetCounts> for Counts {
    fn from(c: DatasetCounts) -> Self {
        Self {
            admin: c.admin,
            facilities: c.facilities,
            doorplates: c.doorplates,
            landmarks: c.landmarks,
            network_nodes: c.network_nodes,
            network_edges: c.network_edges,
        }
    }
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: HealthStatus,
    /// `embedded`, `data-dir` or `postgis`.
    pub store: String,
    /// Records per layer.
    pub data: Counts,
    /// The dataset's name.
    pub dataset: String,
    /// Seconds since start.
    pub uptime_s: u64,
    /// The coverage engine.
    pub coverage_engine: EngineStatus,
    /// Approved change proposals whose change is not in the served data (a server
    /// without PostGIS could not replay them at start; listed, not fatal). Absent when
    /// none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proposals_not_replayed: Vec<crate::service::data::UnreplayedApproval>,
}

/// One layer of `/api/v1/layers`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LayerInfo {
    /// `admin`, `facilities`, `doorplates`, `landmarks` or `network`.
    pub id: String,
    /// Records (edges for the network).
    pub count: usize,
    /// Network nodes (network only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<usize>,
    /// `polygon`, `point` or `line`.
    pub geometry: String,
    /// Whether any record is generated.
    pub synthetic: bool,
}

/// One facility category.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryInfo {
    /// Id, e.g. `elder_canteen`.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Facilities of the category.
    pub count: usize,
}

/// Most facilities one listing returns.
pub const MAX_FACILITIES: usize = 50_000;

impl DataService {
    /// The health report; `engine_ready` comes from the coverage service.
    pub fn health(&self, engine_ready: bool) -> Health {
        let live = self.read();
        Health {
            status: if self.store_up() {
                HealthStatus::Ok
            } else {
                HealthStatus::Degraded
            },
            store: self.store.as_str().to_owned(),
            data: live.data.data().counts().into(),
            dataset: live.data.data().meta.name.clone(),
            uptime_s: self.started.elapsed().as_secs(),
            coverage_engine: if engine_ready {
                EngineStatus::Ready
            } else {
                EngineStatus::Building
            },
            proposals_not_replayed: self.not_replayed(),
        }
    }

    /// Every layer with its count, from the one layer registry.
    pub fn layers(&self) -> Vec<LayerInfo> {
        let live = self.read();
        let d = live.data.data();
        civmap_geo_core::Layer::ALL
            .iter()
            .map(|&layer| LayerInfo {
                id: layer.id().to_owned(),
                count: layer.count(d),
                nodes: (layer == civmap_geo_core::Layer::Network).then_some(d.network.nodes.len()),
                geometry: layer.geometry_kind().to_owned(),
                synthetic: layer.any_synthetic(d),
            })
            .collect()
    }

    /// Every category with its facility count.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        let live = self.read();
        let d = live.data.data();
        FacilityCategory::ALL
            .iter()
            .map(|c| CategoryInfo {
                id: c.id().to_owned(),
                name_zh: c.name_zh().to_owned(),
                name_en: c.name_en().to_owned(),
                count: d.facilities.iter().filter(|f| f.category == *c).count(),
            })
            .collect()
    }

    /// Admin units of a level and/or below a parent, serialised, today or as of a past day
    /// (`as_of`: that edition's units, each saying how its shape was obtained). A level alone
    /// today is served from the pre-rendered bodies.
    pub fn admin_units(
        &self,
        level: Option<AdminLevel>,
        parent: Option<&AdminCode>,
        as_of: AsOf,
    ) -> Result<axum::body::Bytes, ServiceError> {
        let body = match as_of {
            AsOf::Today => {
                let live = self.read();
                if let (Some(l), None) = (level, parent) {
                    if let Some(b) = live.admin_by_level.get(&l) {
                        return Ok(b.clone());
                    }
                }
                let admin = &live.data.data().admin;
                let units: Vec<_> = select_units(admin, level, parent)?
                    .into_iter()
                    .map(|i| &admin[i])
                    .collect();
                serde_json::to_vec(&AdminCollection::new(&units))
            }
            AsOf::Past { edition, day } => {
                let view = self.as_of_view(edition)?;
                let mut fc = AdminCollection::new(&[]);
                fc.features = select_units(&view.units, level, parent)?
                    .into_iter()
                    .map(|i| AdminFeature::past(&view.units[i], &view.sources[i]))
                    .collect();
                fc.as_of = Some(view.body(day, &[]));
                serde_json::to_vec(&fc)
            }
        };
        body.map(Into::into).map_err(ServiceError::internal)
    }

    /// Facilities in a box (all when `None`) of some categories (all when empty), ordered
    /// by id, at most `limit`.
    pub fn facilities(
        &self,
        bbox: Option<[f64; 4]>,
        categories: &[FacilityCategory],
        limit: usize,
    ) -> Result<FacilityCollection, ServiceError> {
        let filter = (!categories.is_empty()).then_some(categories);
        let live = self.read();
        let d = live.data.data();
        let mut idx: Vec<u32> = match bbox {
            Some([w, s, e, n]) => live.data.index().facilities().bbox(w, s, e, n, filter)?,
            None => (0..d.facilities.len() as u32)
                .filter(|&i| filter.is_none_or(|c| c.contains(&d.facilities[i as usize].category)))
                .collect(),
        };
        idx.sort_unstable_by(|&a, &b| {
            d.facilities[a as usize]
                .id
                .cmp(&d.facilities[b as usize].id)
        });
        let total = idx.len();
        idx.truncate(limit);
        let features: Vec<_> = idx
            .iter()
            .map(|&i| FacilityFeature::new(&d.facilities[i as usize], None))
            .collect();
        let mut fc = FacilityCollection::new(features);
        fc.number_matched = Some(total);
        fc.number_returned = Some(fc.features.len());
        Ok(fc)
    }
}

/// Indices of the units of `level` and/or below `parent`: with a level, `parent` is any
/// ancestor (the communities of a district); without one, its direct children. An unknown
/// parent is 404.
fn select_units(
    admin: &[AdminUnit],
    level: Option<AdminLevel>,
    parent: Option<&AdminCode>,
) -> Result<Vec<usize>, ServiceError> {
    if let Some(pc) = parent {
        if !admin.iter().any(|u| &u.code == pc) {
            return Err(ServiceError::NotFound(format!(
                "no admin unit with code {pc}"
            )));
        }
    }
    let parent_of: HashMap<&AdminCode, &AdminCode> = admin
        .iter()
        .filter_map(|u| u.parent.as_ref().map(|p| (&u.code, p)))
        .collect();
    let descends_from = |u: &AdminUnit, ancestor: &AdminCode| {
        let mut at = u.parent.as_ref();
        // a parent cycle in imported data must not hang the request
        for _ in 0..=AdminLevel::ALL.len() {
            match at {
                Some(p) if p == ancestor => return true,
                Some(p) => at = parent_of.get(p).copied(),
                None => return false,
            }
        }
        false
    };
    Ok(admin
        .iter()
        .enumerate()
        .filter(|(_, u)| match (level, parent) {
            (Some(l), Some(pc)) => u.level == l && descends_from(u, pc),
            (None, Some(pc)) => u.parent.as_ref() == Some(pc),
            (Some(l), None) => u.level == l,
            (None, None) => true,
        })
        .map(|(i, _)| i)
        .collect())
}
