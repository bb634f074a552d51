//! The impact report of a transfer proposal on the whole default city: `apply` (the branch:
//! new code, both townships recomputed as snapped union and difference) + `impact`
//! (residents moved, re-parented doorplates and facilities, boundary lines around the
//! change, markers, codes, former names, the survey validator before and after on the
//! affected window, home-care coverage at 15 and 20 minutes and the plan indicators of
//! every affected unit before and after). The coverage flags and the lines in force are
//! inputs: the server holds them cached. Issue 15's target: < 300 ms.
//!
//! `cargo bench -p civmap-geo-core --bench proposal`
//!
//! Recorded 2026-12-06 07:16 on 2 shared cores (five builders running, so indicative):
//! [84.2 ms 92.3 ms 102.4 ms] (criterion's interval; 92.3 ms the middle estimate).

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
use civmap_geo_core::proposal::{apply, impact, ImpactInputs, ProposalKind};
use civmap_geo_core::survey::lines::boundary_lines;
use civmap_geo_core::{AdminLevel, FacilityCategory};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let city = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    let engine = CoverageEngine::new(&city);
    let sources: Vec<(u32, f64, f64)> = city
        .facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == FacilityCategory::HomeCareCentre)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect();
    let [hc15, hc20] = [15.0, 20.0].map(|m| {
        engine
            .coverage(&sources, m, &WalkProfile::standard(), CoverageMode::Walk)
            .expect("coverage runs")
            .covered
    });
    let lines = boundary_lines(&city.admin);
    let parent = |code: &civmap_geo_core::AdminCode| {
        city.admin
            .iter()
            .find(|u| &u.code == code)
            .and_then(|u| u.parent.clone())
    };
    // a community on a township border, moving to the township across it
    let kind = lines
        .iter()
        .filter(|l| l.level == AdminLevel::Community)
        .find_map(|l| {
            let right = l.right.as_ref()?;
            let (from, to) = (parent(&l.left)?, parent(right)?);
            (from != to && parent(&from) == parent(&to)).then(|| ProposalKind::Transfer {
                community: l.left.clone(),
                to_township: to,
            })
        })
        .expect("a community on a township border");
    let inputs = ImpactInputs {
        admin: &city.admin,
        doorplates: &city.doorplates,
        facilities: &city.facilities,
        lines: &lines,
        markers: &[],
        home_care_15: &hc15,
        home_care_20: &hc20,
    };
    let mut g = c.benchmark_group("proposal");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("transfer_full_impact_report", |b| {
        b.iter(|| {
            let branch = apply(black_box(&kind), &city.admin, &city.doorplates).unwrap();
            black_box(impact(&branch, &inputs))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
