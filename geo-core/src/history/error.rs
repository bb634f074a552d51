//! What can go wrong when building or asking the history.

use super::{CaseKey, Choice, Date, IntegrityError};

/// An error of the division history: bad editions, or a question it cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// A day that is not written `YYYY-MM-DD` or does not exist.
    #[error("{input:?} is not a day written YYYY-MM-DD")]
    BadDate {
        /// What was given.
        input: String,
    },
    /// No editions were given.
    #[error("a history needs at least one edition")]
    NoEditions,
    /// Two editions share an id.
    #[error("edition id {edition:?} is given twice")]
    DuplicateEdition {
        /// The repeated id.
        edition: String,
    },
    /// Editions must be given oldest first, each dated after the one before.
    #[error("edition {edition} ({date}) is not dated after the edition before it, {previous} ({previous_date})")]
    EditionsOutOfOrder {
        /// The edition out of place.
        edition: String,
        /// Its cut-off day.
        date: Date,
        /// The edition before it.
        previous: String,
        /// That edition's cut-off day.
        previous_date: Date,
    },
    /// A code appears twice in one edition.
    #[error("edition {edition}: code {code} appears twice")]
    DuplicateCode {
        /// The edition.
        edition: String,
        /// The repeated code.
        code: String,
    },
    /// A row below the city names a parent that the edition does not have.
    #[error(
        "edition {edition}: {code} ({name}) names parent {parent}, which is not in the edition"
    )]
    MissingParent {
        /// The edition.
        edition: String,
        /// The row's code.
        code: String,
        /// The row's name.
        name: String,
        /// The parent code it names.
        parent: String,
    },
    /// A day before the first edition: nothing is known of it.
    #[error(
        "{date} is before the first edition, {first} ({first_date}); the history starts there"
    )]
    BeforeFirstEdition {
        /// The day asked for.
        date: Date,
        /// The first edition's id.
        first: String,
        /// Its cut-off day.
        first_date: Date,
    },
    /// Neither an edition id nor a day.
    #[error("{input:?} is neither a known edition ({known}) nor a day written YYYY-MM-DD")]
    UnknownEdition {
        /// What was given.
        input: String,
        /// The known edition ids, comma-separated.
        known: String,
    },
    /// A decision whose case the build no longer finds (the editions changed, or an earlier
    /// decision changed what happens here): refused, never dropped silently.
    #[error("decision on {case} ({choice}): the build no longer lists that case; decide again")]
    StaleDecision {
        /// The case decided.
        case: CaseKey,
        /// The choice made.
        choice: Choice,
    },
    /// A decision choosing a code that is not one of its case's candidates.
    #[error("decision on {case}: {choice} is not one of its candidates ({candidates})")]
    ChoiceNotCandidate {
        /// The case decided.
        case: CaseKey,
        /// The choice made.
        choice: Choice,
        /// The case's candidates, comma-separated.
        candidates: String,
    },
    /// Two decisions give the same vanished unit to two new codes.
    #[error(
        "decision on {case} ({choice}): that unit is already chosen by the decision on {other}"
    )]
    DecisionConflict {
        /// The case decided.
        case: CaseKey,
        /// The choice made.
        choice: Choice,
        /// The other case that chose it first.
        other: Box<CaseKey>,
    },
    /// A decision whose history fails an integrity check the history without it passes.
    #[error("decision on {case} ({choice}) would break the history: {problem}")]
    DecisionBreaksIntegrity {
        /// The case decided.
        case: CaseKey,
        /// The choice made.
        choice: Choice,
        /// The first failure it causes.
        problem: Box<IntegrityError>,
    },
}
