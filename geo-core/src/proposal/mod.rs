//! Change proposals for the division (区划调整): a transfer, merge, split or rename is applied
//! to a copy of the admin hierarchy (a [`Branch`]), never to live data, and measured before
//! anyone approves it.
//!
//! - [`kind`]: the four kinds of proposal as a typed enum;
//! - [`codes`]: new codes per the NBS structure (2 province + 2 city + 2 county +
//!   3 township + 3 village digits);
//! - [`shapes`]: the geometry of a branch — unions and differences of snapped rings, and a
//!   polygon cut by a drawn line;
//! - [`branch`]: applying a proposal to the hierarchy, and re-parenting records;
//! - [`impact`]: what the branch changes — residents moved, facilities and doorplates
//!   re-parented, boundary lines created, ended and lengthened, markers orphaned, codes
//!   created and retired, former names, new validation findings;
//! - [`contiguity`]: whether a change leaves a unit in more separate pieces than before (an
//!   exclave), a finding of its own;
//! - [`unit_coverage`]: coverage and plan indicators of the affected units before and after,
//!   aggregated from per-doorplate coverage flags (the walking network does not change, only
//!   which unit a doorplate counts for).
//!
//! Like the rest of geo-core this module does no IO: the store and routes live elsewhere.

pub mod branch;
pub mod codes;
pub mod contiguity;
pub mod impact;
pub mod kind;
pub mod shapes;
pub mod unit_coverage;

pub use branch::{apply, Branch, FormerName};
pub use impact::{impact, Impact, ImpactInputs};
pub use kind::ProposalKind;

use crate::AdminCode;

/// A proposal that cannot be applied, naming the request field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProposalError {
    /// A code that names no unit of the hierarchy.
    #[error("{field}: no admin unit has code {code}")]
    UnknownUnit {
        /// The request field, e.g. `community`.
        field: &'static str,
        /// The code given.
        code: AdminCode,
    },
    /// Anything else wrong with a field: a wrong level, a transfer to the unit's own
    /// township, a line that does not cross the unit, an empty name.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Every code of the parent's range is taken.
    #[error("{field}: no free code left under {parent}")]
    NoFreeCode {
        /// The request field whose unit needs the code.
        field: &'static str,
        /// The parent whose range is full.
        parent: AdminCode,
    },
}

impl ProposalError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownUnit { field, .. }
            | Self::Invalid { field, .. }
            | Self::NoFreeCode { field, .. } => field,
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
