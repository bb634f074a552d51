//! Stateless replicas on streaming replication: three `civmap serve --db STANDBY
//! --notify-db PRIMARY,STANDBY?target_session_attrs=read-write` follow edits made on the
//! primary, never before the standby has replayed them; share the planners' scenarios
//! (made on one, used and deleted on the others); keep answering reads when the primary
//! stops (degraded, writes 503); and once the standby is promoted they find it by
//! themselves (no restart): writes work and nothing is lost. A real primary and a real
//! `pg_basebackup` standby (`scripts/pg-replica.sh`), every wait bounded.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, db_push as push, until, Server};
use pg::sql_rows as sql;
use serde_json::{json, Value};

const PASSWORD: &str = "replica-secret-1";
const CANTEEN_LON: f64 = 119.5;
const CANTEEN_LAT: f64 = 29.9;

fn add_user(primary: &str) {
    let mut child = Command::new(bin())
        .args([
            "user",
            "add",
            "ops.planner",
            "--role",
            "planner",
            "--password-stdin",
            "--db",
            primary,
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

fn nearest(server: &Server) -> String {
    let (s, v) = server.json(&format!(
        "/api/v1/facilities/nearest?lon={CANTEEN_LON}&lat={CANTEEN_LAT}&k=1&category=elder_canteen"
    ));
    assert_eq!(s, 200, "{v}");
    v["features"][0]["properties"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn login_answer(server: &Server) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"name": "ops.planner", "password": PASSWORD}))
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn login(server: &Server) -> u16 {
    login_answer(server).0
}

fn token(server: &Server) -> String {
    let (status, v) = login_answer(server);
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().expect("a token").to_owned()
}

/// `(status, body)` of a planner's request.
fn planner(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::blocking::Client::new();
    let url = format!("{}{path}", server.base);
    let mut req = match method {
        "POST" => client.post(url),
        "DELETE" => client.delete(url),
        _ => client.get(url),
    };
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req
        .bearer_auth(token(server))
        .timeout(Duration::from_secs(60))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

/// The libpq-style URL naming both servers that connects to whichever accepts writes:
/// the primary, and after a failover the promoted standby.
fn writable(primary: &str, standby: &str) -> String {
    let host = |u: &str| {
        u.split('@')
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let (user, db) = (
        primary.split('@').next().unwrap(),
        primary.rsplit('/').next().unwrap(),
    );
    format!(
        "{user}@{},{}/{db}?target_session_attrs=read-write",
        host(primary),
        host(standby)
    )
}

fn replicas(db: &str, notify: &str) -> Vec<Server> {
    let args = ["--db", db, "--notify-db", notify];
    (0..3).map(|_| Server::start(&args, &[])).collect()
}

/// One replica makes a scenario, the other two use it, a third deletes it: every
/// replica answers for every scenario, and one deleted anywhere is gone everywhere.
fn scenarios_are_shared(servers: &[Server]) -> String {
    let add =
        json!({"add": [{"lon": CANTEEN_LON, "lat": CANTEEN_LAT, "category": "elder_canteen"}]});
    let (status, made) = planner(&servers[0], "POST", "/api/v1/scenarios", Some(add));
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    for s in &servers[1..] {
        let (status, got) = planner(s, "GET", &format!("/api/v1/scenarios/{id}"), None);
        assert_eq!((status, &got["add"]), (200, &made["add"]), "{got}");
        let (status, cov) = planner(
            s,
            "GET",
            &format!("/api/v1/indicators?level=city&scenario={id}"),
            None,
        );
        assert_eq!(
            status, 200,
            "indicators with a scenario made elsewhere: {cov}"
        );
    }
    let (status, gone) = planner(
        &servers[2],
        "DELETE",
        &format!("/api/v1/scenarios/{id}"),
        None,
    );
    assert_eq!(status, 204, "{gone}");
    for s in servers {
        let (status, v) = planner(s, "GET", &format!("/api/v1/scenarios/{id}"), None);
        assert_eq!(status, 404, "deleted on another replica: {v}");
    }
    // one that stays, to be found after the failover
    let close = json!({"close": [nearest(&servers[0])]});
    let (status, kept) = planner(&servers[1], "POST", "/api/v1/scenarios", Some(close));
    assert_eq!(status, 201, "{kept}");
    kept["id"].as_str().unwrap().to_owned()
}

fn insert_canteen(url: &str, id: &str) {
    sql(url, &format!(
        "INSERT INTO civmap.facilities (id, name, category, geom) VALUES ('{id}', '副本食堂', 'elder_canteen', ST_SetSRID(ST_MakePoint({CANTEEN_LON}, {CANTEEN_LAT}), 4326))"
    ));
}

fn standby_has(standby: &str, id: &str) -> bool {
    let rows = sql(
        standby,
        &format!("SELECT count(*) FROM civmap.facilities WHERE id = '{id}'"),
    );
    rows[0].get::<_, i64>(0) == 1
}

#[test]
fn replicas_follow_the_primary_through_the_standby_and_survive_its_loss_and_promotion() {
    let pair = pg::ReplicaPair::start();
    let (primary, standby) = (pair.primary_url.clone(), pair.standby_url.clone());
    push(&primary);
    add_user(&primary);
    let servers = replicas(&standby, &writable(&primary, &standby));
    let before = nearest(&servers[0]);
    for s in &servers {
        assert_eq!(nearest(s), before);
        assert_eq!(login(s), 200, "writes go to the primary");
    }
    let kept_scenario = scenarios_are_shared(&servers);

    // an edit the standby has not replayed yet is not served by anyone
    sql(&standby, "SELECT pg_wal_replay_pause()");
    insert_canteen(&primary, "replica-1");
    let held = Instant::now();
    while held.elapsed() < Duration::from_millis(1500) {
        assert!(!standby_has(&standby, "replica-1"), "replay is paused");
        for s in &servers {
            assert_eq!(nearest(s), before, "served before the standby had the row");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    sql(&standby, "SELECT pg_wal_replay_resume()");
    let took = until(Duration::from_secs(1), "all three serve the insert", || {
        servers.iter().all(|s| nearest(s) == "replica-1")
    });
    assert!(standby_has(&standby, "replica-1"));
    eprintln!("after replay resumed, all three replicas had the insert in {took:?}");

    // an ordinary edit: all three within a second
    sql(
        &primary,
        "DELETE FROM civmap.facilities WHERE id = 'replica-1'",
    );
    let took = until(Duration::from_secs(1), "all three serve the delete", || {
        servers.iter().all(|s| nearest(s) == before)
    });
    eprintln!("an edit on the primary reached all three replicas in {took:?}");
    insert_canteen(&primary, "kept-1");
    until(Duration::from_secs(1), "all three serve kept-1", || {
        servers.iter().all(|s| nearest(s) == "kept-1")
    });

    // the primary stops: reads answer from memory, readiness says degraded, writes 503
    pair.run("pause-primary");
    until(
        Duration::from_secs(20),
        "every /readyz says degraded",
        || {
            servers.iter().all(|s| {
                let (code, v): (u16, Value) = s.json("/readyz");
                code == 503 && v["status"] == "degraded"
            })
        },
    );
    for s in &servers {
        assert_eq!(nearest(s), "kept-1", "reads still answer");
        assert_eq!(login(s), 503, "a write with the primary away");
    }

    // promote the standby: the replicas find it by themselves (the write URL names both
    // servers and asks for the one that accepts writes); writes work, nothing is lost
    pair.run("promote");
    let took = until(
        Duration::from_secs(30),
        "every replica writes to the promoted standby",
        || servers.iter().all(|s| login(s) == 200),
    );
    eprintln!("after the promotion, all three replicas wrote again within {took:?}");
    until(
        Duration::from_secs(30),
        "every /readyz is ready again",
        || servers.iter().all(|s| s.json("/readyz").0 == 200),
    );
    for s in &servers {
        assert_eq!(
            nearest(s),
            "kept-1",
            "the edit made before the failover is there"
        );
        let path = format!("/api/v1/scenarios/{kept_scenario}");
        assert_eq!(
            planner(s, "GET", &path, None).0,
            200,
            "the scenario made before the failover"
        );
    }
    sql(
        &standby,
        "DELETE FROM civmap.facilities WHERE id = 'kept-1'",
    );
    let took = until(
        Duration::from_secs(30),
        "all three follow the new primary",
        || servers.iter().all(|s| nearest(s) == before),
    );
    eprintln!("the first edit on the promoted standby reached all three in {took:?}");
    insert_canteen(&standby, "after-1");
    let took = until(Duration::from_secs(1), "all three serve after-1", || {
        servers.iter().all(|s| nearest(s) == "after-1")
    });
    eprintln!("an edit on the promoted standby reached all three in {took:?}");
}
