//! The gazetteer's questions: search, autocomplete, address parsing and reverse geocoding,
//! over the in-memory [`Gazetteer`](civmap_geo_core::gazetteer::Gazetteer) (Chinese,
//! pinyin, initials, English, typos, homophones, old names, Chinese numerals).

use civmap_geo_core::gazetteer::{PlaceKind, SearchHit, SearchOptions};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::data::{DataService, LiveData};
use crate::service::geojson::{round_mm, CollectionTag, FeatureTag, Geometry};
use crate::service::spatial::ChainLink;
use crate::service::ServiceError;

/// Most results a search returns.
pub const MAX_LIMIT: usize = 50;

/// Properties of a place found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceProperties {
    /// Display name, e.g. `北山街道` or `文三路12号`.
    pub name: String,
    /// `admin`, `road`, `facility`, `doorplate` or `landmark`.
    pub kind: String,
    /// 12-digit code (admin units).
    pub code: Option<String>,
    /// Full address.
    pub label: String,
    /// Ranking score; higher is better.
    pub score: f64,
    /// Generated data.
    pub synthetic: bool,
}

/// A place found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// Point.
    pub geometry: Geometry,
    /// The place.
    pub properties: PlaceProperties,
}

/// Places found, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceCollection {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// The places.
    pub features: Vec<PlaceFeature>,
}

/// One component of a parsed address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressComponent {
    /// `province`, `city`, `district`, `township`, `community`, `road`, `number`, …
    pub level: String,
    /// The text of the component.
    pub text: String,
    /// The unit's code, where it resolved to one.
    pub code: Option<String>,
}

/// Properties of the doorplate an address resolves to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DoorplateMatchProperties {
    /// `doorplate`.
    pub kind: String,
    /// The full doorplate address.
    pub name: String,
    /// Doorplate id.
    pub id: u64,
    /// Its community's code.
    pub community: Option<String>,
    /// Generated data.
    pub synthetic: bool,
}

/// The doorplate an address resolves to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DoorplateMatch {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// Point.
    pub geometry: Geometry,
    /// The doorplate.
    pub properties: DoorplateMatchProperties,
}

/// `GET /api/v1/address/parse`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParsedAddressBody {
    /// Components, top down.
    pub components: Vec<AddressComponent>,
    /// The doorplate, when road and number resolve to one.
    #[serde(rename = "match")]
    pub matched: Option<DoorplateMatch>,
}

/// The nearest doorplate of a reverse lookup.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReverseDoorplate {
    /// Doorplate id.
    pub id: u64,
    /// Full address.
    pub address: String,
    /// Road name.
    pub road: String,
    /// House number.
    pub number: u32,
    /// Position.
    pub lon: f64,
    /// Position.
    pub lat: f64,
    /// Geodesic distance from the query point, metres.
    pub distance_m: f64,
    /// Generated data.
    pub synthetic: bool,
}

/// The nearest street of a reverse lookup.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReverseRoad {
    /// Street name (null when unnamed).
    pub name: Option<String>,
    /// Distance from the query point to the street, metres.
    pub distance_m: f64,
}

/// `GET /api/v1/reverse`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reverse {
    /// The point.
    pub lon: f64,
    /// The point.
    pub lat: f64,
    /// The units holding it, city first.
    pub chain: Vec<ChainLink>,
    /// The nearest doorplate.
    pub doorplate: Option<ReverseDoorplate>,
    /// The nearest street.
    pub road: Option<ReverseRoad>,
}

impl LiveData {
    fn hit_synthetic(&self, hit: &SearchHit) -> bool {
        let d = self.data.data();
        let r = hit.record as usize;
        match hit.kind {
            PlaceKind::Admin => d.admin.get(r).is_some_and(|u| u.synthetic),
            PlaceKind::Facility => d.facilities.get(r).is_some_and(|f| f.synthetic),
            PlaceKind::Doorplate => d.doorplates.get(r).is_some_and(|x| x.synthetic),
            PlaceKind::Landmark => d.landmarks.get(r).is_some_and(|x| x.synthetic),
            PlaceKind::Road => d.network.synthetic,
        }
    }

    fn places(&self, hits: &[SearchHit]) -> PlaceCollection {
        PlaceCollection {
            tag: CollectionTag::FeatureCollection,
            features: hits
                .iter()
                .map(|hit| PlaceFeature {
                    tag: FeatureTag::Feature,
                    geometry: Geometry::point(hit.lon, hit.lat),
                    properties: PlaceProperties {
                        name: hit.name.clone(),
                        kind: hit.kind.as_str().to_owned(),
                        code: hit.code.clone(),
                        label: hit.label.clone(),
                        score: (hit.score * 1e4).round() / 1e4,
                        synthetic: self.hit_synthetic(hit),
                    },
                })
                .collect(),
        }
    }
}

impl DataService {
    /// Ranked search with an optional bias point and kind filter.
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        near: Option<(f64, f64)>,
        kinds: Vec<PlaceKind>,
    ) -> Result<PlaceCollection, ServiceError> {
        let live = self.read();
        let hits = live
            .gazetteer
            .search(text, &SearchOptions { limit, near, kinds })?;
        Ok(live.places(&hits))
    }

    /// Prefix completion.
    pub fn autocomplete(&self, text: &str, limit: usize) -> Result<PlaceCollection, ServiceError> {
        let live = self.read();
        let hits = live.gazetteer.autocomplete(text, limit)?;
        Ok(live.places(&hits))
    }

    /// An address split into components, with the doorplate it names.
    pub fn parse_address(&self, text: &str) -> Result<ParsedAddressBody, ServiceError> {
        let live = self.read();
        let parsed = live.gazetteer.parse_address(text)?;
        let components = parsed
            .components
            .iter()
            .map(|c| AddressComponent {
                level: c.level.to_string(),
                text: c.text.clone(),
                code: c.code.clone(),
            })
            .collect();
        let matched = parsed
            .doorplate
            .and_then(|i| live.data.data().doorplates.get(i as usize))
            .map(|d| DoorplateMatch {
                tag: FeatureTag::Feature,
                geometry: Geometry::point(d.location.x(), d.location.y()),
                properties: DoorplateMatchProperties {
                    kind: "doorplate".to_owned(),
                    name: d.address(),
                    id: d.id,
                    community: d.community.as_ref().map(|c| c.as_str().to_owned()),
                    synthetic: d.synthetic,
                },
            });
        Ok(ParsedAddressBody {
            components,
            matched,
        })
    }

    /// The admin chain, nearest doorplate and nearest street of a point.
    pub fn reverse(&self, lon: f64, lat: f64) -> Result<Reverse, ServiceError> {
        let live = self.read();
        let d = live.data.data();
        let chain = live.admin_chain(lon, lat)?;
        let doorplate = live
            .data
            .index()
            .doorplates()
            .nearest(lon, lat, 1)?
            .first()
            .map(|&(i, dist)| {
                let x = &d.doorplates[i as usize];
                ReverseDoorplate {
                    id: x.id,
                    address: x.address(),
                    road: x.road.clone(),
                    number: x.number,
                    lon: x.location.x(),
                    lat: x.location.y(),
                    distance_m: round_mm(dist),
                    synthetic: x.synthetic,
                }
            });
        let road = live.snapper.snap(lon, lat).map(|snap| {
            let e = &d.network.edges[snap.edge as usize];
            ReverseRoad {
                name: d.network.road_name(e).map(str::to_owned),
                distance_m: round_mm(snap.offset_m),
            }
        });
        Ok(Reverse {
            lon,
            lat,
            chain,
            doorplate,
            road,
        })
    }
}
