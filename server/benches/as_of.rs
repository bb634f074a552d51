//! As-of queries against today's (issue 15) on the default city: the admin chain at a point
//! (`/api/v1/admin/at`) and a search of unit names (`/api/v1/search`), each today and as of
//! 2020-12-31 (edition NBS2020, its view built before timing), at the service layer (the
//! routes add the same parsing to both). Cycles over 1,000 doorplate positions and 200
//! township and community names. Before timing it prints the memory of the four past
//! editions' views: the RSS growth of building them (Linux `/proc/self/statm`) and the
//! views' own estimate of their heap (`AsOfView::heap_bytes`), then the same for the tile
//! inputs of one edition.
//!
//! `cargo bench -p civmap --bench as_of -- --warm-up-time 1 --measurement-time 4`
//!
//! Recorded 2026-12-06 08:03 (2 shared cores): admin_at today [0.977 0.989 1.001] µs, as of
//! 2020 [1.147 1.195 1.252] µs (1.21×); search today [10.6 11.0 11.5] µs, as of 2020
//! [39.3 40.1 41.5] µs (3.6×: a linear scan of the edition's ~3,400 names, over the 2×
//! target). Memory: the 4 past views RSS +21.8 MiB (own estimate 4.3 MiB: coordinates, names;
//! it leaves out the index's banded polygons and grid); tile inputs of one edition +21.6 MiB.

use std::sync::Arc;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::AdminLevel;
use civmap_server::service::as_of::AsOf;
use civmap_server::service::history::history;
use civmap_server::service::{AppState, StoreKind};
use criterion::{criterion_group, criterion_main, Criterion};

/// Resident set size, bytes (0 where `/proc` is not there).
fn rss_bytes() -> usize {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .unwrap_or(0);
    pages * 4096
}

fn bench(c: &mut Criterion) {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city");
    let step = (ds.doorplates.len() / 1_000).max(1);
    let points: Vec<(f64, f64)> = ds
        .doorplates
        .iter()
        .step_by(step)
        .map(|d| (d.location.x(), d.location.y()))
        .collect();
    let names: Vec<String> = ds
        .admin
        .iter()
        .filter(|u| u.level >= AdminLevel::Township)
        .step_by(7)
        .take(200)
        .map(|u| u.name.clone())
        .collect();
    let state = Arc::new(AppState::new(ds, StoreKind::Embedded));
    let data = &state.data;
    history().expect("the history");

    let before = rss_bytes();
    let editions = history().unwrap().editions().len();
    let mut heap = 0;
    for e in 0..editions - 1 {
        heap += data.as_of_view(e).expect("a view").heap_bytes();
    }
    let views_rss = rss_bytes().saturating_sub(before);
    let before = rss_bytes();
    let past = AsOf::parse("as_of", Some("2020-12-31")).expect("a past day");
    let AsOf::Past { edition, .. } = past else {
        panic!("2020-12-31 is a past edition")
    };
    data.as_of_view(edition).unwrap().tiles();
    let tiles_rss = rss_bytes().saturating_sub(before);
    eprintln!(
        "as-of views of {} past editions: RSS +{:.1} MiB, estimated heap {:.1} MiB; tile inputs of one edition: RSS +{:.1} MiB",
        editions - 1,
        views_rss as f64 / 1048576.0,
        heap as f64 / 1048576.0,
        tiles_rss as f64 / 1048576.0
    );

    let mut g = c.benchmark_group("admin_at");
    let mut i = 0;
    g.bench_function("today", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            let (lon, lat) = points[i];
            data.admin_at(lon, lat).expect("a chain")
        })
    });
    g.bench_function("as_of_2020", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            let (lon, lat) = points[i];
            data.admin_at_as_of(lon, lat, past).expect("a chain")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("search");
    g.bench_function("today", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            data.search(&names[i], 10, None, Vec::new())
                .expect("places")
        })
    });
    g.bench_function("as_of_2020", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            data.search_as_of(&names[i], 10, None, Vec::new(), past)
                .expect("places")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
