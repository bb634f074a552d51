//! Change proposals (区划调整): a surveyor's transfer, merge, split or rename with its impact
//! report, and an admin's decision. Kept in the accounts store (`accounts.sqlite` of a data
//! or state directory, or the PostGIS tables of migration `0008_proposals.sql`), so that
//! **every proposal, its decision and their [`AuditRecord`]s commit in one transaction**, as
//! the survey register does. With PostGIS, an approval also writes the change into
//! `civmap.admin_units`, `doorplates` and `facilities` in that same transaction: the
//! follower then picks it up like any other edit. With `accounts.sqlite` the caller applies
//! the change to its in-memory data once the decision is committed, and the change is kept
//! with the decision (`proposal_edits`), so that the next start replays it
//! ([`ProposalStore::approved_edits`], [`DataEdit::apply_to`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::proposals::ProposalStoreError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! use civmap_data::proposals::NewProposal;
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?;
//! let proposals = store.proposals();
//! let p = NewProposal {
//!     kind: "rename".into(),
//!     request: serde_json::json!({"kind": "rename", "unit": "330106001001", "name": "新名"}),
//!     impact: serde_json::json!({}),
//!     valid: true,
//! };
//! let stored = proposals.create(p, AuditRecord::new("li", "proposal.create", "proposal")).await?;
//! assert_eq!(stored.status, "pending");
//! # Ok(()) }
//! ```

mod pg;
mod replay;
mod sqlite;

use civmap_geo_core::{AdminCode, AdminUnit};
use serde::{Deserialize, Serialize};

pub use replay::EditConflict;

use crate::accounts::{AccountsError, AuditRecord};
use crate::register::{check_date, Backend};

/// A proposal to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProposal {
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// The request as given (JSON).
    pub request: serde_json::Value,
    /// Its impact report (JSON).
    pub impact: serde_json::Value,
    /// Whether the branch passed the survey validator.
    pub valid: bool,
}

/// A stored proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredProposal {
    /// Store id.
    pub id: i64,
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// The request.
    pub request: serde_json::Value,
    /// The impact report as computed when proposed.
    pub impact: serde_json::Value,
    /// Whether the branch passed the survey validator.
    pub valid: bool,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When, Unix milliseconds.
    pub proposed_ms: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When, Unix milliseconds.
    pub decided_ms: Option<i64>,
    /// The day an approval takes effect, `YYYY-MM-DD`.
    pub effective: Option<String>,
    /// The reason given with the decision.
    pub note: Option<String>,
}

/// A name a unit was known by before an approved proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFormerName {
    /// The unit that carries the place now.
    pub code: AdminCode,
    /// The code that ended with the name, if any.
    pub former_code: Option<AdminCode>,
    /// The former name.
    pub name: String,
    /// The day before which it was in force (the proposal's effective date).
    pub until: String,
    /// The proposal that ended it.
    pub proposal: i64,
}

/// The change an approval makes to the data. PostGIS writes it into its data tables;
/// `accounts.sqlite` keeps it with the decision (exact, bincode) so that a server without
/// PostGIS replays it onto its data at every start ([`DataEdit::apply_to`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataEdit {
    /// Units created or changed.
    pub upsert_units: Vec<AdminUnit>,
    /// The codes among `upsert_units` that begin with the change (the others exist before
    /// it); used to check that a replayed change still fits the data.
    #[serde(default)]
    pub created_units: Vec<AdminCode>,
    /// Units that end.
    pub delete_units: Vec<AdminCode>,
    /// Doorplate id → its new community code.
    pub doorplates: Vec<(u64, AdminCode)>,
    /// Facility id → its new unit code.
    pub facilities: Vec<(String, AdminCode)>,
    /// The units it changes or retires as they were when it was approved: a replay
    /// applies it only to these very records (see [`DataEdit::apply_to`]).
    #[serde(default)]
    pub units_before: Vec<AdminUnit>,
    /// Doorplate id → its unit code when it was approved.
    #[serde(default)]
    pub doorplates_before: Vec<(u64, Option<AdminCode>)>,
    /// Facility id → its unit code when it was approved.
    #[serde(default)]
    pub facilities_before: Vec<(String, Option<AdminCode>)>,
}

/// An approved proposal's stored data change, as a server without PostGIS replays it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovedEdit {
    /// The proposal.
    pub proposal: i64,
    /// Its request (the `ProposalKind` as JSON).
    pub request: serde_json::Value,
    /// The day it takes effect.
    pub effective: String,
    /// The change, as approved; `Err` with the reason when it is missing (approved before
    /// civmap kept it) or cannot be read by this version.
    pub edit: Result<DataEdit, String>,
}

/// An admin's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Approved, taking effect on `effective` (`YYYY-MM-DD`), with the former names to
    /// keep and the data to write.
    Approve {
        /// The day it takes effect.
        effective: String,
        /// Former names: (code, former code, name).
        former_names: Vec<(AdminCode, Option<AdminCode>, String)>,
        /// The data change.
        edit: Box<DataEdit>,
    },
    /// Rejected, with a reason.
    Reject {
        /// Why.
        note: Option<String>,
    },
}

/// What went wrong storing or deciding a proposal.
#[derive(Debug, thiserror::Error)]
pub enum ProposalStoreError {
    /// The store failed or is unreachable (nothing changed), or a field is malformed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// No proposal with that id.
    #[error("no proposal {0}")]
    NotFound(i64),
    /// The proposal was already decided.
    #[error("proposal {id} is already {status}")]
    Decided {
        /// The proposal.
        id: i64,
        /// Its status.
        status: String,
    },
}

fn proposal_json(p: &StoredProposal) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "kind": p.kind, "request": p.request, "valid": p.valid,
        "status": p.status, "effective": p.effective, "note": p.note,
    })
}

/// The proposals of one accounts store.
#[derive(Debug, Clone)]
pub struct ProposalStore(Backend);

impl ProposalStore {
    pub(crate) fn new(store: Backend) -> Self {
        Self(store)
    }

    /// Stores a pending proposal with its audit row (`after` = the proposal, without the
    /// impact) in one transaction; the audit row's target gets the new id appended.
    pub async fn create(
        &self,
        p: NewProposal,
        audit: AuditRecord,
    ) -> Result<StoredProposal, ProposalStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::create(s, p, audit).await,
            Backend::Pg(s) => pg::create(s, p, audit).await,
        }
    }

    /// Every proposal, newest first.
    pub async fn list(&self) -> Result<Vec<StoredProposal>, ProposalStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::list(s).await,
            Backend::Pg(s) => pg::list(s).await,
        }
    }

    /// One proposal.
    pub async fn get(&self, id: i64) -> Result<StoredProposal, ProposalStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::get(s, id).await,
            Backend::Pg(s) => pg::get(s, id).await,
        }
        .and_then(|p| p.ok_or(ProposalStoreError::NotFound(id)))
    }

    /// Decides a pending proposal: its new status, the former names (approval), the data
    /// change (approval, PostGIS) and the audit row (`before`/`after`), in one transaction.
    /// A proposal already decided is refused.
    pub async fn decide(
        &self,
        id: i64,
        decision: Decision,
        audit: AuditRecord,
    ) -> Result<StoredProposal, ProposalStoreError> {
        if let Decision::Approve { effective, .. } = &decision {
            if let Err(crate::register::RegisterError::Invalid { message, .. }) =
                check_date("effective", effective)
            {
                return Err(AccountsError::Invalid {
                    field: "effective",
                    message,
                }
                .into());
            }
        }
        match &self.0 {
            Backend::Sqlite(s) => sqlite::decide(s, id, decision, audit).await,
            Backend::Pg(s) => pg::decide(s, id, decision, audit).await,
        }
    }

    /// The data changes of the approved proposals, in decision order (approvals kept
    /// without their change, older than `proposal_edits`, first by decision time). Only `accounts.sqlite` keeps them: with PostGIS the changed
    /// rows are the record, and this is empty.
    pub async fn approved_edits(&self) -> Result<Vec<ApprovedEdit>, ProposalStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::approved_edits(s).await,
            Backend::Pg(_) => Ok(Vec::new()),
        }
    }

    /// Every former name kept by approved proposals.
    pub async fn former_names(&self) -> Result<Vec<StoredFormerName>, ProposalStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::former_names(s).await,
            Backend::Pg(s) => pg::former_names(s).await,
        }
    }
}

/// The decided state of `p` under `decision`, by `who` at `now_ms`.
fn decided(mut p: StoredProposal, decision: &Decision, who: &str, now_ms: i64) -> StoredProposal {
    match decision {
        Decision::Approve { effective, .. } => {
            p.status = "approved".into();
            p.effective = Some(effective.clone());
        }
        Decision::Reject { note } => {
            p.status = "rejected".into();
            p.note = note.clone();
        }
    }
    p.decided_by = Some(who.to_owned());
    p.decided_ms = Some(now_ms);
    p
}

fn parse_code(s: &str) -> Option<AdminCode> {
    AdminCode::parse(s).ok()
}
