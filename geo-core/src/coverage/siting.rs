//! Siting: where would `k` new facilities newly cover the most elderly residents?
//!
//! This is the maximal covering location problem (Church & ReVelle 1974): each candidate
//! site covers the set of currently uncovered doorplates within the time limit of it (one
//! bounded single-source Dijkstra per candidate, visiting only its neighbourhood), and we
//! pick `k` sites maximising the elderly in the union. The objective is monotone
//! submodular, so greedy selection is within `1 − 1/e` of the optimum (Nemhauser, Wolsey
//! & Fisher 1978); lazy evaluation (CELF, Leskovec et al. 2007) re-scores only the
//! candidate on top of the heap, since gains can only shrink. [`SitingProblem::exact`]
//! enumerates all `k`-subsets for small instances, to measure the actual ratio.

use std::collections::{BinaryHeap, HashSet};

use geo::{BoundingRect, Contains, MultiPolygon, Point, Rect};

use super::cancel::{uncancelled, Cancel, Cancelled};
use super::dijkstra::{to_nm, Dijkstra, NO_SOURCE};
use super::engine::limit_m;
use super::error::check_lon_lat;
use super::{CoverageEngine, CoverageError, CoverageMode, CoverageResult, WalkProfile};
use crate::{AdminCode, AdminUnit};

/// A suggested site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Elderly residents it newly covers, given the sites chosen before it.
    pub newly_covered_elderly: u64,
}

/// A maximal covering instance: candidate sites and the weighted elements each covers.
#[derive(Debug, Clone, Default)]
pub struct SitingProblem {
    /// Candidate positions `(lon, lat)`.
    pub candidates: Vec<(f64, f64)>,
    /// Per candidate: the elements it covers (ascending, distinct).
    pub sets: Vec<Vec<u32>>,
    /// Weight per element.
    pub weights: Vec<u64>,
}

impl SitingProblem {
    /// For each candidate, the doorplates uncovered in `base` (with elderly residents)
    /// that it would cover within `minutes`, walking at the profile's speed.
    pub fn new(
        engine: &CoverageEngine,
        base: &CoverageResult,
        candidates: &[(f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
    ) -> Result<Self, CoverageError> {
        Self::new_cancellable(engine, base, candidates, minutes, profile, &Cancel::never())
    }

    /// [`Self::new`], looking at `cancel` between candidates and inside each search.
    pub fn new_cancellable(
        engine: &CoverageEngine,
        base: &CoverageResult,
        candidates: &[(f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
        cancel: &Cancel,
    ) -> Result<Self, CoverageError> {
        let limit = to_nm(limit_m(minutes, profile)?);
        let g = &engine.graph;
        let p = &engine.points;
        let mut search = Dijkstra::new(g.node_count());
        let mut sets = Vec::with_capacity(candidates.len());
        for &(lon, lat) in candidates {
            check_lon_lat("candidate", lon, lat)?;
            // One candidate's search can reach the whole city: look before each.
            cancel.check()?;
            let mut set = Vec::new();
            if let Some(snap) = engine.snapper.snap(lon, lat) {
                search.reset();
                search.seed_snap(g, &snap, 0, limit);
                search.run_cancellable(g, limit, cancel)?;
                let labels = &search.labels;
                let mut consider = |i: u32| {
                    let i = i as usize;
                    if base.covered[i] || engine.elderly[i] == 0 {
                        return;
                    }
                    let e = p.edge[i];
                    let (a, b) = (p.node_a[i] as usize, p.node_b[i] as usize);
                    let mut d = u64::MAX;
                    if labels.source[a] != NO_SOURCE {
                        d = d.min(labels.dist_nm[a] + p.to_a_nm[i]);
                    }
                    if labels.source[b] != NO_SOURCE {
                        d = d.min(labels.dist_nm[b] + p.to_b_nm[i]);
                    }
                    if e == snap.edge {
                        let len = g.edge_length_m[e as usize];
                        d = d.min(to_nm(
                            snap.offset_m + (p.t[i] - snap.t).abs() * len + p.offset_m[i],
                        ));
                    }
                    if d <= limit {
                        set.push(i as u32);
                    }
                };
                let mut edges: Vec<u32> = vec![snap.edge];
                for &v in &search.touched {
                    let r = g.offsets[v as usize] as usize..g.offsets[v as usize + 1] as usize;
                    edges.extend_from_slice(&g.arc_edge[r]);
                }
                edges.sort_unstable();
                edges.dedup();
                for e in edges {
                    let r = engine.edge_points_offsets[e as usize] as usize
                        ..engine.edge_points_offsets[e as usize + 1] as usize;
                    for &i in &engine.edge_points[r] {
                        consider(i);
                    }
                }
                set.sort_unstable();
                set.dedup();
            }
            sets.push(set);
        }
        Ok(Self {
            candidates: candidates.to_vec(),
            sets,
            weights: engine.elderly.iter().map(|&e| e as u64).collect(),
        })
    }

    /// Total weight covered by a choice of candidates.
    pub fn value(&self, chosen: &[usize]) -> u64 {
        let mut seen = vec![false; self.weights.len()];
        let mut total = 0;
        for &c in chosen {
            for &i in &self.sets[c] {
                if !std::mem::replace(&mut seen[i as usize], true) {
                    total += self.weights[i as usize];
                }
            }
        }
        total
    }

    /// Greedy with lazy evaluation (CELF): `(candidate, marginal gain)` in order of
    /// choice; stops early when no candidate adds anything. Ties: lower candidate index.
    pub fn greedy(&self, k: usize) -> Vec<(usize, u64)> {
        uncancelled(self.greedy_cancellable(k, &Cancel::never()))
    }

    /// [`Self::greedy`], looking at `cancel` every [`super::CHECK_EVERY`] gains.
    pub fn greedy_cancellable(
        &self,
        k: usize,
        cancel: &Cancel,
    ) -> Result<Vec<(usize, u64)>, Cancelled> {
        let mut check = cancel.checker();
        let mut covered = vec![false; self.weights.len()];
        let gain = |c: usize, covered: &[bool]| -> u64 {
            self.sets[c]
                .iter()
                .filter(|&&i| !covered[i as usize])
                .map(|&i| self.weights[i as usize])
                .sum()
        };
        // (gain, reversed index for low-index ties, round the gain was computed in)
        let mut heap = BinaryHeap::with_capacity(self.sets.len());
        for c in 0..self.sets.len() {
            check.tick()?;
            heap.push((gain(c, &covered), std::cmp::Reverse(c), 0));
        }
        let mut chosen = Vec::new();
        while chosen.len() < k {
            check.tick()?;
            let Some((g, std::cmp::Reverse(c), round)) = heap.pop() else {
                break;
            };
            if round == chosen.len() {
                if g == 0 {
                    break;
                }
                for &i in &self.sets[c] {
                    covered[i as usize] = true;
                }
                chosen.push((c, g));
            } else {
                heap.push((gain(c, &covered), std::cmp::Reverse(c), chosen.len()));
            }
        }
        Ok(chosen)
    }

    /// The optimum by enumerating every `k`-subset (`C(m, k)` evaluations: small
    /// instances only). Returns the best subset (lexicographically first) and its value.
    pub fn exact(&self, k: usize) -> (Vec<usize>, u64) {
        uncancelled(self.exact_cancellable(k, &Cancel::never()))
    }

    /// [`Self::exact`], looking at `cancel` every [`super::CHECK_EVERY`] subsets: the
    /// enumeration is exponential in `k`, so this is the loop most in need of a way out.
    pub fn exact_cancellable(
        &self,
        k: usize,
        cancel: &Cancel,
    ) -> Result<(Vec<usize>, u64), Cancelled> {
        let mut check = cancel.checker();
        let m = self.sets.len();
        let k = k.min(m);
        let mut best = (Vec::new(), 0u64);
        let mut idx: Vec<usize> = (0..k).collect();
        let mut first = true;
        loop {
            check.tick()?;
            let v = self.value(&idx);
            if first || v > best.1 {
                best = (idx.clone(), v);
                first = false;
            }
            // Next combination.
            let mut i = k;
            loop {
                if i == 0 {
                    return Ok(best);
                }
                i -= 1;
                if idx[i] < m - k + i {
                    idx[i] += 1;
                    for j in i + 1..k {
                        idx[j] = idx[j - 1] + 1;
                    }
                    break;
                }
            }
        }
    }
}

/// Candidate sites: the network nodes at the ends of uncovered doorplates' edges, in node
/// order, thinned evenly to at most `max`.
pub fn candidate_sites(
    engine: &CoverageEngine,
    base: &CoverageResult,
    max: usize,
) -> Vec<(f64, f64)> {
    uncancelled(candidate_sites_cancellable(
        engine,
        base,
        max,
        &Cancel::never(),
    ))
}

/// [`candidate_sites`], looking at `cancel` every [`super::CHECK_EVERY`] doorplates.
pub fn candidate_sites_cancellable(
    engine: &CoverageEngine,
    base: &CoverageResult,
    max: usize,
    cancel: &Cancel,
) -> Result<Vec<(f64, f64)>, Cancelled> {
    let p = &engine.points;
    let mut check = cancel.checker();
    let mut nodes: Vec<u32> = Vec::new();
    for i in 0..engine.doorplate_count() {
        check.tick()?;
        if !base.covered[i] && p.edge[i] != u32::MAX && engine.elderly[i] > 0 {
            nodes.extend([p.node_a[i], p.node_b[i]]);
        }
    }
    nodes.sort_unstable();
    nodes.dedup();
    let stride = nodes.len().div_ceil(max.max(1)).max(1);
    Ok(nodes
        .iter()
        .step_by(stride)
        .map(|&v| {
            let [lon, lat] = engine.nodes[v as usize];
            (lon, lat)
        })
        .collect())
}

fn sites(problem: &SitingProblem, picks: &[(usize, u64)]) -> Vec<Site> {
    picks
        .iter()
        .map(|&(c, g)| Site {
            lon: problem.candidates[c].0,
            lat: problem.candidates[c].1,
            newly_covered_elderly: g,
        })
        .collect()
}

/// Suggests up to `k` new sites for a category (greedy + CELF), from `candidates` or, when
/// `None`, from [`candidate_sites`] (at most 2,000).
pub fn suggest_sites(
    engine: &CoverageEngine,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: Option<&[(f64, f64)]>,
) -> Result<Vec<Site>, CoverageError> {
    suggest_sites_cancellable(
        engine,
        sources,
        minutes,
        profile,
        k,
        candidates,
        &Cancel::never(),
    )
}

/// [`suggest_sites`], returning [`CoverageError::Cancelled`] when `cancel` is cancelled
/// before it is done.
pub fn suggest_sites_cancellable(
    engine: &CoverageEngine,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: Option<&[(f64, f64)]>,
    cancel: &Cancel,
) -> Result<Vec<Site>, CoverageError> {
    let problem = problem(engine, sources, minutes, profile, candidates, cancel)?;
    Ok(sites(&problem, &problem.greedy_cancellable(k, cancel)?))
}

/// The exact optimum over the candidates (brute force; small instances only), with each
/// site's marginal gain in the order given.
pub fn suggest_sites_exact(
    engine: &CoverageEngine,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: &[(f64, f64)],
) -> Result<Vec<Site>, CoverageError> {
    suggest_sites_exact_cancellable(
        engine,
        sources,
        minutes,
        profile,
        k,
        candidates,
        &Cancel::never(),
    )
}

/// [`suggest_sites_exact`], returning [`CoverageError::Cancelled`] when `cancel` is
/// cancelled before it is done.
pub fn suggest_sites_exact_cancellable(
    engine: &CoverageEngine,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: &[(f64, f64)],
    cancel: &Cancel,
) -> Result<Vec<Site>, CoverageError> {
    let problem = problem(engine, sources, minutes, profile, Some(candidates), cancel)?;
    let (best, _) = problem.exact_cancellable(k, cancel)?;
    let mut picks = Vec::new();
    let mut before = 0;
    for n in 1..=best.len() {
        let v = problem.value(&best[..n]);
        picks.push((best[n - 1], v - before));
        before = v;
    }
    Ok(sites(&problem, &picks))
}

fn problem(
    engine: &CoverageEngine,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    candidates: Option<&[(f64, f64)]>,
    cancel: &Cancel,
) -> Result<SitingProblem, CoverageError> {
    let base =
        engine.coverage_cancellable(sources, minutes, profile, CoverageMode::Walk, cancel)?;
    let owned;
    let candidates = match candidates {
        Some(c) => c,
        None => {
            owned = candidate_sites_cancellable(engine, &base, 2000, cancel)?;
            &owned
        }
    };
    SitingProblem::new_cancellable(engine, &base, candidates, minutes, profile, cancel)
}

/// An area siting is limited to: one or more admin units (a district, some townships, …)
/// with everything below them.
///
/// Why both geometry and codes: a *site* must stand inside the area's polygons (that is
/// what a planner promises a district), while a *resident* belongs to the area by the
/// admin code of its doorplate, as in every coverage report, so that the elderly a site
/// newly covers add up with the area's report rows.
#[derive(Debug, Clone)]
pub struct SitingArea {
    codes: Vec<AdminCode>,
    /// Per dataset admin unit: in the area (the unit or one of its ancestors is named).
    in_area: Vec<bool>,
    polygons: Vec<(Rect<f64>, MultiPolygon<f64>)>,
}

impl SitingArea {
    /// The area made of the units `codes` (any level) of `admin` (the dataset's units, in
    /// dataset order, as the engine was built from). Fails on an empty list or an unknown
    /// code, naming it.
    pub fn new(admin: &[AdminUnit], codes: &[AdminCode]) -> Result<Self, CoverageError> {
        if codes.is_empty() {
            return Err(CoverageError::UnknownArea {
                code: String::new(),
            });
        }
        let mut polygons = Vec::new();
        let named: HashSet<&AdminCode> = codes.iter().collect();
        for c in codes {
            let unit =
                admin
                    .iter()
                    .find(|u| &u.code == c)
                    .ok_or_else(|| CoverageError::UnknownArea {
                        code: c.to_string(),
                    })?;
            if let Some(r) = unit.geometry.bounding_rect() {
                polygons.push((r, unit.geometry.clone()));
            }
        }
        let by_code: std::collections::HashMap<&AdminCode, usize> = admin
            .iter()
            .enumerate()
            .map(|(i, u)| (&u.code, i))
            .collect();
        let in_area = (0..admin.len())
            .map(|i| {
                let mut cur = i;
                for _ in 0..=admin.len() {
                    if named.contains(&admin[cur].code) {
                        return true;
                    }
                    match admin[cur].parent.as_ref().and_then(|p| by_code.get(p)) {
                        Some(&p) => cur = p,
                        None => return false,
                    }
                }
                false
            })
            .collect();
        Ok(Self {
            codes: codes.to_vec(),
            in_area,
            polygons,
        })
    }

    /// The codes the area was made of.
    pub fn codes(&self) -> &[AdminCode] {
        &self.codes
    }

    /// Whether `(lon, lat)` lies inside the area's polygons.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let p = Point::new(lon, lat);
        self.polygons.iter().any(|(r, mp)| {
            lon >= r.min().x
                && lon <= r.max().x
                && lat >= r.min().y
                && lat <= r.max().y
                && mp.contains(&p)
        })
    }

    /// Whether the engine's doorplate `i` belongs to the area by its admin code.
    pub fn has_doorplate(&self, engine: &CoverageEngine, i: usize) -> bool {
        engine.rollup.doorplate_in(i, &self.in_area)
    }
}

/// [`suggest_sites`] limited to `area`: every site stands inside the area's polygons, and
/// a site's gain counts only the area's elderly (a district planner's objective; residents
/// next door covered by the same site are not credited). Candidates given outside the
/// area are dropped; by default they are [`candidate_sites`] of the area's uncovered
/// doorplates (at most 2,000), keeping those inside its polygons.
pub fn suggest_sites_in_area(
    engine: &CoverageEngine,
    area: &SitingArea,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: Option<&[(f64, f64)]>,
) -> Result<Vec<Site>, CoverageError> {
    suggest_sites_in_area_cancellable(
        engine,
        area,
        sources,
        minutes,
        profile,
        k,
        candidates,
        &Cancel::never(),
    )
}

/// [`suggest_sites_in_area`], returning [`CoverageError::Cancelled`] when `cancel` is
/// cancelled before it is done.
#[allow(clippy::too_many_arguments)]
pub fn suggest_sites_in_area_cancellable(
    engine: &CoverageEngine,
    area: &SitingArea,
    sources: &[(u32, f64, f64)],
    minutes: f64,
    profile: &WalkProfile,
    k: usize,
    candidates: Option<&[(f64, f64)]>,
    cancel: &Cancel,
) -> Result<Vec<Site>, CoverageError> {
    let base =
        engine.coverage_cancellable(sources, minutes, profile, CoverageMode::Walk, cancel)?;
    let inside: Vec<(f64, f64)> = match candidates {
        Some(c) => {
            for &(lon, lat) in c {
                check_lon_lat("candidate", lon, lat)?;
            }
            c.iter()
                .copied()
                .filter(|&(lon, lat)| area.contains(lon, lat))
                .collect()
        }
        None => {
            let p = &engine.points;
            let mut nodes: Vec<u32> = (0..engine.doorplate_count())
                .filter(|&i| {
                    !base.covered[i]
                        && p.edge[i] != u32::MAX
                        && engine.elderly[i] > 0
                        && area.has_doorplate(engine, i)
                })
                .flat_map(|i| [p.node_a[i], p.node_b[i]])
                .filter(|&v| {
                    let [lon, lat] = engine.nodes[v as usize];
                    area.contains(lon, lat)
                })
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            let stride = nodes.len().div_ceil(2000).max(1);
            nodes
                .iter()
                .step_by(stride)
                .map(|&v| {
                    let [lon, lat] = engine.nodes[v as usize];
                    (lon, lat)
                })
                .collect()
        }
    };
    cancel.check()?;
    let mut problem =
        SitingProblem::new_cancellable(engine, &base, &inside, minutes, profile, cancel)?;
    for (i, w) in problem.weights.iter_mut().enumerate() {
        if !area.has_doorplate(engine, i) {
            *w = 0;
        }
    }
    Ok(sites(&problem, &problem.greedy_cancellable(k, cancel)?))
}
