//! Starting the real `civmap` binary for end-to-end tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `civmap` binary the test command built (`cargo build --workspace --all-features`
/// runs before the tests), or `$CIVMAP_BIN`.
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CIVMAP_BIN") {
        return p.into();
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let p = target.join("debug").join("civmap");
    assert!(
        p.is_file(),
        "{} is missing: run `cargo build -p civmap` first (scripts/test.sh does)",
        p.display()
    );
    p
}

/// Runs `civmap ARGS` to completion.
pub fn civmap(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("RUST_LOG", "civmap=info")
        .output()
        .expect("run civmap")
}

/// Polls `check` every 10 ms until it holds; fails naming `what` after `limit`. Returns
/// how long it took.
pub fn until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !check() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    t.elapsed()
}

/// `civmap db push --url URL` (the default city), which must succeed.
pub fn db_push(url: &str) {
    let o = civmap(&["db", "push", "--url", url]);
    assert!(
        o.status.success(),
        "db push failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `civmap serve`, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Everything the server wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
    /// Seconds from spawn to the first successful `/health`.
    pub ready_s: f64,
    /// The server's state directory (accounts of the embedded default), removed on drop.
    pub state: tempfile::TempDir,
}

impl Server {
    /// Starts `civmap serve --listen 127.0.0.1:PORT EXTRA…` and waits for `/health`.
    pub fn start(extra: &[&str], envs: &[(&str, &Path)]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(bin());
        // The embedded default keeps its accounts in a state directory: a fresh one per
        // server, so tests never touch the user's ~/.local/state/civmap.
        let state = tempfile::tempdir().expect("state dir");
        cmd.args(["serve", "--listen", &listen])
            .args(extra)
            .env("RUST_LOG", "civmap=info")
            .env("CIVMAP_STATE_DIR", state.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let t = Instant::now();
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn civmap serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let base = format!("http://{listen}");
        let client = reqwest::blocking::Client::new();
        loop {
            if let Ok(r) = client
                .get(format!("{base}/health"))
                .timeout(Duration::from_secs(2))
                .send()
            {
                if r.status().is_success() {
                    break;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("civmap serve exited with {status}: {}", log.lock().unwrap());
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "civmap serve not ready in 120 s: {}",
                log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            base,
            log,
            ready_s: t.elapsed().as_secs_f64(),
            state,
        }
    }

    /// GET a path and parse JSON.
    pub fn json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = reqwest::blocking::get(format!("{}{path}", self.base)).expect("request");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(serde_json::Value::Null))
    }

    /// GET a path as text.
    pub fn text(&self, path: &str) -> (u16, String) {
        let r = reqwest::blocking::get(format!("{}{path}", self.base)).expect("request");
        (r.status().as_u16(), r.text().unwrap_or_default())
    }
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (with `kill`, as systemd or a container runtime would) and waits up to
    /// `within` for the process to exit; its exit status, or `None` if it is still running.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t = std::time::Instant::now();
        while t.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
