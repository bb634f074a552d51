use geo::Point;
use serde::{Deserialize, Serialize};

/// A named place that is not one of our facility categories: a square, a school, a shop,
/// a station (from OSM POIs or an import), searchable by the gazetteer as `kind=landmark`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Landmark {
    /// Stable id, e.g. `osm:node/123`.
    pub id: String,
    /// Name as shown to the public.
    pub name: String,
    /// What it is, e.g. `amenity=school` for OSM POIs.
    pub kind: String,
    /// Location in WGS84 degrees.
    pub location: Point<f64>,
    /// Whether the record is generated.
    pub synthetic: bool,
}
