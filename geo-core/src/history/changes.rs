//! What changed between two days or editions (`/api/v1/changes`).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use super::{History, HistoryError, Snapshot, SnapshotUnit};
use crate::{AdminCode, AdminLevel};

/// A unit that was renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenamedUnit {
    /// Code at the later date.
    pub code: AdminCode,
    /// Name at the earlier date.
    pub from_name: String,
    /// Name at the later date.
    pub to_name: String,
}

/// A unit whose code changed: moved to another parent unit, or recoded under the same one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedUnit {
    /// Name at the later date.
    pub name: String,
    /// Code at the earlier date.
    pub from_code: AdminCode,
    /// Code at the later date.
    pub to_code: AdminCode,
    /// Parent's code at the earlier date.
    pub from_parent: Option<AdminCode>,
    /// Parent's code at the later date.
    pub to_parent: Option<AdminCode>,
}

/// Counts for one level (or all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    /// Codes in the later list and not the earlier: a plain comparison of the two lists.
    pub codes_added: usize,
    /// Codes in the earlier list and not the later.
    pub codes_removed: usize,
    /// Units that did not exist at the earlier date.
    pub added: usize,
    /// Units that no longer exist at the later date.
    pub removed: usize,
    /// Units with another name.
    pub renamed: usize,
    /// Units with another parent unit.
    pub moved: usize,
    /// Units with another code under the same parent unit.
    pub recoded: usize,
}

/// The changes between two snapshots, unit by unit: a unit that changed code is `moved` or
/// `recoded`, not removed and added. The `codes_*` counts compare the codes only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// Edition of the earlier side.
    pub from_edition: String,
    /// Edition of the later side.
    pub to_edition: String,
    /// Units new at the later date.
    pub added: Vec<SnapshotUnit>,
    /// Units gone at the later date (as they stood at the earlier).
    pub removed: Vec<SnapshotUnit>,
    /// Renamed units.
    pub renamed: Vec<RenamedUnit>,
    /// Units under another parent unit (with their new codes).
    pub moved: Vec<MovedUnit>,
    /// Units with a new code under the same parent unit (their parent was recoded or moved).
    pub recoded: Vec<MovedUnit>,
    /// Counts by level.
    pub by_level: BTreeMap<AdminLevel, ChangeCounts>,
    /// Counts over all levels.
    pub counts: ChangeCounts,
}

impl History {
    /// The changes from `from` to `to` (each an edition id or a day, see
    /// [`History::resolve`]), optionally at one level only.
    pub fn changes(
        &self,
        from: &str,
        to: &str,
        level: Option<AdminLevel>,
    ) -> Result<Changes, HistoryError> {
        Ok(Self::changes_between(
            self.resolve(from)?,
            self.resolve(to)?,
            level,
        ))
    }

    /// The changes between two snapshots, optionally at one level only.
    pub fn changes_between(a: &Snapshot, b: &Snapshot, level: Option<AdminLevel>) -> Changes {
        let keep = |u: &&SnapshotUnit| level.is_none_or(|l| u.level == l);
        let mut out = Changes {
            from_edition: a.edition_id().to_owned(),
            to_edition: b.edition_id().to_owned(),
            added: Vec::new(),
            removed: Vec::new(),
            renamed: Vec::new(),
            moved: Vec::new(),
            recoded: Vec::new(),
            by_level: BTreeMap::new(),
            counts: ChangeCounts::default(),
        };
        let a_codes: HashSet<&str> = a.units().iter().map(|u| u.code.as_str()).collect();
        let b_codes: HashSet<&str> = b.units().iter().map(|u| u.code.as_str()).collect();
        for u in a.units().iter().filter(keep) {
            let c = out.by_level.entry(u.level).or_default();
            if !b_codes.contains(u.code.as_str()) {
                c.codes_removed += 1;
            }
            if b.by_unit(u.unit).is_none() {
                c.removed += 1;
                out.removed.push(u.clone());
            }
        }
        for u in b.units().iter().filter(keep) {
            let c = out.by_level.entry(u.level).or_default();
            if !a_codes.contains(u.code.as_str()) {
                c.codes_added += 1;
            }
            let Some(old) = a.by_unit(u.unit) else {
                c.added += 1;
                out.added.push(u.clone());
                continue;
            };
            if old.name != u.name {
                c.renamed += 1;
                out.renamed.push(RenamedUnit {
                    code: u.code.clone(),
                    from_name: old.name.clone(),
                    to_name: u.name.clone(),
                });
            }
            let moved = MovedUnit {
                name: u.name.clone(),
                from_code: old.code.clone(),
                to_code: u.code.clone(),
                from_parent: old.parent_code.clone(),
                to_parent: u.parent_code.clone(),
            };
            if old.parent != u.parent {
                c.moved += 1;
                out.moved.push(moved);
            } else if old.code != u.code {
                c.recoded += 1;
                out.recoded.push(moved);
            }
        }
        for c in out.by_level.values() {
            let t = &mut out.counts;
            t.codes_added += c.codes_added;
            t.codes_removed += c.codes_removed;
            t.added += c.added;
            t.removed += c.removed;
            t.renamed += c.renamed;
            t.moved += c.moved;
            t.recoded += c.recoded;
        }
        out
    }
}
