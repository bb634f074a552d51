//! Renames of the name registry reach the gazetteer for every kind of place (issue 16): a
//! renamed road is found by its new name and its doorplates are addressed under it, while
//! the old name answers `former_name` with the day and the old address still finds the
//! plate; a renamed facility or landmark (renamed in the data, its old name an alias) is
//! found both ways. Oracles: the quality dataset's own records, read independently.

#[path = "gazetteer/dataset.rs"]
mod dataset;

use civmap_geo_core::gazetteer::{
    hangzhou_aliases, Alias, AliasTarget, Gazetteer, MatchKind, PlaceEdit, PlaceKind, SearchOptions,
};
use civmap_geo_core::names::NameType;
use civmap_geo_core::Dataset;

const DAY: &str = "2026-12-01";

fn former(old: &str, target: &str, now: &str, to: AliasTarget) -> Alias {
    Alias::registry(
        old,
        target,
        NameType::Former,
        Some(DAY),
        now,
        Some("杭政函〔2026〕7号"),
    )
    .to(to)
}

fn with(aliases: Vec<Alias>) -> Vec<Alias> {
    let mut all = hangzhou_aliases();
    all.extend(aliases);
    all
}

fn hits(gz: &Gazetteer, q: &str) -> Vec<civmap_geo_core::gazetteer::SearchHit> {
    gz.search(q, &SearchOptions::default()).unwrap()
}

/// A road with doorplates, a number on it and a new name no record carries.
fn road_case(ds: &Dataset) -> (String, u32, String) {
    let d = ds
        .doorplates
        .iter()
        .find(|d| d.road.chars().count() >= 3 && d.road.ends_with('路'))
        .expect("a road with doorplates");
    let new = format!("新{}", d.road);
    assert!(
        !ds.doorplates.iter().any(|x| x.road == new)
            && !ds.network.road_names.iter().any(|r| r.as_str() == new),
        "{new} is new"
    );
    (d.road.clone(), d.number, new)
}

#[test]
fn a_renamed_road_is_found_and_addressed_by_its_new_name_and_its_old_one_answers_former() {
    let ds = dataset::quality_dataset();
    let (old, number, new) = road_case(&ds);
    let plain = Gazetteer::build(&ds, &hangzhou_aliases());
    // without the rename the new name finds no road and no doorplate
    assert!(plain
        .parse_address(&format!("{new}{number}号"))
        .unwrap()
        .doorplate
        .is_none());
    let road = AliasTarget::Road {
        current: new.clone(),
    };
    let gz = Gazetteer::build(&ds, &with(vec![former(&old, &old, &new, road)]));

    let h = &hits(&gz, &new)[0];
    assert_eq!((h.kind, h.name.as_str()), (PlaceKind::Road, new.as_str()));
    assert_eq!(h.how.kind, MatchKind::Exact, "{h:?}");

    let h = &hits(&gz, &old)[0];
    assert_eq!((h.kind, h.name.as_str()), (PlaceKind::Road, new.as_str()));
    assert_eq!(h.how.kind, MatchKind::FormerName, "{h:?}");
    let f = h.how.former.as_ref().unwrap();
    assert_eq!(
        (f.name.as_str(), f.current.as_str(), f.date.as_deref()),
        (old.as_str(), new.as_str(), Some(DAY))
    );
    assert!(
        f.event.starts_with(&format!("renamed to {new} on {DAY}")),
        "{}",
        f.event
    );
    // no road keeps the old name
    assert!(hits(&gz, &old)
        .iter()
        .all(|h| h.kind != PlaceKind::Road || h.name == new));

    // the plates on it: addressed under the new name, found by the old address too
    let plate_by = |q: &str| {
        let p = gz.parse_address(q).unwrap();
        let i = p
            .doorplate
            .unwrap_or_else(|| panic!("{q}: no doorplate: {p:?}"));
        &ds.doorplates[i as usize]
    };
    for q in [format!("{new}{number}号"), format!("{old}{number}号")] {
        let d = plate_by(&q);
        assert_eq!((d.road.as_str(), d.number), (old.as_str(), number), "{q}");
    }
    let h = &hits(&gz, &format!("{new}{number}号"))[0];
    assert_eq!(h.kind, PlaceKind::Doorplate, "{h:?}");
    assert_eq!(h.name, format!("{new}{number}号"));
    assert!(
        h.label.ends_with(&format!("{new}{number}号")),
        "{}",
        h.label
    );
    let h = &hits(&gz, &format!("{old}{number}号"))[0];
    assert_eq!(
        (h.kind, h.name.clone()),
        (PlaceKind::Doorplate, format!("{new}{number}号"))
    );

    // a doorplate edit followed live on the renamed road stays on it
    let i = ds.doorplates.iter().position(|d| d.road == old).unwrap();
    let mut moved = ds.doorplates[i].clone();
    moved.number = 9_999;
    let mut gz = gz;
    gz.apply(PlaceEdit::SetDoorplate(i as u32, moved)).unwrap();
    let h = &hits(&gz, &format!("{new}9999号"))[0];
    assert_eq!(
        (h.kind, h.name.clone()),
        (PlaceKind::Doorplate, format!("{new}9999号"))
    );
    assert!(
        hits(&gz, &old)
            .iter()
            .all(|h| h.kind != PlaceKind::Road || h.name == new),
        "the edit made no road of the old name"
    );
}

#[test]
fn a_renamed_facility_and_landmark_answer_their_old_names_as_former() {
    let mut ds = dataset::quality_dataset();
    let f = ds.facilities[0].clone();
    let l = ds.landmarks[0].clone();
    let (f_new, l_new) = (format!("{}新址", f.name), format!("新{}", l.name));
    // the served records carry the new names; the registry's aliases the old ones
    ds.facilities[0].name = f_new.clone();
    ds.landmarks[0].name = l_new.clone();
    let aliases = vec![
        former(&f.name, &f.id, &f_new, AliasTarget::Facility),
        former(&l.name, &l.id, &l_new, AliasTarget::Landmark),
        // an alias of a place that is not served is skipped
        former("无此设施", "no-such-id", "x", AliasTarget::Facility),
    ];
    let gz = Gazetteer::build(&ds, &with(aliases));
    for (old, new, kind) in [
        (&f.name, &f_new, PlaceKind::Facility),
        (&l.name, &l_new, PlaceKind::Landmark),
    ] {
        let h = &hits(&gz, new)[0];
        assert_eq!((h.kind, &h.name, h.how.kind), (kind, new, MatchKind::Exact));
        let h = hits(&gz, old)
            .into_iter()
            .find(|h| h.kind == kind)
            .unwrap_or_else(|| panic!("{old}: no {kind:?}"));
        assert_eq!(&h.name, new, "{h:?}");
        assert_eq!(h.how.kind, MatchKind::FormerName, "{h:?}");
        assert_eq!(h.how.former.as_ref().unwrap().date.as_deref(), Some(DAY));
    }
    assert!(hits(&gz, "无此设施")
        .iter()
        .all(|h| h.how.kind != MatchKind::FormerName));
}
