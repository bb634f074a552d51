//! Gauss–Krüger (transverse Mercator) on the CGCS2000 ellipsoid, for metric work.
//!
//! Chinese surveying and planning data come in 3-degree Gauss–Krüger zones of CGCS2000;
//! distances, areas and buffers in Hangzhou are done in the zone with central meridian
//! 120°E (EPSG:4549), where the scale error stays below 1e-4 across the city.
//!
//! The series are Krüger's in the third flattening `n`, to order n⁶ as given by
//! C. F. F. Karney, "Transverse Mercator with an accuracy of a few nanometers",
//! J. Geodesy 85 (2011), eqs. (35) and (36) — the method PROJ's `tmerc` uses. Conformal
//! latitude is computed exactly (and inverted by Newton's method), not by series. Within a
//! few degrees of the central meridian the error is far below a millimetre.

use super::CrsError;
use geo::Coord;

/// Semi-major axis of the CGCS2000 ellipsoid (metres).
pub const CGCS2000_SEMI_MAJOR_AXIS_M: f64 = 6_378_137.0;
/// Inverse flattening of the CGCS2000 ellipsoid.
pub const CGCS2000_INVERSE_FLATTENING: f64 = 298.257_222_101;

/// A Gauss–Krüger (transverse Mercator) projection on the CGCS2000 ellipsoid, false
/// northing 0.
///
/// [`forward`](Self::forward) takes longitude/latitude in degrees (`x` = longitude) and
/// gives easting/northing in metres (`x` = easting); [`inverse`](Self::inverse) undoes it.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use geo::coord;
/// let gk = GaussKruger::hangzhou(); // EPSG:4549
/// let en_m = gk.forward(coord! { x: 120.5, y: 30.2 });
/// assert!((en_m.x - 548_146.414).abs() < 1e-3 && (en_m.y - 3_342_389.899).abs() < 1e-3);
/// let lon_lat = gk.inverse(en_m);
/// assert!((lon_lat.x - 120.5).abs() < 1e-10 && (lon_lat.y - 30.2).abs() < 1e-10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussKruger {
    /// Longitude of the central meridian, degrees east.
    pub central_meridian_deg: f64,
    /// Added to every easting, metres (500 000, or with the zone number in front:
    /// 40 500 000 for 3-degree zone 40).
    pub false_easting_m: f64,
    /// Scale factor on the central meridian (1 for Chinese Gauss–Krüger zones).
    pub scale: f64,
}

impl GaussKruger {
    /// The projection of EPSG:4549, "CGCS2000 / 3-degree Gauss-Kruger CM 120E", which
    /// covers Hangzhou: central meridian 120°E, false easting 500 000 m, scale 1.
    pub fn hangzhou() -> Self {
        Self {
            central_meridian_deg: 120.0,
            false_easting_m: 500_000.0,
            scale: 1.0,
        }
    }

    /// A CGCS2000 3-degree Gauss–Krüger zone, named as EPSG names them:
    ///
    /// - a zone number 25–45 (EPSG:4513–4533, "3-degree Gauss-Kruger zone N") gives
    ///   central meridian 3·N degrees and the zone-prefixed false easting N·1 000 000 + 500 000 m;
    /// - a central meridian 75–135 divisible by 3 (EPSG:4534–4554, "3-degree Gauss-Kruger
    ///   CM n E") gives false easting 500 000 m.
    ///
    /// So `cgcs2000_3deg(40)` is EPSG:4528 and `cgcs2000_3deg(120)` is EPSG:4549, the same
    /// zone with and without the prefix.
    pub fn cgcs2000_3deg(zone_or_cm: u32) -> Result<Self, CrsError> {
        let (central_meridian_deg, false_easting_m) = match zone_or_cm {
            25..=45 => (
                f64::from(3 * zone_or_cm),
                f64::from(zone_or_cm) * 1_000_000.0 + 500_000.0,
            ),
            75..=135 if zone_or_cm.is_multiple_of(3) => (f64::from(zone_or_cm), 500_000.0),
            _ => return Err(CrsError::UnknownGaussKrugerZone { zone_or_cm }),
        };
        Ok(Self {
            central_meridian_deg,
            false_easting_m,
            scale: 1.0,
        })
    }

    /// The CGCS2000 3-degree zone of an EPSG code: 4513–4533 (zones 25–45, zone-prefixed
    /// eastings) or 4534–4554 (central meridians 75°E–135°E); `None` for any other code.
    ///
    /// ```
    /// use civmap_geo_core::crs::GaussKruger;
    /// assert_eq!(GaussKruger::from_epsg(4549), Some(GaussKruger::hangzhou()));
    /// assert_eq!(GaussKruger::from_epsg(4528).unwrap().false_easting_m, 40_500_000.0);
    /// assert_eq!(GaussKruger::from_epsg(4326), None);
    /// ```
    pub fn from_epsg(code: u32) -> Option<Self> {
        match code {
            4513..=4533 => Self::cgcs2000_3deg(code - 4513 + 25).ok(),
            4534..=4554 => Self::cgcs2000_3deg(75 + 3 * (code - 4534)).ok(),
            _ => None,
        }
    }

    /// The EPSG code of this projection when it is a CGCS2000 3-degree zone (the inverse of
    /// [`from_epsg`](Self::from_epsg)).
    pub fn epsg(&self) -> Option<u32> {
        (4513..=4554).find(|&c| Self::from_epsg(c).as_ref() == Some(self))
    }

    /// Longitude/latitude in degrees (`x` = longitude) → easting/northing in metres
    /// (`x` = easting).
    pub fn forward(&self, lon_lat_deg: Coord<f64>) -> Coord<f64> {
        let e = Ellipsoid::cgcs2000();
        let lambda = (lon_lat_deg.x - self.central_meridian_deg).to_radians();
        let tau = lon_lat_deg.y.to_radians().tan();
        let tau_prime = e.conformal_tau(tau);
        let xi_prime = tau_prime.atan2(lambda.cos());
        let eta_prime = (lambda.sin() / tau_prime.hypot(lambda.cos())).asinh();
        let (mut xi, mut eta) = (xi_prime, eta_prime);
        for (j, alpha) in (1..).zip(e.alpha) {
            let k = f64::from(2 * j);
            xi += alpha * (k * xi_prime).sin() * (k * eta_prime).cosh();
            eta += alpha * (k * xi_prime).cos() * (k * eta_prime).sinh();
        }
        let k0_a = self.scale * e.rectifying_radius_m;
        Coord {
            x: k0_a * eta + self.false_easting_m,
            y: k0_a * xi,
        }
    }

    /// Easting/northing in metres (`x` = easting) → longitude/latitude in degrees
    /// (`x` = longitude).
    pub fn inverse(&self, easting_northing_m: Coord<f64>) -> Coord<f64> {
        let e = Ellipsoid::cgcs2000();
        let k0_a = self.scale * e.rectifying_radius_m;
        let xi = easting_northing_m.y / k0_a;
        let eta = (easting_northing_m.x - self.false_easting_m) / k0_a;
        let (mut xi_prime, mut eta_prime) = (xi, eta);
        for (j, beta) in (1..).zip(e.beta) {
            let k = f64::from(2 * j);
            xi_prime -= beta * (k * xi).sin() * (k * eta).cosh();
            eta_prime -= beta * (k * xi).cos() * (k * eta).sinh();
        }
        let tau_prime = xi_prime.sin() / eta_prime.sinh().hypot(xi_prime.cos());
        let lambda = eta_prime.sinh().atan2(xi_prime.cos());
        let tau = e.tau_from_conformal(tau_prime);
        Coord {
            x: self.central_meridian_deg + lambda.to_degrees(),
            y: tau.atan().to_degrees(),
        }
    }
}

/// The constants of an ellipsoid that the projection needs.
struct Ellipsoid {
    /// First eccentricity.
    e: f64,
    /// `1 - e²`.
    one_minus_e2: f64,
    /// `A`, the radius of the rectifying sphere (metres): a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256).
    rectifying_radius_m: f64,
    /// Krüger's α₁…α₆ (Karney 2011, eq. 35), for the forward series.
    alpha: [f64; 6],
    /// Krüger's β₁…β₆ (Karney 2011, eq. 36), for the inverse series.
    beta: [f64; 6],
}

impl Ellipsoid {
    fn cgcs2000() -> Self {
        let a = CGCS2000_SEMI_MAJOR_AXIS_M;
        let f = 1.0 / CGCS2000_INVERSE_FLATTENING;
        let e2 = f * (2.0 - f);
        let n = f / (2.0 - f);
        let (n2, n3) = (n * n, n * n * n);
        let (n4, n5, n6) = (n3 * n, n3 * n2, n3 * n3);
        Self {
            e: e2.sqrt(),
            one_minus_e2: 1.0 - e2,
            rectifying_radius_m: a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0),
            alpha: [
                n / 2.0 - 2.0 / 3.0 * n2 + 5.0 / 16.0 * n3 + 41.0 / 180.0 * n4 - 127.0 / 288.0 * n5
                    + 7891.0 / 37800.0 * n6,
                13.0 / 48.0 * n2 - 3.0 / 5.0 * n3 + 557.0 / 1440.0 * n4 + 281.0 / 630.0 * n5
                    - 1_983_433.0 / 1_935_360.0 * n6,
                61.0 / 240.0 * n3 - 103.0 / 140.0 * n4
                    + 15061.0 / 26880.0 * n5
                    + 167_603.0 / 181_440.0 * n6,
                49561.0 / 161_280.0 * n4 - 179.0 / 168.0 * n5 + 6_601_661.0 / 7_257_600.0 * n6,
                34729.0 / 80640.0 * n5 - 3_418_889.0 / 1_995_840.0 * n6,
                212_378_941.0 / 319_334_400.0 * n6,
            ],
            beta: [
                n / 2.0 - 2.0 / 3.0 * n2 + 37.0 / 96.0 * n3 - 1.0 / 360.0 * n4 - 81.0 / 512.0 * n5
                    + 96199.0 / 604_800.0 * n6,
                n2 / 48.0 + n3 / 15.0 - 437.0 / 1440.0 * n4 + 46.0 / 105.0 * n5
                    - 1_118_711.0 / 3_870_720.0 * n6,
                17.0 / 480.0 * n3 - 37.0 / 840.0 * n4 - 209.0 / 4480.0 * n5 + 5569.0 / 90720.0 * n6,
                4397.0 / 161_280.0 * n4 - 11.0 / 504.0 * n5 - 830_251.0 / 7_257_600.0 * n6,
                4583.0 / 161_280.0 * n5 - 108_847.0 / 3_991_680.0 * n6,
                20_648_693.0 / 638_668_800.0 * n6,
            ],
        }
    }

    /// `tan χ` of the conformal latitude χ, from `tan φ` (Karney 2011, eqs. 7–9).
    fn conformal_tau(&self, tau: f64) -> f64 {
        let sigma = (self.e * (self.e * tau / tau.hypot(1.0)).atanh()).sinh();
        tau * sigma.hypot(1.0) - sigma * tau.hypot(1.0)
    }

    /// `tan φ` from `tan χ`, by Newton's method (Karney 2011, eqs. 19–21); two or three
    /// steps reach machine precision.
    fn tau_from_conformal(&self, tau_prime: f64) -> f64 {
        let mut tau = tau_prime / self.one_minus_e2;
        for _ in 0..10 {
            let tau_prime_of_tau = self.conformal_tau(tau);
            let d_tau = (tau_prime - tau_prime_of_tau) * (1.0 + self.one_minus_e2 * tau * tau)
                / (self.one_minus_e2 * tau.hypot(1.0) * tau_prime_of_tau.hypot(1.0));
            tau += d_tau;
            if d_tau.abs() < 1e-15 * tau.abs().max(1.0) {
                break;
            }
        }
        tau
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::tests::hangzhou_grid;
    use approx::assert_abs_diff_eq;
    use geo::coord;

    /// Expected values from PROJ 9.1.1, which takes EPSG:4490 input as lat/lon and gives
    /// EPSG:4549 output as northing/easting:
    /// `echo '30.2 120.5' | cs2cs -f '%.6f' EPSG:4490 EPSG:4549` → `3342389.899160 548146.413542`.
    const PROJ_EPSG_4549: [((f64, f64), (f64, f64)); 5] = [
        ((120.5, 30.2), (548_146.413_542, 3_342_389.899_160)),
        ((120.0, 30.0), (500_000.0, 3_320_113.397_845)),
        ((118.3, 29.1), (334_500.650_848, 3_221_547.272_954)),
        ((120.8, 30.6), (576_721.672_645, 3_386_900.572_204)),
        // Beijing, 3.6° from the central meridian.
        ((116.4, 39.9), (192_097.899_267, 4_424_634.905_360)),
    ];

    #[test]
    fn forward_matches_proj_for_epsg_4549_to_1_mm() {
        let gk = GaussKruger::hangzhou();
        for ((lon, lat), (easting_m, northing_m)) in PROJ_EPSG_4549 {
            let en = gk.forward(coord! { x: lon, y: lat });
            assert_abs_diff_eq!(en.x, easting_m, epsilon = 1e-3);
            assert_abs_diff_eq!(en.y, northing_m, epsilon = 1e-3);
        }
    }

    #[test]
    fn zone_40_has_the_zone_prefixed_false_easting_of_epsg_4528() {
        // `echo '30.2 120.5' | cs2cs -f '%.6f' EPSG:4490 EPSG:4528`
        // → `3342389.899160 40548146.413542`.
        let zone_40 = GaussKruger::cgcs2000_3deg(40).unwrap();
        assert_eq!(zone_40.central_meridian_deg, 120.0);
        let en = zone_40.forward(coord! { x: 120.5, y: 30.2 });
        assert_abs_diff_eq!(en.x, 40_548_146.413_542, epsilon = 1e-3);
        assert_abs_diff_eq!(en.y, 3_342_389.899_160, epsilon = 1e-3);
        assert_eq!(
            GaussKruger::cgcs2000_3deg(120).unwrap(),
            GaussKruger::hangzhou()
        );
    }

    #[test]
    fn unknown_zones_are_rejected() {
        for bad in [0, 24, 46, 74, 76, 121, 136] {
            assert!(GaussKruger::cgcs2000_3deg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trip_over_hangzhou_is_below_1_mm() {
        let gk = GaussKruger::hangzhou();
        for lon_lat in hangzhou_grid() {
            let en = gk.forward(lon_lat);
            let back = gk.forward(gk.inverse(en));
            assert_abs_diff_eq!(back.x, en.x, epsilon = 1e-3);
            assert_abs_diff_eq!(back.y, en.y, epsilon = 1e-3);
            let lon_lat_back = gk.inverse(en);
            // 1e-9° is 0.1 mm.
            assert_abs_diff_eq!(lon_lat_back.x, lon_lat.x, epsilon = 1e-9);
            assert_abs_diff_eq!(lon_lat_back.y, lon_lat.y, epsilon = 1e-9);
        }
    }

    #[test]
    fn central_meridian_maps_to_false_easting_and_equator_to_zero_northing() {
        let gk = GaussKruger::hangzhou();
        assert_abs_diff_eq!(
            gk.forward(coord! { x: 120.0, y: 30.0 }).x,
            500_000.0,
            epsilon = 1e-9
        );
        assert_abs_diff_eq!(
            gk.forward(coord! { x: 121.0, y: 0.0 }).y,
            0.0,
            epsilon = 1e-9
        );
    }
}
