//! Side-by-side: place-name search in civmap (in-process) and in PostgreSQL `pg_trgm`
//! (`%` with a GIN trigram index, ranked by `similarity`) on the same names and the same
//! queries (the 347 of the quality set), then civmap over HTTP under wrk at ~500 requests/s
//! for autocomplete and search, and the cost of a live edit (a facility renamed) against a
//! rebuild. Prints medians, p99 and ratios.
//!
//! wrk (not wrk2) cannot hold a constant rate: each of its 50 connections sends one request,
//! waits for the answer and then sleeps 100 ms (the Lua `delay`), so the offered rate is
//! 50 / (0.1 s + latency) ≈ 500/s while answers are fast, and the achieved rate is printed
//! beside the percentiles.
//!
//! `cargo build --release -p civmap && cargo run --release -p civmap-bench --bin gazetteer_harness`

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use civmap_bench::{median, root, us, Civmap, Cluster};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::gazetteer::{hangzhou_aliases, Gazetteer, PlaceEdit, SearchOptions};

fn percent_encode(s: &str) -> String {
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

/// wrk connections: with many connections each waiting `conns / rate` between requests,
/// the latency changes the offered rate little.
const WRK_CONNECTIONS: u32 = 50;

/// Runs wrk at about `rate` requests/s over `paths` for `secs`; returns (p50 ms, p99 ms, req/s).
fn wrk(base: &str, paths: &[String], rate: u32, secs: u32) -> anyhow::Result<(f64, f64, f64)> {
    let conns = WRK_CONNECTIONS;
    let delay_ms = 1000.0 * f64::from(conns) / f64::from(rate);
    let list = paths
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(",\n");
    let script = format!(
        "local paths = {{\n{list}\n}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\ndelay = function() return {delay_ms} end\n"
    );
    let path = std::env::temp_dir().join(format!("civmap-wrk-{}.lua", std::process::id()));
    std::fs::write(&path, script)?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&path)
        .arg(base)
        .output()
        .context("wrk (apt-get install wrk)")?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (rps, p50, p99) = civmap_bench::parse_wrk(&text)?;
    Ok((p50, p99, rps))
}

fn main() -> anyhow::Result<()> {
    let quality = std::fs::read_to_string(root().join("geo-core/tests/gazetteer/quality.tsv"))?;
    let queries: Vec<String> = quality
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect();
    let ds = generate(&GeneratorConfig::default(), &mut |_| {})?;
    let t = Instant::now();
    let gaz = Gazetteer::build(&ds, &hangzhou_aliases());
    let build_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "gazetteer: built in {build_ms:.0} ms, {} entries, {} keys, ~{:.1} MiB heap",
        gaz.len(),
        gaz.key_count(),
        gaz.approx_heap_bytes() as f64 / (1 << 20) as f64
    );

    // the same names in PostgreSQL with a trigram index
    let mut names: BTreeSet<(String, &str)> = BTreeSet::new();
    for u in &ds.admin {
        names.insert((u.name.clone(), "admin"));
    }
    for r in &ds.network.road_names {
        names.insert((r.clone(), "road"));
    }
    for f in &ds.facilities {
        names.insert((f.name.clone(), "facility"));
    }
    for d in &ds.doorplates {
        names.insert((d.address(), "doorplate"));
    }
    let cluster = Cluster::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    let (client, conn) =
        rt.block_on(tokio_postgres::connect(&cluster.url, tokio_postgres::NoTls))?;
    rt.spawn(conn);
    rt.block_on(async {
        client.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE names (name text NOT NULL, kind text NOT NULL)").await?;
        let sink = client.copy_in("COPY names FROM STDIN").await?;
        let mut buf = Vec::new();
        for (n, k) in &names {
            buf.extend_from_slice(format!("{}\t{k}\n", n.replace(['\t', '\n', '\\'], " ")).as_bytes());
        }
        use futures_util::SinkExt;
        let mut sink = Box::pin(sink);
        sink.send(bytes::Bytes::from(buf)).await?;
        sink.close().await?;
        client.batch_execute("CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops); ANALYZE names").await?;
        anyhow::Ok(())
    })?;
    println!("pg_trgm: {} names with a GIN trigram index", names.len());
    let sql = "SELECT name, kind, similarity(name, $1) AS s FROM names WHERE name % $1 ORDER BY s DESC, name LIMIT 10";
    let stmt = rt.block_on(client.prepare(sql))?;
    let explain = rt.block_on(client.prepare(&format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}")))?;

    let (mut ours, mut theirs_rt, mut theirs_ex) = (Vec::new(), Vec::new(), Vec::new());
    for _round in 0..3 {
        for q in &queries {
            let s = Instant::now();
            let hits = gaz.search(q, &SearchOptions::default())?;
            ours.push(us(s.elapsed()));
            std::hint::black_box(hits);
        }
    }
    for q in &queries {
        let s = Instant::now();
        let rows = rt.block_on(client.query(&stmt, &[q]))?;
        theirs_rt.push(us(s.elapsed()));
        std::hint::black_box(rows);
        let plan = rt.block_on(client.query_one(&explain, &[q]))?;
        let v: serde_json::Value = plan.get(0);
        theirs_ex.push(v[0]["Execution Time"].as_f64().context("Execution Time")? * 1000.0);
    }
    let p99 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[(v.len() * 99 / 100).min(v.len() - 1)]
    };
    let (o99, r99) = (p99(&mut ours), p99(&mut theirs_rt));
    let (o, r, e) = (
        median(&mut ours),
        median(&mut theirs_rt),
        median(&mut theirs_ex),
    );
    println!(
        "search, {} queries × 3: civmap in-process median {o:.1} µs (p99 {o99:.0} µs); \
         pg_trgm round trip median {r:.0} µs (p99 {r99:.0} µs), execution median {e:.0} µs",
        queries.len()
    );
    println!(
        "search ratios (pg_trgm median / civmap median): round trip {:.1}×, execution only {:.1}×",
        r / o,
        e / o
    );

    // live edits: a facility renamed goes into the index at once; a rebuild takes the
    // build time above
    let mut edited = gaz.clone();
    let mut apply_us = Vec::new();
    let n_edits = ds.facilities.len().min(2000);
    for (i, f) in ds.facilities.iter().take(n_edits).enumerate() {
        let mut renamed = f.clone();
        renamed.name = format!("鹊桥{i}号老年食堂");
        let s = Instant::now();
        edited.apply(PlaceEdit::SetFacility(i as u32, renamed))?;
        apply_us.push(us(s.elapsed()));
    }
    let mut after = Vec::new();
    for q in &queries {
        let s = Instant::now();
        std::hint::black_box(edited.search(q, &SearchOptions::default())?);
        after.push(us(s.elapsed()));
    }
    let found = edited.search("鹊桥7号老年食堂", &SearchOptions::default())?;
    if found.first().map(|h| h.name.as_str()) != Some("鹊桥7号老年食堂") {
        bail!("a renamed facility is not found: {found:?}");
    }
    println!(
        "live edit: facility rename applied in median {:.1} µs ({n_edits} renames; rebuild {:.0} ms); search median after them {:.1} µs",
        median(&mut apply_us),
        build_ms,
        median(&mut after)
    );
    drop(edited);

    let civmap = Civmap::serve(&[])?;
    let auto: Vec<String> = queries
        .iter()
        .map(|q| format!("/api/v1/autocomplete?q={}", percent_encode(q)))
        .collect();
    let search: Vec<String> = queries
        .iter()
        .map(|q| format!("/api/v1/search?q={}", percent_encode(q)))
        .collect();
    for (name, paths) in [("autocomplete", &auto), ("search", &search)] {
        let (p50, p99, rps) = wrk(&civmap.base, paths, 500, 20)?;
        println!("HTTP {name}: {rps:.0} req/s achieved (offered ~500/s), p50 {p50:.2} ms, p99 {p99:.2} ms (wrk, {WRK_CONNECTIONS} connections paced by delay, 20 s)");
    }
    Ok(())
}
