//! The alias table in PostGIS (migration `0005_doorplate_aliases.sql`), written through
//! the accounts store's connection, each alias in one transaction with its audit row.

use tokio_postgres::{GenericClient, Row};

use super::{refuse_cycle, stored_reason, AliasError, DoorplateAlias};
use crate::accounts::pg::{db, insert_audit, PgAccounts};
use crate::accounts::AuditRecord;
use crate::postgis::target::Target;

type Res<T> = Result<T, AliasError>;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> AliasError {
    db(t, at, e).into()
}

const COLS: &str = "old_id, new_id, reason, date::text, who";

fn read(r: &Row) -> DoorplateAlias {
    DoorplateAlias {
        old_id: r.get::<_, i64>(0) as u64,
        new_id: r.get::<_, i64>(1) as u64,
        reason: stored_reason(r.get(2)),
        date: r.get(3),
        who: r.get(4),
    }
}

async fn find(c: &impl GenericClient, t: &Target, old_id: u64) -> Res<Option<DoorplateAlias>> {
    let row = c
        .query_opt(
            &format!("SELECT {COLS} FROM civmap.doorplate_aliases WHERE old_id = $1"),
            &[&(old_id as i64)],
        )
        .await
        .map_err(|e| store(t, "read doorplate alias", e))?;
    Ok(row.as_ref().map(read))
}

pub(super) async fn record(
    s: &PgAccounts,
    a: DoorplateAlias,
    audit: AuditRecord,
) -> Res<DoorplateAlias> {
    let (t, at) = (&s.target, "record doorplate alias");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    // one writer at a time: the cycle check reads the chain this insert extends
    tx.batch_execute("LOCK TABLE civmap.doorplate_aliases IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(|e| store(t, at, e))?;
    if let Some(x) = find(&tx, t, a.old_id).await? {
        return Err(AliasError::AlreadyAliased {
            old_id: x.old_id,
            new_id: x.new_id,
            reason: x.reason,
        });
    }
    // the chain is short; read it hop by hop inside the transaction
    let mut hops = Vec::new();
    let mut at_id = a.new_id;
    while let Some(x) = find(&tx, t, at_id).await? {
        hops.push((at_id, x.new_id));
        if x.new_id == a.old_id {
            break;
        }
        at_id = x.new_id;
    }
    refuse_cycle(a.old_id, a.new_id, |id| {
        Ok(hops.iter().find(|(from, _)| *from == id).map(|(_, to)| *to))
    })?;
    tx.execute(
        "INSERT INTO civmap.doorplate_aliases (old_id, new_id, reason, date, who)
         VALUES ($1, $2, $3, $4::text::date, $5)",
        &[
            &(a.old_id as i64),
            &(a.new_id as i64),
            &a.reason.as_str(),
            &a.date,
            &a.who,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    insert_audit(&tx, t, &audit).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(a)
}

pub(super) async fn all(s: &PgAccounts) -> Res<Vec<DoorplateAlias>> {
    let (t, at) = (&s.target, "read doorplate aliases");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            &format!("SELECT {COLS} FROM civmap.doorplate_aliases ORDER BY old_id"),
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    Ok(rows.iter().map(read).collect())
}
