//! Boundary lines for the whole default city (1 city, 13 districts, townships and
//! communities, every level in one call: snapping, junctions, sides, ids, geodesic and GK
//! lengths). Issue 14's target: < 200 ms.
//!
//! `cargo bench -p civmap-geo-core --bench survey`
//!
//! Recorded 2026-12-06 00:54 on 2 shared cores (load average ~10, so indicative): 3,530
//! units → 10,672 lines in [131.7 ms 155.8 ms 185.7 ms] (criterion's interval; 155.8 ms
//! the middle estimate).

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::survey::lines::boundary_lines;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let mut g = c.benchmark_group("survey");
    g.sample_size(20);
    g.bench_function("boundary_lines_whole_city", |b| {
        b.iter(|| black_box(boundary_lines(black_box(&ds.admin))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
