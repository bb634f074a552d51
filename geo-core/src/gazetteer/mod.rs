//! The gazetteer: place-name search, autocomplete and address parsing over a [`Dataset`],
//! in memory.
//!
//! Why its own index rather than a full-text engine: Chinese place names are short (2–8
//! characters) and people type them in five ways — characters, full pinyin, initials, English
//! and mixtures, with homophones and typos. Splitting into single characters (Nominatim's
//! #692) drowns the signal, so every name is indexed under whole-name keys (official, short
//! form, old names, pinyin, initials, English) in one sorted array — prefix search is a
//! binary search — plus a character-bigram index for partial Chinese and a letter-trigram
//! index that bounds the candidates of the Damerau–Levenshtein typo search.
//!
//! ```
//! use civmap_geo_core::gazetteer::{hangzhou_aliases, Gazetteer, SearchOptions};
//! use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit, Dataset};
//! use geo::{polygon, MultiPolygon};
//! let square = MultiPolygon(vec![polygon![(x: 120.1, y: 30.2), (x: 120.2, y: 30.2),
//!     (x: 120.2, y: 30.3), (x: 120.1, y: 30.3)]]);
//! let unit = |code: &str, name: &str, level, parent: Option<&str>, kind: &str| AdminUnit {
//!     code: AdminCode::parse(code).unwrap(), name: name.into(), level,
//!     parent: parent.map(|p| AdminCode::parse(p).unwrap()), kind: kind.into(),
//!     geometry: square.clone(), population: 0, elderly: 0, synthetic: false };
//! let mut ds = Dataset::default();
//! ds.admin.push(unit("330100000000", "杭州市", AdminLevel::City, None, "city"));
//! ds.admin.push(unit("330106000000", "西湖区", AdminLevel::District,
//!     Some("330100000000"), "urban_district"));
//! let gz = Gazetteer::build(&ds, &hangzhou_aliases());
//! for q in ["西湖区", "xihu", "xhq", "Xihu District", "xihuqv"] {
//!     let hits = gz.search(q, &SearchOptions::default()).unwrap();
//!     assert_eq!(hits[0].code.as_deref(), Some("330106000000"), "{q}");
//! }
//! assert_eq!(gz.search("西湖区", &SearchOptions::default()).unwrap()[0].label,
//!     "浙江省杭州市西湖区");
//! ```

mod address;
mod alias;
mod build;
mod edit;
mod error;
mod idhash;
mod parse;
mod phonetic;
mod romanize;
mod search;
mod text;

use crate::AdminLevel;

pub use alias::{hangzhou_aliases, Alias, AliasTarget};
pub use edit::PlaceEdit;
pub use error::GazetteerError;
pub use romanize::{romanize_address, RomanizedAddress};
pub use text::{
    bounded_damerau, chinese_numeral_value, convert_house_numerals, fold, short_forms,
    MAX_QUERY_CHARS,
};

use std::collections::HashMap;

use serde::Serialize;

use idhash::IdMap;

pub use address::{AddressQuality, REVERSE_MAX_DISTANCE_M};

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// An admin unit of any level (`record` indexes `Dataset::admin`).
    Admin,
    /// A distinct road name (`record` is the gazetteer's road id, see [`Gazetteer::road_name`]).
    Road,
    /// A facility (`record` indexes `Dataset::facilities`).
    Facility,
    /// A doorplate (`record` indexes `Dataset::doorplates`).
    Doorplate,
    /// A landmark (`record` indexes `Dataset::landmarks`).
    Landmark,
}

impl PlaceKind {
    /// Every kind.
    pub const ALL: [PlaceKind; 5] = [
        Self::Admin,
        Self::Road,
        Self::Facility,
        Self::Doorplate,
        Self::Landmark,
    ];

    /// The API name: `admin`, `road`, `facility`, `doorplate`, `landmark`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Road => "road",
            Self::Facility => "facility",
            Self::Doorplate => "doorplate",
            Self::Landmark => "landmark",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Result<Self, GazetteerError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| GazetteerError::UnknownKind(s.to_owned()))
    }
}

/// Options of [`Gazetteer::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOptions {
    /// Most hits returned.
    pub limit: usize,
    /// Bias towards places near this `(lon, lat)`.
    pub near: Option<(f64, f64)>,
    /// Only these kinds; empty means all.
    pub kinds: Vec<PlaceKind>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            limit: 10,
            near: None,
            kinds: Vec::new(),
        }
    }
}

/// How a hit matched the query: people need to see that `下城区` found 拱墅区 because it is
/// its former name, and that `文三路` → 文安路 was a guess, not an exact hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The query is the name (or its short form: `西湖` for 西湖区).
    Exact,
    /// The query is the beginning of a name.
    Prefix,
    /// Full pinyin, typed or the reading of Chinese characters (homophones: `航州`).
    Pinyin,
    /// Pinyin initials (`xhq`).
    Initials,
    /// The English name (`West Lake District`).
    English,
    /// Within `distance` typos (Damerau–Levenshtein) of a pinyin or English name.
    Fuzzy,
    /// A former name of the place, with the event (`former`).
    FormerName,
    /// The query shares part of a Chinese name (`渚街道`).
    Partial,
    /// Found by reading the query as an address (components in `address`).
    Address,
    /// A facility of the category the query names (`养老`, `marriage registry`).
    Category,
    /// The 12-digit (or 6-digit district) code.
    Code,
}

/// A former name and what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormerName {
    /// The former name, e.g. `下城区`.
    pub name: String,
    /// The unit it leads to today, e.g. `拱墅区`.
    pub current: String,
    /// Year of the change.
    pub year: Option<u16>,
    /// The event, e.g. `2021: 下城区 abolished and merged into 拱墅区 (国函〔2021〕21号)`.
    pub event: String,
    /// The day the name ended (`YYYY-MM-DD`), when known (renames of the name registry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// The explanation of one hit (serialised as the hit's `match`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchInfo {
    /// Which way it matched.
    pub kind: MatchKind,
    /// Typos, for `fuzzy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u8>,
    /// The event, for `former_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub former: Option<FormerName>,
    /// The type of the name the query matched (`standard`, `short`, `alias`, `former`,
    /// `colloquial`); `None` for code, address and category matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_type: Option<crate::names::NameType>,
}

impl MatchInfo {
    fn of(kind: MatchKind) -> Self {
        Self {
            kind,
            distance: None,
            former: None,
            name_type: None,
        }
    }
}

/// What an address query matched, on the hits found by reading it as an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressMatch {
    /// `exact`, `partial` or `fuzzy`.
    pub quality: AddressQuality,
    /// Components that agree with the hit.
    pub matched: Vec<Component>,
    /// Components that do not (a road not in the named district, an unknown road, a
    /// sub-number the data does not have): reported, never silently dropped or moved.
    pub unmatched: Vec<Component>,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// What it is.
    pub kind: PlaceKind,
    /// Index of the record (see [`PlaceKind`]).
    pub record: u32,
    /// Display name, e.g. `北山街道` or `文三路12号`.
    pub name: String,
    /// Full address, e.g. `浙江省杭州市西湖区北山街道`.
    pub label: String,
    /// 12-digit code for admin units.
    pub code: Option<String>,
    /// Ranking score (match quality × weight × proximity); higher is better.
    pub score: f64,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// How it matched.
    #[serde(rename = "match")]
    pub how: MatchInfo,
    /// The district it lies in (for a road: the district of this road).
    pub district: Option<String>,
    /// The township it lies in (for a road spanning several: the one with most doorplates).
    pub township: Option<String>,
    /// Roads: `[min_lon, min_lat, max_lon, max_lat]` of its doorplates and edges.
    pub extent: Option<[f64; 4]>,
    /// Roads: the lowest and highest doorplate number.
    pub numbers: Option<[u32; 2]>,
    /// Hits found by reading the query as an address: what matched and what did not.
    pub address: Option<AddressMatch>,
}

/// One recognised part of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// `province`, `city`, `district`, `township`, `community`, `road`, `number`,
    /// `sub_number`, `building` (幢/栋), `unit` (单元) or `room` (室).
    pub level: &'static str,
    /// The text as recognised (folded: digits in ASCII, simplified characters).
    pub text: String,
    /// The code of the unit it links to (admin levels).
    pub code: Option<String>,
    /// Why it is unmatched (`not in 钱塘区`, `unknown road`), for unmatched components.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The result of [`Gazetteer::parse_address`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ParsedAddress {
    /// Components, in the order written.
    pub components: Vec<Component>,
    /// The doorplate (index into `Dataset::doorplates`) when road and number resolve to one
    /// inside the named units.
    pub doorplate: Option<u32>,
    /// The road (the gazetteer's road id, per district) when it resolves inside the named
    /// units.
    pub road: Option<u32>,
    /// The house number (`8` of `8-1号`).
    pub number: Option<u32>,
    /// The sub-number (`1` of `8-1号` or `8之1号`).
    pub sub_number: Option<u32>,
    /// `exact` when every component resolved together, `partial` when some did not,
    /// `fuzzy` when the road was found by sound only; `None` when nothing was recognised.
    pub quality: Option<AddressQuality>,
    /// Components that agree with each other and the data.
    pub matched: Vec<Component>,
    /// Components that conflict with the others or are unknown.
    pub unmatched: Vec<Component>,
}

const NONE: u32 = u32::MAX;

/// Which name form a key was made from; sets the base score of a match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Name,
    Short,
    Alias,
    AliasShort,
    Pinyin,
    PinyinShort,
    Initials,
    English,
    Code,
}

impl KeyKind {
    fn base(self) -> f64 {
        match self {
            Self::Name | Self::Code => 1.0,
            Self::Short => 0.97,
            Self::Alias => 0.93,
            Self::AliasShort => 0.9,
            Self::Pinyin | Self::English => 0.92,
            Self::PinyinShort => 0.9,
            Self::Initials => 0.8,
        }
    }

    fn is_chinese(self) -> bool {
        matches!(
            self,
            Self::Name | Self::Short | Self::Alias | Self::AliasShort
        )
    }
}

#[derive(Debug, Clone)]
struct Entry {
    kind: PlaceKind,
    record: u32,
    name: Box<str>,
    label: Box<str>,
    code: Option<Box<str>>,
    level: Option<AdminLevel>,
    /// Admin parent entry, or the township entry of a road.
    parent: u32,
    lon: f64,
    lat: f64,
    weight: f32,
    /// Characters in `name`.
    name_chars: u16,
    /// Replaced or removed by a live edit: skipped when ranking (its keys stay in the index
    /// until the next build).
    dead: bool,
}

#[derive(Debug, Clone)]
struct Key {
    text: Box<str>,
    /// Characters in `text`.
    chars: u16,
    /// The alias (index into `Gazetteer::aliases`) the key was made from, or `NO_ALIAS`.
    alias: u16,
    entry: u32,
    kind: KeyKind,
    strength: f32,
}

const NO_ALIAS: u16 = u16::MAX;

/// A road: one named street within one district (and one township cluster where the name
/// repeats far apart inside a district).
#[derive(Debug, Clone)]
struct RoadInfo {
    /// District admin entry, or `NONE`.
    district: u32,
    /// Township admin entry with most of its doorplates (or holding its first edge).
    township: u32,
    /// Every township entry it has doorplates in (scope checks).
    townships: Box<[u32]>,
    /// `[min_lon, min_lat, max_lon, max_lat]`, NaN when unknown.
    extent: [f64; 4],
}

#[derive(Debug, Clone, Copy)]
struct DoorplateRec {
    road: u32,
    number: u32,
    community: u32,
    lon: f64,
    lat: f64,
}

/// The in-memory gazetteer index. Build once with [`Gazetteer::build`]; queries take `&self`
/// and may run from many threads.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    /// Every key, sorted by text: exact and prefix lookups are binary searches.
    keys: Vec<Key>,
    /// The first 8 bytes of every key (big-endian, zero-padded), beside `keys`: the binary
    /// searches run over this flat array rather than chase a pointer per comparison.
    heads: Vec<u64>,
    /// For prefixes that match more than [`build::BIG_RANGE`] keys: the best keys by weight.
    prefix_top: HashMap<Box<str>, Box<[u32]>>,
    /// Character bigram → entries whose Chinese names contain it.
    bigrams: IdMap<u64, Vec<u32>>,
    /// Letter trigram (with `$` padding) and key length in bytes (`trigram << 8 | len`) →
    /// pinyin/English keys of that length containing it: the typo search reads only the
    /// lengths within its edit distance.
    trigrams: IdMap<u32, Vec<u32>>,
    /// Code (12-digit, 6-digit district, old codes of aliases) → entry.
    by_code: HashMap<Box<str>, u32>,
    /// Road id → entry.
    roads: Vec<u32>,
    /// Road id → district, townships, extent.
    road_info: Vec<RoadInfo>,
    /// The aliases indexed (keys point here by `Key::alias`).
    aliases: Vec<Alias>,
    /// Facility category → facility entries (category searches).
    categories: Vec<(crate::FacilityCategory, Vec<u32>)>,
    /// Road id → (number, doorplate index), sorted.
    road_doorplates: Vec<Vec<(u32, u32)>>,
    doorplates: Vec<DoorplateRec>,
    /// Longest Chinese key in characters (bounds the address scanner).
    max_chinese_chars: usize,
    /// Keys of entries added by live edits since the build, sorted by text.
    added_keys: Vec<Key>,
    /// Facility record → entry.
    facility_entries: Vec<u32>,
    /// Landmark record → entry.
    landmark_entries: Vec<u32>,
    /// Road name → road ids (one per district / township cluster).
    road_by_name: HashMap<Box<str>, Vec<u32>>,
    /// A road's name in the data → its name now (roads renamed by the name registry).
    road_renames: HashMap<Box<str>, Box<str>>,
    /// Live edits applied since the build.
    edits: usize,
}
