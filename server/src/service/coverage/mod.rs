//! The coverage engine as the server holds it: built in the background after the server
//! is listening, rebuilt when doorplates, the network or admin units change, awaited by
//! the coverage routes, plus a small LRU of results and the planners' what-if scenarios
//! (kept in the accounts store, so that every replica shares them; see [`Self::scenario`]).
//!
//! # Freshness
//! - The engine snaps doorplates to the network and rolls them up the admin tree, so it is
//!   rebuilt (in a background thread, from a copy of those layers taken under the read
//!   lock) on every full reload and on every doorplate or admin edit; requests wait for the
//!   build that covers the newest change and never see an older engine.
//! - Facilities are read from the live data on every request, so facility edits count at
//!   once; they only bump the data version that stamps cached results.
//! - Cached results carry the engine generation and data version they were computed from;
//!   any change makes them misses.
//!
//! # Waiting
//! A coverage request that arrives while the engine is (re)building waits for it
//! asynchronously (no runtime thread is blocked) for up to [`ENGINE_WAIT`]; after that it
//! gets `503 {"error":{"code":"warming_up"}}` with `Retry-After`. The first build takes
//! about 5 s at scale 1, so a client that starts right after the server sees a slower first
//! answer rather than an error.
//!
//! # Budgets
//! Every heavy answer runs under a time budget ([`Budgets`]) and a cancellation token that
//! its future cancels when dropped; the engine's loops poll the token, so a client that
//! leaves or a budget that runs out stops the CPU work too (see [`budget`]).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use civmap_data::accounts::{AccountStore, AuditRecord};
use civmap_data::scenarios::{ScenarioLimits, ScenarioStore, ScenarioStoreError};
use civmap_geo_core::coverage::{CoverageEngine, CoverageResult, ScenarioCoverage};
use civmap_geo_core::Dataset;
use tokio::sync::watch;

use crate::service::data::DataService;
use crate::service::ServiceError;

mod answers;
mod as_of;
mod as_of_area;
mod as_of_gaps;
mod as_of_indicators;
mod as_of_siting;
pub mod budget;
pub mod export;
mod query;
mod scenario;

pub use answers::*;
pub use budget::{Budgets, COVERAGE_BUDGET, SITING_BUDGET};
pub use query::{base_sources, mode_name, CoverageQuery, ResultKey, MAX_MINUTES};
pub use scenario::{ScenarioRequest, ScenarioSummary, StoredScenario, MAX_OFF_NETWORK_M};

/// How long a coverage request waits for the engine before answering 503.
pub const ENGINE_WAIT: Duration = Duration::from_secs(15);
/// `Retry-After` seconds sent with a 503 while warming up or after a budget overrun.
pub const RETRY_AFTER_S: u64 = 5;
/// Cached whole-city results (each a few MB at scale 1).
pub const CACHE_RESULTS: usize = 32;
/// Cached base walking states (labels + result, ~8 MB each at scale 1).
pub const CACHE_STATES: usize = 8;
/// Cached rendered bodies (service areas and gaps: seconds to compute, a few MB each).
pub const CACHE_BODIES: usize = 16;
/// How long a cached result is kept.
pub const CACHE_TTL: Duration = Duration::from_secs(600);
/// Scenarios one planner may keep at once; creating one more is refused (409) until they
/// delete one. Nothing is evicted behind a planner's back.
pub const MAX_SCENARIOS_PER_USER: usize = 32;
/// Scenarios kept in memory across all planners (a bound on memory).
pub const MAX_SCENARIOS: usize = 4096;

/// An engine and the doorplate/network/admin generation it was built from.
#[derive(Debug)]
pub struct EngineSnapshot {
    /// The engine.
    pub engine: Arc<CoverageEngine>,
    /// The generation of the data it was built from.
    pub generation: u64,
}

/// A walking state of one category: base sources with a scenario's edits applied.
pub type WalkState = ScenarioCoverage<Arc<CoverageEngine>>;

/// What a cached entry was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    version: u64,
}

/// A small LRU bounded in entries, with a time-to-live.
#[derive(Debug)]
struct Lru<K, V> {
    cap: usize,
    map: HashMap<K, (V, Stamp, Instant, u64)>,
    tick: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> Lru<K, V> {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            map: HashMap::new(),
            tick: 0,
        }
    }

    fn get(&mut self, k: &K, stamp: Stamp) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        match self.map.get_mut(k) {
            Some((v, s, at, used)) if *s == stamp && at.elapsed() < CACHE_TTL => {
                *used = tick;
                Some(v.clone())
            }
            Some(_) => {
                self.map.remove(k);
                None
            }
            None => None,
        }
    }

    fn put(&mut self, k: K, v: V, stamp: Stamp) {
        self.tick += 1;
        self.map
            .retain(|_, (_, s, at, _)| *s == stamp && at.elapsed() < CACHE_TTL);
        while self.map.len() >= self.cap {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, _, _, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.map.remove(&oldest);
        }
        self.map.insert(k, (v, stamp, Instant::now(), self.tick));
    }

    fn clear(&mut self) {
        self.map.clear();
    }
}

/// The scenario store's limits.
const SCENARIO_LIMITS: ScenarioLimits = ScenarioLimits {
    per_owner: MAX_SCENARIOS_PER_USER,
    total: MAX_SCENARIOS,
};

/// The engine, its caches and the scenarios, over the data service it reads.
#[derive(Debug)]
pub struct CoverageService {
    /// The data the engine is built from and facilities are read from.
    data: Arc<DataService>,
    engine: watch::Sender<Option<Arc<EngineSnapshot>>>,
    /// Generation the engine must have (bumped on doorplate/network/admin changes).
    wanted: AtomicU64,
    /// Bumped on every data change (facility edits included).
    version: AtomicU64,
    building: AtomicBool,
    started: AtomicBool,
    results: Mutex<Lru<ResultKey, Arc<CoverageResult>>>,
    states: Mutex<Lru<ResultKey, Arc<WalkState>>>,
    bodies: Mutex<Lru<String, axum::body::Bytes>>,
    /// Whole gap lists (paged by the gaps route).
    gap_lists: Mutex<Lru<String, Arc<Vec<GapFeature>>>>,
    /// Where scenarios are kept (the accounts store: `accounts.sqlite` or PostGIS).
    scenario_store: ScenarioStore,
    /// Scenarios read from the store, parsed (they never change after creation).
    scenarios: Mutex<HashMap<String, Arc<StoredScenario>>>,
    /// How long each kind of answer may compute.
    budgets: Budgets,
    /// Blocking computations running now (see [`Self::computations_running`]).
    running: Arc<AtomicUsize>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What kind of data change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataChange {
    /// Doorplates, network or admin units (or everything): the engine is rebuilt.
    Structure,
    /// Facilities (or landmarks): caches are invalidated, the engine stays.
    Facilities,
}

impl CoverageService {
    /// A service over `data`; the engine is built on the first [`start_build`](Self::start_build).
    pub fn new(data: Arc<DataService>) -> Self {
        Self::with_budgets(data, Budgets::default())
    }

    /// [`Self::new`] with other time budgets (tests use tiny ones).
    pub fn with_budgets(data: Arc<DataService>, budgets: Budgets) -> Self {
        Self {
            data,
            engine: watch::channel(None).0,
            wanted: AtomicU64::new(1),
            version: AtomicU64::new(1),
            building: AtomicBool::new(false),
            started: AtomicBool::new(false),
            results: Mutex::new(Lru::new(CACHE_RESULTS)),
            states: Mutex::new(Lru::new(CACHE_STATES)),
            bodies: Mutex::new(Lru::new(CACHE_BODIES)),
            gap_lists: Mutex::new(Lru::new(CACHE_BODIES)),
            scenario_store: AccountStore::in_memory()
                .expect("an in-memory SQLite database opens")
                .scenarios(),
            scenarios: Mutex::new(HashMap::new()),
            budgets,
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Keeps scenarios in `store` (the server's accounts store) instead of the private
    /// in-memory one of [`Self::with_budgets`].
    pub fn with_scenario_store(mut self, store: ScenarioStore) -> Self {
        self.scenario_store = store;
        self
    }

    /// The data service this reads.
    pub fn data(&self) -> &DataService {
        &self.data
    }

    /// The data service, shared (for blocking work off the request's task).
    pub fn shared_data(&self) -> Arc<DataService> {
        self.data.clone()
    }

    /// Starts (or restarts) building the engine in the background for the current data.
    /// Cheap to call repeatedly: one builder thread runs at a time and rebuilds until it
    /// has caught up with the newest change.
    pub fn start_build(self: &Arc<Self>) {
        self.started.store(true, Ordering::SeqCst);
        if self.building.swap(true, Ordering::SeqCst) {
            return; // the running builder re-checks `wanted` when it finishes
        }
        let svc = self.clone();
        std::thread::Builder::new()
            .name("coverage-engine".into())
            .spawn(move || svc.build_until_current())
            .expect("spawn the coverage-engine thread");
    }

    fn build_until_current(&self) {
        loop {
            let generation = self.wanted.load(Ordering::SeqCst);
            let t = Instant::now();
            let layers = {
                let live = self.data.read();
                let d = live.data.data();
                Dataset {
                    admin: d.admin.clone(),
                    doorplates: d.doorplates.clone(),
                    network: d.network.clone(),
                    ..Dataset::default()
                }
            };
            let engine = Arc::new(CoverageEngine::new(&layers));
            drop(layers);
            tracing::info!(
                "coverage engine built (generation {generation}) in {:.2} s",
                t.elapsed().as_secs_f64()
            );
            self.engine
                .send_replace(Some(Arc::new(EngineSnapshot { engine, generation })));
            self.building.store(false, Ordering::SeqCst);
            // a change that came in while building: go again (unless another thread took over)
            if self.wanted.load(Ordering::SeqCst) == generation
                || self.building.swap(true, Ordering::SeqCst)
            {
                return;
            }
        }
    }

    /// Records a data change: invalidates caches and, for structural changes, rebuilds.
    pub fn note_change(self: &Arc<Self>, change: DataChange) {
        self.version.fetch_add(1, Ordering::SeqCst);
        lock(&self.results).clear();
        lock(&self.states).clear();
        lock(&self.bodies).clear();
        lock(&self.gap_lists).clear();
        if change == DataChange::Structure {
            self.wanted.fetch_add(1, Ordering::SeqCst);
            if self.started.load(Ordering::SeqCst) {
                self.start_build();
            }
        }
    }

    /// The engine for the current data, waiting (asynchronously) for a build in progress.
    pub async fn engine(self: &Arc<Self>) -> Result<Arc<EngineSnapshot>, ServiceError> {
        if !self.started.load(Ordering::SeqCst) {
            self.start_build();
        }
        let wanted = self.wanted.load(Ordering::SeqCst);
        let mut rx = self.engine.subscribe();
        let ready = tokio::time::timeout(ENGINE_WAIT, async {
            rx.wait_for(|e| e.as_ref().is_some_and(|e| e.generation >= wanted))
                .await
                .ok()
                .and_then(|e| e.clone())
        })
        .await;
        match ready {
            Ok(Some(e)) => Ok(e),
            _ => Err(ServiceError::WarmingUp {
                waited_s: ENGINE_WAIT.as_secs(),
                retry_after_s: RETRY_AFTER_S,
            }),
        }
    }

    /// Whether an engine for the current data is ready (for `/health`).
    pub fn ready(&self) -> bool {
        let wanted = self.wanted.load(Ordering::SeqCst);
        self.engine
            .borrow()
            .as_ref()
            .is_some_and(|e| e.generation >= wanted)
    }

    fn stamp(&self, generation: u64) -> Stamp {
        Stamp {
            generation,
            version: self.version.load(Ordering::SeqCst),
        }
    }

    /// The data version now (stamp a computation with it before reading the data).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// A cached result.
    pub fn cached_result(&self, key: &ResultKey, generation: u64) -> Option<Arc<CoverageResult>> {
        let stamp = self.stamp(generation);
        lock(&self.results).get(key, stamp)
    }

    /// Caches a result computed at data `version`.
    pub fn put_result(
        &self,
        key: ResultKey,
        value: Arc<CoverageResult>,
        generation: u64,
        version: u64,
    ) {
        let stamp = Stamp {
            generation,
            version,
        };
        if stamp == self.stamp(generation) {
            lock(&self.results).put(key, value, stamp);
        }
    }

    /// A cached base walking state.
    pub fn cached_state(&self, key: &ResultKey, generation: u64) -> Option<Arc<WalkState>> {
        let stamp = self.stamp(generation);
        lock(&self.states).get(key, stamp)
    }

    /// Caches a base walking state computed at data `version`.
    pub fn put_state(&self, key: ResultKey, value: Arc<WalkState>, generation: u64, version: u64) {
        let stamp = Stamp {
            generation,
            version,
        };
        if stamp == self.stamp(generation) {
            lock(&self.states).put(key, value, stamp);
        }
    }

    /// A cached rendered body (service areas, gaps) under `key`.
    pub fn cached_body(&self, key: &str, generation: u64) -> Option<axum::body::Bytes> {
        let stamp = self.stamp(generation);
        lock(&self.bodies).get(&key.to_owned(), stamp)
    }

    /// Caches a rendered body computed at data `version`.
    pub fn put_body(&self, key: String, body: axum::body::Bytes, generation: u64, version: u64) {
        let stamp = Stamp {
            generation,
            version,
        };
        if stamp == self.stamp(generation) {
            lock(&self.bodies).put(key, body, stamp);
        }
    }

    /// A cached whole gap list under `key`.
    pub fn cached_gaps(&self, key: &str, generation: u64) -> Option<Arc<Vec<GapFeature>>> {
        let stamp = self.stamp(generation);
        lock(&self.gap_lists).get(&key.to_owned(), stamp)
    }

    /// Caches a whole gap list computed at data `version`.
    pub fn put_gaps(&self, key: String, gaps: Arc<Vec<GapFeature>>, generation: u64, version: u64) {
        let stamp = Stamp {
            generation,
            version,
        };
        if stamp == self.stamp(generation) {
            lock(&self.gap_lists).put(key, gaps, stamp);
        }
    }

    /// A scenario of `owner` by id; `NotFound` if there is none or it is someone else's
    /// (which is not told apart, so ids reveal nothing). Asks the store every time (one
    /// primary-key read), so a scenario deleted through another replica is gone here too;
    /// the parsed scenario is cached, as stored scenarios never change.
    pub async fn scenario(
        &self,
        id: &str,
        owner: &str,
    ) -> Result<Arc<StoredScenario>, ServiceError> {
        let id = id.trim();
        let missing = || ServiceError::NotFound(format!("no scenario {id:?} of yours"));
        let Some(row) = self
            .scenario_store
            .get(id)
            .await
            .map_err(scenario_store_error)?
        else {
            self.forget_scenario(id);
            return Err(missing());
        };
        if row.owner != owner {
            return Err(missing());
        }
        if let Some(sc) = lock(&self.scenarios).get(id) {
            return Ok(sc.clone());
        }
        let sc = Arc::new(StoredScenario::from_row(row)?);
        let mut cache = lock(&self.scenarios);
        if cache.len() >= MAX_SCENARIOS {
            cache.clear();
        }
        cache.insert(sc.id.clone(), sc.clone());
        Ok(sc)
    }

    /// Validates and stores a scenario of `owner`'s.
    /// Every facility it places must stand inside the city and within
    /// [`MAX_OFF_NETWORK_M`] of the walking network (which needs the engine's snapper).
    /// It is stored with `audit` (its target and `after` set to the new scenario) in one
    /// transaction; a planner over [`MAX_SCENARIOS_PER_USER`] or a store over
    /// [`MAX_SCENARIOS`] is a conflict.
    pub async fn create_scenario(
        self: &Arc<Self>,
        request: ScenarioRequest,
        owner: &str,
        audit: AuditRecord,
    ) -> Result<ScenarioSummary, ServiceError> {
        let budget = self.budgets.coverage;
        let cancel = Self::token(budget);
        self.within(
            &cancel,
            budget,
            self.create_scenario_now(request, owner, audit),
        )
        .await
    }

    async fn create_scenario_now(
        self: &Arc<Self>,
        request: ScenarioRequest,
        owner: &str,
        audit: AuditRecord,
    ) -> Result<ScenarioSummary, ServiceError> {
        request.validate(&self.data.read())?;
        let placed = request.placed();
        if !placed.is_empty() {
            let snap = self.engine().await?;
            for (param, lon, lat) in placed {
                let off_m = snap.engine.snapper().snap(lon, lat).map(|s| s.offset_m);
                if !matches!(off_m, Some(m) if m <= MAX_OFF_NETWORK_M) {
                    return Err(ServiceError::out_of_range(
                        format!("{param}.lon"),
                        format!(
                            "({lon}, {lat}) is {} from the walking network; a facility must stand within {MAX_OFF_NETWORK_M} m of it",
                            off_m.map(|m| format!("{m:.0} m")).unwrap_or_else(|| "unreachable".into())
                        ),
                    ));
                }
            }
        }
        let body = serde_json::to_value(&request).map_err(ServiceError::internal)?;
        let row = self
            .scenario_store
            .insert(owner, body, SCENARIO_LIMITS, audit)
            .await
            .map_err(scenario_store_error)?;
        let sc = Arc::new(StoredScenario::from_row(row)?);
        lock(&self.scenarios).insert(sc.id.clone(), sc.clone());
        let mut summary = sc.summary(self.data.read().data.data());
        summary.evicted = Some(None);
        Ok(summary)
    }

    /// Deletes a scenario of `owner`'s with its audit row (`before` = the scenario as
    /// stored) in one transaction; whether there was one (if not, nothing is written).
    pub async fn delete_scenario(
        &self,
        id: &str,
        owner: &str,
        audit: AuditRecord,
    ) -> Result<bool, ServiceError> {
        let removed = self
            .scenario_store
            .delete(id, owner, audit)
            .await
            .map_err(scenario_store_error)?
            .is_some();
        self.forget_scenario(id);
        Ok(removed)
    }

    /// Drops a scenario and every answer computed with it from the caches.
    fn forget_scenario(&self, id: &str) {
        lock(&self.scenarios).remove(id);
        let drop_id = |k: &ResultKey| k.scenario.as_deref() == Some(id);
        lock(&self.results).map.retain(|k, _| !drop_id(k));
        lock(&self.states).map.retain(|k, _| !drop_id(k));
        let tag = format!("scenario: Some({id:?})");
        lock(&self.bodies).map.retain(|k, _| !k.contains(&tag));
        lock(&self.gap_lists).map.retain(|k, _| !k.contains(&tag));
    }
}

/// A quota is a conflict; anything else means the store failed (nothing was changed).
fn scenario_store_error(e: ScenarioStoreError) -> ServiceError {
    match e {
        ScenarioStoreError::Full(m) => ServiceError::Conflict(m),
        ScenarioStoreError::NotAnObject(_) => ServiceError::internal(e),
        ScenarioStoreError::Accounts(e) => ServiceError::StoreUnavailable(e.to_string()),
    }
}
