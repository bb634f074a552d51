//! Explained answers, address components and categories over the quality dataset (the real
//! Hangzhou division table): every hit says how it matched, a former name carries its
//! event, conflicting and unknown components are reported, category words find facilities
//! nearest first.

#[path = "gazetteer/dataset.rs"]
mod dataset;

use civmap_geo_core::gazetteer::{
    hangzhou_aliases, AddressQuality, Gazetteer, MatchKind, PlaceKind, SearchOptions,
};
use civmap_geo_core::{AdminLevel, Dataset, FacilityCategory};

fn setup() -> (Dataset, Gazetteer) {
    let ds = dataset::quality_dataset();
    let gz = Gazetteer::build(&ds, &hangzhou_aliases());
    (ds, gz)
}

fn top(gz: &Gazetteer, q: &str) -> civmap_geo_core::gazetteer::SearchHit {
    gz.search(q, &SearchOptions::default())
        .unwrap()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{q}: no hit"))
}

#[test]
fn every_hit_says_how_it_matched() {
    let (_, gz) = setup();
    for (q, kind) in [
        ("西湖区", MatchKind::Exact),
        ("西湖", MatchKind::Exact),
        ("北山街", MatchKind::Prefix),
        ("xihuqu", MatchKind::Pinyin),
        ("航州", MatchKind::Pinyin),
        ("xhq", MatchKind::Initials),
        ("West Lake District", MatchKind::English),
        ("330106000000", MatchKind::Code),
        ("渚街道", MatchKind::Partial),
    ] {
        let h = top(&gz, q);
        assert_eq!(h.how.kind, kind, "{q}: {h:?}");
    }
    let h = top(&gz, "hnagzhou");
    assert_eq!(h.how.kind, MatchKind::Fuzzy);
    assert_eq!(h.how.distance, Some(1), "a transposition is one edit");
    assert_eq!(h.code.as_deref(), Some("330100000000"));
}

#[test]
fn a_former_name_carries_its_event() {
    let (_, gz) = setup();
    for q in ["下城区", "xiachengqu", "Xiacheng District"] {
        let h = top(&gz, q);
        assert_eq!(h.name, "拱墅区", "{q}");
        assert_eq!(h.how.kind, MatchKind::FormerName, "{q}");
        let f = h.how.former.as_ref().expect("the event");
        assert_eq!((f.name.as_str(), f.current.as_str()), ("下城区", "拱墅区"));
        assert_eq!(f.year, Some(2021));
        assert!(f.event.contains("拱墅区"), "{}", f.event);
    }
    // the current name is not a former one
    assert_eq!(top(&gz, "拱墅区").how.kind, MatchKind::Exact);
}

#[test]
fn a_road_name_before_its_suffix_is_not_a_community() {
    let (ds, gz) = setup();
    // 文三 is a community short form (文三社区 in 西湖区); 文三路 lies elsewhere in this dataset
    assert!(ds
        .admin
        .iter()
        .any(|u| u.name.starts_with("文三") && u.level == AdminLevel::Community));
    let p = gz.parse_address("西湖区文三路").unwrap();
    let levels: Vec<&str> = p.components.iter().map(|c| c.level).collect();
    assert_eq!(levels, ["district", "road"], "{p:?}");
    assert_eq!(p.components[1].text, "文三路");
    // the road is not in 西湖区 here: reported, with the reason
    let road = p
        .unmatched
        .iter()
        .find(|c| c.level == "road")
        .expect("{p:?}");
    assert!(
        road.reason.as_deref().unwrap().contains("西湖区"),
        "{road:?}"
    );
    assert_eq!(p.quality, Some(AddressQuality::Partial));
    assert_eq!(p.doorplate, None);
}

#[test]
fn an_unknown_road_is_reported_not_dropped() {
    let (_, gz) = setup();
    let q = "上城区清波街道某路12号";
    let p = gz.parse_address(q).unwrap();
    let road = p
        .unmatched
        .iter()
        .find(|c| c.level == "road")
        .expect("{p:?}");
    assert_eq!(road.text, "某路");
    assert_eq!(road.reason.as_deref(), Some("unknown road"));
    assert!(p.unmatched.iter().any(|c| c.level == "number"));
    assert_eq!(
        p.matched.iter().map(|c| c.level).collect::<Vec<_>>(),
        ["district", "township"]
    );
    let h = top(&gz, q);
    assert_eq!(h.name, "清波街道");
    assert_eq!(h.how.kind, MatchKind::Address);
    let a = h.address.expect("address components on the hit");
    assert_eq!(a.quality, AddressQuality::Partial);
    assert!(a.unmatched.iter().any(|c| c.text == "某路"));
}

#[test]
fn sub_numbers_buildings_units_rooms_and_traditional_characters() {
    let (_, gz) = setup();
    for q in [
        "文三路8-1号",
        "文三路8之1号",
        "文三路八之一号",
        "文三路８－１號",
    ] {
        let p = gz.parse_address(q).unwrap();
        assert_eq!((p.number, p.sub_number), (Some(8), Some(1)), "{q}: {p:?}");
        assert!(p.doorplate.is_some(), "{q}");
        assert_eq!(p.quality, Some(AddressQuality::Partial), "{q}");
    }
    let p = gz.parse_address("文三路12号3幢2单元501室").unwrap();
    let parts: Vec<(&str, &str)> = p
        .components
        .iter()
        .map(|c| (c.level, c.text.as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            ("road", "文三路"),
            ("number", "12"),
            ("building", "3"),
            ("unit", "2"),
            ("room", "501")
        ]
    );
    assert_eq!(p.quality, Some(AddressQuality::Exact));
    assert_eq!(top(&gz, "西湖區").code.as_deref(), Some("330106000000"));
}

#[test]
fn category_words_find_facilities_nearest_first() {
    let (ds, gz) = setup();
    let near = (120.3, 29.6);
    let opts = SearchOptions {
        limit: 20,
        near: Some(near),
        ..SearchOptions::default()
    };
    let elder = [
        FacilityCategory::ElderCanteen,
        FacilityCategory::HomeCareCentre,
        FacilityCategory::ElderCareInstitution,
        FacilityCategory::HealthElderUnion,
    ];
    for (q, cats) in [
        ("养老", &elder[..]),
        ("elder canteen", &[FacilityCategory::ElderCanteen][..]),
        ("婚姻登记", &[FacilityCategory::MarriageRegistry][..]),
        (
            "marriage registry",
            &[FacilityCategory::MarriageRegistry][..],
        ),
    ] {
        let hits = gz.search(q, &opts).unwrap();
        assert!(!hits.is_empty(), "{q}");
        let d = |h: &civmap_geo_core::gazetteer::SearchHit| {
            ((h.lon - near.0) * 0.87).hypot(h.lat - near.1)
        };
        for h in &hits {
            assert_eq!(h.kind, PlaceKind::Facility, "{q}");
            assert_eq!(h.how.kind, MatchKind::Category, "{q}");
            assert!(
                cats.contains(&ds.facilities[h.record as usize].category),
                "{q}"
            );
        }
        for w in hits.windows(2) {
            assert!(d(&w[0]) <= d(&w[1]) + 1e-6, "{q}: not nearest first");
        }
        // the nearest of the category anywhere is first
        let best = ds
            .facilities
            .iter()
            .filter(|f| cats.contains(&f.category))
            .map(|f| ((f.location.x() - near.0) * 0.87).hypot(f.location.y() - near.1))
            .fold(f64::MAX, f64::min);
        assert!((d(&hits[0]) - best).abs() < 1e-3, "{q}");
    }
    assert_eq!(
        gz.search("婚姻登记", &SearchOptions::default())
            .unwrap()
            .len(),
        10
    );
}
