//! The served data: records with their R-trees, the gazetteer and the street snapper, behind
//! one lock (PostGIS notifications edit them live), plus where they came from and whether
//! that store is reachable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use axum::body::Bytes;
use civmap_geo_core::coverage::Snapper;
use civmap_geo_core::gazetteer::{hangzhou_aliases, Alias, Gazetteer};
use civmap_geo_core::live::IndexedDataset;
use civmap_geo_core::{AdminLevel, Dataset};

use crate::service::as_of::{AsOfView, AsOfViews};
use crate::service::geojson::AdminCollection;
use crate::service::ServiceError;

mod gazetteer_upkeep;
use gazetteer_upkeep::GazetteerUpkeep;
pub use gazetteer_upkeep::{rebuild_gazetteer_now, refresh_gazetteer};

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
    /// Pre-rendered `/api/v1/admin?level=L` bodies (the most requested, largest answers).
    pub admin_by_level: HashMap<AdminLevel, Bytes>,
    /// Place-name index. Rebuilt on every full load; facility, landmark and doorplate
    /// edits followed live from PostGIS reach it at once through the `LiveData` edit
    /// methods, admin edits through a background rebuild ([`refresh_gazetteer`]).
    pub gazetteer: Gazetteer,
    /// What keeps the gazetteer in step with edits (see `gazetteer_upkeep`).
    gazetteer_upkeep: GazetteerUpkeep,
    /// Nearest street segment, for reverse geocoding.
    pub snapper: Snapper,
    /// The surveyors' products of the admin units (measures, lines, findings), built on
    /// first use and dropped by admin edits.
    pub survey: Arc<AdminDerived>,
    /// The past editions' views over these admin units (`as_of`), built on first use and
    /// replaced by admin edits.
    pub as_of: Arc<AsOfViews>,
}

impl LiveData {
    /// Indexes a dataset and renders its admin bodies (the gazetteer with Hangzhou's
    /// historical names).
    pub fn new(data: Dataset) -> Self {
        Self::with_aliases(data, &hangzhou_aliases())
    }

    /// [`Self::new`] with the gazetteer's other names given (see
    /// [`DataService::gazetteer_aliases`]).
    pub fn with_aliases(data: Dataset, aliases: &[Alias]) -> Self {
        // the gazetteer and the snapper are independent: build them side by side
        let (gazetteer, snapper) = rayon::join(
            || Gazetteer::build(&data, aliases),
            || Snapper::build(&data.network),
        );
        let mut live = Self {
            data: IndexedDataset::new(data),
            admin_by_level: HashMap::new(),
            gazetteer,
            gazetteer_upkeep: GazetteerUpkeep::new(),
            snapper,
            survey: Arc::default(),
            as_of: Arc::default(),
        };
        live.render_admin();
        live
    }

    /// Re-renders the admin bodies and drops the survey products (after an admin edit).
    pub fn render_admin(&mut self) {
        self.survey.invalidate();
        self.as_of = Arc::default();
        let d = self.data.data();
        self.admin_by_level = AdminLevel::ALL
            .iter()
            .map(|&l| {
                let units: Vec<_> = d.admin_at_level(l).collect();
                let body = serde_json::to_vec(&AdminCollection::new(&units)).unwrap_or_default();
                (l, Bytes::from(body))
            })
            .collect();
    }

    /// Whether any record of the layers a coverage answer counts (doorplates) is synthetic.
    pub fn doorplates_synthetic(&self) -> bool {
        self.data.data().doorplates.iter().any(|d| d.synthetic)
    }
}

/// What is derived from the admin units and dropped by every admin edit: the survey
/// module's products (held here as `Any` so that this module does not depend on the one
/// that reads it). The last products are kept after an edit for what the next build carries
/// over (boundary-line ids).
#[derive(Default)]
pub struct AdminDerived {
    state: std::sync::Mutex<DerivedState>,
    /// Held while building, so concurrent first requests build once.
    pub building: std::sync::Mutex<()>,
}

/// Products, type-erased.
pub type Derived = Arc<dyn std::any::Any + Send + Sync>;

#[derive(Default)]
struct DerivedState {
    generation: u64,
    current: Option<Derived>,
    previous: Option<Derived>,
}

impl std::fmt::Debug for AdminDerived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("AdminDerived")
            .field("generation", &s.generation)
            .field("built", &s.current.is_some())
            .finish()
    }
}

impl AdminDerived {
    fn lock(&self) -> std::sync::MutexGuard<'_, DerivedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The admin units changed: drop the products, keep them as the previous ones.
    pub fn invalidate(&self) {
        let mut s = self.lock();
        s.generation += 1;
        if let Some(p) = s.current.take() {
            s.previous = Some(p);
        }
    }

    /// The current products, or the generation to build and the previous products.
    pub fn current(&self) -> Result<Derived, (u64, Option<Derived>)> {
        let s = self.lock();
        match &s.current {
            Some(p) => Ok(p.clone()),
            None => Err((s.generation, s.previous.clone())),
        }
    }

    /// Keeps products built for `generation` unless an edit came in meanwhile.
    pub fn offer(&self, generation: u64, p: Derived) {
        let mut s = self.lock();
        if s.generation == generation {
            s.current = Some(p);
        }
    }
}

/// The data service: the live data, its store and the store's health.
#[derive(Debug)]
pub struct DataService {
    live: RwLock<LiveData>,
    /// Where the data comes from.
    pub store: StoreKind,
    /// When the server started.
    pub started: Instant,
    /// False while the database is unreachable (PostGIS store only).
    pub store_up: AtomicBool,
    /// Signalled once the first full load from the store is in (PostGIS store only).
    pub first_load: tokio::sync::Notify,
    /// The name registry's other names of units (former names of approved renames), which
    /// every gazetteer rebuild indexes beside Hangzhou's historical names.
    name_aliases: RwLock<Arc<Vec<Alias>>>,
    /// The gazetteer's former-name hook: names (and codes) units had before an approved
    /// change proposal, searchable as aliases of the units that carry the places now
    /// (added to [`hangzhou_aliases`] on every gazetteer rebuild).
    pub former_names: RwLock<Vec<Alias>>,
    /// Approved change proposals whose change could not be replayed onto the data at
    /// start (no PostGIS): their change is not in the served data.
    not_replayed: RwLock<Vec<UnreplayedApproval>>,
}

/// An approved change proposal whose change is not in the served data: a server without
/// PostGIS replays every approval onto its data at start, and skips (whole) one that no
/// longer fits the data, e.g. after the data directory was replaced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UnreplayedApproval {
    /// The proposal.
    pub proposal: i64,
    /// Its effective date.
    pub effective: String,
    /// Why it was skipped, e.g. `unit 330102001002 it retires is not in the data`.
    pub reason: String,
}

impl DataService {
    /// Indexes a dataset.
    pub fn new(data: Dataset, store: StoreKind) -> Self {
        Self::with_former_names(data, store, Vec::new())
    }

    /// Indexes a dataset, with the former names of approved change proposals already in
    /// its gazetteer (what a start loads from the store).
    pub fn with_former_names(data: Dataset, store: StoreKind, former_names: Vec<Alias>) -> Self {
        let mut aliases = hangzhou_aliases();
        aliases.extend(former_names.iter().cloned());
        Self {
            live: RwLock::new(LiveData::with_aliases(data, &aliases)),
            store,
            started: Instant::now(),
            store_up: AtomicBool::new(true),
            first_load: tokio::sync::Notify::new(),
            name_aliases: RwLock::default(),
            former_names: RwLock::new(former_names),
            not_replayed: RwLock::default(),
        }
    }

    /// The approvals whose change is not in the served data (see [`UnreplayedApproval`]).
    pub fn not_replayed(&self) -> Vec<UnreplayedApproval> {
        self.not_replayed
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records the approvals a start could not replay.
    pub fn set_not_replayed(&self, skipped: Vec<UnreplayedApproval>) {
        *self.not_replayed.write().unwrap_or_else(|e| e.into_inner()) = skipped;
    }

    /// Sets the name registry's names the gazetteer indexes from its next rebuild on.
    pub fn set_name_aliases(&self, aliases: Vec<Alias>) {
        *self.name_aliases.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(aliases);
    }

    /// The other names a gazetteer build indexes: Hangzhou's historical names, the name
    /// registry's and the former names of approved change proposals.
    pub fn gazetteer_aliases(&self) -> Vec<Alias> {
        let mut all = hangzhou_aliases();
        all.extend(
            self.name_aliases
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        all.extend(
            self.former_names
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        all
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

    /// The view of past edition `edition` (an [`AsOf::Past`](crate::service::as_of::AsOf)
    /// index) over the served admin units, built on first use (blocking).
    pub fn as_of_view(&self, edition: usize) -> Result<Arc<AsOfView>, ServiceError> {
        let live = self.read();
        live.as_of.view(edition, &live.data.data().admin)
    }

    /// Whether the store answers (always true for the embedded store and data directories).
    pub fn store_up(&self) -> bool {
        self.store_up.load(Ordering::Relaxed)
    }
}
