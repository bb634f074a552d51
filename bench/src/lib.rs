//! Shared pieces of the side-by-side harnesses: a throwaway PostGIS, the civmap binary,
//! timing and reporting.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A throwaway PostGIS cluster from `scripts/pg-cluster.sh`, stopped on drop.
#[derive(Debug)]
pub struct Cluster {
    /// Its database URL.
    pub url: String,
    dir: String,
}

impl Cluster {
    /// Starts one.
    pub fn start() -> anyhow::Result<Cluster> {
        let out = Command::new("bash")
            .arg(root().join("scripts/pg-cluster.sh"))
            .arg("start")
            .output()?;
        if !out.status.success() {
            bail!(
                "pg-cluster.sh start: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        let var = |n: &str| {
            s.split(|c: char| c == ';' || c.is_whitespace())
                .find_map(|w| w.strip_prefix(&format!("{n}=")))
                .map(str::to_owned)
                .with_context(|| format!("no {n} in {s}"))
        };
        Ok(Cluster {
            url: var("CIVMAP_TEST_PG_URL")?,
            dir: var("CIVMAP_TEST_PG_DIR")?,
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/pg-cluster.sh"))
            .args(["stop", &self.dir])
            .status();
    }
}

/// A running `civmap serve`, killed on drop.
#[derive(Debug)]
pub struct Civmap {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Civmap {
    /// Starts the release binary with `args` and waits for `/health`.
    pub fn serve(args: &[&str]) -> anyhow::Result<Civmap> {
        let bin = release_bin();
        if !bin.is_file() {
            bail!("{} missing: cargo build --release -p civmap", bin.display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(bin)
            .args(["serve", "--listen", &listen])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let base = format!("http://{listen}");
        let t = Instant::now();
        while !reqwest::blocking::get(format!("{base}/health"))
            .is_ok_and(|r| r.status().is_success())
        {
            if t.elapsed() > Duration::from_secs(120) {
                bail!("civmap did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Civmap { child, base })
    }
}

impl Civmap {
    /// The server's process id (for its memory in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// The release `civmap` binary: `$CIVMAP_BIN`, else `release/civmap` under
/// `$CARGO_TARGET_DIR` or the workspace's `target/`.
pub fn release_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CIVMAP_BIN") {
        return p.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("release/civmap")
}

/// A query-string value with every byte but ASCII letters and digits percent-encoded.
pub fn percent_encode(s: &str) -> String {
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

impl Drop for Civmap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Median of a sample, in the sample's unit.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if !n.is_multiple_of(2) {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Microseconds of a duration.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// wrk's summary: requests per second and the 50th/99th percentile latencies in ms (wrk run
/// with `--latency`). Refuses a run that saw non-2xx answers.
pub fn parse_wrk(text: &str) -> anyhow::Result<(f64, f64, f64)> {
    if text.contains("Non-2xx") {
        bail!("wrk saw non-2xx answers:\n{text}");
    }
    let ms = |label: &str| -> anyhow::Result<f64> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .with_context(|| format!("no {label} in wrk output:\n{text}"))?;
        let v = line.split_whitespace().nth(1).context("wrk line")?;
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
        let n: f64 = num.parse()?;
        Ok(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => bail!("unit {unit}"),
        })
    };
    let rps: f64 = text
        .lines()
        .find(|l| l.starts_with("Requests/sec"))
        .and_then(|l| l.split_whitespace().nth(1))
        .context("no Requests/sec")?
        .parse()?;
    Ok((rps, ms("50%")?, ms("99%")?))
}
