//! Shared-border generalisation of the administrative units.
//!
//! Simplifying each polygon on its own (as `ST_Simplify` per feature, Martin #76) moves the
//! two copies of a shared border differently and opens gaps and slivers between neighbours
//! at low zoom. Like mapshaper and tippecanoe's `--detect-shared-borders`, we cut every
//! boundary into *arcs* — maximal chains between junctions of the segment graph, so a chain
//! shared by two units (or by a district and the townships inside it) is one arc — simplify
//! each arc once per zoom with its endpoints fixed, and rebuild every ring from the
//! simplified arcs. Neighbours then share the very same simplified border at every zoom,
//! across levels too.
//!
//! Arcs are found from identical coordinates after snapping: civmap's partition computes
//! the two sides of a border separately, so they agree only to ~1e-9° and a cell edge may
//! end mid-segment on its parent's outline; vertices within [`SNAP_DEG`] (≈1 cm) are merged
//! and T-junctions split first (the shared-border tests check that children then tile their
//! parents exactly, and that per-feature simplification would not). Simplification is Douglas–Peucker,
//! computed once as a per-vertex *importance* (the tolerance at which the vertex would be
//! dropped, made monotone along the recursion) so that each zoom is a filter; rings never
//! fall below a triangle because arcs keep a minimum number of interior vertices.

use std::collections::HashMap;

use civmap_geo_core::survey::snap::snap_rings;
pub use civmap_geo_core::survey::snap::SNAP_DEG;
use civmap_geo_core::{AdminLevel, AdminUnit};
use geo::{Area, InteriorPoint, MultiPolygon, Polygon};

use crate::mercator::world;

/// Simplification tolerance in pixels of a 256-pixel tile (so 8 units of a 4096 extent).
pub const SIMPLIFY_TOLERANCE_PX: f64 = 0.5;

/// Highest zoom with simplified geometry; above it the original vertices are served.
pub const MAX_SIMPLIFIED_ZOOM: u8 = 16;

/// The world-unit tolerance at a zoom.
pub fn tolerance_world(z: u8) -> f64 {
    SIMPLIFY_TOLERANCE_PX / 256.0 / f64::from(1u32 << z)
}

type Key = (u64, u64);

fn key(c: geo::Coord<f64>) -> Key {
    (c.x.to_bits(), c.y.to_bits())
}

/// A chain of vertices between two junctions (or a closed ring without junctions).
#[derive(Debug, Clone)]
struct Arc {
    points: Vec<[f64; 2]>,
    /// Douglas–Peucker importance per vertex (endpoints: infinity).
    importance: Vec<f64>,
    /// Interior vertices every simplification keeps (so rings stay at least triangles).
    min_interior: usize,
}

/// One ring as arcs: `(arc, reversed)`.
type RingArcs = Vec<(u32, bool)>;

/// An admin unit's geometry as arcs, with what the layers need to draw it.
#[derive(Debug, Clone)]
pub struct UnitShape {
    /// Index of the unit in the dataset's `admin` list.
    pub record: u32,
    /// Its level.
    pub level: AdminLevel,
    /// World-coordinate bounding box `[min_x, min_y, max_x, max_y]`.
    pub bbox: [f64; 4],
    /// A label point inside the unit (in its largest polygon), world coordinates.
    pub label: [f64; 2],
    polygons: Vec<Vec<RingArcs>>,
}

/// Polygons in world coordinates: polygon → rings (exterior first) → points (no closing
/// point).
pub type WorldPolygons = Vec<Vec<Vec<[f64; 2]>>>;

/// The arc topology of all admin units and their simplified geometry per zoom.
///
/// ```
/// use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
/// use civmap_tiles::topology::AdminTopology;
/// use geo::{polygon, MultiPolygon};
/// let unit = |code: &str, poly| AdminUnit {
///     code: AdminCode::parse(code).unwrap(), name: code.into(), level: AdminLevel::District,
///     parent: None, kind: String::new(), geometry: MultiPolygon(vec![poly]),
///     population: 0, elderly: 0, synthetic: true,
/// };
/// let a = polygon![(x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)];
/// let b = polygon![(x: 120.1, y: 30.0), (x: 120.2, y: 30.0), (x: 120.2, y: 30.1), (x: 120.1, y: 30.1)];
/// let topo = AdminTopology::build(&[unit("330102000000", a), unit("330103000000", b)]);
/// assert_eq!(topo.arc_count(), 3); // the shared border is one arc
/// ```
#[derive(Debug, Clone, Default)]
pub struct AdminTopology {
    arcs: Vec<Arc>,
    units: Vec<UnitShape>,
    /// `[zoom][unit]` simplified polygons for zooms 0..=MAX_SIMPLIFIED_ZOOM, then the
    /// original geometry.
    by_zoom: Vec<Vec<WorldPolygons>>,
}

impl AdminTopology {
    /// Builds the arcs of every district, township and community (not the city).
    pub fn build(admin: &[AdminUnit]) -> Self {
        // rings in lon/lat with exact keys
        let mut rings_ll: Vec<Vec<geo::Coord<f64>>> = Vec::new();
        let mut unit_rings: Vec<(u32, Vec<Vec<usize>>)> = Vec::new();
        for (i, u) in admin.iter().enumerate() {
            if u.level == AdminLevel::City {
                continue;
            }
            let mut polys = Vec::new();
            for p in &u.geometry.0 {
                let mut rings = Vec::new();
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let mut pts: Vec<geo::Coord<f64>> = Vec::with_capacity(r.0.len());
                    for &c in &r.0 {
                        if pts.last().map(|l| key(*l)) != Some(key(c)) {
                            pts.push(c);
                        }
                    }
                    while pts.len() > 1 && key(pts[0]) == key(pts[pts.len() - 1]) {
                        pts.pop();
                    }
                    if pts.len() >= 3 {
                        rings.push(rings_ll.len());
                        rings_ll.push(pts);
                    } else if rings.is_empty() {
                        break;
                    }
                }
                if !rings.is_empty() {
                    polys.push(rings);
                }
            }
            unit_rings.push((i as u32, polys));
        }
        snap_rings(&mut rings_ll);
        // segment graph degrees
        let mut neighbours: HashMap<Key, Vec<Key>> = HashMap::new();
        for r in &rings_ll {
            let n = r.len();
            for i in 0..n {
                let (a, b) = (key(r[i]), key(r[(i + 1) % n]));
                for (p, q) in [(a, b), (b, a)] {
                    let v = neighbours.entry(p).or_default();
                    if !v.contains(&q) {
                        v.push(q);
                    }
                }
            }
        }
        let is_node = |k: &Key| neighbours.get(k).is_none_or(|v| v.len() != 2);
        let mut arcs: Vec<Arc> = Vec::new();
        let mut arc_keys: Vec<(Key, Key)> = Vec::new(); // first two keys of the stored arc
        let mut by_segment: HashMap<(Key, Key), u32> = HashMap::new();
        let mut ring_arcs: Vec<RingArcs> = Vec::with_capacity(rings_ll.len());
        for r in &rings_ll {
            let n = r.len();
            let nodes: Vec<usize> = (0..n).filter(|&i| is_node(&key(r[i]))).collect();
            let chains: Vec<Vec<geo::Coord<f64>>> = if nodes.is_empty() {
                // closed arc: canonical start at the smallest key
                let start = (0..n).min_by_key(|&i| key(r[i])).unwrap_or(0);
                let mut c: Vec<_> = (0..=n).map(|j| r[(start + j) % n]).collect();
                if key(c[1]) > key(c[n - 1]) {
                    c.reverse();
                }
                vec![c]
            } else {
                let mut chains = Vec::new();
                for (j, &s) in nodes.iter().enumerate() {
                    let e = if j + 1 < nodes.len() {
                        nodes[j + 1]
                    } else {
                        nodes[0] + n
                    };
                    chains.push((s..=e).map(|k| r[k % n]).collect());
                }
                chains
            };
            let mut refs = RingArcs::new();
            for c in chains {
                let (a, b) = (key(c[0]), key(c[1]));
                let seg = if a <= b { (a, b) } else { (b, a) };
                if let Some(&id) = by_segment.get(&seg) {
                    let forward = arc_keys[id as usize] == (a, b);
                    refs.push((id, !forward));
                } else {
                    let id = arcs.len() as u32;
                    // a later ring may walk this arc backwards: find it by its last
                    // segment too
                    by_segment.insert(seg, id);
                    let (y, z) = (key(c[c.len() - 1]), key(c[c.len() - 2]));
                    by_segment.insert(if y <= z { (y, z) } else { (z, y) }, id);
                    arc_keys.push((a, b));
                    let points: Vec<[f64; 2]> = c.iter().map(|p| world(p.x, p.y)).collect();
                    arcs.push(Arc {
                        importance: importance(&points),
                        points,
                        min_interior: 0,
                    });
                    refs.push((id, false));
                }
            }
            // rings of one or two arcs must keep enough vertices to stay a triangle
            let need = match refs.len() {
                1 => 2,
                2 => 1,
                _ => 0,
            };
            for &(id, _) in &refs {
                let a = &mut arcs[id as usize];
                a.min_interior = a.min_interior.max(need);
            }
            ring_arcs.push(refs);
        }
        let units: Vec<UnitShape> = unit_rings
            .into_iter()
            .map(|(record, polys)| {
                let u = &admin[record as usize];
                let polygons: Vec<Vec<RingArcs>> = polys
                    .iter()
                    .map(|p| p.iter().map(|&r| ring_arcs[r].clone()).collect())
                    .collect();
                let mut bbox = [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ];
                for c in u.geometry.0.iter().flat_map(|p| p.exterior().0.iter()) {
                    let [x, y] = world(c.x, c.y);
                    bbox = [
                        bbox[0].min(x),
                        bbox[1].min(y),
                        bbox[2].max(x),
                        bbox[3].max(y),
                    ];
                }
                UnitShape {
                    record,
                    level: u.level,
                    bbox,
                    label: label_point(&u.geometry),
                    polygons,
                }
            })
            .collect();
        let mut topo = Self {
            arcs,
            units,
            by_zoom: Vec::new(),
        };
        topo.by_zoom = (0..=MAX_SIMPLIFIED_ZOOM + 1)
            .map(|z| {
                let tol = if z > MAX_SIMPLIFIED_ZOOM {
                    -1.0
                } else {
                    tolerance_world(z)
                };
                let simplified: Vec<Vec<[f64; 2]>> =
                    topo.arcs.iter().map(|a| simplify(a, tol)).collect();
                topo.units
                    .iter()
                    .map(|u| {
                        u.polygons
                            .iter()
                            .map(|p| {
                                p.iter()
                                    .map(|r| assemble(r, &simplified))
                                    .collect::<Vec<_>>()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        topo
    }

    /// Number of distinct arcs.
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// Total vertices over all arcs.
    pub fn vertex_count(&self) -> usize {
        self.arcs.iter().map(|a| a.points.len()).sum()
    }

    /// The units (district, township and community), in dataset order.
    pub fn units(&self) -> &[UnitShape] {
        &self.units
    }

    /// A unit's polygons generalised for zoom `z`, in world coordinates (at every zoom,
    /// whether or not its level shows there).
    pub fn polygons(&self, unit: usize, z: u8) -> &WorldPolygons {
        let zi = usize::from(z.min(MAX_SIMPLIFIED_ZOOM + 1));
        &self.by_zoom[zi][unit]
    }

    /// A unit's polygons at zoom `z` as a `geo` multipolygon in world coordinates.
    pub fn multipolygon(&self, unit: usize, z: u8) -> MultiPolygon<f64> {
        MultiPolygon(
            self.polygons(unit, z)
                .iter()
                .map(|p| {
                    let ring = |r: &Vec<[f64; 2]>| {
                        geo::LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>())
                    };
                    Polygon::new(ring(&p[0]), p[1..].iter().map(ring).collect())
                })
                .collect(),
        )
    }
}

/// The zoom an admin level first appears at in the `admin` layer.
pub fn first_zoom(level: AdminLevel) -> u8 {
    match level {
        AdminLevel::City | AdminLevel::District => 0,
        AdminLevel::Township => 9,
        AdminLevel::Community => 12,
    }
}

fn label_point(mp: &MultiPolygon<f64>) -> [f64; 2] {
    let largest =
        mp.0.iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    let p = largest
        .and_then(|p| p.interior_point())
        .or_else(|| mp.interior_point())
        .map(|p| (p.x(), p.y()))
        .unwrap_or((0.0, 0.0));
    world(p.0, p.1)
}

fn seg_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return ((p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2)).sqrt();
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    ((p[0] - a[0] - t * dx).powi(2) + (p[1] - a[1] - t * dy).powi(2)).sqrt()
}

/// Douglas–Peucker importance of each vertex: the largest tolerance that keeps it.
fn importance(points: &[[f64; 2]]) -> Vec<f64> {
    let n = points.len();
    let mut imp = vec![0.0; n];
    if n == 0 {
        return imp;
    }
    imp[0] = f64::INFINITY;
    imp[n - 1] = f64::INFINITY;
    let mut stack = vec![(0usize, n - 1, f64::INFINITY)];
    while let Some((s, e, parent)) = stack.pop() {
        if e <= s + 1 {
            continue;
        }
        let (mut best, mut best_d) = (s + 1, -1.0);
        for (i, &p) in points.iter().enumerate().take(e).skip(s + 1) {
            let d = seg_distance(p, points[s], points[e]);
            if d > best_d {
                best_d = d;
                best = i;
            }
        }
        let v = best_d.min(parent);
        imp[best] = v;
        stack.push((s, best, v));
        stack.push((best, e, v));
    }
    imp
}

fn simplify(arc: &Arc, tol: f64) -> Vec<[f64; 2]> {
    let n = arc.points.len();
    let mut keep: Vec<bool> = arc.importance.iter().map(|&i| i > tol).collect();
    let interior = keep.iter().filter(|&&k| k).count().saturating_sub(2);
    let want = arc.min_interior.min(n.saturating_sub(2));
    if interior < want {
        let mut order: Vec<usize> = (1..n - 1).collect();
        order.sort_by(|&a, &b| arc.importance[b].total_cmp(&arc.importance[a]));
        for &i in order.iter().take(want) {
            keep[i] = true;
        }
    }
    arc.points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

fn assemble(ring: &RingArcs, simplified: &[Vec<[f64; 2]>]) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    for &(id, reversed) in ring {
        let pts = &simplified[id as usize];
        let m = pts.len();
        // every arc's last point is the next arc's first: skip it
        if reversed {
            out.extend(pts.iter().rev().take(m - 1));
        } else {
            out.extend(pts.iter().take(m - 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importance_filter_equals_douglas_peucker() {
        let pts: Vec<[f64; 2]> = (0..50)
            .map(|i| {
                let x = f64::from(i);
                [x, (x * 0.7).sin() * 3.0 + (x * 0.13).cos()]
            })
            .collect();
        let imp = importance(&pts);
        let arc = Arc {
            points: pts.clone(),
            importance: imp,
            min_interior: 0,
        };
        for tol in [0.1, 0.5, 1.0, 2.0, 10.0] {
            let ours = simplify(&arc, tol);
            let ls = geo::LineString::from(pts.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
            use geo::Simplify;
            let theirs: Vec<[f64; 2]> = ls.simplify(tol).0.iter().map(|c| [c.x, c.y]).collect();
            assert_eq!(ours, theirs, "tol {tol}");
        }
    }

    #[test]
    fn rings_never_fall_below_a_triangle() {
        let pts = vec![[0.0, 0.0], [1e-9, 1e-9], [2e-9, 0.0], [0.0, 0.0]];
        let arc = Arc {
            importance: importance(&pts),
            points: pts,
            min_interior: 2,
        };
        assert_eq!(simplify(&arc, 1.0).len(), 4);
    }
}
