//! Side-by-side: whole-city walking coverage of one category (elder canteens, 15 minutes at
//! 1.0 m/s = 900 m) in civmap in-process against pgRouting on the same synthetic city.
//!
//! Both sides do the same work on the same data. The walk network's edges (ids, end nodes,
//! cost = our `length_m`) and every doorplate's snap (its edge's two end nodes, leg + partial
//! edge metres to each) are loaded into PostGIS once; the canteens enter both engines at the
//! nearer end node of their snapped edge. pgRouting then runs a multi-source
//! `pgr_drivingDistance(…, 900, directed => false)`, SQL keeps the nearest source per node
//! (`DISTINCT ON`; pgRouting's own `equicost => true` is timed too, but it is not exact in
//! 3.4.2) and joins the
//! node distances to the doorplates (`LEAST(d(a) + to_a, d(b) + to_b) ≤ 900`), counting
//! covered doorplates and elderly; civmap runs `CoverageEngine::coverage` (one bounded
//! multi-source Dijkstra + one pass over the doorplates). The covered counts must agree.
//! Prints the medians of N runs each and the ratio.
//!
//! `cargo run --release -p civmap-bench --bin coverage_harness -- [--scale 1|2|4] [--runs N]`
//!
//! Run of 2026-11-29, scale 1, 5 runs, 2 shared cores under load: both cover 212,194 of
//! 500,000 doorplates; civmap 58.5 ms, pgRouting + SQL 3,477 ms (59×); pgRouting's
//! `equicost => true` 8,019 ms (137×) and 13 doorplates short. Scale 2, 3 runs: both cover
//! 519,485 of 1,000,000; civmap 199 ms, pgRouting + SQL 13,492 ms (68×); `equicost => true`
//! 30,684 ms (154×) and 59 doorplates short.
//! After the two-thread search and edge-grouped doorplate pass (2026-11-29 17:12–17:18,
//! scale 1, 5 runs, two runs back to back): civmap 19.5 ms vs pgRouting + SQL 1,681.6 ms
//! (86×), then civmap 25.0 ms vs 1,638.8 ms (66×); pgRouting itself ran twice as fast as
//! in the earlier run, so the ratio moved less than civmap's own time.

use std::time::Instant;

use anyhow::{bail, Context};
use civmap_bench::{median, Cluster};
use civmap_data::synthetic::{generate, GeneratorConfig, DEFAULT_SEED};
use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
use civmap_geo_core::FacilityCategory;

const MINUTES: f64 = 15.0;

/// The nearest source per node from every source's bounded tree, joined to the doorplates.
const COVERAGE_SQL: &str = "
    WITH dd AS (
      SELECT DISTINCT ON (node) node, agg_cost FROM pgr_drivingDistance(
        'SELECT id, source, target, cost FROM bench.edges', $1::bigint[], $2::float8,
        directed => false, equicost => false)
      ORDER BY node, agg_cost)
    SELECT count(*), coalesce(sum(p.elderly), 0)::bigint
    FROM bench.doorplate_snaps p
    LEFT JOIN dd a ON a.node = p.node_a
    LEFT JOIN dd b ON b.node = p.node_b
    WHERE LEAST(a.agg_cost + p.to_a_m, b.agg_cost + p.to_b_m) <= $2";

/// The same with pgRouting's own `equicost => true` (one row per node), timed for
/// reference: pgRouting 3.4.2 assigns some nodes to a farther source (see
/// tests/tests/coverage_oracle.rs), so its count may differ.
const EQUICOST_SQL: &str = "
    WITH dd AS (
      SELECT node, agg_cost FROM pgr_drivingDistance(
        'SELECT id, source, target, cost FROM bench.edges', $1::bigint[], $2::float8,
        directed => false, equicost => true))
    SELECT count(*), coalesce(sum(p.elderly), 0)::bigint
    FROM bench.doorplate_snaps p
    LEFT JOIN dd a ON a.node = p.node_a
    LEFT JOIN dd b ON b.node = p.node_b
    WHERE LEAST(a.agg_cost + p.to_a_m, b.agg_cost + p.to_b_m) <= $2";

fn arg(name: &str) -> anyhow::Result<Option<u32>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => {
            let v = args
                .get(i + 1)
                .with_context(|| format!("{name} needs a value"))?;
            Ok(Some(
                v.parse()
                    .with_context(|| format!("{name}: not a number: {v}"))?,
            ))
        }
    }
}

fn main() -> anyhow::Result<()> {
    let scale = arg("--scale")?.unwrap_or(1);
    let runs = arg("--runs")?.unwrap_or(5).max(1) as usize;
    let city = generate(
        &GeneratorConfig {
            seed: DEFAULT_SEED,
            scale,
        },
        &mut |_| {},
    )?;
    let t = Instant::now();
    let engine = CoverageEngine::new(&city);
    let build_s = t.elapsed().as_secs_f64();
    let profile = WalkProfile::standard();
    let limit_m = profile.distance_m(MINUTES);

    // Canteens enter at the nearer end of their snapped edge, on both sides.
    let mut source_nodes: Vec<u32> = Vec::new();
    for f in city
        .facilities
        .iter()
        .filter(|f| f.category == FacilityCategory::ElderCanteen)
    {
        let Some(s) = engine.snapper().snap(f.location.x(), f.location.y()) else {
            continue;
        };
        let [a, b] = engine.graph().edge_nodes[s.edge as usize];
        let v = if s.t <= 0.5 { a } else { b };
        if !source_nodes.contains(&v) {
            source_nodes.push(v);
        }
    }
    let sources: Vec<(u32, f64, f64)> = source_nodes
        .iter()
        .enumerate()
        .map(|(slot, &v)| {
            let c = city.network.nodes[v as usize];
            (slot as u32, c.x, c.y)
        })
        .collect();
    println!(
        "scale {scale}: {} nodes, {} edges, {} doorplates, {} elder-canteen source nodes; engine built in {build_s:.2} s",
        city.network.nodes.len(),
        city.network.edges.len(),
        city.doorplates.len(),
        sources.len()
    );

    let mut civmap_ms = Vec::with_capacity(runs);
    let mut civmap_answer = (0u64, 0u64);
    for _ in 0..runs {
        let t = Instant::now();
        let r = engine.coverage(&sources, MINUTES, &profile, CoverageMode::Walk)?;
        civmap_ms.push(t.elapsed().as_secs_f64() * 1e3);
        civmap_answer = (0, 0);
        for (i, &c) in r.covered.iter().enumerate() {
            if c {
                civmap_answer.0 += 1;
                civmap_answer.1 += u64::from(city.doorplates[i].elderly);
            }
        }
    }

    let cluster = Cluster::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    let (client, conn) =
        rt.block_on(tokio_postgres::connect(&cluster.url, tokio_postgres::NoTls))?;
    rt.spawn(conn);
    let t = Instant::now();
    rt.block_on(async {
        client
            .batch_execute(
                "CREATE EXTENSION IF NOT EXISTS pgrouting;
                 CREATE SCHEMA bench;
                 CREATE TABLE bench.edges (id bigint PRIMARY KEY, source bigint NOT NULL,
                                           target bigint NOT NULL, cost float8 NOT NULL);
                 CREATE TABLE bench.doorplate_snaps (id bigint PRIMARY KEY, node_a bigint NOT NULL,
                   node_b bigint NOT NULL, to_a_m float8 NOT NULL, to_b_m float8 NOT NULL,
                   elderly int NOT NULL)",
            )
            .await?;
        let net = &city.network;
        // Self-loops never shorten a walk; civmap's graph leaves them out, so does this.
        let edges: Vec<usize> = (0..net.edges.len())
            .filter(|&i| net.edges[i].from != net.edges[i].to)
            .collect();
        for chunk in edges.chunks(100_000) {
            let ids: Vec<i64> = chunk.iter().map(|&i| i as i64 + 1).collect();
            let s: Vec<i64> = chunk.iter().map(|&i| net.edges[i].from as i64 + 1).collect();
            let t: Vec<i64> = chunk.iter().map(|&i| net.edges[i].to as i64 + 1).collect();
            let c: Vec<f64> = chunk.iter().map(|&i| net.edges[i].length_m).collect();
            client
                .execute(
                    "INSERT INTO bench.edges SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[])",
                    &[&ids, &s, &t, &c],
                )
                .await?;
        }
        let snapped: Vec<usize> = (0..engine.doorplate_count())
            .filter(|&i| engine.doorplate_snap(i).is_some())
            .collect();
        for chunk in snapped.chunks(100_000) {
            let mut cols = (vec![], vec![], vec![], vec![], vec![], vec![]);
            for &i in chunk {
                let s = engine.doorplate_snap(i).context("snapped")?;
                let [a, b] = engine.graph().edge_nodes[s.edge as usize];
                cols.0.push(i as i64);
                cols.1.push(a as i64 + 1);
                cols.2.push(b as i64 + 1);
                cols.3.push(s.offset_m + s.node_a_m);
                cols.4.push(s.offset_m + s.node_b_m);
                cols.5.push(city.doorplates[i].elderly as i32);
            }
            client
                .execute(
                    "INSERT INTO bench.doorplate_snaps SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::int[])",
                    &[&cols.0, &cols.1, &cols.2, &cols.3, &cols.4, &cols.5],
                )
                .await?;
        }
        client
            .batch_execute(
                "CREATE INDEX ON bench.doorplate_snaps (node_a);
                 CREATE INDEX ON bench.doorplate_snaps (node_b);
                 ANALYZE bench.edges; ANALYZE bench.doorplate_snaps",
            )
            .await?;
        anyhow::Ok(())
    })?;
    println!("loaded into PostGIS in {:.1} s", t.elapsed().as_secs_f64());

    let starts: Vec<i64> = source_nodes.iter().map(|&v| v as i64 + 1).collect();
    let stmt = rt.block_on(client.prepare(COVERAGE_SQL))?;
    let mut pg_ms = Vec::with_capacity(runs);
    let mut pg_answer = (0u64, 0u64);
    for _ in 0..runs {
        let t = Instant::now();
        let row = rt.block_on(client.query_one(&stmt, &[&starts, &limit_m]))?;
        pg_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let (n, e): (i64, i64) = (row.get(0), row.get(1));
        pg_answer = (n as u64, e as u64);
    }
    let equicost = rt.block_on(client.prepare(EQUICOST_SQL))?;
    let mut eq_ms = Vec::with_capacity(runs);
    let mut eq_answer = (0u64, 0u64);
    for _ in 0..runs {
        let t = Instant::now();
        let row = rt.block_on(client.query_one(&equicost, &[&starts, &limit_m]))?;
        eq_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let (n, e): (i64, i64) = (row.get(0), row.get(1));
        eq_answer = (n as u64, e as u64);
    }
    if civmap_answer != pg_answer {
        bail!(
            "the answers differ: civmap covers {} doorplates ({} elderly), pgRouting + SQL {} ({})",
            civmap_answer.0,
            civmap_answer.1,
            pg_answer.0,
            pg_answer.1
        );
    }
    let (c, p) = (median(&mut civmap_ms), median(&mut pg_ms));
    println!(
        "both cover {} of {} doorplates ({} elderly) within {limit_m} m",
        civmap_answer.0,
        city.doorplates.len(),
        civmap_answer.1
    );
    println!(
        "{:<44} {:>12} {:>14} {:>8}",
        "whole-city coverage, median of runs", "civmap ms", "pgRouting ms", "ratio"
    );
    println!(
        "{:<44} {c:>12.1} {p:>14.1} {:>7.0}×",
        format!("elder canteens, 15 min, {runs} runs"),
        p / c
    );
    let e = median(&mut eq_ms);
    println!(
        "{:<44} {:>12} {e:>14.1} {:>7.0}×   (covers {} doorplates, {} elderly)",
        "  pgRouting equicost => true, for reference",
        "",
        e / c,
        eq_answer.0,
        eq_answer.1
    );
    println!("pgRouting ms: client round trip of one SQL statement (bounded multi-source driving distance, nearest source per node, join to the pre-snapped doorplates); civmap ms: CoverageEngine::coverage in-process (Dijkstra + every doorplate).");
    Ok(())
}
