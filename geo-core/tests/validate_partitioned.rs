//! A validation run split by district ([`Validator::validate_owned`] with
//! [`owning_district`], what the batch job's workers do) finds exactly what one
//! whole-city run finds, each finding once. Oracle: [`Validator::validate`] on the
//! default city with every coordinate rounded to 6 decimals (≈0.1 m), which breaks the
//! shared borders into about 1,700 overlaps, gaps, slivers and nesting errors; and on the
//! same city with one township moved 10 m.

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::survey::validate::{owning_district, ValidateOptions, Validator};
use civmap_geo_core::survey::Finding;
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
use geo::{Coord, MapCoordsInPlace};

fn city() -> Vec<AdminUnit> {
    generate(&GeneratorConfig::default(), &mut |_| {})
        .expect("the generator runs")
        .admin
}

fn sorted(mut f: Vec<Finding>) -> Vec<Finding> {
    f.sort_by(|a, b| {
        (a.rule, a.level, &a.codes, &a.detail).cmp(&(b.rule, b.level, &b.codes, &b.detail))
    });
    f
}

/// Every district's own run, concatenated: each finding with the district that found it.
fn by_district(units: &[AdminUnit]) -> (Vec<Finding>, Vec<(AdminCode, usize)>) {
    let v = Validator::new(units, ValidateOptions::default());
    let mut districts: Vec<AdminCode> = units
        .iter()
        .filter(|u| u.level == AdminLevel::District)
        .map(|u| u.code.clone())
        .collect();
    districts.sort();
    let mut all = Vec::new();
    let mut per = Vec::new();
    for d in &districts {
        let mine = v.validate_owned(&AdminLevel::ALL, &|c| {
            owning_district(c, &districts) == Some(d)
        });
        per.push((d.clone(), mine.len()));
        all.extend(mine);
    }
    (all, per)
}

fn check(units: &[AdminUnit], at_least: usize, districts_with_findings: usize) {
    let whole = Validator::new(units, ValidateOptions::default()).validate(&AdminLevel::ALL);
    assert!(
        whole.len() >= at_least,
        "the frame is damaged: {} findings",
        whole.len()
    );
    let (parts, per) = by_district(units);
    assert!(
        per.iter().filter(|(_, n)| *n > 0).count() >= districts_with_findings,
        "the findings spread over several districts: {per:?}"
    );
    let (whole, parts) = (sorted(whole), sorted(parts));
    assert_eq!(parts.len(), whole.len(), "each finding once: {per:?}");
    for (p, w) in parts.iter().zip(&whole) {
        assert_eq!(p, w);
    }
}

#[test]
fn districts_together_find_what_one_run_finds_on_a_rounded_city() {
    let rounded: Vec<AdminUnit> = city()
        .into_iter()
        .map(|mut u| {
            u.geometry.map_coords_in_place(|c| Coord {
                x: (c.x * 1e6).round() / 1e6,
                y: (c.y * 1e6).round() / 1e6,
            });
            u
        })
        .collect();
    check(&rounded, 1_000, 10);
}

#[test]
fn districts_together_find_what_one_run_finds_with_a_township_moved() {
    let mut units = city();
    let t = units
        .iter()
        .position(|u| u.level == AdminLevel::Township)
        .unwrap();
    // 10 m east: an overlap and a gap with its neighbours, and it sticks out of its district
    units[t].geometry.map_coords_in_place(|c| Coord {
        x: c.x + 10.0 / 96_000.0,
        y: c.y,
    });
    check(&units, 3, 1);
}
