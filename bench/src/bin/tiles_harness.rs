//! Vector tiles side by side: Martin (ST_AsMVT in PostGIS) and civmap serving the same
//! layers from the same PostGIS tables (a throwaway cluster filled by `civmap db push`),
//! both with their tile caches off, driven by wrk over the same list of tiles across
//! Hangzhou's urban core. Prints req/s, p50 and p99 of each and civmap/Martin ratios.
//!
//! Run by hand (not in CI): `cargo build --release -p civmap -p civmap-bench` then
//! `MARTIN=/work/tools/martin/bin/martin target/release/tiles_harness [SECONDS]`.
//! Martin is built once, outside CI: `cargo install martin@1.14.0 --locked
//! --no-default-features --features postgres` (its default features fetch maplibre-native).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use civmap_bench::{root, Civmap, Cluster};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// (name, tiles, civmap path prefix, Martin path prefix).
type Scenario = (&'static str, Vec<(u8, u32, u32)>, String, String);

/// Martin serving a database, killed on drop.
struct Martin {
    child: Child,
    base: String,
}

impl Martin {
    fn start(bin: &str, url: &str) -> anyhow::Result<Martin> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(bin)
            .args([
                "--listen-addresses",
                &format!("127.0.0.1:{port}"),
                "--cache-size",
                "0",
                url,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("start martin {bin}"))?;
        let base = format!("http://127.0.0.1:{port}");
        let t = Instant::now();
        while !reqwest::blocking::get(format!("{base}/catalog"))
            .is_ok_and(|r| r.status().is_success())
        {
            if t.elapsed() > Duration::from_secs(60) {
                bail!("martin did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Martin { child, base })
    }
}

impl Drop for Martin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// wrk at full speed over `paths` for `secs`: (req/s, p50 ms, p99 ms).
fn wrk(base: &str, paths: &[String], secs: u32) -> anyhow::Result<(f64, f64, f64)> {
    let list = paths
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let script = format!(
        "local paths = {{\n{list}\n}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
    );
    let path = std::env::temp_dir().join(format!("civmap-tiles-wrk-{}.lua", std::process::id()));
    std::fs::write(&path, script)?;
    let out = Command::new("wrk")
        .args(["-t2", "-c8", &format!("-d{secs}s"), "--latency", "-s"])
        .arg(&path)
        .arg(base)
        .output()
        .context("wrk (apt-get install wrk)")?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    civmap_bench::parse_wrk(&text).with_context(|| format!("wrk against {base}"))
}

/// XYZ tiles covering the urban core (West Lake, Shangcheng, Gongshu, Binjiang) at `zooms`,
/// shuffled with a fixed seed and capped.
fn core_tiles(zooms: std::ops::RangeInclusive<u8>, cap: usize) -> Vec<(u8, u32, u32)> {
    let (w, s, e, n) = (120.08, 30.18, 120.26, 30.33);
    let xy = |lon: f64, lat: f64, z: u8| {
        let k = f64::from(1u32 << z);
        let lr = lat.to_radians();
        (
            ((lon + 180.0) / 360.0 * k) as u32,
            ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * k) as u32,
        )
    };
    let mut all = Vec::new();
    for z in zooms {
        let (x0, y0) = xy(w, n, z);
        let (x1, y1) = xy(e, s, z);
        let mut zt: Vec<(u8, u32, u32)> = (x0..=x1)
            .flat_map(|x| (y0..=y1).map(move |y| (z, x, y)))
            .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(z));
        zt.shuffle(&mut rng);
        zt.truncate(cap);
        all.extend(zt);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    all.shuffle(&mut rng);
    all
}

fn main() -> anyhow::Result<()> {
    let secs: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let martin_bin =
        std::env::var("MARTIN").unwrap_or_else(|_| "/work/tools/martin/bin/martin".into());
    let civmap_bin = root().join("target/release/civmap");
    let cluster = Cluster::start()?;
    let push = Command::new(&civmap_bin)
        .args(["db", "push", "--url", &cluster.url])
        .output()
        .context("civmap db push")?;
    if !push.status.success() {
        bail!("db push: {}", String::from_utf8_lossy(&push.stderr));
    }
    let civmap = Civmap::serve(&["--db", &cluster.url, "--tile-cache-mb", "0"])?;
    let martin = Martin::start(&martin_bin, &cluster.url)?;
    let catalog: serde_json::Value =
        reqwest::blocking::get(format!("{}/catalog", martin.base))?.json()?;
    let source = |table: &str| -> anyhow::Result<String> {
        catalog["tiles"]
            .as_object()
            .context("martin catalog")?
            .keys()
            .find(|k| k.as_str() == table || k.starts_with(&format!("{table}.")))
            .cloned()
            .with_context(|| format!("martin publishes no {table}: {catalog}"))
    };
    let (admin, fac, door) = (
        source("admin_units")?,
        source("facilities")?,
        source("doorplates")?,
    );
    println!("martin sources: {admin}, {fac}, {door}; civmap and martin tile caches off; wrk -t2 -c8 -d{secs}s");
    let scenarios: Vec<Scenario> = vec![
        (
            "facilities z10-z16",
            core_tiles(10..=16, 400),
            "/tiles/facilities".into(),
            format!("/{fac}"),
        ),
        (
            "all layers z15-z16",
            core_tiles(15..=16, 1500),
            "/tiles/all".into(),
            format!("/{admin},{fac},{door}"),
        ),
        (
            "admin z10-z14",
            core_tiles(10..=14, 400),
            "/tiles/admin".into(),
            format!("/{admin}"),
        ),
    ];
    println!(
        "{:<22} {:>6} | {:>10} {:>8} {:>8} | {:>10} {:>8} {:>8} | {:>9} {:>9}",
        "scenario",
        "tiles",
        "civmap/s",
        "p50 ms",
        "p99 ms",
        "martin/s",
        "p50 ms",
        "p99 ms",
        "req/s x",
        "p99 x"
    );
    for (name, tiles, ours, theirs) in scenarios {
        let cp: Vec<String> = tiles
            .iter()
            .map(|(z, x, y)| format!("{ours}/{z}/{x}/{y}.mvt"))
            .collect();
        let mp: Vec<String> = tiles
            .iter()
            .map(|(z, x, y)| format!("{theirs}/{z}/{x}/{y}"))
            .collect();
        // warm both (connections, PostGIS buffers) with a short run
        wrk(&civmap.base, &cp, 2)?;
        wrk(&martin.base, &mp, 2)?;
        let (c_rps, c50, c99) = wrk(&civmap.base, &cp, secs)?;
        let (m_rps, m50, m99) = wrk(&martin.base, &mp, secs)?;
        println!(
            "{name:<22} {:>6} | {c_rps:>10.0} {c50:>8.2} {c99:>8.2} | {m_rps:>10.0} {m50:>8.2} {m99:>8.2} | {:>8.2}x {:>8.2}x",
            tiles.len(),
            c_rps / m_rps,
            m99 / c99
        );
    }
    println!("req/s x = civmap/Martin throughput; p99 x = Martin p99 / civmap p99 (above 1: civmap's tail is shorter)");
    Ok(())
}
