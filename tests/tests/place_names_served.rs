//! Approved renames stay with `civmap serve --db` (issue 16): an approval writes the new
//! name into `civmap.admin_units` / `civmap.facilities` in the same transaction as the name
//! records, the announcement and the audit row, so a second server started on the same
//! database serves the new names and answers the old ones as former names with the day of
//! the approval, and a replica already running picks the old names up from the approval's
//! notification (`{"op":"names"}`); an approval whose data write fails (a trigger refuses it) leaves names,
//! announcement, application and data all as they were. The real binary on a real PostGIS
//! with the default city pushed into it.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::io::Write;
use std::process::{Command, Stdio};

use civmap_data::postgis::PgStore;
use civmap_geo_core::history::Date;
use civmap_geo_core::names::{date_of_day_number, day_number};
use common::{bin, db_push, Server};
use serde_json::{json, Value};

const PASSWORD: &str = "names admin password";
const UNIT: &str = "330105014000";

fn day_from_today(days: i64) -> String {
    let today = Date::parse(&civmap_data::register::today_in_china()).unwrap();
    date_of_day_number(day_number(today) + days)
        .unwrap()
        .to_string()
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn add_admin(url: &str) {
    let mut child = Command::new(bin())
        .args([
            "user",
            "add",
            "names.admin",
            "--role",
            "admin",
            "--password-stdin",
            "--db",
            url,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

struct Api<'a> {
    server: &'a Server,
    token: String,
}

impl<'a> Api<'a> {
    fn login(server: &'a Server) -> Self {
        let v: Value = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/auth/token", server.base))
            .json(&json!({"name": "names.admin", "password": PASSWORD}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        Api {
            server,
            token: v["token"].as_str().unwrap().to_owned(),
        }
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = reqwest::blocking::Client::new()
            .post(format!("{}{path}", self.server.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }

    /// An application for `place` → `new`, reviewed, its notice over; returns its path.
    fn ready(&self, place: &str, new: &str) -> String {
        let body = json!({"place": place, "proposed_name": new, "reason": "r",
            "submitted": day_from_today(-60)});
        let (s, a) = self.post("/api/v1/names/applications", body);
        assert_eq!(s, 201, "{place}: {a}");
        let at = format!("/api/v1/names/applications/{}", a["id"]);
        let (s, v) = self.post(
            &format!("{at}/reviews"),
            json!({"verdict": "support", "comment": "fine"}),
        );
        assert_eq!(s, 200, "{v}");
        let notice = json!({"from": day_from_today(-45), "days": 30});
        let (s, v) = self.post(&format!("{at}/notice"), notice);
        assert_eq!(s, 200, "{v}");
        at
    }

    fn approve(&self, at: &str) -> (u16, Value) {
        let body = json!({"unit": "杭州市民政局", "approval_ref": "杭政函〔2026〕8号"});
        self.post(&format!("{at}/approve"), body)
    }
}

/// The first search hit of `kind` for `q`.
fn hit(server: &Server, q: &str, kind: &str) -> Value {
    let (s, v) = server.json(&format!("/api/v1/search?q={}&limit=20", enc(q)));
    assert_eq!(s, 200, "{v}");
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"].clone())
        .find(|h| h["kind"] == kind)
        .unwrap_or_else(|| panic!("{q}: no {kind} in {v}"))
}

/// Polls `server`'s search for `old` until it answers the place now called `new` with
/// `match.kind = "former_name"`; panics after 10 s. Returns how long it took.
fn until_former(server: &Server, old: &str, new: &str, kind: &str) -> std::time::Duration {
    let start = std::time::Instant::now();
    loop {
        let (_, v) = server.json(&format!("/api/v1/search?q={}&limit=20", enc(old)));
        let found = v["features"].as_array().into_iter().flatten().any(|f| {
            let h = &f["properties"];
            h["kind"] == kind && h["name"] == new && h["match"]["kind"] == "former_name"
        });
        if found {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{old}: the other server does not answer it as a former name of {new}: {v}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

async fn one(c: &tokio_postgres::Client, q: &str) -> String {
    c.query_one(q, &[])
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .get(0)
}

#[test]
fn approved_renames_are_written_into_postgis_and_served_after_a_restart() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    db_push(&db.url);
    add_admin(&db.url);
    let c = rt.block_on(db.client());
    let city = rt.block_on(async {
        PgStore::connect(&db.url)
            .await
            .unwrap()
            .load()
            .await
            .unwrap()
    });
    let unit = city
        .admin
        .iter()
        .find(|u| u.code.as_str() == UNIT)
        .unwrap()
        .name
        .clone();
    let f = city.facilities[0].clone();
    let (new_unit, new_f) = ("长庆新街道".to_owned(), format!("{}新址", f.name));
    let (second, third) = (city.facilities[1].clone(), "长庆三街道");

    let day = {
        let server = Server::start(&["--db", &db.url], &[]);
        // another replica, running while the names are approved on the first
        let replica = Server::start(&["--db", &db.url], &[]);
        let api = Api::login(&server);
        let a = api.ready(&format!("unit/{UNIT}"), &new_unit);
        let b = api.ready(&format!("facility/{}", f.id), &new_f);
        for at in [&a, &b] {
            let (s, v) = api.approve(at);
            assert_eq!(s, 200, "{v}");
        }
        // it follows: the new names at once, the old ones as former names
        for (old, new, kind) in [
            (unit.as_str(), new_unit.as_str(), "admin"),
            (f.name.as_str(), new_f.as_str(), "facility"),
        ] {
            let took = until_former(&replica, old, new, kind);
            eprintln!("the other replica answers {old} as a former name after {took:?}");
        }
        drop(replica);
        let day = day_from_today(0);
        // the data tables carry the new names
        let q = |table: &str, key: &str, id: &str| {
            format!("SELECT name FROM civmap.{table} WHERE {key} = '{id}'")
        };
        assert_eq!(
            rt.block_on(one(&c, &q("admin_units", "code", UNIT))),
            new_unit
        );
        assert_eq!(rt.block_on(one(&c, &q("facilities", "id", &f.id))), new_f);

        // a failed approval: the data write is refused by a trigger → nothing written
        rt.block_on(c.batch_execute(&format!(
            "CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
             CREATE TRIGGER refuse_one BEFORE UPDATE ON civmap.admin_units FOR EACH ROW
             WHEN (OLD.code = '{UNIT}') EXECUTE FUNCTION refuse_for_test();"
        )))
        .unwrap();
        let counts = || {
            rt.block_on(one(
                &c,
                "SELECT (SELECT count(*) FROM civmap.name_records)::text || '/' ||
                        (SELECT count(*) FROM civmap.announcements)::text || '/' ||
                        (SELECT count(*) FROM civmap.audit)::text",
            ))
        };
        let at = api.ready(&format!("unit/{UNIT}"), third);
        let before = counts();
        let (s, v) = api.approve(&at);
        assert!(s >= 500, "{s}: {v}");
        assert_eq!(counts(), before, "no name, announcement or audit row");
        assert_eq!(
            rt.block_on(one(&c, &q("admin_units", "code", UNIT))),
            new_unit
        );
        let id = at.rsplit('/').next().unwrap();
        assert_eq!(
            rt.block_on(one(
                &c,
                &format!("SELECT status FROM civmap.name_applications WHERE id = {id}")
            )),
            "notice"
        );
        assert_eq!(hit(&server, third, "admin")["name"], new_unit.as_str());
        rt.block_on(c.batch_execute(
            "DROP TRIGGER refuse_one ON civmap.admin_units; DROP FUNCTION refuse_for_test()",
        ))
        .unwrap();
        // a facility gone from the table since its application was made: 409, nothing written
        let at = api.ready(
            &format!("facility/{}", second.id),
            &format!("{}新址", second.name),
        );
        rt.block_on(c.batch_execute(&format!(
            "DELETE FROM civmap.facilities WHERE id = '{}'",
            second.id
        )))
        .unwrap();
        let before = counts();
        let (s, v) = api.approve(&at);
        assert_eq!(s, 409, "{v}");
        assert!(v.to_string().contains("civmap.facilities"), "{v}");
        assert_eq!(counts(), before, "no name, announcement or audit row");
        day
    };

    // a fresh server on the same database: new names served, old ones answer former
    let server = Server::start(&["--db", &db.url], &[]);
    let (_, v) = server.json(&format!("/api/v1/admin/{UNIT}"));
    assert!(v.to_string().contains(&new_unit), "{v}");
    for (old, new, kind) in [
        (unit.as_str(), new_unit.as_str(), "admin"),
        (f.name.as_str(), new_f.as_str(), "facility"),
    ] {
        let h = hit(&server, new, kind);
        assert_eq!(
            (h["name"].as_str(), h["match"]["kind"].as_str()),
            (Some(new), Some("exact")),
            "{h}"
        );
        let h = hit(&server, old, kind);
        assert_eq!(h["name"], new, "{old}: {h}");
        assert_eq!(h["match"]["kind"], "former_name", "{h}");
        assert_eq!(h["match"]["former"]["date"], day.as_str(), "{h}");
        let event = h["match"]["former"]["event"].as_str().unwrap();
        assert!(
            event.starts_with(&format!("renamed to {new} on {day}")),
            "{event}"
        );
    }
    // the facility the follower no longer has cannot be applied for
    let api = Api::login(&server);
    let (s, v) = api.post(
        "/api/v1/names/applications",
        json!({"place": format!("facility/{}", second.id), "proposed_name": "甲", "reason": "r"}),
    );
    assert_eq!(s, 404, "{v}");
}
