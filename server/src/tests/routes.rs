//! Route tests on the real default city, through the whole router (no server socket).

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_data::synthetic::{generate, GeneratorConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::service::{AppState, SharedState, StoreKind};

/// A copy of today's served unit with `code`.
pub(super) fn served_unit(code: &str) -> civmap_geo_core::AdminUnit {
    let st = state();
    let live = st.data.read();
    let found = live
        .data
        .data()
        .admin
        .iter()
        .find(|u| u.code.as_str() == code);
    found
        .cloned()
        .unwrap_or_else(|| panic!("no served unit {code}"))
}

pub(super) fn state() -> SharedState {
    static STATE: OnceLock<SharedState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("default city");
            Arc::new(AppState::new(ds, StoreKind::Embedded))
        })
        .clone()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    get_on(state(), uri).await
}

/// GET through the router of a given state.
async fn get_on(st: SharedState, uri: &str) -> (StatusCode, Value) {
    let resp = crate::http::router(st)
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn assert_error(v: &Value, param: &str, needle: &str) {
    assert_eq!(v["error"]["param"], param, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
}

#[tokio::test]
async fn health_reports_ok_store_and_counts() {
    let (s, v) = get("/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["store"], "embedded");
    assert_eq!(v["data"]["admin"], 3530);
    assert_eq!(v["data"]["doorplates"], 500_000);
}

#[tokio::test]
async fn layers_lists_the_contract_ids_with_counts() {
    let (_, v) = get("/api/v1/layers").await;
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in ["admin", "facilities", "doorplates", "network"] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert!(v.as_array().unwrap().iter().all(|l| l["count"].is_u64()));
}

#[tokio::test]
async fn categories_have_chinese_and_english_names() {
    let (_, v) = get("/api/v1/categories").await;
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 12);
    let canteen = a.iter().find(|c| c["id"] == "elder_canteen").unwrap();
    assert_eq!(canteen["name_zh"], "老年食堂");
    assert_eq!(canteen["name_en"], "Elder canteen");
}

#[tokio::test]
async fn community_level_has_3320_units_summing_to_the_census() {
    let (s, v) = get("/api/v1/admin?level=community").await;
    assert_eq!(s, StatusCode::OK);
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 3320);
    let pop: u64 = f
        .iter()
        .map(|x| x["properties"]["population"].as_u64().unwrap())
        .sum();
    assert_eq!(
        pop,
        11_936_010 - 23_763,
        "census total less the West Lake scenic area"
    );
    assert!(f
        .iter()
        .all(|x| x["properties"]["code"].as_str().unwrap().len() == 12));
    assert!(f.iter().all(|x| x["properties"]["synthetic"] == true));
}

#[tokio::test]
async fn admin_parent_lists_the_townships_of_xihu() {
    let (s, v) = get("/api/v1/admin?parent=330106000000").await;
    assert_eq!(s, StatusCode::OK);
    let f = v["features"].as_array().unwrap();
    assert!(f.len() >= 10);
    assert!(f
        .iter()
        .all(|x| x["properties"]["parent"] == "330106000000"
            && x["properties"]["level"] == "township"));
    assert!(f.iter().any(|x| x["properties"]["name"] == "北山街道"));
}

#[tokio::test]
async fn admin_parent_with_a_level_accepts_any_ancestor() {
    // the communities of 西湖区 are two levels down: every one whose township is in 西湖区
    let (s, v) = get("/api/v1/admin?level=community&parent=330106000000").await;
    assert_eq!(s, StatusCode::OK);
    let got: std::collections::BTreeSet<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["properties"]["code"].as_str().unwrap().to_owned())
        .collect();
    let want: std::collections::BTreeSet<String> = {
        let st = state();
        let live = st.data.read();
        let d = live.data.data();
        let townships: Vec<_> = d
            .admin
            .iter()
            .filter(|u| {
                u.parent
                    .as_ref()
                    .is_some_and(|p| p.as_str() == "330106000000")
            })
            .map(|u| u.code.clone())
            .collect();
        d.admin
            .iter()
            .filter(|u| u.parent.as_ref().is_some_and(|p| townships.contains(p)))
            .map(|u| u.code.as_str().to_owned())
            .collect()
    };
    assert!(want.len() > 50, "西湖区 has {} communities", want.len());
    assert_eq!(got, want);
    // the city as ancestor of every district; a level above the parent gives nothing
    let (_, v) = get("/api/v1/admin?level=district&parent=330100000000").await;
    assert_eq!(v["features"].as_array().unwrap().len(), 13);
    let (s, v) = get("/api/v1/admin?level=city&parent=330106000000").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["features"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn admin_rejects_bad_level_code_and_unknown_parameters() {
    let (s, v) = get("/api/v1/admin?level=province").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "level", "province");
    let (s, v) = get("/api/v1/admin?parent=3301").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "parent", "12 digits");
    let (s, v) = get("/api/v1/admin?levle=city").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "levle", "unknown parameter");
    let (s, _) = get("/api/v1/admin?parent=330199000000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn facilities_in_a_bbox_are_exactly_those_a_scan_finds() {
    let st = state();
    let (w, so, e, n) = (120.10, 30.22, 120.20, 30.30);
    let (s, v) = get(&format!("/api/v1/facilities?bbox={w},{so},{e},{n}&category=elder_canteen,home_care_centre&limit=50000")).await;
    assert_eq!(s, StatusCode::OK);
    let mut got: Vec<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_owned())
        .collect();
    let live = st.data.read();
    let mut want: Vec<String> = live
        .data
        .data()
        .facilities
        .iter()
        .filter(|f| matches!(f.category.id(), "elder_canteen" | "home_care_centre"))
        .filter(|f| (w..=e).contains(&f.location.x()) && (so..=n).contains(&f.location.y()))
        .map(|f| f.id.clone())
        .collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[tokio::test]
async fn facilities_limit_caps_the_answer_and_reports_the_match_count() {
    let (_, v) = get("/api/v1/facilities?limit=5").await;
    assert_eq!(v["features"].as_array().unwrap().len(), 5);
    assert!(v["numberMatched"].as_u64().unwrap() > 5);
}

#[tokio::test]
async fn facilities_parameters_get_clear_errors() {
    let cases = [
        (
            "bbox=1,2,3",
            StatusCode::BAD_REQUEST,
            "bbox",
            "expected 4 numbers",
        ),
        (
            "bbox=120,30,119,31",
            StatusCode::UNPROCESSABLE_ENTITY,
            "bbox",
            "minlon <= maxlon",
        ),
        (
            "bbox=120,30,200,31",
            StatusCode::UNPROCESSABLE_ENTITY,
            "bbox",
            "[-180, 180]",
        ),
        (
            "bbox=120,x,121,31",
            StatusCode::BAD_REQUEST,
            "bbox",
            "number 2",
        ),
        (
            "category=canteen",
            StatusCode::BAD_REQUEST,
            "category",
            "unknown facility category",
        ),
        (
            "limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit",
            "between 1 and 50000",
        ),
        (
            "limit=ten",
            StatusCode::BAD_REQUEST,
            "limit",
            "whole number",
        ),
    ];
    for (q, status, param, needle) in cases {
        let (s, v) = get(&format!("/api/v1/facilities?{q}")).await;
        assert_eq!(s, status, "{q}");
        assert_error(&v, param, needle);
    }
}

#[tokio::test]
async fn unknown_routes_are_json_404s() {
    let (s, v) = get("/api/v1/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
}

#[tokio::test]
async fn openapi_document_lists_the_served_routes() {
    let (s, v) = get("/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/health",
        "/api/v1/admin",
        "/api/v1/facilities",
        "/api/v1/layers",
        "/api/v1/categories",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p}");
    }
}

#[tokio::test]
async fn large_bodies_are_gzipped_when_the_client_accepts_it() {
    let req = Request::get("/api/v1/admin?level=township")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let resp = crate::http::router(state()).oneshot(req).await.unwrap();
    assert_eq!(
        resp.headers().get(header::CONTENT_ENCODING).unwrap(),
        "gzip"
    );
}

#[tokio::test]
async fn nearest_returns_k_facilities_of_the_category_ordered_by_geodesic_distance() {
    let (s, v) =
        get("/api/v1/facilities/nearest?lon=120.16&lat=30.27&category=elder_canteen&k=5").await;
    assert_eq!(s, StatusCode::OK);
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 5);
    let d: Vec<f64> = f
        .iter()
        .map(|x| x["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(f
        .iter()
        .all(|x| x["properties"]["category"] == "elder_canteen"));
    // a brute-force scan agrees on the nearest
    let st = state();
    let live = st.data.read();
    use geo::{Distance, Geodesic, Point};
    let best = live
        .data
        .data()
        .facilities
        .iter()
        .filter(|f| f.category.id() == "elder_canteen")
        .map(|f| Geodesic.distance(Point::new(120.16, 30.27), f.location))
        .fold(f64::INFINITY, f64::min);
    assert!((best - d[0]).abs() < 1e-3);
}

#[tokio::test]
async fn within_returns_facilities_inside_the_radius_only() {
    let (s, v) = get("/api/v1/facilities/within?lon=120.16&lat=30.27&radius_m=800").await;
    assert_eq!(s, StatusCode::OK);
    let f = v["features"].as_array().unwrap();
    assert!(!f.is_empty());
    assert!(f
        .iter()
        .all(|x| x["properties"]["distance_m"].as_f64().unwrap() <= 800.0));
}

#[tokio::test]
async fn admin_at_west_lake_gives_the_chain_from_city_to_community() {
    let (s, v) = get("/api/v1/admin/at?lon=120.155&lat=30.27").await;
    assert_eq!(s, StatusCode::OK);
    let chain = v["chain"].as_array().unwrap();
    let levels: Vec<&str> = chain.iter().map(|c| c["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["city", "district", "township", "community"]);
    assert_eq!(chain[0]["name"], "杭州市");
    let (_, v) = get("/api/v1/admin/at?lon=100&lat=30").await;
    assert!(
        v["chain"].as_array().unwrap().is_empty(),
        "outside the city: empty chain"
    );
}

#[tokio::test]
async fn gcj02_input_is_converted_before_the_query() {
    let (_, a) = get("/api/v1/admin/at?lon=120.16&lat=30.27").await;
    let (_, b) = get("/api/v1/admin/at?lon=120.16&lat=30.27&crs=gcj02").await;
    let (la, lb) = (a["lon"].as_f64().unwrap(), b["lon"].as_f64().unwrap());
    assert!(
        (la - lb).abs() > 1e-3,
        "gcj02 shifts the point by hundreds of metres"
    );
}

#[tokio::test]
async fn spatial_parameters_get_clear_errors() {
    let cases = [
        (
            "/api/v1/facilities/nearest?lat=30",
            StatusCode::BAD_REQUEST,
            "lon",
            "required",
        ),
        (
            "/api/v1/facilities/nearest?lon=200&lat=30",
            StatusCode::UNPROCESSABLE_ENTITY,
            "lon",
            "[-180, 180]",
        ),
        (
            "/api/v1/facilities/nearest?lon=120&lat=95",
            StatusCode::UNPROCESSABLE_ENTITY,
            "lat",
            "[-90, 90]",
        ),
        (
            "/api/v1/facilities/nearest?lon=120&lat=30&k=101",
            StatusCode::UNPROCESSABLE_ENTITY,
            "k",
            "between 1 and 100",
        ),
        (
            "/api/v1/facilities/nearest?lon=120&lat=30&mode=fly",
            StatusCode::BAD_REQUEST,
            "mode",
            "straight or walk",
        ),
        (
            "/api/v1/facilities/nearest?lon=abc&lat=30",
            StatusCode::BAD_REQUEST,
            "lon",
            "finite number",
        ),
        (
            "/api/v1/facilities/within?lon=120&lat=30&radius_m=60000",
            StatusCode::UNPROCESSABLE_ENTITY,
            "radius_m",
            "<= 50000",
        ),
        (
            "/api/v1/facilities/within?lon=120&lat=30&radius_m=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "radius_m",
            "> 0",
        ),
        (
            "/api/v1/facilities/within?lon=120&lat=30",
            StatusCode::BAD_REQUEST,
            "radius_m",
            "required",
        ),
        (
            "/api/v1/admin/at?lon=120&lat=30&crs=utm",
            StatusCode::BAD_REQUEST,
            "crs",
            "unknown crs",
        ),
    ];
    for (uri, status, param, needle) in cases {
        let (s, v) = get(uri).await;
        assert_eq!(s, status, "{uri}");
        assert_error(&v, param, needle);
    }
}

#[tokio::test]
async fn walk_nearest_is_never_shorter_than_the_straight_line() {
    let q = "lon=120.17&lat=30.27&category=elder_canteen&k=5";
    // the coverage engine builds in the background: retry while it warms up (503)
    let mut tries = 0;
    let (s, walk) = loop {
        let (s, v) = get(&format!("/api/v1/facilities/nearest?{q}&mode=walk")).await;
        if s != StatusCode::SERVICE_UNAVAILABLE || tries == 12 {
            break (s, v);
        }
        tries += 1;
    };
    assert_eq!(s, StatusCode::OK, "{walk}");
    let walk = walk["features"].as_array().unwrap();
    assert_eq!(walk.len(), 5);
    let d: Vec<f64> = walk
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    for f in walk {
        let id = f["properties"]["id"].as_str().unwrap();
        let c = &f["geometry"]["coordinates"];
        let (_, one) = get(&format!(
            "/api/v1/facilities/within?lon=120.17&lat=30.27&category=elder_canteen&radius_m={}",
            f["properties"]["distance_m"].as_f64().unwrap() + 1.0
        ))
        .await;
        let straight = one["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["properties"]["id"] == id)
            .unwrap_or_else(|| panic!("{id} at {c} is within its walking distance"));
        assert!(
            straight["properties"]["distance_m"].as_f64().unwrap()
                <= f["properties"]["distance_m"].as_f64().unwrap() + 1e-3
        );
    }
}

#[tokio::test]
async fn nearest_breaks_exact_ties_by_facility_id() {
    // two canteens placed on the very same spot as a third: equal distances, ordered by id
    let st = state();
    let (lon, lat) = (119.0, 29.3);
    {
        let mut live = st.data.write();
        for id in ["zz-tie", "aa-tie"] {
            let mut f = live.data.data().facilities[0].clone();
            f.id = id.into();
            f.category = civmap_geo_core::FacilityCategory::FuneralService;
            f.location = geo::Point::new(lon + 0.01, lat);
            live.data.upsert_facility(f);
        }
    }
    let (s, v) = get(&format!(
        "/api/v1/facilities/nearest?lon={lon}&lat={lat}&k=1&category=funeral_service"
    ))
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["features"][0]["properties"]["id"], "aa-tie");
    let (_, v) = get(&format!(
        "/api/v1/facilities/within?lon={lon}&lat={lat}&radius_m=2000&category=funeral_service"
    ))
    .await;
    let ids: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["aa-tie", "zz-tie"]);
}

fn first_name(v: &Value) -> String {
    v["features"][0]["properties"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn search_finds_xihu_district_by_chinese_pinyin_initials_and_english() {
    for q in ["%E8%A5%BF%E6%B9%96", "xhq", "xihuqu", "Xihu%20District"] {
        let (s, v) = get(&format!("/api/v1/search?q={q}&kind=admin")).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(first_name(&v), "西湖区", "{q}: {v}");
        assert_eq!(v["features"][0]["properties"]["code"], "330106000000");
        assert!(v["features"][0]["properties"]["label"]
            .as_str()
            .unwrap()
            .contains("杭州市"));
    }
}

#[tokio::test]
async fn autocomplete_completes_a_street_office_prefix() {
    let (s, v) = get("/api/v1/autocomplete?q=%E5%8C%97%E5%B1%B1&limit=5").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"北山街道"), "{names:?}");
}

#[tokio::test]
async fn address_parse_links_district_and_township_codes() {
    let q = "%E6%B5%99%E6%B1%9F%E7%9C%81%E6%9D%AD%E5%B7%9E%E5%B8%82%E8%A5%BF%E6%B9%96%E5%8C%BA%E5%8C%97%E5%B1%B1%E8%A1%97%E9%81%93";
    let (s, v) = get(&format!("/api/v1/address/parse?q={q}")).await;
    assert_eq!(s, StatusCode::OK);
    let codes: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(codes.contains(&"330106000000"), "{v}");
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("330106") && c.ends_with("000") && *c != "330106000000"),
        "{v}"
    );
}

#[tokio::test]
async fn reverse_gives_the_chain_the_nearest_doorplate_and_street() {
    let (s, v) = get("/api/v1/reverse?lon=120.16&lat=30.27").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["chain"].as_array().unwrap().len(), 4);
    assert!(v["doorplate"]["distance_m"].as_f64().unwrap() < 500.0);
    assert!(v["doorplate"]["address"].as_str().unwrap().ends_with('号'));
    assert!(v["road"]["distance_m"].as_f64().unwrap() < 500.0);
}

#[tokio::test]
async fn bad_gazetteer_queries_are_clear_400s_never_500s() {
    let long = "a".repeat(10_240);
    for uri in [
        "/api/v1/search?q=".to_owned(),
        "/api/v1/search".to_owned(),
        format!("/api/v1/search?q={long}"),
        "/api/v1/search?q=%FF%FE".to_owned(),
        "/api/v1/autocomplete?q=ab%01cd".to_owned(),
        "/api/v1/address/parse?q=%00".to_owned(),
        "/api/v1/search?q=x&kind=planet".to_owned(),
    ] {
        let (s, v) = get(&uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn reverse_outside_the_city_says_outside_with_no_address() {
    for (lon, lat) in [(121.47, 31.23), (0.0, 0.0)] {
        let (s, v) = get(&format!("/api/v1/reverse?lon={lon}&lat={lat}")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["outside"], true, "{v}");
        assert_eq!(v["chain"], serde_json::json!([]));
        assert!(v["doorplate"].is_null() && v["road"].is_null(), "{v}");
    }
    let (_, v) = get("/api/v1/reverse?lon=120.16&lat=30.27").await;
    assert_eq!(v["outside"], false, "{v}");
    assert!(
        v["doorplate"]["distance_m"].as_f64().unwrap() < 1000.0,
        "{v}"
    );
}

#[tokio::test]
async fn search_results_say_how_they_matched() {
    let (_, v) = get("/api/v1/search?q=%E4%B8%8B%E5%9F%8E%E5%8C%BA&limit=1").await;
    let m = &v["features"][0]["properties"]["match"];
    assert_eq!(m["kind"], "former_name", "{v}");
    assert!(
        m["former"]["event"].as_str().unwrap().contains("2021"),
        "{m}"
    );
}

async fn raw(req: Request<Body>) -> axum::response::Response {
    crate::http::router(state()).oneshot(req).await.unwrap()
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_naming_the_allowed_ones() {
    let resp = raw(Request::post("/api/v1/layers").body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = resp
        .headers()
        .get(header::ALLOW)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_else(|| format!("{:?}", resp.headers()));
    assert!(allow.contains("GET"), "{allow}");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("POST"),
        "{v}"
    );
}

#[tokio::test]
async fn public_reads_allow_any_origin_and_scenarios_do_not() {
    let with_origin = |method: &str, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ORIGIN, "https://example.org")
            .body(Body::empty())
            .unwrap()
    };
    for uri in ["/api/v1/layers", "/api/v1/search?q=xihu", "/tiles/all.json"] {
        let resp = raw(with_origin("GET", uri)).await;
        assert_eq!(
            resp.headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .map(|v| v.as_bytes()),
            Some(&b"*"[..]),
            "{uri}"
        );
    }
    let resp = raw(with_origin("GET", "/api/v1/scenarios/s1")).await;
    assert!(resp
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
    let resp = raw(with_origin("POST", "/api/v1/siting")).await;
    assert!(resp
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}

#[tokio::test]
async fn a_single_valued_parameter_given_twice_is_a_400() {
    let (s, v) = get("/api/v1/search?q=a&q=b").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "q", "more than once");
    // repeatable ones add up
    let (s, _) =
        get("/api/v1/facilities?category=elder_canteen&category=children_home&limit=1").await;
    assert_eq!(s, StatusCode::OK);
}

/// GET, retrying while the coverage engine warms up (503).
async fn get_ready(uri: &str) -> (StatusCode, Value) {
    for _ in 0..12 {
        let (s, v) = get(uri).await;
        if s != StatusCode::SERVICE_UNAVAILABLE {
            return (s, v);
        }
    }
    get(uri).await
}

/// Issue 18 on the real city: each district's coverage and indicator figures are the sums
/// of its townships', and the city's the sums of its districts' (over HTTP).
#[tokio::test]
async fn district_and_city_rollups_equal_the_sum_of_their_parts_over_http() {
    use std::collections::HashMap;
    let district_of = |code: &str| format!("{}000000", &code[..6]);
    // coverage: townships → districts → city
    let q = "/api/v1/coverage?category=home_care_centre&minutes=15";
    let units = |v: &Value| v["units"].as_array().unwrap().clone();
    let (s, t) = get_ready(&format!("{q}&level=township")).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (_, d) = get_ready(&format!("{q}&level=district")).await;
    let (_, c) = get_ready(&format!("{q}&level=city")).await;
    let (t, d, c) = (units(&t), units(&d), units(&c));
    assert_eq!((d.len(), c.len()), (13, 1));
    for key in [
        "population",
        "covered_population",
        "elderly",
        "covered_elderly",
    ] {
        let mut sums: HashMap<String, u64> = HashMap::new();
        for u in &t {
            *sums
                .entry(district_of(u["code"].as_str().unwrap()))
                .or_default() += u[key].as_u64().unwrap();
        }
        for u in &d {
            assert_eq!(
                sums[u["code"].as_str().unwrap()],
                u[key].as_u64().unwrap(),
                "{key} {u}"
            );
        }
        let all: u64 = d.iter().map(|u| u[key].as_u64().unwrap()).sum();
        assert_eq!(c[0][key].as_u64().unwrap(), all, "{key}");
    }
    // indicators: numerators and denominators of the additive shares
    let ind = |level: &'static str| async move {
        let (s, v) = get_ready(&format!("/api/v1/indicators?level={level}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["units"].as_array().unwrap().clone()
    };
    let (ti, di, ci) = (
        ind("township").await,
        ind("district").await,
        ind("city").await,
    );
    let parts = |u: &Value, id: &str| {
        let i = u["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {u}"))
            .clone();
        (
            i["numerator"].as_u64().unwrap(),
            i["denominator"].as_u64().unwrap_or(0),
        )
    };
    for id in [
        "home_care_15min_share",
        "home_care_20min_share",
        "nursing_bed_share",
        "beds_per_1000_elderly",
        "meal_point",
    ] {
        let mut sums: HashMap<String, (u64, u64)> = HashMap::new();
        for u in &ti {
            let (n, den) = parts(u, id);
            let e = sums
                .entry(district_of(u["code"].as_str().unwrap()))
                .or_default();
            e.0 += n;
            e.1 += den;
        }
        let mut city = (0, 0);
        for u in &di {
            let p = parts(u, id);
            assert_eq!(sums[u["code"].as_str().unwrap()], p, "{id} {}", u["name"]);
            city = (city.0 + p.0, city.1 + p.1);
        }
        assert_eq!(parts(&ci[0], id), city, "{id}");
    }
    // the home-care share's parts are the coverage answer's elderly
    assert_eq!(
        parts(&ci[0], "home_care_15min_share"),
        (
            c[0]["covered_elderly"].as_u64().unwrap(),
            c[0]["elderly"].as_u64().unwrap()
        )
    );
    // the city's neighbourhood centres against the plan's 300
    let nc = ci[0]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "neighbourhood_centre")
        .unwrap();
    assert_eq!(nc["target_2025"], 300.0);
    assert!(nc["numerator"].as_u64().unwrap() > 0);
}

/// A what-if facility farther than 2 km from the walking network (here: a point of the
/// city found by search, e.g. out in Qiandao Lake) is refused naming the field; one a few
/// metres from a street is accepted.
#[tokio::test]
async fn a_facility_far_from_the_walking_network_is_refused() {
    use crate::service::coverage::MAX_OFF_NETWORK_M;
    let s = state();
    let mut tries = 0;
    let snap = loop {
        match s.coverage.engine().await {
            Ok(e) => break e,
            Err(e) if tries == 12 => panic!("{e}"),
            Err(_) => tries += 1,
        }
    };
    let far = {
        let live = s.data.read();
        let index = live.data.index();
        let mut found = None;
        'search: for i in 0..240 {
            for j in 0..140 {
                let (lon, lat) = (118.3 + 0.01 * i as f64, 29.2 + 0.01 * j as f64);
                if index.admin_chain(lon, lat).unwrap_or_default().is_empty() {
                    continue;
                }
                let off = snap.engine.snapper().snap(lon, lat).unwrap().offset_m;
                if off > MAX_OFF_NETWORK_M + 500.0 {
                    found = Some((lon, lat));
                    break 'search;
                }
            }
        }
        found.expect("a point of the city more than 2.5 km from any street")
    };
    let token =
        super::auth_helpers::token_of(&s, "planner-far", civmap_data::accounts::Role::Planner)
            .await;
    let post = |body: String| async {
        let resp = crate::http::router(state())
            .oneshot(
                Request::post("/api/v1/scenarios")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, super::auth_helpers::bearer(&token))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        )
    };
    let (st, v) = post(
        serde_json::json!({"add": [{"category": "elder_canteen", "lon": far.0, "lat": far.1}]})
            .to_string(),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_error(&v, "add[0].lon", "from the walking network");
    // next to a doorplate (which stands on the network's edge): accepted
    let d = s.data.read().data.data().doorplates[0].location;
    let (st, v) = post(
        serde_json::json!({"add": [{"category": "elder_canteen", "lon": d.x(), "lat": d.y()}]})
            .to_string(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn livez_is_static_and_readyz_says_503_until_the_engine_is_built() {
    let fresh: SharedState = Arc::new(AppState::new(
        civmap_geo_core::Dataset::default(),
        StoreKind::Embedded,
    ));
    let ask = |uri: &'static str, st: SharedState| async move { get_on(st, uri).await };
    assert_eq!(ask("/livez", fresh.clone()).await.0, StatusCode::OK);
    // nothing has started the engine of this state yet: not ready, with the health body
    let (s, v) = ask("/readyz", fresh.clone()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["coverage_engine"], "building", "{v}");
    fresh.coverage.start_build();
    for _ in 0..200 {
        if fresh.coverage.ready() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ask("/readyz", fresh.clone()).await.0, StatusCode::OK);
    // the store lost: not ready again
    fresh
        .data
        .store_up
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let (s, v) = ask("/readyz", fresh.clone()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["status"], "degraded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_heavy_requests_beyond_the_limit_are_shed_with_503_and_retry_after() {
    // a limit of one: while one coverage request holds it, the next is shed at once
    let st = state();
    let router = crate::http::router_with(st.clone(), 1);
    let slow = router.clone().oneshot(
        Request::get("/api/v1/coverage?category=home_care_centre&minutes=19.5&level=community")
            .body(Body::empty())
            .unwrap(),
    );
    let slow = tokio::spawn(slow);
    // let it take the one permit (it then waits for the engine or computes for a while)
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let mut shed = None;
    for _ in 0..200 {
        let resp = router
            .clone()
            .oneshot(
                Request::get("/api/v1/coverage?category=elder_canteen&minutes=3")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        if resp.status() == StatusCode::SERVICE_UNAVAILABLE
            && resp.headers().contains_key(header::RETRY_AFTER)
        {
            shed = Some(resp);
            break;
        }
        if slow.is_finished() {
            break;
        }
    }
    let slow = slow.await.unwrap().unwrap();
    let resp = match shed {
        Some(resp) => {
            assert_eq!(slow.status(), StatusCode::OK);
            resp
        }
        // On a busy machine the first request may start after one of the loop's: then it
        // is the one shed (and must say so below).
        None => slow,
    };
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        v["error"]["code"], "overloaded",
        "a request beyond the limit must be shed: {v}"
    );
    // light routes are never shed
    let resp = router
        .oneshot(Request::get("/api/v1/layers").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500_and_the_router_lives_on() {
    async fn boom() -> &'static str {
        panic!("planted panic")
    }
    let app = axum::Router::new()
        .route("/boom", axum::routing::get(boom))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::http::limits::panic_response,
        ));
    let resp = app
        .clone()
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["error"]["code"], "internal");
    let again = app
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
