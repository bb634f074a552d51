//! Clipping polygon rings to a tile's buffered square, and making the clipped, quantised
//! result valid.
//!
//! Rings are first cut with Sutherland–Hodgman against the four edges ([`clip_ring`]): it is
//! linear, keeps neighbouring polygons' shared border identical and the buffer keeps the cut
//! edges outside the visible tile, so renderers never draw them as outlines. But its output
//! is not always a valid ring: where a polygon leaves the square and comes back, the result
//! runs along the clip edge and back (zero-area spikes and overlapping edges on the buffer
//! line), and rounding to the integer grid can make nearby edges touch or cross. MVT 2.1
//! §4.3.4.4 requires OGC-valid rings, so [`make_valid`] then rebuilds each feature's integer
//! polygons with `i_overlay` (the engine behind geo's `BooleanOps`), whose integer overlay
//! splits edges at every crossing, drops collapsed parts and extracts OGC-valid shapes
//! (holes touching their exterior at most at a point, no overlapping parts) — on the same
//! integer grid, so nothing needs rounding again.

use std::cell::RefCell;

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;
use i_overlay::i_shape::int::shape::IntShapes;

/// Polygons on the tile's integer grid: polygon → rings (exterior first) → points, without a
/// closing point.
pub type IntPolygons = Vec<Vec<Vec<[i32; 2]>>>;

/// An axis-aligned clip square in tile coordinates.
#[derive(Debug, Clone, Copy)]
pub struct ClipBox {
    /// Lowest x and y.
    pub min: f64,
    /// Highest x and y.
    pub max: f64,
}

impl ClipBox {
    /// The tile square `0..extent` grown by `buffer` units.
    pub fn buffered(extent: u32, buffer: u32) -> Self {
        Self {
            min: -f64::from(buffer),
            max: f64::from(extent + buffer),
        }
    }

    /// True when the point lies inside (edges included).
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.min && p[0] <= self.max && p[1] >= self.min && p[1] <= self.max
    }
}

/// Bounding box `[min_x, min_y, max_x, max_y]` of points.
pub fn bounds(points: &[[f64; 2]]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// Clips a ring (no closing point) to the box; the result may be empty.
///
/// ```
/// use civmap_tiles::clip::{clip_ring, ClipBox};
/// let square = [[-10.0, -10.0], [10.0, -10.0], [10.0, 10.0], [-10.0, 10.0]];
/// let c = clip_ring(&square, ClipBox { min: 0.0, max: 100.0 });
/// assert_eq!(c.len(), 4);
/// assert!(c.iter().all(|p| p[0] >= 0.0 && p[1] >= 0.0));
/// ```
pub fn clip_ring(ring: &[[f64; 2]], clip: ClipBox) -> Vec<[f64; 2]> {
    let b = bounds(ring);
    if b[0] >= clip.min && b[1] >= clip.min && b[2] <= clip.max && b[3] <= clip.max {
        return ring.to_vec();
    }
    if b[2] < clip.min || b[3] < clip.min || b[0] > clip.max || b[1] > clip.max {
        return Vec::new();
    }
    let mut current = ring.to_vec();
    let mut next = Vec::with_capacity(ring.len() + 8);
    // (axis, bound, keep_greater)
    for (axis, bound, keep_ge) in [
        (0usize, clip.min, true),
        (0, clip.max, false),
        (1, clip.min, true),
        (1, clip.max, false),
    ] {
        next.clear();
        let n = current.len();
        if n == 0 {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if keep_ge {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        for i in 0..n {
            let a = current[(i + n - 1) % n];
            let b = current[i];
            let (ia, ib) = (inside(&a), inside(&b));
            if ib {
                if !ia {
                    next.push(intersect(a, b, axis, bound));
                }
                next.push(b);
            } else if ia {
                next.push(intersect(a, b, axis, bound));
            }
        }
        std::mem::swap(&mut current, &mut next);
    }
    current
}

/// Twice the signed area of an integer ring (surveyor's formula; positive is an exterior in
/// MVT's y-down frame).
fn area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// Rebuilds one feature's integer polygons as OGC-valid polygons: no ring crosses or touches
/// itself, no spikes or collinear back-tracks, no ring with fewer than three distinct points
/// or zero area, holes inside their exterior, parts that do not overlap. Exteriors come out
/// with positive [`area2`] (as MVT wants), holes negative.
///
/// Each polygon's exterior is oriented positive and its holes negative before the overlay,
/// and the union is taken with the non-zero rule, so parts that rounding made overlap merge
/// instead of cancelling, and a hole keeps cutting its own exterior.
///
/// ```
/// use civmap_tiles::clip::make_valid;
/// // a ring that runs along its bottom edge and back (a zero-area spike), as clipping leaves
/// let spiky = vec![vec![vec![[0, 0], [10, 0], [20, 0], [10, 0], [10, 10], [0, 10]]]];
/// let valid = make_valid(&spiky);
/// assert_eq!(valid.len(), 1);
/// let ring = &valid[0][0];
/// assert_eq!(ring.len(), 4);
/// assert!(!ring.contains(&[20, 0]));
/// ```
pub fn make_valid(polygons: &[Vec<Vec<[i32; 2]>>]) -> IntPolygons {
    if let [polygon] = polygons {
        if let [ring] = polygon.as_slice() {
            return make_valid_ring(ring);
        }
    }
    OVERLAY.with(|cell| {
        let mut overlay = cell.borrow_mut();
        overlay.clear();
        let mut contour: Vec<IntPoint> = Vec::new();
        for polygon in polygons {
            for (i, ring) in polygon.iter().enumerate() {
                let a = if ring.len() < 3 { 0 } else { area2(ring) };
                if a == 0 {
                    // no exterior, no polygon: its holes alone would fill with negative winding
                    if i == 0 {
                        break;
                    }
                    continue;
                }
                contour.clear();
                contour.extend(ring.iter().map(|p| IntPoint::new(p[0], p[1])));
                if (i == 0) != (a > 0) {
                    contour.reverse();
                }
                overlay.add_contour(&contour, ShapeType::Subject);
            }
        }
        from_shapes(overlay.overlay(OverlayRule::Subject, FillRule::NonZero))
    })
}

/// [`make_valid`] of one polygon without holes, the usual case: a rectangle (a unit covering
/// the whole tile) is returned as it is, and otherwise i_overlay first checks whether the
/// ring is already simple (no crossing, touching, repeated or collinear points) and rebuilds
/// it only if not.
fn make_valid_ring(ring: &[[i32; 2]]) -> IntPolygons {
    let a = if ring.len() < 3 { 0 } else { area2(ring) };
    if a == 0 {
        return Vec::new();
    }
    let positive = || {
        let mut r = ring.to_vec();
        if a < 0 {
            r.reverse();
        }
        vec![vec![r]]
    };
    if is_rectangle(ring) {
        return positive();
    }
    let contour: Vec<IntPoint> = ring.iter().map(|p| IntPoint::new(p[0], p[1])).collect();
    let shapes = OVERLAY.with(|cell| {
        cell.borrow_mut()
            .simplify_contour(&contour, FillRule::NonZero)
    });
    match shapes {
        Some(shapes) => from_shapes(shapes),
        None => positive(),
    }
}

/// i_overlay's shapes as tile polygons, exteriors positive and holes negative.
fn from_shapes(shapes: IntShapes) -> IntPolygons {
    let mut out: IntPolygons = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let mut rings = Vec::with_capacity(shape.len());
        for (i, c) in shape.into_iter().enumerate() {
            let mut ring: Vec<[i32; 2]> = c.into_iter().map(|p| [p.x, p.y]).collect();
            let a = area2(&ring);
            if ring.len() < 3 || a == 0 {
                continue;
            }
            if (i == 0) != (a > 0) {
                ring.reverse();
            }
            rings.push(ring);
        }
        if !rings.is_empty() {
            out.push(rings);
        }
    }
    out
}

thread_local! {
    /// One overlay per thread, cleared per feature, so its segment, split and graph buffers
    /// are allocated once rather than for every feature of every tile.
    static OVERLAY: RefCell<Overlay> = RefCell::new(Overlay::new_custom(
        1024,
        IntOverlayOptions {
            ogc: true,
            ..IntOverlayOptions::default()
        },
        Solver::default(),
    ));
}

/// True for four distinct corners of an axis-aligned rectangle with non-zero area, in ring
/// order (always a valid ring).
fn is_rectangle(ring: &[[i32; 2]]) -> bool {
    let [a, b, c, d] = ring else {
        return false;
    };
    let axis_step = |p: &[i32; 2], q: &[i32; 2]| (p[0] == q[0]) != (p[1] == q[1]);
    axis_step(a, b)
        && axis_step(b, c)
        && axis_step(c, d)
        && axis_step(d, a)
        && a[0] != c[0]
        && a[1] != c[1]
        && area2(ring) != 0
}

fn intersect(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    p[axis] = bound;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(r: &[[f64; 2]]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i][0] * r[(i + 1) % n][1] - r[(i + 1) % n][0] * r[i][1])
            .sum::<f64>()
            / 2.0
    }

    /// A polygon that leaves the box and comes back: Sutherland–Hodgman joins its two parts
    /// with an edge along the clip line and back (a zero-area bridge, invalid); after
    /// `make_valid` they are two separate rectangles with the right area.
    #[test]
    fn parts_joined_along_the_clip_edge_come_apart_valid() {
        let notched = [
            [10.0, 10.0],
            [30.0, 10.0],
            [30.0, 150.0],
            [70.0, 150.0],
            [70.0, 10.0],
            [90.0, 10.0],
            [90.0, 200.0],
            [10.0, 200.0],
        ];
        let clipped = clip_ring(
            &notched,
            ClipBox {
                min: 0.0,
                max: 100.0,
            },
        );
        let ring: Vec<[i32; 2]> = clipped
            .iter()
            .map(|p| [p[0].round() as i32, p[1].round() as i32])
            .collect();
        // the bridge: (30,100)-(70,100) runs over the closing edge (90,100)-(10,100)
        assert!(ring.contains(&[30, 100]) && ring.contains(&[70, 100]));
        let valid = make_valid(&[vec![ring]]);
        assert_eq!(valid.len(), 2, "{valid:?}");
        for polygon in &valid {
            assert_eq!(polygon.len(), 1);
            assert_eq!(polygon[0].len(), 4);
            assert_eq!(area2(&polygon[0]), 2 * 20 * 90);
        }
    }

    #[test]
    fn holes_stay_holes_and_degenerate_rings_go() {
        let square = vec![[0, 0], [100, 0], [100, 100], [0, 100]];
        let hole = vec![[20, 20], [20, 80], [80, 80], [80, 20]];
        let sliver = vec![[0, 0], [50, 0], [100, 0]];
        let v = make_valid(&[vec![square.clone(), hole], vec![sliver]]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].len(), 2);
        assert!(area2(&v[0][0]) == 2 * 100 * 100 && area2(&v[0][1]) == -2 * 60 * 60);
        // a hole given with the exterior's winding is still a hole
        let same_winding_hole = vec![[20, 20], [80, 20], [80, 80], [20, 80]];
        let v = make_valid(&[vec![square, same_winding_hole]]);
        assert!(v.len() == 1 && v[0].len() == 2 && area2(&v[0][1]) < 0);
    }

    #[test]
    fn clipping_keeps_the_area_inside_the_box() {
        let tri = [[-50.0, 50.0], [150.0, 50.0], [50.0, -150.0]];
        let c = clip_ring(
            &tri,
            ClipBox {
                min: 0.0,
                max: 100.0,
            },
        );
        // inside part: the band y 0..50 of the triangle, x clipped 0..100
        let a = area(&c).abs();
        assert!(a > 0.0 && a <= 100.0 * 50.0 + 1e-9, "{a}");
        assert!(c
            .iter()
            .all(|p| (0.0..=100.0).contains(&p[0]) && (0.0..=100.0).contains(&p[1])));
        assert!(clip_ring(
            &[[200.0, 200.0], [300.0, 200.0], [300.0, 300.0]],
            ClipBox {
                min: 0.0,
                max: 100.0
            }
        )
        .is_empty());
    }
}
