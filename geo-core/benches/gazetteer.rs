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

criterion_group!(benches, bench);
criterion_main!(benches);
