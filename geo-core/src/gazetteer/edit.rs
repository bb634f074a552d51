//! Live edits: a facility renamed in PostGIS must be findable by its new name at once, and a
//! rebuild of the whole index takes ~0.6 s at the city's size (500k doorplates). So an edit
//! touches only what it changes: a new or renamed place gets a new entry whose keys go to a
//! small sorted side array searched beside the main one (and whose Chinese bigrams are
//! appended to the bigram lists); the entry it replaces is flagged dead and skipped when
//! ranking; doorplates, which have no keys of their own, are edited in place. The side
//! array grows by about ten keys per edit and dead keys stay until the next build:
//! [`Gazetteer::edits_since_build`] tells the owner when a rebuild off the request path is
//! worth it. Admin units are not edited here: a change to one relabels everything below it,
//! which is a rebuild.

use super::build::{
    ancestor, bigram, facility_entry, landmark_entry, road_english, road_entry, Builder,
};
use super::{DoorplateRec, Gazetteer, GazetteerError, Key, KeyKind, PlaceKind, RoadInfo, NONE};
use crate::{AdminCode, AdminLevel, Doorplate, Facility, Landmark};

/// One record edit, addressed the way [`crate::live::IndexedDataset`] addresses records: by
/// record index, where setting the index equal to the record count appends, and a removal
/// moves the last record into the hole (`Vec::swap_remove`). Applying the edits that were
/// applied to a dataset keeps the gazetteer's `record` numbers equal to the dataset's.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlaceEdit {
    /// The facility at this record index now reads so (the index equal to the count: a new
    /// facility).
    SetFacility(u32, Facility),
    /// The facility at this record index is removed.
    RemoveFacility(u32),
    /// The landmark at this record index now reads so.
    SetLandmark(u32, Landmark),
    /// The landmark at this record index is removed.
    RemoveLandmark(u32),
    /// The doorplate at this record index now reads so.
    SetDoorplate(u32, Doorplate),
    /// The doorplate at this record index is removed.
    RemoveDoorplate(u32),
}

impl Gazetteer {
    /// Applies one record edit (see [`PlaceEdit`]); searches see it at once.
    ///
    /// ```
    /// use civmap_geo_core::gazetteer::{Gazetteer, PlaceEdit, SearchOptions};
    /// use civmap_geo_core::{Dataset, Facility, FacilityAttributes, FacilityCategory};
    /// use geo::Point;
    /// let canteen = |name: &str| Facility {
    ///     id: "c1".into(), name: name.into(), category: FacilityCategory::ElderCanteen,
    ///     location: Point::new(120.15, 30.27), address: String::new(), admin_code: None,
    ///     attributes: FacilityAttributes::default(), synthetic: false,
    /// };
    /// let ds = Dataset { facilities: vec![canteen("湖滨老年食堂")], ..Dataset::default() };
    /// let mut gz = Gazetteer::build(&ds, &[]);
    /// gz.apply(PlaceEdit::SetFacility(0, canteen("北山老年食堂"))).unwrap();
    /// let opts = SearchOptions::default();
    /// assert_eq!(gz.search("北山老年食堂", &opts).unwrap()[0].name, "北山老年食堂");
    /// assert_eq!(gz.search("beishan", &opts).unwrap()[0].name, "北山老年食堂");
    /// let old = gz.search("湖滨老年食堂", &opts).unwrap();
    /// assert!(old.iter().all(|h| h.name != "湖滨老年食堂"));
    /// gz.apply(PlaceEdit::RemoveFacility(0)).unwrap();
    /// assert!(gz.search("北山老年食堂", &opts).unwrap().is_empty());
    /// ```
    ///
    /// Errors: [`GazetteerError::NoSuchRecord`] when the index is past the record count
    /// (past the last record, for removals); nothing is changed then.
    pub fn apply(&mut self, edit: PlaceEdit) -> Result<(), GazetteerError> {
        match edit {
            PlaceEdit::SetFacility(r, f) => {
                check(PlaceKind::Facility, r, self.facility_entries.len() + 1)?;
                let admin = self.admin_entry(f.admin_code.as_ref());
                let entry = facility_entry(r, &f, admin, &self.entries);
                let e = self.replace_entry(self.facility_entries.get(r as usize).copied(), entry);
                set_slot(&mut self.facility_entries, r, e);
                // dead entries are skipped when ranking; the live one joins its category
                match self.categories.iter_mut().find(|c| c.0 == f.category) {
                    Some(c) if !c.1.contains(&e) => c.1.push(e),
                    Some(_) => {}
                    None => self.categories.push((f.category, vec![e])),
                }
            }
            PlaceEdit::RemoveFacility(r) => {
                check(PlaceKind::Facility, r, self.facility_entries.len())?;
                swap_remove_entry(&mut self.entries, &mut self.facility_entries, r);
            }
            PlaceEdit::SetLandmark(r, l) => {
                check(PlaceKind::Landmark, r, self.landmark_entries.len() + 1)?;
                let entry = landmark_entry(r, &l);
                let e = self.replace_entry(self.landmark_entries.get(r as usize).copied(), entry);
                set_slot(&mut self.landmark_entries, r, e);
            }
            PlaceEdit::RemoveLandmark(r) => {
                check(PlaceKind::Landmark, r, self.landmark_entries.len())?;
                swap_remove_entry(&mut self.entries, &mut self.landmark_entries, r);
            }
            PlaceEdit::SetDoorplate(r, d) => {
                check(PlaceKind::Doorplate, r, self.doorplates.len() + 1)?;
                self.set_doorplate(r, &d);
            }
            PlaceEdit::RemoveDoorplate(r) => {
                check(PlaceKind::Doorplate, r, self.doorplates.len())?;
                self.remove_doorplate(r);
            }
        }
        self.edits += 1;
        Ok(())
    }

    /// Live edits applied since the index was built.
    pub fn edits_since_build(&self) -> usize {
        self.edits
    }

    fn admin_entry(&self, code: Option<&AdminCode>) -> u32 {
        code.and_then(|c| self.by_code.get(c.as_str()))
            .copied()
            .filter(|&e| self.entries[e as usize].kind == PlaceKind::Admin)
            .unwrap_or(NONE)
    }

    /// Puts `entry` in place of entry `old`: in place when the name is unchanged (no keys
    /// change), else as a new entry with new keys while `old` is flagged dead.
    fn replace_entry(&mut self, old: Option<u32>, entry: super::Entry) -> u32 {
        if let Some(old) = old {
            let slot = &mut self.entries[old as usize];
            if slot.name == entry.name {
                *slot = entry;
                return old;
            }
            slot.dead = true;
        }
        let e = self.entries.len() as u32;
        let name = entry.name.clone();
        self.entries.push(entry);
        let mut b = Builder::default();
        b.chinese_keys(&name, e, KeyKind::Name, 1.0);
        self.add_keys(b.keys);
        e
    }

    /// Merges the keys of one new entry into the side array and the bigram lists.
    fn add_keys(&mut self, keys: Vec<Key>) {
        for key in keys {
            if key.kind.is_chinese() {
                let cs: Vec<char> = key.text.chars().collect();
                self.max_chinese_chars = self.max_chinese_chars.max(cs.len());
                if matches!(key.kind, KeyKind::Name | KeyKind::Alias) {
                    for w in cs.windows(2) {
                        let list = self.bigrams.entry(bigram(w[0], w[1])).or_default();
                        // entries are numbered in order: pushing keeps the list sorted
                        if list.last() != Some(&key.entry) {
                            list.push(key.entry);
                        }
                    }
                }
            }
            let at = self.added_keys.partition_point(|k| k.text < key.text);
            self.added_keys.insert(at, key);
        }
    }

    /// The road id of `name` in the district of `community` (the one holding that
    /// community's township when the name has several there), adding a road (entry and
    /// keys) when the district has none of that name.
    fn road_id(&mut self, name: &str, community: u32, at: (f64, f64)) -> u32 {
        let township = ancestor(&self.entries, community, AdminLevel::Township);
        let district = ancestor(&self.entries, community, AdminLevel::District);
        if let Some(ids) = self.road_by_name.get(name) {
            let in_district = ids
                .iter()
                .copied()
                .filter(|&r| self.road_info[r as usize].district == district);
            let mut first = None;
            for r in in_district {
                if self.road_info[r as usize].townships.contains(&township) {
                    return r;
                }
                first.get_or_insert(r);
            }
            if let Some(r) = first {
                return r;
            }
        }
        let r = self.roads.len() as u32;
        let info = RoadInfo {
            district,
            township,
            townships: if township == NONE {
                Box::new([])
            } else {
                Box::new([township])
            },
            extent: [at.0, at.1, at.0, at.1],
        };
        let e = self.entries.len() as u32;
        let entry = road_entry(r, name, &info, at, &self.entries);
        self.entries.push(entry);
        self.roads.push(e);
        self.road_info.push(info);
        self.road_doorplates.push(Vec::new());
        self.road_by_name
            .entry(Box::from(name))
            .or_default()
            .push(r);
        let mut b = Builder::default();
        b.name_keys(name, e, road_english(name));
        self.add_keys(b.keys);
        r
    }

    fn set_doorplate(&mut self, r: u32, d: &Doorplate) {
        let community = self.admin_entry(d.community.as_ref());
        let at = (d.location.x(), d.location.y());
        let road = if d.road.is_empty() {
            NONE
        } else {
            let name = self.road_renames.get(d.road.as_str()).cloned();
            self.road_id(name.as_deref().unwrap_or(&d.road), community, at)
        };
        if (r as usize) < self.doorplates.len() {
            self.unlink_doorplate(r);
        }
        let rec = DoorplateRec {
            road,
            number: d.number,
            community,
            lon: at.0,
            lat: at.1,
        };
        set_slot(&mut self.doorplates, r, rec);
        self.link_doorplate(r);
    }

    fn remove_doorplate(&mut self, r: u32) {
        self.unlink_doorplate(r);
        let last = self.doorplates.len() as u32 - 1;
        if r != last {
            self.unlink_doorplate(last);
            self.doorplates.swap_remove(r as usize);
            self.link_doorplate(r);
        } else {
            self.doorplates.pop();
        }
    }

    /// Removes doorplate `r` from its road's number list.
    fn unlink_doorplate(&mut self, r: u32) {
        let d = self.doorplates[r as usize];
        if let Some(list) = self.road_doorplates.get_mut(d.road as usize) {
            if let Ok(i) = list.binary_search(&(d.number, r)) {
                list.remove(i);
            }
        }
    }

    /// Adds doorplate `r` to its road's number list (kept sorted).
    fn link_doorplate(&mut self, r: u32) {
        let d = self.doorplates[r as usize];
        if let Some(list) = self.road_doorplates.get_mut(d.road as usize) {
            if let Err(i) = list.binary_search(&(d.number, r)) {
                list.insert(i, (d.number, r));
            }
        }
    }
}

fn check(kind: PlaceKind, record: u32, bound: usize) -> Result<(), GazetteerError> {
    if (record as usize) < bound {
        Ok(())
    } else {
        Err(GazetteerError::NoSuchRecord {
            kind: kind.as_str(),
            record,
        })
    }
}

/// Sets `slots[r]`, or appends when `r` is the length.
fn set_slot<T>(slots: &mut Vec<T>, r: u32, v: T) {
    match slots.get_mut(r as usize) {
        Some(s) => *s = v,
        None => slots.push(v),
    }
}

/// Flags the entry of record `r` dead and moves the last record's entry into slot `r`.
fn swap_remove_entry(entries: &mut [super::Entry], slots: &mut Vec<u32>, r: u32) {
    let gone = slots.swap_remove(r as usize);
    entries[gone as usize].dead = true;
    if let Some(&moved) = slots.get(r as usize) {
        entries[moved as usize].record = r;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dataset, FacilityAttributes, FacilityCategory};
    use geo::Point;

    fn facility(id: usize, name: &str) -> Facility {
        Facility {
            id: format!("f{id}"),
            name: name.into(),
            category: FacilityCategory::ElderCanteen,
            location: Point::new(120.1 + id as f64 * 1e-3, 30.2),
            address: String::new(),
            admin_code: None,
            attributes: FacilityAttributes::default(),
            synthetic: false,
        }
    }

    fn doorplate(id: u64, road: &str, number: u32) -> Doorplate {
        Doorplate {
            id,
            road: road.into(),
            number,
            location: Point::new(120.1, 30.2 + id as f64 * 1e-4),
            residents: 0,
            elderly: 0,
            community: None,
            synthetic: false,
        }
    }

    const NAMES: &[&str] = &[
        "湖滨老年食堂",
        "北山助餐点",
        "西溪养老院",
        "文三居家养老中心",
        "灵隐老年食堂",
        "翠苑助餐点",
        "古荡养老院",
        "蒋村老年食堂",
    ];

    /// The hits of every name (Chinese and pinyin) and some house numbers, as (kind, record,
    /// name, label) — what a user sees.
    fn answers(gz: &Gazetteer) -> Vec<Vec<(PlaceKind, u32, String, String)>> {
        let opts = crate::gazetteer::SearchOptions::default();
        let mut qs: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        qs.extend(["hubin", "laonianshitang", "yanganyuan", "北山", "食堂"].map(String::from));
        qs.extend(["文三路1号", "文三路12号", "新路7号", "新路"].map(String::from));
        qs.iter()
            .map(|q| {
                let mut hits: Vec<_> = gz
                    .search(q, &opts)
                    .unwrap()
                    .into_iter()
                    // road ids are the gazetteer's own numbering, in order of appearance
                    .map(|h| {
                        let record = if h.kind == PlaceKind::Road {
                            0
                        } else {
                            h.record
                        };
                        (h.kind, record, h.name, h.label)
                    })
                    .collect();
                hits.sort_by_key(|h| (h.0, h.1));
                hits
            })
            .collect()
    }

    /// After any sequence of edits, searches answer like a gazetteer built afresh from the
    /// edited records.
    #[test]
    fn live_edits_answer_like_a_fresh_build() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut ds = Dataset {
            facilities: (0..6)
                .map(|i| facility(i, NAMES[i % NAMES.len()]))
                .collect(),
            doorplates: (0..30)
                .map(|i| doorplate(i, "文三路", i as u32 + 1))
                .collect(),
            ..Dataset::default()
        };
        let mut gz = Gazetteer::build(&ds, &[]);
        for step in 0..300u64 {
            let edit = match next(6) {
                0 if !ds.facilities.is_empty() => {
                    let r = next(ds.facilities.len() as u64) as u32;
                    ds.facilities.swap_remove(r as usize);
                    PlaceEdit::RemoveFacility(r)
                }
                0 | 1 => {
                    let r = next(ds.facilities.len() as u64 + 1) as u32;
                    let f = facility(step as usize, NAMES[next(NAMES.len() as u64) as usize]);
                    set_slot(&mut ds.facilities, r, f.clone());
                    PlaceEdit::SetFacility(r, f)
                }
                2 if !ds.doorplates.is_empty() => {
                    let r = next(ds.doorplates.len() as u64) as u32;
                    ds.doorplates.swap_remove(r as usize);
                    PlaceEdit::RemoveDoorplate(r)
                }
                _ => {
                    let r = next(ds.doorplates.len() as u64 + 1) as u32;
                    let road = ["文三路", "新路"][next(2) as usize];
                    let d = doorplate(1000 + step, road, next(20) as u32 + 1);
                    set_slot(&mut ds.doorplates, r, d.clone());
                    PlaceEdit::SetDoorplate(r, d)
                }
            };
            gz.apply(edit).unwrap();
            if step % 25 == 0 {
                assert_eq!(answers(&gz), answers(&Gazetteer::build(&ds, &[])), "{step}");
            }
        }
        assert_eq!(answers(&gz), answers(&Gazetteer::build(&ds, &[])));
        assert_eq!(gz.edits_since_build(), 300);
    }

    #[test]
    fn edits_past_the_records_are_refused_and_change_nothing() {
        let ds = Dataset {
            facilities: vec![facility(0, "湖滨老年食堂")],
            ..Dataset::default()
        };
        let mut gz = Gazetteer::build(&ds, &[]);
        assert!(matches!(
            gz.apply(PlaceEdit::SetFacility(2, facility(1, "北山助餐点"))),
            Err(GazetteerError::NoSuchRecord { record: 2, .. })
        ));
        assert!(gz.apply(PlaceEdit::RemoveDoorplate(0)).is_err());
        assert!(gz.apply(PlaceEdit::RemoveLandmark(0)).is_err());
        assert_eq!(gz.edits_since_build(), 0);
        assert_eq!(
            gz.search("湖滨老年食堂", &Default::default()).unwrap()[0].record,
            0
        );
    }
}
