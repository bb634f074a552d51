//! The coverage routes and `civmap coverage report` against the real binary serving the
//! default city: totals are the sums of their units, the relations that must hold between
//! modes and profiles hold, a scenario changes only itself, and the CLI's CSV is the HTTP
//! answer.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{bin, Server};
use serde_json::{json, Value};

/// A planner's token on `server`: the user is added with `civmap user add` to the server's
/// state directory, then signs in over HTTP.
fn planner_token(server: &Server) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(bin())
        .args([
            "user",
            "add",
            "planner-api",
            "--role",
            "planner",
            "--password-stdin",
            "--state",
        ])
        .arg(server.state.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("civmap user add");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"planner api password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/auth/token", server.base))
        .json(&json!({"name": "planner-api", "password": "planner api password"}))
        .send()
        .expect("login");
    let v: Value = r.json().unwrap();
    v["token"].as_str().expect("a token").to_owned()
}

fn post(server: &Server, token: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}{path}", server.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .expect("request");
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

/// GET, retrying while the engine warms up (503 `warming_up`), as a client should.
fn json_ready(server: &Server, path: &str) -> (u16, Value) {
    let t = Instant::now();
    loop {
        let (s, v) = server.json(path);
        if s != 503 || t.elapsed().as_secs() > 180 {
            return (s, v);
        }
        assert_eq!(v["error"]["code"], "warming_up", "{v}");
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[test]
fn coverage_totals_modes_scenarios_and_the_cli_agree() {
    let cache = tempfile::tempdir().unwrap();
    let server = Server::start(&[], &[("CIVMAP_CACHE_DIR", cache.path())]);
    let token = planner_token(&server);
    let t = Instant::now();
    let q = "/api/v1/coverage?category=elder_canteen&minutes=15&level=township";
    let (s, walk) = json_ready(&server, q);
    assert_eq!(s, 200, "{walk}");
    let first_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (_, again) = server.json(q);
    eprintln!(
        "first coverage answer {first_s:.2} s after ready (engine build included), cached {:.3} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(again, walk);
    let units = walk["units"].as_array().unwrap();
    assert_eq!(units.len(), 196);
    for k in [
        "population",
        "covered_population",
        "elderly",
        "covered_elderly",
    ] {
        let sum: u64 = units.iter().map(|x| u(x, k)).sum();
        assert_eq!(sum, u(&walk["total"], k), "{k}: townships sum to the total");
    }
    let total = &walk["total"];
    assert!(u(total, "covered_elderly") > 0 && u(total, "covered_elderly") < u(total, "elderly"));

    // a walk is never shorter than the straight line; the elderly pace reaches less
    let (_, straight) = server.json(&format!("{q}&mode=straight"));
    let (_, elderly) = server.json(&format!("{q}&profile=elderly"));
    assert!(u(&straight["total"], "covered_population") >= u(total, "covered_population"));
    assert!(u(&elderly["total"], "covered_population") <= u(total, "covered_population"));
    for (w, st) in units.iter().zip(straight["units"].as_array().unwrap()) {
        assert_eq!(w["code"], st["code"]);
        assert!(
            u(st, "covered_population") >= u(w, "covered_population"),
            "{w} {st}"
        );
    }

    // a scenario adding canteens in the largest gap covers more, and only in itself
    let (s, gaps) = server.json("/api/v1/coverage/gaps?category=elder_canteen&minutes=15&limit=3");
    assert_eq!(s, 200, "{gaps}");
    let add: Vec<Value> = gaps["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            // gaps are MultiPolygons: the first polygon's exterior ring
            assert_eq!(g["geometry"]["type"], "MultiPolygon", "{g}");
            let ring = &g["geometry"]["coordinates"][0][0];
            let n = ring.as_array().unwrap().len() as f64;
            let (x, y) = ring.as_array().unwrap().iter().fold((0.0, 0.0), |a, c| {
                (
                    a.0 + c[0].as_f64().unwrap() / n,
                    a.1 + c[1].as_f64().unwrap() / n,
                )
            });
            json!({"category": "elder_canteen", "lon": x, "lat": y})
        })
        .collect();
    let t = Instant::now();
    let (s, sc) = post(&server, &token, "/api/v1/scenarios", &json!({ "add": add }));
    assert_eq!(s, 201, "{sc}");
    let id = sc["id"].as_str().unwrap();
    let with: Value = reqwest::blocking::Client::new()
        .get(format!("{}{q}&scenario={id}", server.base))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    eprintln!(
        "scenario POST + coverage {:.3} s",
        t.elapsed().as_secs_f64()
    );
    assert!(u(&with["total"], "covered_elderly") >= u(total, "covered_elderly"));
    assert!(u(&with["total"], "covered_population") > u(total, "covered_population"));
    assert_eq!(server.json(q).1, walk, "the base is untouched");

    // the CLI's CSV is the HTTP answer
    let out = Command::new(bin())
        .args([
            "coverage",
            "report",
            "--category",
            "elder_canteen",
            "--minutes",
            "15",
            "--level",
            "township",
            "--format",
            "csv",
        ])
        .env("CIVMAP_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // the same bytes as the HTTP export: BOM, then a table whose numbers are the JSON's
    let http = reqwest::blocking::Client::new()
        .get(format!("{}{q}&format=csv", server.base))
        .bearer_auth(&token)
        .send()
        .expect("request")
        .bytes()
        .unwrap();
    assert!(
        out.stdout == http.to_vec(),
        "CLI CSV differs from the HTTP CSV:\n{}\n---\n{}",
        String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(400)]),
        String::from_utf8_lossy(&http[..http.len().min(400)])
    );
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
    let mut r = csv::Reader::from_reader(&out.stdout[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    for k in [
        "district_code",
        "district_name",
        "township_code",
        "township_name",
    ] {
        assert!(header.iter().any(|h| h == k), "{k} in {header:?}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), units.len());
    for (row, unit) in rows.iter().zip(units) {
        assert_eq!(
            &row[header.iter().position(|h| h == "township_code").unwrap()],
            unit["code"].as_str().unwrap()
        );
        assert!(!row[header.iter().position(|h| h == "district_name").unwrap()].is_empty());
        for (k, cell) in header.iter().zip(row.iter()) {
            match &unit[k.as_str()] {
                Value::String(s) => assert_eq!(cell, s, "{k}"),
                Value::Number(n) if n.is_u64() => {
                    assert_eq!(cell.parse::<u64>().unwrap(), n.as_u64().unwrap(), "{k}")
                }
                Value::Number(n) => assert!(
                    (cell.parse::<f64>().unwrap() - n.as_f64().unwrap()).abs() < 1e-12,
                    "{k}"
                ),
                Value::Null => {} // chain and parameter columns are not unit fields
                other => panic!("{k}: {other}"),
            }
        }
    }
    // bad usage exits 2
    let bad = Command::new(bin())
        .args(["coverage", "report", "--category", "canteen"])
        .env("CIVMAP_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("elder_canteen"));
}
