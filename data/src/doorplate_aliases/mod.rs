//! Doorplate aliases: an old doorplate id that was renumbered or merged points to the id
//! that replaced it, so that the short URL `/d/{old}` never breaks. Kept in the accounts
//! store (`accounts.sqlite` of a data or state directory, or the PostGIS table of migration
//! `0005_doorplate_aliases.sql`), so that **every alias and its [`AuditRecord`] commit in
//! one transaction**, as the survey register does.
//!
//! An id is aliased at most once and an alias is never changed or removed (the tables
//! refuse UPDATE and DELETE). A new alias that would close a cycle (`a → b → … → a`) is
//! refused: the writer follows the chain from the new id inside the same transaction.
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::doorplate_aliases::AliasError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! use civmap_data::doorplate_aliases::{AliasReason, NewAlias};
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?;
//! let aliases = store.doorplate_aliases();
//! let alias = NewAlias { old_id: 12, new_id: 40, reason: AliasReason::Renumbered, date: None };
//! aliases.record(alias, AuditRecord::new("li", "doorplate.renumber", "doorplate:12")).await?;
//! assert_eq!(aliases.all().await?.len(), 1);
//! # Ok(()) }
//! ```

mod pg;
mod sqlite;

use serde::Serialize;

use crate::accounts::{AccountsError, AuditRecord};
use crate::register::{check_date, today_in_china, Backend};

/// Why an id stopped being used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasReason {
    /// The plate was given another number (and so another id).
    Renumbered,
    /// The plate was merged into another.
    Merged,
}

impl AliasReason {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Renumbered => "renumbered",
            Self::Merged => "merged",
        }
    }

    /// Parses `renumbered` or `merged`.
    pub fn parse(s: &str) -> Result<Self, AliasError> {
        match s {
            "renumbered" => Ok(Self::Renumbered),
            "merged" => Ok(Self::Merged),
            other => Err(invalid(
                "reason",
                format!("{other:?} is not a reason: use renumbered or merged"),
            )),
        }
    }
}

/// An alias to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlias {
    /// The id no longer in use.
    pub old_id: u64,
    /// The id that replaced it.
    pub new_id: u64,
    /// Why.
    pub reason: AliasReason,
    /// When it took effect (`YYYY-MM-DD`); today in China when `None`.
    pub date: Option<String>,
}

/// A recorded alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoorplateAlias {
    /// The id no longer in use.
    pub old_id: u64,
    /// The id that replaced it.
    pub new_id: u64,
    /// Why.
    pub reason: AliasReason,
    /// When it took effect, `YYYY-MM-DD`.
    pub date: String,
    /// Who recorded it.
    pub who: String,
}

/// What went wrong recording or reading aliases.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    /// The store failed or is unreachable (nothing changed), or a field is malformed
    /// ([`AccountsError::Invalid`] names it).
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// The old id already points elsewhere (aliases are never changed).
    #[error("doorplate {old_id} was already {reason} into {new_id}", reason = .reason.as_str())]
    AlreadyAliased {
        /// The id.
        old_id: u64,
        /// Where it points.
        new_id: u64,
        /// Why it was aliased.
        reason: AliasReason,
    },
    /// The alias would close a cycle.
    #[error("doorplate {old_id} → {new_id} would close a cycle: {}", chain_text(.chain))]
    Cycle {
        /// The id.
        old_id: u64,
        /// The id it was to point to.
        new_id: u64,
        /// The chain from `new_id` back to `old_id`.
        chain: Vec<u64>,
    },
}

fn chain_text(chain: &[u64]) -> String {
    chain
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" → ")
}

fn invalid(field: &'static str, message: String) -> AliasError {
    AliasError::Accounts(AccountsError::Invalid { field, message })
}

/// Largest id the stores hold (PostGIS `int8`).
const MAX_ID: u64 = i64::MAX as u64;

/// Checks an alias and fills in its date.
fn checked(a: NewAlias, who: &str) -> Result<DoorplateAlias, AliasError> {
    for (field, id) in [("id", a.old_id), ("new_id", a.new_id)] {
        if id > MAX_ID {
            return Err(invalid(field, format!("{id} is larger than {MAX_ID}")));
        }
    }
    if a.old_id == a.new_id {
        return Err(invalid(
            "new_id",
            format!("{} is the doorplate's own id", a.new_id),
        ));
    }
    let date = match a.date {
        Some(d) => {
            if let Err(crate::register::RegisterError::Invalid { message, .. }) =
                check_date("date", &d)
            {
                return Err(invalid("date", message));
            }
            d
        }
        None => today_in_china(),
    };
    Ok(DoorplateAlias {
        old_id: a.old_id,
        new_id: a.new_id,
        reason: a.reason,
        date,
        who: who.to_owned(),
    })
}

/// Follows `next` from `from`: `Err(chain)` when it comes back to `old_id`.
fn refuse_cycle(
    old_id: u64,
    from: u64,
    mut next: impl FnMut(u64) -> Result<Option<u64>, AliasError>,
) -> Result<(), AliasError> {
    let mut chain = vec![from];
    let mut at = from;
    while let Some(n) = next(at)? {
        chain.push(n);
        if n == old_id {
            return Err(AliasError::Cycle {
                old_id,
                new_id: from,
                chain,
            });
        }
        // the table has no cycle (each write checks), so the chain ends
        at = n;
    }
    Ok(())
}

fn alias_json(a: &DoorplateAlias) -> serde_json::Value {
    serde_json::json!({
        "old_id": a.old_id, "new_id": a.new_id, "reason": a.reason.as_str(), "date": a.date,
    })
}

/// The alias table of one accounts store.
#[derive(Debug, Clone)]
pub struct DoorplateAliases(Backend);

impl DoorplateAliases {
    pub(crate) fn new(store: Backend) -> Self {
        Self(store)
    }

    /// Records `old_id → new_id` and its audit row (with the alias as `after`) in one
    /// transaction. Refuses an id already aliased, an alias to itself and one that would
    /// close a cycle; whether `new_id` is a served doorplate is the caller's question.
    pub async fn record(
        &self,
        a: NewAlias,
        audit: AuditRecord,
    ) -> Result<DoorplateAlias, AliasError> {
        let alias = checked(a, &audit.who)?;
        let audit = audit.after(alias_json(&alias));
        match &self.0 {
            Backend::Sqlite(s) => sqlite::record(s, alias, audit).await,
            Backend::Pg(s) => pg::record(s, alias, audit).await,
        }
    }

    /// Every alias, by old id.
    pub async fn all(&self) -> Result<Vec<DoorplateAlias>, AliasError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::all(s).await,
            Backend::Pg(s) => pg::all(s).await,
        }
    }
}

/// Reads a stored reason (the tables' CHECK keeps them to the two).
fn stored_reason(s: &str) -> AliasReason {
    if s == "merged" {
        AliasReason::Merged
    } else {
        AliasReason::Renumbered
    }
}
