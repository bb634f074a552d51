//! The spatial core's questions: nearest facilities (straight or walking), facilities
//! within a radius, and the admin chain at a point — answered from the R-trees with exact
//! geodesic distances. Ties are broken by facility id, the API's rule.

use civmap_geo_core::coverage::{CoverageEngine, WalkProfile};
use civmap_geo_core::FacilityCategory;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::as_of::{AsOf, AsOfBody, AsOfView};
use crate::service::data::{DataService, LiveData};
use crate::service::geojson::{FacilityCollection, FacilityFeature};
use crate::service::ServiceError;

/// Largest `k` for nearest.
pub const MAX_K: usize = 100;
/// Largest radius for within, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Farthest walk searched for nearest in walk mode, metres.
pub const MAX_WALK_M: f64 = 50_000.0;

/// One unit of an admin chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainLink {
    /// 12-digit code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `city`, `district`, `township` or `community`.
    pub level: String,
    /// Generated geometry.
    pub synthetic: bool,
    /// Answers `as_of` a past day only: how the unit's shape that day was obtained,
    /// `current` or `reconstructed` (a unit of `unknown` shape holds no point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry_source: Option<String>,
}

impl ChainLink {
    /// The link of one admin unit.
    pub fn of(u: &civmap_geo_core::AdminUnit) -> Self {
        Self {
            code: u.code.as_str().to_owned(),
            name: u.name.clone(),
            level: u.level.as_str().to_owned(),
            synthetic: u.synthetic,
            geometry_source: None,
        }
    }

    /// The chain at a point in a past edition's view.
    pub fn chain_as_of(view: &AsOfView, lon: f64, lat: f64) -> Result<Vec<Self>, ServiceError> {
        Ok(view
            .index
            .chain(lon, lat)?
            .into_iter()
            .map(|i| {
                let mut link = Self::of(&view.units[i as usize]);
                link.geometry_source = Some(view.sources[i as usize].name().to_owned());
                link
            })
            .collect())
    }
}

/// `GET /api/v1/admin/at`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminAt {
    /// The point (WGS84).
    pub lon: f64,
    /// The point (WGS84).
    pub lat: f64,
    /// The units holding it, city first; empty outside the data.
    pub chain: Vec<ChainLink>,
    /// Answers `as_of` a past day only: the edition that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

impl LiveData {
    /// Orders hits by (distance, facility id).
    fn by_distance_then_id(&self, hits: &mut [(u32, f64)]) {
        let f = &self.data.data().facilities;
        hits.sort_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| f[a.0 as usize].id.cmp(&f[b.0 as usize].id))
        });
    }

    /// The admin units holding a point, city first.
    pub fn admin_chain(&self, lon: f64, lat: f64) -> Result<Vec<ChainLink>, ServiceError> {
        let d = self.data.data();
        Ok(self
            .data
            .index()
            .admin_chain(lon, lat)?
            .into_iter()
            .map(|i| ChainLink::of(&d.admin[i as usize]))
            .collect())
    }

    fn collection(&self, hits: &[(u32, f64)]) -> FacilityCollection {
        let d = self.data.data();
        FacilityCollection::new(
            hits.iter()
                .map(|&(i, dist)| FacilityFeature::new(&d.facilities[i as usize], Some(dist)))
                .collect(),
        )
    }
}

impl DataService {
    /// The `k` facilities nearest a point in a straight line (geodesic).
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        categories: &[FacilityCategory],
        k: usize,
    ) -> Result<FacilityCollection, ServiceError> {
        let filter = (!categories.is_empty()).then_some(categories);
        let live = self.read();
        let index = live.data.index().facilities();
        let mut hits = index.nearest(lon, lat, k, filter)?;
        // the index breaks ties by record order: take every record as near as the k-th,
        // order by (distance, id), keep k
        if let Some(&(_, kth)) = hits.last().filter(|_| hits.len() == k) {
            hits = index.within(lon, lat, kth, filter)?;
        }
        live.by_distance_then_id(&mut hits);
        hits.truncate(k);
        Ok(live.collection(&hits))
    }

    /// The `k` facilities nearest a point along the walking network (snapping legs
    /// included), with their walking time at the profile's speed.
    pub fn nearest_walk(
        &self,
        engine: &CoverageEngine,
        at: (f64, f64),
        categories: &[FacilityCategory],
        k: usize,
        profile: &WalkProfile,
    ) -> Result<FacilityCollection, ServiceError> {
        self.nearest_walk_within(engine, at, categories, k, profile, MAX_WALK_M)
    }

    /// [`Self::nearest_walk`] searching no farther than `max_walk_m` along the network:
    /// the same answer cut at that distance (the doorplate page's 15-minute walk).
    pub fn nearest_walk_within(
        &self,
        engine: &CoverageEngine,
        (lon, lat): (f64, f64),
        categories: &[FacilityCategory],
        k: usize,
        profile: &WalkProfile,
        max_walk_m: f64,
    ) -> Result<FacilityCollection, ServiceError> {
        let live = self.read();
        let d = live.data.data();
        let index = live.data.index().facilities();
        let filter = (!categories.is_empty()).then_some(categories);
        let mut hits = engine.nearest_walk(lon, lat, k, max_walk_m.min(MAX_WALK_M), |r| {
            index
                .within(lon, lat, r, filter)
                .unwrap_or_default()
                .into_iter()
                .map(|(i, _)| {
                    let f = &d.facilities[i as usize];
                    (i, f.location.x(), f.location.y())
                })
                .collect()
        })?;
        live.by_distance_then_id(&mut hits);
        let mut fc = live.collection(&hits);
        for f in &mut fc.features {
            let dist = f.properties.distance_m.unwrap_or_default();
            f.properties.walk_s = Some(dist / profile.speed_m_per_s);
            f.properties.mode = Some("walk".to_owned());
        }
        Ok(fc)
    }

    /// Facilities within `radius_m` of a point, nearest first.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        categories: &[FacilityCategory],
    ) -> Result<FacilityCollection, ServiceError> {
        let filter = (!categories.is_empty()).then_some(categories);
        let live = self.read();
        let mut hits = live
            .data
            .index()
            .facilities()
            .within(lon, lat, radius_m, filter)?;
        live.by_distance_then_id(&mut hits);
        Ok(live.collection(&hits))
    }

    /// The units holding a point.
    pub fn admin_at(&self, lon: f64, lat: f64) -> Result<AdminAt, ServiceError> {
        Ok(AdminAt {
            lon,
            lat,
            chain: self.read().admin_chain(lon, lat)?,
            as_of: None,
        })
    }

    /// The units holding a point on a day (blocking: the first question about an edition
    /// builds its view).
    pub fn admin_at_as_of(&self, lon: f64, lat: f64, as_of: AsOf) -> Result<AdminAt, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.admin_at(lon, lat);
        };
        let view = self.as_of_view(edition)?;
        Ok(AdminAt {
            lon,
            lat,
            chain: ChainLink::chain_as_of(&view, lon, lat)?,
            as_of: Some(view.body(day, &[])),
        })
    }
}
