//! CSV writer: a `WKT` geometry column then the fields, UTF-8, with a `.prj` (OGC WKT with
//! the EPSG authority, which GDAL's CSV driver reports as is)
//! and a `.csvt` (column types) beside it, which GDAL's CSV driver reads for the CRS and
//! the types. Coordinates are in the export CRS, x = longitude or easting.

use std::fmt::Write as _;
use std::path::Path;

use geo::{Geometry, LineString, Polygon};

use super::atomic::write_all_then_rename;
use super::{ExportCrs, ExportError, FeatureTable, FieldKind, Value};

/// Writes `table` as CSV at `path`, with `.prj` and `.csvt` of the same stem.
pub fn write(table: &FeatureTable, crs: ExportCrs, path: &Path) -> Result<(), ExportError> {
    table.check()?;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let io = |e: ::csv::Error| ExportError::io(path, std::io::Error::other(e.to_string()));
    let mut head = vec!["WKT".to_owned()];
    head.extend(table.fields.iter().map(|f| f.name.clone()));
    w.write_record(&head).map_err(io)?;
    for row in &table.rows {
        let mut rec = vec![wkt(&crs.project_geometry(&row.geometry))];
        rec.extend(row.values.iter().map(|v| match v {
            Value::Null => String::new(),
            Value::Integer(i) => i.to_string(),
            Value::Real(r) => r.to_string(),
            Value::Text(s) | Value::Date(s) => s.clone(),
            Value::Boolean(b) => b.to_string(),
        }));
        w.write_record(&rec).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ExportError::io(path, std::io::Error::other(e.to_string())))?;
    let mut types = vec!["WKT".to_owned()];
    types.extend(table.fields.iter().map(|f| {
        match f.kind {
            FieldKind::Integer => "Integer64",
            FieldKind::Real => "Real",
            FieldKind::Text => "String",
            FieldKind::Date => "Date",
            FieldKind::Boolean => "Integer(Boolean)",
        }
        .to_owned()
    }));
    write_all_then_rename(&[
        (path.with_extension("prj"), crs.ogc_wkt().into_bytes()),
        (path.with_extension("csvt"), types.join(",").into_bytes()),
        (path.to_path_buf(), bytes),
    ])
}

/// `g` as WKT, coordinates at full precision.
pub fn wkt(g: &Geometry<f64>) -> String {
    fn coords(out: &mut String, l: &LineString<f64>) {
        out.push('(');
        for (i, c) in l.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{} {}", c.x, c.y);
        }
        out.push(')');
    }
    fn polygon(out: &mut String, p: &Polygon<f64>) {
        if p.exterior().0.is_empty() {
            out.push_str("EMPTY");
            return;
        }
        out.push('(');
        coords(out, p.exterior());
        for r in p.interiors() {
            out.push(',');
            coords(out, r);
        }
        out.push(')');
    }
    fn list<T>(out: &mut String, items: &[T], f: impl Fn(&mut String, &T)) {
        if items.is_empty() {
            out.push_str("EMPTY");
            return;
        }
        out.push('(');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            f(out, it);
        }
        out.push(')');
    }
    let mut s = String::new();
    match g {
        Geometry::Point(p) => {
            let _ = write!(s, "POINT ({} {})", p.x(), p.y());
        }
        Geometry::Line(l) => {
            s.push_str("LINESTRING ");
            coords(&mut s, &LineString(vec![l.start, l.end]));
        }
        Geometry::LineString(l) => {
            s.push_str("LINESTRING ");
            if l.0.is_empty() {
                s.push_str("EMPTY");
            } else {
                coords(&mut s, l);
            }
        }
        Geometry::Polygon(p) => {
            s.push_str("POLYGON ");
            polygon(&mut s, p);
        }
        Geometry::Rect(r) => {
            s.push_str("POLYGON ");
            polygon(&mut s, &r.to_polygon());
        }
        Geometry::Triangle(t) => {
            s.push_str("POLYGON ");
            polygon(&mut s, &t.to_polygon());
        }
        Geometry::MultiPoint(m) => {
            s.push_str("MULTIPOINT ");
            list(&mut s, &m.0, |o, p| {
                let _ = write!(o, "({} {})", p.x(), p.y());
            });
        }
        Geometry::MultiLineString(m) => {
            s.push_str("MULTILINESTRING ");
            list(&mut s, &m.0, coords);
        }
        Geometry::MultiPolygon(m) => {
            s.push_str("MULTIPOLYGON ");
            list(&mut s, &m.0, polygon);
        }
        Geometry::GeometryCollection(c) => {
            s.push_str("GEOMETRYCOLLECTION ");
            list(&mut s, &c.0, |o, g| o.push_str(&wkt(g)));
        }
    }
    s
}
