//! Exports a GIS opens: GeoPackage, Shapefile, GeoJSON and CSV, in CGCS2000 geographic
//! (EPSG:4490) or a CGCS2000 3° Gauss–Krüger zone (EPSG:4534–4554; EPSG:4549 for
//! Hangzhou), with no C library (no GDAL, no PROJ).
//!
//! Every layer is first turned into a [`FeatureTable`] — a name, a geometry type, typed
//! fields and rows of WGS84 geometry plus values — so adding a layer is one small function
//! that builds a table; the writers know nothing about admin units or markers.
//!
//! Every writer writes to a temporary file beside the target and renames it into place, so
//! a failed export leaves nothing half-written (a Shapefile's five files are renamed one
//! after the other once all five are complete).
//!
//! ```
//! use civmap_data::export::{ExportCrs, ExportFormat, FeatureRow, FeatureTable, Field, FieldKind, Value, GeometryType};
//! use geo::point;
//! let table = FeatureTable {
//!     name: "markers".into(),
//!     geometry_type: GeometryType::Point,
//!     fields: vec![Field::new("number", FieldKind::Text)],
//!     rows: vec![FeatureRow::new(point!(x: 120.15, y: 30.28).into(), vec![Value::Text("A001".into())])],
//! };
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("markers.gpkg");
//! civmap_data::export::write(&table, ExportFormat::GeoPackage, ExportCrs::parse("EPSG:4549")?, &path)?;
//! assert!(path.exists());
//! # Ok::<(), civmap_data::export::ExportError>(())
//! ```

mod atomic;
mod crs;
pub mod csv;
mod error;
pub mod geojson;
pub mod gpkg;
pub mod layers;
pub mod shapefile;
mod table;

pub use crs::ExportCrs;
pub use error::ExportError;
pub use table::{FeatureRow, FeatureTable, Field, FieldKind, GeometryType, Value};

use std::path::Path;

/// The file formats civmap exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// OGC GeoPackage 1.2 (`.gpkg`), one SQLite file.
    GeoPackage,
    /// ESRI Shapefile (`.shp` + `.shx` + `.dbf` + `.prj` + `.cpg`).
    Shapefile,
    /// GeoJSON (`.geojson`).
    GeoJson,
    /// CSV with a `WKT` geometry column (`.csv`, with a `.prj` and `.csvt` beside it).
    Csv,
}

impl ExportFormat {
    /// Parses `gpkg`, `shp`, `geojson` or `csv` (case-insensitive; `geopackage`,
    /// `shapefile` and `json` too).
    pub fn parse(s: &str) -> Result<Self, ExportError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gpkg" | "geopackage" => Ok(Self::GeoPackage),
            "shp" | "shapefile" => Ok(Self::Shapefile),
            "geojson" | "json" => Ok(Self::GeoJson),
            "csv" => Ok(Self::Csv),
            _ => Err(ExportError::UnknownFormat {
                format: s.to_owned(),
            }),
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::GeoPackage => "gpkg",
            Self::Shapefile => "shp",
            Self::GeoJson => "geojson",
            Self::Csv => "csv",
        }
    }
}

/// Writes `table` to `path` in `format`, its coordinates in `crs`.
///
/// See the module example.
pub fn write(
    table: &FeatureTable,
    format: ExportFormat,
    crs: ExportCrs,
    path: &Path,
) -> Result<(), ExportError> {
    table.check()?;
    match format {
        ExportFormat::GeoPackage => gpkg::write(&[table], crs, path),
        ExportFormat::Shapefile => shapefile::write(table, crs, path),
        ExportFormat::GeoJson => geojson::write(table, crs, path),
        ExportFormat::Csv => csv::write(table, crs, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::geopackage::read_geopackage;
    use geo::{wkt, Geometry, MultiPolygon};

    fn units() -> FeatureTable {
        let a: MultiPolygon<f64> = wkt!(MULTIPOLYGON(((120.1 30.2,120.2 30.2,120.2 30.3,120.1 30.3,120.1 30.2),(120.12 30.22,120.14 30.22,120.14 30.24,120.12 30.22))));
        let b: MultiPolygon<f64> = wkt!(MULTIPOLYGON(((120.2 30.2,120.3 30.2,120.25 30.3,120.2 30.2)),((120.4 30.4,120.5 30.4,120.5 30.5,120.4 30.4))));
        FeatureTable {
            name: "units".into(),
            geometry_type: GeometryType::MultiPolygon,
            fields: vec![
                Field::new("code", FieldKind::Text),
                Field::new("name", FieldKind::Text),
                Field::new("population", FieldKind::Integer),
                Field::new("area_m2", FieldKind::Real),
                Field::new("synthetic", FieldKind::Boolean),
                Field::new("valid_from", FieldKind::Date),
            ],
            rows: vec![
                FeatureRow::new(
                    a.into(),
                    vec![
                        Value::Text("330106001000".into()),
                        Value::Text("北山街道".into()),
                        Value::Integer(12345),
                        Value::Real(1.5e8),
                        Value::Boolean(true),
                        Value::Date("2023-01-01".into()),
                    ],
                ),
                FeatureRow::new(
                    b.into(),
                    vec![
                        Value::Text("330106002000".into()),
                        Value::Null,
                        Value::Integer(-1),
                        Value::Real(0.25),
                        Value::Boolean(false),
                        Value::Null,
                    ],
                ),
            ],
        }
    }

    #[test]
    fn geopackage_round_trips_in_every_crs() {
        let dir = tempfile::tempdir().unwrap();
        let t = units();
        for crs in ["EPSG:4490", "EPSG:4549", "EPSG:4528", "EPSG:4546"] {
            let crs = ExportCrs::parse(crs).unwrap();
            let path = dir.path().join(format!("u{}.gpkg", crs.epsg()));
            write(&t, ExportFormat::GeoPackage, crs, &path).unwrap();
            let back = read_geopackage(&path, Some("units")).unwrap();
            assert_eq!(back.len(), 2);
            for (f, row) in back.iter().zip(&t.rows) {
                let Geometry::MultiPolygon(want) = &row.geometry else {
                    unreachable!()
                };
                assert_eq!(f.geometry.0.len(), want.0.len());
                use geo::CoordsIter;
                for (a, b) in f.geometry.coords_iter().zip(want.coords_iter()) {
                    assert!(
                        (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
                        "{crs}: {a:?} vs {b:?}"
                    );
                }
                assert_eq!(f.properties["code"], row.values[0].to_json());
            }
            assert_eq!(back[0].properties["name"], "北山街道");
            assert_eq!(back[0].properties["synthetic"], 1);
        }
    }

    #[test]
    fn a_failed_export_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = units();
        t.rows[1].values.pop();
        for format in [
            ExportFormat::GeoPackage,
            ExportFormat::Shapefile,
            ExportFormat::GeoJson,
            ExportFormat::Csv,
        ] {
            let path = dir.path().join(format!("bad.{}", format.extension()));
            let e = write(&t, format, ExportCrs::CGCS2000, &path)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("row 1") && e.contains("5 values for 6 fields"),
                "{e}"
            );
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mixed = FeatureTable {
            geometry_type: GeometryType::Geometry,
            ..units()
        };
        let e = write(
            &mixed,
            ExportFormat::Shapefile,
            ExportCrs::CGCS2000,
            &dir.path().join("m.shp"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("one geometry type"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn shapefile_names_are_cut_to_ten_bytes_and_unique() {
        let mut t = units();
        t.fields = vec![
            Field::new("population_total", FieldKind::Integer),
            Field::new("population_elderly", FieldKind::Integer),
        ];
        for r in &mut t.rows {
            r.values = vec![Value::Integer(1), Value::Integer(2)];
        }
        assert_eq!(shapefile::dbf_field_names(&t), ["population", "populati_1"]);
    }
}
