//! Proposals in `accounts.sqlite` (`proposals.sqlite.sql`), written through the accounts
//! store's IMMEDIATE transactions with their audit rows.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{
    decided, parse_code, proposal_json, ApprovedEdit, DataEdit, Decision, NewProposal,
    ProposalStoreError, StoredFormerName, StoredProposal,
};
use crate::accounts::now_ms;
use crate::accounts::sqlite::{err, insert_audit, SqliteAccounts};
use crate::accounts::AuditRecord;

type Res<T> = Result<T, ProposalStoreError>;

fn store(shown: &str, at: &str, e: impl std::fmt::Display) -> ProposalStoreError {
    err(shown, at, e).into()
}

const COLS: &str = "id, kind, request, impact, valid, status, proposed_by, proposed_ms, \
                    decided_by, decided_ms, effective, note";

fn json(s: String) -> serde_json::Value {
    serde_json::from_str(&s).unwrap_or(serde_json::Value::String(s))
}

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredProposal> {
    Ok(StoredProposal {
        id: r.get(0)?,
        kind: r.get(1)?,
        request: json(r.get(2)?),
        impact: json(r.get(3)?),
        valid: r.get::<_, i64>(4)? != 0,
        status: r.get(5)?,
        proposed_by: r.get(6)?,
        proposed_ms: r.get(7)?,
        decided_by: r.get(8)?,
        decided_ms: r.get(9)?,
        effective: r.get(10)?,
        note: r.get(11)?,
    })
}

fn load(tx: &rusqlite::Connection, shown: &str, id: i64) -> Res<Option<StoredProposal>> {
    tx.query_row(
        &format!("SELECT {COLS} FROM proposals WHERE id = ?1"),
        [id],
        read,
    )
    .optional()
    .map_err(|e| store(shown, "read proposal", e))
}

pub(super) async fn create(
    s: &SqliteAccounts,
    p: NewProposal,
    audit: AuditRecord,
) -> Res<StoredProposal> {
    s.write("store proposal", move |tx, shown| {
        tx.execute(
            "INSERT INTO proposals (kind, request, impact, valid, proposed_by, proposed_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.kind,
                p.request.to_string(),
                p.impact.to_string(),
                p.valid as i64,
                audit.who,
                now_ms()
            ],
        )
        .map_err(|e| store(shown, "store proposal", e))?;
        let id = tx.last_insert_rowid();
        let stored = load(tx, shown, id)?.ok_or(ProposalStoreError::NotFound(id))?;
        let mut a = audit.after(proposal_json(&stored));
        a.target = format!("{}:{id}", a.target);
        insert_audit(tx, &a).map_err(|e| store(shown, "audit", e))?;
        Ok(stored)
    })
    .await
}

pub(super) async fn list(s: &SqliteAccounts) -> Res<Vec<StoredProposal>> {
    let shown = s.shown();
    s.with("list proposals", move |c| {
        let at = "list proposals";
        let mut st = c
            .prepare(&format!("SELECT {COLS} FROM proposals ORDER BY id DESC"))
            .map_err(|e| store(&shown, at, e))?;
        let rows = st.query_map([], read).map_err(|e| store(&shown, at, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| store(&shown, at, e))
    })
    .await
}

pub(super) async fn get(s: &SqliteAccounts, id: i64) -> Res<Option<StoredProposal>> {
    let shown = s.shown();
    s.with("read proposal", move |c| load(c, &shown, id)).await
}

fn write_decision(
    tx: &Transaction<'_>,
    shown: &str,
    p: &StoredProposal,
    decision: &Decision,
) -> Res<()> {
    tx.execute(
        "UPDATE proposals SET status = ?2, decided_by = ?3, decided_ms = ?4, effective = ?5,
                note = ?6 WHERE id = ?1",
        params![
            p.id,
            p.status,
            p.decided_by,
            p.decided_ms,
            p.effective,
            p.note
        ],
    )
    .map_err(|e| store(shown, "decide proposal", e))?;
    if let Decision::Approve {
        effective,
        former_names,
        edit,
    } = decision
    {
        let blob =
            bincode::serialize(edit.as_ref()).map_err(|e| store(shown, "keep the change", e))?;
        tx.execute(
            "INSERT INTO proposal_edits (proposal, edit) VALUES (?1, ?2)",
            params![p.id, blob],
        )
        .map_err(|e| store(shown, "keep the change", e))?;
        for (code, former, name) in former_names {
            tx.execute(
                "INSERT INTO former_names (code, former_code, name, until, proposal)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    code.as_str(),
                    former.as_ref().map(|c| c.as_str().to_owned()),
                    name,
                    effective,
                    p.id
                ],
            )
            .map_err(|e| store(shown, "keep former name", e))?;
        }
    }
    Ok(())
}

pub(super) async fn decide(
    s: &SqliteAccounts,
    id: i64,
    decision: Decision,
    audit: AuditRecord,
) -> Res<StoredProposal> {
    s.write("decide proposal", move |tx, shown| {
        let before = load(tx, shown, id)?.ok_or(ProposalStoreError::NotFound(id))?;
        if before.status != "pending" {
            return Err(ProposalStoreError::Decided {
                id,
                status: before.status,
            });
        }
        let after = decided(before.clone(), &decision, &audit.who, now_ms());
        write_decision(tx, shown, &after, &decision)?;
        let a = audit
            .before(proposal_json(&before))
            .after(proposal_json(&after));
        insert_audit(tx, &a).map_err(|e| store(shown, "audit", e))?;
        Ok(after)
    })
    .await
}

pub(super) async fn former_names(s: &SqliteAccounts) -> Res<Vec<StoredFormerName>> {
    let shown = s.shown();
    s.with("read former names", move |c| {
        let at = "read former names";
        let mut st = c
            .prepare("SELECT code, former_code, name, until, proposal FROM former_names ORDER BY proposal, code")
            .map_err(|e| store(&shown, at, e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(|e| store(&shown, at, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (code, former, name, until, proposal) = row.map_err(|e| store(&shown, at, e))?;
            let Some(code) = parse_code(&code) else { continue };
            out.push(StoredFormerName {
                code,
                former_code: former.as_deref().and_then(parse_code),
                name,
                until,
                proposal,
            });
        }
        Ok(out)
    })
    .await
}

pub(super) async fn approved_edits(s: &SqliteAccounts) -> Res<Vec<ApprovedEdit>> {
    let shown = s.shown();
    s.with("read approved changes", move |c| {
        let at = "read approved changes";
        let mut st = c
            .prepare(
                "SELECT p.id, p.request, p.effective, e.edit FROM proposals p
                   LEFT JOIN proposal_edits e ON e.proposal = p.id
                  WHERE p.status = 'approved'
                  ORDER BY e.seq IS NOT NULL, e.seq, p.decided_ms, p.id",
            )
            .map_err(|e| store(&shown, at, e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .map_err(|e| store(&shown, at, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (proposal, request, effective, blob) = row.map_err(|e| store(&shown, at, e))?;
            let edit = match blob {
                None => Err("the approval predates kept changes (no stored change)".to_owned()),
                Some(b) => bincode::deserialize::<DataEdit>(&b)
                    .map_err(|e| format!("the stored change cannot be read: {e}")),
            };
            out.push(ApprovedEdit {
                proposal,
                request: json(request),
                effective: effective.unwrap_or_default(),
                edit,
            });
        }
        Ok(out)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::super::{DataEdit, Decision, NewProposal};
    use crate::accounts::{AccountStore, AuditRecord};
    use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
    use geo::{polygon, MultiPolygon};

    fn c(s: &str) -> AdminCode {
        AdminCode::parse(s).unwrap()
    }

    fn approve(edit: DataEdit) -> Decision {
        Decision::Approve {
            effective: "2099-01-01".into(),
            former_names: vec![],
            edit: Box::new(edit),
        }
    }

    #[tokio::test]
    async fn approved_changes_are_kept_exactly_in_decision_order_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        // coordinates JSON would not bring back bit for bit
        let (x, y) = (120.123_456_789_012_34_f64, 30.000_000_000_000_004_f64);
        let unit = AdminUnit {
            code: c("330102002002"),
            name: "中社区".into(),
            level: AdminLevel::Community,
            parent: Some(c("330102002000")),
            kind: String::new(),
            geometry: MultiPolygon(vec![
                polygon![(x: x, y: y), (x: x + 0.1, y: y), (x: x, y: y + 0.1 / 3.0)],
            ]),
            population: 3,
            elderly: 1,
            synthetic: false,
        };
        let edit = |n: u64| DataEdit {
            upsert_units: vec![unit.clone()],
            created_units: vec![c("330102002002")],
            delete_units: vec![c("330102001002")],
            doorplates: vec![(n, c("330102002002"))],
            facilities: vec![(format!("f{n}"), c("330102002002"))],
            units_before: vec![unit.clone()],
            doorplates_before: vec![(n, None)],
            facilities_before: vec![(format!("f{n}"), Some(c("330102001002")))],
        };
        let store = AccountStore::open_dir(dir.path()).unwrap().proposals();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let p = NewProposal {
                kind: "transfer".into(),
                request: serde_json::json!({"kind": "transfer"}),
                impact: serde_json::json!({}),
                valid: true,
            };
            let a = AuditRecord::new("s", "proposal.create", "proposal");
            ids.push(store.create(p, a).await.unwrap().id);
        }
        let audit = || AuditRecord::new("admin", "proposal.approve", "proposal");
        // decided in the order 3, 1; 2 rejected
        store
            .decide(ids[2], approve(edit(3)), audit())
            .await
            .unwrap();
        store
            .decide(ids[0], approve(edit(1)), audit())
            .await
            .unwrap();
        let reject = Decision::Reject { note: None };
        store.decide(ids[1], reject, audit()).await.unwrap();
        drop(store);
        let reopened = AccountStore::open_dir(dir.path()).unwrap().proposals();
        let kept = reopened.approved_edits().await.unwrap();
        let got: Vec<(i64, DataEdit)> = kept
            .into_iter()
            .map(|a| (a.proposal, a.edit.unwrap()))
            .collect();
        assert_eq!(got, vec![(ids[2], edit(3)), (ids[0], edit(1))]);
    }
}
