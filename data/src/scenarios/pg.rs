//! The scenario table in PostGIS (migration `0009_scenarios.sql`), written through the
//! accounts store's connection (the primary, for a replica), each creation and deletion
//! in one transaction with its audit row.

use tokio_postgres::{GenericClient, Row};

use super::ScenarioStoreError as E;
use super::{creation_audit, over_limits, ScenarioLimits, ScenarioRow};
use crate::accounts::pg::{db, insert_audit, PgAccounts};
use crate::accounts::AuditRecord;
use crate::postgis::target::Target;

type Res<T> = Result<T, E>;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> E {
    db(t, at, e).into()
}

const COLS: &str = "id, owner, body, (extract(epoch from created_at) * 1000)::int8";

fn read(r: &Row) -> ScenarioRow {
    ScenarioRow {
        id: r.get(0),
        owner: r.get(1),
        body: r.get(2),
        created_ms: r.get(3),
    }
}

async fn count(c: &impl GenericClient, t: &Target, owner: &str) -> Res<(usize, usize)> {
    let r = c
        .query_one(
            "SELECT count(*) FILTER (WHERE owner = $1), count(*) FROM civmap.scenarios",
            &[&owner],
        )
        .await
        .map_err(|e| store(t, "count scenarios", e))?;
    Ok((r.get::<_, i64>(0) as usize, r.get::<_, i64>(1) as usize))
}

pub(super) async fn insert(
    s: &PgAccounts,
    owner: &str,
    body: serde_json::Value,
    limits: ScenarioLimits,
    audit: AuditRecord,
) -> Res<ScenarioRow> {
    let (t, at) = (&s.target, "store scenario");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    // creations from every replica queue here, so the counts below stay true until commit
    tx.batch_execute("LOCK TABLE civmap.scenarios IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(|e| store(t, at, e))?;
    let (theirs, all) = count(&tx, t, owner).await?;
    if let Some(m) = over_limits(theirs, all, owner, limits) {
        return Err(E::Full(m));
    }
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO civmap.scenarios (id, owner, body)
                 VALUES ('s' || nextval('civmap.scenario_ids'), $1, $2) RETURNING {COLS}"
            ),
            &[&owner, &body],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let row = read(&row);
    insert_audit(&tx, t, &creation_audit(audit, &row.id, &row.body)).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(row)
}

pub(super) async fn get(s: &PgAccounts, id: &str) -> Res<Option<ScenarioRow>> {
    let t = &s.target;
    let g = s.client().await?;
    let row = g
        .as_ref()
        .expect("connected")
        .query_opt(
            &format!("SELECT {COLS} FROM civmap.scenarios WHERE id = $1"),
            &[&id],
        )
        .await
        .map_err(|e| store(t, "read scenario", e))?;
    Ok(row.as_ref().map(read))
}

pub(super) async fn delete(
    s: &PgAccounts,
    id: &str,
    owner: &str,
    audit: AuditRecord,
) -> Res<Option<ScenarioRow>> {
    let (t, at) = (&s.target, "delete scenario");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    let row = tx
        .query_opt(
            &format!("DELETE FROM civmap.scenarios WHERE id = $1 AND owner = $2 RETURNING {COLS}"),
            &[&id, &owner],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let Some(row) = row.as_ref().map(read) else {
        return Ok(None);
    };
    insert_audit(&tx, t, &audit.before(super::with_id(&row))).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(Some(row))
}
