//! The alias table in `accounts.sqlite` (`doorplate_aliases.sqlite.sql`), written through
//! the accounts store's IMMEDIATE transactions with their audit rows.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{refuse_cycle, stored_reason, AliasError, DoorplateAlias};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::AuditRecord;

type Res<T> = Result<T, AliasError>;

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> AliasError {
    err(shown, at, e).into()
}

const COLS: &str = "old_id, new_id, reason, date, who";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<DoorplateAlias> {
    Ok(DoorplateAlias {
        old_id: r.get::<_, i64>(0)? as u64,
        new_id: r.get::<_, i64>(1)? as u64,
        reason: stored_reason(&r.get::<_, String>(2)?),
        date: r.get(3)?,
        who: r.get(4)?,
    })
}

fn find(tx: &Transaction<'_>, shown: &str, old_id: u64) -> Res<Option<DoorplateAlias>> {
    tx.query_row(
        &format!("SELECT {COLS} FROM doorplate_aliases WHERE old_id = ?1"),
        [old_id as i64],
        read,
    )
    .optional()
    .map_err(|e| store(shown, "read doorplate alias", e))
}

pub(super) async fn record(
    s: &SqliteAccounts,
    a: DoorplateAlias,
    audit: AuditRecord,
) -> Res<DoorplateAlias> {
    s.write("record doorplate alias", move |tx, shown| {
        if let Some(x) = find(tx, shown, a.old_id)? {
            return Err(AliasError::AlreadyAliased {
                old_id: x.old_id,
                new_id: x.new_id,
                reason: x.reason,
            });
        }
        refuse_cycle(a.old_id, a.new_id, |id| {
            Ok(find(tx, shown, id)?.map(|x| x.new_id))
        })?;
        tx.execute(
            "INSERT INTO doorplate_aliases (old_id, new_id, reason, date, who, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                a.old_id as i64,
                a.new_id as i64,
                a.reason.as_str(),
                a.date,
                a.who,
                now_ms()
            ],
        )
        .map_err(|e| store(shown, "record doorplate alias", e))?;
        insert_audit(tx, &audit).map_err(|e| store(shown, "audit", e))?;
        Ok(a)
    })
    .await
}

pub(super) async fn all(s: &SqliteAccounts) -> Res<Vec<DoorplateAlias>> {
    let shown = s.shown();
    s.with("read doorplate aliases", move |c| {
        let at = "read doorplate aliases";
        let mut st = c
            .prepare(&format!(
                "SELECT {COLS} FROM doorplate_aliases ORDER BY old_id"
            ))
            .map_err(|e| store(&shown, at, e))?;
        let rows = st.query_map([], read).map_err(|e| store(&shown, at, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| store(&shown, at, e))
    })
    .await
}
