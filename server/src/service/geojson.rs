//! Typed GeoJSON (RFC 7946) bodies of the records the API returns: admin units and
//! facilities, and the geometry type every feature uses. Coordinates are rounded to 1e-7°
//! (~1 cm), which keeps bodies small without moving anything a map can show.
//!
//! The types derive `ToSchema`, so `/api/v1/openapi.json` is generated from the same
//! structs that are serialised, and cannot drift from them.

use std::borrow::Cow;

use civmap_geo_core::{AdminUnit, Facility};

use crate::service::as_of::{AsOfBody, ShapeSource};
use geo::MapCoords;
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

/// Rounds a coordinate to 1e-7° (about 1 cm).
pub fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// Rounds a distance to the millimetre.
pub fn round_mm(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A GeoJSON geometry object (RFC 7946 §3.1).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Geometry(pub geojson::Geometry);

impl Geometry {
    /// A geometry from any `geo` type, coordinates rounded to 1e-7°.
    pub fn from_geo<G>(g: &G) -> Self
    where
        G: MapCoords<f64, f64>,
        for<'a> geojson::Geometry: From<&'a G::Output>,
    {
        let rounded = g.map_coords(|c| geo::Coord {
            x: round7(c.x),
            y: round7(c.y),
        });
        Self(geojson::Geometry::from(&rounded))
    }

    /// A point, not rounded (the exact position of a computed answer).
    pub fn point(lon: f64, lat: f64) -> Self {
        Self(geojson::Geometry::from(&geo::Point::new(lon, lat)))
    }
}

impl utoipa::PartialSchema for Geometry {
    fn schema() -> RefOr<Schema> {
        let kinds = [
            "Point",
            "MultiPoint",
            "LineString",
            "MultiLineString",
            "Polygon",
            "MultiPolygon",
        ];
        ObjectBuilder::new()
            .description(Some(
                "A GeoJSON geometry (RFC 7946), WGS84 lon/lat degrees.",
            ))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .enum_values(Some(kinds)),
            )
            .required("type")
            .property("coordinates", ArrayBuilder::new())
            .required("coordinates")
            .into()
    }
}

impl ToSchema for Geometry {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Geometry")
    }
}

/// The `type` member of a Feature.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub enum FeatureTag {
    /// `"Feature"`.
    #[default]
    Feature,
}

/// The `type` member of a FeatureCollection.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub enum CollectionTag {
    /// `"FeatureCollection"`.
    #[default]
    FeatureCollection,
}

/// Properties of an admin unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminProperties {
    /// 12-digit statistical division code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// `city`, `district`, `township` or `community`.
    pub level: String,
    /// Parent unit's code (null for the city).
    pub parent: Option<String>,
    /// Kind of unit (e.g. 街道, 镇, 乡, 社区, 村).
    pub kind: String,
    /// Residents (census 2020 at district level and above; distributed below).
    pub population: u64,
    /// Residents aged 60 and over.
    pub elderly: u64,
    /// Whether the unit's geometry or figures are generated.
    pub synthetic: bool,
    /// Answers `as_of` a past day only: how the shape was obtained from today's polygons,
    /// `current` (today's polygon of the same, unchanged unit), `reconstructed` (the union of
    /// its children's shapes that day) or `unknown` (no shape: the geometry is empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry_source: Option<String>,
    /// Answers `as_of` a past day only: today's codes whose polygons the shape was made from
    /// (population and elderly are their sums).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry_from: Option<Vec<String>>,
}

/// One admin unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminFeature {
    #[serde(rename = "type")]
    pub(crate) tag: FeatureTag,
    /// The code, as the feature id.
    pub id: String,
    /// Polygon or MultiPolygon.
    pub geometry: Geometry,
    /// The unit.
    pub properties: AdminProperties,
}

impl AdminFeature {
    /// The feature of a unit.
    pub fn new(u: &AdminUnit) -> Self {
        Self {
            tag: FeatureTag::Feature,
            id: u.code.as_str().to_owned(),
            geometry: Geometry::from_geo(&u.geometry),
            properties: AdminProperties {
                code: u.code.as_str().to_owned(),
                name: u.name.clone(),
                level: u.level.as_str().to_owned(),
                parent: u.parent.as_ref().map(|p| p.as_str().to_owned()),
                kind: u.kind.clone(),
                population: u.population,
                elderly: u.elderly,
                synthetic: u.synthetic,
                geometry_source: None,
                geometry_from: None,
            },
        }
    }

    /// The feature of a past unit, with how its shape was obtained.
    pub fn past(u: &AdminUnit, source: &ShapeSource) -> Self {
        let mut f = Self::new(u);
        f.properties.geometry_source = Some(source.name().to_owned());
        f.properties.geometry_from = Some(source.from_code_strings());
        f
    }
}

/// Admin units.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminCollection {
    #[serde(rename = "type")]
    pub(crate) tag: CollectionTag,
    /// The units.
    pub features: Vec<AdminFeature>,
    /// Answers `as_of` a past day only: the edition that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

impl AdminCollection {
    /// The collection of some units.
    pub fn new(units: &[&AdminUnit]) -> Self {
        Self {
            tag: CollectionTag::FeatureCollection,
            features: units.iter().map(|u| AdminFeature::new(u)).collect(),
            as_of: None,
        }
    }
}

/// Properties of a facility. Attributes appear only where they apply.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityProperties {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Category id (`/api/v1/categories`).
    pub category: String,
    /// Full address.
    pub address: String,
    /// Code of the unit it stands in.
    pub admin_code: Option<String>,
    /// Hub canteen (elder canteens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub: Option<bool>,
    /// Delivers meals (elder canteens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<bool>,
    /// Demonstration centre (home-care centres).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demonstration: Option<bool>,
    /// Beds (elder-care institutions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beds: Option<u32>,
    /// Nursing beds (elder-care institutions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nursing_beds: Option<u32>,
    /// Generated data.
    pub synthetic: bool,
    /// Distance from the query point, metres (geodesic, or along the network in walk mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Walking time at the profile's speed, seconds (walk mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk_s: Option<f64>,
    /// `walk` when distances are along the network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// One facility.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityFeature {
    #[serde(rename = "type")]
    pub(crate) tag: FeatureTag,
    /// The facility id.
    pub id: String,
    /// Point.
    pub geometry: Geometry,
    /// The facility.
    pub properties: FacilityProperties,
}

impl FacilityFeature {
    /// The feature of a facility, with its distance from a query point.
    pub fn new(f: &Facility, distance_m: Option<f64>) -> Self {
        let a = &f.attributes;
        Self {
            tag: FeatureTag::Feature,
            id: f.id.clone(),
            geometry: Geometry::from_geo(&f.location),
            properties: FacilityProperties {
                id: f.id.clone(),
                name: f.name.clone(),
                category: f.category.id().to_owned(),
                address: f.address.clone(),
                admin_code: f.admin_code.as_ref().map(|c| c.as_str().to_owned()),
                hub: a.hub.then_some(true),
                delivery: a.delivery.then_some(true),
                demonstration: a.demonstration.then_some(true),
                beds: a.beds,
                nursing_beds: a.nursing_beds,
                synthetic: f.synthetic,
                distance_m: distance_m.map(round_mm),
                walk_s: None,
                mode: None,
            },
        }
    }
}

/// Facilities.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityCollection {
    #[serde(rename = "type")]
    pub(crate) tag: CollectionTag,
    /// The facilities.
    pub features: Vec<FacilityFeature>,
    /// How many matched before `limit` (bbox listing only).
    #[serde(rename = "numberMatched", skip_serializing_if = "Option::is_none")]
    pub number_matched: Option<usize>,
    /// How many are returned (bbox listing only).
    #[serde(rename = "numberReturned", skip_serializing_if = "Option::is_none")]
    pub number_returned: Option<usize>,
}

impl FacilityCollection {
    /// A collection of features, without counts.
    pub fn new(features: Vec<FacilityFeature>) -> Self {
        Self {
            tag: CollectionTag::FeatureCollection,
            features,
            number_matched: None,
            number_returned: None,
        }
    }
}
