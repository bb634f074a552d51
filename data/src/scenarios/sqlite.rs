//! The scenario table in `accounts.sqlite` (`scenarios.sqlite.sql`), written through the
//! accounts store's IMMEDIATE transactions (which serialise writers, so the limits hold)
//! with their audit rows.

use rusqlite::{params, OptionalExtension, Transaction};

use super::ScenarioStoreError as E;
use super::{creation_audit, id_number, over_limits, ScenarioLimits, ScenarioRow};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::AuditRecord;

type Res<T> = Result<T, E>;

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> E {
    err(shown, at, e).into()
}

fn count(tx: &Transaction<'_>, shown: &str, owner: Option<&str>) -> Res<usize> {
    let n: i64 = match owner {
        Some(o) => tx.query_row(
            "SELECT count(*) FROM scenarios WHERE owner = ?1",
            [o],
            |r| r.get(0),
        ),
        None => tx.query_row("SELECT count(*) FROM scenarios", [], |r| r.get(0)),
    }
    .map_err(|e| store(shown, "count scenarios", e))?;
    Ok(n as usize)
}

fn find(c: &rusqlite::Connection, shown: &str, seq: i64) -> Res<Option<ScenarioRow>> {
    let row = c
        .query_row(
            "SELECT owner, body, created_ms FROM scenarios WHERE seq = ?1",
            [seq],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()
        .map_err(|e| store(shown, "read scenario", e))?;
    row.map(|(owner, body, created_ms)| {
        let body = serde_json::from_str(&body).map_err(|e| store(shown, "read scenario", e))?;
        Ok(ScenarioRow {
            id: format!("s{seq}"),
            owner,
            body,
            created_ms,
        })
    })
    .transpose()
}

pub(super) async fn insert(
    s: &SqliteAccounts,
    owner: String,
    body: serde_json::Value,
    limits: ScenarioLimits,
    audit: AuditRecord,
) -> Res<ScenarioRow> {
    s.write("store scenario", move |tx, shown| {
        let (theirs, all) = (count(tx, shown, Some(&owner))?, count(tx, shown, None)?);
        if let Some(m) = over_limits(theirs, all, &owner, limits) {
            return Err(E::Full(m));
        }
        let created_ms = now_ms();
        tx.execute(
            "INSERT INTO scenarios (owner, body, created_ms) VALUES (?1, ?2, ?3)",
            params![owner, body.to_string(), created_ms],
        )
        .map_err(|e| store(shown, "store scenario", e))?;
        let id = format!("s{}", tx.last_insert_rowid());
        insert_audit(tx, &creation_audit(audit, &id, &body))
            .map_err(|e| store(shown, "audit", e))?;
        Ok(ScenarioRow {
            id,
            owner,
            body,
            created_ms,
        })
    })
    .await
}

pub(super) async fn get(s: &SqliteAccounts, id: String) -> Res<Option<ScenarioRow>> {
    let Some(seq) = id_number(&id) else {
        return Ok(None);
    };
    let shown = s.shown();
    s.with("read scenario", move |c| find(c, &shown, seq)).await
}

pub(super) async fn delete(
    s: &SqliteAccounts,
    id: String,
    owner: String,
    audit: AuditRecord,
) -> Res<Option<ScenarioRow>> {
    let Some(seq) = id_number(&id) else {
        return Ok(None);
    };
    s.write("delete scenario", move |tx, shown| {
        let Some(row) = find(tx, shown, seq)?.filter(|r| r.owner == owner) else {
            return Ok(None);
        };
        tx.execute("DELETE FROM scenarios WHERE seq = ?1", [seq])
            .map_err(|e| store(shown, "delete scenario", e))?;
        insert_audit(tx, &audit.before(super::with_id(&row)))
            .map_err(|e| store(shown, "audit", e))?;
        Ok(Some(row))
    })
    .await
}
