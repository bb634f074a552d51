//! Integrity checks against the known failures of gazetteers with history.
//!
//! Who's On First has shipped records that supersede each other in a circle (#2148) and
//! links recorded on one side only (#1863); gazetteers also keep children alive under a
//! parent that ended. [`History::check`] finds these, and validity that overlaps or breaks.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::{Date, History, UnitId};
use crate::AdminCode;

/// One integrity failure of a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrityError {
    /// Succession links that lead back to where they started.
    #[error("circular succession: {}", .cycle.iter().map(UnitId::to_string).collect::<Vec<_>>().join(" → "))]
    CircularSuccession {
        /// The units of the cycle, the first repeated at the end.
        cycle: Vec<UnitId>,
    },
    /// `from.superseded_by` names `to` but `to.supersedes` does not name `from`, or the
    /// other way round.
    #[error("one-sided succession link {from} → {to}: recorded only in {recorded_in}'s {field}")]
    OneSidedLink {
        /// The predecessor.
        from: UnitId,
        /// The successor.
        to: UnitId,
        /// The unit holding the link.
        recorded_in: UnitId,
        /// `superseded_by` or `supersedes`.
        field: String,
    },
    /// A succession link or parent naming a unit that does not exist.
    #[error("{unit} refers to {missing}, which is not in the history")]
    UnknownUnit {
        /// The unit holding the reference.
        unit: UnitId,
        /// The id it names.
        missing: UnitId,
    },
    /// A version whose parent does not hold throughout it (a current child of an ended parent).
    #[error("{child} ({code}) holds from {from} under {parent}, which does not hold on {on}")]
    ChildOutlivesParent {
        /// The child unit.
        child: UnitId,
        /// Its code in that version.
        code: AdminCode,
        /// The first day of that version.
        from: Date,
        /// The parent.
        parent: UnitId,
        /// A day within the version when the parent does not hold.
        on: Date,
    },
    /// Two versions of one unit overlap, or a version ends before it starts.
    #[error("{unit}: version from {from} overlaps or inverts the one before it")]
    OverlappingVersions {
        /// The unit.
        unit: UnitId,
        /// The first day of the offending version.
        from: Date,
    },
    /// A unit disappears and comes back.
    #[error("{unit}: no version from {ended} to {resumed}")]
    Gap {
        /// The unit.
        unit: UnitId,
        /// The day its validity broke off.
        ended: Date,
        /// The day it resumed.
        resumed: Date,
    },
    /// Two units hold the same code on the same day.
    #[error("code {code} is held by {first} and {second} on {on}")]
    CodeHeldTwice {
        /// The code.
        code: AdminCode,
        /// One unit.
        first: UnitId,
        /// The other.
        second: UnitId,
        /// The day.
        on: Date,
    },
}

impl History {
    /// Every integrity failure of the history; empty when it is sound.
    ///
    /// Checks: circular succession; one-sided succession links; references to unknown
    /// units; a child version whose parent does not hold on each edition day within it (a
    /// current child of an ended parent); versions of one unit that overlap, invert or leave
    /// a gap; one code held by two units on an edition day.
    pub fn check(&self) -> Vec<IntegrityError> {
        let mut out = Vec::new();
        self.check_links(&mut out);
        self.check_cycles(&mut out);
        self.check_versions(&mut out);
        self.check_parents_and_codes(&mut out);
        out
    }

    fn check_links(&self, out: &mut Vec<IntegrityError>) {
        for u in &self.units {
            for &to in &u.superseded_by {
                match self.unit(to) {
                    None => out.push(IntegrityError::UnknownUnit {
                        unit: u.id,
                        missing: to,
                    }),
                    Some(t) if !t.supersedes.contains(&u.id) => {
                        out.push(IntegrityError::OneSidedLink {
                            from: u.id,
                            to,
                            recorded_in: u.id,
                            field: "superseded_by".into(),
                        })
                    }
                    Some(_) => {}
                }
            }
            for &from in &u.supersedes {
                match self.unit(from) {
                    None => out.push(IntegrityError::UnknownUnit {
                        unit: u.id,
                        missing: from,
                    }),
                    Some(f) if !f.superseded_by.contains(&u.id) => {
                        out.push(IntegrityError::OneSidedLink {
                            from,
                            to: u.id,
                            recorded_in: u.id,
                            field: "supersedes".into(),
                        })
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// Depth-first search over `superseded_by`; each cycle reported once.
    fn check_cycles(&self, out: &mut Vec<IntegrityError>) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; self.units.len()];
        for start in 0..self.units.len() {
            if mark[start] != Mark::New {
                continue;
            }
            // stack of (unit index, next successor to look at); path = the open units
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            mark[start] = Mark::Open;
            while let Some(top) = stack.last_mut() {
                let i = top.0;
                let succ = &self.units[i].superseded_by;
                if top.1 < succ.len() {
                    let j = succ[top.1].0 as usize;
                    top.1 += 1;
                    if j >= self.units.len() {
                        continue; // reported as UnknownUnit
                    }
                    match mark[j] {
                        Mark::New => {
                            mark[j] = Mark::Open;
                            stack.push((j, 0));
                        }
                        Mark::Open => {
                            let at = stack.iter().position(|&(k, _)| k == j).unwrap_or(0);
                            let mut cycle: Vec<UnitId> =
                                stack[at..].iter().map(|&(k, _)| self.units[k].id).collect();
                            cycle.push(self.units[j].id);
                            out.push(IntegrityError::CircularSuccession { cycle });
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[i] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }

    fn check_versions(&self, out: &mut Vec<IntegrityError>) {
        for u in &self.units {
            for (k, v) in u.versions.iter().enumerate() {
                if v.valid_to.is_some_and(|to| to <= v.valid_from) {
                    out.push(IntegrityError::OverlappingVersions {
                        unit: u.id,
                        from: v.valid_from,
                    });
                }
                let Some(prev) = k.checked_sub(1).map(|p| &u.versions[p]) else {
                    continue;
                };
                match prev.valid_to {
                    Some(to) if to > v.valid_from => {
                        out.push(IntegrityError::OverlappingVersions {
                            unit: u.id,
                            from: v.valid_from,
                        })
                    }
                    None => out.push(IntegrityError::OverlappingVersions {
                        unit: u.id,
                        from: v.valid_from,
                    }),
                    Some(to) if to < v.valid_from => out.push(IntegrityError::Gap {
                        unit: u.id,
                        ended: to,
                        resumed: v.valid_from,
                    }),
                    Some(_) => {}
                }
            }
        }
    }

    /// Parents and codes are checked on every edition day (the only days the history
    /// describes) and on the first day of each version.
    fn check_parents_and_codes(&self, out: &mut Vec<IntegrityError>) {
        let days: Vec<Date> = self.editions.iter().map(|e| e.date).collect();
        for u in &self.units {
            for v in &u.versions {
                let Some(p) = v.parent else { continue };
                let Some(parent) = self.unit(p) else {
                    out.push(IntegrityError::UnknownUnit {
                        unit: u.id,
                        missing: p,
                    });
                    continue;
                };
                let within = std::iter::once(v.valid_from)
                    .chain(days.iter().copied())
                    .filter(|&d| v.holds_on(d));
                for d in within {
                    if parent.version_on(d).is_none() {
                        out.push(IntegrityError::ChildOutlivesParent {
                            child: u.id,
                            code: v.code.clone(),
                            from: v.valid_from,
                            parent: p,
                            on: d,
                        });
                        break;
                    }
                }
            }
        }
        for &d in &days {
            let mut holder: HashMap<&AdminCode, UnitId> = HashMap::new();
            for u in &self.units {
                if let Some(v) = u.version_on(d) {
                    if let Some(first) = holder.insert(&v.code, u.id) {
                        out.push(IntegrityError::CodeHeldTwice {
                            code: v.code.clone(),
                            first,
                            second: u.id,
                            on: d,
                        });
                    }
                }
            }
        }
    }
}
