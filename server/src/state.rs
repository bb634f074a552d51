//! What every request shares: the dataset and the indexes built over it at start-up.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use civmap_geo_core::{AdminLevel, Dataset};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::geojson_out;

/// A facility's position in the R-tree, with its index in the dataset.
pub type FacilityPoint = GeomWithData<[f64; 2], u32>;

/// Where the served data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded Hangzhou default.
    Embedded,
    /// A data directory written by `civmap import`.
    DataDir,
}

impl StoreKind {
    /// The `/health` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::DataDir => "data-dir",
        }
    }
}

/// Shared, read-only state.
#[derive(Debug)]
pub struct AppState {
    /// The dataset.
    pub data: Dataset,
    /// Where it came from.
    pub store: StoreKind,
    /// Facilities by location (lon, lat).
    pub facility_index: RTree<FacilityPoint>,
    /// Pre-rendered `/api/v1/admin?level=L` bodies.
    pub admin_by_level: HashMap<AdminLevel, Bytes>,
    /// When the server started.
    pub started: Instant,
}

/// The state as handlers receive it.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Builds indexes and pre-rendered bodies over a dataset.
    pub fn new(data: Dataset, store: StoreKind) -> Self {
        let facility_index = RTree::bulk_load(
            data.facilities
                .iter()
                .enumerate()
                .map(|(i, f)| FacilityPoint::new([f.location.x(), f.location.y()], i as u32))
                .collect(),
        );
        let admin_by_level = AdminLevel::ALL
            .iter()
            .map(|&l| {
                let units: Vec<_> = data.admin_at_level(l).collect();
                (l, Bytes::from(geojson_out::admin_collection(&units)))
            })
            .collect();
        Self {
            data,
            store,
            facility_index,
            admin_by_level,
            started: Instant::now(),
        }
    }
}
