//! The history of Hangzhou's divisions from the five real NBS editions (2019–2023).
//!
//! - `history/history_build`: folding the five editions (17,263 rows) into units,
//!   versions, events, ambiguities and the five snapshots. Issue 15's target: < 2 s.
//! - `history/as_of_by_code` against `history/current_by_code`: one code looked up as it
//!   stood on a past day (binary search over the edition dates, then the snapshot's hash
//!   lookup) against the same lookup in a plain code → row map of today's edition, the
//!   current-day query. Issue 15's target: at most 2×. Both look up all 3,530 codes of
//!   2023 (about half absent in 2019) per iteration.
//! - Memory: before the runs, 20 histories are built and kept, and the growth of the
//!   process's resident set (`/proc/self/statm`) divided by 20 is printed as the memory
//!   cost of one history (the editions' own rows, which the caller may drop, excluded).
//!
//! `cargo bench -p civmap-geo-core --bench history_build`
//!
//! Recorded 2026-12-06 04:45 on 2 shared cores (load ~9, so indicative), with
//! `--profile dev -- --warm-up-time 1 --measurement-time 5` (the workspace crates at
//! opt-level 1, dependencies at 3; no release build fitted the time): `history_build`
//! [45.6 ms 47.6 ms 49.6 ms]; `current_by_code` [151.8 µs 154.9 µs 157.7 µs] and
//! `as_of_by_code` [288.7 µs 294.4 µs 300.4 µs] for 3,530 lookups, 1.9× (target ≤ 2×);
//! memory 9.84 MiB per history (3,701 units, 4,279 versions, 1,015 events, 5 snapshots).

use std::collections::HashMap;

use civmap_data::hangzhou;
use civmap_geo_core::history::{Date, History};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory_report(editions: &[civmap_geo_core::history::Edition]) {
    const N: u64 = 20;
    let before = resident_bytes();
    let kept: Vec<History> = (0..N)
        .map(|_| History::build(editions.to_vec()).expect("builds").0)
        .collect();
    let after = resident_bytes();
    if let (Some(b), Some(a)) = (before, after) {
        let units = kept[0].units().len();
        let versions: usize = kept[0].units().iter().map(|u| u.versions.len()).sum();
        eprintln!(
            "history memory: {:.2} MiB per history (resident-set growth over {N} kept histories); \
             {units} units, {versions} versions, {} events, 5 snapshots",
            (a.saturating_sub(b)) as f64 / N as f64 / 1048576.0,
            kept[0].events().len(),
        );
    }
    drop(kept);
}

fn bench(c: &mut Criterion) {
    let editions = hangzhou::editions().expect("the five editions read");
    memory_report(&editions);
    let mut g = c.benchmark_group("history");
    g.bench_function("history_build", |b| {
        b.iter_batched(
            || editions.clone(),
            |e| black_box(History::build(e).expect("builds")),
            BatchSize::LargeInput,
        )
    });

    let (history, _) = History::build(editions.clone()).expect("builds");
    let today = editions.last().expect("five editions");
    let codes: Vec<String> = today.rows.iter().map(|r| r.code.to_string()).collect();
    let current: HashMap<String, &civmap_geo_core::history::DivisionRow> =
        today.rows.iter().map(|r| (r.code.to_string(), r)).collect();
    let past = Date::parse("2020-12-31").expect("a day");
    g.bench_function("current_by_code", |b| {
        b.iter(|| {
            codes
                .iter()
                .filter_map(|c| current.get(c.as_str()))
                .map(|r| r.name.len())
                .sum::<usize>()
        })
    });
    g.bench_function("as_of_by_code", |b| {
        b.iter(|| {
            codes
                .iter()
                .filter_map(|c| {
                    history
                        .as_of(black_box(past))
                        .expect("after the first edition")
                        .by_code(c)
                })
                .map(|u| u.name.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
