//! The place-name routes on the real default city (the NBS 2023 units, synthetic roads and
//! facilities).

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::identity_routes::call;
use super::routes::state;

async fn get(uri: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(&state(), Method::GET, uri, None, None).await;
    (s, v)
}

pub(super) fn enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn rules(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_clean_road_is_romanised_and_a_grand_building_is_flagged() {
    let (s, v) = get(&format!(
        "/api/v1/names/check?name={}&kind=road",
        enc("文三路")
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(rules(&v).is_empty(), "{v}");
    assert_eq!(v["romanized"], "Wensan Lu");
    assert_eq!(v["sign"], "WENSAN LU");

    let uri = format!(
        "/api/v1/names/check?name={}&kind=building&height_m=18&floors=6&english=Huanqiu%20Dasha",
        enc("环球大厦")
    );
    let (s, v) = get(&uri).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(rules(&v), ["grand", "size"], "{v}");
    assert!(
        v["findings"][0]["clause"]
            .as_str()
            .unwrap()
            .contains("不规范地名"),
        "{v}"
    );
    assert_eq!(v["romanized"], "Huanqiu Dasha");
}

#[tokio::test]
async fn a_community_name_in_use_in_its_township_is_a_duplicate() {
    let uri = format!(
        "/api/v1/names/check?name={}&kind=community&scope=330182112000",
        enc("劳村")
    );
    let (s, v) = get(&uri).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(rules(&v), ["duplicate"], "{v}");
    let detail = v["findings"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("330182112002") && detail.contains("330182112266"),
        "{v}"
    );
    assert!(v["compared"].as_u64().unwrap() > 2, "{v}");
}

/// Every duplicate group names units of one township whose names, committee suffix cut,
/// are equal; and the 2023 list's one such pair (劳村) is there.
#[tokio::test]
async fn duplicate_communities_by_township() {
    let (s, v) = get("/api/v1/names/duplicates?level=community&scope=township").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let st = state();
    let live = st.data.read();
    let units: HashMap<String, (String, String)> = live
        .data
        .data()
        .admin
        .iter()
        .map(|u| {
            let parent = u
                .parent
                .as_ref()
                .map_or(String::new(), |p| p.as_str().to_owned());
            (u.code.as_str().to_owned(), (u.name.clone(), parent))
        })
        .collect();
    let groups = v["groups"].as_array().unwrap();
    let dups: Vec<&Value> = groups.iter().filter(|g| g["rule"] == "duplicate").collect();
    for g in &dups {
        let codes: Vec<&str> = g["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(codes.len() >= 2, "{g}");
        let parents: Vec<&str> = codes.iter().map(|c| units[*c].1.as_str()).collect();
        assert!(parents.iter().all(|p| *p == g["scope"]), "{g}");
        for c in &codes {
            assert!(units[*c].0.starts_with(g["name"].as_str().unwrap()), "{g}");
        }
    }
    assert!(dups.iter().any(|g| g["name"] == "劳村"), "{v}");
    assert!(v["names"].as_u64().unwrap() > 3000, "{v}");
}

#[tokio::test]
async fn the_cleanup_list_counts_what_a_rename_touches() {
    let (s, v) = get("/api/v1/names/cleanup?kind=community").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entry = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "330182112002")
        .unwrap_or_else(|| panic!("劳村 is not listed: {v}"));
    assert!(rules(entry).contains(&"duplicate"), "{entry}");
    let st = state();
    let live = st.data.read();
    let d = live.data.data();
    let plates = d
        .doorplates
        .iter()
        .filter(|p| {
            p.community
                .as_ref()
                .is_some_and(|c| c.as_str() == "330182112002")
        })
        .count() as u64;
    assert_eq!(
        entry["affects"]["doorplates"].as_u64(),
        Some(plates),
        "{entry}"
    );
    let communities = d
        .admin
        .iter()
        .filter(|u| u.level == civmap_geo_core::AdminLevel::Community)
        .count();
    assert_eq!(v["checked"].as_u64(), Some(communities as u64));
}

#[tokio::test]
async fn bad_inputs_name_the_parameter() {
    for (uri, status, param) in [
        (
            "/api/v1/names/check?name=x&kind=galaxy",
            StatusCode::BAD_REQUEST,
            "kind",
        ),
        (
            "/api/v1/names/check?kind=road",
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "/api/v1/names/check?name=%20&kind=road",
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            "/api/v1/names/duplicates?level=community&scope=community",
            StatusCode::UNPROCESSABLE_ENTITY,
            "scope",
        ),
        (
            "/api/v1/names/duplicates?level=city&scope=city",
            StatusCode::BAD_REQUEST,
            "level",
        ),
        (
            "/api/v1/names/duplicates?level=road&scope=galaxy",
            StatusCode::BAD_REQUEST,
            "scope",
        ),
    ] {
        let (s, v) = get(uri).await;
        assert_eq!(s, status, "{uri}: {v}");
        assert_eq!(v["error"]["param"], param, "{uri}: {v}");
    }
    let (s, v) = get("/api/v1/names/check?name=x&kind=community&scope=999999999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}
