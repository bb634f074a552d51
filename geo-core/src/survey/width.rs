//! The width of a piece: the diameter of its largest inscribed circle (JTS's gap width), in
//! the units of its planar coordinates (Gauss–Krüger metres in the validator).
//!
//! Two methods, picked by the piece's shape:
//!
//! - **polylabel** (the quadtree search of Mapbox's pole of inaccessibility) for compact
//!   pieces. Its cost grows with the number of cells it must split down to the width along
//!   the whole piece, roughly `perimeter² / (2·area)`: fine for a lake-shaped gap, hopeless
//!   for a 1.5 km × 1 cm sliver (a million cells, about a second for a four-vertex polygon).
//! - **erosion** for elongated pieces: the inscribed circle has radius *r* exactly when
//!   the piece eroded by *r* (a negative buffer with round joins) is still non-empty, so
//!   bisection on *r* finds it. Each step is one buffer of the piece, whatever its length.
//!
//! ```
//! use civmap_geo_core::survey::width::inscribed_diameter;
//! use geo::polygon;
//!
//! // a 2 km by 2 cm strip
//! let strip = polygon![(x: 0.0, y: 0.0), (x: 2000.0, y: 0.0), (x: 2000.0, y: 0.02), (x: 0.0, y: 0.02)];
//! let w = inscribed_diameter(&strip);
//! assert!((w - 0.02).abs() < 1e-4, "{w}");
//! ```

use geo::{Area, BoundingRect, Buffer, Distance, Euclidean, Polygon};

/// Above this elongation (`perimeter² / (2·area)`, about the number of polylabel cells
/// along the piece; a square has 8, a disc 2π) erosion is used instead of polylabel.
pub const POLYLABEL_MAX_ELONGATION: f64 = 2_000.0;

/// Largest error of either method, relative to the width (absolute floor 0.2 mm).
pub const RELATIVE_TOLERANCE: f64 = 1e-3;

/// Diameter of the largest circle inside `p` (its coordinate units), `0.0` for an empty or
/// degenerate polygon.
pub fn inscribed_diameter(p: &Polygon<f64>) -> f64 {
    let area = p.unsigned_area();
    let perimeter = perimeter(p);
    if !(area > 0.0 && perimeter > 0.0) {
        return 0.0;
    }
    if perimeter * perimeter / (2.0 * area) <= POLYLABEL_MAX_ELONGATION {
        by_polylabel(p, area)
    } else {
        by_erosion(p, area, perimeter)
    }
}

/// Length of all rings of `p`.
pub fn perimeter(p: &Polygon<f64>) -> f64 {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| {
            r.lines()
                .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
                .sum::<f64>()
        })
        .sum()
}

fn by_polylabel(p: &Polygon<f64>, area: f64) -> f64 {
    let tol = (area.sqrt() * RELATIVE_TOLERANCE).max(1e-3);
    let Ok(centre) = polylabel::polylabel(p, &tol) else {
        return 0.0;
    };
    let d = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| Euclidean.distance(&centre, r))
        .fold(f64::INFINITY, f64::min);
    if d.is_finite() {
        2.0 * d
    } else {
        0.0
    }
}

/// Whether `p` eroded by `r` keeps some area.
fn survives_erosion(p: &Polygon<f64>, r: f64) -> bool {
    p.buffer(-r).unsigned_area() > 0.0
}

fn by_erosion(p: &Polygon<f64>, area: f64, perimeter: f64) -> f64 {
    // the radius is at most the disc's of the same area and half the smaller side of the
    // bounding box; a strip's is area / perimeter, the first probe
    let Some(bbox) = p.bounding_rect() else {
        return 0.0;
    };
    let mut hi = (area / std::f64::consts::PI)
        .sqrt()
        .min(bbox.width().min(bbox.height()) / 2.0);
    let mut lo = 0.0;
    let probe = (area / perimeter).min(hi);
    if survives_erosion(p, probe) {
        lo = probe;
    } else {
        hi = probe;
    }
    let floor = 1e-4;
    while hi - lo > (hi * RELATIVE_TOLERANCE).max(floor) {
        let mid = 0.5 * (lo + hi);
        if survives_erosion(p, mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo + hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Rotate};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.max(1e-3)
    }

    #[test]
    fn a_long_strip_at_any_angle_has_its_width() {
        for w in [0.01, 0.15, 3.0] {
            let strip =
                polygon![(x: 0.0, y: 0.0), (x: 1500.0, y: 0.0), (x: 1500.0, y: w), (x: 0.0, y: w)];
            for deg in [0.0, 17.0, 45.0, 90.0] {
                let s = strip.rotate_around_centroid(deg);
                let got = inscribed_diameter(&s);
                assert!(close(got, w, 0.01), "width {w} at {deg}°: {got}");
            }
        }
    }

    #[test]
    fn a_thin_triangle_has_twice_its_inradius() {
        // inradius = 2·area / perimeter for any triangle
        let t = polygon![(x: 0.0, y: 0.0), (x: 2000.0, y: 0.0), (x: 1000.0, y: 0.5)];
        let want = 4.0 * t.unsigned_area() / perimeter(&t);
        let got = inscribed_diameter(&t);
        assert!(close(got, want, 0.01), "{got} vs {want}");
    }

    #[test]
    fn a_strip_with_a_bulge_has_the_bulge_s_width() {
        // 1 km × 2 cm strip with a 4 m × 4 m square halfway: the square's 4 m wins
        let p = polygon![
            (x: 0.0, y: 0.0), (x: 498.0, y: 0.0), (x: 498.0, y: -4.0), (x: 502.0, y: -4.0),
            (x: 502.0, y: 0.0), (x: 1000.0, y: 0.0), (x: 1000.0, y: 0.02), (x: 0.0, y: 0.02)
        ];
        assert!(perimeter(&p).powi(2) / (2.0 * p.unsigned_area()) > POLYLABEL_MAX_ELONGATION);
        let got = inscribed_diameter(&p);
        assert!(close(got, 4.0, 0.01), "{got}");
    }

    #[test]
    fn both_methods_agree_on_compact_shapes() {
        let shapes = [
            polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 60.0), (x: 0.0, y: 60.0)],
            polygon![(x: 0.0, y: 0.0), (x: 80.0, y: 10.0), (x: 60.0, y: 70.0), (x: 20.0, y: 50.0), (x: 30.0, y: 20.0)],
            polygon![
                exterior: [(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
                interiors: [[(x: 40.0, y: 40.0), (x: 60.0, y: 40.0), (x: 60.0, y: 60.0), (x: 40.0, y: 60.0)]],
            ],
        ];
        for s in shapes {
            let a = s.unsigned_area();
            let (pl, er) = (by_polylabel(&s, a), by_erosion(&s, a, perimeter(&s)));
            assert!(close(er, pl, 0.01), "polylabel {pl}, erosion {er}");
        }
    }

    #[test]
    fn degenerate_polygons_are_zero_wide() {
        let flat = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 20.0, y: 0.0)];
        assert_eq!(inscribed_diameter(&flat), 0.0);
    }
}
