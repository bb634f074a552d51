//! Place-name checks at the default city's size: one name (the target is < 1 ms), one name
//! against its township's communities, the romaniser, and the whole-city clean-up batch
//! (the real 3,530 units, ~12k roads, ~9k facilities; the target is < 5 s).
//!
//! Recorded 2026-12-06 05:33 (2 shared cores): check_one [2.69 µs 2.72 µs 2.74 µs],
//! check_one_in_township [53.6 µs 53.9 µs 54.3 µs], romanize_one [474 ns 477 ns 480 ns],
//! batch_city (24,358 records) [89.2 ms 89.7 ms 90.7 ms].

#[path = "../tests/gazetteer/dataset.rs"]
mod dataset;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use civmap_geo_core::names::{
    check_batch, NameChecker, NameKind, NameRecord, NameRules, NameSubject, ScopePeer,
};
use civmap_geo_core::AdminLevel;
use criterion::{criterion_group, criterion_main, Criterion};

const RULES_JSON: &str = include_str!("../../data/names/rules.json");

const NAMES: &[(&str, NameKind)] = &[
    ("文三路", NameKind::Road),
    ("环球中心", NameKind::Building),
    ("威尼斯花园小区", NameKind::Residential),
    ("外源村村委会", NameKind::Community),
    ("长庆街道", NameKind::Township),
    ("星·城MOMA", NameKind::Residential),
];

fn records(ds: &civmap_geo_core::Dataset) -> Vec<NameRecord> {
    let mut out: Vec<NameRecord> = ds.admin.iter().filter_map(NameRecord::of_unit).collect();
    let mut road_district: BTreeMap<&str, String> = BTreeMap::new();
    for p in &ds.doorplates {
        if let Some(c) = &p.community {
            road_district
                .entry(p.road.as_str())
                .or_insert_with(|| format!("{}000000", c.district_prefix()));
        }
    }
    for name in &ds.network.road_names {
        let scope = road_district.get(name.as_str()).cloned();
        out.push(NameRecord::of_road(name, scope));
    }
    out.extend(ds.facilities.iter().map(NameRecord::of_facility));
    out
}

fn bench(c: &mut Criterion) {
    let rules: NameRules = serde_json::from_str(RULES_JSON).expect("rules.json");
    let checker = NameChecker::new(&rules).expect("valid rules");
    let ds = dataset::dataset(1, 12_000, 1, 7_900);
    let records = records(&ds);
    let t = Instant::now();
    let list = check_batch(&checker, &records);
    println!(
        "names: {} records ({} units, {} roads, {} facilities); one batch {:.3} s; {} entries; {:?}",
        records.len(),
        ds.admin.len(),
        ds.network.road_names.len(),
        ds.facilities.len(),
        t.elapsed().as_secs_f64(),
        list.entries.len(),
        list.by_rule
    );

    c.bench_function("names/check_one", |b| {
        let mut i = 0;
        b.iter(|| {
            let (name, kind) = NAMES[i % NAMES.len()];
            i += 1;
            black_box(checker.check(&NameSubject::new(name, kind)))
        })
    });
    // a township with many communities
    let township = ds
        .admin
        .iter()
        .filter(|u| u.level == AdminLevel::Township)
        .max_by_key(|t| {
            ds.admin
                .iter()
                .filter(|u| u.parent.as_ref() == Some(&t.code))
                .count()
        })
        .expect("townships");
    let peers: Vec<ScopePeer<'_>> = ds
        .admin
        .iter()
        .filter(|u| u.parent.as_ref() == Some(&township.code))
        .map(|u| ScopePeer {
            code: u.code.as_str(),
            name: &u.name,
        })
        .collect();
    println!("scope: {} with {} communities", township.name, peers.len());
    c.bench_function("names/check_one_in_township", |b| {
        b.iter(|| {
            black_box(
                checker.check_in_scope(&NameSubject::new("劳村", NameKind::Community), &peers),
            )
        })
    });
    c.bench_function("names/romanize_one", |b| {
        b.iter(|| black_box(checker.romanizer().romanize("新安江街道")))
    });
    let mut g = c.benchmark_group("names_city");
    g.sample_size(10);
    g.bench_function("names/batch_city", |b| {
        b.iter(|| black_box(check_batch(&checker, &records)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
