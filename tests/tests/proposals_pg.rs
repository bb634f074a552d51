//! Deciding a change proposal on PostGIS (migration 0008): an approval writes the data
//! change (admin units, doorplates' and facilities' unit codes), the former names, the new
//! status and the audit row in one transaction; a second decision is refused and writes
//! nothing; an approval whose data change fails leaves everything as it was (the proposal
//! still pending, no unit renamed, no audit row). A real PostGIS with the default city
//! pushed into it. And a `civmap serve --db` restarted after an approval made through its
//! API serves the approved unit and finds it by its former name, as before the restart.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use civmap_data::accounts::{AccountStore, AuditQuery, AuditRecord};
use civmap_data::postgis::PgStore;
use civmap_data::proposals::{DataEdit, Decision, NewProposal, ProposalStoreError};
use civmap_geo_core::{AdminCode, AdminLevel};
use common::{bin, db_push, until, Server};
use serde_json::{json, Value};

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

const PASSWORD: &str = "proposal-secret-1";

fn add_user(url: &str, name: &str, role: &str) {
    let mut child = Command::new(bin())
        .args([
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--db",
            url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run civmap user add");
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "user add: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `(status, body)` of `name`'s POST (signed in through the API).
fn post_as(server: &Server, name: &str, path: &str, body: Value) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    let login = client
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"name": name, "password": PASSWORD}))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let token: Value = login.json().unwrap();
    let r = client
        .post(format!("{}{path}", server.base))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&body)
        // a proposal's impact report waits for the coverage engine of the whole city
        .timeout(Duration::from_secs(600))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// The admin hit answering `code` in a search for `name`, if any.
fn search_hit(server: &Server, name: &str, code: &str) -> Option<Value> {
    let q: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let (s, v) = server.json(&format!("/api/v1/search?q={q}&kind=admin&limit=50"));
    assert_eq!(s, 200, "{v}");
    v["features"]
        .as_array()?
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .cloned()
}

#[test]
fn an_approval_survives_a_restart_of_serve_db() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    db_push(&db.url);
    add_user(&db.url, "survey.li", "surveyor");
    add_user(&db.url, "admin.wang", "admin");
    let rows = pg::sql_rows(
        &db.url,
        "SELECT code::text, name FROM civmap.admin_units WHERE level = 'township' ORDER BY code LIMIT 1",
    );
    let (code, old_name): (String, String) = (rows[0].get(0), rows[0].get(1));
    let new_name = format!("新{old_name}");

    let mut first = Server::start(&["--db", &db.url], &[]);
    let body = json!({"kind": "rename", "unit": code, "name": new_name});
    let (s, v) = post_as(&first, "survey.li", "/api/v1/proposals", body);
    assert_eq!(s, 201, "{v}");
    let approve = format!("/api/v1/proposals/{}/approve", v["id"]);
    let (s, v) = post_as(
        &first,
        "admin.wang",
        &approve,
        json!({"effective": "2099-01-01"}),
    );
    assert_eq!(s, 200, "{v}");
    // the follower applies the written row; the gazetteer is rebuilt with the former name
    until(
        Duration::from_secs(120),
        "the former name before the restart",
        || {
            search_hit(&first, &old_name, &code)
                .is_some_and(|f| f["properties"]["match"]["kind"] == "former_name")
        },
    );
    let before = search_hit(&first, &old_name, &code).unwrap();
    assert_eq!(
        first
            .terminate(Duration::from_secs(20))
            .map(|s| s.success()),
        Some(true)
    );

    let second = Server::start(&["--db", &db.url], &[]);
    // serving means the first load is in, with the former names already indexed
    let after = search_hit(&second, &old_name, &code).expect("the old name still answers the unit");
    assert_eq!(after["properties"]["name"], new_name.as_str(), "{after}");
    assert_eq!(
        after["properties"]["match"]["kind"], "former_name",
        "{after}"
    );
    assert_eq!(after, before, "the same answer as before the restart");
    let renamed = search_hit(&second, &new_name, &code).expect("the new name answers the unit");
    assert_eq!(renamed["properties"]["name"], new_name.as_str());
}
