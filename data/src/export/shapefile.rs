//! ESRI Shapefile writer, by hand: `.shp`, `.shx`, `.dbf` (dBase III, UTF-8 text), `.prj`
//! (ESRI WKT that GDAL matches to the EPSG code) and `.cpg` (`UTF-8`, so Chinese names
//! survive), all five written before any is renamed into place.
//!
//! A Shapefile holds one shape type: point tables become Point, multi-point MultiPoint,
//! line tables PolyLine and polygon tables Polygon (outer rings clockwise, holes
//! counter-clockwise, as the format requires). Mixed tables ([`GeometryType::Geometry`])
//! are refused: export them as GeoPackage, GeoJSON or CSV. Field names are cut to 10
//! bytes (and numbered when two cuts collide); text is cut to 254 bytes on a character
//! boundary.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use geo::{BoundingRect, Geometry, LineString, Orient, Polygon};

use super::atomic::write_all_then_rename;
use super::{ExportCrs, ExportError, FeatureTable, FieldKind, GeometryType, Value};

/// Writes `table` as a Shapefile at `path` (`something.shp`; the other four files take
/// the same stem), coordinates in `crs`.
pub fn write(table: &FeatureTable, crs: ExportCrs, path: &Path) -> Result<(), ExportError> {
    table.check()?;
    let shape_type = match table.geometry_type {
        GeometryType::Point => 1,
        GeometryType::LineString | GeometryType::MultiLineString => 3,
        GeometryType::Polygon | GeometryType::MultiPolygon => 5,
        GeometryType::MultiPoint => 8,
        GeometryType::Geometry => {
            return Err(ExportError::bad(
                &table.name,
                "table",
                "a Shapefile holds one geometry type; this table mixes them (export it as gpkg, geojson or csv)",
            ))
        }
    };
    let records: Vec<Vec<u8>> = table
        .rows
        .iter()
        .map(|r| shape_record(shape_type, &crs.project_geometry(&r.geometry)))
        .collect();
    let (shp, shx) = shp_and_shx(shape_type, &records, table, crs);
    let dbf = dbf(table)?;
    let with = |ext: &str| -> PathBuf { path.with_extension(ext) };
    write_all_then_rename(&[
        (with("dbf"), dbf),
        (with("shx"), shx),
        (with("prj"), crs.esri_wkt().into_bytes()),
        (with("cpg"), b"UTF-8".to_vec()),
        (with("shp"), shp),
    ])
}

fn put_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The record content (shape type onwards) of one geometry; `Null` (type 0) when empty.
fn shape_record(shape_type: i32, g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(bbox) = g.bounding_rect() else {
        put_i32(&mut out, 0);
        return out;
    };
    put_i32(&mut out, shape_type);
    let put_bbox = |out: &mut Vec<u8>| {
        for v in [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y] {
            put_f64(out, v);
        }
    };
    match shape_type {
        1 => {
            let c = match g {
                Geometry::Point(p) => p.0,
                _ => bbox.min(),
            };
            put_f64(&mut out, c.x);
            put_f64(&mut out, c.y);
        }
        8 => {
            let pts: Vec<geo::Coord<f64>> = match g {
                Geometry::MultiPoint(m) => m.0.iter().map(|p| p.0).collect(),
                Geometry::Point(p) => vec![p.0],
                _ => vec![],
            };
            put_bbox(&mut out);
            put_i32(&mut out, pts.len() as i32);
            for c in pts {
                put_f64(&mut out, c.x);
                put_f64(&mut out, c.y);
            }
        }
        _ => {
            let parts: Vec<LineString<f64>> = match g {
                Geometry::LineString(l) => vec![l.clone()],
                Geometry::MultiLineString(m) => m.0.clone(),
                Geometry::Polygon(p) => rings(p),
                Geometry::MultiPolygon(m) => m.0.iter().flat_map(rings).collect(),
                _ => vec![],
            };
            put_bbox(&mut out);
            put_i32(&mut out, parts.len() as i32);
            put_i32(
                &mut out,
                parts.iter().map(|p| p.0.len()).sum::<usize>() as i32,
            );
            let mut start = 0;
            for p in &parts {
                put_i32(&mut out, start as i32);
                start += p.0.len();
            }
            for c in parts.iter().flat_map(|p| p.0.iter()) {
                put_f64(&mut out, c.x);
                put_f64(&mut out, c.y);
            }
        }
    }
    out
}

/// A polygon's rings as the format wants them: outer clockwise, holes counter-clockwise.
fn rings(p: &Polygon<f64>) -> Vec<LineString<f64>> {
    let p = p.orient(geo::orient::Direction::Reversed);
    std::iter::once(p.exterior().clone())
        .chain(p.interiors().iter().cloned())
        .filter(|r| !r.0.is_empty())
        .collect()
}

/// The 100-byte header both `.shp` and `.shx` start with.
fn header(shape_type: i32, length_words: i32, bbox: [f64; 4]) -> Vec<u8> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0; 20]);
    h.extend_from_slice(&length_words.to_be_bytes());
    put_i32(&mut h, 1000);
    put_i32(&mut h, shape_type);
    for v in bbox {
        put_f64(&mut h, v);
    }
    h.extend_from_slice(&[0; 32]);
    h
}

fn shp_and_shx(
    shape_type: i32,
    records: &[Vec<u8>],
    table: &FeatureTable,
    crs: ExportCrs,
) -> (Vec<u8>, Vec<u8>) {
    let mut bbox: Option<geo::Rect<f64>> = None;
    for r in &table.rows {
        if let Some(b) = crs.project_geometry(&r.geometry).bounding_rect() {
            bbox = Some(match bbox {
                None => b,
                Some(a) => geo::Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                ),
            });
        }
    }
    let bbox = bbox.map_or([0.0; 4], |b| [b.min().x, b.min().y, b.max().x, b.max().y]);
    let shp_len: usize = 100 + records.iter().map(|r| 8 + r.len()).sum::<usize>();
    let shx_len = 100 + 8 * records.len();
    let mut shp = header(shape_type, (shp_len / 2) as i32, bbox);
    let mut shx = header(shape_type, (shx_len / 2) as i32, bbox);
    for (i, r) in records.iter().enumerate() {
        let offset_words = (shp.len() / 2) as i32;
        let len_words = (r.len() / 2) as i32;
        shx.extend_from_slice(&offset_words.to_be_bytes());
        shx.extend_from_slice(&len_words.to_be_bytes());
        shp.extend_from_slice(&(i as i32 + 1).to_be_bytes());
        shp.extend_from_slice(&len_words.to_be_bytes());
        shp.extend_from_slice(r);
    }
    (shp, shx)
}

/// `s` cut to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The `.dbf` field names: at most 10 bytes, unique (case-insensitive).
pub fn dbf_field_names(table: &FeatureTable) -> Vec<String> {
    let mut seen = HashSet::new();
    table
        .fields
        .iter()
        .map(|f| {
            let mut name = cut(&f.name, 10).to_owned();
            let mut n = 1;
            while !seen.insert(name.to_ascii_lowercase()) {
                let suffix = format!("_{n}");
                name = format!("{}{suffix}", cut(&f.name, 10 - suffix.len()));
                n += 1;
            }
            name
        })
        .collect()
}

fn dbf(table: &FeatureTable) -> Result<Vec<u8>, ExportError> {
    // (type, length, decimals) per field
    let specs: Vec<(u8, usize, u8)> = table
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| match f.kind {
            FieldKind::Integer => (b'N', 18, 0),
            FieldKind::Real => (b'N', 24, 15),
            FieldKind::Date => (b'D', 8, 0),
            FieldKind::Boolean => (b'L', 1, 0),
            FieldKind::Text => {
                let longest = table
                    .rows
                    .iter()
                    .map(|r| match &r.values[i] {
                        Value::Text(s) => s.len(),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0);
                (b'C', longest.clamp(1, 254), 0)
            }
        })
        .collect();
    let record_len = 1 + specs.iter().map(|s| s.1).sum::<usize>();
    let header_len = 32 + 32 * specs.len() + 1;
    if record_len > u16::MAX as usize || header_len > u16::MAX as usize {
        return Err(ExportError::bad(
            &table.name,
            "table",
            "too many or too wide fields for a .dbf record",
        ));
    }
    let mut out = Vec::with_capacity(header_len + record_len * table.rows.len() + 1);
    out.push(0x03);
    out.extend_from_slice(&[126, 1, 1]); // last update 2026-01-01 (the format wants a date)
    out.extend_from_slice(&(table.rows.len() as u32).to_le_bytes());
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(&(record_len as u16).to_le_bytes());
    out.extend_from_slice(&[0; 20]);
    for (name, (ty, len, dec)) in dbf_field_names(table).iter().zip(&specs) {
        let mut n = [0u8; 11];
        n[..name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&n);
        out.push(*ty);
        out.extend_from_slice(&[0; 4]);
        out.push(*len as u8);
        out.push(*dec);
        out.extend_from_slice(&[0; 14]);
    }
    out.push(0x0D);
    for row in &table.rows {
        out.push(b' ');
        for (v, (_, len, dec)) in row.values.iter().zip(&specs) {
            let text = match v {
                Value::Null => String::new(),
                Value::Integer(i) => format!("{i:>len$}"),
                Value::Real(r) => {
                    let s = format!("{r:>len$.prec$}", prec = usize::from(*dec));
                    if s.len() > *len {
                        format!("{r:>len$.e$e}", e = len.saturating_sub(8).min(15))
                    } else {
                        s
                    }
                }
                Value::Date(d) => d.replace('-', ""),
                Value::Boolean(b) => if *b { "T" } else { "F" }.to_owned(),
                Value::Text(s) => cut(s, *len).to_owned(),
            };
            let bytes = cut(&text, *len).as_bytes();
            out.extend_from_slice(bytes);
            out.extend(std::iter::repeat_n(b' ', len - bytes.len()));
        }
    }
    out.push(0x1A);
    Ok(out)
}
