//! Transfer, merge, split and rename on the fixture district.

use geo::Area;

use super::fixture::{self, c, north_at};
use super::impact::{impact, Impact, ImpactInputs};
use super::{apply, ProposalError, ProposalKind};
use crate::survey::Rule;
use crate::AdminLevel;

/// The impact of `kind` on the fixture, every doorplate covered at 15 minutes and none at
/// 20 (so the two flag sets are told apart).
fn run(kind: ProposalKind) -> Result<Impact, ProposalError> {
    let (admin, doorplates, facilities) = (
        fixture::admin(),
        fixture::doorplates(),
        fixture::facilities(),
    );
    let lines = fixture::lines();
    let markers = fixture::markers(&lines);
    let (hc15, hc20) = (vec![true; doorplates.len()], vec![false; doorplates.len()]);
    let branch = apply(&kind, &admin, &doorplates)?;
    Ok(impact(
        &branch,
        &ImpactInputs {
            admin: &admin,
            doorplates: &doorplates,
            facilities: &facilities,
            lines: &lines,
            markers: &markers,
            home_care_15: &hc15,
            home_care_20: &hc20,
        },
    ))
}

fn cells(area_deg2: f64) -> f64 {
    area_deg2 / (fixture::CELL * fixture::CELL)
}

#[test]
fn transfer_moves_the_community_its_records_and_the_township_border() {
    let kind = ProposalKind::Transfer {
        community: c("330106001002"),
        to_township: c("330106002000"),
    };
    let admin = fixture::admin();
    let b = apply(&kind, &admin, &fixture::doorplates()).unwrap();
    let after = b.apply_admin(&admin);
    let get = |code: &str| after.iter().find(|u| u.code.as_str() == code).unwrap();
    assert!((cells(get("330106001000").geometry.unsigned_area()) - 1.0).abs() < 1e-6);
    assert!((cells(get("330106002000").geometry.unsigned_area()) - 3.0).abs() < 1e-6);
    assert_eq!(
        get("330106002000").geometry.0.len(),
        1,
        "one polygon, no sliver"
    );
    assert_eq!(get("330106002003").parent, Some(c("330106002000")));
    assert!(!after.iter().any(|u| u.code.as_str() == "330106001002"));
    assert_eq!(get("330106001000").population, 100);
    assert_eq!(get("330106002000").population, 300);

    let i = run(kind).unwrap();
    assert!(i.valid, "{:?}", i.findings);
    assert_eq!(i.codes.created, [c("330106002003")]);
    assert_eq!(i.codes.retired, [c("330106001002")]);
    assert_eq!(
        (i.moved.census_population, i.moved.census_elderly),
        (100, 20)
    );
    assert_eq!(
        (i.moved.doorplate_residents, i.moved.doorplate_elderly),
        (10, 3)
    );
    let ids: Vec<&str> = i.doorplates.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["2"]);
    assert_eq!(i.facilities.len(), 2);
    assert!(i.facilities.iter().all(|f| f.to.as_str() == "330106002003"));
    // coverage of the two townships before and after (all covered at 15, none at 20)
    let unit = |code: &str| i.units.iter().find(|u| u.code.as_str() == code).unwrap();
    let t1 = unit("330106001000");
    let (b1, a1) = (t1.before.as_ref().unwrap(), t1.after.as_ref().unwrap());
    assert_eq!(
        (b1.home_care_15min.population, a1.home_care_15min.population),
        (50, 40)
    );
    assert_eq!(a1.home_care_15min.covered_elderly, 9);
    assert_eq!(a1.home_care_20min.covered_elderly, 0);
    let t2 = unit("330106002000");
    assert_eq!(t2.after.as_ref().unwrap().home_care_15min.population, 30);
    // the social-work station now counts for the second township
    let sw = |side: &super::impact::UnitSide| {
        side.indicators
            .iter()
            .find(|x| x.id == crate::coverage::IndicatorId::SocialWorkStation)
            .and_then(|x| x.value)
    };
    assert_eq!((sw(b1), sw(a1)), (Some(1.0), Some(0.0)));
    assert_eq!(sw(t2.before.as_ref().unwrap()), Some(0.0));
    assert_eq!(sw(t2.after.as_ref().unwrap()), Some(1.0));
    assert!(unit("330106001002").after.is_none());
    assert!(unit("330106002003").before.is_none());
    // the township border moved west: same pair, same length, another course
    let reshaped: Vec<&str> = i.lines.reshaped.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(reshaped, ["330106001000-330106002000-1"]);
    // community lines keep their ground and take the new code
    let relabelled: Vec<(&str, &str)> = i
        .lines
        .relabelled
        .iter()
        .map(|l| (l.id.as_str(), l.new_id.as_str()))
        .collect();
    assert!(relabelled.contains(&("330106001001-330106001002-1", "330106001001-330106002003-1")));
    assert!(relabelled.contains(&("330106001002-330106002001-1", "330106002001-330106002003-1")));
    assert!(
        i.lines.ended.is_empty() && i.lines.created.is_empty(),
        "{:?}",
        i.lines
    );
    assert!(i.markers_orphaned.is_empty());
    assert_eq!(i.markers_relinked.len(), 2);
    assert_eq!(i.former_names[0].former_code, Some(c("330106001002")));
}

#[test]
fn merging_two_communities_ends_their_line_and_orphans_its_marker() {
    let i = run(ProposalKind::Merge {
        units: vec![c("330106001001"), c("330106001002")],
        survivor: c("330106001001"),
        name: Some("合并社区".into()),
    })
    .unwrap();
    assert!(i.valid, "{:?}", i.findings);
    assert_eq!(i.codes.retired, [c("330106001002")]);
    assert!(i.codes.created.is_empty());
    let ended: Vec<&str> = i.lines.ended.iter().map(|l| l.id.as_str()).collect();
    // the line between them, and the merged-away unit's stretches of the outer border
    assert_eq!(
        ended,
        [
            "330106001002-outer-1",
            "330106001002-outer-2",
            "330106001001-330106001002-1"
        ]
    );
    assert_eq!(i.markers_orphaned.len(), 1);
    // the survivor's outer border grows along the south and north
    let lengthened: Vec<&str> = i.lines.lengthened.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(lengthened, ["330106001001-outer-1"]);
    // 001002's line with 002001 is now the survivor's
    assert_eq!(i.lines.relabelled.len(), 1);
    let s = i
        .units
        .iter()
        .find(|u| u.code.as_str() == "330106001001")
        .unwrap();
    let after = s.after.as_ref().unwrap();
    assert_eq!(after.name, "合并社区");
    assert_eq!(
        (after.population, after.home_care_15min.population),
        (200, 50)
    );
    let names: Vec<&str> = i.former_names.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["单元330106001001", "单元330106001002"]);
    assert_eq!(i.moved.census_population, 100);
}

#[test]
fn merging_townships_recodes_the_communities_of_the_one_merged_away() {
    let i = run(ProposalKind::Merge {
        units: vec![c("330106001000"), c("330106002000")],
        survivor: c("330106001000"),
        name: None,
    })
    .unwrap();
    assert!(i.valid, "{:?}", i.findings);
    assert_eq!(
        i.codes.created,
        [c("330106001003"), c("330106001004")],
        "the next village numbers of the survivor"
    );
    assert_eq!(
        i.codes.retired,
        [c("330106002000"), c("330106002001"), c("330106002002")]
    );
    assert_eq!(i.doorplates.len(), 2);
    let t = i
        .units
        .iter()
        .find(|u| u.code.as_str() == "330106001000")
        .unwrap();
    assert_eq!(t.after.as_ref().unwrap().home_care_15min.population, 70);
}

#[test]
fn splitting_a_community_apportions_its_census_by_the_residents_on_each_side() {
    let kind = ProposalKind::Split {
        unit: c("330106001001"),
        line: north_at(0.4),
        new_name: "西社区".into(),
    };
    let admin = fixture::admin();
    let b = apply(&kind, &admin, &fixture::doorplates()).unwrap();
    let new = b
        .upserts
        .iter()
        .find(|u| u.code.as_str() == "330106001003")
        .unwrap();
    assert!((cells(new.geometry.unsigned_area()) - 0.4).abs() < 1e-6);
    // 30 of the 40 residents (6 of 9 elderly) live west of the line
    assert_eq!((new.population, new.elderly), (75, 13));
    let i = run(kind).unwrap();
    assert!(i.valid, "{:?}", i.findings);
    assert_eq!(i.doorplates.len(), 1);
    assert_eq!(i.doorplates[0].id, "5");
    assert_eq!(i.moved.census_population, 75);
    let created: Vec<&str> = i.lines.created.iter().map(|l| l.id.as_str()).collect();
    assert!(
        created.contains(&"330106001001-330106001003-1"),
        "{created:?}"
    );
    assert!(i
        .lines
        .shortened
        .iter()
        .any(|l| l.id == "330106001001-outer-1"));
}

#[test]
fn a_township_split_that_cuts_a_community_fails_validation() {
    let i = run(ProposalKind::Split {
        unit: c("330106001000"),
        line: north_at(0.3),
        new_name: "西街道".into(),
    })
    .unwrap();
    assert!(!i.valid);
    assert!(
        i.findings
            .iter()
            .any(|f| f.rule == Rule::ChildOutsideParent && f.level == Some(AdminLevel::Community)),
        "{:?}",
        i.findings
    );
}

#[test]
fn rename_keeps_the_old_name_and_changes_nothing_else() {
    let i = run(ProposalKind::Rename {
        unit: c("330106002000"),
        name: "新街道".into(),
    })
    .unwrap();
    assert!(i.valid);
    assert!(i.doorplates.is_empty() && i.codes.created.is_empty());
    assert_eq!(i.former_names[0].name, "单元330106002000");
    assert_eq!(i.lines, Default::default());
}

#[test]
fn bad_proposals_name_the_field() {
    let field = |k| run(k).unwrap_err().field();
    assert_eq!(
        field(ProposalKind::Transfer {
            community: c("330106009009"),
            to_township: c("330106002000"),
        }),
        "community"
    );
    assert_eq!(
        field(ProposalKind::Transfer {
            community: c("330106001001"),
            to_township: c("330106001000"),
        }),
        "to_township"
    );
    assert_eq!(
        field(ProposalKind::Transfer {
            community: c("330106001000"),
            to_township: c("330106002000"),
        }),
        "community"
    );
    assert_eq!(
        field(ProposalKind::Split {
            unit: c("330106001001"),
            line: geo::LineString::from(vec![fixture::at(0.5, -0.5), fixture::at(0.5, 0.5)]),
            new_name: "x".into(),
        }),
        "line"
    );
    assert_eq!(
        field(ProposalKind::Split {
            unit: c("330106001001"),
            line: north_at(1.5),
            new_name: "x".into(),
        }),
        "line"
    );
    assert_eq!(
        field(ProposalKind::Merge {
            units: vec![c("330106001001"), c("330106002001")],
            survivor: c("330106001001"),
            name: None,
        }),
        "units"
    );
    assert_eq!(
        field(ProposalKind::Merge {
            units: vec![c("330106001001"), c("330106001002")],
            survivor: c("330106002001"),
            name: None,
        }),
        "survivor"
    );
    assert_eq!(
        field(ProposalKind::Rename {
            unit: c("330106001001"),
            name: "  ".into(),
        }),
        "name"
    );
}

#[test]
fn a_transfer_to_a_township_that_does_not_border_the_community_makes_an_exclave() {
    // 001001 (the west cell) to T2 (cells 2–4): T2 would be in two pieces
    let i = run(ProposalKind::Transfer {
        community: c("330106001001"),
        to_township: c("330106002000"),
    })
    .unwrap();
    assert!(!i.valid);
    let d: Vec<_> = i
        .findings
        .iter()
        .filter(|f| f.rule == Rule::Disconnected)
        .collect();
    assert_eq!(d.len(), 1, "{:?}", i.findings);
    assert_eq!(d[0].codes, [c("330106002000")]);
    assert_eq!(d[0].level, Some(AdminLevel::Township));
    // the detached piece is the moved cell: one cell of 0.01° (about 1.07 km²)
    let cell_m2 = crate::survey::measure::geodesic_area_m2(&fixture::rect(0.0, 1.0));
    assert!((d[0].area_m2.unwrap() - cell_m2).abs() < 1.0, "{:?}", d[0]);
    assert!(d[0].detail.contains("2 separate pieces"), "{}", d[0].detail);
    // the neighbouring community to the same township stays one piece
    let ok = run(ProposalKind::Transfer {
        community: c("330106001002"),
        to_township: c("330106002000"),
    })
    .unwrap();
    assert!(
        !ok.findings.iter().any(|f| f.rule == Rule::Disconnected),
        "{:?}",
        ok.findings
    );
}

#[test]
fn a_unit_that_already_had_an_island_is_not_reported_for_keeping_it() {
    use super::contiguity::disconnected;
    use geo::MultiPolygon;
    let mut t2 = fixture::admin()
        .into_iter()
        .find(|u| u.code.as_str() == "330106002000")
        .unwrap();
    let two = MultiPolygon(
        fixture::rect(0.0, 1.0)
            .0
            .into_iter()
            .chain(fixture::rect(2.0, 4.0).0)
            .collect(),
    );
    t2.geometry = two.clone();
    // before: two pieces too
    assert!(disconnected([&t2], |_| Some(&two)).is_empty());
    // before: one piece
    let one = fixture::rect(2.0, 4.0);
    assert_eq!(disconnected([&t2], |_| Some(&one)).len(), 1);
    // a sliver apart (5 m a side) is not a piece
    use geo::{coord, Rect};
    let mut sliver = fixture::rect(2.0, 4.0);
    let tiny = Rect::new(
        coord! { x: 120.0, y: 30.0 },
        coord! { x: 120.00005, y: 30.00005 },
    );
    sliver.0.push(tiny.to_polygon());
    t2.geometry = sliver;
    assert!(disconnected([&t2], |_| Some(&one)).is_empty());
}
