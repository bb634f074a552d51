//! Area, perimeter and length on the CGCS2000 ellipsoid, with the 3° Gauss–Krüger planar
//! values beside them.
//!
//! The geodesic measures are Karney's (`geographiclib-rs`): exact geodesic edges between
//! the vertices, and the area of the region they bound on the ellipsoid — the algorithm
//! PostGIS's `ST_Area(geography)`, `ST_Perimeter(geography)` and `ST_Length(geography)` use.
//!
//! **CGCS2000 vs WGS84.** Both ellipsoids have a = 6 378 137 m; CGCS2000's inverse
//! flattening is 298.257 222 101, WGS84's 298.257 223 563. The flattenings differ by
//! 1.6e-11, which changes lengths and areas near 30°N by about 5e-9 relative at most
//! (a 4,000 km² district: ~20 m² of 4e9; a 100 km line: ~0.5 mm). PostGIS measures on
//! WGS84, so it agrees with these values far inside a 1e-6 tolerance.
//!
//! The planar values ([`gk_area_m2`], [`gk_perimeter_m`], [`gk_length_m`]) are those of the
//! projected coordinates in the Gauss–Krüger zone you pass (EPSG:4549 for Hangzhou,
//! [`GaussKruger::hangzhou`]), as a GIS shows them in that CRS: they include the
//! projection's scale error (up to ~1e-4 at the city's western edge), which is why the
//! geodesic values are the reference.
//!
//! ```
//! use civmap_geo_core::crs::GaussKruger;
//! use civmap_geo_core::survey::measure::UnitMeasures;
//! use geo::{polygon, MultiPolygon};
//! let cell = MultiPolygon(vec![polygon![
//!     (x: 120.0, y: 30.0), (x: 120.01, y: 30.0), (x: 120.01, y: 30.01), (x: 120.0, y: 30.01),
//! ]]);
//! let m = UnitMeasures::of(&cell, &GaussKruger::hangzhou());
//! assert!((m.area_m2 - 1_070_000.0).abs() < 5_000.0); // ~0.963 km × 1.109 km
//! assert!((m.gk_area_m2 / m.area_m2 - 1.0).abs() < 1e-5); // on the central meridian
//! assert!(m.perimeter_m > 4_000.0 && m.perimeter_m < 4_200.0);
//! ```

use geo::{Coord, LineString, MultiPolygon};
use geographiclib_rs::{Geodesic, InverseGeodesic, PolygonArea, Winding};
use serde::Serialize;

use crate::crs::{GaussKruger, CGCS2000_INVERSE_FLATTENING, CGCS2000_SEMI_MAJOR_AXIS_M};

/// The CGCS2000 ellipsoid as a geodesic solver.
///
/// ```
/// use geographiclib_rs::InverseGeodesic;
/// let g = civmap_geo_core::survey::measure::cgcs2000();
/// let s_m: f64 = g.inverse(30.0, 120.0, 30.0, 121.0);
/// assert!((s_m - 96_486.3).abs() < 1.0);
/// ```
pub fn cgcs2000() -> Geodesic {
    Geodesic::new(
        CGCS2000_SEMI_MAJOR_AXIS_M,
        1.0 / CGCS2000_INVERSE_FLATTENING,
    )
}

/// A ring's vertices without the closing repeat.
fn open_ring(ring: &LineString<f64>) -> &[Coord<f64>] {
    let pts = ring.0.as_slice();
    match (pts.first(), pts.last()) {
        (Some(a), Some(b)) if pts.len() > 1 && a == b => &pts[..pts.len() - 1],
        _ => pts,
    }
}

/// `(|area| m², perimeter m)` of one ring on the ellipsoid.
fn ring_area_perimeter(g: &Geodesic, ring: &LineString<f64>) -> (f64, f64) {
    let pts = open_ring(ring);
    if pts.len() < 3 {
        return (0.0, geodesic_length_of(g, &ring.0));
    }
    let mut pa = PolygonArea::new(g, Winding::CounterClockwise);
    for c in pts {
        pa.add_point(c.y, c.x);
    }
    // signed, so a clockwise ring gives minus its area (unsigned would give the rest of
    // the earth)
    let (perimeter_m, area_m2, _) = pa.compute(true);
    (area_m2.abs(), perimeter_m)
}

fn geodesic_length_of(g: &Geodesic, pts: &[Coord<f64>]) -> f64 {
    pts.windows(2)
        .map(|w| InverseGeodesic::<f64>::inverse(g, w[0].y, w[0].x, w[1].y, w[1].x))
        .sum()
}

/// Area on the CGCS2000 ellipsoid, m²: each polygon's exterior minus its holes, summed
/// (`ST_Area(geography)`). Coordinates are longitude/latitude degrees (CGCS2000 or WGS84).
///
/// ```
/// use civmap_geo_core::survey::measure::geodesic_area_m2;
/// use geo::{polygon, MultiPolygon};
/// let outer = polygon![(x: 120.0, y: 30.0), (x: 121.0, y: 30.0), (x: 121.0, y: 31.0), (x: 120.0, y: 31.0)];
/// let area_m2 = geodesic_area_m2(&MultiPolygon(vec![outer]));
/// assert!(area_m2 > 1.0e10 && area_m2 < 1.1e10); // a 1° cell at 30°N: ~10,700 km²
/// ```
pub fn geodesic_area_m2(mp: &MultiPolygon<f64>) -> f64 {
    let g = cgcs2000();
    mp.0.iter()
        .map(|p| {
            let outer = ring_area_perimeter(&g, p.exterior()).0;
            let holes: f64 = p
                .interiors()
                .iter()
                .map(|r| ring_area_perimeter(&g, r).0)
                .sum();
            outer - holes
        })
        .sum()
}

/// Perimeter on the CGCS2000 ellipsoid, m: every ring, holes included
/// (`ST_Perimeter(geography)`).
///
/// ```
/// use civmap_geo_core::survey::measure::geodesic_perimeter_m;
/// use geo::{polygon, MultiPolygon};
/// let cell = polygon![(x: 120.0, y: 30.0), (x: 121.0, y: 30.0), (x: 121.0, y: 31.0), (x: 120.0, y: 31.0)];
/// let p_m = geodesic_perimeter_m(&MultiPolygon(vec![cell]));
/// assert!((p_m - 412_000.0).abs() < 2_000.0);
/// ```
pub fn geodesic_perimeter_m(mp: &MultiPolygon<f64>) -> f64 {
    let g = cgcs2000();
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| ring_area_perimeter(&g, r).1)
        .sum()
}

/// Length on the CGCS2000 ellipsoid, m: the sum of the geodesic distances between
/// consecutive vertices (`ST_Length(geography)`).
///
/// ```
/// use civmap_geo_core::survey::measure::geodesic_length_m;
/// use geo::line_string;
/// let equator = line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0)];
/// assert!((geodesic_length_m(&equator) - 111_319.491).abs() < 1e-3);
/// ```
pub fn geodesic_length_m(line: &LineString<f64>) -> f64 {
    geodesic_length_of(&cgcs2000(), &line.0)
}

/// Projects a ring's (or line's) coordinates into the zone.
pub(crate) fn project(gk: &GaussKruger, pts: &[Coord<f64>]) -> Vec<Coord<f64>> {
    pts.iter().map(|&c| gk.forward(c)).collect()
}

fn planar_length_m(pts: &[Coord<f64>]) -> f64 {
    pts.windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

/// Shoelace area of an open ring, m² (absolute).
fn planar_ring_area_m2(pts: &[Coord<f64>]) -> f64 {
    let n = pts.len();
    if n < 3 {
        return 0.0;
    }
    // relative to the first vertex, so the 3.3e6 m northings cancel before multiplying
    let o = pts[0];
    let mut twice = 0.0;
    for i in 1..n - 1 {
        let (a, b) = (pts[i] - o, pts[i + 1] - o);
        twice += a.x * b.y - b.x * a.y;
    }
    (twice / 2.0).abs()
}

/// Planar area in the Gauss–Krüger zone, m²: exteriors minus holes.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::measure::{geodesic_area_m2, gk_area_m2};
/// use geo::{polygon, MultiPolygon};
/// let cell = MultiPolygon(vec![polygon![(x: 119.9, y: 30.2), (x: 120.0, y: 30.2), (x: 120.0, y: 30.3)]]);
/// let gk = GaussKruger::hangzhou();
/// assert!((gk_area_m2(&cell, &gk) / geodesic_area_m2(&cell) - 1.0).abs() < 1e-5);
/// ```
pub fn gk_area_m2(mp: &MultiPolygon<f64>, gk: &GaussKruger) -> f64 {
    mp.0.iter()
        .map(|p| {
            let ring = |r: &LineString<f64>| planar_ring_area_m2(&project(gk, open_ring(r)));
            ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>()
        })
        .sum()
}

/// Planar perimeter in the Gauss–Krüger zone, m: every ring, holes included.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::measure::gk_perimeter_m;
/// use geo::{polygon, MultiPolygon};
/// let cell = MultiPolygon(vec![polygon![(x: 120.0, y: 30.0), (x: 120.0, y: 30.01), (x: 120.01, y: 30.0)]]);
/// assert!(gk_perimeter_m(&cell, &GaussKruger::hangzhou()) > 3_000.0);
/// ```
pub fn gk_perimeter_m(mp: &MultiPolygon<f64>, gk: &GaussKruger) -> f64 {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| gk_length_m(r, gk))
        .sum()
}

/// Planar length in the Gauss–Krüger zone, m.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::measure::gk_length_m;
/// use geo::line_string;
/// let meridian = line_string![(x: 120.0, y: 30.0), (x: 120.0, y: 30.1)];
/// assert!((gk_length_m(&meridian, &GaussKruger::hangzhou()) - 11_087.0).abs() < 5.0);
/// ```
pub fn gk_length_m(line: &LineString<f64>, gk: &GaussKruger) -> f64 {
    planar_length_m(&project(gk, &line.0))
}

/// The four measures of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UnitMeasures {
    /// Area on the CGCS2000 ellipsoid, m².
    pub area_m2: f64,
    /// Perimeter on the CGCS2000 ellipsoid, m.
    pub perimeter_m: f64,
    /// Planar area in the Gauss–Krüger zone, m².
    pub gk_area_m2: f64,
    /// Planar perimeter in the Gauss–Krüger zone, m.
    pub gk_perimeter_m: f64,
}

impl UnitMeasures {
    /// Measures a (WGS84/CGCS2000 degree) multipolygon.
    ///
    /// ```
    /// use civmap_geo_core::crs::GaussKruger;
    /// use civmap_geo_core::survey::measure::UnitMeasures;
    /// use geo::MultiPolygon;
    /// let m = UnitMeasures::of(&MultiPolygon(vec![]), &GaussKruger::hangzhou());
    /// assert_eq!(m.area_m2, 0.0);
    /// ```
    pub fn of(mp: &MultiPolygon<f64>, gk: &GaussKruger) -> Self {
        Self {
            area_m2: geodesic_area_m2(mp),
            perimeter_m: geodesic_perimeter_m(mp),
            gk_area_m2: gk_area_m2(mp, gk),
            gk_perimeter_m: gk_perimeter_m(mp, gk),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Polygon};

    fn cell(lon: f64, lat: f64, d: f64) -> Polygon<f64> {
        polygon![(x: lon, y: lat), (x: lon + d, y: lat), (x: lon + d, y: lat + d), (x: lon, y: lat + d)]
    }

    /// A one-degree cell's area from the closed form on the ellipsoid: the area between
    /// the equator and latitude φ over Δλ is Δλ·b²·[sinφ/(2(1−e²sin²φ)) + atanh(e sinφ)/(2e)].
    #[test]
    fn one_degree_cell_matches_the_closed_form() {
        let a = CGCS2000_SEMI_MAJOR_AXIS_M;
        let f = 1.0 / CGCS2000_INVERSE_FLATTENING;
        let b = a * (1.0 - f);
        let e = (f * (2.0 - f)).sqrt();
        let zone = |phi_deg: f64| {
            let s = phi_deg.to_radians().sin();
            b * b * (s / (2.0 * (1.0 - e * e * s * s)) + (e * s).atanh() / (2.0 * e))
        };
        // a cell's east/west edges are meridians (geodesics), but its north/south edges
        // are geodesics, not parallels; in a cell 0.01° wide they bulge by ~1 cm, so the
        // closed form for the parallel-bounded cell is the reference to ~1e-9
        let exact = 0.01f64.to_radians() * (zone(31.0) - zone(30.0));
        let ours = geodesic_area_m2(&MultiPolygon(vec![polygon![
            (x: 120.0, y: 30.0), (x: 120.01, y: 30.0), (x: 120.01, y: 31.0), (x: 120.0, y: 31.0)
        ]]));
        assert!((ours / exact - 1.0).abs() < 1e-8, "{ours} vs {exact}");
        // the 1°×1° cell: its geodesic edges bulge poleward by ~100 m, so it differs
        // from the parallel-bounded zone by ~1e-4 only
        let one = geodesic_area_m2(&MultiPolygon(vec![cell(120.0, 30.0, 1.0)]));
        let zone_cell = 1f64.to_radians() * (zone(31.0) - zone(30.0));
        assert!((one / zone_cell - 1.0).abs() < 1e-3, "{one} vs {zone_cell}");
    }

    #[test]
    fn holes_subtract_and_orientation_does_not_matter() {
        let outer = cell(120.0, 30.0, 0.1);
        let hole = cell(120.02, 30.02, 0.03);
        let with_hole = MultiPolygon(vec![Polygon::new(
            outer.exterior().clone(),
            vec![hole.exterior().clone()],
        )]);
        let a_outer = geodesic_area_m2(&MultiPolygon(vec![outer.clone()]));
        let a_hole = geodesic_area_m2(&MultiPolygon(vec![hole.clone()]));
        let a = geodesic_area_m2(&with_hole);
        assert!((a - (a_outer - a_hole)).abs() < 1e-3);
        assert!(a_hole > 5e6 && a < a_outer);
        let mut reversed = outer.exterior().clone();
        reversed.0.reverse();
        let r = geodesic_area_m2(&MultiPolygon(vec![Polygon::new(reversed, vec![])]));
        assert!((r / a_outer - 1.0).abs() < 1e-12);
        let p = geodesic_perimeter_m(&with_hole);
        let p_sum = geodesic_perimeter_m(&MultiPolygon(vec![outer]))
            + geodesic_perimeter_m(&MultiPolygon(vec![hole]));
        assert!((p - p_sum).abs() < 1e-6);
        let gk = GaussKruger::hangzhou();
        let m = UnitMeasures::of(&with_hole, &gk);
        assert!((m.gk_area_m2 / m.area_m2 - 1.0).abs() < 2e-5);
        assert!((m.gk_perimeter_m / m.perimeter_m - 1.0).abs() < 2e-5);
    }

    #[test]
    fn length_of_a_meridian_arc_and_planar_scale() {
        // meridian arc 30°–31°N on CGCS2000: 110,860.4 m (GRS80 tables: 110,860.41)
        let l = LineString::from(vec![(120.0, 30.0), (120.0, 30.5), (120.0, 31.0)]);
        assert!(
            (geodesic_length_m(&l) - 110_860.4).abs() < 1.0,
            "{}",
            geodesic_length_m(&l)
        );
        // on the central meridian the GK scale is exactly 1
        assert!(
            (gk_length_m(&l, &GaussKruger::hangzhou()) / geodesic_length_m(&l) - 1.0).abs() < 1e-9
        );
        // 1.5° off it the scale is 1 + (Δλ cos φ)²/2 ≈ 1.00026
        let west = LineString::from(vec![(118.5, 30.0), (118.5, 30.1)]);
        let ratio = gk_length_m(&west, &GaussKruger::hangzhou()) / geodesic_length_m(&west);
        assert!((ratio - 1.000_258).abs() < 2e-5, "{ratio}");
    }
}
