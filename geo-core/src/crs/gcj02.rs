//! GCJ-02, the "Mars" offset that Chinese law requires of published maps.
//!
//! Amap (Gaode), Tencent and the Chinese Google/Apple basemaps publish coordinates shifted
//! from WGS84 by a deliberately non-linear function of position (a few hundred metres).
//! Points digitised on those maps must be shifted back before they can meet GPS tracks,
//! OpenStreetMap or official CGCS2000 data. The forward function below is the widely
//! circulated reconstruction (identical in `wandergis/coordtransform`,
//! `googollee/eviltransform` and others); there is no closed-form inverse, so
//! [`gcj02_to_wgs84`] inverts it by fixed-point iteration instead of the common one-step
//! approximation, which is only good to a metre or two.

use geo::Coord;

/// Semi-major axis (metres) of the Krasovsky 1940 ellipsoid that GCJ-02 is built on.
const KRASOVSKY_A_M: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
const KRASOVSKY_E2: f64 = 0.006_693_421_622_965_943;

/// Stop iterating an inverse once a step is below this many degrees (≈ 0.01 mm).
pub(crate) const INVERSE_TOLERANCE_DEG: f64 = 1e-10;
/// Enough for any input: the iterations contract by a factor of ~1e-5 per step.
pub(crate) const INVERSE_MAX_ITERATIONS: usize = 30;

/// Whether `(lon, lat)` (degrees) lies inside the rough rectangle around China within
/// which GCJ-02 applies; outside it the offset is zero.
///
/// This is the usual bounding box of public implementations (longitude 73.66–135.05°E,
/// latitude 3.86–53.55°N, as in `wandergis/coordtransform`), not China's border: parts of
/// neighbouring countries get the offset too, as they do on the maps that use it.
pub fn is_in_gcj02_area(lon_lat_deg: Coord<f64>) -> bool {
    let Coord { x: lon, y: lat } = lon_lat_deg;
    lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55
}

/// WGS84 longitude/latitude (degrees, `x` = longitude) → GCJ-02 longitude/latitude.
///
/// Outside [`is_in_gcj02_area`] the point is returned unchanged.
///
/// ```
/// use civmap_geo_core::crs::wgs84_to_gcj02;
/// use geo::coord;
/// let gcj = wgs84_to_gcj02(coord! { x: 120.155, y: 30.274 });
/// // Hangzhou: the offset is about 0.0047° east and 0.0024° south (≈ 450 m, 270 m).
/// assert!((gcj.x - 120.155 - 0.0047).abs() < 2e-4 && (gcj.y - 30.274 + 0.0024).abs() < 2e-4);
/// ```
pub fn wgs84_to_gcj02(wgs84_deg: Coord<f64>) -> Coord<f64> {
    if !is_in_gcj02_area(wgs84_deg) {
        return wgs84_deg;
    }
    wgs84_deg + gcj02_offset_deg(wgs84_deg)
}

/// GCJ-02 longitude/latitude (degrees) → WGS84, inverted by iteration to better than
/// 1e-9° (0.1 mm).
///
/// Outside [`is_in_gcj02_area`] the point is returned unchanged.
pub fn gcj02_to_wgs84(gcj02_deg: Coord<f64>) -> Coord<f64> {
    if !is_in_gcj02_area(gcj02_deg) {
        return gcj02_deg;
    }
    invert_by_iteration(gcj02_deg, wgs84_to_gcj02)
}

/// Solves `forward(w) = target` for `w`, for a forward map that is the identity plus a
/// small, slowly varying offset (GCJ-02 and BD-09 both are): `w ← w − (forward(w) − target)`.
///
/// Each step shrinks the error by the offset's derivative (about 1e-5), so two or three
/// steps reach the tolerance; the cap only guards against non-finite input.
pub(crate) fn invert_by_iteration(
    target: Coord<f64>,
    forward: impl Fn(Coord<f64>) -> Coord<f64>,
) -> Coord<f64> {
    let mut guess = target - (forward(target) - target);
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let residual = forward(guess) - target;
        guess = guess - residual;
        if residual.x.abs().max(residual.y.abs()) < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    guess
}

/// The GCJ-02 offset (degrees of longitude and latitude) at a WGS84 point in China.
fn gcj02_offset_deg(wgs84_deg: Coord<f64>) -> Coord<f64> {
    use std::f64::consts::PI;
    let Coord { x: lon, y: lat } = wgs84_deg;
    let d_lat_m = offset_lat(lon - 105.0, lat - 35.0);
    let d_lon_m = offset_lon(lon - 105.0, lat - 35.0);
    let lat_rad = lat.to_radians();
    let sin_lat = lat_rad.sin();
    let w2 = 1.0 - KRASOVSKY_E2 * sin_lat * sin_lat;
    let w = w2.sqrt();
    // Metres to degrees on the Krasovsky ellipsoid: meridian and prime-vertical radii.
    let meridian_radius_m = KRASOVSKY_A_M * (1.0 - KRASOVSKY_E2) / (w2 * w);
    let parallel_radius_m = KRASOVSKY_A_M / w * lat_rad.cos();
    Coord {
        x: d_lon_m * 180.0 / (parallel_radius_m * PI),
        y: d_lat_m * 180.0 / (meridian_radius_m * PI),
    }
}

/// The latitude part of the offset, in (pseudo-)metres, at `x`, `y` degrees from (105°E, 35°N).
fn offset_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

/// The longitude part of the offset, in (pseudo-)metres, at `x`, `y` degrees from (105°E, 35°N).
fn offset_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::tests::hangzhou_grid;
    use approx::assert_abs_diff_eq;
    use geo::coord;

    #[test]
    fn forward_matches_coordtransform_beijing_vector() {
        // wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915)
        // → [116.41024449916938, 39.91640428150164] (also hutool's CoordinateUtilTest).
        let gcj = wgs84_to_gcj02(coord! { x: 116.404, y: 39.915 });
        assert_abs_diff_eq!(gcj.x, 116.410_244_499_169_38, epsilon = 1e-12);
        assert_abs_diff_eq!(gcj.y, 39.916_404_281_501_64, epsilon = 1e-12);
    }

    #[test]
    fn inverse_is_close_to_coordtransform_one_step_but_exact() {
        // wandergis/coordtransform, test/app.js: gcj02towgs84(116.404, 39.915)
        // → [116.39775550083061, 39.91359571849836] by its one-step approximation; the
        // iterated inverse differs from it by well under a metre and round-trips exactly.
        let gcj = coord! { x: 116.404, y: 39.915 };
        let wgs = gcj02_to_wgs84(gcj);
        assert_abs_diff_eq!(wgs.x, 116.397_755_500_830_61, epsilon = 1e-5);
        assert_abs_diff_eq!(wgs.y, 39.913_595_718_498_36, epsilon = 1e-5);
        let back = wgs84_to_gcj02(wgs);
        assert_abs_diff_eq!(back.x, gcj.x, epsilon = 1e-9);
        assert_abs_diff_eq!(back.y, gcj.y, epsilon = 1e-9);
    }

    #[test]
    fn inverse_matches_gcoord_vector() {
        // hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: GCJ02 → WGS84 of [123, 45]
        // is [122.99395597, 44.99804071] (to 5 decimals there).
        let wgs = gcj02_to_wgs84(coord! { x: 123.0, y: 45.0 });
        assert_abs_diff_eq!(wgs.x, 122.993_955_97, epsilon = 1e-5);
        assert_abs_diff_eq!(wgs.y, 44.998_040_71, epsilon = 1e-5);
    }

    #[test]
    fn round_trip_over_hangzhou_is_below_1e_8_degrees() {
        for wgs in hangzhou_grid() {
            let back = gcj02_to_wgs84(wgs84_to_gcj02(wgs));
            assert_abs_diff_eq!(back.x, wgs.x, epsilon = 1e-8);
            assert_abs_diff_eq!(back.y, wgs.y, epsilon = 1e-8);
            let gcj = wgs;
            let there = wgs84_to_gcj02(gcj02_to_wgs84(gcj));
            assert_abs_diff_eq!(there.x, gcj.x, epsilon = 1e-9);
            assert_abs_diff_eq!(there.y, gcj.y, epsilon = 1e-9);
        }
    }

    #[test]
    fn offset_is_zero_outside_china() {
        for p in [
            coord! { x: 24.94, y: 60.17 },  // Helsinki
            coord! { x: -0.1276, y: 51.5 }, // London
            coord! { x: 139.69, y: 35.69 }, // Tokyo: east of the box
            coord! { x: 103.82, y: 1.35 },  // Singapore: south of the box
            coord! { x: 183.0, y: 45.0 },   // gcoord's "not in China" case
        ] {
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
        }
    }

    #[test]
    fn offset_in_hangzhou_is_a_few_hundred_metres() {
        for wgs in hangzhou_grid() {
            let d = wgs84_to_gcj02(wgs) - wgs;
            let d_m = (d.x * 111_320.0 * wgs.y.to_radians().cos()).hypot(d.y * 110_574.0);
            assert!((300.0..800.0).contains(&d_m), "{wgs:?}: offset {d_m} m");
        }
    }
}
