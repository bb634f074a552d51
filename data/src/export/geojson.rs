//! GeoJSON writer, and the one feature → JSON conversion the OGC API shares.
//!
//! In EPSG:4490 the file is RFC 7946 GeoJSON (longitude, latitude) plus a `crs` member
//! naming `urn:ogc:def:crs:EPSG::4490`, which RFC 7946 readers ignore and GDAL reads, so
//! that `ogrinfo` reports CGCS2000 rather than WGS 84. In a Gauss–Krüger zone the
//! coordinates are easting, northing in metres with the `crs` member (the 2008 GeoJSON
//! spelling GDAL and QGIS read): that file is **outside RFC 7946**, which allows only
//! WGS84 longitude/latitude.

use std::path::Path;

use geo::{Geometry, MapCoords};
use serde_json::{json, Map, Value as Json};

use super::atomic::TempTarget;
use super::{ExportCrs, ExportError, FeatureTable};

/// Writes `table` as a GeoJSON FeatureCollection at `path`, coordinates in `crs`.
pub fn write(table: &FeatureTable, crs: ExportCrs, path: &Path) -> Result<(), ExportError> {
    table.check()?;
    let features: Vec<Json> = (0..table.rows.len())
        .map(|i| feature_json(table, i, (i as i64 + 1).into(), crs, false))
        .collect();
    let doc = json!({
        "type": "FeatureCollection",
        "name": table.name,
        "crs": { "type": "name", "properties": { "name": format!("urn:ogc:def:crs:EPSG::{}", crs.epsg()) } },
        "features": features,
    });
    let bytes = serde_json::to_vec(&doc).map_err(|e| ExportError::io(path, e.into()))?;
    let t = TempTarget::new(path)?;
    t.write_all(&bytes)?;
    t.commit()
}

/// Row `row` of `table` as a GeoJSON Feature with id `id`, its geometry projected to
/// `crs` and, when `swap_axes`, written (y, x) — latitude first, or northing first — for
/// a CRS whose official axis order puts that axis first.
pub fn feature_json(
    table: &FeatureTable,
    row: usize,
    id: Json,
    crs: ExportCrs,
    swap_axes: bool,
) -> Json {
    let r = &table.rows[row];
    let g = crs.project_geometry(&r.geometry);
    feature_from_parts(table, row, id, &g, swap_axes)
}

/// Row `row` of `table` as a GeoJSON Feature with the geometry `g` already in the output
/// CRS (swapped to (y, x) when `swap_axes`).
pub fn feature_from_parts(
    table: &FeatureTable,
    row: usize,
    id: Json,
    g: &Geometry<f64>,
    swap_axes: bool,
) -> Json {
    let r = &table.rows[row];
    let g = if swap_axes {
        g.map_coords(|c| geo::coord! { x: c.y, y: c.x })
    } else {
        g.clone()
    };
    let props: Map<String, Json> = table
        .fields
        .iter()
        .zip(&r.values)
        .map(|(f, v)| (f.name.clone(), v.to_json()))
        .collect();
    let geometry = serde_json::to_value(geojson::Geometry::from(&g)).unwrap_or(Json::Null);
    json!({ "type": "Feature", "id": id, "geometry": geometry, "properties": props })
}
