//! PostGIS for the tests: a fresh database per test on the cluster named by
//! `CIVMAP_TEST_PG_URL` (so tests run in parallel without seeing each other), and a
//! [`DedicatedCluster`] for the tests that must stop their server.
//!
//! Include with `#[path = "common/pg.rs"] mod pg;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;

/// The admin URL of the test cluster; fails (never skips) when it is not set.
pub fn admin_url() -> String {
    match std::env::var("CIVMAP_TEST_PG_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "PostGIS tests need a cluster: run them through scripts/test.sh, or `eval $(bash scripts/pg-cluster.sh start)` first"
        ),
    }
}

/// `url` with its database name replaced by `db` (query parameters dropped).
pub fn with_database(url: &str, db: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    match base[scheme_end..].rfind('/') {
        Some(slash) => format!("{}/{db}", &base[..scheme_end + slash]),
        None => format!("{base}/{db}"),
    }
}

async fn admin_exec(admin_url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(admin_url, NoTls).await?;
    let task = tokio::spawn(connection);
    let result = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    result
}

fn unique_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "t_{}_{}_{:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A fresh database with PostGIS, dropped (with FORCE) when this goes out of scope.
#[derive(Debug)]
pub struct TestDb {
    /// URL of the new database.
    pub url: String,
    /// Its name.
    pub name: String,
    admin_url: String,
}

impl TestDb {
    /// Creates `t_<unique>` on the `CIVMAP_TEST_PG_URL` cluster.
    pub async fn create() -> TestDb {
        Self::create_on(&admin_url()).await
    }

    /// Creates `t_<unique>` on the cluster of `admin_url`.
    pub async fn create_on(admin_url: &str) -> TestDb {
        let name = unique_name();
        admin_exec(admin_url, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = with_database(admin_url, &name);
        admin_exec(&url, "CREATE EXTENSION postgis")
            .await
            .unwrap_or_else(|e| panic!("CREATE EXTENSION postgis in {name}: {e}"));
        TestDb {
            url,
            name,
            admin_url: admin_url.to_owned(),
        }
    }

    /// A plain client on this database (its connection runs on a spawned task).
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread
        // with its own small runtime.
        let admin = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|rt| rt.block_on(admin_exec(&admin, &sql)))
        })
        .join();
        if !matches!(done, Ok(Ok(Ok(())))) && !std::thread::panicking() {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// A cluster of its own (`scripts/pg-cluster.sh start`), stopped and removed on drop.
#[derive(Debug)]
pub struct DedicatedCluster {
    /// URL of its `civmap_test` database.
    pub url: String,
    /// Its directory.
    pub dir: PathBuf,
    stopped: bool,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("scripts/pg-cluster.sh")
}

/// Runs `SCRIPT start`; a look-up of the variables its `export` lines set.
fn started(script: &Path) -> impl Fn(&str) -> String {
    let out = Command::new("bash")
        .arg(script)
        .arg("start")
        .output()
        .unwrap_or_else(|e| panic!("run {} start: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} start failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let shown = script.display().to_string();
    move |name: &str| {
        stdout
            .split(|c: char| c == ';' || c.is_whitespace())
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {name} in the output of {shown}: {stdout}"))
    }
}

/// Runs one SQL statement on `url` (its own connection) and returns the rows.
pub fn sql_rows(url: &str, statement: &str) -> Vec<tokio_postgres::Row> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for sql_rows");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect for {statement:?}: {e}"));
        tokio::spawn(conn);
        client
            .query(statement, &[])
            .await
            .unwrap_or_else(|e| panic!("{statement:?}: {e}"))
    })
}

impl DedicatedCluster {
    /// Starts one (about a second).
    pub fn start() -> DedicatedCluster {
        let var = started(&script());
        DedicatedCluster {
            url: var("CIVMAP_TEST_PG_URL"),
            dir: PathBuf::from(var("CIVMAP_TEST_PG_DIR")),
            stopped: false,
        }
    }

    /// Stops the server (`pg_ctl -m fast`: every session ends at once) but keeps its data:
    /// an outage.
    pub fn pause(&mut self) {
        self.script_command("pause");
    }

    /// Starts a paused server again, on the same port.
    pub fn resume(&mut self) {
        self.script_command("resume");
    }

    /// Crashes the server: SIGKILL to the postmaster and every process it started, as the
    /// kernel's OOM killer would — no shutdown checkpoint, no goodbye to clients;
    /// [`resume`](Self::resume) then runs crash recovery. The postmaster is stopped
    /// (SIGSTOP) first so that it cannot start a process between the look-up of its
    /// children and the kill. Returns once they are all gone and reaped.
    pub fn crash(&mut self) {
        assert!(!self.stopped, "the cluster was stopped for good");
        let pid_file = self.dir.join("data/postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)
            .unwrap_or_else(|e| panic!("{}: {e} (is the server running?)", pid_file.display()));
        let pid: u32 = text
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: no PID on its first line", pid_file.display()));
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert_eq!(
            comm.trim(),
            "postgres",
            "PID {pid} of {} is not a postgres",
            pid_file.display()
        );
        signal("STOP", &[pid]);
        let mut victims = children(pid);
        victims.push(pid);
        signal("KILL", &victims);
        let t = std::time::Instant::now();
        // gone, zombies included: a zombie's PID still "runs" for the lock check of the
        // next postmaster, which would then refuse to start
        while victims.iter().any(|&p| stat(p).is_some()) {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(20),
                "postgres processes {victims:?} still there 20 s after SIGKILL \
                 (alive, or zombies that PID 1 does not reap)"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    fn script_command(&self, command: &str) {
        assert!(!self.stopped, "the cluster was stopped for good");
        let status = Command::new("bash")
            .arg(script())
            .arg(command)
            .arg(&self.dir)
            .status()
            .unwrap_or_else(|e| panic!("run scripts/pg-cluster.sh {command}: {e}"));
        assert!(status.success(), "scripts/pg-cluster.sh {command} failed");
    }

    /// Stops the server at once (`pg_ctl -m immediate`) and removes its directory.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let status = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .status()
            .expect("run scripts/pg-cluster.sh stop");
        assert!(status.success(), "scripts/pg-cluster.sh stop failed");
    }
}

/// Sends `SIG` to `pids` with `kill(1)`.
fn signal(sig: &str, pids: &[u32]) {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} {pids:?} failed");
}

/// The state (field 3) and parent (field 4) of /proc/PID/stat, if the process exists.
fn stat(pid: u32) -> Option<(String, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) is in parentheses and may hold spaces: count after it
    let mut fields = stat[stat.rfind(')')? + 2..].split(' ');
    let state = fields.next()?.to_owned();
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

/// The processes whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| stat(p).is_some_and(|(_, pp)| pp == parent))
        .collect()
}

impl Drop for DedicatedCluster {
    fn drop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            let _ = Command::new("bash")
                .arg(script())
                .arg("stop")
                .arg(&self.dir)
                .status();
        }
    }
}

/// A primary with a hot standby streaming from it (`scripts/pg-replica.sh start`), both
/// stopped and removed on drop.
#[derive(Debug)]
pub struct ReplicaPair {
    /// URL of the primary's `civmap_test` database.
    pub primary_url: String,
    /// URL of the same database on the standby.
    pub standby_url: String,
    /// The pair's directory (the primary's data in `data/`, the standby's in `standby/`).
    pub dir: PathBuf,
    stopped: bool,
}

fn replica_script() -> PathBuf {
    script().with_file_name("pg-replica.sh")
}

impl ReplicaPair {
    /// Starts one (a few seconds: initdb, pg_basebackup).
    pub fn start() -> ReplicaPair {
        let var = started(&replica_script());
        ReplicaPair {
            primary_url: var("CIVMAP_TEST_PG_PRIMARY_URL"),
            standby_url: var("CIVMAP_TEST_PG_STANDBY_URL"),
            dir: PathBuf::from(var("CIVMAP_TEST_PG_REPLICA_DIR")),
            stopped: false,
        }
    }

    /// Runs `pg-replica.sh COMMAND DIR` (`promote`, `pause-primary`, `resume-primary`).
    pub fn run(&self, command: &str) {
        assert!(!self.stopped, "the pair was stopped for good");
        let status = Command::new("bash")
            .arg(replica_script())
            .arg(command)
            .arg(&self.dir)
            .status()
            .unwrap_or_else(|e| panic!("run scripts/pg-replica.sh {command}: {e}"));
        assert!(status.success(), "scripts/pg-replica.sh {command} failed");
    }
}

impl Drop for ReplicaPair {
    fn drop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            let _ = Command::new("bash")
                .arg(replica_script())
                .arg("stop")
                .arg(&self.dir)
                .status();
        }
    }
}
