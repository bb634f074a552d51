//! The stored division history, end to end through the real binary:
//!
//! - PostGIS oracle: the five NBS editions imported one by one with `civmap history import
//!   --db` store exactly the history the in-memory build makes (units, versions, codes,
//!   successions, ambiguities; 长庆街道's two codes);
//! - refusals: the database's own triggers refuse a one-sided or circular succession and a
//!   current child of an ended parent written directly; an import whose history cannot be
//!   built, a bad file (named with its line) and an edition not after the last are refused
//!   with nothing written;
//! - decisions: `civmap history confirm` rebuilds the stored history with the decision
//!   applied (a merger into the chosen unit), and one that cannot be applied is refused
//!   naming the ambiguity, with nothing written;
//! - the server reads the stored history at start (`source` says so) and serves
//!   `/api/v1/changes` as JSON, CSV (one row per change) and a GeoJSON change layer.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};

use civmap_data::accounts::AccountStore;
use civmap_data::history::store::{successions_of, TableCounts};
use civmap_geo_core::history::{
    AmbiguityKind, CaseKey, Choice, Decisions, EventKind, History, UnitId,
};
use common::{civmap, db_push, root, Server};
use pg::TestDb;

/// The five editions: id, day, file.
fn editions() -> Vec<(&'static str, &'static str, PathBuf)> {
    let d = root().join("data/hangzhou/divisions");
    vec![
        (
            "NBS2019",
            "2019-10-31",
            d.join("history/hangzhou_divisions_nbs2019.csv"),
        ),
        (
            "NBS2020",
            "2020-06-30",
            d.join("history/hangzhou_divisions_nbs2020.csv"),
        ),
        (
            "NBS2021",
            "2021-10-31",
            d.join("history/hangzhou_divisions_nbs2021.csv"),
        ),
        (
            "NBS2022",
            "2022-10-31",
            d.join("history/hangzhou_divisions_nbs2022.csv"),
        ),
        (
            "NBS2023",
            "2023-06-30",
            d.join("hangzhou_divisions_nbs2023.csv"),
        ),
    ]
}

/// `civmap history import FILE --edition ID --date DAY AT…`: (success, stderr).
fn import(file: &Path, id: &str, day: &str, at: &[&str]) -> (bool, String) {
    let f = file.to_str().unwrap();
    let mut args = vec!["history", "import", f, "--edition", id, "--date", day];
    args.extend_from_slice(at);
    let o = civmap(&args);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn import_ok(file: &Path, id: &str, day: &str, at: &[&str]) {
    let (ok, err) = import(file, id, day, at);
    assert!(ok, "import {id}: {err}");
}

async fn counts(url: &str) -> TableCounts {
    let store = AccountStore::connect_pg(url).await.unwrap();
    store.history().counts().await.unwrap()
}

fn bundled() -> (History, usize) {
    let (h, amb) = History::build(civmap_data::hangzhou::editions().unwrap()).unwrap();
    (h, amb.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn five_editions_imported_into_postgis_store_the_in_memory_history() {
    let db = TestDb::create().await;
    for (id, day, file) in editions() {
        import_ok(&file, id, day, &["--db", &db.url]);
    }
    let (expected, ambiguities) = bundled();
    let store = AccountStore::connect_pg(&db.url).await.unwrap();
    let h = store.history();
    assert_eq!(h.units().await.unwrap(), expected.units());
    let rows: usize = expected.editions().iter().map(|e| e.row_count).sum();
    let versions: usize = expected.units().iter().map(|u| u.versions.len()).sum();
    let c = h.counts().await.unwrap();
    assert_eq!(
        c,
        TableCounts {
            editions: 5,
            edition_rows: rows,
            units: expected.units().len(),
            versions,
            successions: successions_of(&expected).len(),
            ambiguities,
        }
    );
    assert!(c.successions > 0 && c.ambiguities > 0, "{c:?}");
    let stored_links = h.successions().await.unwrap();
    assert_eq!(stored_links, successions_of(&expected));
    // 长庆街道: one unit, its 2020 code under 下城区 and its 2021 code under 拱墅区
    let client = db.client().await;
    let v = client
        .query(
            "SELECT unit, code, valid_from::text, valid_to::text FROM civmap.history_unit_versions
             WHERE name = '长庆街道' AND level = 'township' ORDER BY valid_from",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(i32, String, String, Option<String>)> = v
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0].0, got[1].0,
        "one unit across the code change: {got:?}"
    );
    assert_eq!(
        (got[0].1.as_str(), got[1].1.as_str()),
        ("330103001000", "330105014000")
    );
    assert_eq!(got[0].3.as_deref(), Some(got[1].2.as_str()));
    assert_eq!(got[1].3, None);
    // the audit log has one row per import
    let audit = client
        .query(
            "SELECT count(*) FROM civmap.audit WHERE action = 'history.import'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(audit[0].get::<_, i64>(0), 5);
}

/// Runs `sql` and returns its error text (it must fail).
async fn refused(c: &tokio_postgres::Client, sql: &str) -> String {
    let e = c
        .batch_execute(sql)
        .await
        .expect_err(&format!("{sql} was accepted"));
    e.as_db_error()
        .map_or(e.to_string(), |d| d.message().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_history_is_refused_and_nothing_is_written() {
    let db = TestDb::create().await;
    let all = editions();
    // through the 2021 reform: districts merged and split, so there are links to break
    for (id, day, file) in &all[..3] {
        import_ok(file, id, day, &["--db", &db.url]);
    }
    let before = counts(&db.url).await;
    let c = db.client().await;
    let current = "(SELECT unit FROM civmap.history_unit_versions WHERE valid_to IS NULL AND level = 'district' ORDER BY unit LIMIT 1)";
    let ended = "(SELECT unit FROM civmap.history_unit_versions v WHERE level = 'district' AND NOT EXISTS (SELECT 1 FROM civmap.history_unit_versions w WHERE w.unit = v.unit AND w.valid_to IS NULL) ORDER BY unit LIMIT 1)";
    // a current unit recorded as superseded: one-sided
    let one_sided = refused(
            &c,
            &format!("INSERT INTO civmap.history_successions SELECT {current}, {ended}, 'merged', '2020-06-30'"),
        ).await;
    // the reverse of a stored link closes a circle (refused: its new predecessor is still
    // current, which the one-sided check finds before the circle check)
    let circle = refused(
        &c,
        "INSERT INTO civmap.history_successions (from_unit, to_unit, event, date)
             SELECT to_unit, from_unit, event, date FROM civmap.history_successions LIMIT 1",
    )
    .await;
    // a current township under an ended district
    let orphan = refused(
        &c,
        &format!(
            "UPDATE civmap.history_unit_versions SET parent_unit = {ended}
                      WHERE (unit, seq) IN (SELECT unit, seq FROM civmap.history_unit_versions
                      WHERE valid_to IS NULL AND level = 'township' LIMIT 1)"
        ),
    )
    .await;
    // two overlapping versions of one unit
    let overlap = refused(
        &c,
        "INSERT INTO civmap.history_unit_versions
             SELECT unit, seq + 100, code, name, level, kind, parent_unit, valid_from, valid_to
             FROM civmap.history_unit_versions WHERE valid_to IS NULL LIMIT 1",
    )
    .await;
    let checks = (one_sided, circle, orphan, overlap);
    eprintln!("refusals: {checks:#?}");
    assert!(checks.0.contains("one-sided"), "{}", checks.0);
    assert!(
        checks.1.contains("succession"),
        "a circle must be refused: {}",
        checks.1
    );
    assert!(
        checks.2.contains("ended parent") || checks.2.contains("does not hold"),
        "{}",
        checks.2
    );
    assert!(
        checks.3.contains("overlap") || checks.3.contains("conflicting"),
        "{}",
        checks.3
    );
    assert_eq!(counts(&db.url).await, before);

    // stored editions that no longer build (a parent code gone): the import is refused whole
    db.client()
        .await
        .batch_execute(
            "UPDATE civmap.history_edition_rows SET parent_code = '330199999999'
         WHERE (edition, code) IN (SELECT edition, code FROM civmap.history_edition_rows
         WHERE edition = 'NBS2019' AND level = 'community' LIMIT 1)",
        )
        .await
        .unwrap();
    let (id, day, file) = &all[3];
    let (ok, err) = import(file, id, day, &["--db", &db.url]);
    assert!(!ok && err.contains("330199999999"), "{err}");
    assert_eq!(counts(&db.url).await, before);

    // an edition not after the last
    let (ok, err) = import(&all[0].2, "NBS2019b", "2020-01-01", &["--db", &db.url]);
    assert!(
        !ok && err.contains("after the last stored edition"),
        "{err}"
    );
    // a bad row, named with its file and line
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let text = std::fs::read_to_string(&all[3].2).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[7] = lines[7].replacen("33", "3X", 1);
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, err) = import(&bad, "NBS2022", "2022-10-31", &["--db", &db.url]);
    assert!(
        !ok && err.contains("bad.csv") && err.contains("line 8"),
        "{err}"
    );
    // a duplicate code
    lines[7] = lines[6].clone();
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, err) = import(&bad, "NBS2022", "2022-10-31", &["--db", &db.url]);
    assert!(
        !ok && err.contains("line 8") && err.contains("first on line 7"),
        "{err}"
    );
    // a bad day and a bad edition id are usage errors
    let (ok, err) = import(&all[3].2, "NBS2022", "2022-02-30", &["--db", &db.url]);
    assert!(!ok && err.contains("--date"), "{err}");
    let (ok, err) = import(&all[3].2, "2022", "2022-10-31", &["--db", &db.url]);
    assert!(!ok && err.contains("--edition"), "{err}");
    assert_eq!(counts(&db.url).await, before);
}

#[test]
fn the_server_serves_the_stored_history_and_changes_as_csv_and_a_geojson_layer() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let all = editions();
    for (id, day, file) in &all[1..3] {
        import_ok(file, id, day, &["--state", s]);
    }
    let server = Server::start(&["--state", s], &[]);
    let (status, e) = server.json("/api/v1/editions");
    assert_eq!(status, 200);
    let ids: Vec<&str> = e["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["NBS2020", "NBS2021"]);
    assert!(
        e["source"].as_str().unwrap().starts_with("stored editions"),
        "{e}"
    );
    // NBS2019 is not stored here: the bundled editions are not served
    let (status, _) = server.json("/api/v1/changes?from=NBS2019&to=NBS2021");
    assert_eq!(status, 400);

    let q = "/api/v1/changes?from=NBS2020&to=NBS2021";
    let (status, j) = server.json(q);
    assert_eq!(status, 200);
    let c = &j["counts"];
    let total: u64 = ["added", "removed", "renamed", "moved", "recoded"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum();
    assert!(total > 100, "{c}");

    let r = reqwest::blocking::get(format!("{}{q}&format=csv", server.base)).unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = r.text().unwrap();
    let mut rdr = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().take(9).collect::<Vec<_>>(),
        [
            "kind",
            "level",
            "name",
            "from_code",
            "to_code",
            "from_parent",
            "to_parent",
            "event",
            "date"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, total);
    let moved = rows
        .iter()
        .find(|r| &r[2] == "长庆街道")
        .expect("长庆街道 moved");
    assert_eq!(
        (&moved[0], &moved[3], &moved[4], &moved[7]),
        ("moved", "330103001000", "330105014000", "moved")
    );

    let r = reqwest::blocking::get(format!("{}{q}&level=township&format=geojson", server.base))
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let g: serde_json::Value = r.json().unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().unwrap();
    assert_eq!(
        features.len() as u64,
        j["by_level"]["township"]
            .as_object()
            .map(|c| ["added", "removed", "renamed", "moved", "recoded"]
                .iter()
                .map(|k| c[*k].as_u64().unwrap())
                .sum::<u64>())
            .unwrap()
    );
    let mut sources = std::collections::BTreeSet::new();
    for f in features {
        let src = f["properties"]["geometry_source"]
            .as_str()
            .expect("geometry_source");
        assert!(
            ["current", "reconstructed", "unknown"].contains(&src),
            "{src}"
        );
        assert_eq!(f["geometry"].is_null(), src == "unknown", "{f}");
        sources.insert(src.to_owned());
    }
    assert!(sources.contains("current"), "{sources:?}");

    let (status, err) = server.json(&format!("{q}&format=xlsx"));
    assert_eq!(status, 400);
    assert_eq!(err["error"]["param"], "format", "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_db_reads_the_history_stored_there_else_says_it_serves_the_bundled_one() {
    let db = TestDb::create().await;
    let url = db.url.clone();
    let all = editions();
    let answers = tokio::task::spawn_blocking(move || {
        db_push(&url);
        let mut server = Server::start(&["--db", &url], &[]);
        let (_, bundled) = server.json("/api/v1/editions");
        server.terminate(std::time::Duration::from_secs(20));
        for (id, day, file) in &all[2..4] {
            import_ok(file, id, day, &["--db", &url]);
        }
        let server = Server::start(&["--db", &url], &[]);
        let (_, stored) = server.json("/api/v1/editions");
        let (status, changes) =
            server.json("/api/v1/changes?from=NBS2021&to=NBS2022&level=district");
        assert_eq!(status, 200, "{changes}");
        (bundled, stored)
    })
    .await
    .unwrap();
    let (bundled, stored) = answers;
    assert_eq!(bundled["editions"].as_array().unwrap().len(), 5);
    assert!(
        bundled["source"]
            .as_str()
            .unwrap()
            .contains("no edition is stored"),
        "{bundled}"
    );
    let ids: Vec<&str> = stored["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["NBS2021", "NBS2022"]);
    assert!(
        stored["source"]
            .as_str()
            .unwrap()
            .starts_with("stored editions"),
        "{stored}"
    );
}

/// `civmap history confirm ID --choice CHOICE --db URL`: (success, stderr).
fn confirm(id: i64, choice: &str, url: &str) -> (bool, String) {
    let id = id.to_string();
    let o = civmap(&["history", "confirm", &id, "--choice", choice, "--db", url]);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn confirmed_decisions_rebuild_the_postgis_history_and_one_that_cannot_apply_changes_nothing()
{
    let db = TestDb::create().await;
    for (id, day, file) in editions() {
        import_ok(&file, id, day, &["--db", &db.url]);
    }
    let store = AccountStore::connect_pg(&db.url).await.unwrap();
    let h = store.history();
    let open = h.ambiguities(true).await.unwrap();
    let (plain, _) = bundled();

    // a unit that ended without successor merged into the unit created beside it
    let ended = open
        .iter()
        .find(|a| {
            a.ambiguity.kind == AmbiguityKind::EndedWithoutSuccessor
                && !a.ambiguity.candidates.is_empty()
        })
        .expect("a real ended case with a candidate");
    let chosen = ended.ambiguity.candidates[0].as_str();
    let (ok, err) = confirm(ended.id, chosen, &db.url);
    assert!(ok && err.contains("rebuilt"), "{err}");
    assert_eq!(h.ambiguities(true).await.unwrap().len(), open.len() - 1);
    let decisions: Decisions = [(
        CaseKey::of(&ended.ambiguity),
        Choice::Candidate(ended.ambiguity.candidates[0].clone()),
    )]
    .into_iter()
    .collect();
    let (expected, _) =
        History::build_with_decisions(civmap_data::hangzhou::editions().unwrap(), &decisions)
            .unwrap();
    assert_eq!(h.units().await.unwrap(), expected.units());
    let links = h.successions().await.unwrap();
    assert_eq!(links, successions_of(&expected));
    assert_eq!(links.len(), successions_of(&plain).len() + 1);
    let day = expected.edition(&ended.ambiguity.edition).unwrap().date();
    let merged = links
        .iter()
        .find(|s| {
            s.date == day
                && expected
                    .unit(UnitId(s.to_unit))
                    .unwrap()
                    .version_on(day)
                    .unwrap()
                    .code
                    .as_str()
                    == chosen
        })
        .expect("the link to the chosen unit");
    assert_eq!(merged.event, EventKind::Merged);

    // continuing a vanished unit whose end was confirmed as recorded is refused
    let moved = open
        .iter()
        .find(|a| {
            a.ambiguity.kind == AmbiguityKind::SameNameElsewhere
                && open.iter().any(|b| {
                    b.ambiguity.kind == AmbiguityKind::EndedWithoutSuccessor
                        && b.ambiguity.edition == a.ambiguity.edition
                        && b.ambiguity.code == a.ambiguity.candidates[0]
                })
        })
        .expect("a real case of the same name elsewhere whose namesake ended");
    let namesake = open
        .iter()
        .find(|b| {
            b.ambiguity.kind == AmbiguityKind::EndedWithoutSuccessor
                && b.ambiguity.edition == moved.ambiguity.edition
                && b.ambiguity.code == moved.ambiguity.candidates[0]
        })
        .unwrap();
    let (ok, err) = confirm(namesake.id, "as-recorded", &db.url);
    assert!(ok, "{err}");
    let before = (
        h.units().await.unwrap(),
        h.successions().await.unwrap(),
        h.ambiguities(false).await.unwrap(),
        counts(&db.url).await,
    );
    let (ok, err) = confirm(moved.id, moved.ambiguity.candidates[0].as_str(), &db.url);
    assert!(!ok, "accepted: {err}");
    assert!(
        err.contains(&format!("ambiguity {}", namesake.id)) && err.contains("no longer lists"),
        "{err}"
    );
    let after = (
        h.units().await.unwrap(),
        h.successions().await.unwrap(),
        h.ambiguities(false).await.unwrap(),
        counts(&db.url).await,
    );
    assert_eq!(after, before);
    let audit = db
        .client()
        .await
        .query(
            "SELECT count(*) FROM civmap.audit WHERE action = 'history.confirm'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(audit[0].get::<_, i64>(0), 2, "only the accepted decisions");
}
