//! Doorplate aliases (renumbered and merged ids) on both stores — `accounts.sqlite` in a
//! directory and PostGIS — with the same checks: each alias and its audit row, one alias
//! per old id, no alias to itself, no cycle, bad dates named, append-only tables, and
//! atomicity (an alias whose audit row fails leaves nothing behind).

#[path = "common/pg.rs"]
mod pg;
#[path = "common/saboteur.rs"]
mod saboteur;

use civmap_data::accounts::{AccountStore, AccountsError, AuditQuery, AuditRecord};
use civmap_data::doorplate_aliases::{AliasError, AliasReason, NewAlias};

fn alias(old_id: u64, new_id: u64, reason: AliasReason) -> NewAlias {
    NewAlias {
        old_id,
        new_id,
        reason,
        date: Some("2026-11-30".into()),
    }
}

fn rec(who: &str, old_id: u64) -> AuditRecord {
    AuditRecord::new(who, "doorplate.renumber", format!("doorplate:{old_id}"))
}

async fn audit_count(store: &AccountStore) -> usize {
    store
        .audit_log(&AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .len()
}

/// The same life on either store.
async fn exercise(store: &AccountStore) {
    let aliases = store.doorplate_aliases();
    let a = aliases
        .record(alias(10, 20, AliasReason::Renumbered), rec("li", 10))
        .await
        .unwrap();
    assert_eq!((a.old_id, a.new_id, a.who.as_str()), (10, 20, "li"));
    let rows = store
        .audit_log(&AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let after = rows[0].record.after.as_ref().unwrap();
    assert_eq!(
        (after["old_id"].as_u64(), after["new_id"].as_u64()),
        (Some(10), Some(20))
    );
    assert_eq!(after["reason"], "renumbered");
    // a chain 10 → 20 → 30; then 30 → 10 would close it
    aliases
        .record(alias(20, 30, AliasReason::Merged), rec("li", 20))
        .await
        .unwrap();
    match aliases
        .record(alias(30, 10, AliasReason::Merged), rec("li", 30))
        .await
    {
        Err(AliasError::Cycle { chain, .. }) => assert_eq!(chain, vec![10, 20, 30]),
        other => panic!("expected a cycle, got {other:?}"),
    }
    match aliases
        .record(alias(10, 40, AliasReason::Renumbered), rec("li", 10))
        .await
    {
        Err(AliasError::AlreadyAliased { new_id, .. }) => assert_eq!(new_id, 20),
        other => panic!("expected already aliased, got {other:?}"),
    }
    for (bad, field) in [
        (alias(5, 5, AliasReason::Merged), "new_id"),
        (
            NewAlias {
                date: Some("2026-13-01".into()),
                ..alias(5, 6, AliasReason::Merged)
            },
            "date",
        ),
        (alias(u64::MAX, 6, AliasReason::Merged), "id"),
    ] {
        match aliases.record(bad, rec("li", 5)).await {
            Err(AliasError::Accounts(AccountsError::Invalid { field: f, .. })) => {
                assert_eq!(f, field)
            }
            other => panic!("expected {field} refused, got {other:?}"),
        }
    }
    // no date: today in China
    let today = aliases
        .record(
            NewAlias {
                date: None,
                ..alias(50, 51, AliasReason::Merged)
            },
            rec("li", 50),
        )
        .await
        .unwrap();
    assert_eq!(today.date, civmap_data::register::today_in_china());
    let all = aliases.all().await.unwrap();
    let pairs: Vec<(u64, u64)> = all.iter().map(|a| (a.old_id, a.new_id)).collect();
    assert_eq!(pairs, vec![(10, 20), (20, 30), (50, 51)]);
    assert_eq!(all[1].reason, AliasReason::Merged);
    assert_eq!(all[1].date, "2026-11-30");
    assert_eq!(
        audit_count(store).await,
        3,
        "refused aliases wrote no audit row"
    );
}

/// With the audit refusing the saboteur's rows, its alias is not stored either.
async fn atomicity(store: &AccountStore) {
    let aliases = store.doorplate_aliases();
    let before = audit_count(store).await;
    let r = aliases
        .record(alias(60, 61, AliasReason::Merged), rec("saboteur", 60))
        .await;
    assert!(
        matches!(r, Err(AliasError::Accounts(AccountsError::Store { .. }))),
        "{r:?}"
    );
    assert!(aliases.all().await.unwrap().iter().all(|a| a.old_id != 60));
    assert_eq!(audit_count(store).await, before);
}

#[tokio::test]
async fn sqlite_aliases_are_audited_acyclic_and_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = AccountStore::open_dir(dir.path()).unwrap();
    exercise(&store).await;
    saboteur::plant_sqlite(&dir.path().join("accounts.sqlite"));
    let conn = rusqlite::Connection::open(dir.path().join("accounts.sqlite")).unwrap();
    let e = conn
        .execute(
            "UPDATE doorplate_aliases SET new_id = 99 WHERE old_id = 10",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = conn
        .execute("DELETE FROM doorplate_aliases", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    drop(conn);
    atomicity(&store).await;
    drop(store);
    let store = AccountStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.doorplate_aliases().all().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgis_aliases_are_audited_acyclic_and_append_only() {
    let db = pg::TestDb::create().await;
    let store = AccountStore::connect_pg(&db.url).await.unwrap();
    exercise(&store).await;
    let c = db.client().await;
    let v: i32 = c
        .query_one(
            "SELECT version FROM civmap.schema_migrations WHERE version = 5",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, 5);
    saboteur::plant_pg(&c).await;
    for sql in [
        "UPDATE civmap.doorplate_aliases SET new_id = 99 WHERE old_id = 10",
        "DELETE FROM civmap.doorplate_aliases",
    ] {
        let e = c.batch_execute(sql).await.unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{e:?}");
    }
    atomicity(&store).await;
}
