//! CSV with a header row: point layers with `lon`/`lat` columns (or `lng`, `longitude`,
//! `latitude`, `x`, `y`) and the same attribute columns as GeoJSON properties.
//!
//! Errors name the file line (the header is line 1) and the column, because that is what a
//! user sees in a spreadsheet or an editor.

use std::path::Path;

use geo::{Coord, Point};
use serde_json::{Map, Value};

use super::coords::CoordConv;
use super::layers::Collector;
use super::record::Record;
use super::{file_name, required_layer, ImportFormat, ImportLayer, ImportSummary, Imported};
use crate::crs::InputCrs;
use crate::DataError;

const LON_COLUMNS: [&str; 4] = ["lon", "lng", "longitude", "x"];
const LAT_COLUMNS: [&str; 2] = ["lat", "latitude"];
const Y_COLUMN: &str = "y";

pub(super) fn import(
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = file_name(path);
    let layer = required_layer(&file, ImportFormat::Csv, layer)?;
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    import_bytes(&file, &bytes, Some(layer), crs, progress)
}

/// The import of a CSV text in memory; `file` names it in errors.
pub(super) fn import_bytes(
    file: &str,
    bytes: &[u8],
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = file.to_owned();
    let layer = required_layer(&file, ImportFormat::Csv, layer)?;
    if layer == ImportLayer::Admin {
        return Err(DataError::invalid(
            &file,
            "file",
            None,
            "admin boundaries need geometry: use GeoJSON or GDAL (CSV carries points only)",
        ));
    }
    let mut collector = Collector::new(&file, layer)?;
    let conv = CoordConv::new(crs)?;
    let total = bytes.len() as u64;
    let lines = LineIndex::new(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(&file, e, &[], &lines))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let lon_col = find(&LON_COLUMNS).ok_or_else(|| {
        DataError::invalid(
            &file,
            "line 1",
            Some("lon"),
            "no longitude column: expected one of lon, lng, longitude, x",
        )
    })?;
    let lat_col = find(&LAT_COLUMNS)
        .or_else(|| find(&[Y_COLUMN]))
        .ok_or_else(|| {
            DataError::invalid(
                &file,
                "line 1",
                Some("lat"),
                "no latitude column: expected one of lat, latitude, y",
            )
        })?;
    let mut summary = ImportSummary::default();
    let mut row = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&file, e, &headers, &lines)),
        }
        let line = row.position().map_or(0, |p| lines.line_at(p.byte()));
        let props: Map<String, Value> = headers
            .iter()
            .zip(row.iter())
            .map(|(h, v)| (h.clone(), Value::String(v.to_owned())))
            .collect();
        let mut rec = Record {
            file: &file,
            at: format!("line {line}"),
            props: &props,
            text: true,
        };
        let id = collector.identify(&mut rec)?;
        let x = number(&rec, &headers[lon_col], &row[lon_col])?;
        let y = number(&rec, &headers[lat_col], &row[lat_col])?;
        let field = format!("{}/{}", headers[lon_col], headers[lat_col]);
        let c = conv.to_wgs84(Coord { x, y }, &file, &rec.at, &field)?;
        collector.add_point(&rec, id, Point(c))?;
        summary.read += 1;
        progress(row.position().map_or(0, |p| p.byte()), total);
    }
    progress(total, total);
    Ok(collector.finish(summary))
}

fn number(rec: &Record<'_>, column: &str, cell: &str) -> Result<f64, DataError> {
    let t = cell.trim();
    if t.is_empty() {
        return Err(rec.err(column, "missing (required)"));
    }
    t.parse::<f64>()
        .map_err(|_| rec.err(column, format!("expected a number, found {cell:?}")))
}

/// A CSV reader error, with the line and (for a short row) the first missing column.
fn csv_error(file: &str, e: ::csv::Error, headers: &[String], lines: &LineIndex) -> DataError {
    let line_of = |p: &::csv::Position| format!("line {}", lines.line_at(p.byte()));
    let at = e.position().map_or_else(|| "file".to_owned(), line_of);
    match e.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len,
            len,
            pos,
        } => {
            let at = pos.as_ref().map_or(at, line_of);
            let (expected, found) = (*expected_len as usize, *len as usize);
            let field = if found < expected {
                headers.get(found).map(String::as_str)
            } else {
                None
            };
            let message = if found < expected {
                format!("expected {expected} columns as in the header, found {found}; missing from here on")
            } else {
                format!("expected {expected} columns as in the header, found {found}")
            };
            DataError::invalid(file, at, field, message)
        }
        ::csv::ErrorKind::Utf8 { pos, err } => {
            let at = pos.as_ref().map_or(at, line_of);
            let field = headers.get(err.field()).map(String::as_str);
            DataError::invalid(file, at, field, format!("not valid UTF-8: {err}"))
        }
        ::csv::ErrorKind::Io(io) => DataError::invalid(file, at, None, format!("read error: {io}")),
        _ => DataError::invalid(file, at, None, e.to_string()),
    }
}

/// File line numbers from byte offsets. The csv crate's own line count leaves out blank
/// lines, but a user looks for the line their editor shows.
#[derive(Debug)]
struct LineIndex<'a> {
    bytes: &'a [u8],
    /// Byte offset of the start of every line after the first.
    starts: Vec<u64>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let starts = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i as u64 + 1)
            .collect();
        Self { bytes, starts }
    }

    /// The 1-based line of the record starting at byte `offset` (which the csv crate puts
    /// before any blank lines it skipped).
    fn line_at(&self, offset: u64) -> u64 {
        let skipped = self.bytes.get(offset as usize..).unwrap_or_default();
        let blank = skipped
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count() as u64;
        self.starts.partition_point(|&s| s <= offset + blank) as u64 + 1
    }
}
