//! The one shape every export takes: a named table of WGS84 geometries and typed values.

use geo::Geometry;

use super::ExportError;

/// A layer to export: a name, one geometry type, typed fields and rows.
///
/// Geometries are WGS84 longitude/latitude (`x` = longitude); the writers project them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Table (layer) name, e.g. `townships`; also the file stem a Shapefile's `.dbf` fields
    /// are named for. ASCII letters, digits and `_` travel best.
    pub name: String,
    /// The geometry type every row has ([`GeometryType::Geometry`] for mixed tables).
    pub geometry_type: GeometryType,
    /// The attribute columns, in order.
    pub fields: Vec<Field>,
    /// The features.
    pub rows: Vec<FeatureRow>,
}

/// The geometry type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeometryType {
    /// Points.
    Point,
    /// Lines.
    LineString,
    /// Polygons.
    Polygon,
    /// Multi-points.
    MultiPoint,
    /// Multi-lines.
    MultiLineString,
    /// Multi-polygons.
    MultiPolygon,
    /// Any geometry (mixed tables such as validation findings).
    Geometry,
}

impl GeometryType {
    /// The GeoPackage / OGC name, e.g. `MULTIPOLYGON`.
    pub fn ogc_name(self) -> &'static str {
        match self {
            Self::Point => "POINT",
            Self::LineString => "LINESTRING",
            Self::Polygon => "POLYGON",
            Self::MultiPoint => "MULTIPOINT",
            Self::MultiLineString => "MULTILINESTRING",
            Self::MultiPolygon => "MULTIPOLYGON",
            Self::Geometry => "GEOMETRY",
        }
    }

    /// Whether a geometry may be stored in a column of this type (a single polygon fits a
    /// multi-polygon column and so on).
    pub fn admits(self, g: &Geometry<f64>) -> bool {
        matches!(
            (self, g),
            (Self::Geometry, _)
                | (Self::Point, Geometry::Point(_))
                | (Self::LineString, Geometry::LineString(_))
                | (Self::Polygon, Geometry::Polygon(_))
                | (
                    Self::MultiPoint,
                    Geometry::Point(_) | Geometry::MultiPoint(_)
                )
                | (
                    Self::MultiLineString,
                    Geometry::LineString(_) | Geometry::MultiLineString(_)
                )
                | (
                    Self::MultiPolygon,
                    Geometry::Polygon(_) | Geometry::MultiPolygon(_)
                )
        )
    }
}

/// One attribute column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Column name (Shapefiles keep the first 10 bytes).
    pub name: String,
    /// What it holds.
    pub kind: FieldKind,
}

impl Field {
    /// A field named `name` holding `kind`.
    pub fn new(name: impl Into<String>, kind: FieldKind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// 64-bit integers.
    Integer,
    /// Doubles.
    Real,
    /// UTF-8 text.
    Text,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// True or false.
    Boolean,
}

/// One value of a row; [`Value::Null`] fits every field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// For [`FieldKind::Integer`].
    Integer(i64),
    /// For [`FieldKind::Real`].
    Real(f64),
    /// For [`FieldKind::Text`].
    Text(String),
    /// For [`FieldKind::Date`]: `YYYY-MM-DD`.
    Date(String),
    /// For [`FieldKind::Boolean`].
    Boolean(bool),
}

impl Value {
    /// Whether this value may stand in a field of `kind`.
    pub fn fits(&self, kind: FieldKind) -> bool {
        matches!(
            (self, kind),
            (Value::Null, _)
                | (Value::Integer(_), FieldKind::Integer)
                | (Value::Real(_), FieldKind::Real)
                | (Value::Text(_), FieldKind::Text)
                | (Value::Date(_), FieldKind::Date)
                | (Value::Boolean(_), FieldKind::Boolean)
        )
    }

    /// The value as JSON (`null`, a number, a string or a boolean).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Integer(i) => (*i).into(),
            Value::Real(r) => serde_json::Number::from_f64(*r)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(s) | Value::Date(s) => s.clone().into(),
            Value::Boolean(b) => (*b).into(),
        }
    }
}

/// One feature: its WGS84 geometry and one value per field.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// WGS84 longitude/latitude.
    pub geometry: Geometry<f64>,
    /// One value per field of the table, in the fields' order.
    pub values: Vec<Value>,
}

impl FeatureRow {
    /// A row of `geometry` and `values`.
    pub fn new(geometry: Geometry<f64>, values: Vec<Value>) -> Self {
        Self { geometry, values }
    }
}

impl FeatureTable {
    /// Checks that every row has one value of the right kind per field, a geometry the
    /// table's type admits, and finite coordinates; and that field names are unique.
    pub fn check(&self) -> Result<(), ExportError> {
        if self.name.trim().is_empty() {
            return Err(ExportError::bad(&self.name, "table", "empty table name"));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if f.name.trim().is_empty() {
                return Err(ExportError::bad(
                    &self.name,
                    format!("field {i}"),
                    "empty field name",
                ));
            }
            let dup = self.fields[..i]
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(&f.name));
            if dup || f.name.eq_ignore_ascii_case("fid") || f.name.eq_ignore_ascii_case("geom") {
                return Err(ExportError::bad(
                    &self.name,
                    format!("field {:?}", f.name),
                    "duplicate or reserved field name (fid and geom are the writers')",
                ));
            }
        }
        for (r, row) in self.rows.iter().enumerate() {
            let at = || format!("row {r}");
            if row.values.len() != self.fields.len() {
                return Err(ExportError::bad(
                    &self.name,
                    at(),
                    format!(
                        "{} values for {} fields",
                        row.values.len(),
                        self.fields.len()
                    ),
                ));
            }
            for (v, f) in row.values.iter().zip(&self.fields) {
                if !v.fits(f.kind) {
                    return Err(ExportError::bad(
                        &self.name,
                        at(),
                        format!("value {v:?} does not fit field {:?} ({:?})", f.name, f.kind),
                    ));
                }
            }
            if !self.geometry_type.admits(&row.geometry) {
                return Err(ExportError::bad(
                    &self.name,
                    at(),
                    format!(
                        "geometry does not fit the table's type {}",
                        self.geometry_type.ogc_name()
                    ),
                ));
            }
            use geo::CoordsIter;
            if row
                .geometry
                .coords_iter()
                .any(|c| !(c.x.is_finite() && c.y.is_finite()))
            {
                return Err(ExportError::bad(
                    &self.name,
                    at(),
                    "a coordinate is not finite",
                ));
            }
        }
        Ok(())
    }
}
