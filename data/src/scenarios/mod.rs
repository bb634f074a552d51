//! Planners' what-if scenarios, kept in the accounts store (`accounts.sqlite` of a data or
//! state directory, or the PostGIS table of migration `0009_scenarios.sql`) so that **every
//! replica of a server answers a request naming any scenario**, and losing a replica loses
//! none. Each creation and deletion commits in one transaction with its [`AuditRecord`].
//!
//! A scenario's body is the server's JSON form of it (this crate does not read it beyond
//! checking it is an object). A scenario is never changed after it is created, only
//! deleted, and ids (`s1`, `s2`, …) are never reused, so a reader may cache a parsed
//! scenario by id as long as [`ScenarioStore::get`] still finds it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::scenarios::ScenarioStoreError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! use civmap_data::scenarios::ScenarioLimits;
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?.scenarios();
//! let limits = ScenarioLimits { per_owner: 32, total: 4096 };
//! let body = serde_json::json!({"add": [], "move": [], "close": ["f1"]});
//! let audit = AuditRecord::new("li", "scenario.create", "scenario");
//! let s = store.insert("li", body, limits, audit).await?;
//! assert_eq!(store.get(&s.id).await?.unwrap().owner, "li");
//! # Ok(()) }
//! ```

mod pg;
mod sqlite;

use crate::accounts::{AccountsError, AuditRecord};
use crate::register::Backend;

/// A stored scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioRow {
    /// `s` and a number never used before in this store.
    pub id: String,
    /// The planner who created it.
    pub owner: String,
    /// The server's JSON form of the scenario (an object).
    pub body: serde_json::Value,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
}

/// How many scenarios the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioLimits {
    /// Most scenarios one planner may keep.
    pub per_owner: usize,
    /// Most scenarios in all.
    pub total: usize,
}

/// Why a scenario could not be stored, read or deleted.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioStoreError {
    /// The store failed or is unreachable (nothing changed).
    #[error(transparent)]
    Accounts(#[from] AccountsError),
    /// A limit of [`ScenarioLimits`] is reached (nothing stored).
    #[error("{0}")]
    Full(String),
    /// The body is not a JSON object.
    #[error("a scenario body must be a JSON object, got {0}")]
    NotAnObject(&'static str),
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The quota message, or none when there is room.
fn over_limits(theirs: usize, all: usize, owner: &str, limits: ScenarioLimits) -> Option<String> {
    if theirs >= limits.per_owner {
        return Some(format!(
            "{owner} already keeps {theirs} scenarios, the most one planner may; delete one first"
        ));
    }
    if all >= limits.total {
        return Some(format!(
            "the server keeps {} scenarios, its limit; retry after some are deleted",
            limits.total
        ));
    }
    None
}

/// A stored body with its id, as audit rows show it.
fn body_with_id(id: &str, body: &serde_json::Value) -> serde_json::Value {
    let mut v = body.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), id.into());
    }
    v
}

/// A deleted row as its audit row's `before` shows it.
fn with_id(row: &ScenarioRow) -> serde_json::Value {
    body_with_id(&row.id, &row.body)
}

/// The audit row of a creation: its target and `after` name the new id.
fn creation_audit(audit: AuditRecord, id: &str, body: &serde_json::Value) -> AuditRecord {
    AuditRecord {
        target: format!("scenario:{id}"),
        ..audit
    }
    .after(body_with_id(id, body))
}

/// The scenario table of one accounts store.
#[derive(Debug, Clone)]
pub struct ScenarioStore(Backend);

impl ScenarioStore {
    pub(crate) fn new(store: Backend) -> Self {
        Self(store)
    }

    /// Stores a scenario of `owner`'s under a new id, with its audit row (target
    /// `scenario:{id}`, `after` the body with its id) in one transaction. Refused with
    /// [`ScenarioStoreError::Full`] when `owner` or the store is at its limit; concurrent
    /// creations (from any replica) are serialised, so the limits hold.
    pub async fn insert(
        &self,
        owner: &str,
        body: serde_json::Value,
        limits: ScenarioLimits,
        audit: AuditRecord,
    ) -> Result<ScenarioRow, ScenarioStoreError> {
        if !body.is_object() {
            return Err(ScenarioStoreError::NotAnObject(json_kind(&body)));
        }
        match &self.0 {
            Backend::Sqlite(s) => sqlite::insert(s, owner.to_owned(), body, limits, audit).await,
            Backend::Pg(s) => pg::insert(s, owner, body, limits, audit).await,
        }
    }

    /// The scenario with this id, if it is stored.
    pub async fn get(&self, id: &str) -> Result<Option<ScenarioRow>, ScenarioStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::get(s, id.to_owned()).await,
            Backend::Pg(s) => pg::get(s, id).await,
        }
    }

    /// Deletes `owner`'s scenario `id` with its audit row (`before` = the stored body) in
    /// one transaction; the row deleted, or none if there was no such scenario of theirs
    /// (then nothing is written, not even the audit row).
    pub async fn delete(
        &self,
        id: &str,
        owner: &str,
        audit: AuditRecord,
    ) -> Result<Option<ScenarioRow>, ScenarioStoreError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::delete(s, id.to_owned(), owner.to_owned(), audit).await,
            Backend::Pg(s) => pg::delete(s, id, owner, audit).await,
        }
    }
}

/// The number of a scenario id (`s12` → 12).
fn id_number(id: &str) -> Option<i64> {
    id.strip_prefix('s')
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n.len() <= 18)
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::AccountStore;

    fn limits() -> ScenarioLimits {
        ScenarioLimits {
            per_owner: 2,
            total: 3,
        }
    }

    fn audit() -> AuditRecord {
        AuditRecord::new("li", "scenario.create", "scenario")
    }

    #[tokio::test]
    async fn ids_are_never_reused_and_limits_hold() {
        let accounts = AccountStore::in_memory().unwrap();
        let store = accounts.scenarios();
        let body = serde_json::json!({"close": ["f1"]});
        let a = store
            .insert("li", body.clone(), limits(), audit())
            .await
            .unwrap();
        let b = store
            .insert("li", body.clone(), limits(), audit())
            .await
            .unwrap();
        assert_eq!((a.id.as_str(), b.id.as_str()), ("s1", "s2"));
        let full = store.insert("li", body.clone(), limits(), audit()).await;
        assert!(
            matches!(full, Err(ScenarioStoreError::Full(m)) if m.contains("li already keeps 2"))
        );
        let c = store
            .insert("wang", body.clone(), limits(), audit())
            .await
            .unwrap();
        let all = store.insert("zhao", body.clone(), limits(), audit()).await;
        assert!(matches!(all, Err(ScenarioStoreError::Full(m)) if m.contains("keeps 3 scenarios")));
        // someone else's is not deleted; the owner's is, and its id stays retired
        let denied = AuditRecord::new("wang", "scenario.delete", "scenario:s1");
        assert!(store.delete("s1", "wang", denied).await.unwrap().is_none());
        let gone = store
            .delete(
                "s1",
                "li",
                AuditRecord::new("li", "scenario.delete", "scenario:s1"),
            )
            .await
            .unwrap();
        assert_eq!(gone.map(|r| r.body), Some(body.clone()));
        let q = crate::accounts::AuditQuery {
            limit: 100,
            ..Default::default()
        };
        let rows = accounts.audit_log(&q).await.unwrap();
        let made = rows
            .iter()
            .find(|r| r.record.target == "scenario:s1" && r.record.action == "scenario.create");
        assert_eq!(
            made.and_then(|r| r.record.after.as_ref())
                .map(|a| a["id"].clone()),
            Some("s1".into())
        );
        let deleted = rows.iter().find(|r| r.record.action == "scenario.delete");
        assert_eq!(
            deleted
                .and_then(|r| r.record.before.as_ref())
                .map(|a| a["id"].clone()),
            Some("s1".into())
        );
        assert!(store.get("s1").await.unwrap().is_none());
        let d = store.insert("li", body, limits(), audit()).await.unwrap();
        assert_eq!((c.id.as_str(), d.id.as_str()), ("s3", "s4"));
        // one audit row per creation and one per deletion, none for the refusals
        let q = crate::accounts::AuditQuery {
            limit: 100,
            ..Default::default()
        };
        let log = accounts.audit_log(&q).await.unwrap();
        let targets: Vec<_> = log
            .iter()
            .map(|r| (r.record.action.as_str(), r.record.target.as_str()))
            .collect();
        assert_eq!(targets.len(), 5, "{targets:?}");
        assert!(targets.contains(&("scenario.create", "scenario:s4")));
        assert!(targets.contains(&("scenario.delete", "scenario:s1")));
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_object_is_refused() {
        let store = AccountStore::in_memory().unwrap().scenarios();
        let e = store
            .insert("li", serde_json::json!([1]), limits(), audit())
            .await;
        assert!(matches!(
            e,
            Err(ScenarioStoreError::NotAnObject("an array"))
        ));
    }

    #[test]
    fn ids_parse_strictly() {
        assert_eq!(id_number("s12"), Some(12));
        for bad in ["s", "12", "s-1", "s1x", "S1", "s99999999999999999999"] {
            assert_eq!(id_number(bad), None, "{bad}");
        }
    }
}
