//! Cases the inference will not decide alone: listed for a person to confirm.

use serde::{Deserialize, Serialize};

use crate::{AdminCode, AdminLevel};

/// Why a case needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmbiguityKind {
    /// A new code could continue several vanished units of the same name (or a vanished unit
    /// could continue as several new ones); none was chosen.
    SeveralCandidates,
    /// A vanished unit's name reappears under a different parent that did not change in this
    /// edition: a move between two lasting parents, or a new unit with an old name. The
    /// history records an abolition and a creation.
    SameNameElsewhere,
    /// A unit ended, and no child of it lives on to show where its territory went. The
    /// history records an abolition without successor; `candidates` are the units created
    /// under the same parent in the same edition (a merger into one of them is likely).
    EndedWithoutSuccessor,
}

/// One case for a person to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ambiguity {
    /// Why.
    pub kind: AmbiguityKind,
    /// The edition where it shows.
    pub edition: String,
    /// The unit's code (the vanished one, or the new one for [`AmbiguityKind::SeveralCandidates`]).
    pub code: AdminCode,
    /// The unit's name.
    pub name: String,
    /// Its level.
    pub level: AdminLevel,
    /// The codes it could be matched with.
    pub candidates: Vec<AdminCode>,
    /// What the history recorded meanwhile, in words.
    pub recorded: String,
}
