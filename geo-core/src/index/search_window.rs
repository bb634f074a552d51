//! Degree boxes guaranteed to hold every point within a geodesic radius.
//!
//! The R-trees live in degree space, distances live on the ellipsoid. On an ellipsoid of
//! revolution the line element is `ds² = ρ(φ)² dφ² + p(φ)² dλ²`, with `ρ` the meridian
//! radius of curvature and `p = N cos φ` the radius of the parallel. Any path of length `r`
//! from the query point therefore changes latitude by at most `r / min ρ` (the minimum,
//! `a (1 − e²)`, is at the equator), so it stays in a latitude band; inside that band it
//! changes longitude by at most `r / min p`, and `p` is smallest at the band's edge farthest
//! from the equator. A band reaching a pole allows any longitude. The result is
//! conservative (it may hold extra points, never miss one), which is all an R-tree
//! pre-filter needs before the exact geodesic test.

use rstar::AABB;

/// WGS84 semi-major axis, metres (the ellipsoid of `geo::Geodesic` and PostGIS geography).
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// First eccentricity squared.
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// Smallest meridian radius of curvature, at the equator: `a (1 − e²)`.
const MIN_MERIDIAN_RADIUS_M: f64 = WGS84_A * (1.0 - WGS84_E2);

/// Widens a radius so that rounding in the geodesic solver (nanometres) and in this
/// module's trigonometry can never make the box too small.
fn padded(radius_m: f64) -> f64 {
    radius_m * (1.0 + 1e-6) + 1e-3
}

/// Radius of the parallel at latitude `lat_deg`, metres.
fn parallel_radius_m(lat_deg: f64) -> f64 {
    let phi = lat_deg.to_radians();
    let s = phi.sin();
    WGS84_A * phi.cos() / (1.0 - WGS84_E2 * s * s).sqrt()
}

/// At most two degree boxes (split at the antimeridian) that together contain every point
/// whose geodesic distance from `(lon, lat)` is at most `radius_m`. Input must be valid.
pub(crate) fn radius_windows(lon: f64, lat: f64, radius_m: f64) -> Vec<AABB<[f64; 2]>> {
    let r = padded(radius_m);
    let dlat = (r / MIN_MERIDIAN_RADIUS_M).to_degrees();
    let (lat_lo, lat_hi) = (lat - dlat, lat + dlat);
    let south = lat_lo.max(-90.0);
    let north = lat_hi.min(90.0);
    let whole_world_lon = vec![AABB::from_corners([-180.0, south], [180.0, north])];
    if lat_lo <= -90.0 || lat_hi >= 90.0 {
        return whole_world_lon;
    }
    let p_min = parallel_radius_m(lat_lo.abs().max(lat_hi.abs()));
    let dlon = (r / p_min).to_degrees();
    if !dlon.is_finite() || dlon >= 180.0 {
        return whole_world_lon;
    }
    let (west, east) = (lon - dlon, lon + dlon);
    if west < -180.0 {
        vec![
            AABB::from_corners([-180.0, south], [east, north]),
            AABB::from_corners([west + 360.0, south], [180.0, north]),
        ]
    } else if east > 180.0 {
        vec![
            AABB::from_corners([west, south], [180.0, north]),
            AABB::from_corners([-180.0, south], [east - 360.0, north]),
        ]
    } else {
        vec![AABB::from_corners([west, south], [east, north])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Destination, Distance, Geodesic, Point};
    use rstar::Envelope;

    fn covered(windows: &[AABB<[f64; 2]>], p: Point<f64>) -> bool {
        windows.iter().any(|w| w.contains_point(&[p.x(), p.y()]))
    }

    #[test]
    fn windows_hold_every_point_at_the_radius_in_every_direction() {
        for &(lon, lat) in &[
            (120.15, 30.27),
            (0.0, 0.0),
            (179.99, -45.0),
            (-179.99, 60.0),
            (10.0, 89.0),
            (10.0, -88.5),
        ] {
            for &radius_m in &[0.0, 1.0, 1_000.0, 50_000.0, 1_000_000.0] {
                let windows = radius_windows(lon, lat, radius_m);
                for step in 0..360 {
                    let bearing = step as f64;
                    let p = Geodesic.destination(Point::new(lon, lat), bearing, radius_m);
                    let d = Geodesic.distance(Point::new(lon, lat), p);
                    assert!(d <= radius_m * (1.0 + 1e-9) + 1e-6);
                    assert!(
                        covered(&windows, p),
                        "({lon}, {lat}) r={radius_m} bearing={bearing}: {p:?} not in {windows:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn windows_split_at_the_antimeridian() {
        let w = radius_windows(179.999, 0.0, 10_000.0);
        assert_eq!(w.len(), 2);
        assert!(w.iter().any(|b| b.lower()[0] == -180.0));
        assert!(w.iter().any(|b| b.upper()[0] == 180.0));
    }

    #[test]
    fn windows_near_a_pole_span_every_longitude() {
        let w = radius_windows(0.0, 89.99, 5_000.0);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].lower()[0], -180.0);
        assert_eq!(w[0].upper()[1], 90.0);
    }
}
