//! The `k` nearest facilities along the walking network from a point.
//!
//! One single-source Dijkstra from the query point's snap, bounded by a radius `R` that
//! doubles until `k` targets are within it: a walk (network path plus both off-network
//! legs) is never shorter than the straight geodesic line, so only targets within `R` in a
//! straight line can be within `R` on foot, and once `k` of them are, every target outside
//! is farther than the `k`-th. The caller supplies the targets within a straight radius
//! (from its R-tree), so a query costs the neighbourhood it searches, not the city.

use super::dijkstra::{to_m, to_nm, Dijkstra, NO_SOURCE, UNREACHED_NM};
use super::error::check_lon_lat;
use super::{CoverageEngine, CoverageError};

/// First search radius, metres.
const FIRST_RADIUS_M: f64 = 500.0;

impl CoverageEngine {
    /// The up-to-`k` targets nearest to `(lon, lat)` on foot within `max_m`, as
    /// `(record, walking metres)` ordered by distance then record.
    ///
    /// `targets_within(r)` returns the targets `(record, lon, lat)` within `r` metres in a
    /// straight line (a superset is fine). Targets or a query point that cannot be snapped
    /// (no network) are left out.
    pub fn nearest_walk(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_m: f64,
        mut targets_within: impl FnMut(f64) -> Vec<(u32, f64, f64)>,
    ) -> Result<Vec<(u32, f64)>, CoverageError> {
        check_lon_lat("query", lon, lat)?;
        let Some(q) = self.snapper.snap(lon, lat) else {
            return Ok(Vec::new());
        };
        let g = &self.graph;
        let mut search = Dijkstra::new(g.node_count());
        let mut radius = FIRST_RADIUS_M.min(max_m);
        loop {
            let limit = to_nm(radius);
            search.reset();
            search.seed_snap(g, &q, 0, limit);
            search.run(g, limit);
            let mut hits = Vec::new();
            for (record, tlon, tlat) in targets_within(radius) {
                if check_lon_lat("target", tlon, tlat).is_err() {
                    continue;
                }
                let Some(t) = self.snapper.snap(tlon, tlat) else {
                    continue;
                };
                let [a, b] = g.edge_nodes[t.edge as usize];
                let l = &search.labels;
                let mut d = UNREACHED_NM;
                if l.source[a as usize] != NO_SOURCE {
                    d = d.min(l.dist_nm[a as usize] + to_nm(t.offset_m + t.node_a_m));
                }
                if l.source[b as usize] != NO_SOURCE {
                    d = d.min(l.dist_nm[b as usize] + to_nm(t.offset_m + t.node_b_m));
                }
                if t.edge == q.edge {
                    let len = g.edge_length_m[t.edge as usize];
                    d = d.min(to_nm(q.offset_m + (q.t - t.t).abs() * len + t.offset_m));
                }
                if d <= limit {
                    hits.push((d, record));
                }
            }
            if hits.len() >= k || radius >= max_m {
                hits.sort_unstable();
                hits.truncate(k);
                return Ok(hits.into_iter().map(|(d, r)| (r, to_m(d))).collect());
            }
            radius = (radius * 2.0).min(max_m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dataset, WalkNetwork};
    use geo::coord;

    #[test]
    fn nearest_walk_orders_by_network_distance_not_straight_line() {
        // A U-shaped street: the far arm's end is close in a straight line but far on foot.
        let mut net = WalkNetwork::default();
        let a = net.add_node(coord! { x: 120.000, y: 30.000 });
        let b = net.add_node(coord! { x: 120.000, y: 30.010 });
        let c = net.add_node(coord! { x: 120.002, y: 30.010 });
        let d = net.add_node(coord! { x: 120.002, y: 30.000 });
        net.add_edge(a, b, None);
        net.add_edge(b, c, None);
        net.add_edge(c, d, None);
        let engine = CoverageEngine::new(&Dataset {
            network: net,
            ..Dataset::default()
        });
        let targets = [(7u32, 120.002, 30.0005), (9u32, 120.0, 30.005)];
        let hits = engine
            .nearest_walk(120.0, 30.0, 2, 10_000.0, |_| targets.to_vec())
            .unwrap();
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [9, 7]);
        // ~555 m up the arm; ~1,110 + 193 + 1,055 m round the U
        assert!((hits[0].1 - 554.0).abs() < 5.0, "{hits:?}");
        assert!(hits[1].1 > 2_000.0, "{hits:?}");
        let one = engine
            .nearest_walk(120.0, 30.0, 1, 10_000.0, |_| targets.to_vec())
            .unwrap();
        assert_eq!(one, hits[..1]);
    }
}
