//! GeoJSON FeatureCollections, one layer per file.
//!
//! Geometries are read straight from the JSON rather than through a GeoJSON object model so
//! that every problem (a Point where a Polygon belongs, a longitude of 200, a string where a
//! number belongs) is reported with the feature index, its id and the field.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use serde_json::{Map, Value};

use super::coords::CoordConv;
use super::layers::Collector;
use super::record::Record;
use super::{file_name, required_layer, ImportFormat, ImportLayer, ImportSummary, Imported};
use crate::crs::InputCrs;
use crate::DataError;

pub(super) fn import(
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = file_name(path);
    let layer = required_layer(&file, ImportFormat::Geojson, layer)?;
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    import_bytes(&file, text.as_bytes(), Some(layer), crs, progress)
}

/// The import of a GeoJSON text in memory; `file` names it in errors.
pub(super) fn import_bytes(
    file: &str,
    bytes: &[u8],
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = file.to_owned();
    let layer = required_layer(&file, ImportFormat::Geojson, layer)?;
    let mut collector = Collector::new(&file, layer)?;
    let conv = CoordConv::new(crs)?;
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        DataError::invalid(
            &file,
            format!("line {} column {}", e.line(), e.column()),
            None,
            format!("malformed JSON: {e}"),
        )
    })?;
    let features = feature_array(&file, &root)?;
    let total = features.len() as u64;
    let empty = Map::new();
    let mut summary = ImportSummary::default();
    for (i, feature) in features.iter().enumerate() {
        let at = format!("feature {i}");
        let Some(obj) = feature.as_object() else {
            return Err(DataError::invalid(
                &file,
                at,
                None,
                "expected a GeoJSON Feature object",
            ));
        };
        if let Some(t) = obj
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| *t != "Feature")
        {
            return Err(DataError::invalid(
                &file,
                at,
                Some("type"),
                format!("expected a Feature, found {t:?}"),
            ));
        }
        let props = match obj.get("properties") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(DataError::invalid(
                    &file,
                    at,
                    Some("properties"),
                    "expected an object",
                ))
            }
        };
        let mut rec = Record {
            file: &file,
            at,
            props,
            text: false,
        };
        let id = collector.identify(&mut rec)?;
        let geometry = obj
            .get("geometry")
            .filter(|g| !g.is_null())
            .ok_or_else(|| rec.err("geometry", "missing geometry"))?;
        let read = GeometryReader {
            rec: &rec,
            conv: &conv,
        };
        if collector.wants_areas() {
            let areas = read.areas(geometry)?;
            collector.add_area(&rec, areas)?;
        } else {
            let point = read.point(geometry)?;
            collector.add_point(&rec, id, point)?;
        }
        summary.read += 1;
        progress(i as u64 + 1, total);
    }
    Ok(collector.finish(summary))
}

/// The `features` of a FeatureCollection.
fn feature_array<'v>(file: &str, root: &'v Value) -> Result<&'v Vec<Value>, DataError> {
    let found = match root {
        Value::Object(m) => match m.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {
                return m.get("features").and_then(Value::as_array).ok_or_else(|| {
                    DataError::invalid(
                        file,
                        "file",
                        Some("features"),
                        "a FeatureCollection needs a \"features\" array",
                    )
                })
            }
            Some(t) => format!("a {t:?} object"),
            None => "an object without \"type\"".to_owned(),
        },
        Value::Array(_) => "an array".to_owned(),
        other => format!("{other}"),
    };
    Err(DataError::invalid(
        file,
        "file",
        Some("type"),
        format!("expected a GeoJSON FeatureCollection, found {found}"),
    ))
}

/// Reads the geometry of one feature, converting coordinates to WGS84.
struct GeometryReader<'r, 'a> {
    rec: &'r Record<'a>,
    conv: &'r CoordConv,
}

impl GeometryReader<'_, '_> {
    fn err(&self, message: impl Into<String>) -> DataError {
        self.rec.err("geometry", message)
    }

    fn typed<'v>(&self, g: &'v Value) -> Result<(&'v str, &'v Value), DataError> {
        let obj = g
            .as_object()
            .ok_or_else(|| self.err("expected a geometry object"))?;
        let t = obj
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| self.err("geometry has no \"type\""))?;
        let coords = obj
            .get("coordinates")
            .ok_or_else(|| self.err(format!("{t} geometry has no \"coordinates\"")))?;
        Ok((t, coords))
    }

    fn point(&self, g: &Value) -> Result<Point<f64>, DataError> {
        match self.typed(g)? {
            ("Point", c) => Ok(Point(self.position(c)?)),
            (t, _) => Err(self.err(format!("expected a Point geometry, found {t}"))),
        }
    }

    fn areas(&self, g: &Value) -> Result<MultiPolygon<f64>, DataError> {
        match self.typed(g)? {
            ("Polygon", c) => Ok(MultiPolygon(vec![self.polygon(c)?])),
            ("MultiPolygon", c) => {
                let polys = self.array(c, "MultiPolygon")?;
                Ok(MultiPolygon(
                    polys
                        .iter()
                        .map(|p| self.polygon(p))
                        .collect::<Result<_, _>>()?,
                ))
            }
            (t, _) => Err(self.err(format!(
                "expected a Polygon or MultiPolygon geometry, found {t}"
            ))),
        }
    }

    fn array<'v>(&self, v: &'v Value, what: &str) -> Result<&'v Vec<Value>, DataError> {
        v.as_array()
            .ok_or_else(|| self.err(format!("{what} coordinates must be an array, found {v}")))
    }

    fn polygon(&self, v: &Value) -> Result<Polygon<f64>, DataError> {
        let rings = self.array(v, "Polygon")?;
        let mut rings = rings.iter().map(|r| self.ring(r));
        let exterior = rings
            .next()
            .ok_or_else(|| self.err("a Polygon needs at least one ring"))??;
        Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
    }

    fn ring(&self, v: &Value) -> Result<LineString<f64>, DataError> {
        let positions = self.array(v, "ring")?;
        if positions.len() < 4 {
            return Err(self.err(format!(
                "a polygon ring needs at least 4 positions, found {}",
                positions.len()
            )));
        }
        Ok(LineString(
            positions
                .iter()
                .map(|p| self.position(p))
                .collect::<Result<_, _>>()?,
        ))
    }

    fn position(&self, v: &Value) -> Result<Coord<f64>, DataError> {
        let xs = v.as_array().filter(|a| a.len() >= 2);
        let xy = xs.and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
        let Some((x, y)) = xy else {
            return Err(self.err(format!(
                "a position must be an array of two or more numbers, found {v}"
            )));
        };
        self.conv
            .to_wgs84(Coord { x, y }, self.rec.file, &self.rec.at, "geometry")
    }
}
