//! Stateless replicas on streaming replication: three `civmap serve --db STANDBY
//! --notify-db PRIMARY` follow edits made on the primary, never before the standby has
//! replayed them; keep answering reads when the primary stops (degraded, writes 503); and
//! after the standby is promoted and the replicas are pointed at it, writes work and
//! nothing is lost. A real primary and a real `pg_basebackup` standby
//! (`scripts/pg-replica.sh`), every wait bounded.

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

fn login(server: &Server) -> u16 {
    reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"name": "ops.planner", "password": PASSWORD}))
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn replicas(db: &str, notify: Option<&str>) -> Vec<Server> {
    let mut args = vec!["--db", db];
    if let Some(n) = notify {
        args.extend(["--notify-db", n]);
    }
    (0..3).map(|_| Server::start(&args, &[])).collect()
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
    let servers = replicas(&standby, Some(&primary));
    let before = nearest(&servers[0]);
    for s in &servers {
        assert_eq!(nearest(s), before);
        assert_eq!(login(s), 200, "writes go to the primary");
    }

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

    // promote the standby, point the replicas at it: writes work, nothing lost
    pair.run("promote");
    drop(servers);
    let servers = replicas(&standby, None);
    for s in &servers {
        assert_eq!(
            nearest(s),
            "kept-1",
            "the edit made before the failover is there"
        );
        assert_eq!(login(s), 200, "the user made on the old primary signs in");
    }
    sql(
        &standby,
        "DELETE FROM civmap.facilities WHERE id = 'kept-1'",
    );
    until(
        Duration::from_secs(1),
        "all three follow the new primary",
        || servers.iter().all(|s| nearest(s) == before),
    );
}
