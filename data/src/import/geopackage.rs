//! GeoPackage reader in the default build (SQLite through rusqlite; no GDAL): the polygon
//! features of a GeoPackage's feature tables as WGS84 multi-polygons with their attribute
//! columns — what a surveyor uploads for a survey diff.
//!
//! Coordinates are converted from the table's CRS when it is EPSG:4326, EPSG:4490 or a
//! CGCS2000 3° Gauss–Krüger zone (EPSG:4513–4554, with or without the zone prefix); any
//! other CRS is an error naming the table's `srs_id`. The file is opened read-only and
//! treated as hostile: a file that is not SQLite, a missing table, a corrupt blob or a
//! non-polygon geometry is an error naming the table and feature, never a panic.
//!
//! ```
//! use civmap_data::export::{self, ExportCrs, ExportFormat, FeatureRow, FeatureTable, Field, FieldKind, GeometryType, Value};
//! use civmap_data::import::geopackage::read_geopackage;
//! use geo::wkt;
//! let table = FeatureTable {
//!     name: "units".into(),
//!     geometry_type: GeometryType::MultiPolygon,
//!     fields: vec![Field::new("code", FieldKind::Text)],
//!     rows: vec![FeatureRow::new(
//!         wkt!(POLYGON((120.1 30.2,120.2 30.2,120.2 30.3,120.1 30.2))).into(),
//!         vec![Value::Text("330106001000".into())],
//!     )],
//! };
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("survey.gpkg");
//! export::write(&table, ExportFormat::GeoPackage, ExportCrs::GK_CM_120E, &path).unwrap();
//! let features = read_geopackage(&path, None)?;
//! assert_eq!(features[0].properties["code"], "330106001000");
//! assert!((features[0].geometry.0[0].exterior().0[0].x - 120.1).abs() < 1e-9);
//! # Ok::<(), civmap_data::DataError>(())
//! ```

use std::path::Path;

use geo::{Geometry, MapCoords, MultiPolygon};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value as Json};

use crate::export::ExportCrs;
use crate::wkb::read_gpkg_blob;
use crate::DataError;

/// One polygon feature read from a GeoPackage.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgFeature {
    /// The feature table it came from.
    pub table: String,
    /// Its primary key.
    pub fid: i64,
    /// Its geometry in WGS84 longitude/latitude (a polygon becomes a one-part multi-polygon).
    pub geometry: MultiPolygon<f64>,
    /// Its attribute columns (not the key or the geometry): numbers, text, `null`; BLOBs
    /// are left out.
    pub properties: Map<String, Json>,
}

/// Reads the features of `table`, or of every table `gpkg_contents` lists as `features`
/// when `table` is `None`, in file order.
pub fn read_geopackage(path: &Path, table: Option<&str>) -> Result<Vec<GpkgFeature>, DataError> {
    let file = path.display().to_string();
    let bad = |at: &str, message: String| DataError::Invalid {
        file: file.clone(),
        at: at.to_owned(),
        field: None,
        message,
    };
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| bad("file", format!("not a readable GeoPackage: {e}")))?;
    let sql = |at: &str| {
        let at = at.to_owned();
        move |e: rusqlite::Error| bad(&at, format!("not a readable GeoPackage: {e}"))
    };
    // table → (geometry column, srs_id)
    let mut stmt = db
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .map_err(sql("gpkg_contents"))?;
    let layers: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(sql("gpkg_contents"))?
        .collect::<Result<_, _>>()
        .map_err(sql("gpkg_contents"))?;
    let chosen: Vec<&(String, String, i64)> = match table {
        Some(t) => {
            let l = layers.iter().find(|l| l.0 == t).ok_or_else(|| {
                bad(
                    "file",
                    format!(
                        "no feature table {t:?} (feature tables: {})",
                        layers
                            .iter()
                            .map(|l| l.0.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            vec![l]
        }
        None => layers.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(bad("file", "no feature tables in gpkg_contents".into()));
    }
    let mut out = Vec::new();
    for (name, geom_col, srs_id) in chosen {
        let at_table = format!("table {name:?}");
        let crs = table_crs(&db, *srs_id).map_err(|m| DataError::Crs {
            crs: format!("srs_id {srs_id} of table {name:?}"),
            message: m,
        })?;
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut stmt = db
            .prepare(&format!("SELECT * FROM {}", q(name)))
            .map_err(sql(&at_table))?;
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let geom_i = columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(geom_col))
            .ok_or_else(|| bad(&at_table, format!("no geometry column {geom_col:?}")))?;
        let mut rows = stmt.query([]).map_err(sql(&at_table))?;
        let mut n = 0usize;
        while let Some(row) = rows.next().map_err(sql(&at_table))? {
            n += 1;
            let mut fid = n as i64;
            let mut properties = Map::new();
            let mut geometry = None;
            for (i, col) in columns.iter().enumerate() {
                use rusqlite::types::ValueRef;
                let v = row.get_ref(i).map_err(sql(&at_table))?;
                if i == geom_i {
                    geometry = match v {
                        ValueRef::Blob(b) => Some(b.to_vec()),
                        ValueRef::Null => None,
                        _ => {
                            return Err(bad(
                                &format!("{at_table} feature {n}"),
                                "geometry is not a blob".into(),
                            ))
                        }
                    };
                    continue;
                }
                let json = match v {
                    ValueRef::Null => Json::Null,
                    ValueRef::Integer(x) => x.into(),
                    ValueRef::Real(x) => {
                        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
                    }
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                    ValueRef::Blob(_) => continue,
                };
                if col.eq_ignore_ascii_case("fid") {
                    if let Some(x) = json.as_i64() {
                        fid = x;
                        continue;
                    }
                }
                properties.insert(col.clone(), json);
            }
            let at = format!("{at_table} feature {fid}");
            let Some(blob) = geometry else {
                return Err(bad(&at, "no geometry".into()));
            };
            let (_, g) = read_gpkg_blob(&blob).map_err(|e| bad(&at, format!("geometry: {e}")))?;
            let mp = match g {
                Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
                Some(Geometry::MultiPolygon(m)) => m,
                Some(_) => {
                    return Err(bad(
                        &at,
                        "geometry is not a polygon or multi-polygon".into(),
                    ))
                }
                None => return Err(bad(&at, "empty geometry".into())),
            };
            let mp = mp.map_coords(|c| crs.unproject(c));
            use geo::CoordsIter;
            if mp.coords_iter().any(|c| {
                !(c.x.is_finite()
                    && (-180.0..=180.0).contains(&c.x)
                    && (-90.0..=90.0).contains(&c.y))
            }) {
                return Err(bad(
                    &at,
                    "coordinates outside longitude/latitude range after conversion".into(),
                ));
            }
            out.push(GpkgFeature {
                table: name.clone(),
                fid,
                geometry: mp,
                properties,
            });
        }
    }
    Ok(out)
}

/// The CRS of a table's coordinates, from its `gpkg_spatial_ref_sys` row (EPSG:4326 is
/// read as EPSG:4490: civmap treats the two as one).
fn table_crs(db: &Connection, srs_id: i64) -> Result<ExportCrs, String> {
    let (org, code): (String, i64) = db
        .query_row(
            "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| format!("not in gpkg_spatial_ref_sys: {e}"))?;
    const READ: &str =
        "only EPSG:4326, EPSG:4490 and CGCS2000 3-degree Gauss-Kruger zones EPSG:4513-4554 are read";
    if !org.eq_ignore_ascii_case("epsg") {
        return Err(format!("organization {org:?} code {code}: {READ}"));
    }
    match code {
        4326 => Ok(ExportCrs::CGCS2000),
        c => u32::try_from(c)
            .ok()
            .and_then(|c| ExportCrs::from_epsg(c).ok())
            .ok_or_else(|| format!("EPSG:{code}: {READ}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{
        self, ExportFormat, FeatureRow, FeatureTable, Field, FieldKind, GeometryType, Value,
    };
    use geo::wkt;
    use proptest::prelude::*;

    fn written(dir: &Path) -> std::path::PathBuf {
        let table = FeatureTable {
            name: "units".into(),
            geometry_type: GeometryType::MultiPolygon,
            fields: vec![Field::new("code", FieldKind::Text)],
            rows: vec![FeatureRow::new(
                wkt!(POLYGON((120.1 30.2,120.2 30.2,120.2 30.3,120.1 30.2))).into(),
                vec![Value::Text("330106001000".into())],
            )],
        };
        let path = dir.join("s.gpkg");
        export::write(
            &table,
            ExportFormat::GeoPackage,
            ExportCrs::GK_CM_120E,
            &path,
        )
        .unwrap();
        path
    }

    fn err(path: &Path, table: Option<&str>) -> String {
        read_geopackage(path, table).unwrap_err().to_string()
    }

    #[test]
    fn corrupt_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path());
        assert!(
            err(&path, Some("nope")).contains("no feature table \"nope\" (feature tables: units)")
        );
        // not SQLite at all, and a truncated file
        let junk = dir.path().join("junk.gpkg");
        std::fs::write(&junk, b"not a database, just bytes").unwrap();
        assert!(err(&junk, None).contains("not a readable GeoPackage"));
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&junk, &bytes[..bytes.len() / 3]).unwrap();
        assert!(read_geopackage(&junk, None).is_err());
        // a hostile blob, a point, a CRS civmap does not convert
        let db = Connection::open(&path).unwrap();
        db.execute(
            "UPDATE units SET geom = x'47500001000000000103000000ffffffff'",
            [],
        )
        .unwrap();
        let e = err(&path, None);
        assert!(
            e.contains("table \"units\" feature 1") && e.contains("geometry"),
            "{e}"
        );
        let point = crate::wkb::gpkg_blob(&wkt!(POINT(500000. 3300000.)).into(), 4549);
        db.execute("UPDATE units SET geom = ?1", [point]).unwrap();
        assert!(err(&path, None).contains("not a polygon"));
        db.execute_batch("INSERT INTO gpkg_spatial_ref_sys VALUES ('Pseudo-Mercator', 3857, 'EPSG', 3857, 'x', ''); UPDATE gpkg_geometry_columns SET srs_id = 3857").unwrap();
        let e = err(&path, None);
        assert!(e.contains("srs_id 3857") && e.contains("EPSG:3857"), "{e}");
        db.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE gpkg_contents")
            .unwrap();
        assert!(err(&path, None).contains("gpkg_contents"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn random_and_mutated_blobs_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            flips in proptest::collection::vec((0usize..120, any::<u8>()), 1..6),
        ) {
            let _ = crate::wkb::read_gpkg_blob(&bytes);
            let mut good = crate::wkb::gpkg_blob(
                &wkt!(MULTIPOLYGON(((0. 0.,4. 0.,4. 4.,0. 0.),(1. 1.,2. 1.,2. 2.,1. 1.)))).into(), 4490);
            for (at, b) in flips {
                let n = good.len();
                good[at % n] = b;
            }
            let _ = crate::wkb::read_gpkg_blob(&good);
        }
    }
}
