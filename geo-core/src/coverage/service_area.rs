//! Service-area polygons for display, built from what is actually reachable.
//!
//! 1. Each edge's reachable part is the union of `[0, r_a]` from its `from` end,
//!    `[L − r_b, L]` from its `to` end (`r = limit − node distance`) and, for facilities
//!    snapped onto it, `limit − leg` either side of their projection — interpolated, so a
//!    half-reachable edge contributes half its length.
//! 2. Those parts are sampled every half cell and the cells they touch are marked, then
//!    dilated by one cell (8-neighbour): a buffer of one to two cells around the walked
//!    streets. A block whose interior is more than ~4 cells wide stays open — the polygon
//!    does not fill across blocks nobody can walk into.
//! 3. The marked cells' outline is traced exactly (directed cell sides with no marked
//!    neighbour, chained with a left-turn rule so diagonal touches become separate rings);
//!    counter-clockwise rings are exteriors, clockwise ones holes, each hole going to the
//!    smallest exterior around it. Collinear grid vertices are dropped.

use std::collections::{HashMap, HashSet};

use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon};

use super::cancel::{uncancelled, Cancel, Cancelled};
use super::dijkstra::{to_m, to_nm, NodeLabels, NO_SOURCE};
use super::engine::{limit_m, EdgeSources};
use super::gaps::Grid;
use super::{CoverageEngine, CoverageError, ScenarioCoverage, WalkProfile};

const STEPS: [(i64, i64); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

impl CoverageEngine {
    /// The area within `minutes` of the sources, as polygons on a `cell_m` grid (25–50 m
    /// suits display).
    pub fn service_area(
        &self,
        sources: &[(u32, f64, f64)],
        minutes: f64,
        profile: &WalkProfile,
        cell_m: f64,
    ) -> Result<MultiPolygon<f64>, CoverageError> {
        let limit = limit_m(minutes, profile)?;
        let grid = self.grid(cell_m)?;
        let sites = self.snap_sites(sources)?;
        let never = Cancel::never();
        let (labels, on_edge) = uncancelled(self.walk_labels(&sites, to_nm(limit), &never));
        Ok(uncancelled(
            self.area_from_labels(&labels, &on_edge, limit, &grid, &never),
        ))
    }

    pub(crate) fn area_from_labels(
        &self,
        labels: &NodeLabels,
        on_edge: &EdgeSources,
        limit: f64,
        grid: &Grid,
        cancel: &Cancel,
    ) -> Result<MultiPolygon<f64>, Cancelled> {
        let mut check = cancel.checker();
        let mut marked: HashSet<(i64, i64)> = HashSet::new();
        let mut intervals: Vec<(f64, f64)> = Vec::new();
        for (e, &[a, b]) in self.graph.edge_nodes.iter().enumerate() {
            check.tick()?;
            let len = self.graph.edge_length_m[e];
            let (Some(pa), Some(pb)) = (self.nodes.get(a as usize), self.nodes.get(b as usize))
            else {
                continue;
            };
            if !(len.is_finite() && len >= 0.0) {
                continue;
            }
            intervals.clear();
            if labels.source[a as usize] != NO_SOURCE {
                intervals.push((0.0, limit - to_m(labels.dist_nm[a as usize])));
            }
            if labels.source[b as usize] != NO_SOURCE {
                intervals.push((len - (limit - to_m(labels.dist_nm[b as usize])), len));
            }
            for (_, s) in on_edge.on(e as u32) {
                let r = limit - s.offset_m;
                if r >= 0.0 {
                    intervals.push((s.node_a_m - r, s.node_a_m + r));
                }
            }
            for &(lo, hi) in &intervals {
                let (lo, hi) = (lo.max(0.0), hi.min(len));
                if hi < lo {
                    continue;
                }
                let steps = (((hi - lo) / (grid.cell_m * 0.5)).ceil() as usize).max(1);
                for k in 0..=steps {
                    let t = if len > 0.0 {
                        (lo + (hi - lo) * k as f64 / steps as f64) / len
                    } else {
                        0.0
                    };
                    let lon = pa[0] + t * (pb[0] - pa[0]);
                    let lat = pa[1] + t * (pb[1] - pa[1]);
                    marked.insert(grid.cell(lon, lat));
                }
            }
        }
        let mut dilated: HashSet<(i64, i64)> = HashSet::with_capacity(marked.len() * 3);
        for &(i, j) in &marked {
            for di in -1..=1 {
                for dj in -1..=1 {
                    dilated.insert((i + di, j + dj));
                }
            }
        }
        cells_to_polygons(&dilated, grid, cancel)
    }
}

impl<E: std::ops::Deref<Target = CoverageEngine>> ScenarioCoverage<E> {
    /// The service area under the current edits (see [`CoverageEngine::service_area`]).
    pub fn service_area(&self, cell_m: f64) -> Result<MultiPolygon<f64>, CoverageError> {
        self.service_area_cancellable(cell_m, &Cancel::never())
    }

    /// [`Self::service_area`], returning [`CoverageError::Cancelled`] when `cancel` is
    /// cancelled before it is done.
    pub fn service_area_cancellable(
        &self,
        cell_m: f64,
        cancel: &Cancel,
    ) -> Result<MultiPolygon<f64>, CoverageError> {
        let grid = self.engine().grid(cell_m)?;
        let (labels, on_edge, limit) = self.state();
        Ok(self
            .engine()
            .area_from_labels(labels, on_edge, limit, &grid, cancel)?)
    }
}

/// The exact outline of a set of grid cells, as polygons with holes (WGS84).
pub(crate) fn cells_to_polygons(
    cells: &HashSet<(i64, i64)>,
    grid: &Grid,
    cancel: &Cancel,
) -> Result<MultiPolygon<f64>, Cancelled> {
    let mut check = cancel.checker();
    // Directed boundary sides, interior on the left: (start vertex, direction).
    let mut sides: HashSet<((i64, i64), u8)> = HashSet::new();
    for &(i, j) in cells {
        check.tick()?;
        let starts = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
        let across = [(i, j - 1), (i + 1, j), (i, j + 1), (i - 1, j)];
        for d in 0..4 {
            if !cells.contains(&across[d]) {
                sides.insert((starts[d], d as u8));
            }
        }
    }
    let mut ordered: Vec<((i64, i64), u8)> = sides.iter().copied().collect();
    ordered.sort_unstable();
    let mut used: HashSet<((i64, i64), u8)> = HashSet::with_capacity(sides.len());
    let mut exteriors: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut holes: Vec<Vec<(i64, i64)>> = Vec::new();
    for &start in &ordered {
        check.tick()?;
        if used.contains(&start) {
            continue;
        }
        let mut ring: Vec<(i64, i64)> = Vec::new();
        let mut cur = start;
        loop {
            used.insert(cur);
            let ((x, y), d) = cur;
            let (dx, dy) = STEPS[d as usize];
            let end = (x + dx, y + dy);
            let next = [(d + 1) % 4, d, (d + 3) % 4]
                .into_iter()
                .map(|nd| (end, nd))
                .find(|s| sides.contains(s))
                .expect("a closed outline continues at every vertex");
            if next.1 != d {
                ring.push(end); // a corner
            }
            if next == start {
                break;
            }
            cur = next;
        }
        if ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        if twice_area(&ring) > 0 {
            exteriors.push(ring);
        } else {
            holes.push(ring);
        }
    }
    let to_poly = |ring: &[(i64, i64)]| {
        Polygon::new(
            LineString(
                ring.iter()
                    .map(|&(x, y)| Coord {
                        x: x as f64,
                        y: y as f64,
                    })
                    .collect(),
            ),
            vec![],
        )
    };
    let grid_exteriors: Vec<Polygon<f64>> = exteriors.iter().map(|r| to_poly(r)).collect();
    let areas: Vec<f64> = grid_exteriors.iter().map(|p| p.unsigned_area()).collect();
    let mut bounds: Vec<[i64; 4]> = exteriors.iter().map(|r| bbox(r)).collect();
    bounds.shrink_to_fit();
    let mut hole_owner: HashMap<usize, Vec<usize>> = HashMap::new();
    for (h, ring) in holes.iter().enumerate() {
        check.tick()?;
        // A point inside the hole: the centre of the unmarked cell right of its first side.
        let (a, b) = (ring[0], ring[1]);
        let (dx, dy) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
        let probe = Point::new(
            a.0 as f64 + 0.5 * dx as f64 + 0.5 * dy as f64,
            a.1 as f64 + 0.5 * dy as f64 - 0.5 * dx as f64,
        );
        let owner = (0..exteriors.len())
            .filter(|&k| {
                let [x0, y0, x1, y1] = bounds[k];
                (x0 as f64) < probe.x()
                    && probe.x() < x1 as f64
                    && (y0 as f64) < probe.y()
                    && probe.y() < y1 as f64
                    && grid_exteriors[k].contains(&probe)
            })
            .min_by(|&p, &q| areas[p].total_cmp(&areas[q]));
        if let Some(k) = owner {
            hole_owner.entry(k).or_default().push(h);
        }
    }
    let geo_ring =
        |ring: &[(i64, i64)]| LineString(ring.iter().map(|&(x, y)| grid.corner(x, y)).collect());
    Ok(MultiPolygon(
        exteriors
            .iter()
            .enumerate()
            .map(|(k, ring)| {
                let interiors = hole_owner
                    .get(&k)
                    .map(|hs| hs.iter().map(|&h| geo_ring(&holes[h])).collect())
                    .unwrap_or_default();
                Polygon::new(geo_ring(ring), interiors)
            })
            .collect(),
    ))
}

fn twice_area(ring: &[(i64, i64)]) -> i64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum()
}

fn bbox(ring: &[(i64, i64)]) -> [i64; 4] {
    let mut b = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
    for &(x, y) in ring {
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}
