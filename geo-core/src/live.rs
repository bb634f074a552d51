//! A dataset and its indexes kept in step under live edits (e.g. PostGIS notifications):
//! points are inserted into and removed from the R-trees one at a time — no rebuild — so an
//! edit costs microseconds however large the city. Admin units, which are few and rarely
//! edited, rebuild their polygon index.

use std::collections::HashMap;

use crate::index::SpatialIndex;
use crate::{AdminCode, AdminUnit, Dataset, Doorplate, Facility, Landmark};

/// What a live edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// A new record was added.
    Inserted,
    /// An existing record was replaced.
    Updated,
    /// A record was removed.
    Deleted,
    /// Nothing had that key.
    NotFound,
}

/// A [`Dataset`] with its [`SpatialIndex`] and key → record maps.
///
/// ```
/// use civmap_geo_core::live::{EditOutcome, IndexedDataset};
/// use civmap_geo_core::{Dataset, Facility, FacilityAttributes, FacilityCategory};
/// use geo::Point;
/// let f = |id: &str, lon| Facility {
///     id: id.into(), name: id.into(), category: FacilityCategory::ElderCanteen,
///     location: Point::new(lon, 30.27), address: String::new(), admin_code: None,
///     attributes: FacilityAttributes::default(), synthetic: false,
/// };
/// let mut live = IndexedDataset::new(Dataset { facilities: vec![f("a", 120.15), f("b", 120.16)], ..Dataset::default() });
/// assert_eq!(live.upsert_facility(f("a", 120.17)), EditOutcome::Updated);
/// let near = live.index().facilities().nearest(120.171, 30.27, 1, None).unwrap();
/// assert_eq!(live.data().facilities[near[0].0 as usize].id, "a");
/// assert_eq!(live.delete_facility("b"), EditOutcome::Deleted);
/// assert_eq!(live.data().facilities.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct IndexedDataset {
    data: Dataset,
    index: SpatialIndex,
    facility_by_id: HashMap<String, u32>,
    doorplate_by_id: HashMap<u64, u32>,
    landmark_by_id: HashMap<String, u32>,
}

fn xy(p: &geo::Point<f64>) -> [f64; 2] {
    [p.x(), p.y()]
}

impl IndexedDataset {
    /// Indexes a dataset.
    pub fn new(data: Dataset) -> Self {
        let index = SpatialIndex::build(&data);
        let facility_by_id = data
            .facilities
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.clone(), i as u32))
            .collect();
        let doorplate_by_id = data
            .doorplates
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i as u32))
            .collect();
        let landmark_by_id = data
            .landmarks
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i as u32))
            .collect();
        Self {
            data,
            index,
            facility_by_id,
            doorplate_by_id,
            landmark_by_id,
        }
    }

    /// The records.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The indexes.
    pub fn index(&self) -> &SpatialIndex {
        &self.index
    }

    /// The record index of a facility id.
    pub fn facility_record(&self, id: &str) -> Option<u32> {
        self.facility_by_id.get(id).copied()
    }

    /// The record index of a doorplate id.
    pub fn doorplate_record(&self, id: u64) -> Option<u32> {
        self.doorplate_by_id.get(&id).copied()
    }

    /// Inserts or replaces the facility with `f.id`.
    pub fn upsert_facility(&mut self, f: Facility) -> EditOutcome {
        match self.facility_by_id.get(&f.id).copied() {
            Some(r) => {
                let old = &self.data.facilities[r as usize];
                self.index.facilities_mut().remove(r, old);
                self.index.facilities_mut().insert(r, &f);
                self.data.facilities[r as usize] = f;
                EditOutcome::Updated
            }
            None => {
                let r = self.data.facilities.len() as u32;
                self.index.facilities_mut().insert(r, &f);
                self.facility_by_id.insert(f.id.clone(), r);
                self.data.facilities.push(f);
                EditOutcome::Inserted
            }
        }
    }

    /// Deletes the facility with `id` (the last record takes its place).
    pub fn delete_facility(&mut self, id: &str) -> EditOutcome {
        let Some(r) = self.facility_by_id.remove(id) else {
            return EditOutcome::NotFound;
        };
        let last = self.data.facilities.len() as u32 - 1;
        let gone = self.data.facilities[r as usize].clone();
        self.index.facilities_mut().remove(r, &gone);
        if r != last {
            let moved = self.data.facilities[last as usize].clone();
            self.index.facilities_mut().remove(last, &moved);
            self.index.facilities_mut().insert(r, &moved);
            self.facility_by_id.insert(moved.id.clone(), r);
        }
        self.data.facilities.swap_remove(r as usize);
        EditOutcome::Deleted
    }

    /// Inserts or replaces the doorplate with `d.id`.
    pub fn upsert_doorplate(&mut self, d: Doorplate) -> EditOutcome {
        match self.doorplate_by_id.get(&d.id).copied() {
            Some(r) => {
                let old = xy(&self.data.doorplates[r as usize].location);
                self.index.doorplates_mut().remove(r, old);
                self.index.doorplates_mut().insert(r, xy(&d.location));
                self.data.doorplates[r as usize] = d;
                EditOutcome::Updated
            }
            None => {
                let r = self.data.doorplates.len() as u32;
                self.index.doorplates_mut().insert(r, xy(&d.location));
                self.doorplate_by_id.insert(d.id, r);
                self.data.doorplates.push(d);
                EditOutcome::Inserted
            }
        }
    }

    /// Deletes the doorplate with `id`.
    pub fn delete_doorplate(&mut self, id: u64) -> EditOutcome {
        let Some(r) = self.doorplate_by_id.remove(&id) else {
            return EditOutcome::NotFound;
        };
        let last = self.data.doorplates.len() as u32 - 1;
        let gone = xy(&self.data.doorplates[r as usize].location);
        self.index.doorplates_mut().remove(r, gone);
        if r != last {
            let moved = &self.data.doorplates[last as usize];
            let (mid, mxy) = (moved.id, xy(&moved.location));
            self.index.doorplates_mut().remove(last, mxy);
            self.index.doorplates_mut().insert(r, mxy);
            self.doorplate_by_id.insert(mid, r);
        }
        self.data.doorplates.swap_remove(r as usize);
        EditOutcome::Deleted
    }

    /// Inserts or replaces the landmark with `l.id`.
    pub fn upsert_landmark(&mut self, l: Landmark) -> EditOutcome {
        match self.landmark_by_id.get(&l.id).copied() {
            Some(r) => {
                let old = xy(&self.data.landmarks[r as usize].location);
                self.index.landmarks_mut().remove(r, old);
                self.index.landmarks_mut().insert(r, xy(&l.location));
                self.data.landmarks[r as usize] = l;
                EditOutcome::Updated
            }
            None => {
                let r = self.data.landmarks.len() as u32;
                self.index.landmarks_mut().insert(r, xy(&l.location));
                self.landmark_by_id.insert(l.id.clone(), r);
                self.data.landmarks.push(l);
                EditOutcome::Inserted
            }
        }
    }

    /// Deletes the landmark with `id`.
    pub fn delete_landmark(&mut self, id: &str) -> EditOutcome {
        let Some(r) = self.landmark_by_id.remove(id) else {
            return EditOutcome::NotFound;
        };
        let last = self.data.landmarks.len() as u32 - 1;
        let gone = xy(&self.data.landmarks[r as usize].location);
        self.index.landmarks_mut().remove(r, gone);
        if r != last {
            let moved = &self.data.landmarks[last as usize];
            let (mid, mxy) = (moved.id.clone(), xy(&moved.location));
            self.index.landmarks_mut().remove(last, mxy);
            self.index.landmarks_mut().insert(r, mxy);
            self.landmark_by_id.insert(mid, r);
        }
        self.data.landmarks.swap_remove(r as usize);
        EditOutcome::Deleted
    }

    /// Inserts or replaces an admin unit (rebuilds the polygon index).
    pub fn upsert_admin(&mut self, u: AdminUnit) -> EditOutcome {
        let outcome = match self.data.admin.iter().position(|x| x.code == u.code) {
            Some(i) => {
                self.data.admin[i] = u;
                EditOutcome::Updated
            }
            None => {
                self.data.admin.push(u);
                EditOutcome::Inserted
            }
        };
        self.index.rebuild_admin(&self.data.admin);
        outcome
    }

    /// Deletes an admin unit (rebuilds the polygon index).
    pub fn delete_admin(&mut self, code: &AdminCode) -> EditOutcome {
        let Some(i) = self.data.admin.iter().position(|x| &x.code == code) else {
            return EditOutcome::NotFound;
        };
        self.data.admin.remove(i);
        self.index.rebuild_admin(&self.data.admin);
        EditOutcome::Deleted
    }

    /// Replaces everything (a full reload).
    pub fn replace(&mut self, data: Dataset) {
        *self = Self::new(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FacilityAttributes, FacilityCategory};
    use geo::Point;

    fn facility(id: usize, lon: f64, lat: f64) -> Facility {
        Facility {
            id: format!("f{id}"),
            name: String::new(),
            category: if id.is_multiple_of(2) {
                FacilityCategory::ElderCanteen
            } else {
                FacilityCategory::ChildrenHome
            },
            location: Point::new(lon, lat),
            address: String::new(),
            admin_code: None,
            attributes: FacilityAttributes::default(),
            synthetic: false,
        }
    }

    /// After any sequence of edits, queries equal those on a freshly built index.
    #[test]
    fn live_edits_answer_like_a_fresh_build() {
        let mut state = 12345u64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1_000_000) as f64 / 1_000_000.0
        };
        let base: Vec<Facility> = (0..500)
            .map(|i| facility(i, 120.0 + rnd() * 0.3, 30.0 + rnd() * 0.3))
            .collect();
        let mut live = IndexedDataset::new(Dataset {
            facilities: base,
            ..Dataset::default()
        });
        for step in 0..400 {
            let id = (rnd() * 700.0) as usize;
            if step % 3 == 0 {
                live.delete_facility(&format!("f{id}"));
            } else {
                live.upsert_facility(facility(id, 120.0 + rnd() * 0.3, 30.0 + rnd() * 0.3));
            }
        }
        let fresh = SpatialIndex::build(live.data());
        for _ in 0..200 {
            let (lon, lat) = (120.0 + rnd() * 0.3, 30.0 + rnd() * 0.3);
            let cats = [FacilityCategory::ElderCanteen];
            for filter in [None, Some(&cats[..])] {
                let a = live
                    .index()
                    .facilities()
                    .nearest(lon, lat, 7, filter)
                    .unwrap();
                let b = fresh.facilities().nearest(lon, lat, 7, filter).unwrap();
                assert_eq!(a, b);
                let a = live
                    .index()
                    .facilities()
                    .within(lon, lat, 3_000.0, filter)
                    .unwrap();
                let b = fresh
                    .facilities()
                    .within(lon, lat, 3_000.0, filter)
                    .unwrap();
                assert_eq!(a, b);
            }
        }
        for (i, f) in live.data().facilities.iter().enumerate() {
            assert_eq!(live.facility_record(&f.id), Some(i as u32));
        }
    }
}
