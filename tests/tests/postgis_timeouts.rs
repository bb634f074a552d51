//! Database time limits against a real PostgreSQL 15 + PostGIS (issue #13): a statement
//! past `statement_timeout` or `lock_timeout`, a call waiting past the store's connection
//! wait and a push past its bulk statement timeout each fail with `DataError::DbTimeout`
//! naming the database (password redacted), and a push that fails writes nothing.
//!
//! Needs `CIVMAP_TEST_PG_URL` (scripts/test.sh sets it up; by hand:
//! `eval $(bash scripts/pg-cluster.sh start)`). Each test works in a database of its own.
//! The waits are made real by a second session holding a lock, as an editor's forgotten
//! open transaction in psql or QGIS would.

#[path = "common/pg.rs"]
mod pg;

use std::sync::Arc;
use std::time::{Duration, Instant};

use civmap_data::postgis::{DbTimeouts, PgStore};
use civmap_data::DataError;
use civmap_geo_core::{Dataset, Facility, FacilityAttributes, FacilityCategory};
use geo::Point;
use pg::TestDb;

fn city(ids: &[&str]) -> Dataset {
    Dataset {
        facilities: ids
            .iter()
            .enumerate()
            .map(|(i, id)| Facility {
                id: (*id).into(),
                name: format!("老年食堂 {id}"),
                category: FacilityCategory::ElderCanteen,
                location: Point::new(120.15 + 0.001 * i as f64, 30.25),
                address: String::new(),
                admin_code: None,
                attributes: FacilityAttributes::default(),
                synthetic: false,
            })
            .collect(),
        ..Dataset::default()
    }
}

/// Limits short enough for a test, with `change` applied.
fn short(change: impl FnOnce(&mut DbTimeouts)) -> DbTimeouts {
    let mut t = DbTimeouts {
        statement: Duration::from_secs(20),
        lock: Duration::from_secs(20),
        idle_in_transaction: Duration::from_secs(20),
        bulk_statement: Duration::from_secs(20),
        connect: Duration::from_secs(10),
        client_wait: Duration::from_secs(20),
    };
    change(&mut t);
    t
}

/// Asserts `e` is a timeout naming the test database, whose message holds `needle`.
fn assert_timeout(e: &DataError, db: &TestDb, needle: &str) {
    match e {
        DataError::DbTimeout {
            database, message, ..
        } => {
            assert!(database.ends_with(&format!("/{}", db.name)), "{e}");
            assert!(message.contains(needle), "{e}");
        }
        other => panic!("expected a DbTimeout, got {other}"),
    }
}

/// A session holding `lock` (SQL run inside an open transaction) until dropped/rolled back.
async fn hold(db: &TestDb, lock: &str) -> tokio_postgres::Client {
    let c = db.client().await;
    c.batch_execute(&format!("BEGIN; {lock}")).await.unwrap();
    c
}

#[tokio::test]
async fn statements_past_statement_or_lock_timeout_fail_naming_the_database() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    store.push(&city(&["f1"]), &mut |_, _, _| {}).await.unwrap();
    let blocker = hold(&db, "LOCK TABLE civmap.facilities IN ACCESS EXCLUSIVE MODE").await;

    // The statement waits on the lock longer than statement_timeout allows.
    let slow = PgStore::connect_with(&db.url, short(|t| t.statement = Duration::from_millis(300)))
        .await
        .unwrap();
    let t = Instant::now();
    let e = slow.facility("f1").await.unwrap_err();
    assert_timeout(&e, &db, "statement timeout");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());

    // The same wait under a shorter lock_timeout.
    let locked = PgStore::connect_with(&db.url, short(|t| t.lock = Duration::from_millis(200)))
        .await
        .unwrap();
    let e = locked.facility("f1").await.unwrap_err();
    assert_timeout(&e, &db, "lock timeout");

    // Once the lock is gone the same stores answer again.
    blocker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(slow.facility("f1").await.unwrap().unwrap().id, "f1");
    assert_eq!(locked.facility("f1").await.unwrap().unwrap().id, "f1");
}

#[tokio::test]
async fn a_call_waiting_for_the_busy_connection_gives_up_naming_the_database() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    store.push(&city(&["f1"]), &mut |_, _, _| {}).await.unwrap();
    let blocker = hold(&db, "LOCK TABLE civmap.facilities IN ACCESS EXCLUSIVE MODE").await;

    let busy = Arc::new(
        PgStore::connect_with(
            &db.url,
            short(|t| t.client_wait = Duration::from_millis(200)),
        )
        .await
        .unwrap(),
    );
    // A load that waits on the lock, holding the store's connection meanwhile.
    let load = tokio::spawn({
        let busy = busy.clone();
        async move { busy.load().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let e = busy.facility("f1").await.unwrap_err();
    assert_timeout(&e, &db, "waited 0.2 s for the store's connection");
    assert!(!e.to_string().contains("password"), "{e}");

    blocker.batch_execute("ROLLBACK").await.unwrap();
    let loaded = load.await.unwrap().unwrap();
    assert_eq!(loaded.facilities, city(&["f1"]).facilities);
}

#[tokio::test]
async fn a_push_past_its_bulk_statement_timeout_fails_and_writes_nothing() {
    let db = TestDb::create().await;
    let mut store = PgStore::connect(&db.url).await.unwrap();
    let before = city(&["f1", "f2"]);
    store.push(&before, &mut |_, _, _| {}).await.unwrap();
    // A reader's open transaction: the push's TRUNCATE waits for it.
    let reader = hold(&db, "SELECT count(*) FROM civmap.facilities").await;

    let mut hasty = PgStore::connect_with(
        &db.url,
        short(|t| t.bulk_statement = Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let t = Instant::now();
    let e = hasty
        .push(&city(&["g1"]), &mut |_, _, _| {})
        .await
        .unwrap_err();
    assert_timeout(&e, &db, "statement timeout");
    // The push's own (bulk) limit stopped it, not the 20 s session one.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());

    reader.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(store.load().await.unwrap().facilities, before.facilities);
    // The timed-out store's connection is usable again (its transaction was rolled back).
    assert_eq!(hasty.load().await.unwrap().facilities, before.facilities);
    hasty.push(&city(&["g1"]), &mut |_, _, _| {}).await.unwrap();
    assert_eq!(
        store.load().await.unwrap().facilities,
        city(&["g1"]).facilities
    );
}
