//! Gazetteer behaviour: numerals, full-width digits, initials, typo bounds, bad queries,
//! autocomplete, address parsing, proximity and kind filters.

#[path = "gazetteer/dataset.rs"]
mod dataset;

use std::sync::OnceLock;

use civmap_geo_core::gazetteer::{
    chinese_numeral_value, hangzhou_aliases, Gazetteer, GazetteerError, PlaceKind, SearchOptions,
};
use civmap_geo_core::{AdminLevel, Dataset};

fn fixture() -> &'static (Dataset, Gazetteer) {
    static F: OnceLock<(Dataset, Gazetteer)> = OnceLock::new();
    F.get_or_init(|| {
        let ds = dataset::quality_dataset();
        let gz = Gazetteer::build(&ds, &hangzhou_aliases());
        (ds, gz)
    })
}

fn top(q: &str) -> Option<civmap_geo_core::gazetteer::SearchHit> {
    fixture()
        .1
        .search(q, &SearchOptions::default())
        .unwrap()
        .into_iter()
        .next()
}

#[test]
fn gazetteer_chinese_numerals_convert_to_numbers() {
    assert_eq!(chinese_numeral_value("十二"), Some(12));
    assert_eq!(chinese_numeral_value("一百零三"), Some(103));
    assert_eq!(chinese_numeral_value("二十"), Some(20));
    assert_eq!(chinese_numeral_value("两百"), Some(200));
    assert_eq!(chinese_numeral_value("十五"), Some(15));
    assert_eq!(chinese_numeral_value("文三"), None);
}

#[test]
fn gazetteer_house_numbers_in_any_digits_find_the_same_doorplate() {
    let want = top("文三路12号").unwrap();
    assert_eq!(want.kind, PlaceKind::Doorplate);
    assert_eq!(want.name, "文三路12号");
    for q in [
        "文三路十二号",
        "文三路１２号",
        "文三路 12 号",
        "  文三路12号！",
    ] {
        assert_eq!(top(q).unwrap().record, want.record, "{q}");
    }
    assert_eq!(top("文三路一百零三号").unwrap().name, "文三路103号");
    assert_eq!(top("延安路二十号").unwrap().name, "延安路20号");
    assert!(want.label.starts_with("浙江省杭州市"), "{}", want.label);
    assert!(want.label.ends_with("文三路12号"), "{}", want.label);
}

#[test]
fn gazetteer_search_finds_district_by_pinyin_initials() {
    assert_eq!(top("xhq").unwrap().code.as_deref(), Some("330106000000"));
    assert_eq!(top("XHQ").unwrap().code.as_deref(), Some("330106000000"));
    assert_eq!(top("ｘｈｑ").unwrap().code.as_deref(), Some("330106000000"));
}

#[test]
fn gazetteer_typos_are_tolerated_within_bounds() {
    // one and two edits find the place
    assert_eq!(
        top("hangzou").unwrap().code.as_deref(),
        Some("330100000000")
    );
    assert_eq!(
        top("hnagzhuo").unwrap().code.as_deref(),
        Some("330100000000")
    );
    // three edits in eight letters are beyond the bound
    let far = top("hbnzgouu");
    assert!(
        far.as_ref()
            .is_none_or(|h| h.code.as_deref() != Some("330100000000")),
        "{far:?}"
    );
    // short queries get no typo tolerance
    let short = top("xhh");
    assert!(
        short
            .as_ref()
            .is_none_or(|h| h.code.as_deref() != Some("330106000000")),
        "{short:?}"
    );
}

#[test]
fn gazetteer_bad_queries_are_refused_with_clear_errors() {
    let gz = &fixture().1;
    let o = SearchOptions::default();
    assert_eq!(gz.search("", &o), Err(GazetteerError::EmptyQuery));
    assert_eq!(gz.search(" \u{3000} ", &o), Err(GazetteerError::EmptyQuery));
    let long = "西".repeat(10 * 1024);
    assert!(matches!(
        gz.search(&long, &o),
        Err(GazetteerError::QueryTooLong { max: 256, .. })
    ));
    assert!(matches!(
        gz.autocomplete(&"a".repeat(257), 5),
        Err(GazetteerError::QueryTooLong { .. })
    ));
    let e = gz.search("西湖\u{0}区", &o).unwrap_err();
    assert_eq!(
        e,
        GazetteerError::ControlCharacter {
            position: 2,
            code: 0
        }
    );
    assert!(e.to_string().contains("U+0000"), "{e}");
    assert!(gz.parse_address("\u{1b}[31m").is_err());
    assert!(gz.autocomplete("", 5).is_err());
    // punctuation only: no error, nothing found
    assert_eq!(gz.search("！？…", &o), Ok(vec![]));
}

#[test]
fn gazetteer_autocomplete_completes_prefixes_and_house_numbers() {
    let gz = &fixture().1;
    let hits = gz.autocomplete("北山", 5).unwrap();
    assert_eq!(hits[0].name, "北山街道");
    let hits = gz.autocomplete("xih", 10).unwrap();
    assert!(
        hits.iter()
            .any(|h| h.code.as_deref() == Some("330106000000")),
        "{hits:?}"
    );
    let hits = gz.autocomplete("文三路1", 5).unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits
        .iter()
        .all(|h| h.kind == PlaceKind::Doorplate && h.name.starts_with("文三路1")));
    assert_eq!(hits[0].name, "文三路1号");
}

#[test]
fn gazetteer_parse_address_links_every_level() {
    let (ds, gz) = fixture();
    // the chain of 文三路's community, from the dataset
    let dp = ds
        .doorplates
        .iter()
        .position(|d| d.road == "文三路" && d.number == 12)
        .unwrap();
    let mut chain = Vec::new();
    let mut code = ds.doorplates[dp].community.clone();
    while let Some(c) = code {
        let u = ds.admin.iter().find(|u| u.code == c).unwrap();
        chain.push(u);
        code = u.parent.clone();
    }
    chain.reverse();
    let names: String = chain.iter().map(|u| u.name.as_str()).collect();
    let q = format!("浙江省{names}文三路十二号");
    let p = gz.parse_address(&q).unwrap();
    let levels: Vec<&str> = p.components.iter().map(|c| c.level).collect();
    assert_eq!(
        levels,
        [
            "province",
            "city",
            "district",
            "township",
            "community",
            "road",
            "number"
        ],
        "{q}: {p:?}"
    );
    for (c, u) in p.components[1..5].iter().zip(&chain) {
        assert_eq!(c.code.as_deref(), Some(u.code.as_str()));
    }
    assert_eq!(p.components[6].text, "12");
    assert_eq!(p.doorplate, Some(dp as u32));

    // missing levels, spaces, punctuation, full-width digits
    let q = format!("{}  ，文三路 １２ 号", chain[1].name);
    let p = gz.parse_address(&q).unwrap();
    assert_eq!(
        p.components.iter().map(|c| c.level).collect::<Vec<_>>(),
        ["district", "road", "number"]
    );
    assert_eq!(p.doorplate, Some(dp as u32));

    // old names lead to today's unit
    let p = gz.parse_address("杭州市下城区").unwrap();
    assert_eq!(p.components[1].level, "district");
    assert_eq!(p.components[1].text, "下城区");
    assert_eq!(p.components[1].code.as_deref(), Some("330105000000"));
    let p = gz.parse_address("西湖区 北山街道").unwrap();
    assert_eq!(p.components[1].code.as_deref(), Some("330106002000"));
}

#[test]
fn gazetteer_proximity_breaks_ties_between_namesakes() {
    let (ds, gz) = fixture();
    // two communities with the same name
    let comm: Vec<_> = ds.admin_at_level(AdminLevel::Community).collect();
    let (a, b) = comm
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            comm[i + 1..]
                .iter()
                .find(|b| b.name == a.name)
                .map(|b| (*a, *b))
        })
        .unwrap();
    let all = gz
        .search(
            &a.name,
            &SearchOptions {
                limit: 20,
                ..SearchOptions::default()
            },
        )
        .unwrap();
    let hb = all
        .iter()
        .find(|h| h.code.as_deref() == Some(b.code.as_str()))
        .unwrap();
    let ha = all
        .iter()
        .find(|h| h.code.as_deref() == Some(a.code.as_str()))
        .unwrap();
    for (want, h) in [(b, hb), (a, ha)] {
        let near = gz
            .search(
                &a.name,
                &SearchOptions {
                    near: Some((h.lon, h.lat)),
                    ..SearchOptions::default()
                },
            )
            .unwrap();
        assert_eq!(near[0].code.as_deref(), Some(want.code.as_str()));
    }
}

#[test]
fn gazetteer_kinds_filter_and_labels() {
    let gz = &fixture().1;
    let o = SearchOptions {
        kinds: vec![PlaceKind::Facility],
        ..SearchOptions::default()
    };
    let hits = gz.search("北山", &o).unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.kind == PlaceKind::Facility));
    assert_eq!(hits[0].name, "北山居家养老服务照料中心");
    assert_eq!(
        hits[0].label,
        "浙江省杭州市西湖区北山街道北山居家养老服务照料中心"
    );
    let h = top("北山街道").unwrap();
    assert_eq!(h.label, "浙江省杭州市西湖区北山街道");
    assert!(h.lon.is_finite() && h.lat.is_finite());
    assert_eq!(PlaceKind::parse("road"), Ok(PlaceKind::Road));
    assert!(PlaceKind::parse("river").is_err());
}

#[test]
fn gazetteer_index_reports_its_memory() {
    let gz = &fixture().1;
    let bytes = gz.approx_heap_bytes();
    println!(
        "entries+doorplates {} keys {} heap {} bytes",
        gz.len(),
        gz.key_count(),
        bytes
    );
    assert!(bytes > 1_000_000 && bytes < 200_000_000, "{bytes}");
}

/// Found by the `address` fuzz target: a query whose first character is `道` (a road
/// suffix) looked one character before the start for the `街` of `街道` and panicked
/// (index underflow), which the server turned into a 500 for `?q=道`.
#[test]
fn gazetteer_query_starting_with_a_road_suffix_does_not_panic() {
    let gz = &fixture().1;
    for q in ["道", "道路", "道12号", "街道", "西湖区道"] {
        let _ = gz.parse_address(q).unwrap();
        let _ = gz.search(q, &SearchOptions::default()).unwrap();
        let _ = gz.autocomplete(q, 10).unwrap();
    }
}
