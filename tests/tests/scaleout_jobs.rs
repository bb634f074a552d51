//! Batch jobs across processes: a coverage job cut into district partitions (each with a
//! halo as wide as the walking budget) and computed by three `civmap worker` processes —
//! one of them killed in the middle of a partition — gives exactly the rows of a single
//! process over the whole city (`civmap coverage report`); and a validation job over a
//! damaged frame gives exactly the findings of one whole-city validator run. Real PostGIS,
//! every wait bounded.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::AdminLevel;
use common::{bin, civmap, db_push};
use pg::sql_rows;
use serde_json::Value;

const CATEGORIES: [&str; 2] = ["elder_canteen", "home_care_centre"];
const MINUTES: [&str; 2] = ["15", "20"];

fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn worker(url: &str, job: &str) -> Child {
    Command::new(bin())
        .args(["worker", "--db", url, "--job", job, "--lease-s", "3"])
        .env("RUST_LOG", "civmap=info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn civmap worker")
}

/// `(category, minutes, code)` → `[population, covered_population, elderly, covered_elderly]`.
type Rows = BTreeMap<(String, String, String), [u64; 4]>;

/// The single-process result: `civmap coverage report` over the whole default city.
fn single_process() -> Rows {
    let mut rows = Rows::new();
    for c in CATEGORIES {
        for m in MINUTES {
            let out = ok(
                &civmap(&[
                    "coverage",
                    "report",
                    "--category",
                    c,
                    "--minutes",
                    m,
                    "--level",
                    "township",
                    "--format",
                    "geojson",
                ]),
                "coverage report",
            );
            let v: Value = serde_json::from_str(&out).unwrap();
            for f in v["features"].as_array().unwrap() {
                let p = &f["properties"];
                let n = |k: &str| p[k].as_u64().unwrap_or_else(|| panic!("{k} in {p}"));
                rows.insert(
                    (
                        c.to_owned(),
                        m.to_owned(),
                        p["code"].as_str().unwrap().to_owned(),
                    ),
                    [
                        n("population"),
                        n("covered_population"),
                        n("elderly"),
                        n("covered_elderly"),
                    ],
                );
            }
        }
    }
    rows
}

fn job_rows(url: &str, job: &str) -> Rows {
    let out = ok(
        &civmap(&["job", "results", "--db", url, "--job", job]),
        "job results",
    );
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let mut rows = Rows::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let n = |i: usize| rec[i].parse::<u64>().unwrap();
        let minutes = rec[1].parse::<f64>().unwrap();
        let prev = rows.insert(
            (rec[0].to_owned(), format!("{minutes}"), rec[3].to_owned()),
            [n(5), n(6), n(7), n(8)],
        );
        assert!(prev.is_none(), "row {:?} twice", &rec);
    }
    rows
}

fn signal(sig: &str, pid: u32) {
    let s = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(s.success(), "kill -{sig} {pid}");
}

#[test]
fn three_workers_one_killed_midway_give_the_single_process_rows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    db_push(&db.url);
    let mut create = vec![
        "job",
        "create",
        "coverage",
        "--db",
        db.url.as_str(),
        "--level",
        "township",
    ];
    for c in CATEGORIES {
        create.extend(["--category", c]);
    }
    for m in MINUTES {
        create.extend(["--minutes", m]);
    }
    let job = ok(&civmap(&create), "job create").trim().to_owned();
    job.parse::<i64>().expect("job create prints the job id");

    let mut workers: Vec<Child> = (0..3).map(|_| worker(&db.url, &job)).collect();
    // freeze the first worker while it holds a partition, then kill it: that partition
    // must be taken again by another worker after its lease runs out
    let victim = workers[0].id();
    let t = Instant::now();
    let killed_part = loop {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "worker {victim} never held a partition"
        );
        let held = sql_rows(&db.url, &format!(
            "SELECT part FROM civmap.job_partitions WHERE job_id = {job} AND state = 'running' AND worker LIKE '%:{victim}'"
        ));
        if !held.is_empty() {
            signal("STOP", victim);
            let still = sql_rows(&db.url, &format!(
                "SELECT part FROM civmap.job_partitions WHERE job_id = {job} AND state = 'running' AND worker LIKE '%:{victim}'"
            ));
            if let Some(r) = still.first() {
                signal("KILL", victim);
                break r.get::<_, String>(0);
            }
            signal("CONT", victim);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = workers[0].wait();
    for w in &mut workers[1..] {
        let t = Instant::now();
        loop {
            if let Some(status) = w.try_wait().unwrap() {
                assert!(status.success(), "a worker failed: {status}");
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(600),
                "worker still running after 600 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let again = sql_rows(&db.url, &format!(
        "SELECT attempts, state, worker FROM civmap.job_partitions WHERE job_id = {job} AND part = '{killed_part}'"
    ));
    let (attempts, state, by): (i32, String, String) =
        (again[0].get(0), again[0].get(1), again[0].get(2));
    assert_eq!(state, "done");
    assert!(
        attempts >= 2,
        "the killed worker's partition was taken again ({attempts} attempts)"
    );
    assert!(
        !by.ends_with(&format!(":{victim}")),
        "finished by another worker"
    );

    let got = job_rows(&db.url, &job);
    let want = single_process();
    assert!(want.values().any(|r| r[1] > 0) && want.values().any(|r| r[1] < r[0]));
    assert_eq!(
        got.len(),
        want.len(),
        "one row per category, minutes and township"
    );
    assert_eq!(
        got, want,
        "the merged partitions equal the single-process report"
    );
}

/// Waits (bounded) for every worker to exit successfully.
fn all_exit(workers: &mut [Child]) {
    for w in workers {
        let t = Instant::now();
        loop {
            if let Some(status) = w.try_wait().unwrap() {
                assert!(status.success(), "a worker failed: {status}");
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(600),
                "worker still running after 600 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `(rule, level, codes, detail)` of each finding: the detail carries area and width.
type FindingKeys = Vec<(String, String, String, String)>;

#[test]
fn a_validation_job_in_district_partitions_equals_one_whole_run() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    db_push(&db.url);
    // damage the frame: every coordinate of one district's townships rounded to 1e-5°
    // (about a metre), and one township moved 10 m east
    sql_rows(
        &db.url,
        "UPDATE civmap.admin_units SET geom = ST_SnapToGrid(geom, 0.00001)
         WHERE level = 'township' AND code LIKE '330106%'",
    );
    sql_rows(&db.url, "UPDATE civmap.admin_units SET geom = ST_Translate(geom, 0.0001, 0)
         WHERE code = (SELECT min(code) FROM civmap.admin_units WHERE level = 'township' AND code LIKE '330102%')");
    let city = rt
        .block_on(async {
            civmap_data::postgis::PgStore::connect(&db.url)
                .await?
                .load()
                .await
        })
        .unwrap();
    let mut want: FindingKeys = Validator::new(&city.admin, ValidateOptions::default())
        .validate(&AdminLevel::ALL)
        .into_iter()
        .map(|f| {
            (
                f.rule.as_str().to_owned(),
                f.level.map(|l| l.as_str().to_owned()).unwrap_or_default(),
                f.codes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                f.detail,
            )
        })
        .collect();
    want.sort();
    assert!(want.len() >= 10, "the damaged frame has findings: {want:?}");
    assert!(
        want.iter().any(|k| k.2.starts_with("330102"))
            && want.iter().any(|k| k.2.starts_with("330106"))
    );

    let job = ok(
        &civmap(&["job", "create", "validation", "--db", db.url.as_str()]),
        "job create validation",
    )
    .trim()
    .to_owned();
    let mut workers: Vec<Child> = (0..2).map(|_| worker(&db.url, &job)).collect();
    all_exit(&mut workers);
    let out = ok(
        &civmap(&["job", "results", "--db", &db.url, "--job", &job]),
        "job results",
    );
    let mut got: FindingKeys = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_owned(),
                r[1].to_owned(),
                r[2].to_owned(),
                r[5].to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "the merged partitions equal one whole run");
    let parts = sql_rows(
        &db.url,
        &format!("SELECT count(DISTINCT part) FROM civmap.job_results WHERE job_id = {job}"),
    );
    assert!(
        parts[0].get::<_, i64>(0) >= 2,
        "findings came from several partitions"
    );
}
