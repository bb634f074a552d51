//! BD-09, Baidu Maps' second offset applied on top of GCJ-02.
//!
//! Baidu publishes (and its APIs return by default) GCJ-02 coordinates shifted once more
//! by a small rotation and scaling about the origin (≈ 0.0065°, 0.006°; several hundred
//! metres in Hangzhou). Like GCJ-02 it has no exact published inverse: the
//! common `bd09togcj02` is a one-step approximation (good to ~1e-6°), so
//! [`bd09_to_gcj02`] refines it by iteration.
//!
//! Unlike GCJ-02 the BD-09 formula is applied everywhere, as the public implementations
//! do; outside China only its GCJ-02 part vanishes.

use super::gcj02::{gcj02_to_wgs84, invert_by_iteration, wgs84_to_gcj02};
use geo::Coord;

/// `π · 3000 / 180`, the angular frequency of BD-09's small wobble terms.
const BD09_X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;
/// BD-09's constant shift in longitude (degrees).
const BD09_LON_SHIFT_DEG: f64 = 0.0065;
/// BD-09's constant shift in latitude (degrees).
const BD09_LAT_SHIFT_DEG: f64 = 0.006;

/// GCJ-02 longitude/latitude (degrees, `x` = longitude) → BD-09.
pub fn gcj02_to_bd09(gcj02_deg: Coord<f64>) -> Coord<f64> {
    let Coord { x, y } = gcj02_deg;
    let z = x.hypot(y) + 0.00002 * (y * BD09_X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * BD09_X_PI).cos();
    Coord {
        x: z * theta.cos() + BD09_LON_SHIFT_DEG,
        y: z * theta.sin() + BD09_LAT_SHIFT_DEG,
    }
}

/// BD-09 longitude/latitude (degrees) → GCJ-02, the one-step approximation refined by
/// iteration to better than 1e-9°.
pub fn bd09_to_gcj02(bd09_deg: Coord<f64>) -> Coord<f64> {
    invert_by_iteration(bd09_deg, gcj02_to_bd09)
}

/// WGS84 longitude/latitude (degrees) → BD-09 (through GCJ-02).
pub fn wgs84_to_bd09(wgs84_deg: Coord<f64>) -> Coord<f64> {
    gcj02_to_bd09(wgs84_to_gcj02(wgs84_deg))
}

/// BD-09 longitude/latitude (degrees) → WGS84 (through GCJ-02), each step iterated to
/// better than 1e-9°.
pub fn bd09_to_wgs84(bd09_deg: Coord<f64>) -> Coord<f64> {
    gcj02_to_wgs84(bd09_to_gcj02(bd09_deg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::tests::hangzhou_grid;
    use approx::assert_abs_diff_eq;
    use geo::coord;

    #[test]
    fn forward_matches_coordtransform_beijing_vector() {
        // wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915)
        // → [116.41036949371029, 39.92133699351021].
        let bd = gcj02_to_bd09(coord! { x: 116.404, y: 39.915 });
        assert_abs_diff_eq!(bd.x, 116.410_369_493_710_29, epsilon = 1e-12);
        assert_abs_diff_eq!(bd.y, 39.921_336_993_510_21, epsilon = 1e-12);
    }

    #[test]
    fn forward_matches_gcoord_vector() {
        // hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ02 → BD09 of [123, 45]
        // is [123.00636499, 45.00636899] (to 5 decimals there).
        let bd = gcj02_to_bd09(coord! { x: 123.0, y: 45.0 });
        assert_abs_diff_eq!(bd.x, 123.006_364_99, epsilon = 1e-5);
        assert_abs_diff_eq!(bd.y, 45.006_368_99, epsilon = 1e-5);
    }

    #[test]
    fn inverse_refines_coordtransform_one_step() {
        // wandergis/coordtransform, test/app.js: bd09togcj02(116.404, 39.915)
        // → [116.39762729119315, 39.90865673957631] by its one-step approximation.
        let bd = coord! { x: 116.404, y: 39.915 };
        let gcj = bd09_to_gcj02(bd);
        assert_abs_diff_eq!(gcj.x, 116.397_627_291_193_15, epsilon = 1e-5);
        assert_abs_diff_eq!(gcj.y, 39.908_656_739_576_31, epsilon = 1e-5);
        let back = gcj02_to_bd09(gcj);
        assert_abs_diff_eq!(back.x, bd.x, epsilon = 1e-9);
        assert_abs_diff_eq!(back.y, bd.y, epsilon = 1e-9);
    }

    #[test]
    fn round_trips_over_hangzhou_are_below_1e_8_degrees() {
        for p in hangzhou_grid() {
            let gcj = bd09_to_gcj02(gcj02_to_bd09(p));
            assert_abs_diff_eq!(gcj.x, p.x, epsilon = 1e-8);
            assert_abs_diff_eq!(gcj.y, p.y, epsilon = 1e-8);
            let wgs = bd09_to_wgs84(wgs84_to_bd09(p));
            assert_abs_diff_eq!(wgs.x, p.x, epsilon = 1e-8);
            assert_abs_diff_eq!(wgs.y, p.y, epsilon = 1e-8);
        }
    }

    #[test]
    fn wgs84_to_bd09_outside_china_is_only_the_baidu_shift() {
        let london = coord! { x: -0.1276, y: 51.5 };
        assert_eq!(wgs84_to_bd09(london), gcj02_to_bd09(london));
        let back = bd09_to_wgs84(wgs84_to_bd09(london));
        assert_abs_diff_eq!(back.x, london.x, epsilon = 1e-8);
        assert_abs_diff_eq!(back.y, london.y, epsilon = 1e-8);
    }
}
