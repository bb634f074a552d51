//! The stored history in a data directory's `accounts.sqlite`: the five bundled editions
//! imported one by one give the bundled build; bad files and out-of-order editions are
//! refused with nothing written. (PostGIS: `tests/tests/history_store_pg.rs`.)

use civmap_geo_core::history::{Date, History};

use super::*;
use crate::accounts::{AccountStore, AuditRecord};

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn audit(e: &str) -> AuditRecord {
    AuditRecord::new("cli:test", "history.import", format!("edition:{e}"))
}

fn file_of(e: &Edition) -> EditionFile {
    let mut csv = String::from("code12,level,name,parent_code12,kind\n");
    for r in &e.rows {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            r.code,
            r.level.as_str(),
            r.name,
            r.parent,
            r.kind
        ));
    }
    read_import_text(&format!("{}.csv", e.id), &csv, &e.id, e.date).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn five_bundled_editions_imported_in_order_store_the_bundled_history() {
    let editions = crate::hangzhou::editions().unwrap();
    let (expected, expected_amb) = History::build(editions.clone()).unwrap();
    let store = AccountStore::in_memory().unwrap().history();
    rt().block_on(async {
        for e in &editions {
            store.import(file_of(e), audit(&e.id)).await.unwrap();
        }
        let units = store.units().await.unwrap();
        assert_eq!(units, expected.units());
        let c = store.counts().await.unwrap();
        assert_eq!(c.editions, 5);
        assert_eq!(c.ambiguities, expected_amb.len());
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.units(), expected.units());
        assert_eq!(loaded.editions(), expected.editions());
    });
}

#[test]
fn an_edition_not_after_the_last_or_stored_twice_is_refused_and_nothing_is_written() {
    let editions = crate::hangzhou::editions().unwrap();
    let store = AccountStore::in_memory().unwrap().history();
    rt().block_on(async {
        store
            .import(file_of(&editions[1]), audit("NBS2020"))
            .await
            .unwrap();
        let before = store.counts().await.unwrap();
        let err = store
            .import(file_of(&editions[0]), audit("NBS2019"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, HistoryStoreError::NotAfterLast { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("NBS2020"), "{err}");
        let mut again = file_of(&editions[2]);
        again.edition.id = "NBS2020".into();
        let err = store.import(again, audit("NBS2020")).await.unwrap_err();
        assert!(matches!(err, HistoryStoreError::EditionExists(_)), "{err}");
        assert_eq!(store.counts().await.unwrap(), before);
    });
}

#[test]
fn bad_files_are_named_with_their_line() {
    let d = day("2020-06-30");
    let head = "code12,level,name,parent_code12,kind\n";
    let city = "330100000000,city,杭州市,330000000000,city\n";
    let dup = format!("{head}{city}330102000000,district,上城区,330100000000,d\n330102000000,district,下城区,330100000000,d\n");
    let e = read_import_text("x.csv", &dup, "NBS2020", d).unwrap_err();
    assert!(
        e.to_string().contains("x.csv") && e.to_string().contains("line 4"),
        "{e}"
    );
    assert!(e.to_string().contains("first on line 3"), "{e}");
    let bad_code = format!("{head}{city}33010200000X,district,上城区,330100000000,d\n");
    let e = read_import_text("x.csv", &bad_code, "NBS2020", d).unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("code12"),
        "{e}"
    );
    let orphan = format!("{head}{city}330102000000,district,上城区,330199000000,d\n");
    let e = read_import_text("x.csv", &orphan, "NBS2020", d).unwrap_err();
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("parent_code12"),
        "{e}"
    );
    let e = read_import_text("x.csv", &format!("{head}{city}"), "2020", d).unwrap_err();
    assert!(matches!(e, HistoryStoreError::EditionId { .. }), "{e}");
}

#[test]
fn a_decision_is_recorded_with_its_audit_row_and_must_be_a_candidate() {
    let editions = crate::hangzhou::editions().unwrap();
    let accounts = AccountStore::in_memory().unwrap();
    let store = accounts.history();
    rt().block_on(async {
        for e in &editions {
            store.import(file_of(e), audit(&e.id)).await.unwrap();
        }
        let open = store.ambiguities(true).await.unwrap();
        let first = open
            .first()
            .expect("the bundled editions leave cases to a person");
        let err = store
            .confirm(
                first.id,
                "999999999999",
                None,
                AuditRecord::new("cli:li", "history.confirm", "x"),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, HistoryStoreError::BadChoice { .. }), "{err}");
        let done = store
            .confirm(
                first.id,
                AS_RECORDED,
                Some("checked".into()),
                AuditRecord::new("cli:li", "history.confirm", "x"),
            )
            .await
            .unwrap();
        assert_eq!(done.status, "confirmed");
        assert_eq!(store.ambiguities(true).await.unwrap().len(), open.len() - 1);
        let log = accounts
            .audit_log(&crate::accounts::AuditQuery {
                before_id: None,
                who: Some("cli:li".into()),
                action_prefix: Some("history.confirm".into()),
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert!(matches!(
            store
                .confirm(
                    -5,
                    AS_RECORDED,
                    None,
                    AuditRecord::new("cli:li", "history.confirm", "x")
                )
                .await,
            Err(HistoryStoreError::UnknownAmbiguity(-5))
        ));
    });
}
