//! Snapping points to the nearest walkable edge.
//!
//! The R-tree holds edge segments in a *scaled* degree frame (longitude and latitude
//! multiplied by the metres per degree at the network's mean latitude), so its nearest-
//! neighbour order is nearly metric. The winner is then decided in the *point's own* local
//! equirectangular frame (metres per degree of the WGS84 ellipsoid at the point's latitude:
//! meridian radius `M` for latitude, `N cos φ` for longitude): the tree is walked in order
//! until its distance, times the provable ratio between the two frames, exceeds the best
//! distance found, so the answer equals a brute-force scan in the point's frame (ties: lower
//! edge index). Within 1 km the local frame differs from the ellipsoid by the change of `M`
//! and `N cos φ` across the segment, about `tan φ · Δφ` ≈ 1e-4 relative at Hangzhou (< 0.1 m
//! per km); that only moves `t` and the choice between near-equidistant edges. The
//! off-network leg itself (`offset_m`) is the exact geodesic ([`geo::Geodesic`]) from the
//! point to its projection.

use geo::{Distance, Geodesic, Point};
use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;

use crate::WalkNetwork;

/// WGS84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const WGS84_E2: f64 = (1.0 / 298.257_223_563) * (2.0 - 1.0 / 298.257_223_563);

/// Metres per degree of longitude and of latitude on the WGS84 ellipsoid at `lat_deg`.
pub fn metres_per_degree(lat_deg: f64) -> (f64, f64) {
    let phi = lat_deg.to_radians();
    let s2 = phi.sin() * phi.sin();
    let w = (1.0 - WGS84_E2 * s2).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
    let k = std::f64::consts::PI / 180.0;
    (n * phi.cos() * k, m * k)
}

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// Index of the edge in [`WalkNetwork::edges`].
    pub edge: u32,
    /// Position of the projection along the edge, 0 at `from`, 1 at `to`.
    pub t: f64,
    /// Geodesic metres from the point to its projection (the off-network leg).
    pub offset_m: f64,
    /// Metres along the edge from `from` to the projection (`t × length_m`).
    pub node_a_m: f64,
    /// Metres along the edge from the projection to `to` (`(1 − t) × length_m`).
    pub node_b_m: f64,
}

type SegmentEntry = GeomWithData<Line<[f64; 2]>, u32>;

/// R-tree of the network's edges, answering [`Snapper::snap`].
#[derive(Debug, Clone)]
pub struct Snapper {
    tree: RTree<SegmentEntry>,
    /// `[from_lon, from_lat, to_lon, to_lat]` per edge.
    ends: Vec<[f64; 4]>,
    lengths_m: Vec<f64>,
    /// Tree frame scale: metres per degree (lon, lat) at the network's mean latitude.
    scale: (f64, f64),
}

impl Snapper {
    /// Bulk-loads every edge of the network (edges to missing nodes are left out).
    pub fn build(network: &WalkNetwork) -> Self {
        let n = network.nodes.len();
        let mean_lat = if n == 0 {
            0.0
        } else {
            network.nodes.iter().map(|c| c.y).sum::<f64>() / n as f64
        };
        let scale = metres_per_degree(mean_lat);
        let mut ends = Vec::with_capacity(network.edges.len());
        let mut lengths_m = Vec::with_capacity(network.edges.len());
        let mut entries = Vec::with_capacity(network.edges.len());
        for (i, e) in network.edges.iter().enumerate() {
            // Self-loops are left out, as in the graph: snapping to one is snapping to its node.
            let (Some(a), Some(b), false) = (
                network.nodes.get(e.from as usize),
                network.nodes.get(e.to as usize),
                e.from == e.to,
            ) else {
                ends.push([f64::NAN; 4]);
                lengths_m.push(e.length_m);
                continue;
            };
            ends.push([a.x, a.y, b.x, b.y]);
            lengths_m.push(e.length_m);
            entries.push(GeomWithData::new(
                Line::new(
                    [a.x * scale.0, a.y * scale.1],
                    [b.x * scale.0, b.y * scale.1],
                ),
                i as u32,
            ));
        }
        Self {
            tree: RTree::bulk_load(entries),
            ends,
            lengths_m,
            scale,
        }
    }

    /// Number of indexed edges.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether no edge is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Distance in the point's local metric frame from `(lon, lat)` to edge `edge`, and the
    /// projection parameter `t`. This is the measure [`Self::snap`] minimises.
    pub fn local_distance_m(&self, edge: u32, lon: f64, lat: f64) -> (f64, f64) {
        let (kx, ky) = metres_per_degree(lat);
        self.local_distance_with(edge, lon, lat, kx, ky)
    }

    #[inline]
    fn local_distance_with(&self, edge: u32, lon: f64, lat: f64, kx: f64, ky: f64) -> (f64, f64) {
        let [ax, ay, bx, by] = self.ends[edge as usize];
        let (ax, ay) = ((ax - lon) * kx, (ay - lat) * ky);
        let (bx, by) = ((bx - lon) * kx, (by - lat) * ky);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (px, py) = (ax + t * dx, ay + t * dy);
        ((px * px + py * py).sqrt(), t)
    }

    /// The full [`Snap`] of a point onto a given edge at parameter `t`.
    pub fn snap_to(&self, edge: u32, t: f64, lon: f64, lat: f64) -> Snap {
        let [ax, ay, bx, by] = self.ends[edge as usize];
        let p = Point::new(ax + t * (bx - ax), ay + t * (by - ay));
        let len = self.lengths_m[edge as usize];
        Snap {
            edge,
            t,
            offset_m: Geodesic.distance(Point::new(lon, lat), p),
            node_a_m: t * len,
            node_b_m: (1.0 - t) * len,
        }
    }

    /// Snaps a point to the nearest edge in its local metric frame (ties: lower edge
    /// index); `None` when the network has no edges. Coordinates must be valid.
    pub fn snap(&self, lon: f64, lat: f64) -> Option<Snap> {
        let (kx, ky) = metres_per_degree(lat);
        // d_point >= ratio * d_tree for every vector (see module docs).
        let ratio = (kx / self.scale.0).min(ky / self.scale.1);
        let q = [lon * self.scale.0, lat * self.scale.1];
        let mut best: Option<(f64, u32, f64)> = None;
        for (entry, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            if let Some((bd, _, _)) = best {
                if d2.sqrt() * ratio > bd * (1.0 + 1e-9) + 1e-9 {
                    break;
                }
            }
            let (d, t) = self.local_distance_with(entry.data, lon, lat, kx, ky);
            let better = match best {
                None => true,
                Some((bd, be, _)) => d < bd || (d == bd && entry.data < be),
            };
            if better {
                best = Some((d, entry.data, t));
            }
        }
        best.map(|(_, edge, t)| self.snap_to(edge, t, lon, lat))
    }
}
