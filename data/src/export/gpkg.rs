//! GeoPackage 1.2 writer (SQLite through rusqlite; no GDAL).
//!
//! Writes the required tables (`gpkg_spatial_ref_sys` with the CRS's EPSG WKT,
//! `gpkg_contents` with each table's extent, `gpkg_geometry_columns`), one feature table
//! per [`FeatureTable`] with an `fid` key and a `geom` column of GeoPackage blobs, the
//! `application_id`/`user_version` pragmas, and an R-tree spatial index per table
//! (`gpkg_rtree_index` extension; no update triggers, as the file is written once).

use std::path::Path;

use geo::BoundingRect;
use rusqlite::{params, Connection};

use super::atomic::TempTarget;
use super::{ExportCrs, ExportError, FeatureTable, FieldKind, Value};
use crate::wkb::gpkg_blob;

/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.2.0.
pub const USER_VERSION: i32 = 10200;

/// Writes `tables` into one GeoPackage at `path`, coordinates in `crs`.
///
/// The file is built under a temporary name and renamed into place; an existing file at
/// `path` is replaced.
pub fn write(tables: &[&FeatureTable], crs: ExportCrs, path: &Path) -> Result<(), ExportError> {
    let target = TempTarget::new(path)?;
    let sql = |source| ExportError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    {
        let mut db = Connection::open(&target.tmp).map_err(sql)?;
        db.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION}; PRAGMA journal_mode = OFF;"
        ))
        .map_err(sql)?;
        let tx = db.transaction().map_err(sql)?;
        tx.execute_batch(SCHEMA).map_err(sql)?;
        tx.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, ?3, ?1)",
            params![crs.name(), crs.epsg(), crs.ogc_wkt()],
        )
        .map_err(sql)?;
        for t in tables {
            t.check()?;
            write_table(&tx, t, crs).map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
    }
    target.commit()
}

fn write_table(
    tx: &rusqlite::Transaction<'_>,
    t: &FeatureTable,
    crs: ExportCrs,
) -> rusqlite::Result<()> {
    let q = quote;
    let cols: String = t
        .fields
        .iter()
        .map(|f| {
            let ty = match f.kind {
                FieldKind::Integer => "INTEGER",
                FieldKind::Real => "DOUBLE",
                FieldKind::Text => "TEXT",
                FieldKind::Date => "DATE",
                FieldKind::Boolean => "BOOLEAN",
            };
            format!(", {} {ty}", q(&f.name))
        })
        .collect();
    tx.execute_batch(&format!(
        "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {}{cols});",
        q(&t.name),
        t.geometry_type.ogc_name()
    ))?;
    let rtree = quote(&format!("rtree_{}_geom", t.name));
    tx.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);"
    ))?;
    let marks = (1..=t.fields.len() + 1)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let names: String = t
        .fields
        .iter()
        .map(|f| format!(", {}", q(&f.name)))
        .collect();
    let mut insert = tx.prepare(&format!(
        "INSERT INTO {} (geom{names}) VALUES ({marks})",
        q(&t.name)
    ))?;
    let mut index = tx.prepare(&format!("INSERT INTO {rtree} VALUES (?1, ?2, ?3, ?4, ?5)"))?;
    let mut extent: Option<geo::Rect<f64>> = None;
    for row in &t.rows {
        let g = crs.project_geometry(&row.geometry);
        let rect = g.bounding_rect();
        let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(row.values.len() + 1);
        values.push(gpkg_blob(&g, crs.epsg() as i32).into());
        values.extend(row.values.iter().map(sql_value));
        insert.execute(rusqlite::params_from_iter(values))?;
        let fid = tx.last_insert_rowid();
        if let Some(r) = rect {
            index.execute(params![fid, r.min().x, r.max().x, r.min().y, r.max().y])?;
            extent = Some(match extent {
                None => r,
                Some(e) => geo::Rect::new(
                    geo::coord! { x: e.min().x.min(r.min().x), y: e.min().y.min(r.min().y) },
                    geo::coord! { x: e.max().x.max(r.max().x), y: e.max().y.max(r.max().y) },
                ),
            });
        }
    }
    let (min_x, min_y, max_x, max_y) = match extent {
        Some(e) => (
            Some(e.min().x),
            Some(e.min().y),
            Some(e.max().x),
            Some(e.max().y),
        ),
        None => (None, None, None, None),
    };
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?2, ?3, ?4, ?5, ?6)",
        params![t.name, min_x, min_y, max_x, max_y, crs.epsg()],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
        params![t.name, t.geometry_type.ogc_name(), crs.epsg()],
    )?;
    tx.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        params![t.name],
    )?;
    Ok(())
}

/// An SQL identifier in double quotes.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_value(v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match v {
        Value::Null => S::Null,
        Value::Integer(i) => S::Integer(*i),
        Value::Real(r) => S::Real(*r),
        Value::Text(s) | Value::Date(s) => S::Text(s.clone()),
        Value::Boolean(b) => S::Integer(i64::from(*b)),
    }
}

/// The GeoPackage core tables, with the three `gpkg_spatial_ref_sys` rows every
/// GeoPackage must have (WGS 84, undefined Cartesian, undefined geographic).
const SCHEMA: &str = r#"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"#;
