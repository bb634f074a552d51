//! The engine: the network, its snapper and the doorplates snapped once, so that a
//! category's coverage is one bounded Dijkstra plus one linear pass over the doorplates.

use std::collections::HashMap;

use geo::Point;

use super::cancel::{Cancel, Cancelled};
use super::dijkstra::{
    multi_source_cancellable, multi_source_grouped_cancellable, to_m, to_nm, NodeLabels, NO_SOURCE,
    UNREACHED_NM,
};
use super::error::check_lon_lat;
use super::report::AdminRollup;
use super::{CoverageError, Snap, Snapper, WalkGraph, WalkProfile};
use crate::index::PointIndex;
use crate::Dataset;

/// How distance to a facility is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoverageMode {
    /// Along the walking network, with the off-network legs at both ends.
    Walk,
    /// Geodesic straight line (the classic service circle), as PostGIS `ST_DWithin` on
    /// `geography` (spheroid).
    Straight,
}

/// Coverage of every doorplate by one set of sources.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageResult {
    /// How distances were measured.
    pub mode: CoverageMode,
    /// Time limit, seconds.
    pub limit_s: f64,
    /// Walking distance reachable within the limit, metres.
    pub limit_m: f64,
    /// Walking speed used, metres per second.
    pub speed_m_per_s: f64,
    /// Seconds to the nearest source per doorplate (dataset order), or `f32::INFINITY`
    /// beyond the limit (or when the doorplate could not be snapped).
    pub per_doorplate: Vec<f32>,
    /// Whether each doorplate is within the limit (decided on exact nanometres in walk
    /// mode, `f64` geodesic metres in straight mode).
    pub covered: Vec<bool>,
    /// Source slot (index into the sources given) of the nearest source within the limit,
    /// or [`NO_SOURCE`].
    pub nearest_source: Vec<u32>,
}

impl CoverageResult {
    /// Number of covered doorplates.
    pub fn covered_count(&self) -> usize {
        self.covered.iter().filter(|&&c| c).count()
    }
}

/// A source: its dataset record (`None` for one added by a scenario) and where it snaps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SourceSite {
    pub record: Option<u32>,
    pub lon: f64,
    pub lat: f64,
    pub snap: Option<Snap>,
}

/// Sources snapped to each edge, for the same-edge case (a doorplate and a facility on one
/// edge walk straight along it, without visiting either end).
#[derive(Debug, Clone, Default)]
pub(crate) struct EdgeSources {
    has: Vec<bool>,
    map: HashMap<u32, Vec<(u32, Snap)>>,
}

impl EdgeSources {
    pub fn new(edges: usize) -> Self {
        Self {
            has: vec![false; edges],
            map: HashMap::new(),
        }
    }

    pub fn insert(&mut self, slot: u32, snap: Snap) {
        self.has[snap.edge as usize] = true;
        self.map.entry(snap.edge).or_default().push((slot, snap));
    }

    pub fn remove(&mut self, slot: u32, edge: u32) {
        if let Some(v) = self.map.get_mut(&edge) {
            v.retain(|&(s, _)| s != slot);
            if v.is_empty() {
                self.map.remove(&edge);
                self.has[edge as usize] = false;
            }
        }
    }

    #[inline]
    pub fn on(&self, edge: u32) -> &[(u32, Snap)] {
        if self.has[edge as usize] {
            self.map.get(&edge).map_or(&[], Vec::as_slice)
        } else {
            &[]
        }
    }
}

/// Doorplates snapped once, as flat arrays for the hot loop.
#[derive(Debug, Clone, Default)]
pub(crate) struct SnappedPoints {
    /// Edge per point, `u32::MAX` when not snapped.
    pub edge: Vec<u32>,
    pub node_a: Vec<u32>,
    pub node_b: Vec<u32>,
    /// Off-network leg + along-edge nanometres to `from` / `to`.
    pub to_a_nm: Vec<u64>,
    pub to_b_nm: Vec<u64>,
    pub t: Vec<f64>,
    pub offset_m: Vec<f64>,
}

/// The doorplates of one contiguous index range (`start..start + len`), grouped by edge
/// (CSR over edges) with their walking nanometres to each end, for the coverage pass: it
/// visits only edges with a reached end, reads each end's label once per edge and writes
/// only its own range of the outputs.
#[derive(Debug, Clone, Default)]
pub(crate) struct EdgeChunk {
    /// First doorplate of the range.
    pub start: usize,
    /// Number of doorplates in the range.
    pub len: usize,
    /// `offsets[e]..offsets[e + 1]` indexes edge `e`'s doorplates; `len = edges + 1`.
    pub offsets: Vec<u32>,
    /// Doorplate index minus `start`.
    pub local: Vec<u32>,
    /// Off-network leg + along-edge nanometres to the edge's `from` / `to`.
    pub to_a_nm: Vec<u64>,
    pub to_b_nm: Vec<u64>,
}

impl EdgeChunk {
    fn build(points: &SnappedPoints, edges: usize, start: usize, len: usize) -> Self {
        let range = start..start + len;
        let mut offsets = vec![0u32; edges + 1];
        for &e in &points.edge[range.clone()] {
            if e != u32::MAX {
                offsets[e as usize + 1] += 1;
            }
        }
        for i in 0..edges {
            offsets[i + 1] += offsets[i];
        }
        let total = offsets[edges] as usize;
        let mut cursor = offsets.clone();
        let (mut local, mut to_a_nm, mut to_b_nm) =
            (vec![0u32; total], vec![0u64; total], vec![0u64; total]);
        for i in range {
            let e = points.edge[i];
            if e != u32::MAX {
                let k = cursor[e as usize] as usize;
                cursor[e as usize] += 1;
                local[k] = (i - start) as u32;
                to_a_nm[k] = points.to_a_nm[i];
                to_b_nm[k] = points.to_b_nm[i];
            }
        }
        Self {
            start,
            len,
            offsets,
            local,
            to_a_nm,
            to_b_nm,
        }
    }
}

/// Whole-city coverage for any category, time limit and walking profile.
///
/// Build once per dataset ([`Self::new`] snaps every doorplate: about a second for 500k);
/// then [`Self::coverage`] costs one bounded multi-source Dijkstra and one pass over the
/// doorplates.
#[derive(Debug, Clone)]
pub struct CoverageEngine {
    pub(crate) graph: WalkGraph,
    pub(crate) snapper: Snapper,
    pub(crate) points: SnappedPoints,
    /// `[lon, lat]` per doorplate.
    pub(crate) lon_lat: Vec<[f64; 2]>,
    pub(crate) residents: Vec<u32>,
    pub(crate) elderly: Vec<u32>,
    pub(crate) rollup: AdminRollup,
    /// Doorplates per edge (CSR over edges), for searches that visit few edges.
    pub(crate) edge_points_offsets: Vec<u32>,
    pub(crate) edge_points: Vec<u32>,
    /// The doorplates in contiguous ranges, one per coverage thread, grouped by edge.
    pub(crate) eval_chunks: Vec<EdgeChunk>,
    /// Node positions `[lon, lat]`.
    pub(crate) nodes: Vec<[f64; 2]>,
}

impl CoverageEngine {
    /// Builds the graph and snapper and snaps every doorplate to its nearest edge.
    ///
    /// The snapper's edge grid is built while another thread builds the CSR graph and the
    /// admin roll-up; the doorplates are then snapped in contiguous chunks, one per
    /// available core. Each doorplate's snap depends only on its own position, so the
    /// result is the same as a sequential build.
    pub fn new(dataset: &Dataset) -> Self {
        let (snapper, (graph, rollup)) = std::thread::scope(|scope| {
            let side = scope.spawn(|| {
                (
                    WalkGraph::build(&dataset.network),
                    AdminRollup::build(dataset),
                )
            });
            let snapper = Snapper::build(&dataset.network);
            match side.join() {
                Ok(built) => (snapper, built),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        let lon_lat: Vec<[f64; 2]> = dataset
            .doorplates
            .iter()
            .map(|d| [d.location.x(), d.location.y()])
            .collect();
        let snaps = snap_doorplates(&snapper, &lon_lat);
        let n = lon_lat.len();
        let mut points = SnappedPoints {
            edge: Vec::with_capacity(n),
            node_a: Vec::with_capacity(n),
            node_b: Vec::with_capacity(n),
            to_a_nm: Vec::with_capacity(n),
            to_b_nm: Vec::with_capacity(n),
            t: Vec::with_capacity(n),
            offset_m: Vec::with_capacity(n),
        };
        for snap in snaps {
            match snap {
                Some(s) => {
                    let [a, b] = graph.edge_nodes[s.edge as usize];
                    points.edge.push(s.edge);
                    points.node_a.push(a);
                    points.node_b.push(b);
                    points.to_a_nm.push(to_nm(s.offset_m + s.node_a_m));
                    points.to_b_nm.push(to_nm(s.offset_m + s.node_b_m));
                    points.t.push(s.t);
                    points.offset_m.push(s.offset_m);
                }
                None => {
                    points.edge.push(u32::MAX);
                    points.node_a.push(0);
                    points.node_b.push(0);
                    points.to_a_nm.push(UNREACHED_NM);
                    points.to_b_nm.push(UNREACHED_NM);
                    points.t.push(0.0);
                    points.offset_m.push(f64::INFINITY);
                }
            }
        }
        let edges = dataset.network.edges.len();
        let mut edge_points_offsets = vec![0u32; edges + 1];
        for &e in &points.edge {
            if e != u32::MAX {
                edge_points_offsets[e as usize + 1] += 1;
            }
        }
        for i in 0..edges {
            edge_points_offsets[i + 1] += edge_points_offsets[i];
        }
        let mut cursor = edge_points_offsets.clone();
        let mut edge_points = vec![0u32; *edge_points_offsets.last().unwrap_or(&0) as usize];
        for (i, &e) in points.edge.iter().enumerate() {
            if e != u32::MAX {
                edge_points[cursor[e as usize] as usize] = i as u32;
                cursor[e as usize] += 1;
            }
        }
        let chunks = if n < PARALLEL_DOORPLATES_MIN {
            1
        } else {
            worker_threads().min(4)
        };
        let per_chunk = n.div_ceil(chunks).max(1);
        let eval_chunks = (0..n)
            .step_by(per_chunk)
            .map(|start| EdgeChunk::build(&points, edges, start, per_chunk.min(n - start)))
            .collect();
        Self {
            graph,
            snapper,
            points,
            eval_chunks,
            lon_lat,
            residents: dataset.doorplates.iter().map(|d| d.residents).collect(),
            elderly: dataset.doorplates.iter().map(|d| d.elderly).collect(),
            rollup,
            edge_points_offsets,
            edge_points,
            nodes: dataset.network.nodes.iter().map(|c| [c.x, c.y]).collect(),
        }
    }

    /// The CSR walking graph.
    pub fn graph(&self) -> &WalkGraph {
        &self.graph
    }

    /// The edge snapper.
    pub fn snapper(&self) -> &Snapper {
        &self.snapper
    }

    /// Number of doorplates.
    pub fn doorplate_count(&self) -> usize {
        self.lon_lat.len()
    }

    /// Where doorplate `i` was snapped (`None` when it could not be).
    pub fn doorplate_snap(&self, i: usize) -> Option<Snap> {
        let e = self.points.edge[i];
        (e != u32::MAX).then(|| {
            let len = self.graph.edge_length_m[e as usize];
            let t = self.points.t[i];
            Snap {
                edge: e,
                t,
                offset_m: self.points.offset_m[i],
                node_a_m: t * len,
                node_b_m: (1.0 - t) * len,
            }
        })
    }

    pub(crate) fn snap_sites(
        &self,
        sources: &[(u32, f64, f64)],
    ) -> Result<Vec<SourceSite>, CoverageError> {
        // Check every coordinate first (the first bad one is the error), then snap, in two
        // halves on two threads when there are many: each snap depends only on its point.
        for &(_, lon, lat) in sources {
            check_lon_lat("source", lon, lat)?;
        }
        let site = |&(record, lon, lat): &(u32, f64, f64)| SourceSite {
            record: Some(record),
            lon,
            lat,
            snap: self.snapper.snap(lon, lat),
        };
        if worker_threads() < 2 || sources.len() < PARALLEL_SOURCES_MIN {
            return Ok(sources.iter().map(site).collect());
        }
        let (head, tail) = sources.split_at(sources.len() / 2);
        Ok(std::thread::scope(|scope| {
            let tail = scope.spawn(|| tail.iter().map(site).collect::<Vec<_>>());
            let mut sites: Vec<SourceSite> = head.iter().map(site).collect();
            match tail.join() {
                Ok(rest) => sites.extend(rest),
                Err(panic) => std::panic::resume_unwind(panic),
            }
            sites
        }))
    }

    pub(crate) fn site(
        &self,
        record: Option<u32>,
        param: &'static str,
        lon: f64,
        lat: f64,
    ) -> Result<SourceSite, CoverageError> {
        check_lon_lat(param, lon, lat)?;
        Ok(SourceSite {
            record,
            lon,
            lat,
            snap: self.snapper.snap(lon, lat),
        })
    }

    /// Coverage of every doorplate by the sources `(record, lon, lat)` of one category
    /// within `minutes` at the profile's speed.
    ///
    /// `Walk`: network distance (see the [module docs](super)); `Straight`: geodesic
    /// distance to the nearest source ≤ speed × time, as PostGIS
    /// `ST_DWithin(geography, geography, r)`.
    pub fn coverage(
        &self,
        sources: &[(u32, f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
        mode: CoverageMode,
    ) -> Result<CoverageResult, CoverageError> {
        self.coverage_cancellable(sources, minutes, profile, mode, &Cancel::never())
    }

    /// [`Self::coverage`], returning [`CoverageError::Cancelled`] when `cancel` is
    /// cancelled before it is done (the search, the doorplate pass and the straight-line
    /// pass all look at it).
    pub fn coverage_cancellable(
        &self,
        sources: &[(u32, f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
        mode: CoverageMode,
        cancel: &Cancel,
    ) -> Result<CoverageResult, CoverageError> {
        let limit_m = limit_m(minutes, profile)?;
        let sites = self.snap_sites(sources)?;
        Ok(match mode {
            CoverageMode::Walk => {
                let (labels, on_edge) = self.walk_labels(&sites, to_nm(limit_m), cancel)?;
                self.evaluate_walk(&labels, &on_edge, limit_m, profile.speed_m_per_s, cancel)?
            }
            CoverageMode::Straight => {
                self.straight(&sites, limit_m, profile.speed_m_per_s, cancel)?
            }
        })
    }

    pub(crate) fn walk_labels(
        &self,
        sites: &[SourceSite],
        limit_nm: u64,
        cancel: &Cancel,
    ) -> Result<(NodeLabels, EdgeSources), Cancelled> {
        let snaps: Vec<Option<Snap>> = sites.iter().map(|s| s.snap).collect();
        let labels = if worker_threads() < 2 || sites.len() < PARALLEL_SOURCES_MIN {
            multi_source_cancellable(&self.graph, &snaps, limit_nm, cancel)?
        } else {
            // West and east halves by longitude, searched on two threads: nearby sources
            // share a thread, so the two searches overlap only along the dividing meridian.
            let mut west: Vec<u32> = (0..sites.len() as u32).collect();
            let lon = |slot: &u32| sites[*slot as usize].lon;
            let mid = west.len() / 2;
            west.select_nth_unstable_by(mid, |a, b| lon(a).total_cmp(&lon(b)).then(a.cmp(b)));
            let east = west.split_off(mid);
            multi_source_grouped_cancellable(&self.graph, &snaps, &[west, east], limit_nm, cancel)?
        };
        let mut on_edge = EdgeSources::new(self.graph.edge_nodes.len());
        for (slot, s) in snaps.iter().enumerate() {
            if let Some(s) = s {
                on_edge.insert(slot as u32, *s);
            }
        }
        Ok((labels, on_edge))
    }

    /// Walking nanometres and source slot of doorplate `i`'s nearest source, given node
    /// labels: the better of its edge's two ends (label + partial edge + leg) and, for
    /// sources on the same edge, the direct walk along it.
    #[inline]
    pub(crate) fn walk_distance(
        &self,
        labels: &NodeLabels,
        on_edge: &EdgeSources,
        i: usize,
    ) -> (u64, u32) {
        let p = &self.points;
        let e = p.edge[i];
        if e == u32::MAX {
            return (UNREACHED_NM, NO_SOURCE);
        }
        let (a, b) = (p.node_a[i] as usize, p.node_b[i] as usize);
        let mut best = (UNREACHED_NM, NO_SOURCE);
        if labels.source[a] != NO_SOURCE {
            best = best.min((labels.dist_nm[a] + p.to_a_nm[i], labels.source[a]));
        }
        if labels.source[b] != NO_SOURCE {
            best = best.min((labels.dist_nm[b] + p.to_b_nm[i], labels.source[b]));
        }
        let len = self.graph.edge_length_m[e as usize];
        for (slot, s) in on_edge.on(e) {
            let d = to_nm(s.offset_m + (p.t[i] - s.t).abs() * len + p.offset_m[i]);
            best = best.min((d, *slot));
        }
        best
    }

    pub(crate) fn evaluate_walk(
        &self,
        labels: &NodeLabels,
        on_edge: &EdgeSources,
        limit_m: f64,
        speed: f64,
        cancel: &Cancel,
    ) -> Result<CoverageResult, Cancelled> {
        cancel.check()?;
        let n = self.doorplate_count();
        let limit_nm = to_nm(limit_m);
        let mut per_doorplate = vec![f32::INFINITY; n];
        let mut covered = vec![false; n];
        let mut nearest_source = vec![NO_SOURCE; n];
        if limit_nm == UNREACHED_NM {
            // Nothing is out of reach (even unsnapped doorplates): every doorplate, plainly.
            let mut check = cancel.checker();
            for i in 0..n {
                check.tick()?;
                let (d, s) = self.walk_distance(labels, on_edge, i);
                per_doorplate[i] = (to_m(d) / speed) as f32;
                covered[i] = true;
                nearest_source[i] = s;
            }
        } else {
            self.evaluate_chunks(
                labels,
                on_edge,
                limit_nm,
                speed,
                &mut per_doorplate,
                &mut covered,
                &mut nearest_source,
                cancel,
            )?;
        }
        Ok(CoverageResult {
            mode: CoverageMode::Walk,
            limit_s: limit_m / speed,
            limit_m,
            speed_m_per_s: speed,
            per_doorplate,
            covered,
            nearest_source,
        })
    }

    /// The coverage pass for a finite limit: each [`EdgeChunk`] on its own thread, visiting
    /// only edges with a reached end or a source on them (a doorplate on any other edge is
    /// out of reach and keeps the defaults: infinity, not covered, [`NO_SOURCE`]).
    #[allow(clippy::too_many_arguments)]
    fn evaluate_chunks(
        &self,
        labels: &NodeLabels,
        on_edge: &EdgeSources,
        limit_nm: u64,
        speed: f64,
        per_doorplate: &mut [f32],
        covered: &mut [bool],
        nearest_source: &mut [u32],
        cancel: &Cancel,
    ) -> Result<(), Cancelled> {
        let fill = |chunk: &EdgeChunk, per: &mut [f32], cov: &mut [bool], near: &mut [u32]| {
            let mut check = cancel.checker();
            let mut set = |j: usize, d: u64, s: u32| {
                if d <= limit_nm {
                    per[j] = (to_m(d) / speed) as f32;
                    cov[j] = true;
                    near[j] = s;
                }
            };
            for (e, w) in chunk.offsets.windows(2).enumerate() {
                check.tick()?;
                let r = w[0] as usize..w[1] as usize;
                if r.is_empty() {
                    continue;
                }
                if !on_edge.on(e as u32).is_empty() {
                    // a source on this edge: the general rule, doorplate by doorplate
                    for &j in &chunk.local[r] {
                        let (d, s) = self.walk_distance(labels, on_edge, chunk.start + j as usize);
                        set(j as usize, d, s);
                    }
                    continue;
                }
                let [a, b] = self.graph.edge_nodes[e];
                let (sa, sb) = (labels.source[a as usize], labels.source[b as usize]);
                match (sa != NO_SOURCE, sb != NO_SOURCE) {
                    (false, false) => {}
                    (true, false) => {
                        let da = labels.dist_nm[a as usize];
                        for (&j, &ta) in chunk.local[r.clone()].iter().zip(&chunk.to_a_nm[r]) {
                            set(j as usize, da + ta, sa);
                        }
                    }
                    (false, true) => {
                        let db = labels.dist_nm[b as usize];
                        for (&j, &tb) in chunk.local[r.clone()].iter().zip(&chunk.to_b_nm[r]) {
                            set(j as usize, db + tb, sb);
                        }
                    }
                    (true, true) => {
                        let (da, db) = (labels.dist_nm[a as usize], labels.dist_nm[b as usize]);
                        let legs = chunk.to_a_nm[r.clone()]
                            .iter()
                            .zip(&chunk.to_b_nm[r.clone()]);
                        for (&j, (&ta, &tb)) in chunk.local[r].iter().zip(legs) {
                            let (d, s) = (da + ta, sa).min((db + tb, sb));
                            set(j as usize, d, s);
                        }
                    }
                }
            }
            Ok(())
        };
        let mut work = Vec::with_capacity(self.eval_chunks.len());
        let (mut per, mut cov, mut near) = (per_doorplate, covered, nearest_source);
        for chunk in &self.eval_chunks {
            let (p, rest_p) = per.split_at_mut(chunk.len);
            let (c, rest_c) = cov.split_at_mut(chunk.len);
            let (s, rest_s) = near.split_at_mut(chunk.len);
            work.push((chunk, p, c, s));
            (per, cov, near) = (rest_p, rest_c, rest_s);
        }
        let Some((first, rest)) = work.split_first_mut() else {
            return Ok(());
        };
        std::thread::scope(|scope| {
            let others: Vec<_> = rest
                .iter_mut()
                .map(|(chunk, p, c, s)| scope.spawn(|| fill(chunk, p, c, s)))
                .collect();
            let mut done = fill(first.0, first.1, first.2, first.3);
            for other in others {
                match other.join() {
                    Ok(r) => done = done.and(r),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            done
        })
    }

    fn straight(
        &self,
        sites: &[SourceSite],
        limit_m: f64,
        speed: f64,
        cancel: &Cancel,
    ) -> Result<CoverageResult, Cancelled> {
        let mut check = cancel.checker();
        let index = PointIndex::bulk_load(
            sites
                .iter()
                .enumerate()
                .map(|(slot, s)| (slot as u32, [s.lon, s.lat])),
        );
        let n = self.doorplate_count();
        let mut per_doorplate = Vec::with_capacity(n);
        let mut covered = Vec::with_capacity(n);
        let mut nearest_source = Vec::with_capacity(n);
        for &[lon, lat] in &self.lon_lat {
            check.tick()?;
            let hit = index
                .within(lon, lat, limit_m)
                .ok()
                .and_then(|h| h.first().copied());
            match hit {
                Some((slot, d)) => {
                    covered.push(true);
                    per_doorplate.push((d / speed) as f32);
                    nearest_source.push(slot);
                }
                None => {
                    covered.push(false);
                    per_doorplate.push(f32::INFINITY);
                    nearest_source.push(NO_SOURCE);
                }
            }
        }
        Ok(CoverageResult {
            mode: CoverageMode::Straight,
            limit_s: limit_m / speed,
            limit_m,
            speed_m_per_s: speed,
            per_doorplate,
            covered,
            nearest_source,
        })
    }

    /// Doorplate `i`'s location.
    pub fn doorplate_point(&self, i: usize) -> Point<f64> {
        let [x, y] = self.lon_lat[i];
        Point::new(x, y)
    }
}

/// Walking metres within `minutes` at the profile's speed, checking both.
pub(crate) fn limit_m(minutes: f64, profile: &WalkProfile) -> Result<f64, CoverageError> {
    profile.check()?;
    if !(minutes.is_finite() && minutes >= 0.0) {
        return Err(CoverageError::BadMinutes { minutes });
    }
    Ok(profile.distance_m(minutes))
}

/// Below this many sources a coverage snaps and searches on the calling thread.
const PARALLEL_SOURCES_MIN: usize = 256;

/// Below this many doorplates a coverage evaluates them on the calling thread.
const PARALLEL_DOORPLATES_MIN: usize = 32_768;

/// Threads worth using for one computation (available cores, at most 16).
fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

/// Below this many doorplates a build snaps on the calling thread (spawning costs more).
const PARALLEL_SNAP_MIN: usize = 4096;

/// Snaps every point (invalid coordinates snap to nothing), in contiguous chunks over the
/// available cores.
fn snap_doorplates(snapper: &Snapper, lon_lat: &[[f64; 2]]) -> Vec<Option<Snap>> {
    let snap_one = |&[lon, lat]: &[f64; 2]| {
        check_lon_lat("doorplate", lon, lat)
            .ok()
            .and_then(|_| snapper.snap(lon, lat))
    };
    let threads = worker_threads();
    if threads < 2 || lon_lat.len() < PARALLEL_SNAP_MIN {
        return lon_lat.iter().map(snap_one).collect();
    }
    let mut out = vec![None; lon_lat.len()];
    let chunk = lon_lat.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (dst, src) in out.chunks_mut(chunk).zip(lon_lat.chunks(chunk)) {
            scope.spawn(move || {
                for (d, p) in dst.iter_mut().zip(src) {
                    *d = snap_one(p);
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use geo::{coord, Point};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::{Doorplate, WalkNetwork};

    /// A 30 × 30 street grid ~100 m apart and `doorplates` random doorplates on it.
    fn grid_city(seed: u64, doorplates: usize) -> Dataset {
        let mut network = WalkNetwork::default();
        let id = |i: u32, j: u32| i * 30 + j;
        for i in 0..30 {
            for j in 0..30 {
                network.add_node(
                    coord! { x: 120.1 + 0.001 * f64::from(j), y: 30.2 + 0.0009 * f64::from(i) },
                );
            }
        }
        for i in 0..30 {
            for j in 0..30 {
                if j + 1 < 30 {
                    network.add_edge(id(i, j), id(i, j + 1), None);
                }
                if i + 1 < 30 {
                    network.add_edge(id(i, j), id(i + 1, j), None);
                }
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let doorplates = (0..doorplates as u64)
            .map(|i| Doorplate {
                id: i,
                road: "文三路".into(),
                number: i as u32,
                location: Point::new(rng.gen_range(120.09..120.14), rng.gen_range(30.19..30.23)),
                residents: 1,
                elderly: 0,
                community: None,
                synthetic: true,
            })
            .collect();
        Dataset {
            network,
            doorplates,
            ..Dataset::default()
        }
    }

    #[test]
    fn threaded_coverage_equals_one_search_and_every_doorplate_in_turn() {
        // Enough doorplates and sources for the threaded paths (grouped search, chunked
        // pass), against one plain search and `walk_distance` per doorplate.
        let dataset = grid_city(11, PARALLEL_DOORPLATES_MIN + 3_000);
        let engine = CoverageEngine::new(&dataset);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let sources: Vec<(u32, f64, f64)> = (0..PARALLEL_SOURCES_MIN as u32 + 40)
            .map(|r| {
                (
                    r,
                    rng.gen_range(120.09..120.14),
                    rng.gen_range(30.19..30.23),
                )
            })
            .collect();
        let profile = WalkProfile::standard();
        for minutes in [0.5, 2.0, 6.0] {
            let got = engine
                .coverage(&sources, minutes, &profile, CoverageMode::Walk)
                .unwrap();
            let limit_nm = to_nm(got.limit_m);
            let snaps: Vec<Option<Snap>> = sources
                .iter()
                .map(|&(_, lon, lat)| engine.snapper.snap(lon, lat))
                .collect();
            let labels = crate::coverage::multi_source(&engine.graph, &snaps, limit_nm);
            let mut on_edge = EdgeSources::new(engine.graph.edge_nodes.len());
            for (slot, s) in snaps.iter().enumerate() {
                if let Some(s) = s {
                    on_edge.insert(slot as u32, *s);
                }
            }
            let covered = (0..engine.doorplate_count())
                .filter(|&i| {
                    let (d, s) = engine.walk_distance(&labels, &on_edge, i);
                    let ok = d <= limit_nm;
                    let want = if ok {
                        (to_m(d) / got.speed_m_per_s) as f32
                    } else {
                        f32::INFINITY
                    };
                    assert_eq!(
                        got.per_doorplate[i].to_bits(),
                        want.to_bits(),
                        "doorplate {i}"
                    );
                    assert_eq!(got.covered[i], ok, "doorplate {i}");
                    assert_eq!(
                        got.nearest_source[i],
                        if ok { s } else { NO_SOURCE },
                        "doorplate {i}"
                    );
                    ok
                })
                .count();
            assert!(
                covered > 0 && covered < engine.doorplate_count(),
                "{minutes} min: {covered}"
            );
        }
    }

    #[test]
    fn parallel_snapping_equals_snapping_each_doorplate_alone() {
        // A 30 × 30 street grid ~100 m apart, and more doorplates than the parallel cut-off.
        let mut network = WalkNetwork::default();
        let id = |i: u32, j: u32| i * 30 + j;
        for i in 0..30 {
            for j in 0..30 {
                network.add_node(
                    coord! { x: 120.1 + 0.001 * f64::from(j), y: 30.2 + 0.0009 * f64::from(i) },
                );
            }
        }
        for i in 0..30 {
            for j in 0..30 {
                if j + 1 < 30 {
                    network.add_edge(id(i, j), id(i, j + 1), None);
                }
                if i + 1 < 30 {
                    network.add_edge(id(i, j), id(i + 1, j), None);
                }
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut doorplates: Vec<Doorplate> = (0..PARALLEL_SNAP_MIN as u64 + 1_000)
            .map(|i| Doorplate {
                id: i,
                road: "文三路".into(),
                number: i as u32,
                location: Point::new(rng.gen_range(120.09..120.14), rng.gen_range(30.19..30.23)),
                residents: 1,
                elderly: 0,
                community: None,
                synthetic: true,
            })
            .collect();
        doorplates[17].location = Point::new(f64::NAN, 30.2);
        let dataset = Dataset {
            network,
            doorplates,
            ..Dataset::default()
        };
        let engine = CoverageEngine::new(&dataset);
        for (i, d) in dataset.doorplates.iter().enumerate() {
            let alone = if i == 17 {
                None
            } else {
                engine.snapper.snap(d.location.x(), d.location.y())
            };
            assert_eq!(engine.doorplate_snap(i), alone, "doorplate {i}");
        }
        assert!(engine.doorplate_snap(17).is_none());
    }
}
