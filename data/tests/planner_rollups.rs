//! Issue 18's planner figures on the default city: district and city roll-ups of the plan
//! indicators equal the sum of their parts, and siting limited to an area never leaves it
//! (and predicts exactly what replaying its sites covers there).

use std::collections::HashMap;
use std::sync::OnceLock;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{
    plan_indicators, suggest_sites, suggest_sites_in_area, CoverageEngine, CoverageError,
    CoverageMode, IndicatorId, SitingArea, UnitIndicators, WalkProfile, NEIGHBOURHOOD_CENTRES_2025,
    NURSING_BED_SHARE_2025,
};
use civmap_geo_core::{AdminCode, AdminLevel, Dataset, FacilityCategory};
use geo::{Contains, Point};

fn city() -> &'static Dataset {
    static CITY: OnceLock<Dataset> = OnceLock::new();
    CITY.get_or_init(|| {
        generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city generates")
    })
}

fn engine() -> &'static CoverageEngine {
    static ENGINE: OnceLock<CoverageEngine> = OnceLock::new();
    ENGINE.get_or_init(|| CoverageEngine::new(city()))
}

fn sources(ds: &Dataset, cat: FacilityCategory) -> Vec<(u32, f64, f64)> {
    ds.facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == cat)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect()
}

/// `(numerator, denominator)` of an indicator of a row.
fn parts(row: &UnitIndicators, id: IndicatorId) -> (u64, Option<u64>) {
    let i = row
        .indicators
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{} has no {}", row.name, id.as_str()));
    // the value is the numerator over the denominator, as documented
    match (i.unit, i.denominator) {
        ("count", None) => assert_eq!(i.value, Some(i.numerator as f64)),
        ("share", Some(d)) if d > 0 => {
            assert_eq!(i.value, Some(i.numerator as f64 / d as f64))
        }
        ("per_1000", Some(d)) if d > 0 => {
            assert_eq!(i.value, Some(i.numerator as f64 * 1000.0 / d as f64))
        }
        (_, Some(0)) => assert_eq!(i.value, None),
        other => panic!("unexpected unit/denominator {other:?}"),
    }
    (i.numerator, i.denominator)
}

fn district_of(code: &AdminCode) -> String {
    format!("{}000000", code.district_prefix())
}

#[test]
fn district_and_city_rollups_equal_the_sum_of_their_parts() {
    let ds = city();
    let engine = engine();
    let home = sources(ds, FacilityCategory::HomeCareCentre);
    let profile = WalkProfile::standard();
    let report = |m: f64| {
        let r = engine
            .coverage(&home, m, &profile, CoverageMode::Walk)
            .unwrap();
        engine.report(&r, None)
    };
    let (r15, r20) = (report(15.0), report(20.0));
    let rows = |level| plan_indicators(&ds.admin, &ds.facilities, &r15, &r20, level);
    let (communities, townships, districts, cities) = (
        rows(AdminLevel::Community),
        rows(AdminLevel::Township),
        rows(AdminLevel::District),
        rows(AdminLevel::City),
    );
    assert_eq!((districts.len(), cities.len()), (13, 1));

    // sums of the lower rows per district
    let mut sum: HashMap<String, HashMap<&str, (u64, u64)>> = HashMap::new();
    let mut add = |code: &AdminCode, key: &'static str, n: u64, d: u64| {
        let e = sum
            .entry(district_of(code))
            .or_default()
            .entry(key)
            .or_default();
        e.0 += n;
        e.1 += d;
    };
    for t in &townships {
        let (hub, _) = parts(t, IndicatorId::HubCanteenWithDelivery);
        add(&t.code, "hub", u64::from(hub > 0), 1);
        let (sw, _) = parts(t, IndicatorId::SocialWorkStation);
        add(&t.code, "social", u64::from(sw > 0), 1);
        for (key, id) in [
            ("meal", IndicatorId::MealPoint),
            ("hc15", IndicatorId::HomeCare15MinShare),
            ("hc20", IndicatorId::HomeCare20MinShare),
            ("nursing", IndicatorId::NursingBedShare),
            ("beds", IndicatorId::BedsPer1000Elderly),
        ] {
            let (n, d) = parts(t, id);
            add(&t.code, key, n, d.unwrap_or(0));
        }
    }
    for c in &communities {
        let (ch, _) = parts(c, IndicatorId::ChildrenHome);
        add(&c.code, "children", u64::from(ch > 0), 1);
    }
    for f in &ds.facilities {
        if f.category == FacilityCategory::NeighbourhoodCentre {
            add(f.admin_code.as_ref().unwrap(), "centres", 1, 0);
        }
    }
    let ids = [
        ("hub", IndicatorId::HubCanteenWithDelivery),
        ("social", IndicatorId::SocialWorkStation),
        ("meal", IndicatorId::MealPoint),
        ("children", IndicatorId::ChildrenHome),
        ("hc15", IndicatorId::HomeCare15MinShare),
        ("hc20", IndicatorId::HomeCare20MinShare),
        ("nursing", IndicatorId::NursingBedShare),
        ("beds", IndicatorId::BedsPer1000Elderly),
        ("centres", IndicatorId::NeighbourhoodCentre),
    ];
    let mut city_sum: HashMap<&str, (u64, u64)> = HashMap::new();
    for d in &districts {
        let s = &sum[d.code.as_str()];
        for (key, id) in ids {
            let (n, den) = parts(d, id);
            let want = s.get(key).copied().unwrap_or((0, 0));
            assert_eq!(n, want.0, "{} {key} numerator", d.name);
            if key != "centres" {
                assert_eq!(den, Some(want.1), "{} {key} denominator", d.name);
            }
            let e = city_sum.entry(key).or_default();
            e.0 += n;
            e.1 += den.unwrap_or(0);
        }
    }
    let city = &cities[0];
    for (key, id) in ids {
        let (n, den) = parts(city, id);
        assert_eq!(n, city_sum[key].0, "city {key} numerator");
        if key != "centres" {
            assert_eq!(den, Some(city_sum[key].1), "city {key} denominator");
        }
    }
    // the city figures against the plan's city-level targets
    let find = |id| city.indicators.iter().find(|i| i.id == id).unwrap();
    let centres = find(IndicatorId::NeighbourhoodCentre);
    assert_eq!(
        centres.value,
        Some(180.0),
        "180 neighbourhood centres today"
    );
    assert_eq!(centres.target_2025, Some(NEIGHBOURHOOD_CENTRES_2025 as f64));
    assert_eq!(centres.pass, Some(false));
    let nursing = find(IndicatorId::NursingBedShare);
    assert_eq!(nursing.target_2025, Some(NURSING_BED_SHARE_2025));
    assert!((0.5..0.6).contains(&nursing.value.unwrap()), "{nursing:?}");
    // and the city's home-care share is the coverage report's total
    let hc = find(IndicatorId::HomeCare15MinShare);
    assert_eq!(
        (hc.numerator, hc.denominator),
        (r15.total.covered_elderly, Some(r15.total.elderly))
    );
    // districts get no neighbourhood-centre target of their own
    assert!(districts.iter().all(|d| d
        .indicators
        .iter()
        .any(|i| i.id == IndicatorId::NeighbourhoodCentre && i.target_2025.is_none())));
}

#[test]
fn siting_within_an_area_never_leaves_it() {
    let ds = city();
    let engine = engine();
    let home = sources(ds, FacilityCategory::HomeCareCentre);
    let profile = WalkProfile::standard();
    let binjiang = AdminCode::parse("330108000000").unwrap();
    let township = ds
        .admin_at_level(AdminLevel::Township)
        .find(|t| t.parent.as_ref() == Some(&AdminCode::parse("330127000000").unwrap()))
        .unwrap()
        .code
        .clone();
    let base = engine
        .coverage(&home, 15.0, &profile, CoverageMode::Walk)
        .unwrap();
    for code in [binjiang.clone(), township] {
        let unit = ds.admin.iter().find(|u| u.code == code).unwrap();
        let area = SitingArea::new(&ds.admin, std::slice::from_ref(&code)).unwrap();
        let sites = suggest_sites_in_area(engine, &area, &home, 15.0, &profile, 5, None).unwrap();
        assert!(!sites.is_empty(), "{}: no site", unit.name);
        for s in &sites {
            assert!(
                unit.geometry.contains(&Point::new(s.lon, s.lat)),
                "{}: site ({}, {}) outside",
                unit.name,
                s.lon,
                s.lat
            );
        }
        // replaying the sites covers exactly the predicted elderly of the area
        let mut with = home.clone();
        with.extend(sites.iter().map(|s| (u32::MAX, s.lon, s.lat)));
        let after = engine
            .coverage(&with, 15.0, &profile, CoverageMode::Walk)
            .unwrap();
        let in_area = |i: usize| area.has_doorplate(engine, i);
        let gained: u64 = (0..ds.doorplates.len())
            .filter(|&i| in_area(i) && after.covered[i] && !base.covered[i])
            .map(|i| u64::from(ds.doorplates[i].elderly))
            .sum();
        let predicted: u64 = sites.iter().map(|s| s.newly_covered_elderly).sum();
        assert_eq!(gained, predicted, "{}", unit.name);
    }
    // without the limit, the city's best sites are not all in 滨江
    let free = suggest_sites(engine, &home, 15.0, &profile, 5, None).unwrap();
    let bj = ds.admin.iter().find(|u| u.code == binjiang).unwrap();
    assert!(free
        .iter()
        .any(|s| !bj.geometry.contains(&Point::new(s.lon, s.lat))));
    // a code that is not a unit is refused, by name
    let bad = AdminCode::parse("330199000000").unwrap();
    assert_eq!(
        SitingArea::new(&ds.admin, &[bad]).unwrap_err(),
        CoverageError::UnknownArea {
            code: "330199000000".into()
        }
    );
}
