//! As-of coverage answers against today's (issue 15) on the default city: gaps
//! (`/api/v1/coverage/gaps`, home-care centres, 10 minutes, per district) and the plan
//! indicators (`/api/v1/indicators`, per district), each today and as of 2020-12-31
//! (edition NBS2020, its view built and the walking results cached before timing), at the
//! service layer (the routes add the same parsing to both).
//!
//! - `gaps_cold`: a list computed afresh (the grid cell cycles over 64 sizes, more than the
//!   gap-list cache holds, so every call groups and outlines the gaps again);
//! - `gaps_page`: a page of a list already computed (what paging costs);
//! - `indicators`: computed on every call (the walking results are cached).
//!
//! `cargo bench -p civmap --bench as_of_coverage -- --warm-up-time 1 --measurement-time 5`

use std::sync::Arc;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{CoverageMode, WalkProfile};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use civmap_server::service::as_of::AsOf;
use civmap_server::service::coverage::CoverageQuery;
use civmap_server::service::{AppState, StoreKind};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city");
    let state = Arc::new(AppState::new(ds, StoreKind::Embedded));
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let cov = state.coverage.clone();
    rt.block_on(cov.engine()).expect("the coverage engine");
    let past = AsOf::parse("as_of", Some("2020-12-31")).expect("a past day");
    let q = CoverageQuery {
        category: FacilityCategory::HomeCareCentre,
        minutes: 10.0,
        mode: CoverageMode::Walk,
        profile: WalkProfile::standard(),
        scenario: None,
    };
    let level = AdminLevel::District;
    for as_of in [AsOf::Today, past] {
        rt.block_on(cov.gaps_as_of(&q, level, (0, 100), 200.0, as_of))
            .expect("gaps");
        rt.block_on(cov.indicators_as_of(level, None, WalkProfile::standard(), as_of))
            .expect("indicators");
    }

    let mut g = c.benchmark_group("gaps_cold");
    g.sample_size(20);
    for (name, as_of) in [("today", AsOf::Today), ("as_of_2020", past)] {
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % 64;
                let cell_m = 300.0 + i as f64;
                rt.block_on(cov.gaps_as_of(&q, level, (0, 100), cell_m, as_of))
                    .expect("gaps")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("gaps_page");
    for (name, as_of) in [("today", AsOf::Today), ("as_of_2020", past)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(cov.gaps_as_of(&q, level, (0, 100), 200.0, as_of))
                    .expect("gaps")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("indicators");
    g.sample_size(30);
    for (name, as_of) in [("today", AsOf::Today), ("as_of_2020", past)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(cov.indicators_as_of(level, None, WalkProfile::standard(), as_of))
                    .expect("indicators")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
