//! The inference rules that turn a sequence of editions into units, versions and events.
//!
//! Between two consecutive editions `P` (before) and `N` (after), level by level from the
//! city down (so that a row's parent is already resolved when the row is matched):
//!
//! 1. **Same code → same unit.** A code in both editions continues its unit; a new name is
//!    [`EventKind::Renamed`], a new parent unit [`EventKind::Moved`].
//! 2. **Code gone, same name and level under a related parent → same unit, new code.** Each
//!    vanished row is compared with each new row of the same level and name by *position*,
//!    the relation between the vanished row's parent unit and the new row's parent unit:
//!    - *same parent* (the same unit, whatever its code now): [`EventKind::Recoded`] — e.g.
//!      the villages of 长庆街道 whose codes followed their township's;
//!    - *restructured parent* (the old parent ended in this edition, or the new parent was
//!      created in it): [`EventKind::Moved`] — e.g. 长庆街道 330103001000 → 330105014000
//!      when 下城区 ended, 临平街道 when 临平区 was created;
//!    - *elsewhere* (two lasting, unrelated parents): not matched; listed as
//!      [`AmbiguityKind::SameNameElsewhere`].
//!
//!    The closer position is tried first. A pair is matched only if each is the other's only
//!    candidate at that position; otherwise the case is listed as
//!    [`AmbiguityKind::SeveralCandidates`] and nothing is guessed.
//! 3. **New rows left over → [`EventKind::Created`]**, carved from the units whose children
//!    they took, if any.
//! 4. **Units left over ended.** If their lasting children all went to one unit:
//!    [`EventKind::Merged`] into it; to several: [`EventKind::Split`] among them; both with
//!    succession links (`superseded_by` / `supersedes`). With no lasting child to show the
//!    way: [`EventKind::Abolished`], listed as [`AmbiguityKind::EndedWithoutSuccessor`] with
//!    the units created beside it as candidates.
//!
//! Events are dated by the edition that first shows them (see [`Event`]).
//!
//! A person's [`Decisions`] are applied where their case shows: a chosen candidate of
//! [`AmbiguityKind::SeveralCandidates`] or [`AmbiguityKind::SameNameElsewhere`] is matched
//! like a rule-2 pair (so the versions say `recoded`, `moved` or `renamed`); a chosen
//! candidate of [`AmbiguityKind::EndedWithoutSuccessor`] is the unit it `merged` into. The
//! cases are listed as before, decided or not, so that a decision never changes which
//! other cases of its edition are listed; later editions see its consequences.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::{
    Ambiguity, AmbiguityKind, CaseKey, Choice, Date, Decisions, DivisionRow, Edition, Event,
    EventKind, EventSide, HistoryError, Unit, UnitId, UnitVersion,
};
use crate::{AdminCode, AdminLevel};

/// The result of folding in the editions.
pub(super) struct Inferred {
    pub units: Vec<Unit>,
    pub events: Vec<Event>,
    pub ambiguities: Vec<Ambiguity>,
    /// The cases of `ambiguities` a decision answered.
    pub decided: BTreeSet<CaseKey>,
}

/// The cases found so far, and the decisions to apply to them.
struct Cases<'d> {
    decisions: &'d Decisions,
    found: Vec<Ambiguity>,
    decided: BTreeSet<CaseKey>,
}

impl Cases<'_> {
    /// Lists `a`; returns the candidate a person chose for it, if any.
    fn list(&mut self, a: Ambiguity) -> Result<Option<AdminCode>, HistoryError> {
        let case = CaseKey::of(&a);
        let choice = self.decisions.get(&case).cloned();
        let candidates = a.candidates.clone();
        self.found.push(a);
        let Some(choice) = choice else {
            return Ok(None);
        };
        self.decided.insert(case.clone());
        match choice {
            Choice::AsRecorded => Ok(None),
            Choice::Candidate(code) if candidates.contains(&code) => Ok(Some(code)),
            choice => Err(HistoryError::ChoiceNotCandidate {
                case,
                choice,
                candidates: candidates
                    .iter()
                    .map(AdminCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// How a vanished row and a new row of the same name relate through their parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    SameParent,
    RestructuredParent,
    Elsewhere,
}

/// Checks the editions: at least one, unique ids, dates increasing, codes unique, parents
/// present below the city.
fn validate(editions: &[Edition]) -> Result<(), HistoryError> {
    if editions.is_empty() {
        return Err(HistoryError::NoEditions);
    }
    let mut ids = HashSet::new();
    for (i, e) in editions.iter().enumerate() {
        if !ids.insert(e.id.as_str()) {
            return Err(HistoryError::DuplicateEdition {
                edition: e.id.clone(),
            });
        }
        if i > 0 && e.date <= editions[i - 1].date {
            return Err(HistoryError::EditionsOutOfOrder {
                edition: e.id.clone(),
                date: e.date,
                previous: editions[i - 1].id.clone(),
                previous_date: editions[i - 1].date,
            });
        }
        let mut codes = HashSet::with_capacity(e.rows.len());
        for r in &e.rows {
            if !codes.insert(r.code.as_str()) {
                return Err(HistoryError::DuplicateCode {
                    edition: e.id.clone(),
                    code: r.code.to_string(),
                });
            }
        }
        for r in &e.rows {
            if r.level != AdminLevel::City && !codes.contains(r.parent.as_str()) {
                return Err(HistoryError::MissingParent {
                    edition: e.id.clone(),
                    code: r.code.to_string(),
                    name: r.name.clone(),
                    parent: r.parent.to_string(),
                });
            }
        }
    }
    Ok(())
}

fn sorted_rows(e: &Edition) -> Vec<&DivisionRow> {
    let mut rows: Vec<&DivisionRow> = e.rows.iter().collect();
    rows.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    rows
}

fn version_of(row: &DivisionRow, parent: Option<UnitId>, from: Date) -> UnitVersion {
    UnitVersion {
        code: row.code.clone(),
        name: row.name.clone(),
        level: row.level,
        kind: row.kind.clone(),
        parent,
        valid_from: from,
        valid_to: None,
    }
}

/// Folds the editions, oldest first, into units, events and the cases left to a person,
/// applying `decisions` where their cases show (decisions on no case are left unused).
pub(super) fn infer(editions: &[Edition], decisions: &Decisions) -> Result<Inferred, HistoryError> {
    validate(editions)?;
    let mut units: Vec<Unit> = Vec::new();
    let mut events = Vec::new();
    let mut cases = Cases {
        decisions,
        found: Vec::new(),
        decided: BTreeSet::new(),
    };

    // the first edition: every row a unit
    let first = &editions[0];
    let mut assign: HashMap<&str, UnitId> = HashMap::with_capacity(first.rows.len());
    let rows = sorted_rows(first);
    for r in &rows {
        let id = UnitId(units.len() as u32);
        assign.insert(r.code.as_str(), id);
        units.push(Unit {
            id,
            versions: vec![version_of(r, None, first.date)],
            supersedes: Vec::new(),
            superseded_by: Vec::new(),
        });
    }
    for r in &rows {
        units[assign[r.code.as_str()].0 as usize].versions[0].parent =
            assign.get(r.parent.as_str()).copied();
    }

    for pair in editions.windows(2) {
        let step = Transition::new(&pair[0], &pair[1], assign);
        assign = step.fold(&mut units, &mut events, &mut cases)?;
    }
    Ok(Inferred {
        units,
        events,
        ambiguities: cases.found,
        decided: cases.decided,
    })
}

/// One step, from edition `prev` to edition `next`.
struct Transition<'e> {
    prev: &'e Edition,
    next: &'e Edition,
    /// Code → unit in `prev`.
    prev_unit: HashMap<&'e str, UnitId>,
    prev_rows: Vec<&'e DivisionRow>,
    next_rows: Vec<&'e DivisionRow>,
}

impl<'e> Transition<'e> {
    fn new(prev: &'e Edition, next: &'e Edition, prev_unit: HashMap<&'e str, UnitId>) -> Self {
        Self {
            prev,
            next,
            prev_unit,
            prev_rows: sorted_rows(prev),
            next_rows: sorted_rows(next),
        }
    }

    /// Matches, versions and dates everything; returns code → unit for `next`.
    fn fold(
        self,
        units: &mut Vec<Unit>,
        events: &mut Vec<Event>,
        cases: &mut Cases<'_>,
    ) -> Result<HashMap<&'e str, UnitId>, HistoryError> {
        let next_codes: HashSet<&str> = self.next_rows.iter().map(|r| r.code.as_str()).collect();
        let mut assign: HashMap<&'e str, UnitId> = HashMap::with_capacity(self.next_rows.len());
        let mut continued: HashSet<UnitId> = HashSet::new();
        let mut created: BTreeSet<UnitId> = BTreeSet::new();
        // the parent unit of each prev unit, before anything changes
        let prev_parent: HashMap<UnitId, Option<UnitId>> = self
            .prev_unit
            .values()
            .map(|&u| (u, units[u.0 as usize].latest().parent))
            .collect();

        for level in AdminLevel::ALL {
            let mut added: BTreeMap<&str, Vec<&DivisionRow>> = BTreeMap::new();
            for r in self.next_rows.iter().filter(|r| r.level == level) {
                match self.prev_unit.get(r.code.as_str()) {
                    Some(&u) => {
                        assign.insert(r.code.as_str(), u);
                        continued.insert(u);
                    }
                    None => added.entry(r.name.as_str()).or_default().push(r),
                }
            }
            let mut removed: HashMap<&str, Vec<&DivisionRow>> = HashMap::new();
            for r in self.prev_rows.iter().filter(|r| r.level == level) {
                if !next_codes.contains(r.code.as_str()) {
                    removed.entry(r.name.as_str()).or_default().push(r);
                }
            }
            for (name, adds) in &added {
                let Some(rems) = removed.get(name) else {
                    continue;
                };
                let position = |r: &DivisionRow, a: &DivisionRow| {
                    let old = self.prev_unit.get(r.parent.as_str()).copied();
                    let new = assign.get(a.parent.as_str()).copied();
                    if old == new {
                        Position::SameParent
                    } else if old.is_some_and(|p| !continued.contains(&p))
                        || new.is_some_and(|p| created.contains(&p))
                    {
                        Position::RestructuredParent
                    } else {
                        Position::Elsewhere
                    }
                };
                let matrix: Vec<Vec<Position>> = adds
                    .iter()
                    .map(|a| rems.iter().map(|r| position(r, a)).collect())
                    .collect();
                for (ai, ri) in self.match_group(adds, rems, &matrix, cases)? {
                    let u = self.prev_unit[rems[ri].code.as_str()];
                    assign.insert(adds[ai].code.as_str(), u);
                    continued.insert(u);
                }
            }
            let mut unmatched: Vec<&DivisionRow> = added
                .values()
                .flatten()
                .copied()
                .filter(|r| !assign.contains_key(r.code.as_str()))
                .collect();
            unmatched.sort_by(|a, b| a.code.cmp(&b.code));
            for r in unmatched {
                let id = UnitId(units.len() as u32);
                assign.insert(r.code.as_str(), id);
                created.insert(id);
                units.push(Unit {
                    id,
                    versions: Vec::new(),
                    supersedes: Vec::new(),
                    superseded_by: Vec::new(),
                });
            }
        }

        let date = self.next.date;
        // versions: close what changed or ended, open what is new
        let mut changed: Vec<(UnitId, UnitVersion)> = Vec::new();
        for r in &self.next_rows {
            let u = assign[r.code.as_str()];
            let parent = assign.get(r.parent.as_str()).copied();
            let new = version_of(r, parent, date);
            let versions = &mut units[u.0 as usize].versions;
            match versions.last_mut() {
                None => versions.push(new),
                Some(last) => {
                    let same = last.code == new.code
                        && last.name == new.name
                        && last.level == new.level
                        && last.kind == new.kind
                        && last.parent == new.parent;
                    if !same {
                        last.valid_to = Some(date);
                        changed.push((u, last.clone()));
                        versions.push(new);
                    }
                }
            }
        }
        let mut ended: Vec<(UnitId, UnitVersion)> = Vec::new();
        for r in &self.prev_rows {
            let u = self.prev_unit[r.code.as_str()];
            if !continued.contains(&u) {
                let last = units[u.0 as usize]
                    .versions
                    .last_mut()
                    .expect("a prev unit has a version");
                last.valid_to = Some(date);
                ended.push((u, last.clone()));
            }
        }

        // events of lasting units
        for (u, old) in &changed {
            let new = units[u.0 as usize].latest().clone();
            let mut kinds = Vec::new();
            if old.name != new.name {
                kinds.push(EventKind::Renamed);
            }
            if old.parent != new.parent {
                kinds.push(EventKind::Moved);
            } else if old.code != new.code {
                kinds.push(EventKind::Recoded);
            }
            for kind in kinds {
                events.push(self.event(units, kind, *u, Some(old), Some(&new), Vec::new()));
            }
        }

        // ended units: merged, split or abolished
        let prev_children = children_by_parent(&self.prev_rows);
        for (u, old) in &ended {
            let mut successors: BTreeSet<UnitId> = prev_children
                .get(old.code.as_str())
                .into_iter()
                .flatten()
                .map(|c| self.prev_unit[c.code.as_str()])
                .filter(|c| continued.contains(c))
                .filter_map(|c| units[c.0 as usize].latest().parent)
                .filter(|p| p != u)
                .collect();
            if successors.is_empty() {
                let beside: Vec<_> = created
                    .iter()
                    .map(|c| units[c.0 as usize].latest())
                    .filter(|v| v.level == old.level && v.parent == prev_parent[u])
                    .map(|v| v.code.clone())
                    .collect();
                let chosen = cases.list(Ambiguity {
                    kind: AmbiguityKind::EndedWithoutSuccessor,
                    edition: self.next.id.clone(),
                    code: old.code.clone(),
                    name: old.name.clone(),
                    level: old.level,
                    candidates: beside,
                    recorded: "abolished, no successor".into(),
                })?;
                // a person named the unit created beside it that took it over
                successors.extend(chosen.map(|code| assign[code.as_str()]));
            }
            let kind = match successors.len() {
                0 => EventKind::Abolished,
                1 => EventKind::Merged,
                _ => EventKind::Split,
            };
            for s in &successors {
                units[u.0 as usize].superseded_by.push(*s);
                units[s.0 as usize].supersedes.push(*u);
            }
            let related = successors.into_iter().collect();
            events.push(self.event(units, kind, *u, Some(old), None, related));
        }

        // created units, with the units they were carved from
        let next_children = children_by_parent(&self.next_rows);
        for u in &created {
            let new = units[u.0 as usize].latest().clone();
            let carved_from: BTreeSet<UnitId> = next_children
                .get(new.code.as_str())
                .into_iter()
                .flatten()
                .map(|c| assign[c.code.as_str()])
                .filter(|c| !created.contains(c))
                .filter_map(|c| prev_parent.get(&c).copied().flatten())
                .collect();
            let related = carved_from.into_iter().collect();
            events.push(self.event(units, EventKind::Created, *u, None, Some(&new), related));
        }
        Ok(assign)
    }

    /// Pairs vanished and new rows of one name: closest position first, only mutual sole
    /// candidates; everything else is listed, not guessed, and paired only as a person
    /// decided.
    fn match_group(
        &self,
        adds: &[&DivisionRow],
        rems: &[&DivisionRow],
        matrix: &[Vec<Position>],
        cases: &mut Cases<'_>,
    ) -> Result<Vec<(usize, usize)>, HistoryError> {
        let mut free_a = vec![true; adds.len()];
        let mut free_r = vec![true; rems.len()];
        let mut pairs = Vec::new();
        // vanished rows a decision gave to a new one, with that decision's case
        let mut claimed: HashMap<usize, CaseKey> = HashMap::new();
        let mut decide = |a: usize, listed: Ambiguity, cases: &mut Cases<'_>| {
            let case = CaseKey::of(&listed);
            let Some(code) = cases.list(listed)? else {
                return Ok(None);
            };
            let r = rems
                .iter()
                .position(|r| r.code == code)
                .expect("a listed candidate is a vanished row of the group");
            if let Some(other) = claimed.get(&r) {
                return Err(HistoryError::DecisionConflict {
                    case,
                    choice: Choice::Candidate(code),
                    other: Box::new(other.clone()),
                });
            }
            claimed.insert(r, case);
            Ok(Some((a, r)))
        };
        for tier in [Position::SameParent, Position::RestructuredParent] {
            let cand_a: Vec<Vec<usize>> = (0..adds.len())
                .map(|a| {
                    (0..rems.len())
                        .filter(|&r| free_a[a] && free_r[r] && matrix[a][r] == tier)
                        .collect()
                })
                .collect();
            let cand_r_len: Vec<usize> = (0..rems.len())
                .map(|r| cand_a.iter().filter(|c| c.contains(&r)).count())
                .collect();
            for a in 0..adds.len() {
                if let [r] = cand_a[a][..] {
                    if cand_r_len[r] == 1 {
                        pairs.push((a, r));
                        free_a[a] = false;
                        free_r[r] = false;
                    }
                }
            }
            for a in 0..adds.len() {
                if free_a[a] && !cand_a[a].is_empty() {
                    let listed = self.ambiguity(
                        AmbiguityKind::SeveralCandidates,
                        adds[a],
                        cand_a[a].iter().map(|&r| rems[r]),
                        "created; the vanished candidates abolished",
                    );
                    pairs.extend(decide(a, listed, cases)?);
                    free_a[a] = false;
                    for &r in &cand_a[a] {
                        free_r[r] = false;
                    }
                }
            }
        }
        for a in 0..adds.len() {
            let elsewhere: Vec<&DivisionRow> = (0..rems.len())
                .filter(|&r| free_a[a] && free_r[r])
                .map(|r| rems[r])
                .collect();
            if !elsewhere.is_empty() {
                let listed = self.ambiguity(
                    AmbiguityKind::SameNameElsewhere,
                    adds[a],
                    elsewhere.into_iter(),
                    "created; the vanished unit of the same name abolished",
                );
                pairs.extend(decide(a, listed, cases)?);
            }
        }
        Ok(pairs)
    }

    fn ambiguity<'r>(
        &self,
        kind: AmbiguityKind,
        row: &DivisionRow,
        candidates: impl Iterator<Item = &'r DivisionRow>,
        recorded: &str,
    ) -> Ambiguity {
        Ambiguity {
            kind,
            edition: self.next.id.clone(),
            code: row.code.clone(),
            name: row.name.clone(),
            level: row.level,
            candidates: candidates.map(|r| r.code.clone()).collect(),
            recorded: recorded.into(),
        }
    }

    fn event(
        &self,
        units: &[Unit],
        kind: EventKind,
        unit: UnitId,
        from: Option<&UnitVersion>,
        to: Option<&UnitVersion>,
        related: Vec<UnitId>,
    ) -> Event {
        let side = |v: &UnitVersion, day: Date| EventSide {
            code: v.code.clone(),
            name: v.name.clone(),
            parent_code: v.parent.and_then(|p| {
                units[p.0 as usize]
                    .version_on(day)
                    .map(|pv| pv.code.clone())
            }),
        };
        Event {
            kind,
            unit,
            edition: self.next.id.clone(),
            date: self.next.date,
            after: self.prev.date,
            from: from.map(|v| side(v, self.prev.date)),
            to: to.map(|v| side(v, self.next.date)),
            related,
        }
    }
}

fn children_by_parent<'e>(rows: &[&'e DivisionRow]) -> HashMap<&'e str, Vec<&'e DivisionRow>> {
    let mut out: HashMap<&str, Vec<&DivisionRow>> = HashMap::new();
    for r in rows {
        out.entry(r.parent.as_str()).or_default().push(r);
    }
    out
}
