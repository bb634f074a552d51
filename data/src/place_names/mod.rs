//! The place-name registry's stored part and the naming workflow (issue #16): names written
//! by approvals, naming and renaming applications with their findings, the kept review
//! comments, the announcements filed with approvals, and the heritage list. Kept in the
//! accounts store (`accounts.sqlite` of a data or state directory, or the PostGIS tables of
//! migration `0007_names.sql`), so that **every write and its [`AuditRecord`] commit in
//! one transaction**.
//!
//! The store keeps the workflow honest under concurrency: each step names the status it
//! moves the application from, and is refused ([`NamesStoreError::Conflict`]) when another
//! writer moved it first. What a step may do is geo-core's
//! [`Application`](civmap_geo_core::names::Application) state machine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::place_names::NamesStoreError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?;
//! let names = store.place_names();
//! println!("{} applications", names.applications().await?.len());
//! # Ok(()) }
//! ```

mod pg;
mod sqlite;

use serde::Serialize;

use crate::accounts::{AccountsError, AuditRecord};
use crate::register::Backend;

/// A stored name record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredName {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// `class/id` of the place.
    pub place: String,
    /// The name.
    pub name: String,
    /// `standard`, `short`, `alias`, `former` or `colloquial`.
    pub name_type: String,
    /// Language/script tag.
    pub lang: String,
    /// First day in use, `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    /// First day no longer in use.
    pub valid_to: Option<String>,
    /// The approval.
    pub approval_ref: Option<String>,
    /// Reading override.
    pub reading: Option<String>,
    /// The application that wrote it.
    pub application: Option<i64>,
}

/// One kept review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredReview {
    /// The reviewer.
    pub who: String,
    /// `support`, `object` or `comment`.
    pub verdict: String,
    /// The comment.
    pub comment: String,
    /// The day, `YYYY-MM-DD`.
    pub on: String,
}

/// A stored application (every column; reviews oldest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredApplication {
    /// Its number (0 before it is stored).
    pub id: i64,
    /// `class/id` of the place.
    pub place: String,
    /// The place's standard name when applied for.
    pub current_name: Option<String>,
    /// The name applied for.
    pub proposed_name: String,
    /// Why.
    pub reason: String,
    /// Who applied.
    pub applicant: String,
    /// The day it was made.
    pub submitted: String,
    /// `checked`, `reviewed`, `notice`, `approved` or `rejected`.
    pub status: String,
    /// The automatic checks' findings (a JSON array).
    pub findings: serde_json::Value,
    /// First day of the public notice.
    pub notice_from: Option<String>,
    /// Last day of the public notice.
    pub notice_until: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The day of the decision.
    pub decided_on: Option<String>,
    /// The reason of a rejection.
    pub decision_note: Option<String>,
    /// An admin overrode the heritage lock.
    pub heritage_override: bool,
    /// The reviews.
    pub reviews: Vec<StoredReview>,
}

/// An announcement filed with an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Announcement {
    /// Its number, `YYYY-NNNN` (numbered per year of its date); assigned by the store.
    pub number: String,
    /// The application approved.
    pub application: i64,
    /// The day of the approval.
    pub date: String,
    /// `class/id` of the place.
    pub place: String,
    /// The name replaced (`None`: a new name).
    pub old_name: Option<String>,
    /// The name approved.
    pub new_name: String,
    /// The issuing unit (e.g. `杭州市民政局`).
    pub unit: String,
    /// Why.
    pub reason: String,
    /// The approval document.
    pub approval_ref: String,
}

/// A listed name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeritageEntry {
    /// The name.
    pub name: String,
    /// `class/id` of the place it names, if one.
    pub place: Option<String>,
    /// Its category (e.g. `历史地名`, `老字号街巷`).
    pub category: String,
    /// A note.
    pub note: String,
    /// Who listed it.
    pub listed_by: String,
    /// The day it was listed.
    pub listed_on: String,
}

/// The served data table a rename writes into (PostGIS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServedTable {
    /// `civmap.admin_units`, by 12-digit code.
    AdminUnits,
    /// `civmap.facilities`, by id.
    Facilities,
    /// `civmap.landmarks`, by id.
    Landmarks,
}

impl ServedTable {
    /// The table's name in schema `civmap`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdminUnits => "admin_units",
            Self::Facilities => "facilities",
            Self::Landmarks => "landmarks",
        }
    }
}

/// The served record an approval renames in the data tables, in the approval's own
/// transaction (so that a reload, a restart or another replica serves the new name; the
/// row triggers tell the followers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedRename {
    /// The table.
    pub table: ServedTable,
    /// The record's code or id.
    pub id: String,
    /// The new name.
    pub name: String,
}

/// What an approval writes besides the application's new state.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalWrite {
    /// The new standard name (`valid_from` = the approval day).
    pub standard: StoredName,
    /// The old name as a former one, stored only when the place had no stored standard
    /// name to end (its old name came from the bundled data).
    pub former: Option<StoredName>,
    /// The announcement (its `number` is assigned by the store).
    pub announcement: Announcement,
    /// The served record to rename in the PostGIS data tables (`None` when the data is not
    /// served from the store's database; `accounts.sqlite` ignores it: its caller renames
    /// the record in memory and replays the stored names at start).
    pub served: Option<ServedRename>,
}

/// One workflow step: the application moves from `from_status` to `app`'s state.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The status the step starts from (refused with `Conflict` if it is not that now).
    pub from_status: String,
    /// The application after the step (its mutable columns are written).
    pub app: StoredApplication,
    /// A review to append.
    pub review: Option<StoredReview>,
    /// What an approval writes.
    pub approval: Option<ApprovalWrite>,
}

/// What went wrong storing or reading names.
#[derive(Debug, thiserror::Error)]
pub enum NamesStoreError {
    /// The store failed or is unreachable (nothing changed), or a field is malformed.
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// No application with that number.
    #[error("no naming application {0}")]
    NoApplication(i64),
    /// Another writer moved the application on first.
    #[error("application {id} is {now}, not {expected}: another step came first")]
    Conflict {
        /// The application.
        id: i64,
        /// The status the step expected.
        expected: String,
        /// Its status now.
        now: String,
    },
    /// The name is already on the heritage list.
    #[error("`{0}` is already on the heritage list")]
    AlreadyListed(String),
    /// The name is not on the heritage list.
    #[error("`{0}` is not on the heritage list")]
    NotListed(String),
    /// The record an approval renames is not in the served data table (nothing written).
    #[error("no record `{id}` in civmap.{table} to rename")]
    NoServedRecord {
        /// The table.
        table: &'static str,
        /// The code or id.
        id: String,
    },
}

/// The names tables of one accounts store.
#[derive(Debug, Clone)]
pub struct PlaceNames(Backend);

impl PlaceNames {
    pub(crate) fn new(store: Backend) -> Self {
        Self(store)
    }

    /// Stores a new application (status `checked`) and its audit row (`after` = the
    /// application with its number); returns it numbered.
    pub async fn create_application(
        &self,
        app: StoredApplication,
        audit: AuditRecord,
    ) -> Result<StoredApplication, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::create_application(s, app, audit).await,
            Backend::Pg(s) => pg::create_application(s, app, audit).await,
        }
    }

    /// Applies one workflow step with its audit row (`after` = the application after the
    /// step) in one transaction; an approval also ends the place's stored standard name,
    /// writes the new one, files the announcement and (PostGIS, when asked) renames the
    /// served record in its data table. Returns the announcement filed.
    pub async fn step(
        &self,
        step: Step,
        audit: AuditRecord,
    ) -> Result<Option<Announcement>, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::step(s, step, audit).await,
            Backend::Pg(s) => pg::step(s, step, audit).await,
        }
    }

    /// Every application with its reviews, by number.
    pub async fn applications(&self) -> Result<Vec<StoredApplication>, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::applications(s).await,
            Backend::Pg(s) => pg::applications(s).await,
        }
    }

    /// Every stored name record, in the order written.
    pub async fn records(&self) -> Result<Vec<StoredName>, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::records(s).await,
            Backend::Pg(s) => pg::records(s).await,
        }
    }

    /// Every announcement, by number.
    pub async fn announcements(&self) -> Result<Vec<Announcement>, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::announcements(s).await,
            Backend::Pg(s) => pg::announcements(s).await,
        }
    }

    /// The heritage list, by name.
    pub async fn heritage(&self) -> Result<Vec<HeritageEntry>, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::heritage(s).await,
            Backend::Pg(s) => pg::heritage(s).await,
        }
    }

    /// Lists a name, with its audit row; refused if it is listed already.
    pub async fn list_heritage(
        &self,
        e: HeritageEntry,
        audit: AuditRecord,
    ) -> Result<HeritageEntry, NamesStoreError> {
        let audit = audit.after(serde_json::to_value(&e).unwrap_or_default());
        match &self.0 {
            Backend::Sqlite(s) => sqlite::list_heritage(s, e, audit).await,
            Backend::Pg(s) => pg::list_heritage(s, e, audit).await,
        }
    }

    /// Takes a name off the list, with its audit row (`before` = the entry).
    pub async fn unlist_heritage(
        &self,
        name: &str,
        audit: AuditRecord,
    ) -> Result<HeritageEntry, NamesStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::unlist_heritage(s, name.to_owned(), audit).await,
            Backend::Pg(s) => pg::unlist_heritage(s, name, audit).await,
        }
    }
}

fn app_json(a: &StoredApplication) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or_default()
}

/// The number of the `n`-th announcement of `date`'s year.
fn announcement_number(date: &str, n: i64) -> String {
    format!("{}-{n:04}", date.get(..4).unwrap_or("0000"))
}
