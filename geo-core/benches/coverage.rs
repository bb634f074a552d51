//! Coverage on the generated city at scale 1, 2 and 4 (each generated once): one
//! category's whole-city coverage (elder canteens, 15 minutes, default profile), one
//! what-if edit (move a canteen: incremental label repair, then re-evaluation of only the
//! doorplates on relabelled edges), siting with k = 10 (greedy + CELF over up to 2,000
//! candidate nodes) and building the engine itself (CSR graph, edge R-tree, every doorplate
//! snapped), which the server does at start-up.
//!
//! `cargo bench -p civmap-geo-core --bench coverage -- --warm-up-time 1 --measurement-time 3`
//!
//! `CIVMAP_BENCH_SCALES=1` (a comma-separated list) generates only those scales: a
//! criterion filter alone still generates all three cities first.
//!
//! Medians recorded 2026-11-29 on 2 shared cores (load average 8–14, so indicative):
//!
//! | scale (doorplates) | one category | scenario edit | siting k = 10 | engine build |
//! |---|---|---|---|---|
//! | 1 (500k) | 62.5 ms | 20.5 ms | 121.5 ms | 1.01 s |
//! | 2 (1M) | 184.4 ms | 41.4 ms | 328.0 ms | 2.08 s |
//! | 4 (2M) | 573.8 ms | 89.1 ms | 745.0 ms | 4.93 s |
//!
//! After the two-thread search (west/east source halves merged exactly) and the
//! edge-grouped doorplate pass (2026-11-29 17:15, load ~10, filter
//! `'elder_canteen|scenario_move_one_canteen$|siting'`): one category 24.8 ms / 61.4 ms /
//! 186.2 ms at scale 1 / 2 / 4 (edit 0.13 / 0.26 / 0.52 ms and siting 62.0 / 105.8 /
//! 247.5 ms in the same run, with main's scenario and siting changes).
//!
//! Cancellation checks (issue 13: every 1,024 heap pops, doorplate-pass edges, siting
//! candidates and gains): main vs the branch, five alternating runs each
//! (`CIVMAP_BENCH_SCALES=1`, filter `'coverage_scale1/(elder_canteen_15min_walk|scenario_move_one_canteen|siting_k10)$'`,
//! 2026-12-05 20:37–21:26, load 9–12 on 2 shared cores), median of the five criterion
//! medians: one category 55.4 → 58.7 ms, scenario edit 191 → 223 µs, siting 145.6 → 131.1
//! ms — within the run-to-run spread of either binary (42–61 ms, 173–242 µs, 79–151 ms),
//! so no cost is measurable here.
//!
//! The engine build was 5.5 s / 9.5 s / 31 s at scale 1 / 2 / 4 with the R-tree snapper and
//! one thread.

use std::time::Instant;

use civmap_data::synthetic::{generate, GeneratorConfig, DEFAULT_SEED};
use civmap_geo_core::coverage::{
    suggest_sites, CoverageEngine, CoverageMode, ScenarioCoverage, WalkProfile,
};
use civmap_geo_core::FacilityCategory;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let profile = WalkProfile::standard();
    let scales: Vec<u32> = std::env::var("CIVMAP_BENCH_SCALES")
        .ok()
        .map(|v| {
            v.split(',')
                .map(|s| {
                    s.trim()
                        .parse()
                        .expect("CIVMAP_BENCH_SCALES: comma-separated integers")
                })
                .collect()
        })
        .unwrap_or_else(|| vec![1, 2, 4]);
    for scale in scales {
        let t = Instant::now();
        let city = generate(
            &GeneratorConfig {
                seed: DEFAULT_SEED,
                scale,
            },
            &mut |_| {},
        )
        .expect("the generator runs");
        let generated = t.elapsed();
        let t = Instant::now();
        let engine = CoverageEngine::new(&city);
        let built = t.elapsed();
        let sources: Vec<(u32, f64, f64)> = city
            .facilities
            .iter()
            .enumerate()
            .filter(|(_, f)| f.category == FacilityCategory::ElderCanteen)
            .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
            .collect();
        let base = engine
            .coverage(&sources, 15.0, &profile, CoverageMode::Walk)
            .unwrap();
        eprintln!(
            "scale {scale}: {} nodes, {} edges, {} doorplates, {} canteens; generated in {:.1?}, engine built in {:.1?}; {:.1}% of doorplates covered",
            city.network.nodes.len(),
            city.network.edges.len(),
            city.doorplates.len(),
            sources.len(),
            generated,
            built,
            100.0 * base.covered_count() as f64 / city.doorplates.len().max(1) as f64
        );
        let mut group = c.benchmark_group(format!("coverage_scale{scale}"));
        group.sample_size(10);
        group.bench_function("elder_canteen_15min_walk", |b| {
            b.iter(|| {
                engine
                    .coverage(black_box(&sources), 15.0, &profile, CoverageMode::Walk)
                    .unwrap()
            })
        });
        let mut scenario = ScenarioCoverage::new(&engine, &sources, 15.0, &profile).unwrap();
        let (record, lon, lat) = sources[sources.len() / 2];
        let mut flip = false;
        group.bench_function("scenario_move_one_canteen", |b| {
            b.iter(|| {
                flip = !flip;
                let d = if flip { 0.004 } else { 0.0 };
                scenario.relocate(record, lon + d, lat + d).unwrap();
                // the repaired result, borrowed (`result()` would add a copy of it)
                black_box(scenario.current().covered.len())
            })
        });
        // the same edit followed by a pass over every doorplate, as before the edge index
        group.bench_function("scenario_move_one_canteen_full_pass", |b| {
            b.iter(|| {
                flip = !flip;
                let d = if flip { 0.004 } else { 0.0 };
                scenario.relocate(record, lon + d, lat + d).unwrap();
                black_box(scenario.evaluate_all().covered.len())
            })
        });
        group.bench_function("siting_k10", |b| {
            b.iter(|| suggest_sites(&engine, &sources, 15.0, &profile, 10, None).unwrap())
        });
        group.bench_function("engine_build", |b| {
            b.iter(|| CoverageEngine::new(black_box(&city)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
