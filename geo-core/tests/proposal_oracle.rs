//! The oracle for change proposals on the whole default city: a transfer's impact report
//! (coverage and plan indicators of the affected units, before and after) equals an
//! independent recomputation — the community moved by hand in a copy of the dataset, a new
//! coverage engine built on the copy, whole-city coverage rerun and reported per unit.

use std::collections::HashMap;
use std::sync::OnceLock;

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::coverage::{
    plan_indicators, CoverageEngine, CoverageMode, CoverageReport, CoverageResult, UnitIndicators,
    WalkProfile,
};
use civmap_geo_core::proposal::impact::UnitSide;
use civmap_geo_core::proposal::{apply, impact, Impact, ImpactInputs, ProposalKind};
use civmap_geo_core::survey::lines::{boundary_lines, BoundaryLine};
use civmap_geo_core::{AdminCode, AdminLevel, Dataset, FacilityCategory};

fn city() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs")
    })
}

fn lines() -> &'static [BoundaryLine] {
    static L: OnceLock<Vec<BoundaryLine>> = OnceLock::new();
    L.get_or_init(|| boundary_lines(&city().admin))
}

/// Home-care coverage at 15 and 20 minutes (standard walker).
fn home_care(engine: &CoverageEngine, ds: &Dataset) -> [CoverageResult; 2] {
    let sources: Vec<(u32, f64, f64)> = ds
        .facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == FacilityCategory::HomeCareCentre)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect();
    [15.0, 20.0].map(|m| {
        engine
            .coverage(&sources, m, &WalkProfile::standard(), CoverageMode::Walk)
            .expect("coverage runs")
    })
}

/// The impact report of a transfer on the city, with these coverage flags.
fn transfer_report(
    ds: &Dataset,
    kind: &ProposalKind,
    home_care_15: &[bool],
    home_care_20: &[bool],
) -> Impact {
    let branch = apply(kind, &ds.admin, &ds.doorplates).expect("the transfer applies");
    impact(
        &branch,
        &ImpactInputs {
            admin: &ds.admin,
            doorplates: &ds.doorplates,
            facilities: &ds.facilities,
            lines: lines(),
            markers: &[],
            home_care_15,
            home_care_20,
        },
    )
}

/// A community on a border between two townships of one district, the township on the
/// other side, and the community's own township (which keeps other communities).
fn border_community(ds: &Dataset) -> (AdminCode, AdminCode, AdminCode) {
    let unit: HashMap<&AdminCode, &civmap_geo_core::AdminUnit> =
        ds.admin.iter().map(|u| (&u.code, u)).collect();
    let children = |t: &AdminCode| {
        ds.admin
            .iter()
            .filter(|u| u.parent.as_ref() == Some(t))
            .count()
    };
    lines()
        .iter()
        .filter(|l| l.level == AdminLevel::Community)
        .find_map(|l| {
            let (a, b) = (unit[&l.left], unit[l.right.as_ref()?]);
            let (ta, tb) = (a.parent.clone()?, b.parent.clone()?);
            let same_district = unit[&ta].parent == unit[&tb].parent;
            (ta != tb && same_district && children(&ta) >= 3).then(|| (a.code.clone(), tb, ta))
        })
        .expect("the city has a community on a township border")
}

/// The next village number in `township`, computed independently of the library: the
/// highest 3-digit suffix among its codes, plus one.
fn next_code(ds: &Dataset, township: &AdminCode) -> AdminCode {
    let prefix = &township.as_str()[..9];
    let highest = ds
        .admin
        .iter()
        .filter(|u| u.code.as_str().starts_with(prefix))
        .map(|u| u.code.as_str()[9..].parse::<u32>().unwrap())
        .max()
        .unwrap();
    AdminCode::parse(&format!("{prefix}{:03}", highest + 1)).unwrap()
}

fn row<'a>(r: &'a CoverageReport, code: &AdminCode) -> &'a civmap_geo_core::coverage::UnitCoverage {
    r.units
        .iter()
        .find(|u| &u.code == code)
        .expect("unit in report")
}

fn check_side(
    side: &UnitSide,
    code: &AdminCode,
    reports: &[CoverageReport; 2],
    indicators: &HashMap<AdminCode, UnitIndicators>,
) {
    for (figures, report) in [&side.home_care_15min, &side.home_care_20min]
        .into_iter()
        .zip(reports)
    {
        let r = row(report, code);
        assert_eq!(
            (figures.population, figures.covered_population),
            (r.population, r.covered_population),
            "{code}"
        );
        assert_eq!(
            (figures.elderly, figures.covered_elderly),
            (r.elderly, r.covered_elderly),
            "{code}"
        );
        assert!(
            (figures.share_elderly - r.share_elderly).abs() <= 1e-9,
            "{code}"
        );
    }
    let want = &indicators[code].indicators;
    assert_eq!(side.indicators.len(), want.len(), "{code}");
    for (got, want) in side.indicators.iter().zip(want) {
        assert_eq!(got.id, want.id);
        assert_eq!(
            (got.numerator, got.denominator),
            (want.numerator, want.denominator),
            "{code} {:?}",
            got.id
        );
        match (got.value, want.value) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-9, "{code} {:?}", got.id),
            (a, b) => assert_eq!(a, b, "{code} {:?}", got.id),
        }
    }
}

fn indicators_by_code(
    ds: &Dataset,
    reports: &[CoverageReport; 2],
) -> HashMap<AdminCode, UnitIndicators> {
    [AdminLevel::Township, AdminLevel::Community]
        .into_iter()
        .flat_map(|level| {
            plan_indicators(&ds.admin, &ds.facilities, &reports[0], &reports[1], level)
        })
        .map(|r| (r.code.clone(), r))
        .collect()
}

#[test]
fn a_transfer_impact_equals_an_independent_recomputation_on_a_copy() {
    let ds = city();
    let (community, to, from) = border_community(ds);

    // the report, from the current coverage only
    let engine = CoverageEngine::new(ds);
    let [hc15, hc20] = home_care(&engine, ds);
    let kind = ProposalKind::Transfer {
        community: community.clone(),
        to_township: to.clone(),
    };
    let report = transfer_report(ds, &kind, &hc15.covered, &hc20.covered);
    assert!(report.valid, "{:?}", report.findings);

    // the copy: the community moved by hand, records re-coded, coverage rerun from scratch
    let new_code = next_code(ds, &to);
    assert_eq!(report.codes.created, std::slice::from_ref(&new_code));
    let mut copy = ds.clone();
    let (pop, old) = {
        let c = ds.admin.iter().find(|u| u.code == community).unwrap();
        (c.population, c.elderly)
    };
    for u in &mut copy.admin {
        if u.code == community {
            u.code = new_code.clone();
            u.parent = Some(to.clone());
        } else if u.code == from {
            u.population -= pop;
            u.elderly -= old;
        } else if u.code == to {
            u.population += pop;
            u.elderly += old;
        }
    }
    let mut moved_doorplates = 0;
    for d in &mut copy.doorplates {
        if d.community.as_ref() == Some(&community) {
            d.community = Some(new_code.clone());
            moved_doorplates += 1;
        }
    }
    for f in &mut copy.facilities {
        if f.admin_code.as_ref() == Some(&community) {
            f.admin_code = Some(new_code.clone());
        }
    }
    assert!(moved_doorplates > 0, "the community has doorplates");
    assert_eq!(report.doorplates.len(), moved_doorplates);
    let copy_engine = CoverageEngine::new(&copy);
    let [c15, c20] = home_care(&copy_engine, &copy);
    let before = [engine.report(&hc15, None), engine.report(&hc20, None)];
    let after = [
        copy_engine.report(&c15, None),
        copy_engine.report(&c20, None),
    ];
    let (ind_before, ind_after) = (
        indicators_by_code(ds, &before),
        indicators_by_code(&copy, &after),
    );
    let codes: Vec<&str> = report.units.iter().map(|u| u.code.as_str()).collect();
    for want in [&community, &new_code, &from, &to] {
        assert!(codes.contains(&want.as_str()), "{want} among {codes:?}");
    }
    for u in &report.units {
        if let Some(side) = &u.before {
            check_side(side, &u.code, &before, &ind_before);
        }
        if let Some(side) = &u.after {
            check_side(side, &u.code, &after, &ind_after);
        }
    }
    // the census figures move with the community
    let census = |code: &AdminCode| ds.admin.iter().find(|u| &u.code == code).unwrap();
    let moved = census(&community).population;
    assert_eq!(report.moved.census_population, moved);
    let side_of = |code: &AdminCode| report.units.iter().find(|u| &u.code == code).unwrap();
    assert_eq!(
        side_of(&to).after.as_ref().unwrap().population,
        census(&to).population + moved
    );
    assert_eq!(
        side_of(&from).after.as_ref().unwrap().population,
        census(&from).population - moved
    );
    // something did change: the two townships' residents differ before and after
    let t = side_of(&to);
    assert_ne!(
        t.before.as_ref().unwrap().home_care_15min.population,
        t.after.as_ref().unwrap().home_care_15min.population
    );
}

/// A community moved to a township of its district whose bounding box is more than 0.01°
/// (about 1 km) from its own cannot touch it: the township would have an exclave, and the
/// report says so (`disconnected`) and is not valid. A move across a border is (above).
#[test]
fn a_transfer_to_a_township_far_away_is_reported_as_an_exclave() {
    use geo::BoundingRect;
    let ds = city();
    let (community, _, from) = border_community(ds);
    let unit = |c: &AdminCode| ds.admin.iter().find(|u| &u.code == c).unwrap();
    let district = unit(&from).parent.clone();
    let bbox = |c: &AdminCode| unit(c).geometry.bounding_rect().unwrap();
    let cb = bbox(&community);
    let far = ds
        .admin
        .iter()
        .filter(|u| u.level == AdminLevel::Township && u.parent == district && u.code != from)
        .find(|u| {
            let b = u.geometry.bounding_rect().unwrap();
            b.min().x - cb.max().x > 0.01
                || cb.min().x - b.max().x > 0.01
                || b.min().y - cb.max().y > 0.01
                || cb.min().y - b.max().y > 0.01
        })
        .expect("the district has a township far from the community")
        .code
        .clone();
    let (hc15, hc20) = (
        vec![false; ds.doorplates.len()],
        vec![false; ds.doorplates.len()],
    );
    let kind = ProposalKind::Transfer {
        community,
        to_township: far.clone(),
    };
    let report = transfer_report(ds, &kind, &hc15, &hc20);
    assert!(!report.valid);
    let exclaves: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == civmap_geo_core::survey::Rule::Disconnected)
        .map(|f| f.codes.clone())
        .collect();
    assert!(exclaves.contains(&vec![far]), "{exclaves:?}");
}
