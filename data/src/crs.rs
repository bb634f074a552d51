//! The CRS an input file is declared in, and the conversion of its coordinates to WGS84.
//!
//! civmap stores everything as WGS84 longitude/latitude, but Hangzhou's data arrive in
//! CGCS2000, in the GCJ-02 or BD-09 offsets of Chinese web maps, or in projected metres
//! (Gauss–Krüger zones such as EPSG:4549). The geographic systems are converted by the
//! pure-Rust maths of [`civmap_geo_core::crs`]; the CGCS2000 3° Gauss–Krüger zones (EPSG:4513–4554) by
//! its Gauss–Krüger maths; any other EPSG code goes through libproj,
//! which is optional (feature `proj`) so that a default build needs no C libraries.
//!
//! ```
//! use civmap_data::crs::InputCrs;
//! use geo::coord;
//! let crs = InputCrs::parse("gcj02")?;
//! let wgs84 = crs.transformer()?.to_wgs84(coord! { x: 120.16, y: 30.27 })?;
//! assert!((wgs84.x - 120.155).abs() < 1e-3);
//! # Ok::<(), civmap_data::DataError>(())
//! ```

use crate::DataError;
use civmap_geo_core::crs::{BuiltinCrs, GaussKruger};
use std::fmt;

/// The CRS an input file is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputCrs {
    /// WGS84 longitude/latitude (EPSG:4326).
    Wgs84,
    /// CGCS2000 longitude/latitude (EPSG:4490), treated as identical to WGS84 (they differ
    /// by centimetres).
    Cgcs2000,
    /// GCJ-02 longitude/latitude (Amap/Gaode, Tencent).
    Gcj02,
    /// BD-09 longitude/latitude (Baidu).
    Bd09,
    /// Any other EPSG code, converted by libproj (feature `proj`); x/y in the CRS's
    /// easting/northing or longitude/latitude order, whatever its official axis order.
    Epsg(u32),
}

/// What [`InputCrs::parse`] accepts, for error messages.
const ACCEPTED_NAMES: &str =
    "expected wgs84, cgcs2000, gcj02, bd09 or EPSG:<code> (e.g. EPSG:4549)";

impl InputCrs {
    /// Parses a CRS name: `wgs84`, `cgcs2000`, `gcj02`, `bd09` or `EPSG:<code>`, all
    /// case-insensitive. `EPSG:4326` and `EPSG:4490` become [`Wgs84`](Self::Wgs84) and
    /// [`Cgcs2000`](Self::Cgcs2000).
    pub fn parse(s: &str) -> Result<Self, DataError> {
        let name = s.trim().to_ascii_lowercase();
        let unknown = |message: String| DataError::Crs {
            crs: s.to_owned(),
            message,
        };
        match name.as_str() {
            "wgs84" => Ok(Self::Wgs84),
            "cgcs2000" => Ok(Self::Cgcs2000),
            "gcj02" => Ok(Self::Gcj02),
            "bd09" => Ok(Self::Bd09),
            _ => match name.strip_prefix("epsg:") {
                Some(code) => match code.trim().parse::<u32>() {
                    Ok(4326) => Ok(Self::Wgs84),
                    Ok(4490) => Ok(Self::Cgcs2000),
                    Ok(n) if n > 0 => Ok(Self::Epsg(n)),
                    _ => Err(unknown(format!(
                        "{code:?} is not an EPSG code (a positive integer)"
                    ))),
                },
                None => Err(unknown(format!("unknown CRS; {ACCEPTED_NAMES}"))),
            },
        }
    }

    /// The converter from this CRS to WGS84.
    ///
    /// Fails for an EPSG code other than 4326/4490 unless civmap is built with the `proj`
    /// feature, and (with it) for a code that PROJ does not know.
    pub fn transformer(&self) -> Result<CrsTransformer, DataError> {
        let inner = match *self {
            Self::Wgs84 | Self::Epsg(4326) => Inner::Builtin(BuiltinCrs::Wgs84),
            Self::Cgcs2000 | Self::Epsg(4490) => Inner::Builtin(BuiltinCrs::Cgcs2000),
            Self::Gcj02 => Inner::Builtin(BuiltinCrs::Gcj02),
            Self::Bd09 => Inner::Builtin(BuiltinCrs::Bd09),
            Self::Epsg(code) => match GaussKruger::from_epsg(code) {
                // CGCS2000 3° Gauss–Krüger zones (EPSG:4513–4554) need no PROJ
                Some(gk) => Inner::GaussKruger(gk),
                None => Inner::epsg(code)?,
            },
        };
        Ok(CrsTransformer { crs: *self, inner })
    }
}

impl fmt::Display for InputCrs {
    /// The canonical name, which [`InputCrs::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wgs84 => f.write_str("wgs84"),
            Self::Cgcs2000 => f.write_str("cgcs2000"),
            Self::Gcj02 => f.write_str("gcj02"),
            Self::Bd09 => f.write_str("bd09"),
            Self::Epsg(code) => write!(f, "EPSG:{code}"),
        }
    }
}

/// Converts coordinates of one [`InputCrs`] to WGS84 longitude/latitude (degrees,
/// `x` = longitude). Made by [`InputCrs::transformer`].
///
/// With the `proj` feature an EPSG transformer holds a libproj object, which is neither
/// `Send` nor `Sync`: make one per thread (they are cheap).
#[derive(Debug)]
pub struct CrsTransformer {
    crs: InputCrs,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    /// Converted in pure Rust by civmap-geo-core.
    Builtin(BuiltinCrs),
    /// A CGCS2000 3° Gauss–Krüger zone, inverted in pure Rust by civmap-geo-core.
    GaussKruger(GaussKruger),
    /// Converted by libproj, normalised to x = longitude/easting.
    #[cfg(feature = "proj")]
    Proj(proj::Proj),
}

impl Inner {
    #[cfg(feature = "proj")]
    fn epsg(code: u32) -> Result<Self, DataError> {
        let from = format!("EPSG:{code}");
        // `new_known_crs` normalises both ends for visualisation: x = longitude/easting.
        proj::Proj::new_known_crs(&from, "EPSG:4326", None)
            .map(Self::Proj)
            .map_err(|e| DataError::Crs {
                crs: from,
                message: format!("PROJ cannot convert it to WGS84: {e}"),
            })
    }

    #[cfg(not(feature = "proj"))]
    fn epsg(code: u32) -> Result<Self, DataError> {
        Err(DataError::Crs {
            crs: format!("EPSG:{code}"),
            message: format!("EPSG:{code} needs civmap built with --features proj"),
        })
    }
}

impl CrsTransformer {
    /// One coordinate of the input CRS → WGS84 longitude/latitude (degrees).
    ///
    /// Fails on non-finite input, on "longitude/latitude" outside ±180°/±90° (usually
    /// projected metres declared as a geographic CRS), and when PROJ cannot convert a
    /// point. The error names the CRS and the coordinate; callers add the file and feature.
    pub fn to_wgs84(&self, c: geo::Coord<f64>) -> Result<geo::Coord<f64>, DataError> {
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Err(self.error(c, "the coordinate is not a finite number"));
        }
        let wgs84 = match &self.inner {
            Inner::Builtin(crs) => {
                if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
                    return Err(self.error(
                        c,
                        "not a longitude/latitude in degrees (projected metres? declare the EPSG code)",
                    ));
                }
                crs.to_wgs84(c)
            }
            Inner::GaussKruger(gk) => gk.inverse(c),
            #[cfg(feature = "proj")]
            Inner::Proj(proj) => {
                let (x, y) = proj
                    .convert((c.x, c.y))
                    .map_err(|e| self.error(c, &format!("PROJ failed: {e}")))?;
                geo::Coord { x, y }
            }
        };
        if wgs84.x.is_finite() && wgs84.y.is_finite() {
            Ok(wgs84)
        } else {
            Err(self.error(
                c,
                "the conversion gave no finite WGS84 position (outside the CRS's area?)",
            ))
        }
    }

    /// Whether [`to_wgs84`](Self::to_wgs84) returns coordinates unchanged (WGS84 and
    /// CGCS2000), so that a caller may skip it.
    pub fn is_identity(&self) -> bool {
        matches!(&self.inner, Inner::Builtin(crs) if crs.is_wgs84_equivalent())
    }

    /// The CRS this transformer converts from.
    pub fn input_crs(&self) -> InputCrs {
        self.crs
    }

    fn error(&self, c: geo::Coord<f64>, message: &str) -> DataError {
        DataError::Crs {
            crs: self.crs.to_string(),
            message: format!("({}, {}): {message}", c.x, c.y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use geo::coord;

    #[test]
    fn parse_accepts_names_and_epsg_codes_case_insensitively() {
        for (name, expected) in [
            ("wgs84", InputCrs::Wgs84),
            ("WGS84", InputCrs::Wgs84),
            ("CGCS2000", InputCrs::Cgcs2000),
            ("gcj02", InputCrs::Gcj02),
            (" Gcj02 ", InputCrs::Gcj02),
            ("bd09", InputCrs::Bd09),
            ("EPSG:4326", InputCrs::Wgs84),
            ("epsg:4490", InputCrs::Cgcs2000),
            ("epsg:4549", InputCrs::Epsg(4549)),
            ("Epsg:4528", InputCrs::Epsg(4528)),
        ] {
            assert_eq!(InputCrs::parse(name).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn display_is_read_back_by_parse() {
        for crs in [
            InputCrs::Wgs84,
            InputCrs::Cgcs2000,
            InputCrs::Gcj02,
            InputCrs::Bd09,
            InputCrs::Epsg(4549),
        ] {
            assert_eq!(InputCrs::parse(&crs.to_string()).unwrap(), crs);
        }
    }

    #[test]
    fn parse_rejects_bad_names_with_clear_errors() {
        for bad in [
            "",
            "mars",
            "wgs-84x",
            "EPSG:",
            "EPSG:abc",
            "EPSG:-4326",
            "EPSG:0",
            "4326",
        ] {
            let err = InputCrs::parse(bad).unwrap_err();
            let DataError::Crs { crs, message } = &err else {
                panic!("{bad}: {err:?}")
            };
            assert_eq!(crs, bad);
            assert!(!message.is_empty());
        }
        let message = InputCrs::parse("mars").unwrap_err().to_string();
        assert!(
            message.contains("\"mars\"") && message.contains("gcj02") && message.contains("EPSG:"),
            "{message}"
        );
        let message = InputCrs::parse("EPSG:abc").unwrap_err().to_string();
        assert!(message.contains("not an EPSG code"), "{message}");
    }

    #[test]
    fn wgs84_and_cgcs2000_transformers_are_identities() {
        let p = coord! { x: 120.155, y: 30.274 };
        for crs in [
            InputCrs::Wgs84,
            InputCrs::Cgcs2000,
            InputCrs::Epsg(4326),
            InputCrs::Epsg(4490),
        ] {
            let t = crs.transformer().unwrap();
            assert!(t.is_identity());
            assert_eq!(t.to_wgs84(p).unwrap(), p);
        }
    }

    #[test]
    fn gcj02_and_bd09_transformers_invert_the_offsets() {
        for p in [
            coord! { x: 120.155, y: 30.274 },
            coord! { x: 118.9, y: 29.6 },
            coord! { x: 120.7, y: 30.5 },
        ] {
            for (crs, builtin) in [
                (InputCrs::Gcj02, BuiltinCrs::Gcj02),
                (InputCrs::Bd09, BuiltinCrs::Bd09),
            ] {
                let t = crs.transformer().unwrap();
                assert!(!t.is_identity());
                let back = t.to_wgs84(builtin.from_wgs84(p)).unwrap();
                assert_abs_diff_eq!(back.x, p.x, epsilon = 1e-8);
                assert_abs_diff_eq!(back.y, p.y, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn geographic_input_that_looks_like_metres_is_rejected() {
        let t = InputCrs::Gcj02.transformer().unwrap();
        let err = t
            .to_wgs84(coord! { x: 548_146.4, y: 3_342_389.9 })
            .unwrap_err()
            .to_string();
        assert!(err.contains("gcj02") && err.contains("EPSG"), "{err}");
        assert!(t.to_wgs84(coord! { x: f64::NAN, y: 30.0 }).is_err());
    }

    #[cfg(not(feature = "proj"))]
    #[test]
    fn epsg_codes_need_the_proj_feature() {
        let err = InputCrs::parse("EPSG:32651")
            .unwrap()
            .transformer()
            .unwrap_err();
        let DataError::Crs { crs, message } = err else {
            panic!("{err:?}")
        };
        assert_eq!(crs, "EPSG:32651");
        assert_eq!(
            message,
            "EPSG:32651 needs civmap built with --features proj"
        );
    }

    #[test]
    fn cgcs2000_gauss_kruger_zones_need_no_proj() {
        use civmap_geo_core::crs::GaussKruger;
        for (code, gk) in [
            (4549, GaussKruger::hangzhou()),
            (4528, GaussKruger::cgcs2000_3deg(40).unwrap()),
            (4534, GaussKruger::cgcs2000_3deg(75).unwrap()),
            (4554, GaussKruger::cgcs2000_3deg(135).unwrap()),
        ] {
            let t = InputCrs::Epsg(code).transformer().unwrap();
            let p = coord! { x: gk.central_meridian_deg + 0.7, y: 30.2 };
            let back = t.to_wgs84(gk.forward(p)).unwrap();
            assert_abs_diff_eq!(back.x, p.x, epsilon = 1e-9);
            assert_abs_diff_eq!(back.y, p.y, epsilon = 1e-9);
        }
    }

    /// Oracle: our Gauss–Krüger forward against libproj's inverse of EPSG:4549.
    #[cfg(feature = "proj")]
    #[test]
    fn proj_inverts_our_gauss_kruger_for_epsg_4549() {
        use civmap_geo_core::crs::GaussKruger;
        // PROJ itself, not the built-in zone maths `transformer()` prefers for 4549
        let t = CrsTransformer {
            crs: InputCrs::Epsg(4549),
            inner: Inner::epsg(4549).unwrap(),
        };
        assert!(!t.is_identity());
        let gk = GaussKruger::hangzhou();
        for (lon, lat) in [(120.5, 30.2), (118.3, 29.1), (120.8, 30.6), (119.7, 29.9)] {
            let wgs84 = t.to_wgs84(gk.forward(coord! { x: lon, y: lat })).unwrap();
            assert_abs_diff_eq!(wgs84.x, lon, epsilon = 1e-7);
            assert_abs_diff_eq!(wgs84.y, lat, epsilon = 1e-7);
        }
    }

    #[cfg(feature = "proj")]
    #[test]
    fn proj_rejects_unknown_epsg_codes() {
        let err = InputCrs::Epsg(999_999).transformer().unwrap_err();
        assert!(
            matches!(&err, DataError::Crs { crs, .. } if crs == "EPSG:999999"),
            "{err:?}"
        );
    }
}
