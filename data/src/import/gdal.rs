//! Any OGR vector format (Shapefile, GeoPackage, FlatGeobuf, …) through GDAL.
//!
//! The first layer of the file is read; its fields are taken like GeoJSON properties. The
//! layer's own spatial reference is honoured (GDAL transforms to EPSG:4326 in lon/lat order)
//! unless the user named a CRS on the command line, which then wins: files with a missing or
//! wrong `.prj` are common, and the user knows better than the file.

use std::path::Path;

use ::gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use ::gdal::vector::{FieldValue, LayerAccess};
use ::gdal::Dataset;
use geo::{Coord, Geometry, MapCoords, MultiPolygon};
use serde_json::{Map, Number, Value};

use super::coords::CoordConv;
use super::layers::Collector;
use super::record::Record;
use super::{file_name, required_layer, ImportFormat, ImportLayer, ImportSummary, Imported};
use crate::crs::InputCrs;
use crate::DataError;

/// Attribute names that the dBASE files of Shapefiles cut to 10 characters.
const LONG_FIELDS: [&str; 4] = ["nursing_beds", "demonstration", "population", "admin_code"];

pub(super) fn import(
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    let file = file_name(path);
    let kind = required_layer(&file, ImportFormat::Gdal, layer)?;
    let mut collector = Collector::new(&file, kind)?;
    let gdal_err = |at: &str, e: ::gdal::errors::GdalError| {
        DataError::invalid(&file, at, None, format!("GDAL: {e}"))
    };
    let dataset = Dataset::open(path).map_err(|e| gdal_err("file", e))?;
    let mut source = dataset.layer(0).map_err(|e| gdal_err("file", e))?;
    let user_crs = !matches!(crs, InputCrs::Wgs84);
    let transform = match source.spatial_ref() {
        Some(srs) if !user_crs => to_wgs84(srs).map_err(|e| gdal_err("file", e))?,
        _ => None,
    };
    let conv = CoordConv::new(if transform.is_some() {
        &InputCrs::Wgs84
    } else {
        crs
    })?;
    let total = source.try_feature_count().unwrap_or(0);
    let mut summary = ImportSummary::default();
    for (i, feature) in source.features().enumerate() {
        let at = format!("feature {i}");
        let mut props = Map::new();
        for (name, value) in feature.fields() {
            props.insert(full_name(&name), value.map_or(Value::Null, json));
        }
        let mut rec = Record {
            file: &file,
            at,
            props: &props,
            text: false,
        };
        let id = collector.identify(&mut rec)?;
        let geometry = feature
            .geometry()
            .ok_or_else(|| rec.err("geometry", "missing geometry"))?;
        let geometry = match &transform {
            Some(t) => geometry
                .transform(t)
                .map_err(|e| rec.err("geometry", format!("GDAL: {e}")))?,
            None => geometry.clone(),
        };
        let geometry = geometry
            .to_geo()
            .map_err(|e| rec.err("geometry", format!("GDAL: {e}")))?;
        let geometry = geometry
            .try_map_coords(|c: Coord<f64>| conv.to_wgs84(c, &file, &rec.at, "geometry"))?;
        match (collector.wants_areas(), geometry) {
            (false, Geometry::Point(p)) => collector.add_point(&rec, id, p)?,
            (true, Geometry::Polygon(p)) => collector.add_area(&rec, MultiPolygon(vec![p]))?,
            (true, Geometry::MultiPolygon(m)) => collector.add_area(&rec, m)?,
            (areas, other) => {
                let expected = if areas {
                    "a Polygon or MultiPolygon"
                } else {
                    "a Point"
                };
                return Err(rec.err(
                    "geometry",
                    format!("expected {expected} geometry, found {}", type_name(&other)),
                ));
            }
        }
        summary.read += 1;
        progress(i as u64 + 1, total);
    }
    Ok(collector.finish(summary))
}

/// A transformation from the layer's CRS to WGS84 lon/lat, or `None` when it is WGS84.
fn to_wgs84(mut source: SpatialRef) -> Result<Option<CoordTransform>, ::gdal::errors::GdalError> {
    if source.auth_name().as_deref() == Some("EPSG") && source.auth_code().ok() == Some(4326) {
        return Ok(None);
    }
    source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut target = SpatialRef::from_epsg(4326)?;
    target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&source, &target).map(Some)
}

/// The attribute name before a Shapefile cut it to 10 characters.
fn full_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    LONG_FIELDS
        .iter()
        .find(|long| lower.len() == 10 && long.starts_with(&lower))
        .map_or_else(|| name.to_owned(), |long| (*long).to_owned())
}

fn json(v: FieldValue) -> Value {
    match v {
        FieldValue::IntegerValue(i) => Value::from(i),
        FieldValue::Integer64Value(i) => Value::from(i),
        FieldValue::RealValue(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        FieldValue::StringValue(s) => Value::String(s),
        FieldValue::IntegerListValue(l) => Value::from(l),
        FieldValue::Integer64ListValue(l) => Value::from(l),
        FieldValue::RealListValue(l) => Value::from(l),
        FieldValue::StringListValue(l) => Value::from(l),
        FieldValue::DateValue(d) => Value::String(d.to_string()),
        FieldValue::DateTimeValue(d) => Value::String(d.to_string()),
    }
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}
