//! Boundary lines for the whole default city (1 city, 13 districts, townships and
//! communities, every level in one call: snapping, junctions, sides, ids, geodesic and GK
//! lengths). Issue 14's target: < 200 ms.
//!
//! `survey/validate_window_after_one_edit`: with a [`Validator`] built over the whole city,
//! one township is edited (a vertex pulled ≈1 m off its first edge, 6 findings) and the
//! window around it re-validated at every level: `update` + `validate_window`, what an
//! editor pays per save (restoring the township between iterations is not timed). Issue
//! 14's target: < 50 ms. Recorded 2026-12-06 04:15 (load ~9–11): [23.128 ms 23.617 ms
//! 24.255 ms]. (At 01:30 it was 56.2 ms: polylabel measured the bulge's thin pieces; the
//! width of elongated pieces is now found by erosion, see `survey::width`.)
//!
//! `survey/validate_whole_city_rounded_to_1e-6_deg`: a validator built and run at every
//! level over the city with its coordinates rounded to 6 decimals, as GET /api/v1/admin
//! answers it (T-junctions move by up to 5 cm: ~1,700 sliver findings). Recorded
//! 2026-12-06 04:15: [2.2747 s 2.2998 s 2.3241 s]; before erosion widths it took over
//! ten minutes (the debug CLI did not finish one township level in 60 s).
//!
//! `cargo bench -p civmap-geo-core --bench survey`
//!
//! Recorded 2026-12-06 00:54 on 2 shared cores (load average ~10, so indicative): 3,530
//! units → 10,672 lines in [131.7 ms 155.8 ms 185.7 ms] (criterion's interval; 155.8 ms
//! the middle estimate).

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::survey::lines::boundary_lines;
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::{AdminLevel, AdminUnit};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use geo::{BoundingRect, Coord, MapCoordsInPlace};
use std::time::{Duration, Instant};

/// The first township with a vertex pulled ≈1 m (0.00001°) off the middle of its first edge.
fn edited_township(units: &[AdminUnit]) -> AdminUnit {
    let mut edited = units
        .iter()
        .find(|u| u.level == AdminLevel::Township)
        .expect("the default city has townships")
        .clone();
    edited.geometry.0[0].exterior_mut(|ls| {
        let (a, b) = (ls.0[0], ls.0[1]);
        ls.0.insert(
            1,
            Coord {
                x: (a.x + b.x) / 2.0 + 1e-5,
                y: (a.y + b.y) / 2.0 + 1e-5,
            },
        );
    });
    edited
}

fn bench(c: &mut Criterion) {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let mut g = c.benchmark_group("survey");
    g.sample_size(20);
    g.bench_function("boundary_lines_whole_city", |b| {
        b.iter(|| black_box(boundary_lines(black_box(&ds.admin))))
    });
    let original = ds
        .admin
        .iter()
        .find(|u| u.level == AdminLevel::Township)
        .expect("the default city has townships")
        .clone();
    let edited = edited_township(&ds.admin);
    let window = edited
        .geometry
        .bounding_rect()
        .expect("a township has a box");
    let mut validator = Validator::new(&ds.admin, ValidateOptions::default());
    validator.update(edited.clone());
    assert!(
        !validator
            .validate_window(window, &AdminLevel::ALL)
            .is_empty(),
        "a 1 m bulge into the neighbours must be found"
    );
    validator.update(original.clone());
    // only the edit is timed (update + window, 6 findings); restoring the township is not
    g.bench_function("validate_window_after_one_edit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                validator.update(original.clone());
                let unit = edited.clone();
                let t = Instant::now();
                validator.update(unit);
                black_box(validator.validate_window(window, &AdminLevel::ALL));
                total += t.elapsed();
            }
            total
        })
    });
    // the frame as GET /api/v1/admin answers it: 6 decimals move T-junctions by up to 5 cm,
    // so every level is full of slivers (~1,700 findings, most of them 1–10 cm wide and
    // hundreds of metres long)
    let rounded: Vec<AdminUnit> = ds.admin.iter().map(rounded_to_micro_degrees).collect();
    g.bench_function("validate_whole_city_rounded_to_1e-6_deg", |b| {
        b.iter(|| {
            let v = Validator::new(black_box(&rounded), ValidateOptions::default());
            black_box(v.validate(&AdminLevel::ALL))
        })
    });
    g.finish();
}

/// `u` with every coordinate rounded to 6 decimals (≈0.1 m).
fn rounded_to_micro_degrees(u: &AdminUnit) -> AdminUnit {
    let mut u = u.clone();
    u.geometry.map_coords_in_place(|c| Coord {
        x: (c.x * 1e6).round() / 1e6,
        y: (c.y * 1e6).round() / 1e6,
    });
    u
}

criterion_group!(benches, bench);
criterion_main!(benches);
