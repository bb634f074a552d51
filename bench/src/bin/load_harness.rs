//! Load at saturation on a mixed route set, for minutes, watching the server's memory: the
//! release `civmap serve` on the default city, driven by wrk with as many connections as it
//! takes to keep both cores busy, over a route list built from the city's own data — tiles
//! at zooms 8–15, search and autocomplete with real Chinese names, reverse geocoding, the
//! admin chain at a point, facilities in a box, nearest by walk, coverage, indicators, gaps,
//! health. Prints requests/s, latency p50/p99, answers by status, and the server's RSS
//! (`VmRSS`, sampled every few seconds) at the end of the warm-up and at the end, and exits
//! non-zero on any error other than 503 from load shedding, or when RSS grew more than
//! `--rss-growth-pct` after the warm-up.
//!
//! `cargo build --release -p civmap -p civmap-bench` then
//! `target/release/load_harness [--duration-s 300] [--warmup-s 30] [--connections 64]`
//! (CI's short form: `--duration-s 20 --warmup-s 5`). Uses `$CIVMAP_BIN` or the release
//! binary under `$CARGO_TARGET_DIR`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use civmap_bench::{percent_encode, Civmap};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// The run's settings, from the command line.
#[derive(Debug)]
struct Args {
    duration_s: u64,
    warmup_s: u64,
    connections: u32,
    threads: u32,
    rss_growth_pct: f64,
    rss_sample_s: u64,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        duration_s: 300,
        warmup_s: 30,
        connections: 64,
        threads: 2,
        rss_growth_pct: 10.0,
        rss_sample_s: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .with_context(|| format!("{flag}: missing value"))?;
        let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("{flag} {value}: {e}");
        match flag.as_str() {
            "--duration-s" => a.duration_s = value.parse().map_err(|e| bad(&e))?,
            "--warmup-s" => a.warmup_s = value.parse().map_err(|e| bad(&e))?,
            "--connections" => a.connections = value.parse().map_err(|e| bad(&e))?,
            "--threads" => a.threads = value.parse().map_err(|e| bad(&e))?,
            "--rss-growth-pct" => a.rss_growth_pct = value.parse().map_err(|e| bad(&e))?,
            "--rss-sample-s" => a.rss_sample_s = value.parse().map_err(|e| bad(&e))?,
            _ => bail!(
                "unknown flag {flag} (--duration-s, --warmup-s, --connections, --threads, --rss-growth-pct, --rss-sample-s)"
            ),
        }
    }
    if a.duration_s == 0 || a.connections == 0 || a.threads == 0 || a.rss_sample_s == 0 {
        bail!("--duration-s, --connections, --threads and --rss-sample-s must be positive");
    }
    Ok(a)
}

/// The server's resident memory in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .context("no VmRSS")?
        .parse()
        .context("VmRSS")
}

fn get_json(base: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let r = reqwest::blocking::get(format!("{base}{path}")).with_context(|| path.to_owned())?;
    if !r.status().is_success() {
        bail!("{path}: {}", r.status());
    }
    r.json().with_context(|| path.to_owned())
}

/// Slippy-map tile of a point.
fn tile_xy(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat_r = lat.to_radians();
    let y =
        ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// The mixed route list, built from what the server itself serves: facility positions as
/// points, and the names of districts, townships, facilities and roads as queries.
fn routes(base: &str) -> anyhow::Result<Vec<String>> {
    let tj = get_json(base, "/tiles/all.json")?;
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .context("TileJSON bounds")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    if b.len() != 4 {
        bail!("TileJSON bounds: {}", tj["bounds"]);
    }
    let fac = get_json(
        base,
        &format!(
            "/api/v1/facilities?bbox={},{},{},{}&limit=400",
            b[0], b[1], b[2], b[3]
        ),
    )?;
    let mut points = Vec::new();
    let mut names = Vec::new();
    for f in fac["features"].as_array().context("facilities")? {
        let c = &f["geometry"]["coordinates"];
        if let (Some(lon), Some(lat)) = (c[0].as_f64(), c[1].as_f64()) {
            points.push((lon, lat));
        }
        if let Some(n) = f["properties"]["name"].as_str() {
            names.push(n.to_owned());
        }
    }
    if points.len() < 50 {
        bail!("only {} facilities in the city's bounds", points.len());
    }
    for level in ["district", "township"] {
        let units = get_json(base, &format!("/api/v1/admin?level={level}"))?;
        for u in units["features"].as_array().context("admin")? {
            if let Some(n) = u["properties"]["name"].as_str() {
                names.push(n.to_owned());
            }
        }
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
    points.shuffle(&mut rng);
    points.truncate(60);
    for &(lon, lat) in points.iter().take(20) {
        let rev = get_json(base, &format!("/api/v1/reverse?lon={lon}&lat={lat}"))?;
        if let Some(road) = rev["road"]["name"].as_str() {
            names.push(road.to_owned());
        }
    }
    names.sort();
    names.dedup();
    names.shuffle(&mut rng);
    names.truncate(80);

    let mut r = Vec::new();
    for &(lon, lat) in &points {
        for (z, layer) in [
            (8, "all"),
            (11, "all"),
            (13, "facilities"),
            (14, "all"),
            (15, "doorplates"),
        ] {
            let (x, y) = tile_xy(lon, lat, z);
            r.push(format!("/tiles/{layer}/{z}/{x}/{y}.mvt"));
        }
        r.push(format!("/api/v1/reverse?lon={lon:.6}&lat={lat:.6}"));
        r.push(format!("/api/v1/admin/at?lon={lon:.6}&lat={lat:.6}"));
        let d = 0.01;
        r.push(format!(
            "/api/v1/facilities?bbox={:.6},{:.6},{:.6},{:.6}&limit=100",
            lon - d,
            lat - d,
            lon + d,
            lat + d
        ));
        r.push(format!(
            "/api/v1/facilities/nearest?lon={lon:.6}&lat={lat:.6}&category=elder_canteen&k=5&mode=walk"
        ));
    }
    for n in &names {
        r.push(format!("/api/v1/search?q={}&limit=10", percent_encode(n)));
        let prefix: String = n.chars().take(2).collect();
        r.push(format!(
            "/api/v1/autocomplete?q={}&limit=10",
            percent_encode(&prefix)
        ));
    }
    for category in ["elder_canteen", "home_care_centre", "children_home"] {
        r.push(format!(
            "/api/v1/coverage?category={category}&minutes=15&level=township"
        ));
        r.push(format!(
            "/api/v1/coverage/gaps?category={category}&limit=50"
        ));
    }
    for level in ["district", "township"] {
        r.push(format!("/api/v1/indicators?level={level}"));
    }
    r.extend(std::iter::repeat_n("/health".to_owned(), 10));
    r.shuffle(&mut rng);
    Ok(r)
}

/// wrk's Lua: each thread cycles through the route list from its own offset, counts answers
/// by status, and the summary prints them with the latency percentiles.
fn lua(paths: &[String]) -> String {
    let list: String = paths.iter().map(|p| format!("  {p:?},\n")).collect();
    format!(
        r#"local paths = {{
{list}}}
local threads = {{}}
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  i = offset % #paths
  statuses = {{}}
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  local total = {{}}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("STATUS %d %d\n", k, v)) end
  io.write(string.format("LATENCY_US p50 %d p99 %d max %d\n",
    latency:percentile(50), latency:percentile(99), latency.max))
  local e = summary.errors
  io.write(string.format("SUMMARY requests %d duration_us %d connect %d read %d write %d timeout %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout))
end
"#
    )
}

/// One wrk run's figures.
#[derive(Debug, Default)]
struct Run {
    requests: u64,
    duration_s: f64,
    statuses: BTreeMap<u16, u64>,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    socket_errors: BTreeMap<&'static str, u64>,
}

fn wrk(base: &str, script: &std::path::Path, a: &Args, secs: u64) -> anyhow::Result<Run> {
    let out = Command::new("wrk")
        .args([
            &format!("-t{}", a.threads),
            &format!("-c{}", a.connections),
            &format!("-d{secs}s"),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(script)
        .arg(base)
        .output()
        .context("wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut run = Run::default();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first().copied() {
            Some("STATUS") => {
                run.statuses.insert(w[1].parse()?, w[2].parse()?);
            }
            Some("LATENCY_US") => {
                run.p50_ms = w[2].parse::<f64>()? / 1000.0;
                run.p99_ms = w[4].parse::<f64>()? / 1000.0;
                run.max_ms = w[6].parse::<f64>()? / 1000.0;
            }
            Some("SUMMARY") => {
                run.requests = w[2].parse()?;
                run.duration_s = w[4].parse::<f64>()? / 1e6;
                for (k, i) in [("connect", 6), ("read", 8), ("write", 10), ("timeout", 12)] {
                    run.socket_errors.insert(k, w[i].parse()?);
                }
            }
            _ => {}
        }
    }
    if run.requests == 0 {
        bail!("no summary in wrk's output:\n{text}");
    }
    Ok(run)
}

fn main() -> anyhow::Result<()> {
    let a = args()?;
    let server = Civmap::serve(&[])?;
    let pid = server.pid();
    let base = server.base.clone();
    // the coverage engine builds in the background after listening: wait for it
    let t = Instant::now();
    while !reqwest::blocking::get(format!("{base}/readyz")).is_ok_and(|r| r.status().is_success()) {
        if t.elapsed() > Duration::from_secs(300) {
            bail!("not ready after 300 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let paths = routes(&base)?;
    // every route of the mix answers 2xx when asked alone: the load run then judges the
    // server, not the list
    for p in &paths {
        let r = reqwest::blocking::get(format!("{base}{p}"))?;
        if !r.status().is_success() {
            bail!("{p}: {} alone, before any load", r.status());
        }
    }
    let script = std::env::temp_dir().join(format!("civmap-load-{}.lua", std::process::id()));
    std::fs::write(&script, lua(&paths))?;
    let kinds = |prefix: &str| paths.iter().filter(|p| p.starts_with(prefix)).count();
    println!(
        "{} routes: {} tiles, {} search, {} autocomplete, {} reverse, {} admin/at, {} facilities bbox, {} nearest, {} coverage/gaps/indicators, {} health; wrk -t{} -c{}; RSS at start {} MiB",
        paths.len(),
        kinds("/tiles/"),
        kinds("/api/v1/search"),
        kinds("/api/v1/autocomplete"),
        kinds("/api/v1/reverse"),
        kinds("/api/v1/admin/at"),
        kinds("/api/v1/facilities?"),
        kinds("/api/v1/facilities/nearest"),
        kinds("/api/v1/coverage") + kinds("/api/v1/indicators"),
        kinds("/health"),
        a.threads,
        a.connections,
        rss_kib(pid)? / 1024
    );

    if a.warmup_s > 0 {
        let w = wrk(&base, &script, &a, a.warmup_s)?;
        println!(
            "warm-up {} s: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
            a.warmup_s,
            w.requests as f64 / w.duration_s,
            w.p50_ms,
            w.p99_ms
        );
    }
    let rss_warm = rss_kib(pid)?;

    // RSS every few seconds while the main run lasts
    let samples = Arc::new(Mutex::new(vec![(0.0, rss_warm)]));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, stop, every) = (samples.clone(), stop.clone(), a.rss_sample_s);
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut next = Duration::from_secs(every);
            while !stop.load(Ordering::Relaxed) {
                if t.elapsed() >= next {
                    if let Ok(kib) = rss_kib(pid) {
                        samples
                            .lock()
                            .unwrap()
                            .push((t.elapsed().as_secs_f64(), kib));
                    }
                    next += Duration::from_secs(every);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let run = wrk(&base, &script, &a, a.duration_s)?;
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let rss_end = rss_kib(pid)?;
    let _ = std::fs::remove_file(&script);
    let samples = samples.lock().unwrap().clone();
    let rss_max = samples
        .iter()
        .map(|s| s.1)
        .chain([rss_end])
        .max()
        .unwrap_or(rss_end);

    let ok: u64 = run
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    let shed = run.statuses.get(&503).copied().unwrap_or(0);
    let other: Vec<String> = run
        .statuses
        .iter()
        .filter(|(s, _)| !(200..300).contains(*s) && **s != 503)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let socket: u64 = run.socket_errors.values().sum();
    let growth_pct = (rss_end as f64 / rss_warm as f64 - 1.0) * 100.0;
    println!(
        "run {:.0} s: {} requests, {:.0} req/s, latency p50 {:.2} ms, p99 {:.2} ms, max {:.0} ms",
        run.duration_s,
        run.requests,
        run.requests as f64 / run.duration_s,
        run.p50_ms,
        run.p99_ms,
        run.max_ms
    );
    println!(
        "answers: {ok} 2xx, {shed} 503 (shed), other non-2xx: {}; socket errors: {:?}",
        if other.is_empty() {
            "none".to_owned()
        } else {
            other.join(", ")
        },
        run.socket_errors
    );
    let trace: Vec<String> = samples
        .iter()
        .map(|(t, kib)| format!("{t:.0}s:{}", kib / 1024))
        .collect();
    println!("RSS MiB every {} s: {}", a.rss_sample_s, trace.join(" "));
    println!(
        "RSS: {:.1} MiB at warm-up end, {:.1} MiB at the end ({growth_pct:+.1}%), max {:.1} MiB",
        rss_warm as f64 / 1024.0,
        rss_end as f64 / 1024.0,
        rss_max as f64 / 1024.0
    );
    let mut failures = Vec::new();
    if !other.is_empty() {
        failures.push(format!(
            "non-2xx answers other than 503: {}",
            other.join(", ")
        ));
    }
    if socket > 0 {
        failures.push(format!("socket errors: {:?}", run.socket_errors));
    }
    if growth_pct > a.rss_growth_pct {
        failures.push(format!(
            "RSS grew {growth_pct:.1}% after the warm-up (limit {}%)",
            a.rss_growth_pct
        ));
    }
    if !failures.is_empty() {
        bail!("FAIL: {}", failures.join("; "));
    }
    println!(
        "OK: no errors other than shedding, RSS within {}% of the warm-up's",
        a.rss_growth_pct
    );
    Ok(())
}
