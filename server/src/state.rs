//! What every request shares: the dataset with its indexes (behind a lock, because PostGIS
//! notifications edit it live), pre-rendered bodies, and the store's health.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use axum::body::Bytes;
use civmap_geo_core::coverage::Snapper;
use civmap_geo_core::gazetteer::{hangzhou_aliases, Gazetteer};
use civmap_geo_core::live::IndexedDataset;
use civmap_geo_core::{AdminLevel, Dataset};

use crate::geojson_out;

mod gazetteer_upkeep;
pub use gazetteer_upkeep::refresh_gazetteer;
use gazetteer_upkeep::GazetteerUpkeep;

/// Where the served data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded Hangzhou default.
    Embedded,
    /// A data directory written by `civmap import`.
    DataDir,
    /// A PostGIS database, followed live.
    Postgis,
}

impl StoreKind {
    /// The `/health` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::DataDir => "data-dir",
            Self::Postgis => "postgis",
        }
    }
}

/// The data and everything derived from it, replaced or edited together.
#[derive(Debug)]
pub struct LiveData {
    /// Records and indexes.
    pub data: IndexedDataset,
    /// Pre-rendered `/api/v1/admin?level=L` bodies.
    pub admin_by_level: HashMap<AdminLevel, Bytes>,
    /// Place-name index. Rebuilt on every full load; facility, landmark and doorplate
    /// edits followed live from PostGIS reach it at once through the `LiveData` edit
    /// methods, admin edits through a background rebuild ([`refresh_gazetteer`]).
    pub gazetteer: Gazetteer,
    /// What keeps the gazetteer in step with edits (see `gazetteer_upkeep`).
    gazetteer_upkeep: GazetteerUpkeep,
    /// Nearest street segment, for reverse geocoding.
    pub snapper: Snapper,
}

impl LiveData {
    /// Indexes a dataset and renders its admin bodies.
    pub fn new(data: Dataset) -> Self {
        // the three indexes are independent: build them side by side
        let (gazetteer, snapper) = std::thread::scope(|scope| {
            let gazetteer = scope.spawn(|| Gazetteer::build(&data, &hangzhou_aliases()));
            let snapper = Snapper::build(&data.network);
            (
                gazetteer
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                snapper,
            )
        });
        let mut live = Self {
            data: IndexedDataset::new(data),
            admin_by_level: HashMap::new(),
            gazetteer,
            gazetteer_upkeep: GazetteerUpkeep::new(),
            snapper,
        };
        live.render_admin();
        live
    }

    /// Re-renders the admin bodies (after an admin edit).
    pub fn render_admin(&mut self) {
        let d = self.data.data();
        self.admin_by_level = AdminLevel::ALL
            .iter()
            .map(|&l| {
                let units: Vec<_> = d.admin_at_level(l).collect();
                (l, Bytes::from(geojson_out::admin_collection(&units)))
            })
            .collect();
    }
}

/// Shared state.
#[derive(Debug)]
pub struct AppState {
    live: RwLock<LiveData>,
    /// Where the data comes from.
    pub store: StoreKind,
    /// When the server started.
    pub started: Instant,
    /// False while the database is unreachable (PostGIS store only).
    pub store_up: AtomicBool,
    /// Signalled once the first full load from the store is in (PostGIS store only).
    pub first_load: tokio::sync::Notify,
    /// The coverage engine (built in the background), its caches and the scenarios.
    pub coverage: crate::coverage_service::CoverageService,
    /// Vector tiles: admin topology and tile cache.
    pub tiles: crate::tiles_api::TileState,
}

/// The state as handlers receive it.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Builds indexes and pre-rendered bodies over a dataset.
    pub fn new(data: Dataset, store: StoreKind) -> Self {
        let tiles = crate::tiles_api::TileState::new(&data);
        Self {
            tiles,
            live: RwLock::new(LiveData::new(data)),
            store,
            started: Instant::now(),
            store_up: AtomicBool::new(true),
            first_load: tokio::sync::Notify::new(),
            coverage: Default::default(),
        }
    }

    /// Reads the live data (a poisoned lock still holds consistent data: every edit is
    /// applied under the lock before any panic could happen in a reader).
    pub fn read(&self) -> RwLockReadGuard<'_, LiveData> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Edits the live data.
    pub fn write(&self) -> RwLockWriteGuard<'_, LiveData> {
        self.live.write().unwrap_or_else(|e| e.into_inner())
    }

    /// `ok`, or `degraded` while the store is unreachable.
    pub fn status(&self) -> &'static str {
        if self.store_up.load(Ordering::Relaxed) {
            "ok"
        } else {
            "degraded"
        }
    }
}
