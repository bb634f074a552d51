//! What-if edits repaired incrementally.
//!
//! The state is the node labels `(distance_m, source slot)` of the bounded multi-source
//! Dijkstra (see [`super::dijkstra`]). Each edit touches only what it can change:
//!
//! - **Add** a source in a new slot: one Dijkstra seeded at the two ends of its edge,
//!   bounded by the limit, that relaxes the *existing* labels. It stops wherever the new
//!   key does not beat the old one: keys grow along every path, so nothing beyond such a
//!   node can improve either.
//! - **Close** slot `s`: only nodes labelled `s` can change (every label is justified by a
//!   neighbour with the same source, so no other node's label depends on `s`'s region).
//!   Those nodes (found by one scan of the label array) are reset to unreached, then a Dijkstra is seeded from the region's boundary — each
//!   region node is offered `label(u) + w(u, v)` from every neighbour `u` outside the
//!   region, and the entries of remaining sources snapped to edges at region nodes — and
//!   runs over the region (it cannot improve anything outside).
//! - **Move** = close, then add in the same slot at the new place.
//!
//! Doorplates are then re-evaluated only where something can have changed: a doorplate's
//! distance reads the labels of its edge's two end nodes and the sources snapped onto its
//! edge, so only doorplates on edges incident to a relabelled node (the close region plus
//! every node the repair touched) or on the edited source's own edge are looked at, through
//! the engine's edge → doorplates index. An edit therefore costs what it changes, not a
//! pass over every doorplate of the city. The kept result equals a from-scratch recompute
//! over the same slots to the bit (`coverage_scenario` tests it on random edits).
//!
//! # Owning or borrowing the engine
//! `ScenarioCoverage<E>` holds its engine through any `E: Deref<Target = CoverageEngine>`:
//! `&CoverageEngine` for a scoped computation, or `Arc<CoverageEngine>` for a scenario that
//! outlives a request (the server keeps base states in a cache and clones them to apply a
//! scenario's edits).

use std::ops::Deref;

use super::cancel::{uncancelled, Cancel, Cancelled};
use super::dijkstra::{multi_source, to_m, to_nm, Dijkstra, NO_SOURCE, UNREACHED_NM};
use super::engine::{limit_m, EdgeSources, SourceSite};
use super::{CoverageEngine, CoverageError, CoverageResult, NodeLabels, Snap, WalkProfile};

/// Edits to one category's sources. Records are the `u32` records given as sources.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scenario {
    /// New facilities: `(id, lon, lat)`.
    pub add: Vec<(String, f64, f64)>,
    /// Records to close.
    pub close: Vec<u32>,
    /// Records to move: `(record, lon, lat)`.
    pub moves: Vec<(u32, f64, f64)>,
}

/// A category's coverage under edits, kept up to date incrementally.
///
/// `E` is how the engine is held: `&CoverageEngine` or `Arc<CoverageEngine>` (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct ScenarioCoverage<E: Deref<Target = CoverageEngine>> {
    engine: E,
    sites: Vec<Option<SourceSite>>,
    added_ids: Vec<Option<String>>,
    search: Dijkstra,
    on_edge: EdgeSources,
    limit_m: f64,
    limit_nm: u64,
    speed: f64,
    /// The coverage under the current edits, repaired after each edit.
    current: CoverageResult,
    /// Scratch: nodes relabelled by the last edit.
    changed: Vec<u32>,
}

impl<E: Deref<Target = CoverageEngine>> ScenarioCoverage<E> {
    /// Starts from the base sources (slot `i` = `sources[i]`).
    pub fn new(
        engine: E,
        sources: &[(u32, f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
    ) -> Result<Self, CoverageError> {
        Self::new_cancellable(engine, sources, minutes, profile, &Cancel::never())
    }

    /// [`Self::new`], returning [`CoverageError::Cancelled`] when `cancel` is cancelled
    /// before the base coverage is done.
    pub fn new_cancellable(
        engine: E,
        sources: &[(u32, f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
        cancel: &Cancel,
    ) -> Result<Self, CoverageError> {
        let limit_m = limit_m(minutes, profile)?;
        let sites = engine.snap_sites(sources)?;
        let limit_nm = to_nm(limit_m);
        let (labels, on_edge) = engine.walk_labels(&sites, limit_nm, cancel)?;
        let current =
            engine.evaluate_walk(&labels, &on_edge, limit_m, profile.speed_m_per_s, cancel)?;
        Ok(Self {
            added_ids: vec![None; sites.len()],
            sites: sites.into_iter().map(Some).collect(),
            search: Dijkstra::from_labels(labels),
            on_edge,
            limit_m,
            limit_nm,
            speed: profile.speed_m_per_s,
            current,
            changed: Vec::new(),
            engine,
        })
    }

    /// Current node labels.
    pub fn labels(&self) -> &NodeLabels {
        &self.search.labels
    }

    /// The engine this scenario runs on.
    pub fn engine(&self) -> &CoverageEngine {
        &self.engine
    }

    /// Walking metres within the time limit.
    pub fn limit_m(&self) -> f64 {
        self.limit_m
    }

    pub(crate) fn state(&self) -> (&NodeLabels, &EdgeSources, f64) {
        (&self.search.labels, &self.on_edge, self.limit_m)
    }

    /// Open sources: `(slot, record or None if added, lon, lat)`.
    pub fn sources(&self) -> Vec<(u32, Option<u32>, f64, f64)> {
        self.sites
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, s.record, s.lon, s.lat)))
            .collect()
    }

    /// The id given to an added slot.
    pub fn added_id(&self, slot: u32) -> Option<&str> {
        self.added_ids.get(slot as usize)?.as_deref()
    }

    fn slot_of(&self, record: u32, action: &'static str) -> Result<u32, CoverageError> {
        self.sites
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.record == Some(record)))
            .map(|i| i as u32)
            .ok_or(CoverageError::UnknownSource { action, record })
    }

    /// Applies every edit: closes, then moves, then adds.
    pub fn apply(&mut self, scenario: &Scenario) -> Result<(), CoverageError> {
        self.apply_cancellable(scenario, &Cancel::never())
    }

    /// [`Self::apply`], looking at `cancel` between edits and inside each repair. On
    /// [`CoverageError::Cancelled`] (as on any error) the state is part-way through the
    /// edits: discard it (apply to a clone, as the server does).
    pub fn apply_cancellable(
        &mut self,
        scenario: &Scenario,
        cancel: &Cancel,
    ) -> Result<(), CoverageError> {
        for &r in &scenario.close {
            cancel.check()?;
            let slot = self.slot_of(r, "close")?;
            self.close_slot(slot, cancel)?;
        }
        for &(r, lon, lat) in &scenario.moves {
            cancel.check()?;
            let slot = self.slot_of(r, "move")?;
            let site = self.engine.site(Some(r), "scenario move", lon, lat)?;
            self.close_slot(slot, cancel)?;
            self.open_slot(slot, site, cancel)?;
        }
        for (id, lon, lat) in &scenario.add {
            cancel.check()?;
            let site = self.engine.site(None, "scenario add", *lon, *lat)?;
            let slot = self.push_slot(id);
            self.open_slot(slot, site, cancel)?;
        }
        Ok(())
    }

    /// A new, still closed slot for an added source.
    fn push_slot(&mut self, id: &str) -> u32 {
        let slot = self.sites.len() as u32;
        self.sites.push(None);
        self.added_ids.push(Some(id.to_owned()));
        slot
    }

    /// Opens a new source; returns its slot.
    pub fn add(&mut self, id: &str, lon: f64, lat: f64) -> Result<u32, CoverageError> {
        let site = self.engine.site(None, "scenario add", lon, lat)?;
        let slot = self.push_slot(id);
        uncancelled(self.open_slot(slot, site, &Cancel::never()));
        Ok(slot)
    }

    /// Closes the source with dataset record `record`.
    pub fn close(&mut self, record: u32) -> Result<(), CoverageError> {
        let slot = self.slot_of(record, "close")?;
        uncancelled(self.close_slot(slot, &Cancel::never()));
        Ok(())
    }

    /// Moves the source with dataset record `record` (it keeps its slot).
    pub fn relocate(&mut self, record: u32, lon: f64, lat: f64) -> Result<(), CoverageError> {
        let slot = self.slot_of(record, "move")?;
        let site = self.engine.site(Some(record), "scenario move", lon, lat)?;
        let never = Cancel::never();
        uncancelled(self.close_slot(slot, &never));
        uncancelled(self.open_slot(slot, site, &never));
        Ok(())
    }

    fn open_slot(&mut self, slot: u32, site: SourceSite, cancel: &Cancel) -> Result<(), Cancelled> {
        let g = &self.engine.graph;
        self.changed.clear();
        let source_edge = site.snap.map(|s| s.edge);
        if let Some(snap) = site.snap {
            self.on_edge.insert(slot, snap);
            self.search.touched.clear();
            self.search.seed_snap(g, &snap, slot, self.limit_nm);
            self.search.run_cancellable(g, self.limit_nm, cancel)?;
            self.changed.extend_from_slice(&self.search.touched);
        }
        self.sites[slot as usize] = Some(site);
        self.refresh(source_edge);
        Ok(())
    }

    fn close_slot(&mut self, slot: u32, cancel: &Cancel) -> Result<(), Cancelled> {
        self.changed.clear();
        let Some(site) = self.sites[slot as usize].take() else {
            return Ok(());
        };
        let Some(snap) = site.snap else {
            return Ok(());
        };
        self.on_edge.remove(slot, snap.edge);
        let g = &self.engine.graph;
        let limit = self.limit_nm;
        // The region: every node labelled `slot` (a linear scan of one array: well under a
        // millisecond for 250k nodes, and robust however the region is shaped).
        let labels = &mut self.search.labels;
        let region: Vec<u32> = (0..labels.source.len() as u32)
            .filter(|&v| labels.source[v as usize] == slot)
            .collect();
        for &v in &region {
            labels.source[v as usize] = NO_SOURCE;
            labels.dist_nm[v as usize] = UNREACHED_NM;
        }
        // Seeds: boundary neighbours and remaining sources' entries at region nodes.
        self.search.touched.clear();
        for &v in &region {
            let r = g.offsets[v as usize] as usize..g.offsets[v as usize + 1] as usize;
            for k in r {
                let u = g.targets[k] as usize;
                let (du, su) = (self.search.labels.dist_nm[u], self.search.labels.source[u]);
                if su != NO_SOURCE {
                    self.search.seed(v, du + g.weights_nm[k], su, limit);
                }
                let edge = g.arc_edge[k];
                for &(s, sn) in self.on_edge.on(edge) {
                    let d = entry_at(g.edge_nodes[edge as usize], &sn, v);
                    self.search.seed(v, d, s, limit);
                }
            }
        }
        self.search.run_cancellable(g, limit, cancel)?;
        self.changed.extend_from_slice(&region);
        self.changed.extend_from_slice(&self.search.touched);
        self.refresh(Some(snap.edge));
        Ok(())
    }

    /// Re-evaluates the doorplates on edges incident to a node in `self.changed` and on
    /// `source_edge` (whose same-edge sources changed): nothing else can have moved.
    fn refresh(&mut self, source_edge: Option<u32>) {
        let engine: &CoverageEngine = &self.engine;
        let g = &engine.graph;
        let mut edges: Vec<u32> = source_edge.into_iter().collect();
        self.changed.sort_unstable();
        self.changed.dedup();
        for &v in &self.changed {
            let r = g.offsets[v as usize] as usize..g.offsets[v as usize + 1] as usize;
            edges.extend_from_slice(&g.arc_edge[r]);
        }
        edges.sort_unstable();
        edges.dedup();
        let cur = &mut self.current;
        for e in edges {
            let r = engine.edge_points_offsets[e as usize] as usize
                ..engine.edge_points_offsets[e as usize + 1] as usize;
            for &i in &engine.edge_points[r] {
                let i = i as usize;
                let (d, s) = engine.walk_distance(&self.search.labels, &self.on_edge, i);
                // exactly as `CoverageEngine::evaluate_walk`
                let ok = d <= self.limit_nm;
                cur.covered[i] = ok;
                cur.per_doorplate[i] = if ok {
                    (to_m(d) / self.speed) as f32
                } else {
                    f32::INFINITY
                };
                cur.nearest_source[i] = if ok { s } else { NO_SOURCE };
            }
        }
        self.changed.clear();
    }

    /// Coverage of every doorplate under the current edits (kept up to date by each edit;
    /// [`Self::current`] borrows it instead of copying).
    pub fn result(&self) -> CoverageResult {
        self.current.clone()
    }

    /// Every doorplate re-evaluated from the current labels in one linear pass (what each
    /// edit cost before the edge → doorplates index; kept for checks and benchmarks).
    pub fn evaluate_all(&self) -> CoverageResult {
        uncancelled(self.engine.evaluate_walk(
            &self.search.labels,
            &self.on_edge,
            self.limit_m,
            self.speed,
            &Cancel::never(),
        ))
    }

    /// The coverage under the current edits, borrowed.
    pub fn current(&self) -> &CoverageResult {
        &self.current
    }

    /// The same, recomputed from scratch over the current slots (for checking).
    pub fn from_scratch(&self) -> (NodeLabels, CoverageResult) {
        let snaps: Vec<Option<Snap>> = self
            .sites
            .iter()
            .map(|s| s.as_ref().and_then(|s| s.snap))
            .collect();
        let labels = multi_source(&self.engine.graph, &snaps, self.limit_nm);
        let result = uncancelled(self.engine.evaluate_walk(
            &labels,
            &self.on_edge,
            self.limit_m,
            self.speed,
            &Cancel::never(),
        ));
        (labels, result)
    }
}

/// The entry distance of a snapped source at node `v`, an end of its edge `[a, b]`
/// (computed exactly as [`Dijkstra::seed_snap`] does).
fn entry_at([a, b]: [u32; 2], snap: &Snap, v: u32) -> u64 {
    let via_a = if v == a {
        to_nm(snap.offset_m + snap.node_a_m)
    } else {
        UNREACHED_NM
    };
    let via_b = if v == b {
        to_nm(snap.offset_m + snap.node_b_m)
    } else {
        UNREACHED_NM
    };
    via_a.min(via_b)
}
