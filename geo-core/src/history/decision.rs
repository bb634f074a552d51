//! A person's decisions on the [`Ambiguity`]s the inference would not decide alone, applied
//! by [`History::build_with_decisions`](super::History::build_with_decisions).
//!
//! A decision names its case by edition, kind and code (what stays the same when the
//! history is rebuilt) and chooses one of the case's candidates, or accepts what the build
//! recorded:
//!
//! - [`AmbiguityKind::SeveralCandidates`]: the new code continues the chosen vanished unit
//!   (its identity continues; `recoded`, `moved` or `renamed` as the versions differ); the
//!   other candidates stay as recorded (abolished, and the other new codes created);
//! - [`AmbiguityKind::SameNameElsewhere`]: the new code continues the chosen vanished unit
//!   under its new parent: one unit that `moved`, instead of an abolition and a creation;
//! - [`AmbiguityKind::EndedWithoutSuccessor`]: the ended unit `merged` into the chosen unit
//!   created beside it, with the succession link on both sides;
//! - [`Choice::AsRecorded`]: nothing changes; the case counts as decided.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Ambiguity, AmbiguityKind, Edition, History, HistoryError, IntegrityError};
use crate::AdminCode;

/// What a person chose for one case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// One of the case's candidate codes.
    Candidate(AdminCode),
    /// What the build recorded stands.
    AsRecorded,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Candidate(code) => write!(f, "{code}"),
            Choice::AsRecorded => f.write_str("as-recorded"),
        }
    }
}

/// The case a decision answers: the same edition, kind and code as its [`Ambiguity`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseKey {
    /// The edition where the case shows.
    pub edition: String,
    /// Why it needed a person.
    pub kind: AmbiguityKind,
    /// The unit's code (as in [`Ambiguity::code`]).
    pub code: AdminCode,
}

impl CaseKey {
    /// The key of `a`.
    pub fn of(a: &Ambiguity) -> Self {
        Self {
            edition: a.edition.clone(),
            kind: a.kind,
            code: a.code.clone(),
        }
    }
}

impl fmt::Display for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            AmbiguityKind::SeveralCandidates => "several_candidates",
            AmbiguityKind::SameNameElsewhere => "same_name_elsewhere",
            AmbiguityKind::EndedWithoutSuccessor => "ended_without_successor",
        };
        write!(f, "{} {kind} {}", self.edition, self.code)
    }
}

/// The decisions to apply, at most one per case (see the [module docs](self)).
///
/// ```
/// use civmap_geo_core::history::{AmbiguityKind, CaseKey, Choice, Decisions};
/// use civmap_geo_core::AdminCode;
/// let mut d = Decisions::default();
/// let key = CaseKey {
///     edition: "NBS2021".into(),
///     kind: AmbiguityKind::EndedWithoutSuccessor,
///     code: AdminCode::parse("330103001000").unwrap(),
/// };
/// d.insert(key.clone(), Choice::Candidate(AdminCode::parse("330105014000").unwrap()));
/// assert_eq!(d.len(), 1);
/// assert_eq!(d.get(&key).unwrap().to_string(), "330105014000");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions {
    by_case: BTreeMap<CaseKey, Choice>,
}

impl Decisions {
    /// Records `choice` for `case`, replacing an earlier decision on it.
    pub fn insert(&mut self, case: CaseKey, choice: Choice) {
        self.by_case.insert(case, choice);
    }

    /// The decision on `case`.
    pub fn get(&self, case: &CaseKey) -> Option<&Choice> {
        self.by_case.get(case)
    }

    /// Whether `a` is decided.
    pub fn decides(&self, a: &Ambiguity) -> bool {
        self.by_case.contains_key(&CaseKey::of(a))
    }

    /// How many decisions.
    pub fn len(&self) -> usize {
        self.by_case.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_case.is_empty()
    }

    /// Every decision, by case.
    pub fn iter(&self) -> impl Iterator<Item = (&CaseKey, &Choice)> {
        self.by_case.iter()
    }
}

impl FromIterator<(CaseKey, Choice)> for Decisions {
    fn from_iter<I: IntoIterator<Item = (CaseKey, Choice)>>(iter: I) -> Self {
        Self {
            by_case: iter.into_iter().collect(),
        }
    }
}

/// The integrity failures of the history built with `decisions` (unused ones ignored).
fn problems_with(
    editions: &[Edition],
    decisions: &Decisions,
) -> Result<Vec<IntegrityError>, HistoryError> {
    let inferred = super::infer::infer(editions, decisions)?;
    let infos = editions.iter().map(Edition::info).collect();
    Ok(History::from_parts(infos, inferred.units, inferred.events).check())
}

/// Refuses `decisions` when `history` (built with them) fails an integrity check that the
/// history without them passes, naming the first decision (oldest edition first) that does.
pub(super) fn refuse_new_problems(
    history: &History,
    editions: &[Edition],
    decisions: &Decisions,
) -> Result<(), HistoryError> {
    let problems = history.check();
    if problems.is_empty() {
        return Ok(());
    }
    let base = problems_with(editions, &Decisions::default())?;
    let Some(first_new) = problems.into_iter().find(|p| !base.contains(p)) else {
        return Ok(());
    };
    // oldest edition first: a decision's case may depend on the decisions before it
    let mut ordered: Vec<(&CaseKey, &Choice)> = decisions.iter().collect();
    ordered.sort_by_key(|(case, _)| editions.iter().position(|e| e.id == case.edition));
    let mut prefix = Decisions::default();
    let mut last = None;
    for (case, choice) in ordered {
        prefix.insert(case.clone(), choice.clone());
        if *choice == Choice::AsRecorded {
            continue;
        }
        last = Some((case, choice));
        let found = problems_with(editions, &prefix)?;
        if let Some(problem) = found.into_iter().find(|p| !base.contains(p)) {
            return Err(HistoryError::DecisionBreaksIntegrity {
                case: case.clone(),
                choice: choice.clone(),
                problem: Box::new(problem),
            });
        }
    }
    // all decisions together fail where no prefix did: blame the last choice made
    match last {
        Some((case, choice)) => Err(HistoryError::DecisionBreaksIntegrity {
            case: case.clone(),
            choice: choice.clone(),
            problem: Box::new(first_new),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
