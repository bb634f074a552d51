//! Faults: PostgreSQL crashes under `civmap db push` and under `civmap serve --db`,
//! SIGKILL mid-write of `civmap import`/`generate` and `civmap tiles export`, and a full
//! disk under import and export. Each test asserts that nothing is lost (the old data or
//! the complete new data, never part of it) and that service recovers without a restart.
//!
//! The PostgreSQL tests crash a cluster of their own (`scripts/pg-cluster.sh start`), never
//! the shared `CIVMAP_TEST_PG_URL` one. The full-disk test mounts a 2 MiB tmpfs and so
//! needs root (or CAP_SYS_ADMIN); without it, it fails and says so. Every wait is bounded.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use civmap_data::store::read_snapshot;
use common::{bin, civmap, Server};
use pg::DedicatedCluster;
use serde_json::Value;

// --- helpers -----------------------------------------------------------------------------

/// Polls until `check` holds; panics after `limit`; returns how long it took.
fn until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !check() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    t.elapsed()
}

fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A `civmap ARGS` running in the background, its stderr in a file (no pipe to fill up).
struct Running {
    child: Child,
    stderr: PathBuf,
}

impl Running {
    fn spawn(args: &[&str], stderr: PathBuf) -> Running {
        let child = Command::new(bin())
            .args(args)
            .env("RUST_LOG", "civmap=info")
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn civmap");
        Running { child, stderr }
    }

    fn finished(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// SIGKILL (std's `Child::kill`), then reap.
    fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().unwrap()
    }

    /// Waits up to `limit` for the exit; kills it and panics past that.
    fn wait(&mut self, limit: Duration, what: &str) -> ExitStatus {
        let t = Instant::now();
        loop {
            if let Some(s) = self.finished() {
                return s;
            }
            if t.elapsed() > limit {
                self.kill();
                panic!("{what}: still running after {limit:?}: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Files in `dir` whose names end with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn run_sql<T>(url: &str, f: impl AsyncFnOnce(&tokio_postgres::Client) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        tokio::spawn(conn);
        f(&client).await
    })
}

fn sql(url: &str, statement: &str) {
    run_sql(url, async |c| {
        c.batch_execute(statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"))
    });
}

/// The tables `db push` fills.
const TABLES: &[&str] = &[
    "admin_units",
    "facilities",
    "doorplates",
    "landmarks",
    "network_nodes",
    "network_roads",
    "network_edges",
    "meta",
];

/// Per table: the row count and an order-free checksum of every row's text — equal
/// fingerprints mean equal contents (up to a hash collision).
fn fingerprint(url: &str) -> Vec<(String, i64, i64)> {
    run_sql(url, async |c| {
        let mut out = Vec::new();
        for t in TABLES {
            let row = c
                .query_one(
                    &format!(
                        "SELECT count(*), coalesce(sum(hashtext(r::text)::bigint), 0)::bigint FROM civmap.{t} r"
                    ),
                    &[],
                )
                .await
                .unwrap_or_else(|e| panic!("fingerprint civmap.{t}: {e}"));
            out.push(((*t).to_owned(), row.get(0), row.get(1)));
        }
        out
    })
}

fn count_of(fp: &[(String, i64, i64)], table: &str) -> i64 {
    fp.iter().find(|(t, ..)| t == table).unwrap().1
}

// --- 1. PostgreSQL killed during `db push` -----------------------------------------------

#[test]
fn postgres_killed_during_db_push_keeps_the_first_push_and_the_next_push_succeeds() {
    let mut cluster = DedicatedCluster::start();
    let url = cluster.url.clone();
    let o = civmap(&["db", "push", "--url", &url]);
    assert!(o.status.success(), "first push: {}", stderr_of(&o));
    // the test cluster runs with synchronous_commit=off, so PostgreSQL itself may drop
    // the last few hundred ms of commits in a crash: flush them, so that what the test
    // checks is civmap's transaction, not the cluster's durability settings
    sql(&url, "CHECKPOINT");
    let first = fingerprint(&url);
    assert!(count_of(&first, "doorplates") > 100_000, "{first:?}");

    // a different city (another seed), so that the database shows which push it holds
    let tmp = tempfile::tempdir().unwrap();
    let mut push = Running::spawn(
        &["db", "push", "--url", &url, "--seed", "7", "--no-cache"],
        tmp.path().join("push.log"),
    );
    // crash deep in the push: once PostgreSQL reports doorplates of the second push
    // arriving (admin units and facilities are in by then, uncommitted)
    let copying = || {
        run_sql(&url, async |c| {
            c.query_one(
                "SELECT coalesce(max(tuples_processed), 0)::bigint FROM pg_stat_progress_copy \
                 WHERE relid = 'civmap.doorplates'::regclass",
                &[],
            )
            .await
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0)
        })
    };
    let t = Instant::now();
    loop {
        if let Some(s) = push.finished() {
            panic!(
                "the second push ended ({s}) before any row was seen: {}",
                push.log()
            );
        }
        if copying() > 10_000 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no COPY of the second push within 120 s: {}",
            push.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.crash();
    let status = push.wait(Duration::from_secs(60), "db push after the crash");
    let log = push.log();
    assert_eq!(status.code(), Some(1), "push must fail: {log}");
    let last = log.lines().last().unwrap_or_default();
    let shown = url.split('@').nth(1).unwrap().split('/').next().unwrap();
    assert!(
        last.starts_with("civmap: ") && last.contains(shown) && last.contains("push"),
        "one line naming the database and what failed: {last:?}"
    );
    eprintln!("push after the crash: {last}");

    cluster.resume();
    assert_eq!(
        fingerprint(&url),
        first,
        "after crash recovery the database holds exactly the first push"
    );

    // and a new push succeeds on the recovered cluster
    let o = civmap(&["db", "push", "--url", &url, "--seed", "7", "--no-cache"]);
    assert!(o.status.success(), "push after recovery: {}", stderr_of(&o));
    let second = fingerprint(&url);
    let out = String::from_utf8_lossy(&o.stdout);
    let facilities = format!("{} facilities", count_of(&second, "facilities"));
    assert!(out.contains(&facilities), "{out} vs {second:?}");
    assert_ne!(second, first, "the new city replaced the old one");
}

// --- 2. PostgreSQL killed under `serve --db` with load ------------------------------------

fn get(client: &reqwest::blocking::Client, url: &str) -> Result<(u16, String), String> {
    client
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .and_then(|r| {
            let s = r.status().as_u16();
            r.text().map(|t| (s, t))
        })
        .map_err(|e| e.to_string())
}

fn nearest(server: &Server, lon: f64, lat: f64) -> (String, String) {
    let (s, v) = server.json(&format!(
        "/api/v1/facilities/nearest?lon={lon}&lat={lat}&k=1"
    ));
    assert_eq!(s, 200, "{v}");
    let p = &v["features"][0]["properties"];
    (
        p["id"].as_str().unwrap().to_owned(),
        p["name"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn postgres_killed_under_serve_db_reads_keep_answering_and_it_recovers_without_a_restart() {
    let mut cluster = DedicatedCluster::start();
    let url = cluster.url.clone();
    let o = civmap(&["db", "push", "--url", &url]);
    assert!(o.status.success(), "push: {}", stderr_of(&o));
    sql(&url, "CHECKPOINT");
    let server = Server::start(&["--db", &url], &[]);
    let base = server.base.clone();
    let client = reqwest::blocking::Client::new();
    let status_of = |path: &str| get(&client, &format!("{base}{path}")).map(|r| r.0);
    let took = until(Duration::from_secs(180), "/readyz 200 at start", || {
        status_of("/readyz") == Ok(200)
    });
    eprintln!("ready (engine built) {took:?} after /health");
    let (lon, lat) = (120.16, 30.27);
    let (id, name) = nearest(&server, lon, lat);

    // the load: public reads in a loop from two clients, every answer recorded
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let reads = [
        format!("/api/v1/facilities/nearest?lon={lon}&lat={lat}&k=5"),
        "/api/v1/admin?level=district".to_owned(),
        "/api/v1/search?q=%E8%A5%BF%E6%B9%96&limit=5".to_owned(),
        format!("/api/v1/reverse?lon={lon}&lat={lat}"),
        "/tiles/all/12/3415/1687.mvt".to_owned(),
        "/api/v1/categories".to_owned(),
    ];
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (stop, answered, failures) = (stop.clone(), answered.clone(), failures.clone());
            let (base, reads) = (base.clone(), reads.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let path = &reads[i % reads.len()];
                    match get(&client, &format!("{base}{path}")) {
                        Ok((s, body)) if s == 200 || (s == 204 && path.starts_with("/tiles")) => {
                            let _ = body;
                        }
                        Ok((s, body)) => failures.lock().unwrap().push(format!(
                            "{path}: {s} {}",
                            body.chars().take(200).collect::<String>()
                        )),
                        Err(e) => failures.lock().unwrap().push(format!("{path}: {e}")),
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                    // a steady load, not a CPU hog on a shared test machine
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    until(Duration::from_secs(30), "the load runs", || {
        answered.load(Ordering::Relaxed) > 50
    });

    cluster.crash();
    let crashed = Instant::now();
    let took = until(Duration::from_secs(20), "/readyz turns 503", || {
        status_of("/readyz") == Ok(503)
    });
    eprintln!("/readyz 503 {took:?} after the crash");
    let (s, body) = get(&client, &format!("{base}/readyz")).unwrap();
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (s, health["status"].as_str()),
        (503, Some("degraded")),
        "{body}"
    );
    assert_eq!(status_of("/livez"), Ok(200), "/livez stays 200");
    // keep the load on the degraded server for a while
    let during = answered.load(Ordering::Relaxed);
    until(
        Duration::from_secs(30),
        "reads while the database is down",
        || {
            answered.load(Ordering::Relaxed) > during + 100
                && crashed.elapsed() > Duration::from_secs(2)
        },
    );
    assert_eq!(nearest(&server, lon, lat).0, id, "answers from memory");

    cluster.resume();
    let resumed = Instant::now();
    // reconnection backs off to at most 5 s; then a full reload and an engine rebuild
    until(Duration::from_secs(90), "/readyz is 200 again", || {
        status_of("/readyz") == Ok(200)
    });
    eprintln!("/readyz 200 {:?} after the restart", resumed.elapsed());
    assert_eq!(status_of("/livez"), Ok(200));

    // an edit made after the restart reaches the same server process
    let renamed = format!("{name}（故障恢复后）");
    sql(
        &url,
        &format!(
            "UPDATE civmap.facilities SET name = '{}' WHERE id = '{}'",
            renamed.replace('\'', "''"),
            id.replace('\'', "''")
        ),
    );
    let took = until(
        Duration::from_secs(5),
        "the renamed facility is served",
        || nearest(&server, lon, lat) == (id.clone(), renamed.clone()),
    );
    eprintln!("UPDATE after recovery reached the server in {took:?}");

    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    let total = answered.load(Ordering::Relaxed);
    eprintln!("{total} reads under load, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {total} public reads failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    let log = server.log.lock().unwrap();
    for line in log
        .lines()
        .filter(|l| l.contains("degraded") || l.contains("is back"))
    {
        eprintln!("server: {line}");
    }
    assert!(log.contains("degraded"), "the server logged the outage");
    assert!(log.contains("is back"), "the server logged the recovery");
}

// --- 3. SIGKILL mid-write of `import` and `generate` --------------------------------------

/// A GeoJSON file of `n` elder canteens with ids `PREFIX-i`.
fn facilities_geojson(path: &Path, prefix: &str, n: usize) {
    let features: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"id":"{prefix}-{i}","name":"故障测试{i}","category":"elder_canteen"}}}}"#,
                120.1 + i as f64 * 1e-4,
                30.25
            )
        })
        .collect();
    fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
}

/// Runs `args`, waits for the snapshot's temporary file to appear (the write has begun),
/// waits `after` more and sends SIGKILL. Returns the temporary file the killed writer
/// left, or `None` when it had renamed it into place first.
fn kill_mid_write(args: &[&str], data: &Path, after: Duration, log: PathBuf) -> Option<PathBuf> {
    let mut p = Running::spawn(args, log);
    let pid = p.child.id();
    let tmp = data.join(format!(".dataset.civmap.{pid}.tmp"));
    let t = Instant::now();
    while !tmp.exists() {
        if let Some(s) = p.finished() {
            panic!("{args:?} ended ({s}) before it began to write: {}", p.log());
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "{args:?}: no write in 120 s"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    std::thread::sleep(after);
    let status = p.kill();
    killed_or_done(status, &p.log(), &format!("{args:?}"));
    // gone: the writer renamed it into place before the kill (it may not have exited yet)
    tmp.exists().then_some(tmp)
}

/// A process we SIGKILLed: killed, or finished successfully just before.
fn killed_or_done(status: ExitStatus, log: &str, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal() == Some(9) || status.success(),
        "{what}: {status}: {log}"
    );
}

/// After a killed writer: the snapshot is byte for byte the `old` one, or it loads and
/// holds `new_facilities` facilities (then it becomes the old one). Only the killed
/// writer's own temporary file may be left: each writer removes those of earlier ones.
fn old_or_new(
    snapshot: &Path,
    old: &mut Vec<u8>,
    new_facilities: impl FnOnce(usize) -> bool,
    left: Option<&PathBuf>,
    what: &str,
) -> bool {
    let now = fs::read(snapshot).expect("the snapshot is still there");
    let changed = now != *old;
    if changed {
        let ds = read_snapshot(snapshot).unwrap_or_else(|e| panic!("{what}: a torn snapshot: {e}"));
        assert!(
            new_facilities(ds.facilities.len()),
            "{what}: {} facilities",
            ds.facilities.len()
        );
        *old = now;
    }
    let dir = snapshot.parent().unwrap();
    assert_eq!(
        files_ending(dir, ".tmp"),
        left.into_iter().cloned().collect::<Vec<_>>(),
        "{what}: temporary files"
    );
    changed
}

#[test]
fn sigkill_mid_import_or_generate_leaves_the_old_dataset_or_the_new_one_and_serve_starts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = civmap(&["generate", "--data", d]);
    assert!(o.status.success(), "generate: {}", stderr_of(&o));
    let snapshot = data.join("dataset.civmap");
    let mut old = fs::read(&snapshot).unwrap();
    let mut facilities = read_snapshot(&snapshot).unwrap().facilities.len();

    // imports killed at several points of their write: right as it starts, a little and
    // well into it, and late enough that it may have finished
    let mut torn = 0;
    for (round, after_ms) in [0u64, 5, 30, 100, 400].into_iter().enumerate() {
        let input = dir.path().join(format!("f{round}.geojson"));
        facilities_geojson(&input, &format!("fault{round}"), 20);
        let args = [
            "import",
            "geojson",
            input.to_str().unwrap(),
            "--layer",
            "facilities",
            "--data",
            d,
        ];
        let log = dir.path().join(format!("import{round}.log"));
        let left = kill_mid_write(&args, &data, Duration::from_millis(after_ms), log);
        torn += usize::from(left.is_some());
        let what = format!("import killed {after_ms} ms into its write");
        if old_or_new(
            &snapshot,
            &mut old,
            |n| n == facilities + 20,
            left.as_ref(),
            &what,
        ) {
            facilities += 20;
        }
    }
    // `generate` writes through the same store: killed mid-write too (another seed, so a
    // new city is told from the old one)
    let log = dir.path().join("generate.log");
    let generate = ["generate", "--seed", "7", "--data", d];
    let left = kill_mid_write(&generate, &data, Duration::from_millis(20), log);
    torn += usize::from(left.is_some());
    if old_or_new(
        &snapshot,
        &mut old,
        |n| n != facilities,
        left.as_ref(),
        "generate killed",
    ) {
        facilities = read_snapshot(&snapshot).unwrap().facilities.len();
    }
    eprintln!("{torn} of 6 kills came mid-write");
    assert!(
        torn >= 3,
        "only {torn} of 6 kills came mid-write: the test proved little"
    );

    // the next write removes what a killed writer left
    let input = dir.path().join("last.geojson");
    facilities_geojson(&input, "last", 3);
    let o = civmap(&[
        "import",
        "geojson",
        input.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        d,
    ]);
    assert!(
        o.status.success(),
        "import after the kills: {}",
        stderr_of(&o)
    );
    assert_eq!(
        files_ending(&data, ".tmp"),
        Vec::<PathBuf>::new(),
        "cleaned by the write"
    );
    assert_ne!(fs::read(&snapshot).unwrap(), old);
    facilities += 3;

    // one more killed writer, then `serve --data` starts, serves it, and removes the leftover
    let input = dir.path().join("again.geojson");
    facilities_geojson(&input, "again", 3);
    let args = [
        "import",
        "geojson",
        input.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        d,
    ];
    let left = kill_mid_write(&args, &data, Duration::ZERO, dir.path().join("again.log"));
    let expected = facilities + if left.is_some() { 0 } else { 3 };
    assert_eq!(
        files_ending(&data, ".tmp"),
        left.into_iter().collect::<Vec<_>>()
    );
    let server = Server::start(&["--data", d], &[]);
    let (s, h) = server.json("/health");
    assert_eq!(s, 200);
    assert_eq!(h["data"]["facilities"], expected, "{h}");
    assert_eq!(
        files_ending(&data, ".tmp"),
        Vec::<PathBuf>::new(),
        "cleaned by the load"
    );
}

// --- 4. SIGKILL mid-write of `tiles export` ------------------------------------------------

/// Checks a complete archive: the PMTiles header and directory read back with the
/// `pmtiles` crate (Martin's reader), or the MBTiles metadata and tile rows with SQLite;
/// returns the number of tiles.
fn valid_archive(path: &Path, format: &str) -> u64 {
    if format == "mbtiles" {
        let db = rusqlite::Connection::open(path).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "{}", path.display());
        let maxzoom: String = db
            .query_row(
                "SELECT value FROM metadata WHERE name = 'maxzoom'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(maxzoom, "14");
        return db
            .query_row("SELECT count(*) FROM tiles", [], |r| r.get::<_, i64>(0))
            .unwrap() as u64;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let backend = pmtiles::MmapBackend::try_from(path).await.unwrap();
        let reader = pmtiles::AsyncPmTilesReader::try_from_source(backend)
            .await
            .unwrap_or_else(|e| panic!("{}: not a PMTiles archive: {e}", path.display()));
        let h = reader.get_header();
        assert_eq!((h.min_zoom, h.max_zoom), (0, 14));
        let meta: Value = serde_json::from_str(&reader.get_metadata().await.unwrap()).unwrap();
        assert_eq!(meta["vector_layers"][0]["id"], "admin");
        // a tile in the city centre reads back and gunzips
        let tile = reader
            .get_tile_decompressed(pmtiles::TileCoord::new(12, 3415, 1687).unwrap())
            .await
            .unwrap();
        assert!(tile.is_some_and(|t| !t.is_empty()));
        h.n_addressed_tiles().map_or(0, u64::from)
    })
}

/// The inode and modification time of `path`, if it exists.
fn stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).ok()?;
    Some((m.ino(), m.modified().ok()?))
}

#[test]
fn sigkill_mid_tiles_export_leaves_no_partial_archive_at_the_output_path() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["pmtiles", "mbtiles"] {
        let out = dir.path().join(format!("city.{format}"));
        let tmp = dir.path().join(format!("city.{format}.export-tmp"));
        let o = out.to_str().unwrap();
        let args = [
            "tiles",
            "export",
            "--format",
            format,
            "--maxzoom",
            "14",
            "-o",
            o,
        ];
        let mut previous: Option<Vec<u8>> = None;
        let mut torn = 0;
        // first with no archive at the output path, then with a complete one there
        for pass in 0..2 {
            for after_ms in [0u64, 100, 400] {
                // the leftover of the previous kill may be there: wait for this export's
                // own write (the file recreated or rewritten)
                let before = stamp(&tmp);
                let mut p = Running::spawn(&args, dir.path().join("export.log"));
                let t = Instant::now();
                while stamp(&tmp).is_none() || stamp(&tmp) == before {
                    if let Some(s) = p.finished() {
                        panic!("export ended ({s}) before it began to write: {}", p.log());
                    }
                    assert!(t.elapsed() < Duration::from_secs(120), "no write in 120 s");
                    std::thread::sleep(Duration::from_micros(500));
                }
                std::thread::sleep(Duration::from_millis(after_ms));
                let status = p.kill();
                killed_or_done(status, &p.log(), &format!("{format} export"));
                if tmp.exists() {
                    // killed mid-write: only its temporary file is there, the output is
                    // what it was
                    torn += 1;
                    match &previous {
                        None => assert!(
                            !out.exists(),
                            "{format}: killed after {after_ms} ms, yet {o} exists"
                        ),
                        Some(bytes) => assert!(
                            fs::read(&out).unwrap() == *bytes,
                            "{format}: killed after {after_ms} ms, the previous archive changed"
                        ),
                    }
                } else {
                    // renamed into place before the kill: complete
                    valid_archive(&out, format);
                    previous = Some(fs::read(&out).unwrap());
                }
            }
            if pass == 0 {
                // a complete export replaces the leftover temporary file and the output
                let r = civmap(&args);
                assert!(r.status.success(), "{format}: {}", stderr_of(&r));
                assert!(
                    !tmp.exists(),
                    "{format}: the leftover was replaced and renamed"
                );
                let n = valid_archive(&out, format);
                assert!(n > 1000, "{format}: {n} tiles");
                previous = Some(fs::read(&out).unwrap());
            }
        }
        eprintln!("{format}: {torn} of 6 kills came mid-write");
        assert!(torn >= 3, "{format}: only {torn} of 6 kills came mid-write");
        // the next export replaces the leftover of the last kill
        let r = civmap(&args);
        assert!(r.status.success(), "{format}: {}", stderr_of(&r));
        assert!(
            !tmp.exists(),
            "{format}: no temporary file after a complete export"
        );
        valid_archive(&out, format);
    }

    // the two formats of one name, at once: each has its own temporary file, both complete
    let (pm, mb) = (
        dir.path().join("both.pmtiles"),
        dir.path().join("both.mbtiles"),
    );
    let mut a = Running::spawn(
        &[
            "tiles",
            "export",
            "--format",
            "pmtiles",
            "--maxzoom",
            "14",
            "-o",
            pm.to_str().unwrap(),
        ],
        dir.path().join("a.log"),
    );
    let mut b = Running::spawn(
        &[
            "tiles",
            "export",
            "--format",
            "mbtiles",
            "--maxzoom",
            "14",
            "-o",
            mb.to_str().unwrap(),
        ],
        dir.path().join("b.log"),
    );
    let sa = a.wait(Duration::from_secs(120), "pmtiles export");
    let sb = b.wait(Duration::from_secs(120), "mbtiles export");
    assert!(sa.success() && sb.success(), "{}\n{}", a.log(), b.log());
    assert_eq!(valid_archive(&pm, "pmtiles"), valid_archive(&mb, "mbtiles"));
    assert_eq!(
        files_ending(dir.path(), ".export-tmp"),
        Vec::<PathBuf>::new()
    );
}

// --- 5. A full disk ------------------------------------------------------------------------

/// A 2 MiB tmpfs, unmounted on drop (lazily if something still holds it).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount() -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            o.status.success(),
            "the full-disk test mounts a 2 MiB tmpfs and needs root (or CAP_SYS_ADMIN): \
             `mount -t tmpfs -o size=2m tmpfs {}` failed: {}",
            dir.path().display(),
            String::from_utf8_lossy(&o.stderr).trim()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

/// Bytes in use on the filesystem of `path` (`df`).
fn used_bytes(path: &Path) -> u64 {
    let o = Command::new("df")
        .args(["--output=used", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

/// A CSV of `n` doorplates: enough of them make a snapshot larger than the disk.
fn doorplates_csv(path: &Path, n: usize) {
    let mut s = String::from("id,road,number,lng,lat,residents,elderly\n");
    for i in 0..n {
        s.push_str(&format!(
            "{},文三路,{}号,{:.6},{:.6},3,1\n",
            900_000_000 + i,
            i + 1,
            120.10 + (i % 500) as f64 * 1e-4,
            30.20 + (i / 500) as f64 * 1e-4
        ));
    }
    fs::write(path, s).unwrap();
}

#[test]
fn a_full_disk_fails_import_and_export_clearly_and_loses_nothing() {
    let disk = Tmpfs::mount();
    let inputs = tempfile::tempdir().unwrap();
    let data = disk.path().join("data");
    let d = data.to_str().unwrap();
    let snapshot = data.join("dataset.civmap");

    // a small dataset fits
    let small = inputs.path().join("small.geojson");
    facilities_geojson(&small, "small", 50);
    let o = civmap(&[
        "import",
        "geojson",
        small.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        d,
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let before = fs::read(&snapshot).unwrap();
    let used = used_bytes(disk.path());

    // 60,000 doorplates do not
    let big = inputs.path().join("doorplates.csv");
    doorplates_csv(&big, 60_000);
    let o = civmap(&[
        "import",
        "csv",
        big.to_str().unwrap(),
        "--layer",
        "doorplates",
        "--data",
        d,
    ]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.contains(d) && line.contains("No space left on device"),
        "names the path and the cause: {line:?}"
    );
    eprintln!("import on a full disk: {line}");
    assert!(
        fs::read(&snapshot).unwrap() == before,
        "the old dataset is intact"
    );
    assert_eq!(
        files_ending(&data, ".tmp"),
        Vec::<PathBuf>::new(),
        "no partial file"
    );
    assert_eq!(used_bytes(disk.path()), used, "the space is given back");
    let ds = read_snapshot(&snapshot).unwrap();
    assert_eq!((ds.facilities.len(), ds.doorplates.len()), (50, 0));

    // tiles: a small archive fits; the whole pyramid does not, and the small one stays
    for (format, cause) in [
        ("pmtiles", "No space left on device"),
        ("mbtiles", "disk is full"),
    ] {
        let out = disk.path().join(format!("city.{format}"));
        let o_str = out.to_str().unwrap();
        let r = civmap(&[
            "tiles",
            "export",
            "--format",
            format,
            "--maxzoom",
            "8",
            "-o",
            o_str,
        ]);
        assert!(r.status.success(), "{format} z8: {}", stderr_of(&r));
        let small_archive = fs::read(&out).unwrap();
        let used = used_bytes(disk.path());
        let r = civmap(&[
            "tiles",
            "export",
            "--format",
            format,
            "--maxzoom",
            "14",
            "-o",
            o_str,
        ]);
        let err = stderr_of(&r);
        assert_eq!(r.status.code(), Some(1), "{format}: {err}");
        let line = err.lines().last().unwrap_or_default();
        assert!(
            line.contains(o_str) && line.contains(cause),
            "{format}: names the file and the cause: {line:?}"
        );
        eprintln!("{format} export on a full disk: {line}");
        assert!(
            fs::read(&out).unwrap() == small_archive,
            "{format}: the old archive is intact"
        );
        assert_eq!(
            files_ending(disk.path(), ".export-tmp"),
            Vec::<PathBuf>::new(),
            "{format}: no partial file"
        );
        assert_eq!(
            used_bytes(disk.path()),
            used,
            "{format}: the space is given back"
        );
        fs::remove_file(&out).unwrap();
    }
    // and with the space back, the small import still works on the same disk
    let more = inputs.path().join("more.geojson");
    facilities_geojson(&more, "more", 5);
    let o = civmap(&[
        "import",
        "geojson",
        more.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        d,
    ]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(read_snapshot(&snapshot).unwrap().facilities.len(), 55);
}
