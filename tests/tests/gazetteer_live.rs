//! `civmap serve --db`: place names edited with SQL in PostGIS reach `/api/v1/search` while
//! the server runs. A facility inserted, renamed and deleted, a doorplate on a new road and a
//! renamed street office are found by their new names (Chinese and pinyin) and no longer by
//! the old ones, within a bounded wait.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::time::{Duration, Instant};

use common::{civmap, Server};
use serde_json::Value;

fn push(url: &str) {
    let o = civmap(&["db", "push", "--url", url]);
    assert!(
        o.status.success(),
        "db push failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn sql(url: &str, statement: &str) {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client.batch_execute(statement).await.unwrap();
    });
}

/// The first column of the first row of a query, as text.
fn sql_text(url: &str, query: &str) -> String {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client.query_one(query, &[]).await.unwrap().get(0)
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// (name, kind, code) of the hits of `q`.
fn search(server: &Server, q: &str) -> Vec<(String, String, Option<String>)> {
    let (s, v) = server.json(&format!("/api/v1/search?q={}&limit=20", percent_encode(q)));
    assert_eq!(s, 200, "{q}: {v}");
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["name"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap().to_owned(),
                p["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn finds(server: &Server, q: &str, name: &str, kind: &str) -> bool {
    search(server, q)
        .iter()
        .any(|(n, k, _)| n == name && k == kind)
}

fn top_is(server: &Server, q: &str, name: &str, kind: &str) -> bool {
    search(server, q)
        .first()
        .is_some_and(|(n, k, _)| n == name && k == kind)
}

/// Polls until `check` holds; returns how long it took.
fn until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !check() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    t.elapsed()
}

#[test]
fn facility_doorplate_and_admin_edits_in_postgis_reach_search() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    let url = db.url.clone();
    push(&url);
    let server = Server::start(&["--db", &url], &[]);
    let within = Duration::from_secs(2);

    // a canteen whose name no other facility has
    let id = sql_text(
        &url,
        "SELECT id FROM civmap.facilities f WHERE category = 'elder_canteen' AND \
         (SELECT count(*) FROM civmap.facilities g WHERE g.name = f.name) = 1 ORDER BY id LIMIT 1",
    );
    let old = sql_text(
        &url,
        &format!("SELECT name FROM civmap.facilities WHERE id = '{id}'"),
    );
    assert!(finds(&server, &old, &old, "facility"), "{old} before");
    let new = "鹊桥测试老年食堂";
    assert!(!finds(&server, new, new, "facility"));

    // rename: the new name is found (Chinese and pinyin), the old one is not
    sql(
        &url,
        &format!("UPDATE civmap.facilities SET name = '{new}' WHERE id = '{id}'"),
    );
    let took = until(
        within,
        "the renamed facility is found by its new name",
        || top_is(&server, new, new, "facility"),
    );
    eprintln!("a renamed facility was findable {took:?} after the UPDATE");
    assert!(top_is(
        &server,
        "queqiaoceshilaonianshitang",
        new,
        "facility"
    ));
    assert!(
        !finds(&server, &old, &old, "facility"),
        "{old} is still found after the rename"
    );

    // insert, then delete
    let inserted = "鹊桥新建助餐点";
    sql(&url, &format!(
        "INSERT INTO civmap.facilities (id, name, category, geom) VALUES ('gaz-live-1', '{inserted}', 'elder_canteen', ST_SetSRID(ST_MakePoint(120.16, 30.27), 4326))"
    ));
    until(within, "the inserted facility is found", || {
        top_is(&server, inserted, inserted, "facility")
    });
    sql(
        &url,
        &format!("DELETE FROM civmap.facilities WHERE id IN ('gaz-live-1', '{id}')"),
    );
    until(within, "deleted facilities are not found", || {
        !finds(&server, inserted, inserted, "facility") && !finds(&server, new, new, "facility")
    });

    // a doorplate on a road that did not exist: the road and the house number are found
    sql(&url, "INSERT INTO civmap.doorplates (id, road, number, residents, elderly, geom) VALUES (990000001, '鹊桥测试路', 7, 3, 1, ST_SetSRID(ST_MakePoint(120.17, 30.28), 4326))");
    until(within, "the new doorplate is found", || {
        top_is(&server, "鹊桥测试路七号", "鹊桥测试路7号", "doorplate")
    });
    assert!(finds(&server, "鹊桥测试路", "鹊桥测试路", "road"));
    sql(&url, "DELETE FROM civmap.doorplates WHERE id = 990000001");
    until(within, "the deleted doorplate is not found", || {
        !finds(&server, "鹊桥测试路七号", "鹊桥测试路7号", "doorplate")
    });

    // a street office renamed: the gazetteer is rebuilt in the background (labels below
    // it change too); a debug build on a shared machine takes several seconds
    let code = "330106002000"; // 北山街道
    let before = search(&server, "北山街道");
    assert_eq!(before[0].2.as_deref(), Some(code), "{before:?}");
    sql(
        &url,
        &format!("UPDATE civmap.admin_units SET name = '鹊桥街道' WHERE code = '{code}'"),
    );
    let took = until(
        Duration::from_secs(90),
        "the renamed street office is found",
        || {
            search(&server, "鹊桥街道")
                .first()
                .is_some_and(|h| h.0 == "鹊桥街道" && h.2.as_deref() == Some(code))
        },
    );
    eprintln!("a renamed street office was findable {took:?} after the UPDATE (rebuild)");
    assert!(
        !search(&server, "北山街道")
            .iter()
            .any(|h| h.2.as_deref() == Some(code)),
        "the old name still finds {code}"
    );
    // edits made while it rebuilt are kept: a facility inserted now is found too
    sql(&url, "INSERT INTO civmap.facilities (id, name, category, geom) VALUES ('gaz-live-2', '鹊桥第二食堂', 'elder_canteen', ST_SetSRID(ST_MakePoint(120.16, 30.27), 4326))");
    until(
        within,
        "a facility inserted after the rebuild is found",
        || top_is(&server, "鹊桥第二食堂", "鹊桥第二食堂", "facility"),
    );
    let (_, health): (u16, Value) = server.json("/health");
    assert_eq!(health["status"], "ok", "{health}");
    drop(server);
    drop(db);
}
