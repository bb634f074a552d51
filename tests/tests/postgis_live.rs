//! `civmap serve --db`: edits made with SQL in PostGIS reach the running server within a
//! second; when the database stops, the server keeps answering, `/health` says `degraded`,
//! and it recovers when the database returns.

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

fn nearest_ids(server: &Server, lon: f64, lat: f64, k: u32) -> Vec<String> {
    let (s, v) = server.json(&format!(
        "/api/v1/facilities/nearest?lon={lon}&lat={lat}&k={k}&category=elder_canteen"
    ));
    assert_eq!(s, 200, "{v}");
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect()
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

fn sql(url: &str, statement: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client.batch_execute(statement).await.unwrap();
    });
}

fn health(server: &Server) -> Value {
    server.json("/health").1
}

#[test]
fn an_sql_edit_of_a_facility_changes_nearest_within_a_second() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    let url = db.url.clone();
    push(&url);
    // the push wrote its audit row in its own transaction
    let audited = rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        c.query_one(
            "SELECT count(*), min(who), min((after->'counts'->>'facilities')::int8) FROM civmap.audit WHERE action = 'db.push'",
            &[],
        )
        .await
        .unwrap()
    });
    let (n, who, counted): (i64, String, i64) = (audited.get(0), audited.get(1), audited.get(2));
    assert_eq!(n, 1);
    assert!(who.starts_with("cli:"), "{who}");
    let server = Server::start(&["--db", &url], &[]);
    assert_eq!(health(&server)["store"], "postgis");
    let facilities = health(&server)["data"]["facilities"].as_u64().unwrap();
    assert_eq!(counted as u64, facilities);
    let (lon, lat) = (119.5, 29.9);
    let before = nearest_ids(&server, lon, lat, 1);
    // move another canteen onto the query point
    let mover = "elder_canteen-00010";
    assert_ne!(before[0], mover);
    sql(&url, &format!("UPDATE civmap.facilities SET geom = ST_SetSRID(ST_MakePoint({lon} + 0.00001, {lat}), 4326) WHERE id = '{mover}'"));
    let took = until(
        Duration::from_secs(1),
        "the moved facility is nearest",
        || nearest_ids(&server, lon, lat, 1)[0] == mover,
    );
    eprintln!("UPDATE reached nearest in {took:?}");
    // a new facility inserted right on the point wins; deleting it and the mover restores the old answer
    sql(&url, &format!(
        "INSERT INTO civmap.facilities (id, name, category, geom) VALUES ('qgis-1', '新食堂', 'elder_canteen', ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326))"
    ));
    until(
        Duration::from_secs(1),
        "the inserted facility is nearest",
        || nearest_ids(&server, lon, lat, 1)[0] == "qgis-1",
    );
    sql(
        &url,
        &format!("DELETE FROM civmap.facilities WHERE id IN ('qgis-1', '{mover}')"),
    );
    until(Duration::from_secs(1), "deletions are seen", || {
        nearest_ids(&server, lon, lat, 1) == before
    });
    // one inserted and deleted, one of the city's deleted
    assert_eq!(health(&server)["data"]["facilities"], facilities - 1);
    drop(server);
    drop(db);
}

#[test]
fn when_the_database_stops_health_is_degraded_queries_answer_and_it_recovers() {
    let mut cluster = pg::DedicatedCluster::start();
    push(&cluster.url);
    let server = Server::start(&["--db", &cluster.url], &[]);
    let (lon, lat) = (120.16, 30.27);
    let before = nearest_ids(&server, lon, lat, 3);
    cluster.pause();
    until(Duration::from_secs(20), "health says degraded", || {
        health(&server)["status"] == "degraded"
    });
    assert_eq!(
        nearest_ids(&server, lon, lat, 3),
        before,
        "queries still answer from memory"
    );
    assert_eq!(server.json("/api/v1/admin?level=district").0, 200);
    cluster.resume();
    until(Duration::from_secs(20), "health is ok again", || {
        health(&server)["status"] == "ok"
    });
    // and it follows edits again
    sql(&cluster.url, &format!(
        "INSERT INTO civmap.facilities (id, name, category, geom) VALUES ('after-outage', '恢复后', 'elder_canteen', ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326))"
    ));
    until(
        Duration::from_secs(1),
        "edits after recovery are followed",
        || nearest_ids(&server, lon, lat, 1)[0] == "after-outage",
    );
}
