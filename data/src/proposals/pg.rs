//! Proposals in PostGIS (migration `0008_proposals.sql`), written through the accounts
//! store's connection, each write in one transaction with its audit row. An approval also
//! writes the data change into `civmap.admin_units`, `doorplates` and `facilities` in that
//! transaction; their triggers notify the follower.

use tokio_postgres::{GenericClient, Row};

use super::{
    decided, parse_code, proposal_json, DataEdit, Decision, NewProposal, ProposalStoreError,
    StoredFormerName, StoredProposal,
};
use crate::accounts::pg::{db, insert_audit, PgAccounts};
use crate::accounts::{now_ms, AuditRecord};
use crate::postgis::target::Target;
use crate::postgis::wkb::multi_polygon;

type Res<T> = Result<T, ProposalStoreError>;

fn store(t: &Target, at: &str, e: tokio_postgres::Error) -> ProposalStoreError {
    db(t, at, e).into()
}

const COLS: &str = "id, kind, request, impact, valid, status, proposed_by, \
     (extract(epoch FROM proposed_at) * 1000)::int8, decided_by, \
     (extract(epoch FROM decided_at) * 1000)::int8, effective::text, note";

fn read(r: &Row) -> StoredProposal {
    StoredProposal {
        id: r.get(0),
        kind: r.get(1),
        request: r.get(2),
        impact: r.get(3),
        valid: r.get(4),
        status: r.get(5),
        proposed_by: r.get(6),
        proposed_ms: r.get(7),
        decided_by: r.get(8),
        decided_ms: r.get(9),
        effective: r.get(10),
        note: r.get(11),
    }
}

async fn load(
    c: &impl GenericClient,
    t: &Target,
    id: i64,
    lock: bool,
) -> Res<Option<StoredProposal>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row = c
        .query_opt(
            &format!("SELECT {COLS} FROM civmap.proposals WHERE id = $1{lock}"),
            &[&id],
        )
        .await
        .map_err(|e| store(t, "read proposal", e))?;
    Ok(row.as_ref().map(read))
}

pub(super) async fn create(
    s: &PgAccounts,
    p: NewProposal,
    audit: AuditRecord,
) -> Res<StoredProposal> {
    let (t, at) = (&s.target, "store proposal");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    let row = tx
        .query_one(
            "INSERT INTO civmap.proposals (kind, request, impact, valid, proposed_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[&p.kind, &p.request, &p.impact, &p.valid, &audit.who],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    let id: i64 = row.get(0);
    let stored = load(&tx, t, id, false)
        .await?
        .ok_or(ProposalStoreError::NotFound(id))?;
    let mut a = audit.after(proposal_json(&stored));
    a.target = format!("{}:{id}", a.target);
    insert_audit(&tx, t, &a).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(stored)
}

pub(super) async fn list(s: &PgAccounts) -> Res<Vec<StoredProposal>> {
    let (t, at) = (&s.target, "list proposals");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            &format!("SELECT {COLS} FROM civmap.proposals ORDER BY id DESC"),
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    Ok(rows.iter().map(read).collect())
}

pub(super) async fn get(s: &PgAccounts, id: i64) -> Res<Option<StoredProposal>> {
    let g = s.client().await?;
    load(g.as_ref().expect("connected"), &s.target, id, false).await
}

/// Writes the approved change into the data tables.
async fn write_edit(c: &impl GenericClient, t: &Target, edit: &DataEdit) -> Res<()> {
    let at = "apply proposal to the data";
    for code in &edit.delete_units {
        c.execute(
            "DELETE FROM civmap.admin_units WHERE code = $1",
            &[&code.as_str()],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    }
    for u in &edit.upsert_units {
        c.execute(
            "INSERT INTO civmap.admin_units
                 (code, name, level, parent, kind, population, elderly, synthetic, geom)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
                 parent = EXCLUDED.parent, kind = EXCLUDED.kind,
                 population = EXCLUDED.population, elderly = EXCLUDED.elderly,
                 synthetic = EXCLUDED.synthetic, geom = EXCLUDED.geom",
            &[
                &u.code.as_str(),
                &u.name,
                &u.level.as_str(),
                &u.parent.as_ref().map(|p| p.as_str()),
                &u.kind,
                &(u.population as i64),
                &(u.elderly as i64),
                &u.synthetic,
                &multi_polygon(&u.geometry),
            ],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    }
    for (id, code) in &edit.doorplates {
        c.execute(
            "UPDATE civmap.doorplates SET community = $2 WHERE id = $1",
            &[&(*id as i64), &code.as_str()],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    }
    for (id, code) in &edit.facilities {
        c.execute(
            "UPDATE civmap.facilities SET admin_code = $2 WHERE id = $1",
            &[id, &code.as_str()],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    }
    Ok(())
}

pub(super) async fn decide(
    s: &PgAccounts,
    id: i64,
    decision: Decision,
    audit: AuditRecord,
) -> Res<StoredProposal> {
    let (t, at) = (&s.target, "decide proposal");
    let mut g = s.client().await?;
    let tx = g
        .as_mut()
        .expect("connected")
        .transaction()
        .await
        .map_err(|e| store(t, at, e))?;
    let before = load(&tx, t, id, true)
        .await?
        .ok_or(ProposalStoreError::NotFound(id))?;
    if before.status != "pending" {
        return Err(ProposalStoreError::Decided {
            id,
            status: before.status,
        });
    }
    let after = decided(before.clone(), &decision, &audit.who, now_ms());
    tx.execute(
        "UPDATE civmap.proposals SET status = $2, decided_by = $3, decided_at = now(),
                effective = $4::text::date, note = $5 WHERE id = $1",
        &[
            &id,
            &after.status,
            &after.decided_by,
            &after.effective,
            &after.note,
        ],
    )
    .await
    .map_err(|e| store(t, at, e))?;
    if let Decision::Approve {
        effective,
        former_names,
        edit,
    } = &decision
    {
        for (code, former, name) in former_names {
            tx.execute(
                "INSERT INTO civmap.former_names (code, former_code, name, until, proposal)
                 VALUES ($1, $2, $3, $4::text::date, $5)",
                &[
                    &code.as_str(),
                    &former.as_ref().map(|c| c.as_str()),
                    name,
                    effective,
                    &id,
                ],
            )
            .await
            .map_err(|e| store(t, at, e))?;
        }
        write_edit(&tx, t, edit).await?;
    }
    let a = audit
        .before(proposal_json(&before))
        .after(proposal_json(&after));
    insert_audit(&tx, t, &a).await?;
    tx.commit().await.map_err(|e| store(t, at, e))?;
    Ok(after)
}

pub(super) async fn former_names(s: &PgAccounts) -> Res<Vec<StoredFormerName>> {
    let (t, at) = (&s.target, "read former names");
    let g = s.client().await?;
    let rows = g
        .as_ref()
        .expect("connected")
        .query(
            "SELECT code::text, former_code::text, name, until::text, proposal
               FROM civmap.former_names ORDER BY proposal, code",
            &[],
        )
        .await
        .map_err(|e| store(t, at, e))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(StoredFormerName {
                code: parse_code(r.get(0))?,
                former_code: r.get::<_, Option<&str>>(1).and_then(parse_code),
                name: r.get(2),
                until: r.get(3),
                proposal: r.get(4),
            })
        })
        .collect())
}
