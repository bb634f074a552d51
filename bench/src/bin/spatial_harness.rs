//! Side-by-side: the same query list against civmap in-process (R-trees), civmap over HTTP
//! and PostGIS (client round trip, and its own execution time from EXPLAIN ANALYZE), on the
//! same default city. Prints medians and ratios.
//!
//! `cargo build --release -p civmap && cargo run --release -p civmap-bench --bin spatial_harness -- [QUERIES]`

use std::time::Instant;

use anyhow::Context;
use civmap_bench::{median, us, Civmap, Cluster};
use civmap_data::postgis::PgStore;
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::index::SpatialIndex;
use civmap_geo_core::FacilityCategory;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Default)]
struct Times {
    inproc: Vec<f64>,
    http: Vec<f64>,
    pg_client: Vec<f64>,
    pg_exec: Vec<f64>,
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1000);
    let ds = generate(&GeneratorConfig::default(), &mut |_| {})?;
    let index = SpatialIndex::build(&ds);
    let cluster = Cluster::start()?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut store = PgStore::connect(&cluster.url).await?;
        store.push(&ds, &mut |_, _, _| {}).await?;
        anyhow::Ok(())
    })?;
    let civmap = Civmap::serve(&["--db", &cluster.url])?;
    let http = reqwest::blocking::Client::new();
    let (client, conn) =
        rt.block_on(tokio_postgres::connect(&cluster.url, tokio_postgres::NoTls))?;
    rt.spawn(conn);
    rt.block_on(client.batch_execute("ANALYZE"))?;

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut queries = Vec::with_capacity(n);
    for _ in 0..n {
        let lon = rng.gen_range(120.00..120.40);
        let lat = rng.gen_range(30.15..30.40);
        let cat = FacilityCategory::ALL[rng.gen_range(0..3)];
        queries.push((lon, lat, cat));
    }
    let kinds: [(&str, &str); 3] = [
        (
            "nearest k=10",
            "SELECT id, d FROM (SELECT id, ST_Distance(geom::geography, q::geography) AS d FROM civmap.facilities, ST_SetSRID(ST_MakePoint($1, $2), 4326) q WHERE category = $3 ORDER BY geom::geography <-> q::geography LIMIT 26) c ORDER BY d, id LIMIT 10",
        ),
        (
            "within 1 km",
            "SELECT id, ST_Distance(geom::geography, q::geography) AS d FROM civmap.facilities, ST_SetSRID(ST_MakePoint($1, $2), 4326) q WHERE category = $3 AND ST_DWithin(geom::geography, q::geography, 1000) ORDER BY d, id",
        ),
        (
            "admin at point",
            "SELECT code, level FROM civmap.admin_units WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) AND $3::text IS NOT NULL",
        ),
    ];
    println!(
        "{n} queries per kind, default city ({} facilities, {} admin units)",
        ds.facilities.len(),
        ds.admin.len()
    );
    println!(
        "{:<16} {:>12} {:>12} {:>14} {:>14} {:>10} {:>10}",
        "query", "in-proc µs", "HTTP µs", "PostGIS rt µs", "PostGIS ex µs", "ex/in", "rt/in"
    );
    for (ki, (name, sql)) in kinds.iter().enumerate() {
        let stmt = rt.block_on(client.prepare(sql))?;
        let explain =
            rt.block_on(client.prepare(&format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}")))?;
        let mut t = Times::default();
        // each system answers the whole list in turn, warm, one query at a time
        for &(lon, lat, cat) in &queries {
            let filter = Some(&[cat][..]);
            let s = Instant::now();
            let found = match ki {
                0 => index.facilities().nearest(lon, lat, 10, filter)?.len(),
                1 => index.facilities().within(lon, lat, 1000.0, filter)?.len(),
                _ => index.admin_chain(lon, lat)?.len(),
            };
            t.inproc.push(us(s.elapsed()));
            std::hint::black_box(found);
        }
        for &(lon, lat, cat) in &queries {
            let url = match ki {
                0 => format!(
                    "{}/api/v1/facilities/nearest?lon={lon}&lat={lat}&k=10&category={}",
                    civmap.base,
                    cat.id()
                ),
                1 => format!(
                    "{}/api/v1/facilities/within?lon={lon}&lat={lat}&radius_m=1000&category={}",
                    civmap.base,
                    cat.id()
                ),
                _ => format!("{}/api/v1/admin/at?lon={lon}&lat={lat}", civmap.base),
            };
            let s = Instant::now();
            let body = http.get(&url).send()?.bytes()?;
            t.http.push(us(s.elapsed()));
            std::hint::black_box(body);
        }
        for &(lon, lat, cat) in &queries {
            let s = Instant::now();
            let rows = rt.block_on(client.query(&stmt, &[&lon, &lat, &cat.id()]))?;
            t.pg_client.push(us(s.elapsed()));
            std::hint::black_box(rows);
        }
        for &(lon, lat, cat) in &queries {
            let plan = rt.block_on(client.query_one(&explain, &[&lon, &lat, &cat.id()]))?;
            let v: serde_json::Value = plan.get(0);
            let ms = v[0]["Execution Time"]
                .as_f64()
                .context("no Execution Time in EXPLAIN output")?;
            t.pg_exec.push(ms * 1000.0);
        }
        let (i, h, c, e) = (
            median(&mut t.inproc),
            median(&mut t.http),
            median(&mut t.pg_client),
            median(&mut t.pg_exec),
        );
        println!(
            "{name:<16} {i:>12.2} {h:>12.1} {c:>14.1} {e:>14.1} {:>9.0}× {:>9.0}×",
            e / i,
            c / i
        );
    }
    println!("ex/in: PostGIS's own execution time over civmap in-process; rt/in: PostGIS client round trip over civmap in-process.");
    Ok(())
}
