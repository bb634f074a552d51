//! Building the index: one entry per place, many keys per entry.

use std::collections::HashMap;

use geo::{BoundingRect, Centroid, Contains, InteriorPoint, Point};

use super::idhash::IdMap;
use super::phonetic::{english_stem, initials, join_syllables, syllable_variants};
use super::search::head_of;
use super::text::{fold, short_forms};
use super::{
    Alias, AliasTarget, DoorplateRec, Entry, Gazetteer, Key, KeyKind, PlaceKind, RoadInfo, NONE,
    NO_ALIAS,
};
use crate::{AdminLevel, AdminUnit, Dataset, Facility, Landmark};

/// Prefix ranges larger than this are served from precomputed top lists.
pub(super) const BIG_RANGE: usize = 1024;
/// Keys kept per precomputed prefix.
const TOP_PER_PREFIX: usize = 96;

/// Province names by the first two digits of a code (only those civmap serves today).
fn province_of(code: &str) -> Option<&'static str> {
    match code.get(..2) {
        Some("33") => Some("浙江省"),
        _ => None,
    }
}

fn admin_weight(u: &AdminUnit) -> f32 {
    let base = match u.level {
        AdminLevel::City => 1.0,
        AdminLevel::District => 0.95,
        AdminLevel::Township => 0.85,
        AdminLevel::Community => 0.75,
    };
    // population breaks ties between units of one level (at most +3 %)
    let pop = (u.population as f32 + 1.0).log10() / 7.0;
    base * (1.0 + 0.03 * pop.min(1.0))
}

/// At least the highest weight of any entry (a city of the largest population, 1.03; see
/// `admin_weight`).
pub(super) const MAX_WEIGHT: f32 = 1.031;
pub(super) const ROAD_WEIGHT: f32 = 0.72;
pub(super) const FACILITY_WEIGHT: f32 = 0.68;
pub(super) const LANDMARK_WEIGHT: f32 = 0.66;
pub(super) const DOORPLATE_WEIGHT: f32 = 0.62;

/// The stem and English class word of an admin unit: (`北山`, `Subdistrict`).
fn english_name(u: &AdminUnit) -> Option<String> {
    let stem = short_forms(&u.name)
        .into_iter()
        .last()
        .unwrap_or_else(|| u.name.clone());
    let class = match (u.level, u.kind.as_str()) {
        (AdminLevel::City, _) => "City",
        (AdminLevel::District, "county") => "County",
        (AdminLevel::District, "county_level_city") => "City",
        (AdminLevel::District, _) => "District",
        (AdminLevel::Township, "town") => "Town",
        (AdminLevel::Township, "township") => "Township",
        (AdminLevel::Township, "special_zone") => "Zone",
        (AdminLevel::Township, _) => "Subdistrict",
        (AdminLevel::Community, "village") => "Village",
        (AdminLevel::Community, _) if u.name.ends_with("村委会") => "Village",
        (AdminLevel::Community, _) => "Community",
    };
    let s = english_stem(&stem);
    (!s.is_empty()).then(|| format!("{s} {class}"))
}

/// English names in common use that are not the pinyin of the Chinese: the English of
/// 西湖区 is officially "Xihu District", but signs, guidebooks and the city's own English
/// pages say "West Lake District" after the lake it is named for.
const CONVENTIONAL_ENGLISH: &[(&str, &[&str])] =
    &[("330106000000", &["West Lake District", "West Lake"])];

/// English for an old district-level name: `下城区` → `Xiacheng District`.
fn alias_english(name: &str) -> Option<String> {
    for (suf, class) in [("区", "District"), ("县", "County"), ("市", "City")] {
        if let Some(stem) = name.strip_suffix(suf) {
            if stem.chars().count() >= 2 {
                return Some(format!("{} {class}", english_stem(stem)));
            }
        }
    }
    None
}

pub(super) fn road_english(name: &str) -> Option<String> {
    for (suf, class) in [
        ("大道", "Avenue"),
        ("路", "Road"),
        ("街", "Street"),
        ("巷", "Lane"),
    ] {
        if let Some(stem) = name.strip_suffix(suf) {
            if stem.chars().count() >= 2 {
                return Some(format!("{} {class}", english_stem(stem)));
            }
        }
    }
    None
}

/// Entries and their keys as they are made (also used by live edits, for the keys of one
/// new entry).
#[derive(Default)]
pub(super) struct Builder {
    pub(super) entries: Vec<Entry>,
    pub(super) keys: Vec<Key>,
    by_code: HashMap<Box<str>, u32>,
}

impl Builder {
    fn push(&mut self, e: Entry) -> u32 {
        self.entries.push(e);
        (self.entries.len() - 1) as u32
    }

    fn key(&mut self, text: String, entry: u32, kind: KeyKind, strength: f32) {
        if !text.is_empty() {
            self.keys.push(Key {
                chars: char_count(&text),
                alias: NO_ALIAS,
                text: text.into_boxed_str(),
                entry,
                kind,
                strength,
            });
        }
    }

    /// Chinese key plus its pinyin and initials keys.
    pub(super) fn chinese_keys(&mut self, text: &str, entry: u32, kind: KeyKind, strength: f32) {
        let f = fold(text);
        let py_kind = if kind == KeyKind::Name {
            KeyKind::Pinyin
        } else {
            KeyKind::PinyinShort
        };
        let py_strength = if matches!(kind, KeyKind::Alias | KeyKind::AliasShort) {
            strength * 0.97
        } else {
            strength
        };
        // the first variant uses every character's most common reading; others are
        // heteronym readings (余 xú, 洞 tóng), kept but weaker
        for (i, v) in syllable_variants(&f).into_iter().enumerate() {
            let s = if i == 0 {
                py_strength
            } else {
                py_strength * 0.9
            };
            self.key(join_syllables(&v), entry, py_kind, s);
            self.key(initials(&v), entry, KeyKind::Initials, s);
        }
        self.key(f, entry, kind, strength);
    }

    /// The Chinese keys of alias `a` on entry `e`: its name and short forms, with their
    /// pinyin and initials (the caller marks them with the alias, see [`mark_alias`]).
    fn alias_keys(&mut self, a: &Alias, e: u32) {
        let s = a.strength as f32;
        self.chinese_keys(&a.name, e, KeyKind::Alias, s);
        for short in short_forms(&a.name) {
            self.chinese_keys(&short, e, KeyKind::AliasShort, s);
        }
    }

    /// Name, short forms, their pinyin, and an English name.
    pub(super) fn name_keys(&mut self, name: &str, entry: u32, english: Option<String>) {
        self.chinese_keys(name, entry, KeyKind::Name, 1.0);
        for s in short_forms(name) {
            self.chinese_keys(&s, entry, KeyKind::Short, 1.0);
        }
        if let Some(en) = english {
            self.key(fold(&en), entry, KeyKind::English, 1.0);
        }
    }
}

/// Marks `keys` as made from alias `a`, which joins the kept aliases.
fn mark_alias(keys: &mut [Key], kept: &mut Vec<Alias>, a: &Alias) {
    let id = kept.len().min(usize::from(NO_ALIAS - 1)) as u16;
    for k in keys {
        k.alias = id;
    }
    kept.push(a.clone());
}

impl Gazetteer {
    /// Indexes every admin unit, distinct road name, facility, doorplate and landmark of
    /// `dataset`, plus `aliases` (e.g. [`super::hangzhou_aliases`]). Aliases whose target
    /// is not in the dataset are skipped. A road alias whose current name differs from the
    /// data's name renames the road: it is indexed, labelled and addressed under the current
    /// name, and its data name is found as the alias.
    pub fn build(dataset: &Dataset, aliases: &[Alias]) -> Gazetteer {
        let mut b = Builder::default();

        // --- admin units: entries first, so that parents resolve by code
        let code_index: HashMap<&str, usize> = dataset
            .admin
            .iter()
            .enumerate()
            .map(|(i, u)| (u.code.as_str(), i))
            .collect();
        for (i, u) in dataset.admin.iter().enumerate() {
            let p = u
                .geometry
                .interior_point()
                .or_else(|| u.geometry.centroid())
                .map(|p| (p.x(), p.y()))
                .unwrap_or((f64::NAN, f64::NAN));
            b.push(Entry {
                kind: PlaceKind::Admin,
                record: i as u32,
                name: u.name.clone().into_boxed_str(),
                label: Box::from(""),
                code: Some(Box::from(u.code.as_str())),
                level: Some(u.level),
                parent: u
                    .parent
                    .as_ref()
                    .and_then(|c| code_index.get(c.as_str()))
                    .map_or(NONE, |&p| p as u32),
                lon: p.0,
                lat: p.1,
                weight: admin_weight(u),
                name_chars: char_count(&u.name),
                dead: false,
            });
        }
        // labels: the chain from the top, with the province in front
        for i in 0..dataset.admin.len() {
            let mut chain = Vec::new();
            let mut at = i as u32;
            while at != NONE && chain.len() < 8 {
                chain.push(at);
                at = b.entries[at as usize].parent;
            }
            let top = *chain.last().unwrap_or(&(i as u32));
            let mut label = String::new();
            if let Some(code) = &b.entries[top as usize].code {
                if let Some(p) = province_of(code) {
                    label.push_str(p);
                }
            }
            for &c in chain.iter().rev() {
                label.push_str(&b.entries[c as usize].name);
            }
            b.entries[i].label = label.into_boxed_str();
        }
        for (i, u) in dataset.admin.iter().enumerate() {
            let e = i as u32;
            b.name_keys(&u.name, e, english_name(u));
            for (_, names) in CONVENTIONAL_ENGLISH
                .iter()
                .filter(|(code, _)| *code == u.code.as_str())
            {
                for en in *names {
                    b.key(fold(en), e, KeyKind::English, 0.97);
                }
            }
            b.key(u.code.as_str().to_owned(), e, KeyKind::Code, 1.0);
            b.by_code.insert(Box::from(u.code.as_str()), e);
            if u.level == AdminLevel::District {
                b.by_code.insert(Box::from(u.code.district_prefix()), e);
            }
        }
        let mut kept_aliases: Vec<Alias> = Vec::new();
        for a in aliases.iter().filter(|a| a.target == AliasTarget::Unit) {
            let Some(&t) = code_index.get(a.target_code.as_str()) else {
                continue;
            };
            let first_key = b.keys.len();
            let e = t as u32;
            b.alias_keys(a, e);
            if let Some(en) = alias_english(&a.name) {
                b.key(fold(&en), e, KeyKind::English, a.strength as f32 * 0.97);
            }
            if let Some(old) = &a.old_code {
                if a.strength >= 1.0 {
                    b.by_code.insert(Box::from(old.as_str()), e);
                    if old.len() == 12 {
                        b.by_code.insert(Box::from(&old[..6]), e);
                    }
                }
            }
            mark_alias(&mut b.keys[first_key..], &mut kept_aliases, a);
        }
        // roads renamed by the name registry: their doorplates and edges carry the old name
        let road_renames: HashMap<&str, &str> = aliases
            .iter()
            .filter_map(|a| match &a.target {
                AliasTarget::Road { current } if *current != a.target_code => {
                    Some((a.target_code.as_str(), current.as_str()))
                }
                _ => None,
            })
            .collect();

        // --- roads: one per (name, district), split by township where the name repeats far
        // apart inside a district; see `road_units`
        let community_entry = |code: Option<&crate::AdminCode>| -> u32 {
            code.and_then(|c| code_index.get(c.as_str()))
                .map_or(NONE, |&i| i as u32)
        };
        let units = road_units(dataset, &b.entries, &community_entry, &road_renames);
        let mut doorplates = Vec::with_capacity(dataset.doorplates.len());
        let mut road_doorplates: Vec<Vec<(u32, u32)>> = vec![Vec::new(); units.info.len()];
        for (i, d) in dataset.doorplates.iter().enumerate() {
            let road = units.of_doorplate[i];
            doorplates.push(DoorplateRec {
                road,
                number: d.number,
                community: community_entry(d.community.as_ref()),
                lon: d.location.x(),
                lat: d.location.y(),
            });
            if road != NONE {
                road_doorplates[road as usize].push((d.number, i as u32));
            }
        }
        for list in &mut road_doorplates {
            list.sort_unstable();
        }
        let mut roads = Vec::with_capacity(units.info.len());
        let mut road_by_name: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (r, info) in units.info.iter().enumerate() {
            let name = units.names[r];
            let e = b.push(road_entry(
                r as u32,
                name,
                info,
                units.points[r],
                &b.entries,
            ));
            roads.push(e);
            b.name_keys(name, e, road_english(name));
            road_by_name
                .entry(Box::from(name))
                .or_default()
                .push(r as u32);
        }

        // --- facilities and landmarks
        let mut facility_entries = Vec::with_capacity(dataset.facilities.len());
        for (i, f) in dataset.facilities.iter().enumerate() {
            let admin = community_entry(f.admin_code.as_ref());
            let entry = facility_entry(i as u32, f, admin, &b.entries);
            let e = b.push(entry);
            b.chinese_keys(&f.name, e, KeyKind::Name, 1.0);
            facility_entries.push(e);
        }
        let mut landmark_entries = Vec::with_capacity(dataset.landmarks.len());
        for (i, l) in dataset.landmarks.iter().enumerate() {
            let e = b.push(landmark_entry(i as u32, l));
            b.chinese_keys(&l.name, e, KeyKind::Name, 1.0);
            landmark_entries.push(e);
        }
        // the registry's names of roads, facilities and landmarks
        let wants = |t: AliasTarget| aliases.iter().any(|a| a.target == t);
        let facility_by_id: HashMap<&str, u32> = match wants(AliasTarget::Facility) {
            true => dataset
                .facilities
                .iter()
                .map(|f| f.id.as_str())
                .zip(facility_entries.iter().copied())
                .collect(),
            false => HashMap::new(),
        };
        let landmark_by_id: HashMap<&str, u32> = match wants(AliasTarget::Landmark) {
            true => dataset
                .landmarks
                .iter()
                .map(|l| l.id.as_str())
                .zip(landmark_entries.iter().copied())
                .collect(),
            false => HashMap::new(),
        };
        for a in aliases.iter().filter(|a| a.target != AliasTarget::Unit) {
            let targets: Vec<u32> = match &a.target {
                AliasTarget::Unit => continue,
                AliasTarget::Road { current } => road_by_name
                    .get(current.as_str())
                    .into_iter()
                    .flatten()
                    .map(|&r| roads[r as usize])
                    .collect(),
                AliasTarget::Facility => facility_by_id
                    .get(a.target_code.as_str())
                    .copied()
                    .into_iter()
                    .collect(),
                AliasTarget::Landmark => landmark_by_id
                    .get(a.target_code.as_str())
                    .copied()
                    .into_iter()
                    .collect(),
            };
            if targets.is_empty() {
                continue;
            }
            let first_key = b.keys.len();
            for e in targets {
                b.alias_keys(a, e);
            }
            mark_alias(&mut b.keys[first_key..], &mut kept_aliases, a);
        }
        let mut categories: Vec<(crate::FacilityCategory, Vec<u32>)> = Vec::new();
        for (i, f) in dataset.facilities.iter().enumerate() {
            let e = facility_entries[i];
            match categories.iter_mut().find(|c| c.0 == f.category) {
                Some(c) => c.1.push(e),
                None => categories.push((f.category, vec![e])),
            }
        }

        let mut gz = Self::finish(
            b.entries,
            b.keys,
            b.by_code,
            roads,
            road_doorplates,
            doorplates,
        );
        gz.facility_entries = facility_entries;
        gz.landmark_entries = landmark_entries;
        gz.road_by_name = road_by_name;
        gz.road_info = units.info;
        gz.aliases = kept_aliases;
        gz.categories = categories;
        gz.road_renames = road_renames
            .into_iter()
            .map(|(from, to)| (Box::from(from), Box::from(to)))
            .collect();
        gz
    }

    fn finish(
        entries: Vec<Entry>,
        mut keys: Vec<Key>,
        by_code: HashMap<Box<str>, u32>,
        roads: Vec<u32>,
        road_doorplates: Vec<Vec<(u32, u32)>>,
        doorplates: Vec<DoorplateRec>,
    ) -> Gazetteer {
        keys.sort_unstable_by(|a, b| {
            a.text
                .cmp(&b.text)
                .then(a.entry.cmp(&b.entry))
                .then((a.kind as u8).cmp(&(b.kind as u8)))
        });
        keys.dedup_by(|a, b| a.text == b.text && a.entry == b.entry && a.kind == b.kind);
        keys.shrink_to_fit();

        // top lists for crowded prefixes, grouped by character-length prefixes
        let mut prefix_top: HashMap<Box<str>, Box<[u32]>> = HashMap::new();
        let mut len = 1;
        loop {
            let mut any_big = false;
            let mut start = 0;
            while start < keys.len() {
                let p = char_prefix(&keys[start].text, len);
                let mut end = start + 1;
                while end < keys.len() && keys[end].text.starts_with(p) {
                    end += 1;
                }
                if end - start > BIG_RANGE && p.chars().count() == len {
                    any_big = true;
                    let mut ids: Vec<u32> = (start as u32..end as u32).collect();
                    ids.sort_by(|&a, &b| {
                        let wa = entries[keys[a as usize].entry as usize].weight;
                        let wb = entries[keys[b as usize].entry as usize].weight;
                        wb.total_cmp(&wa).then(a.cmp(&b))
                    });
                    let mut seen = Vec::new();
                    let mut top = Vec::new();
                    for id in ids {
                        let e = keys[id as usize].entry;
                        if !seen.contains(&e) {
                            seen.push(e);
                            top.push(id);
                            if top.len() == TOP_PER_PREFIX {
                                break;
                            }
                        }
                    }
                    prefix_top.insert(Box::from(p), top.into_boxed_slice());
                }
                start = end;
            }
            if !any_big || len > 16 {
                break;
            }
            len += 1;
        }

        let mut bigrams: IdMap<u64, Vec<u32>> = IdMap::default();
        let mut trigrams: IdMap<u32, Vec<u32>> = IdMap::default();
        let mut max_chinese_chars = 0;
        for (k, key) in keys.iter().enumerate() {
            match key.kind {
                KeyKind::Name | KeyKind::Alias => {
                    let cs: Vec<char> = key.text.chars().collect();
                    max_chinese_chars = max_chinese_chars.max(cs.len());
                    for w in cs.windows(2) {
                        let list = bigrams.entry(bigram(w[0], w[1])).or_default();
                        if list.last() != Some(&key.entry) {
                            list.push(key.entry);
                        }
                    }
                }
                KeyKind::Short | KeyKind::AliasShort => {
                    max_chinese_chars = max_chinese_chars.max(key.text.chars().count());
                }
                KeyKind::Pinyin | KeyKind::PinyinShort | KeyKind::English => {
                    let len = key.text.len().min(255) as u32;
                    for t in trigrams_of(key.text.as_bytes()) {
                        let list = trigrams.entry(t << 8 | len).or_default();
                        if list.last() != Some(&(k as u32)) {
                            list.push(k as u32);
                        }
                    }
                }
                KeyKind::Initials | KeyKind::Code => {}
            }
        }
        for list in bigrams.values_mut() {
            list.sort_unstable();
            list.dedup();
            list.shrink_to_fit();
        }
        for list in trigrams.values_mut() {
            list.shrink_to_fit();
        }
        Gazetteer {
            entries,
            prefix_top,
            bigrams,
            trigrams,
            by_code,
            roads,
            road_doorplates,
            doorplates,
            max_chinese_chars,
            heads: keys.iter().map(|k| head_of(k.text.as_bytes(), 0)).collect(),
            keys,
            added_keys: Vec::new(),
            facility_entries: Vec::new(),
            landmark_entries: Vec::new(),
            road_by_name: HashMap::new(),
            road_renames: HashMap::new(),
            road_info: Vec::new(),
            aliases: Vec::new(),
            categories: Vec::new(),
            edits: 0,
        }
    }

    /// The name of a road id (the `record` of a `road` hit).
    pub fn road_name(&self, road: u32) -> Option<&str> {
        self.roads
            .get(road as usize)
            .map(|&e| &*self.entries[e as usize].name)
    }

    /// Number of indexed places (admin units, roads, facilities, landmarks) and doorplates.
    pub fn len(&self) -> usize {
        self.entries.len() + self.doorplates.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of search keys (names, short forms, pinyin, initials, English, codes).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Approximate heap memory of the index in bytes (allocations, not allocator overhead).
    pub fn approx_heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let s = |b: &str| b.len();
        let entries = self.entries.capacity() * size_of::<Entry>()
            + self
                .entries
                .iter()
                .map(|e| s(&e.name) + s(&e.label) + e.code.as_deref().map_or(0, s))
                .sum::<usize>();
        let keys = self.keys.capacity() * size_of::<Key>()
            + self.heads.capacity() * size_of::<u64>()
            + self.keys.iter().map(|k| s(&k.text)).sum::<usize>();
        // hash maps: buckets (key + value + control byte) plus owned contents
        let map = |n: usize, kv: usize| n * (kv + 1);
        let prefix_top = map(
            self.prefix_top.capacity(),
            size_of::<(Box<str>, Box<[u32]>)>(),
        ) + self
            .prefix_top
            .iter()
            .map(|(k, v)| k.len() + 4 * v.len())
            .sum::<usize>();
        let bigrams = map(self.bigrams.capacity(), size_of::<(u64, Vec<u32>)>())
            + self
                .bigrams
                .values()
                .map(|v| 4 * v.capacity())
                .sum::<usize>();
        let trigrams = map(self.trigrams.capacity(), size_of::<(u32, Vec<u32>)>())
            + self
                .trigrams
                .values()
                .map(|v| 4 * v.capacity())
                .sum::<usize>();
        let codes = map(self.by_code.capacity(), size_of::<(Box<str>, u32)>())
            + self.by_code.keys().map(|k| k.len()).sum::<usize>();
        let roads = 4 * self.roads.capacity()
            + self.road_doorplates.capacity() * size_of::<Vec<(u32, u32)>>()
            + self
                .road_doorplates
                .iter()
                .map(|v| 8 * v.capacity())
                .sum::<usize>();
        let doorplates = self.doorplates.capacity() * size_of::<DoorplateRec>();
        let live = self.added_keys.capacity() * size_of::<Key>()
            + self.added_keys.iter().map(|k| s(&k.text)).sum::<usize>()
            + 4 * (self.facility_entries.capacity() + self.landmark_entries.capacity())
            + map(self.road_by_name.capacity(), size_of::<(Box<str>, u32)>())
            + self.road_by_name.keys().map(|k| k.len()).sum::<usize>();
        entries + keys + prefix_top + bigrams + trigrams + codes + roads + doorplates + live
    }
}

/// The entry of facility `record`, labelled by its admin unit (entry `admin`) when known.
pub(super) fn facility_entry(record: u32, f: &Facility, admin: u32, entries: &[Entry]) -> Entry {
    let label = match (admin, f.address.is_empty()) {
        (NONE, true) => f.name.clone(),
        (NONE, false) => f.address.clone(),
        (a, true) => format!("{}{}", entries[a as usize].label, f.name),
        (a, false) => format!("{}{}", entries[a as usize].label, f.address),
    };
    Entry {
        kind: PlaceKind::Facility,
        record,
        name: f.name.clone().into_boxed_str(),
        label: label.into_boxed_str(),
        code: None,
        level: None,
        parent: admin,
        lon: f.location.x(),
        lat: f.location.y(),
        weight: FACILITY_WEIGHT,
        name_chars: char_count(&f.name),
        dead: false,
    }
}

/// The entry of landmark `record`.
pub(super) fn landmark_entry(record: u32, l: &Landmark) -> Entry {
    Entry {
        kind: PlaceKind::Landmark,
        record,
        name: l.name.clone().into_boxed_str(),
        label: l.name.clone().into_boxed_str(),
        code: None,
        level: None,
        parent: NONE,
        lon: l.location.x(),
        lat: l.location.y(),
        weight: LANDMARK_WEIGHT,
        name_chars: char_count(&l.name),
        dead: false,
    }
}

/// The entry of road id `road`, labelled by its township (else its district) when known.
pub(super) fn road_entry(
    road: u32,
    name: &str,
    info: &RoadInfo,
    (lon, lat): (f64, f64),
    entries: &[Entry],
) -> Entry {
    let unit = if info.township != NONE {
        info.township
    } else {
        info.district
    };
    let label = if unit == NONE {
        name.to_owned()
    } else {
        format!("{}{}", entries[unit as usize].label, name)
    };
    Entry {
        kind: PlaceKind::Road,
        record: road,
        name: Box::from(name),
        label: label.into_boxed_str(),
        code: None,
        level: None,
        parent: unit,
        lon,
        lat,
        weight: ROAD_WEIGHT,
        name_chars: char_count(name),
        dead: false,
    }
}

/// The admin entry of `level` at or above entry `e` (by parent links), or `NONE`.
pub(super) fn ancestor(entries: &[Entry], mut e: u32, level: AdminLevel) -> u32 {
    for _ in 0..8 {
        if e == NONE {
            return NONE;
        }
        let en = &entries[e as usize];
        match en.level {
            Some(l) if l == level => return e,
            Some(l) if l < level => return NONE,
            _ => e = en.parent,
        }
    }
    NONE
}

/// Roads as people mean them, made by [`road_units`].
struct RoadUnits<'a> {
    names: Vec<&'a str>,
    info: Vec<RoadInfo>,
    /// Where the road's hit is placed: its first doorplate, else the middle of its first edge.
    points: Vec<(f64, f64)>,
    /// Doorplate record → road id (`NONE` without a road name).
    of_doorplate: Vec<u32>,
}

/// Townships of one district holding one road name closer than this (degrees, ~1 km
/// between their doorplates' boxes) are one road; farther apart, two roads of one name.
const SAME_ROAD_GAP_DEG: f64 = 0.01;

fn grow(ext: &mut [f64; 4], x: f64, y: f64) {
    if ext[0].is_nan() {
        *ext = [x, y, x, y];
    } else {
        ext[0] = ext[0].min(x);
        ext[1] = ext[1].min(y);
        ext[2] = ext[2].max(x);
        ext[3] = ext[3].max(y);
    }
}

fn near(a: &[f64; 4], b: &[f64; 4], gap: f64) -> bool {
    a[0] - gap <= b[2] && b[0] - gap <= a[2] && a[1] - gap <= b[3] && b[1] - gap <= a[3]
}

/// The doorplates of one road name in one township: (township entry, count, extent).
type TownshipPart = (u32, usize, [f64; 4]);

/// Splits road names into roads: the same name in two districts is two roads (富阳路 of
/// 钱塘区 and of 建德市), and inside one district the townships holding it are joined when
/// their doorplates lie within [`SAME_ROAD_GAP_DEG`] of each other. Edges join the road of
/// their name whose extent (grown by the gap) holds their middle; edges of a name with no
/// road nearby make roads of their own, placed in the district and township holding them.
fn road_units<'a>(
    dataset: &'a Dataset,
    entries: &[Entry],
    community_entry: &dyn Fn(Option<&crate::AdminCode>) -> u32,
    renames: &HashMap<&str, &'a str>,
) -> RoadUnits<'a> {
    let current = |name: &'a str| -> &'a str { renames.get(name).copied().unwrap_or(name) };
    // (name, district) → township → (doorplate count, extent)
    let mut groups: HashMap<(&str, u32), Vec<TownshipPart>> = HashMap::new();
    let mut order: Vec<(&str, u32)> = Vec::new();
    let mut dp_key: Vec<Option<(&str, u32, u32)>> = Vec::with_capacity(dataset.doorplates.len());
    for d in &dataset.doorplates {
        if d.road.is_empty() {
            dp_key.push(None);
            continue;
        }
        let c = community_entry(d.community.as_ref());
        let township = ancestor(entries, c, AdminLevel::Township);
        let district = ancestor(entries, c, AdminLevel::District);
        let road = current(d.road.as_str());
        let key = (road, district);
        let g = groups.entry(key).or_insert_with(|| {
            order.push(key);
            Vec::new()
        });
        let slot = match g.iter().position(|t| t.0 == township) {
            Some(i) => i,
            None => {
                g.push((township, 0, [f64::NAN; 4]));
                g.len() - 1
            }
        };
        g[slot].1 += 1;
        grow(&mut g[slot].2, d.location.x(), d.location.y());
        dp_key.push(Some((road, district, township)));
    }
    let mut out = RoadUnits {
        names: Vec::new(),
        info: Vec::new(),
        points: Vec::new(),
        of_doorplate: vec![NONE; dataset.doorplates.len()],
    };
    // (name, district, township) → road id
    let mut road_of: HashMap<(&str, u32, u32), u32> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<u32>> = HashMap::new();
    for key in &order {
        let towns = &groups[key];
        // join townships whose doorplates are near each other (few per road: quadratic)
        let mut cluster: Vec<usize> = (0..towns.len()).collect();
        for i in 0..towns.len() {
            for j in 0..i {
                if near(&towns[i].2, &towns[j].2, SAME_ROAD_GAP_DEG) {
                    let (a, c) = (cluster[i], cluster[j]);
                    cluster.iter_mut().filter(|x| **x == a).for_each(|x| *x = c);
                }
            }
        }
        let mut seen: Vec<usize> = cluster.clone();
        seen.sort_unstable();
        seen.dedup();
        for c in seen {
            let members: Vec<usize> = (0..towns.len()).filter(|&i| cluster[i] == c).collect();
            let r = out.info.len() as u32;
            let mut extent = [f64::NAN; 4];
            let mut best = (0, NONE);
            let mut townships = Vec::new();
            for &i in &members {
                let (t, n, ext) = towns[i];
                grow(&mut extent, ext[0], ext[1]);
                grow(&mut extent, ext[2], ext[3]);
                if n > best.0 {
                    best = (n, t);
                }
                if t != NONE {
                    townships.push(t);
                }
                road_of.insert((key.0, key.1, t), r);
            }
            out.names.push(key.0);
            out.info.push(RoadInfo {
                district: key.1,
                township: best.1,
                townships: townships.into_boxed_slice(),
                extent,
            });
            out.points.push((f64::NAN, f64::NAN));
            by_name.entry(key.0).or_default().push(r);
        }
    }
    for (i, k) in dp_key.iter().enumerate() {
        if let Some(k) = k {
            let r = road_of[k];
            out.of_doorplate[i] = r;
            if out.points[r as usize].0.is_nan() {
                let l = dataset.doorplates[i].location;
                out.points[r as usize] = (l.x(), l.y());
            }
        }
    }
    // edges: grow the road of their name they lie by, or make roads of their own
    let n_placed = out.info.len();
    let net = &dataset.network;
    let mut orphans: Vec<u32> = Vec::new();
    for e in &net.edges {
        let Some(name) = net.road_name(e).filter(|n| !n.is_empty()).map(current) else {
            continue;
        };
        let (Some(a), Some(c)) = (net.nodes.get(e.from as usize), net.nodes.get(e.to as usize))
        else {
            continue;
        };
        let mid = [(a.x + c.x) / 2.0, (a.y + c.y) / 2.0];
        let point = [mid[0], mid[1], mid[0], mid[1]];
        let list = by_name.entry(name).or_default();
        let found = list
            .iter()
            .copied()
            .find(|&r| near(&out.info[r as usize].extent, &point, SAME_ROAD_GAP_DEG));
        let r = match found {
            Some(r) => r,
            None => {
                let r = out.info.len() as u32;
                list.push(r);
                orphans.push(r);
                out.names.push(name);
                out.info.push(RoadInfo {
                    district: NONE,
                    township: NONE,
                    townships: Box::new([]),
                    extent: [f64::NAN; 4],
                });
                out.points.push((mid[0], mid[1]));
                r
            }
        };
        let ext = &mut out.info[r as usize].extent;
        grow(ext, a.x, a.y);
        grow(ext, c.x, c.y);
    }
    if !orphans.is_empty() {
        // roads without doorplates: the district and township holding their first edge
        let boxes: Vec<(u32, geo::Rect<f64>)> = dataset
            .admin
            .iter()
            .enumerate()
            .filter(|(_, u)| matches!(u.level, AdminLevel::District | AdminLevel::Township))
            .filter_map(|(i, u)| u.geometry.bounding_rect().map(|r| (i as u32, r)))
            .collect();
        for r in orphans {
            let (x, y) = out.points[r as usize];
            let p = Point::new(x, y);
            for &(i, rect) in &boxes {
                if rect.min().x <= x
                    && x <= rect.max().x
                    && rect.min().y <= y
                    && y <= rect.max().y
                    && dataset.admin[i as usize].geometry.contains(&p)
                {
                    let info = &mut out.info[r as usize];
                    match dataset.admin[i as usize].level {
                        AdminLevel::District => info.district = i,
                        _ => {
                            info.township = i;
                            info.townships = Box::new([i]);
                        }
                    }
                }
            }
        }
        merge_orphans(&mut out, n_placed);
    }
    out
}

/// Edge-only roads of a name lying in a district and township where that name already has
/// a road are parts of it (a street whose doorplates cover only part of its length): their
/// extents join it and they are dropped. Edge-only roads come after every road with
/// doorplates, so dropping them renumbers only them.
fn merge_orphans(out: &mut RoadUnits<'_>, n_placed: usize) {
    let n = out.info.len();
    let mut keep = vec![true; n];
    for r in n_placed..n {
        let (name, district, township) = (out.names[r], out.info[r].district, out.info[r].township);
        let target = (0..r).find(|&t| {
            keep[t]
                && out.names[t] == name
                && out.info[t].district == district
                && (out.info[t].township == township || out.info[t].townships.contains(&township))
        });
        if let Some(t) = target {
            let ext = out.info[r].extent;
            grow(&mut out.info[t].extent, ext[0], ext[1]);
            grow(&mut out.info[t].extent, ext[2], ext[3]);
            keep[r] = false;
        }
    }
    fn kept<T>(v: &mut Vec<T>, keep: &[bool]) {
        *v = std::mem::take(v)
            .into_iter()
            .zip(keep)
            .filter_map(|(x, &k)| k.then_some(x))
            .collect();
    }
    kept(&mut out.names, &keep);
    kept(&mut out.info, &keep);
    kept(&mut out.points, &keep);
}

/// Characters in `s`, saturating at `u16::MAX`.
fn char_count(s: &str) -> u16 {
    s.chars().count().min(usize::from(u16::MAX)) as u16
}

fn char_prefix(s: &str, chars: usize) -> &str {
    match s.char_indices().nth(chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

pub(super) fn bigram(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// Letter trigrams of `$s$`.
pub(super) fn trigrams_of(s: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let n = s.len() + 2;
    let at = move |i: usize| -> u32 {
        if i == 0 || i == n - 1 {
            u32::from(b'$')
        } else {
            u32::from(s[i - 1])
        }
    };
    (0..n.saturating_sub(2)).map(move |i| (at(i) << 16) | (at(i + 1) << 8) | at(i + 2))
}
