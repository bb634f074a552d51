//! The CRSs civmap exports to, without PROJ: CGCS2000 geographic and its 3° Gauss–Krüger
//! zones, with the WKT definitions GDAL recognises.

use std::fmt;

use civmap_geo_core::crs::GaussKruger;
use geo::{Coord, Geometry, MapCoords};

use super::ExportError;

/// An export CRS: EPSG:4490 (CGCS2000 longitude/latitude, degrees) or a CGCS2000 3°
/// Gauss–Krüger zone, EPSG:4534–4554 (central meridian 75°E…135°E, false easting 500 km;
/// EPSG:4549 = CM 120°E covers Hangzhou) or EPSG:4513–4533 (zones 25–45, the zone number
/// prefixed to the easting).
///
/// CGCS2000 is treated as WGS84 (they differ by centimetres), so EPSG:4490 coordinates
/// are civmap's stored WGS84 values.
///
/// ```
/// use civmap_data::export::ExportCrs;
/// use geo::coord;
/// let gk = ExportCrs::parse("EPSG:4549")?;
/// let en_m = gk.project(coord! { x: 120.5, y: 30.2 });
/// assert!((en_m.x - 548_146.414).abs() < 1e-3 && (en_m.y - 3_342_389.899).abs() < 1e-3);
/// assert_eq!(ExportCrs::parse("http://www.opengis.net/def/crs/EPSG/0/4490")?, ExportCrs::CGCS2000);
/// # Ok::<(), civmap_data::export::ExportError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExportCrs {
    epsg: u32,
}

/// What [`ExportCrs::parse`] accepts, for error messages.
const ACCEPTED: &str = "expected EPSG:4490 (CGCS2000), EPSG:4534..4554 (CGCS2000 3-degree Gauss-Kruger CM 75E..135E, EPSG:4549 for Hangzhou) or EPSG:4513..4533 (zones 25..45)";

impl ExportCrs {
    /// EPSG:4490, CGCS2000 longitude/latitude.
    pub const CGCS2000: ExportCrs = ExportCrs { epsg: 4490 };
    /// EPSG:4549, CGCS2000 / 3-degree Gauss-Kruger CM 120E (Hangzhou).
    pub const GK_CM_120E: ExportCrs = ExportCrs { epsg: 4549 };

    /// The CRS of an EPSG code, if civmap exports to it.
    pub fn from_epsg(epsg: u32) -> Result<Self, ExportError> {
        match epsg {
            4490 | 4513..=4554 => Ok(Self { epsg }),
            _ => Err(ExportError::UnsupportedCrs {
                crs: format!("EPSG:{epsg}"),
                message: ACCEPTED.to_owned(),
            }),
        }
    }

    /// Parses `EPSG:4549`, `4549`, `urn:ogc:def:crs:EPSG::4549` or
    /// `http://www.opengis.net/def/crs/EPSG/0/4549` (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, ExportError> {
        let t = s.trim().to_ascii_lowercase();
        let code = [
            "http://www.opengis.net/def/crs/epsg/0/",
            "urn:ogc:def:crs:epsg::",
            "epsg:",
        ]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(&t);
        let epsg = code
            .parse::<u32>()
            .map_err(|_| ExportError::UnsupportedCrs {
                crs: s.to_owned(),
                message: ACCEPTED.to_owned(),
            })?;
        Self::from_epsg(epsg).map_err(|_| ExportError::UnsupportedCrs {
            crs: s.to_owned(),
            message: ACCEPTED.to_owned(),
        })
    }

    /// The EPSG code.
    pub fn epsg(self) -> u32 {
        self.epsg
    }

    /// Whether coordinates are degrees (EPSG:4490) rather than metres.
    pub fn is_geographic(self) -> bool {
        self.epsg == 4490
    }

    /// The OGC URI, `http://www.opengis.net/def/crs/EPSG/0/<code>`.
    pub fn ogc_uri(self) -> String {
        format!("http://www.opengis.net/def/crs/EPSG/0/{}", self.epsg)
    }

    /// The Gauss–Krüger projection, for the projected CRSs.
    pub fn gauss_kruger(self) -> Option<GaussKruger> {
        let zone_or_cm = match self.epsg {
            4513..=4533 => self.epsg - 4513 + 25,
            4534..=4554 => 75 + 3 * (self.epsg - 4534),
            _ => return None,
        };
        GaussKruger::cgcs2000_3deg(zone_or_cm).ok()
    }

    /// A WGS84 longitude/latitude → this CRS, in the traditional GIS order (`x` =
    /// longitude or easting), as GeoPackage, Shapefile, GeoJSON and WKT store it.
    pub fn project(self, lon_lat_deg: Coord<f64>) -> Coord<f64> {
        match self.gauss_kruger() {
            Some(gk) => gk.forward(lon_lat_deg),
            None => lon_lat_deg,
        }
    }

    /// This CRS (traditional GIS order) → WGS84 longitude/latitude.
    pub fn unproject(self, xy: Coord<f64>) -> Coord<f64> {
        match self.gauss_kruger() {
            Some(gk) => gk.inverse(xy),
            None => xy,
        }
    }

    /// [`Self::project`] over a whole geometry.
    pub fn project_geometry(self, wgs84: &Geometry<f64>) -> Geometry<f64> {
        match self.gauss_kruger() {
            Some(gk) => wgs84.map_coords(|c| gk.forward(c)),
            None => wgs84.clone(),
        }
    }

    /// The human name, e.g. `CGCS2000 / 3-degree Gauss-Kruger CM 120E`.
    pub fn name(self) -> String {
        match self.epsg {
            4490 => "China Geodetic Coordinate System 2000".to_owned(),
            4513..=4533 => format!(
                "CGCS2000 / 3-degree Gauss-Kruger zone {}",
                self.epsg - 4513 + 25
            ),
            _ => format!(
                "CGCS2000 / 3-degree Gauss-Kruger CM {}E",
                75 + 3 * (self.epsg - 4534)
            ),
        }
    }

    /// The OGC WKT 1 definition with EPSG authority codes, as GDAL writes it (and as
    /// GeoPackage's `gpkg_spatial_ref_sys.definition` holds it).
    pub fn ogc_wkt(self) -> String {
        const GEOGCS: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]]"#;
        match self.gauss_kruger() {
            None => format!(
                r#"{GEOGCS},AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]"#
            ),
            Some(gk) => format!(
                r#"PROJCS["{}",{GEOGCS},AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",{}],PARAMETER["scale_factor",1],PARAMETER["false_easting",{}],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","{}"]]"#,
                self.name(),
                gk.central_meridian_deg,
                gk.false_easting_m,
                self.epsg
            ),
        }
    }

    /// The ESRI WKT of a Shapefile's `.prj`, which GDAL and ArcGIS match to the EPSG code.
    pub fn esri_wkt(self) -> String {
        const GEOGCS: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        match self.gauss_kruger() {
            None => GEOGCS.to_owned(),
            Some(gk) => {
                let name = match self.epsg {
                    4513..=4533 => format!("CGCS2000_3_Degree_GK_Zone_{}", self.epsg - 4513 + 25),
                    _ => format!("CGCS2000_3_Degree_GK_CM_{}E", gk.central_meridian_deg),
                };
                format!(
                    r#"PROJCS["{name}",{GEOGCS},PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",{:.1}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{:.1}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
                    gk.false_easting_m, gk.central_meridian_deg
                )
            }
        }
    }
}

impl fmt::Display for ExportCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{}", self.epsg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_codes_and_names_the_rest() {
        assert_eq!(
            ExportCrs::parse("epsg:4549").unwrap(),
            ExportCrs::GK_CM_120E
        );
        assert_eq!(
            ExportCrs::parse("urn:ogc:def:crs:EPSG::4490").unwrap(),
            ExportCrs::CGCS2000
        );
        let gk = ExportCrs::parse("4534").unwrap().gauss_kruger().unwrap();
        assert_eq!(gk.central_meridian_deg, 75.0);
        let gk = ExportCrs::parse("EPSG:4528")
            .unwrap()
            .gauss_kruger()
            .unwrap();
        assert_eq!(
            (gk.central_meridian_deg, gk.false_easting_m),
            (120.0, 40_500_000.0)
        );
        for bad in ["EPSG:3857", "EPSG:4555", "wgs84", ""] {
            let e = ExportCrs::parse(bad).unwrap_err().to_string();
            assert!(e.contains("EPSG:4490"), "{e}");
        }
    }

    #[test]
    fn wkt_names_the_zone() {
        let w = ExportCrs::parse("EPSG:4552").unwrap().ogc_wkt();
        assert!(
            w.contains("CM 129E")
                && w.contains("\"central_meridian\",129")
                && w.ends_with(r#"AUTHORITY["EPSG","4552"]]"#),
            "{w}"
        );
        let e = ExportCrs::GK_CM_120E.esri_wkt();
        assert!(
            e.starts_with(r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E""#) && e.contains("500000.0"),
            "{e}"
        );
    }
}
