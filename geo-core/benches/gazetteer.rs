//! Gazetteer latency at the default city's size: the real 3,530 admin units, ~12k roads,
//! ~9k facilities and 500k doorplates. Build time, autocomplete and search medians.

#[path = "../tests/gazetteer/dataset.rs"]
mod dataset;

use std::hint::black_box;
use std::time::Instant;

use civmap_geo_core::gazetteer::{hangzhou_aliases, Gazetteer, SearchOptions};
use criterion::{criterion_group, criterion_main, Criterion};

const AUTOCOMPLETE: &[&str] = &[
    "西",
    "北山",
    "xih",
    "xhq",
    "wensan",
    "文三路1",
    "杭州",
    "lingy",
    "祥瑞",
    "Chun'an",
];
const SEARCH: &[&str] = &[
    "西湖区",
    "北山街道",
    "xihuqu",
    "xhq",
    "航州",
    "hangzou",
    "Beishan Subdistrict",
    "文三路十二号",
    "浙江省杭州市西湖区北山街道文三路12号",
    "下城区",
    "山街",
    "xihu街道",
];

fn bench(c: &mut Criterion) {
    // ~12k roads × ~40 doorplates ≈ 500k; ~9k facilities
    let ds = dataset::dataset(150, 12_000, 41, 7_900);
    let t = Instant::now();
    let gz = Gazetteer::build(&ds, &hangzhou_aliases());
    println!(
        "gazetteer: {} admin, {} facilities, {} doorplates, {} keys; build {:.2} s; heap {:.1} MB",
        ds.admin.len(),
        ds.facilities.len(),
        ds.doorplates.len(),
        gz.key_count(),
        t.elapsed().as_secs_f64(),
        gz.approx_heap_bytes() as f64 / 1e6
    );
    let mut g = c.benchmark_group("gazetteer");
    g.sample_size(10);
    g.bench_function("build", |b| {
        b.iter(|| black_box(Gazetteer::build(&ds, &hangzhou_aliases())))
    });
    g.finish();

    let mut g = c.benchmark_group("gazetteer");
    for q in AUTOCOMPLETE {
        g.bench_function(format!("autocomplete/{q}"), |b| {
            b.iter(|| black_box(gz.autocomplete(black_box(q), 10).unwrap()))
        });
    }
    let opts = SearchOptions::default();
    for q in SEARCH {
        g.bench_function(format!("search/{q}"), |b| {
            b.iter(|| black_box(gz.search(black_box(q), &opts).unwrap()))
        });
    }
    g.finish();
}

/// The quality set (all styles, including the address styles of issue 12) over the default
/// city (seed 20212025, scale 1, 500k doorplates), each query timed on its own: p50, p99 and
/// max over 5 rounds, and the same over each query's fastest round (what is left when the
/// machine's preemptions, ms-long on 2 shared cores, are taken out). Also reverse geocoding
/// far outside the data (the bounded nearest doorplate).
fn quality_latency(c: &mut Criterion) {
    use civmap_data::synthetic::{generate, GeneratorConfig};
    let tsv = include_str!("../tests/gazetteer/quality.tsv");
    let queries: Vec<&str> = tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    let city = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let gz = Gazetteer::build(&city, &hangzhou_aliases());
    let opts = SearchOptions::default();
    let mut all = Vec::new();
    let mut best = vec![f64::MAX; queries.len()];
    for _round in 0..5 {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            black_box(gz.search(black_box(q), &opts).unwrap());
            let us = t.elapsed().as_secs_f64() * 1e6;
            all.push(us);
            best[i] = best[i].min(us);
        }
    }
    let pct = |v: &mut Vec<f64>, p: usize| {
        v.sort_by(f64::total_cmp);
        v[(v.len() * p / 100).min(v.len() - 1)]
    };
    let mut slowest: Vec<(f64, &str)> = best.iter().copied().zip(queries.iter().copied()).collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "quality set, {} queries × 5 on the default city: p50 {:.1} µs, p99 {:.0} µs, max {:.0} µs; \
         per-query fastest round: p50 {:.1} µs, p99 {:.0} µs, max {:.0} µs; slowest: {:?}",
        queries.len(),
        pct(&mut all, 50),
        pct(&mut all, 99),
        pct(&mut all, 100),
        pct(&mut best.clone(), 50),
        pct(&mut best.clone(), 99),
        pct(&mut best, 100),
        &slowest[..5]
    );
    let index = civmap_geo_core::index::SpatialIndex::build(&city);
    let mut g = c.benchmark_group("gazetteer_city");
    g.bench_function("reverse_nearest_within_1km/shanghai", |b| {
        b.iter(|| {
            black_box(
                index
                    .doorplates()
                    .nearest_within(121.47, 31.23, 1000.0)
                    .unwrap(),
            )
        })
    });
    g.bench_function("reverse_nearest_within_1km/0,0", |b| {
        b.iter(|| black_box(index.doorplates().nearest_within(0.0, 0.0, 1000.0).unwrap()))
    });
    g.bench_function("reverse_nearest_within_1km/wulin", |b| {
        b.iter(|| {
            black_box(
                index
                    .doorplates()
                    .nearest_within(120.165, 30.275, 1000.0)
                    .unwrap(),
            )
        })
    });
    g.bench_function("reverse_admin_chain/shanghai", |b| {
        b.iter(|| black_box(index.admin_chain(121.47, 31.23).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, quality_latency, bench);
criterion_main!(benches);
