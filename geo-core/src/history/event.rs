//! The events that change a unit, as inferred between two editions.

use serde::{Deserialize, Serialize};

use super::{Date, UnitId};
use crate::AdminCode;

/// What happened to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A new unit (possibly carved from others: [`Event::related`]).
    Created,
    /// The unit ended with no successor found.
    Abolished,
    /// Same unit, new name.
    Renamed,
    /// Same unit and parent, new code.
    Recoded,
    /// Same unit, new parent unit (and so a new code).
    Moved,
    /// The unit ended and all of its territory went to one unit ([`Event::related`]).
    Merged,
    /// The unit ended and its territory went to several units ([`Event::related`]).
    Split,
}

impl EventKind {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Abolished => "abolished",
            Self::Renamed => "renamed",
            Self::Recoded => "recoded",
            Self::Moved => "moved",
            Self::Merged => "merged",
            Self::Split => "split",
        }
    }
}

/// A unit's state on one side of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSide {
    /// Code.
    pub code: AdminCode,
    /// Name.
    pub name: String,
    /// The parent's code (`None` at the top).
    pub parent_code: Option<AdminCode>,
}

/// One event in a unit's life.
///
/// Editions only show states, so an event is dated by the edition that first shows it
/// (`date`): it took effect after `after` (the edition before) and on or before `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// To which unit.
    pub unit: UnitId,
    /// The first edition that shows it.
    pub edition: String,
    /// That edition's cut-off day.
    pub date: Date,
    /// The cut-off of the edition before, after which the event took effect.
    pub after: Date,
    /// The state before (`None` for [`EventKind::Created`]).
    pub from: Option<EventSide>,
    /// The state after (`None` when the unit ended).
    pub to: Option<EventSide>,
    /// Merged into / split among (the successors), or for a created unit the units it was
    /// carved from (whose children it took).
    pub related: Vec<UnitId>,
}
