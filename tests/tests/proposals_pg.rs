//! Deciding a change proposal on PostGIS (migration 0008): an approval writes the data
//! change (admin units, doorplates' and facilities' unit codes), the former names, the new
//! status and the audit row in one transaction; a second decision is refused and writes
//! nothing; an approval whose data change fails leaves everything as it was (the proposal
//! still pending, no unit renamed, no audit row). A real PostGIS with the default city
//! pushed into it.

mod common;
#[path = "common/pg.rs"]
mod pg;

use civmap_data::accounts::{AccountStore, AuditQuery, AuditRecord};
use civmap_data::postgis::PgStore;
use civmap_data::proposals::{DataEdit, Decision, NewProposal, ProposalStoreError};
use civmap_geo_core::{AdminCode, AdminLevel};
use common::db_push;

async fn one(c: &tokio_postgres::Client, q: &str) -> String {
    c.query_one(q, &[])
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .get(0)
}

async fn decisions(store: &AccountStore) -> usize {
    let q = AuditQuery {
        action_prefix: Some("proposal.approve".into()),
        limit: 100,
        ..Default::default()
    };
    store.audit_log(&q).await.unwrap().len()
}

fn proposal(kind: &str) -> NewProposal {
    NewProposal {
        kind: kind.into(),
        request: serde_json::json!({"kind": kind}),
        impact: serde_json::json!({"moved": {"population": 0}}),
        valid: true,
    }
}

#[test]
fn an_approval_writes_the_data_with_its_audit_row_or_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    db_push(&db.url);
    rt.block_on(async {
        let c = db.client().await;
        let city = PgStore::connect(&db.url)
            .await
            .unwrap()
            .load()
            .await
            .unwrap();
        let store = AccountStore::connect_pg(&db.url).await.unwrap();
        let proposals = store.proposals();
        let mut town = city
            .admin
            .iter()
            .find(|u| u.level == AdminLevel::Township)
            .unwrap()
            .clone();
        let old_name = town.name.clone();
        town.name = format!("{old_name}新");
        let plate = &city.doorplates[0];
        let other: AdminCode = city
            .admin
            .iter()
            .find(|u| u.level == AdminLevel::Community && Some(&u.code) != plate.community.as_ref())
            .unwrap()
            .code
            .clone();
        let facility = &city.facilities[0];

        // an approval whose data change fails at its last statement (a trigger refuses
        // the facility's update, after the unit and the doorplate were written): nothing
        // at all stays written
        c.batch_execute(&format!(
            "CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
             CREATE TRIGGER refuse_one BEFORE UPDATE ON civmap.facilities FOR EACH ROW
             WHEN (OLD.id = '{}') EXECUTE FUNCTION refuse_for_test();",
            facility.id
        ))
        .await
        .unwrap();
        let bad = proposals
            .create(
                proposal("rename"),
                AuditRecord::new("li", "proposal.create", "proposal:"),
            )
            .await
            .unwrap();
        let edit = DataEdit {
            upsert_units: vec![town.clone()],
            doorplates: vec![(plate.id, other.clone())],
            facilities: vec![(facility.id.clone(), other.clone())],
            ..Default::default()
        };
        let broken = Decision::Approve {
            effective: "2026-12-31".into(),
            former_names: vec![(town.code.clone(), None, old_name.clone())],
            edit: Box::new(edit.clone()),
        };
        let audit = || AuditRecord::new("admin", "proposal.approve", "proposal:1");
        let failed = proposals.decide(bad.id, broken, audit()).await;
        assert!(format!("{:?}", failed.unwrap_err()).contains("refused by the test"));
        assert_eq!(
            one(
                &c,
                &format!(
                    "SELECT name FROM civmap.admin_units WHERE code = '{}'",
                    town.code.as_str()
                )
            )
            .await,
            old_name,
            "the unit is not renamed by a failed approval"
        );
        assert_ne!(
            one(
                &c,
                &format!(
                    "SELECT coalesce(community::text, '') FROM civmap.doorplates WHERE id = {}",
                    plate.id
                )
            )
            .await,
            other.as_str(),
            "the doorplate is not moved by a failed approval"
        );
        assert_eq!(proposals.get(bad.id).await.unwrap().status, "pending");
        assert_eq!(
            decisions(&store).await,
            0,
            "no audit row for a failed approval"
        );
        assert!(proposals.former_names().await.unwrap().is_empty());
        c.batch_execute(
            "DROP TRIGGER refuse_one ON civmap.facilities; DROP FUNCTION refuse_for_test()",
        )
        .await
        .unwrap();

        // a whole approval: units, doorplate, facility, former name, status and audit row
        let p = proposals
            .create(
                proposal("transfer"),
                AuditRecord::new("li", "proposal.create", "proposal:"),
            )
            .await
            .unwrap();
        assert_eq!(p.status, "pending");
        let before = decisions(&store).await;
        let approve = Decision::Approve {
            effective: "2026-12-31".into(),
            former_names: vec![(town.code.clone(), None, old_name.clone())],
            edit: Box::new(edit),
        };
        let done = proposals.decide(p.id, approve, audit()).await.unwrap();
        assert_eq!(
            (done.status.as_str(), done.effective.as_deref()),
            ("approved", Some("2026-12-31"))
        );
        assert_eq!(
            one(
                &c,
                &format!(
                    "SELECT name FROM civmap.admin_units WHERE code = '{}'",
                    town.code.as_str()
                )
            )
            .await,
            town.name
        );
        assert_eq!(
            one(
                &c,
                &format!(
                    "SELECT community::text FROM civmap.doorplates WHERE id = {}",
                    plate.id
                )
            )
            .await,
            other.as_str()
        );
        assert_eq!(
            one(
                &c,
                &format!(
                    "SELECT admin_code::text FROM civmap.facilities WHERE id = '{}'",
                    facility.id
                )
            )
            .await,
            other.as_str()
        );
        let former = proposals.former_names().await.unwrap();
        assert!(former
            .iter()
            .any(|f| f.name == old_name && f.proposal == p.id && f.until == "2026-12-31"));
        assert_eq!(
            decisions(&store).await,
            before + 1,
            "one audit row with the approval"
        );

        // decided once: a second decision is refused and writes nothing
        let again = proposals
            .decide(p.id, Decision::Reject { note: None }, audit())
            .await;
        assert!(
            matches!(again, Err(ProposalStoreError::Decided { .. })),
            "{again:?}"
        );
        assert_eq!(proposals.get(p.id).await.unwrap().status, "approved");
        assert_eq!(decisions(&store).await, before + 1);
    });
}
