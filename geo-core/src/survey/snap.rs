//! Snapping the rings of a partition so that shared borders share exact vertices.
//!
//! civmap's synthetic partition computes the two sides of a border separately (Voronoi
//! cells clipped by the district outline, through a projected plane and back), so their
//! vertices agree only to ~1e-9°, and a cell edge may end on the middle of a district
//! segment (a T-junction). [`snap_rings`] merges vertices within [`SNAP_DEG`] (about 1 cm)
//! and splits T-junctions, after which a border shared by two rings is the very same chain
//! of coordinates in both. The tile topology (`civmap-tiles`) and the boundary lines
//! ([`super::lines`]) both build on it.
//!
//! ```
//! use civmap_geo_core::survey::snap::{snap_rings, SNAP_DEG};
//! use geo::coord;
//! // two squares whose shared edge differs by 1e-9° and whose right square has a
//! // vertex in the middle of that edge
//! let mut rings = vec![
//!     vec![coord! {x: 0.0, y: 0.0}, coord! {x: 1.0, y: 0.0}, coord! {x: 1.0, y: 1.0}, coord! {x: 0.0, y: 1.0}],
//!     vec![coord! {x: 1.0 + 1e-9, y: 0.0}, coord! {x: 2.0, y: 0.0}, coord! {x: 2.0, y: 1.0},
//!          coord! {x: 1.0, y: 1.0}, coord! {x: 1.0, y: 0.5}],
//! ];
//! snap_rings(&mut rings);
//! assert_eq!(rings[1][0], coord! {x: 1.0, y: 0.0}); // merged with the left square's vertex
//! assert_eq!(rings[0].len(), 5); // (1, 0.5) was inserted into the left square's edge
//! assert!(SNAP_DEG < 1e-6);
//! ```

use std::collections::HashMap;

use geo::Coord;

/// Snapping distance in degrees (about 1 cm): vertices closer than this are one vertex.
pub const SNAP_DEG: f64 = 1e-7;

/// Makes borders that should be shared share exact vertices: the synthetic partition
/// computes the two sides of a border separately (Voronoi cells clipped by the district
/// outline, through a projected plane and back), so their vertices agree only to ~1e-9°,
/// and a cell edge may end on the middle of a district segment (a T-junction). Vertices
/// within [`SNAP_DEG`] become one (the first seen), and a vertex lying on another ring's
/// segment is inserted into that segment.
///
/// Rings come without their closing point; repeated vertices and spikes that the snapping
/// makes are dropped.
pub fn snap_rings(rings: &mut [Vec<Coord<f64>>]) {
    let cell = |c: Coord<f64>| {
        (
            (c.x / SNAP_DEG).floor() as i64,
            (c.y / SNAP_DEG).floor() as i64,
        )
    };
    let mut grid: HashMap<(i64, i64), Vec<Coord<f64>>> = HashMap::new();
    for r in rings.iter_mut() {
        for c in r.iter_mut() {
            let (cx, cy) = cell(*c);
            let mut found = None;
            'search: for dx in -1..=1 {
                for dy in -1..=1 {
                    if let Some(v) = grid.get(&(cx + dx, cy + dy)) {
                        if let Some(p) = v.iter().find(|p| (p.x - c.x).hypot(p.y - c.y) <= SNAP_DEG)
                        {
                            found = Some(*p);
                            break 'search;
                        }
                    }
                }
            }
            match found {
                Some(p) => *c = p,
                None => grid.entry((cx, cy)).or_default().push(*c),
            }
        }
    }
    let reps: Vec<[f64; 2]> = grid.values().flatten().map(|c| [c.x, c.y]).collect();
    let tree = rstar::RTree::bulk_load(reps);
    for r in rings.iter_mut() {
        let n = r.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (r[i], r[(i + 1) % n]);
            out.push(a);
            let env = rstar::AABB::from_corners(
                [a.x.min(b.x) - SNAP_DEG, a.y.min(b.y) - SNAP_DEG],
                [a.x.max(b.x) + SNAP_DEG, a.y.max(b.y) + SNAP_DEG],
            );
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let len2 = dx * dx + dy * dy;
            if len2 == 0.0 {
                continue;
            }
            let mut on: Vec<(f64, Coord<f64>)> = tree
                .locate_in_envelope(&env)
                .filter_map(|p| {
                    let t = ((p[0] - a.x) * dx + (p[1] - a.y) * dy) / len2;
                    let d = (p[0] - a.x - t * dx).hypot(p[1] - a.y - t * dy);
                    let q = Coord { x: p[0], y: p[1] };
                    (t > 0.0 && t < 1.0 && d <= SNAP_DEG && q != a && q != b).then_some((t, q))
                })
                .collect();
            on.sort_by(|x, y| x.0.total_cmp(&y.0));
            out.extend(on.into_iter().map(|(_, q)| q));
        }
        // drop repeats and spikes the snapping made
        let mut clean: Vec<Coord<f64>> = Vec::with_capacity(out.len());
        for c in out {
            if clean.last() == Some(&c) {
                continue;
            }
            if clean.len() >= 2 && clean[clean.len() - 2] == c {
                clean.pop();
                continue;
            }
            clean.push(c);
        }
        while clean.len() > 1 && clean.first() == clean.last() {
            clean.pop();
        }
        *r = clean;
    }
}
