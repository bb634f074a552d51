//! The gazetteer's questions: search, autocomplete, address parsing and reverse geocoding,
//! over the in-memory [`Gazetteer`](civmap_geo_core::gazetteer::Gazetteer) (Chinese,
//! pinyin, initials, English, typos, homophones, old names, Chinese numerals).

use civmap_geo_core::gazetteer::{
    Component, MatchInfo, PlaceKind, SearchHit, SearchOptions, REVERSE_MAX_DISTANCE_M,
};
use civmap_geo_core::history::Resolution;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::as_of::{AsOf, AsOfBody};
use crate::service::data::{DataService, LiveData};
use crate::service::geojson::{round_mm, CollectionTag, FeatureTag, Geometry};
use crate::service::history::history;
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
    /// How the query matched it.
    #[serde(rename = "match")]
    pub how: MatchBody,
    /// The district it lies in (roads: the district of this road).
    pub district: Option<String>,
    /// The township it lies in.
    pub township: Option<String>,
    /// Roads: `[min_lon, min_lat, max_lon, max_lat]` of its doorplates and edges.
    pub extent: Option<[f64; 4]>,
    /// Roads: lowest and highest doorplate number.
    pub numbers: Option<[u32; 2]>,
    /// Hits read as an address: `exact`, `partial` or `fuzzy`.
    pub quality: Option<String>,
    /// Hits read as an address: components that agree with the hit.
    pub matched: Option<Vec<AddressComponent>>,
    /// Hits read as an address: components that do not (reported, never dropped).
    pub unmatched: Option<Vec<AddressComponent>>,
    /// Answers `as_of` a past day only: how the unit's shape that day was obtained
    /// (`current`, `reconstructed`; `unknown`: the point is its parent's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry_source: Option<String>,
}

/// A former name and what happened to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormerNameBody {
    /// The former name, e.g. `下城区`.
    pub name: String,
    /// The unit it leads to today, e.g. `拱墅区`.
    pub current: String,
    /// Year of the change.
    pub year: Option<u16>,
    /// The event, e.g. `renamed to 长庆新街道 on 2026-12-01 (杭政函〔2026〕1号)`.
    pub event: String,
    /// From the division history: `merged`, `renamed`, `split`, `moved`, `recoded` or
    /// `abolished` (absent when the history does not know the name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// When the name ended, `YYYY-MM-DD`: for a change in the division history, the
    /// cut-off day of the first edition that shows it (it took effect after `after`); for
    /// a rename recorded in the name registry, the day of the rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// From the division history: the cut-off day of the last edition before the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// How a hit matched the query.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchBody {
    /// `exact`, `prefix`, `pinyin`, `initials`, `english`, `fuzzy`, `former_name`,
    /// `partial`, `address`, `category` or `code`.
    pub kind: String,
    /// Typos, for `fuzzy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u8>,
    /// The event, for `former_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub former: Option<FormerNameBody>,
    /// The type of the name matched: `standard`, `short`, `alias`, `former` or
    /// `colloquial` (absent for code, address and category matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_type: Option<String>,
}

/// A value's serde tag (`snake_case` enum → its name).
fn tag<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<&MatchInfo> for MatchBody {
    fn from(m: &MatchInfo) -> Self {
        Self {
            kind: tag(&m.kind),
            distance: m.distance,
            former: m.former.as_ref().map(|f| FormerNameBody {
                name: f.name.clone(),
                current: f.current.clone(),
                year: f.year,
                event: f.event.clone(),
                kind: None,
                date: f.date.clone(),
                after: None,
            }),
            name_type: m.name_type.map(|t| t.as_str().to_owned()),
        }
    }
}

impl From<&Component> for AddressComponent {
    fn from(c: &Component) -> Self {
        Self {
            level: c.level.to_owned(),
            text: c.text.clone(),
            code: c.code.clone(),
            reason: c.reason.clone(),
        }
    }
}

fn components(cs: &[Component]) -> Vec<AddressComponent> {
    cs.iter().map(AddressComponent::from).collect()
}

/// A place found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceFeature {
    #[serde(rename = "type")]
    pub(crate) tag: FeatureTag,
    /// Point.
    pub geometry: Geometry,
    /// The place.
    pub properties: PlaceProperties,
}

/// Places found, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceCollection {
    #[serde(rename = "type")]
    pub(crate) tag: CollectionTag,
    /// The places.
    pub features: Vec<PlaceFeature>,
    /// Answers `as_of` a past day only: the edition that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
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
    /// Why it is unmatched (`not in 钱塘区`, `unknown road`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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
    /// The doorplate, when road and number resolve to one inside the named units.
    #[serde(rename = "match")]
    pub doorplate: Option<DoorplateMatch>,
    /// `exact` when every component resolved together, `partial` when some did not,
    /// `fuzzy` when the road was found by sound only; null when nothing was recognised.
    pub quality: Option<String>,
    /// Components that agree with each other and the data.
    pub matched: Vec<AddressComponent>,
    /// Components that conflict or are unknown, with the reason.
    pub unmatched: Vec<AddressComponent>,
    /// The house number (`8` of `8-1号`).
    pub number: Option<u32>,
    /// The sub-number (`1` of `8-1号` or `8之1号`).
    pub sub_number: Option<u32>,
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
    /// True beyond the city's units or farther than 1 km from any doorplate (then the
    /// chain is empty and there is no doorplate or road).
    pub outside: bool,
    /// Answers `as_of` a past day only: the edition that answered the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

/// What a past reverse lookup does not date.
const REVERSE_NOTE: &str = "the admin chain is as of that day; the doorplate and the road are today's (no dated doorplate or road register is held)";

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
                        how: MatchBody::from(&hit.how),
                        district: hit.district.clone(),
                        township: hit.township.clone(),
                        extent: hit.extent,
                        numbers: hit.numbers,
                        quality: hit.address.as_ref().map(|a| tag(&a.quality)),
                        matched: hit.address.as_ref().map(|a| components(&a.matched)),
                        unmatched: hit.address.as_ref().map(|a| components(&a.unmatched)),
                        geometry_source: None,
                    },
                })
                .collect(),
            as_of: None,
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
        let mut places = live.places(&hits);
        date_former_names(&mut places);
        Ok(places)
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
        let doorplate = parsed
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
            components: components(&parsed.components),
            doorplate,
            quality: parsed.quality.as_ref().map(tag),
            matched: components(&parsed.matched),
            unmatched: components(&parsed.unmatched),
            number: parsed.number,
            sub_number: parsed.sub_number,
        })
    }

    /// The admin chain, nearest doorplate and nearest street of a point; `outside` (and
    /// nothing else) beyond the city's units or farther than
    /// [`REVERSE_MAX_DISTANCE_M`] from any doorplate — a bounded search, fast from anywhere.
    pub fn reverse(&self, lon: f64, lat: f64) -> Result<Reverse, ServiceError> {
        self.reverse_as_of(lon, lat, AsOf::Today)
    }

    /// [`Self::reverse`] on a day: the admin chain of the edition in force (blocking: the
    /// first question about an edition builds its view); doorplates and roads are today's,
    /// as the answer's `as_of.notes` say.
    pub fn reverse_as_of(&self, lon: f64, lat: f64, as_of: AsOf) -> Result<Reverse, ServiceError> {
        let past = match as_of {
            AsOf::Past { edition, day } => Some((self.as_of_view(edition)?, day)),
            AsOf::Today => None,
        };
        let live = self.read();
        let d = live.data.data();
        let chain = match &past {
            Some((view, _)) => ChainLink::chain_as_of(view, lon, lat)?,
            None => live.admin_chain(lon, lat)?,
        };
        let as_of_body = past
            .as_ref()
            .map(|(view, day)| view.body(*day, &[REVERSE_NOTE]));
        let nearest = if chain.is_empty() {
            None
        } else {
            live.data
                .index()
                .doorplates()
                .nearest_within(lon, lat, REVERSE_MAX_DISTANCE_M)?
        };
        let Some(nearest) = nearest else {
            return Ok(Reverse {
                lon,
                lat,
                chain: Vec::new(),
                doorplate: None,
                road: None,
                outside: true,
                as_of: as_of_body,
            });
        };
        let doorplate = Some(nearest).map(|(i, dist)| {
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
            outside: false,
            as_of: as_of_body,
        })
    }
}

/// Adds the division history's kind and dates of the change to the former-name matches of a
/// search (`下城区` → 拱墅区: merged, 2021-10-31).
fn date_former_names(places: &mut PlaceCollection) {
    let Ok(h) = history() else { return };
    for f in &mut places.features {
        let Some(former) = f.properties.how.former.as_mut() else {
            continue;
        };
        let found = h.former_names(&former.name);
        let best = found
            .iter()
            .find(|r| r.now.iter().any(|n| n.name == former.current))
            .or_else(|| found.first());
        let Some(event) = best.and_then(|r: &Resolution| {
            r.events
                .iter()
                .find(|e| e.unit == r.matched.unit)
                .or_else(|| r.events.first())
        }) else {
            continue;
        };
        former.kind = Some(event.kind.as_str().to_owned());
        former.date = Some(event.date.to_string());
        former.after = Some(event.after.to_string());
    }
}
