//! Covered elderly per district for one facility category, on the default synthetic city:
//! the numbers of `civmap coverage report --level district`, without building the server.
//! `cargo run --release -p civmap-data --example district_coverage -- [CATEGORY] [MINUTES]`
//! (defaults: `home_care_centre`, 15; walking, standard profile), CSV on stdout.
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
use civmap_geo_core::{AdminLevel, FacilityCategory};

fn main() {
    let mut args = std::env::args().skip(1);
    let category = args.next().unwrap_or_else(|| "home_care_centre".into());
    let minutes: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(15.0);
    let ds = generate(&GeneratorConfig::default(), &mut |s| eprintln!("{s}")).expect("generate");
    let engine = CoverageEngine::new(&ds);
    let sources: Vec<(u32, f64, f64)> = ds
        .facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category.id() == category)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect();
    assert!(
        FacilityCategory::ALL.iter().any(|c| c.id() == category),
        "unknown category {category}"
    );
    let result = engine
        .coverage(
            &sources,
            minutes,
            &WalkProfile::standard(),
            CoverageMode::Walk,
        )
        .expect("coverage");
    let report = engine.report(&result, Some(AdminLevel::District));
    println!("code,name,elderly,covered_elderly,share_elderly");
    for u in &report.units {
        println!(
            "{},{},{},{},{:.4}",
            u.code, u.name, u.elderly, u.covered_elderly, u.share_elderly
        );
    }
    let t = report.total;
    println!(
        "total,杭州市,{},{},{:.4}",
        t.elderly, t.covered_elderly, t.share_elderly
    );
}
