//! Old names and codes today: following versions and succession links to a day.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};

use super::{Date, Event, History, UnitId, UnitVersion};
use crate::{AdminCode, AdminLevel};

/// A unit in one of its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    /// The unit.
    pub unit: UnitId,
    /// Code in that version.
    pub code: AdminCode,
    /// Name in that version.
    pub name: String,
    /// Level.
    pub level: AdminLevel,
    /// First day of that version.
    pub valid_from: Date,
    /// First day after it, `None` while current.
    pub valid_to: Option<Date>,
}

impl UnitRef {
    fn of(unit: UnitId, v: &UnitVersion) -> Self {
        Self {
            unit,
            code: v.code.clone(),
            name: v.name.clone(),
            level: v.level,
            valid_from: v.valid_from,
            valid_to: v.valid_to,
        }
    }
}

/// Where a code or name stood, and what became of it by a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// The (newest) version that had the code or name asked for.
    pub matched: UnitRef,
    /// The units that hold its place on the day: itself (perhaps renamed or recoded), or its
    /// successors; empty if it was abolished without one.
    pub now: Vec<UnitRef>,
    /// The events between the two, oldest first.
    pub events: Vec<Event>,
}

impl History {
    /// What became, by `day`, of every unit that ever had the code or name `code_or_name`
    /// (known by then). A unit that lasts resolves to itself under its name and code that
    /// day; one that ended, to its successors, through as many mergers and splits as it took.
    ///
    /// See the [module example](super) (下城区 → 拱墅区).
    pub fn successor_of(&self, code_or_name: &str, day: Date) -> Vec<Resolution> {
        let q = code_or_name.trim();
        let mut out = Vec::new();
        for unit in &self.units {
            let Some(matched) = unit
                .versions
                .iter()
                .rev()
                .find(|v| (v.code.as_str() == q || v.name == q) && v.valid_from <= day)
            else {
                continue;
            };
            let since = matched.valid_from;
            let mut now = Vec::new();
            let mut chain: BTreeSet<UnitId> = BTreeSet::new();
            let mut queue = VecDeque::from([unit.id]);
            while let Some(id) = queue.pop_front() {
                if !chain.insert(id) {
                    continue;
                }
                let Some(u) = self.unit(id) else { continue };
                match u.version_on(day) {
                    Some(v) => now.push(UnitRef::of(id, v)),
                    None => queue.extend(u.superseded_by.iter().copied()),
                }
            }
            let events = self
                .events
                .iter()
                .filter(|e| chain.contains(&e.unit) && e.date > since && e.date <= day)
                .cloned()
                .collect();
            out.push(Resolution {
                matched: UnitRef::of(unit.id, matched),
                now,
                events,
            });
        }
        out
    }

    /// The units that were once called `name` and are not any more (as of the newest
    /// edition), with what they are now and the events between: the search of a former name.
    pub fn former_names(&self, name: &str) -> Vec<Resolution> {
        let today = self.latest().date();
        self.successor_of(name, today)
            .into_iter()
            .filter(|r| {
                r.matched.name == name.trim() && !r.now.iter().any(|n| n.name == r.matched.name)
            })
            .collect()
    }
}
