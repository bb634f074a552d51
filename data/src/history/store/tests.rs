//! The stored history in a data directory's `accounts.sqlite`: the five bundled editions
//! imported one by one give the bundled build; bad files and out-of-order editions are
//! refused with nothing written; a confirmed decision is applied to the stored history in
//! the transaction that records it, and by later imports; a decision that cannot be applied
//! leaves everything as it was. (PostGIS: `tests/tests/history_store.rs`.)

use civmap_geo_core::history::{Date, History, UnitId};

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

/// `store` holding the `n` first bundled editions.
async fn imported(store: &HistoryStore, editions: &[Edition], n: usize) {
    for e in &editions[..n] {
        store.import(file_of(e), audit(&e.id)).await.unwrap();
    }
}

fn confirm_audit(id: i64) -> AuditRecord {
    AuditRecord::new("cli:li", "history.confirm", format!("ambiguity:{id}"))
}

/// The first open stored case of `kind` with a candidate.
async fn open_case(store: &HistoryStore, kind: AmbiguityKind, edition: &str) -> StoredAmbiguity {
    store
        .ambiguities(true)
        .await
        .unwrap()
        .into_iter()
        .find(|a| {
            a.ambiguity.kind == kind
                && a.ambiguity.edition == edition
                && !a.ambiguity.candidates.is_empty()
        })
        .unwrap_or_else(|| panic!("an open {kind:?} case of {edition} with a candidate"))
}

/// The decisions stored as confirmed, as the geo-core build takes them.
async fn stored_decisions(store: &HistoryStore) -> Decisions {
    let all = store.ambiguities(false).await.unwrap();
    let confirmed: Vec<StoredAmbiguity> = all.into_iter().filter(|a| a.choice.is_some()).collect();
    decisions_of(&confirmed).unwrap()
}

/// The unit holding `code` in `edition` in stored units.
fn stored_unit(units: &[Unit], h: &History, edition: &str, code: &str) -> UnitId {
    let day = h.edition(edition).unwrap().date();
    units
        .iter()
        .find(|u| u.version_on(day).is_some_and(|v| v.code.as_str() == code))
        .unwrap_or_else(|| panic!("{code} in {edition}"))
        .id
}

#[test]
fn a_confirmed_candidate_is_applied_to_the_stored_history_with_its_audit_row() {
    let editions = crate::hangzhou::editions().unwrap();
    let accounts = AccountStore::in_memory().unwrap();
    let store = accounts.history();
    rt().block_on(async {
        imported(&store, &editions, 5).await;
        let open_before = store.ambiguities(true).await.unwrap();
        let case = open_case(&store, AmbiguityKind::SameNameElsewhere, "NBS2022").await;
        let chosen = case.ambiguity.candidates[0].as_str().to_owned();
        let done = store
            .confirm(case.id, &chosen, None, confirm_audit(case.id))
            .await
            .unwrap();
        assert_eq!(done.choice.as_deref(), Some(chosen.as_str()));

        // what is stored is the build with the decision, and differs from the plain one
        let decisions = stored_decisions(&store).await;
        assert_eq!(decisions.len(), 1);
        let (expected, _) = History::build_with_decisions(editions.clone(), &decisions).unwrap();
        let (plain, _) = History::build(editions.clone()).unwrap();
        let units = store.units().await.unwrap();
        assert_eq!(units, expected.units());
        assert_ne!(units, plain.units());
        let old = stored_unit(&units, &expected, "NBS2021", &chosen);
        let new = stored_unit(&units, &expected, "NBS2022", case.ambiguity.code.as_str());
        assert_eq!(old, new, "one unit that moved");
        assert_eq!(
            store.successions().await.unwrap(),
            successions_of(&expected)
        );
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.units(), expected.units());
        assert!(loaded.check().is_empty());

        // the decided case and the chosen unit's own "ended without successor" leave the
        // open list; nothing else changes
        let open_after = store.ambiguities(true).await.unwrap();
        let mut gone: Vec<(&str, AmbiguityKind, &str)> = open_before
            .iter()
            .filter(|a| !open_after.iter().any(|b| b.id == a.id))
            .map(|a| {
                let x = &a.ambiguity;
                (x.edition.as_str(), x.kind, x.code.as_str())
            })
            .collect();
        gone.sort();
        assert_eq!(
            gone,
            [
                (
                    "NBS2022",
                    AmbiguityKind::SameNameElsewhere,
                    case.ambiguity.code.as_str()
                ),
                (
                    "NBS2022",
                    AmbiguityKind::EndedWithoutSuccessor,
                    chosen.as_str()
                ),
            ]
        );
        assert_eq!(open_after.len(), open_before.len() - 2);
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
    });
}

#[test]
fn a_confirmed_successor_is_stored_as_a_merger_and_kept_by_later_imports() {
    let editions = crate::hangzhou::editions().unwrap();
    let store = AccountStore::in_memory().unwrap().history();
    rt().block_on(async {
        imported(&store, &editions, 3).await;
        let open_before = store.ambiguities(true).await.unwrap().len();
        let case = open_case(&store, AmbiguityKind::EndedWithoutSuccessor, "NBS2021").await;
        let chosen = case.ambiguity.candidates[0].as_str().to_owned();
        store
            .confirm(case.id, &chosen, None, confirm_audit(case.id))
            .await
            .unwrap();
        assert_eq!(
            store.ambiguities(true).await.unwrap().len(),
            open_before - 1
        );
        let check = |units: Vec<Unit>, links: Vec<Succession>| {
            let (h, _) = History::build(editions.clone()).unwrap();
            let from = stored_unit(&units, &h, "NBS2020", case.ambiguity.code.as_str());
            let to = stored_unit(&units, &h, "NBS2021", &chosen);
            assert!(
                links.iter().any(|s| (s.from_unit, s.to_unit, s.event)
                    == (from.0, to.0, EventKind::Merged)),
                "{from} → {to} merged"
            );
            assert_eq!(units[from.0 as usize].superseded_by, [to]);
            assert!(units[to.0 as usize].supersedes.contains(&from));
        };
        check(
            store.units().await.unwrap(),
            store.successions().await.unwrap(),
        );

        // the next editions are built with the stored decision
        imported_from(&store, &editions, 3).await;
        let decisions = stored_decisions(&store).await;
        let (expected, _) = History::build_with_decisions(editions.clone(), &decisions).unwrap();
        assert_eq!(store.units().await.unwrap(), expected.units());
        check(
            store.units().await.unwrap(),
            store.successions().await.unwrap(),
        );
        let kept = store.ambiguities(false).await.unwrap();
        assert!(kept
            .iter()
            .any(|a| a.id == case.id && a.choice.as_deref() == Some(chosen.as_str())));
    });
}

/// Imports the bundled editions from index `from` on.
async fn imported_from(store: &HistoryStore, editions: &[Edition], from: usize) {
    for e in &editions[from..] {
        store.import(file_of(e), audit(&e.id)).await.unwrap();
    }
}

#[test]
fn a_decision_that_cannot_be_applied_is_refused_and_nothing_changes() {
    let editions = crate::hangzhou::editions().unwrap();
    let accounts = AccountStore::in_memory().unwrap();
    let store = accounts.history();
    rt().block_on(async {
        imported(&store, &editions, 5).await;
        let moved = open_case(&store, AmbiguityKind::SameNameElsewhere, "NBS2022").await;
        let chosen = moved.ambiguity.candidates[0].clone();
        // the chosen unit's end is confirmed as recorded first …
        let ended = store
            .ambiguities(true)
            .await
            .unwrap()
            .into_iter()
            .find(|a| {
                a.ambiguity.kind == AmbiguityKind::EndedWithoutSuccessor
                    && a.ambiguity.edition == "NBS2022"
                    && a.ambiguity.code == chosen
            })
            .expect("the vanished namesake ended without successor");
        store
            .confirm(ended.id, AS_RECORDED, None, confirm_audit(ended.id))
            .await
            .unwrap();
        let units = store.units().await.unwrap();
        let links = store.successions().await.unwrap();
        let cases = store.ambiguities(false).await.unwrap();
        let counts = store.counts().await.unwrap();
        // … so continuing it would leave that decision without its case: refused
        let err = store
            .confirm(moved.id, chosen.as_str(), None, confirm_audit(moved.id))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HistoryStoreError::Decision { id, error: HistoryError::StaleDecision { .. } } if *id == ended.id),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("ambiguity {}", ended.id)) && text.contains(chosen.as_str()),
            "{text}"
        );
        assert_eq!(store.units().await.unwrap(), units);
        assert_eq!(store.successions().await.unwrap(), links);
        assert_eq!(store.ambiguities(false).await.unwrap(), cases);
        assert_eq!(store.counts().await.unwrap(), counts);
        let log = accounts
            .audit_log(&crate::accounts::AuditQuery {
                before_id: None,
                who: Some("cli:li".into()),
                action_prefix: Some("history.confirm".into()),
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(log.len(), 1, "only the accepted decision is audited");
    });
}
