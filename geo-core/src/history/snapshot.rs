//! The divisions as they stood on one edition's cut-off day, with lookups by code and name.
//!
//! The history changes only at edition dates, so it keeps one snapshot per edition and an
//! `as_of` query is a binary search over the dates followed by the same hash lookups a
//! current-day query makes.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::{Date, Unit, UnitId};
use crate::{AdminCode, AdminLevel};

/// One unit as it stood on a snapshot's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotUnit {
    /// The unit's stable id.
    pub unit: UnitId,
    /// Code that day.
    pub code: AdminCode,
    /// Name that day.
    pub name: String,
    /// Level.
    pub level: AdminLevel,
    /// Finer kind.
    pub kind: String,
    /// Parent unit.
    pub parent: Option<UnitId>,
    /// Parent's code that day.
    pub parent_code: Option<AdminCode>,
}

/// The divisions on one edition's cut-off day.
#[derive(Debug, Clone)]
pub struct Snapshot {
    edition: String,
    date: Date,
    units: Vec<SnapshotUnit>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_unit: HashMap<UnitId, usize>,
    children: HashMap<UnitId, Vec<usize>>,
}

impl Snapshot {
    /// The snapshot of `units` on `date`, labelled with `edition`.
    pub(super) fn of(edition: &str, date: Date, units: &[Unit]) -> Self {
        let by_id: HashMap<UnitId, &Unit> = units.iter().map(|u| (u.id, u)).collect();
        let mut list: Vec<SnapshotUnit> = units
            .iter()
            .filter_map(|u| {
                let v = u.version_on(date)?;
                let parent_code = v
                    .parent
                    .and_then(|p| by_id.get(&p)?.version_on(date))
                    .map(|pv| pv.code.clone());
                Some(SnapshotUnit {
                    unit: u.id,
                    code: v.code.clone(),
                    name: v.name.clone(),
                    level: v.level,
                    kind: v.kind.clone(),
                    parent: v.parent,
                    parent_code,
                })
            })
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        let mut s = Self {
            edition: edition.to_owned(),
            date,
            by_code: HashMap::with_capacity(list.len()),
            by_name: HashMap::with_capacity(list.len()),
            by_unit: HashMap::with_capacity(list.len()),
            children: HashMap::new(),
            units: Vec::new(),
        };
        for (i, u) in list.iter().enumerate() {
            s.by_code.insert(u.code.as_str().to_owned(), i);
            s.by_name.entry(u.name.clone()).or_default().push(i);
            s.by_unit.insert(u.unit, i);
            if let Some(p) = u.parent {
                s.children.entry(p).or_default().push(i);
            }
        }
        s.units = list;
        s
    }

    /// The edition this snapshot is.
    pub fn edition_id(&self) -> &str {
        &self.edition
    }

    /// Its cut-off day.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Every unit, by code.
    pub fn units(&self) -> &[SnapshotUnit] {
        &self.units
    }

    /// The unit that had `code` that day.
    pub fn by_code(&self, code: &str) -> Option<&SnapshotUnit> {
        self.by_code.get(code.trim()).map(|&i| &self.units[i])
    }

    /// The units named `name` that day (names repeat across the city: villages).
    pub fn by_name(&self, name: &str) -> Vec<&SnapshotUnit> {
        self.by_name
            .get(name.trim())
            .into_iter()
            .flatten()
            .map(|&i| &self.units[i])
            .collect()
    }

    /// The unit `id` as it stood that day.
    pub fn by_unit(&self, id: UnitId) -> Option<&SnapshotUnit> {
        self.by_unit.get(&id).map(|&i| &self.units[i])
    }

    /// The children of unit `id` that day, by code.
    pub fn children(&self, id: UnitId) -> Vec<&SnapshotUnit> {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .map(|&i| &self.units[i])
            .collect()
    }

    /// How many units of `level` there were.
    pub fn count(&self, level: AdminLevel) -> usize {
        self.units.iter().filter(|u| u.level == level).count()
    }
}
