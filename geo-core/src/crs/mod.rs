//! Coordinate reference systems: getting every input onto WGS84, and into metres.
//!
//! Why this exists: Chinese web maps do not publish WGS84. Amap/Gaode, Tencent and the
//! Chinese Google basemap publish GCJ-02 (the state-mandated "Mars" offset, a few hundred
//! metres), and Baidu adds its own BD-09 offset on top; points digitised from them, or
//! returned by their geocoding APIs, are off by up to a kilometre until shifted back.
//! Official data come in CGCS2000, and metric work (walking distances, buffers, areas)
//! is done in a Gauss–Krüger projection of CGCS2000 rather than in degrees.
//!
//! Everything in civmap is stored as WGS84 longitude/latitude (degrees, `x` = longitude);
//! [`BuiltinCrs`] converts the geographic systems to and from it, and [`GaussKruger`]
//! projects to metres. Any other EPSG system goes through PROJ in `civmap-data`.
//!
//! ```
//! use civmap_geo_core::crs::{BuiltinCrs, GaussKruger};
//! use geo::coord;
//! let amap_point = coord! { x: 120.16, y: 30.27 }; // digitised on Amap, so GCJ-02
//! let wgs84 = BuiltinCrs::Gcj02.to_wgs84(amap_point);
//! let easting_northing_m = GaussKruger::hangzhou().forward(wgs84);
//! assert!((easting_northing_m.x - 515_000.0).abs() < 1_000.0);
//! ```

mod bd09;
mod gauss_kruger;
mod gcj02;

pub use bd09::{bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, wgs84_to_bd09};
pub use gauss_kruger::{GaussKruger, CGCS2000_INVERSE_FLATTENING, CGCS2000_SEMI_MAJOR_AXIS_M};
pub use gcj02::{gcj02_to_wgs84, is_in_gcj02_area, wgs84_to_gcj02};

use geo::Coord;

/// Errors from the CRS maths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrsError {
    /// Not a CGCS2000 3-degree Gauss–Krüger zone (25–45) or central meridian (75–135,
    /// divisible by 3).
    #[error("{zone_or_cm} is neither a CGCS2000 3-degree zone (25-45) nor a central meridian (75-135, divisible by 3)")]
    UnknownGaussKrugerZone {
        /// The number given.
        zone_or_cm: u32,
    },
}

/// The geographic coordinate systems civmap converts without PROJ.
///
/// All take and give longitude/latitude in degrees, `x` = longitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BuiltinCrs {
    /// WGS84 (EPSG:4326): GPS, OpenStreetMap, and civmap's own storage.
    Wgs84,
    /// CGCS2000 (EPSG:4490), China's official datum. Treated as identical to WGS84: the
    /// two differ by a few centimetres (ITRF epochs), far below what civmap resolves.
    Cgcs2000,
    /// GCJ-02, the offset of Amap/Gaode, Tencent and Chinese Google maps.
    Gcj02,
    /// BD-09, Baidu's offset on top of GCJ-02.
    Bd09,
}

impl BuiltinCrs {
    /// A coordinate in this system → WGS84.
    pub fn to_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            Self::Wgs84 | Self::Cgcs2000 => c,
            Self::Gcj02 => gcj02_to_wgs84(c),
            Self::Bd09 => bd09_to_wgs84(c),
        }
    }

    /// A WGS84 coordinate → this system.
    pub fn from_wgs84(self, wgs84: Coord<f64>) -> Coord<f64> {
        match self {
            Self::Wgs84 | Self::Cgcs2000 => wgs84,
            Self::Gcj02 => wgs84_to_gcj02(wgs84),
            Self::Bd09 => wgs84_to_bd09(wgs84),
        }
    }

    /// Whether [`to_wgs84`](Self::to_wgs84) leaves coordinates unchanged.
    pub fn is_wgs84_equivalent(self) -> bool {
        matches!(self, Self::Wgs84 | Self::Cgcs2000)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use geo::coord;

    /// A 26 × 16 grid over Hangzhou (lon 118.3–120.8, lat 29.1–30.6) with each point
    /// jittered by a seeded splitmix64, so the points do not sit on round numbers.
    pub(crate) fn hangzhou_grid() -> Vec<Coord<f64>> {
        let mut state: u64 = 0x00C1_7A11_2024;
        let mut unit = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        };
        let mut points = Vec::new();
        for i in 0..26 {
            for j in 0..16 {
                let lon = (118.3 + 0.1 * f64::from(i) + 0.09 * unit()).min(120.8);
                let lat = (29.1 + 0.1 * f64::from(j) + 0.09 * unit()).min(30.6);
                points.push(coord! { x: lon, y: lat });
            }
        }
        points
    }

    #[test]
    fn wgs84_and_cgcs2000_are_identities() {
        let p = coord! { x: 120.155, y: 30.274 };
        for crs in [BuiltinCrs::Wgs84, BuiltinCrs::Cgcs2000] {
            assert!(crs.is_wgs84_equivalent());
            assert_eq!(crs.to_wgs84(p), p);
            assert_eq!(crs.from_wgs84(p), p);
        }
    }

    #[test]
    fn builtin_crs_round_trip_over_hangzhou() {
        for crs in [BuiltinCrs::Gcj02, BuiltinCrs::Bd09] {
            assert!(!crs.is_wgs84_equivalent());
            for p in hangzhou_grid() {
                let back = crs.to_wgs84(crs.from_wgs84(p));
                assert_abs_diff_eq!(back.x, p.x, epsilon = 1e-8);
                assert_abs_diff_eq!(back.y, p.y, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn grid_covers_hangzhou() {
        let grid = hangzhou_grid();
        assert_eq!(grid.len(), 26 * 16);
        assert!(grid
            .iter()
            .all(|p| (118.3..=120.8).contains(&p.x) && (29.1..=30.6).contains(&p.y)));
    }
}
