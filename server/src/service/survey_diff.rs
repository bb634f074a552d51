//! The survey diff: an uploaded survey of units (GeoJSON or GeoPackage, in WGS84, CGCS2000
//! or a CGCS2000 3° Gauss–Krüger zone) read into WGS84, and compared with the register.

use civmap_data::crs::InputCrs;
use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::diff::{diff_survey, ChangeKind, SurveyDiff, SurveyUnit};
use civmap_geo_core::{AdminCode, AdminUnit};
use geo::{Coord, MapCoords, MultiPolygon};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::service::geojson::{round_mm, Geometry};
use crate::service::ServiceError;

/// Largest upload, bytes.
pub const MAX_SURVEY_BYTES: usize = 64 << 20;

/// Default distance below which a unit or line counts as unchanged, metres: GIS round
/// trips (1e-7° ≈ 1 cm) and GK↔geographic conversions stay well inside it.
pub const DEFAULT_TOLERANCE_M: f64 = 0.05;

/// Today's date in China (UTC+8, the bureau's day, as the register dates exceptions),
/// `YYYY-MM-DD`.
pub fn today() -> String {
    const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
    crate::service::identity::rfc3339(civmap_data::accounts::now_ms() + CHINA_OFFSET_MS)[..10]
        .to_owned()
}

/// Reads an upload by its media type: GeoJSON (`application/geo+json`, `application/json`)
/// or GeoPackage (`application/geopackage+sqlite3`, or `multipart/form-data` with a `file`
/// part). `crs` names the coordinates' CRS when the file does not.
pub fn parse_upload(
    content_type: &str,
    bytes: &[u8],
    crs: Option<&str>,
) -> Result<Vec<SurveyUnit>, ServiceError> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/geo+json" | "application/json" | "" => parse_geojson(bytes, crs),
        "application/geopackage+sqlite3" | "application/x-sqlite3" => parse_geopackage(bytes, crs),
        "multipart/form-data" => Err(ServiceError::invalid(
            "Content-Type",
            "a multipart body is read by the route (its `file` part), not here",
        )),
        other => Err(ServiceError::invalid(
            "Content-Type",
            format!("{other}: send application/geo+json, application/geopackage+sqlite3 or multipart/form-data with a `file` part"),
        )),
    }
}

fn crs_of(name: Option<&str>, param: &str) -> Result<InputCrs, ServiceError> {
    match name {
        None => Ok(InputCrs::Wgs84),
        Some(n) => InputCrs::parse(n).map_err(|e| ServiceError::invalid(param, e.to_string())),
    }
}

/// The EPSG code of a GeoJSON 2008 `crs` member (`urn:ogc:def:crs:EPSG::4549`,
/// `EPSG:4549`, `http://www.opengis.net/def/crs/EPSG/0/4549`, `…OGC:1.3:CRS84`).
fn geojson_crs_member(v: &Value) -> Result<Option<String>, ServiceError> {
    let Some(name) = v.pointer("/crs/properties/name") else {
        return Ok(None);
    };
    let name = name
        .as_str()
        .ok_or_else(|| ServiceError::invalid("crs.properties.name", "must be a string"))?;
    if name.ends_with("CRS84") {
        return Ok(Some("EPSG:4326".into()));
    }
    let code = name
        .rsplit([':', '/'])
        .next()
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ServiceError::invalid(
                "crs.properties.name",
                format!("{name:?} names no EPSG code"),
            )
        })?;
    Ok(Some(format!("EPSG:{code}")))
}

fn to_wgs84(
    g: MultiPolygon<f64>,
    crs: &InputCrs,
    at: &str,
) -> Result<MultiPolygon<f64>, ServiceError> {
    let t = crs
        .transformer()
        .map_err(|e| ServiceError::invalid("crs", e.to_string()))?;
    // identity CRSs go through the transformer too: it range-checks (metres declared as
    // degrees)
    g.try_map_coords(|c: Coord<f64>| t.to_wgs84(c))
        .map_err(|e| ServiceError::invalid(at, e.to_string()))
}

/// A GeoJSON FeatureCollection of units: `properties.code` (12 digits) required,
/// `properties.name` optional; Polygon or MultiPolygon geometries.
pub fn parse_geojson(bytes: &[u8], crs: Option<&str>) -> Result<Vec<SurveyUnit>, ServiceError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ServiceError::invalid("body", format!("not JSON: {e}")))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(ServiceError::invalid(
            "body.type",
            "must be \"FeatureCollection\"",
        ));
    }
    let declared = geojson_crs_member(&v)?;
    let crs = match (crs, declared.as_deref()) {
        (Some(q), _) => crs_of(Some(q), "crs")?,
        (None, d) => crs_of(d, "crs.properties.name")?,
    };
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ServiceError::invalid("body.features", "must be an array"))?;
    if features.is_empty() {
        return Err(ServiceError::invalid(
            "body.features",
            "is empty: a survey needs units",
        ));
    }
    let mut out = Vec::with_capacity(features.len());
    let mut seen = std::collections::HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let at = |field: &str| format!("features[{i}].{field}");
        let code = f
            .pointer("/properties/code")
            .and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .ok_or_else(|| {
                ServiceError::invalid(
                    at("properties.code"),
                    "missing (a 12-digit code is required)",
                )
            })?;
        let code = AdminCode::parse(&code)
            .map_err(|e| ServiceError::invalid(at("properties.code"), e.to_string()))?;
        if !seen.insert(code.clone()) {
            return Err(ServiceError::invalid(
                at("properties.code"),
                format!("{code} appears twice"),
            ));
        }
        let name = f
            .pointer("/properties/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let geometry = f
            .get("geometry")
            .filter(|g| !g.is_null())
            .ok_or_else(|| ServiceError::invalid(at("geometry"), "missing"))?;
        let g: geojson::Geometry = serde_json::from_value(geometry.clone())
            .map_err(|e| ServiceError::invalid(at("geometry"), e.to_string()))?;
        let g: geo::Geometry<f64> = g
            .try_into()
            .map_err(|e: geojson::Error| ServiceError::invalid(at("geometry"), e.to_string()))?;
        let mp = match g {
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(m) => m,
            other => {
                return Err(ServiceError::invalid(
                    at("geometry"),
                    format!(
                        "a unit needs a Polygon or MultiPolygon, not a {}",
                        geometry_name(&other)
                    ),
                ))
            }
        };
        let geometry = to_wgs84(mp, &crs, &at("geometry"))?;
        out.push(SurveyUnit {
            code,
            name,
            geometry,
        });
    }
    Ok(out)
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "non-areal geometry",
    }
}

/// The register compared with a survey, with the Hangzhou GK zone as the metric plane.
pub fn diff(
    register: &[AdminUnit],
    survey: &[SurveyUnit],
    tolerance_m: f64,
) -> Result<SurveyDiffAnswer, ServiceError> {
    let d = diff_survey(register, survey, &GaussKruger::hangzhou(), tolerance_m);
    Ok(SurveyDiffAnswer::new(d, tolerance_m))
}

/// The `file` part of a `multipart/form-data` upload: its file name, the media type to read
/// it as (a GeoPackage by its SQLite header, else GeoJSON) and its bytes.
pub async fn multipart_file(
    content_type: &str,
    body: axum::body::Bytes,
) -> Result<(String, &'static str, axum::body::Bytes), ServiceError> {
    let bad = |m: String| ServiceError::invalid("file", m);
    let boundary = multer::parse_boundary(content_type).map_err(|e| {
        ServiceError::invalid("Content-Type", format!("multipart without a boundary: {e}"))
    })?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("unreadable multipart body: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("{name}: {e}")))?;
        let media = if bytes.starts_with(b"SQLite format 3\0") {
            "application/geopackage+sqlite3"
        } else if name.to_ascii_lowercase().ends_with(".gpkg") {
            return Err(bad(format!(
                "{name} is not a GeoPackage (no SQLite header)"
            )));
        } else {
            "application/geo+json"
        };
        return Ok((name, media, bytes));
    }
    Err(bad("the form has no `file` part".into()))
}

/// A GeoPackage's polygon features with a `code` column, read into WGS84 from its CRS.
pub fn parse_geopackage(bytes: &[u8], crs: Option<&str>) -> Result<Vec<SurveyUnit>, ServiceError> {
    if crs.is_some() {
        return Err(ServiceError::invalid(
            "crs",
            "a GeoPackage names its own CRS (gpkg_spatial_ref_sys); leave out crs",
        ));
    }
    let mut file = tempfile::Builder::new()
        .prefix("civmap-survey-")
        .suffix(".gpkg")
        .tempfile()
        .map_err(ServiceError::internal)?;
    std::io::Write::write_all(&mut file, bytes).map_err(ServiceError::internal)?;
    let features = civmap_data::import::geopackage::read_geopackage(file.path(), None)
        .map_err(|e| ServiceError::invalid("file", e.to_string()))?;
    if features.is_empty() {
        return Err(ServiceError::invalid(
            "file",
            "the GeoPackage has no polygon features: a survey needs units",
        ));
    }
    let mut out = Vec::with_capacity(features.len());
    let mut seen = std::collections::HashSet::new();
    for f in features {
        let at = format!("{}[fid {}].code", f.table, f.fid);
        let code = match f.properties.get("code") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(ServiceError::invalid(
                    at,
                    "missing (a 12-digit code is required)",
                ))
            }
        };
        let code =
            AdminCode::parse(&code).map_err(|e| ServiceError::invalid(&at, e.to_string()))?;
        if !seen.insert(code.clone()) {
            return Err(ServiceError::invalid(at, format!("{code} appears twice")));
        }
        let name = f
            .properties
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        out.push(SurveyUnit {
            code,
            name,
            geometry: f.geometry,
        });
    }
    Ok(out)
}

/// One unit of the survey diff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitDiffView {
    /// Code.
    pub code: String,
    /// Register name, else the surveyed one.
    pub name: Option<String>,
    /// Level.
    pub level: String,
    /// `added`, `removed` or `changed`.
    pub status: String,
    /// Register area, m² (CGCS2000 ellipsoid).
    pub register_area_m2: Option<f64>,
    /// Surveyed area, m².
    pub survey_area_m2: Option<f64>,
    /// Survey minus register, m².
    pub delta_area_m2: Option<f64>,
    /// The same as a percentage of the register area.
    pub delta_area_pct: Option<f64>,
    /// Hausdorff distance between the outlines, m.
    pub hausdorff_m: Option<f64>,
    /// Largest distance from a surveyed vertex to the register outline, m.
    pub max_offset_m: Option<f64>,
}

/// One boundary line of the survey diff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineDiffView {
    /// The register line's id (removed, changed), or the survey's own (added).
    pub id: String,
    /// Level of its units.
    pub level: String,
    /// Unit on its left.
    pub left: String,
    /// Unit on its right; `null` on the outer border.
    pub right: Option<String>,
    /// `added`, `removed` or `changed`.
    pub status: String,
    /// The surveyed line (the register's when removed).
    pub geometry: Geometry,
    /// Hausdorff distance between the versions, m.
    pub hausdorff_m: Option<f64>,
    /// Largest distance from a surveyed vertex to the register line, m.
    pub max_offset_m: Option<f64>,
    /// Survey minus register length, m.
    pub delta_length_m: Option<f64>,
}

/// `POST /api/v1/survey/diff`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyDiffAnswer {
    /// Units added, removed or changed.
    pub units: Vec<UnitDiffView>,
    /// Lines added, removed or changed.
    pub lines: Vec<LineDiffView>,
    /// Surveyed units within the tolerance.
    pub unchanged_units: Vec<String>,
    /// Register lines within the tolerance.
    pub unchanged_lines: Vec<String>,
    /// The tolerance used, m.
    pub tolerance_m: f64,
}

fn status(c: ChangeKind) -> String {
    match c {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
    .to_owned()
}

impl SurveyDiffAnswer {
    fn new(d: SurveyDiff, tolerance_m: f64) -> Self {
        let mm = |v: Option<f64>| v.map(round_mm);
        Self {
            units: d
                .units
                .into_iter()
                .map(|u| UnitDiffView {
                    code: u.code.as_str().to_owned(),
                    name: u.name,
                    level: u.level.as_str().to_owned(),
                    status: status(u.change),
                    register_area_m2: mm(u.register_area_m2),
                    survey_area_m2: mm(u.survey_area_m2),
                    delta_area_m2: mm(u.delta_area_m2),
                    delta_area_pct: u.delta_area_pct.map(|p| (p * 1e6).round() / 1e6),
                    hausdorff_m: mm(u.hausdorff_m),
                    max_offset_m: mm(u.max_offset_m),
                })
                .collect(),
            lines: d
                .lines
                .into_iter()
                .map(|l| LineDiffView {
                    id: l.id,
                    level: l.level.as_str().to_owned(),
                    left: l.left.as_str().to_owned(),
                    right: l.right.map(|c| c.as_str().to_owned()),
                    status: status(l.change),
                    geometry: Geometry::from_geo(&l.geometry),
                    hausdorff_m: mm(l.hausdorff_m),
                    max_offset_m: mm(l.max_offset_m),
                    delta_length_m: mm(l.delta_length_m),
                })
                .collect(),
            unchanged_units: d
                .unchanged_units
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            unchanged_lines: d.unchanged_lines,
            tolerance_m,
        }
    }
}
