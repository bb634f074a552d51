//! civmap's layers as [`FeatureTable`]s: one small function per layer, shared by
//! `civmap export` and the OGC API. Adding a layer is one more function here.

use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::markers::Marker;
use civmap_geo_core::survey::Finding;
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
use geo::{Area, GeodesicArea, Geometry, LineString, MapCoords, Point};

use super::{FeatureRow, FeatureTable, Field, FieldKind, GeometryType, Value};

/// Admin units as a table named `name`: `code`, `name`, `level`, `parent`, `kind`,
/// `population`, `elderly` (unit totals only, no person-level data), `synthetic`,
/// `area_m2` and `perimeter_m` (geodesic, on the WGS84 ellipsoid, which differs from
/// CGCS2000's by about 5e-9 relative) and `gk_area_m2` (planar, in EPSG:4549 —
/// 3-degree Gauss–Krüger CM 120°E — what `ST_Area` of an EPSG:4549 export gives).
///
/// ```
/// use civmap_data::export::layers::admin_table;
/// let t = admin_table("districts", &[]);
/// assert_eq!(t.fields[0].name, "code");
/// assert!(t.rows.is_empty());
/// ```
pub fn admin_table<'a>(name: &str, units: impl IntoIterator<Item = &'a AdminUnit>) -> FeatureTable {
    let gk = GaussKruger::hangzhou();
    let rows = units
        .into_iter()
        .map(|u| {
            // lead: swap for survey::measure (CGCS2000 ellipsoid) when it merges
            let (perimeter_m, area_m2) = u.geometry.geodesic_perimeter_area_unsigned();
            let gk_area_m2 = u.geometry.map_coords(|c| gk.forward(c)).unsigned_area();
            FeatureRow::new(
                u.geometry.clone().into(),
                vec![
                    Value::Text(u.code.as_str().to_owned()),
                    Value::Text(u.name.clone()),
                    Value::Text(u.level.as_str().to_owned()),
                    u.parent
                        .as_ref()
                        .map_or(Value::Null, |p| Value::Text(p.as_str().to_owned())),
                    Value::Text(u.kind.clone()),
                    Value::Integer(u.population as i64),
                    Value::Integer(u.elderly as i64),
                    Value::Boolean(u.synthetic),
                    Value::Real(area_m2),
                    Value::Real(perimeter_m),
                    Value::Real(gk_area_m2),
                ],
            )
        })
        .collect();
    FeatureTable {
        name: name.to_owned(),
        geometry_type: GeometryType::MultiPolygon,
        fields: vec![
            Field::new("code", FieldKind::Text),
            Field::new("name", FieldKind::Text),
            Field::new("level", FieldKind::Text),
            Field::new("parent", FieldKind::Text),
            Field::new("kind", FieldKind::Text),
            Field::new("population", FieldKind::Integer),
            Field::new("elderly", FieldKind::Integer),
            Field::new("synthetic", FieldKind::Boolean),
            Field::new("area_m2", FieldKind::Real),
            Field::new("perimeter_m", FieldKind::Real),
            Field::new("gk_area_m2", FieldKind::Real),
        ],
        rows,
    }
}

/// The table (and OGC API collection) name of one level's units — `city`, `districts`,
/// `townships`, `communities` — or `units` for every level.
pub fn admin_table_name(level: Option<AdminLevel>) -> &'static str {
    match level {
        None => "units",
        Some(AdminLevel::City) => "city",
        Some(AdminLevel::District) => "districts",
        Some(AdminLevel::Township) => "townships",
        Some(AdminLevel::Community) => "communities",
    }
}

/// Validation findings as a table named `validation_errors`: `rule`, `level`, `codes`
/// (comma-separated), `marker`, `area_m2`, `width_m`, `detail`; mixed geometry types.
pub fn findings_table(findings: &[Finding]) -> FeatureTable {
    let opt_real = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
    FeatureTable {
        name: "validation_errors".to_owned(),
        geometry_type: GeometryType::Geometry,
        fields: vec![
            Field::new("rule", FieldKind::Text),
            Field::new("level", FieldKind::Text),
            Field::new("codes", FieldKind::Text),
            Field::new("marker", FieldKind::Text),
            Field::new("area_m2", FieldKind::Real),
            Field::new("width_m", FieldKind::Real),
            Field::new("detail", FieldKind::Text),
        ],
        rows: findings
            .iter()
            .map(|f| {
                FeatureRow::new(
                    f.geometry.clone(),
                    vec![
                        Value::Text(f.rule.as_str().to_owned()),
                        f.level
                            .map_or(Value::Null, |l| Value::Text(l.as_str().to_owned())),
                        Value::Text(
                            f.codes
                                .iter()
                                .map(AdminCode::as_str)
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                        f.marker.clone().map_or(Value::Null, Value::Text),
                        opt_real(f.area_m2),
                        opt_real(f.width_m),
                        Value::Text(f.detail.clone()),
                    ],
                )
            })
            .collect(),
    }
}

/// The marker register as a table named `markers`: `number`, `line`, `kind` (type code),
/// `status`, `last_inspected` (date of the latest inspection), `inspector`, `offset_m`
/// (of the latest inspection), `inspections` (how many).
pub fn markers_table(markers: &[Marker]) -> FeatureTable {
    FeatureTable {
        name: "markers".to_owned(),
        geometry_type: GeometryType::Point,
        fields: vec![
            Field::new("number", FieldKind::Text),
            Field::new("line", FieldKind::Text),
            Field::new("kind", FieldKind::Text),
            Field::new("status", FieldKind::Text),
            Field::new("last_inspected", FieldKind::Date),
            Field::new("inspector", FieldKind::Text),
            Field::new("offset_m", FieldKind::Real),
            Field::new("inspections", FieldKind::Integer),
        ],
        rows: markers
            .iter()
            .map(|m| {
                let last = m.inspections.last();
                FeatureRow::new(
                    Point::new(m.lon, m.lat).into(),
                    vec![
                        Value::Text(m.number.clone()),
                        Value::Text(m.line.clone()),
                        Value::Text(m.kind.as_str().to_owned()),
                        Value::Text(m.status.as_str().to_owned()),
                        last.map_or(Value::Null, |i| Value::Date(i.date.clone())),
                        last.map_or(Value::Null, |i| Value::Text(i.inspector.clone())),
                        last.and_then(|i| i.offset_m)
                            .map_or(Value::Null, Value::Real),
                        Value::Integer(m.inspections.len() as i64),
                    ],
                )
            })
            .collect(),
    }
}

/// What the `boundaries` table needs of a boundary line.
///
/// **Integration point (lead):** `survey::lines::BoundaryLine` is not on this branch;
/// when it merges, implement this trait for it (each method returns the field of the
/// same name) and pass the lines to [`boundaries_table`].
pub trait BoundaryLineRecord {
    /// Stable id.
    fn id(&self) -> &str;
    /// Level of the two units.
    fn level(&self) -> AdminLevel;
    /// Code of the unit on the left.
    fn left(&self) -> &AdminCode;
    /// Code of the unit on the right (`None` on the outer border).
    fn right(&self) -> Option<&AdminCode>;
    /// The line, WGS84.
    fn geometry(&self) -> &LineString<f64>;
    /// Geodesic length on the CGCS2000 ellipsoid, m.
    fn length_m(&self) -> f64;
    /// Planar length in the 3° Gauss–Krüger zone, m.
    fn gk_length_m(&self) -> f64;
}

/// Boundary lines as a table named `boundaries`: `id`, `level`, `left`, `right`,
/// `length_m`, `gk_length_m`.
pub fn boundaries_table<L: BoundaryLineRecord>(lines: &[L]) -> FeatureTable {
    FeatureTable {
        name: "boundaries".to_owned(),
        geometry_type: GeometryType::LineString,
        fields: vec![
            Field::new("id", FieldKind::Text),
            Field::new("level", FieldKind::Text),
            Field::new("left", FieldKind::Text),
            Field::new("right", FieldKind::Text),
            Field::new("length_m", FieldKind::Real),
            Field::new("gk_length_m", FieldKind::Real),
        ],
        rows: lines
            .iter()
            .map(|l| {
                FeatureRow::new(
                    Geometry::LineString(l.geometry().clone()),
                    vec![
                        Value::Text(l.id().to_owned()),
                        Value::Text(l.level().as_str().to_owned()),
                        Value::Text(l.left().as_str().to_owned()),
                        l.right()
                            .map_or(Value::Null, |r| Value::Text(r.as_str().to_owned())),
                        Value::Real(l.length_m()),
                        Value::Real(l.gk_length_m()),
                    ],
                )
            })
            .collect(),
    }
}
