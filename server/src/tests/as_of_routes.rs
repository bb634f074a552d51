//! `as_of` on the read routes (issue 15), on the real default city and the five bundled NBS
//! editions: 下城区 as it stood in 2020 (reconstructed from today's township polygons), the
//! same point in 拱墅区 after the 2021 merger, the former name dated, unknown shapes said.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use geo::InteriorPoint;
use serde_json::Value;

use super::identity_routes::call;
use super::names_routes::enc;
use super::routes::{served_unit, state};

async fn get(uri: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(&state(), Method::GET, uri, None, None).await;
    (s, v)
}

const NBS2020: &str =
    include_str!("../../../data/hangzhou/divisions/history/hangzhou_divisions_nbs2020.csv");

/// The township codes under `parent` in the NBS2020 file.
fn csv_townships(parent: &str) -> BTreeSet<String> {
    NBS2020
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > 3 && f[1] == "township" && f[3] == parent)
        .map(|f| f[0].to_owned())
        .collect()
}

/// A point inside today's 武林街道 (330105013000, 330103002000 until 2021).
fn wulin_point() -> (f64, f64) {
    let u = served_unit("330105013000");
    let p = u.geometry.interior_point().expect("a polygon");
    (p.x(), p.y())
}

fn chain_codes(v: &Value) -> Vec<(String, String)> {
    v["chain"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_owned(),
                l["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_point_in_wulin_is_in_xiacheng_in_2020_and_in_gongshu_in_2022() {
    let (lon, lat) = wulin_point();
    let (s, v) = get(&format!(
        "/api/v1/admin/at?lon={lon}&lat={lat}&as_of=2020-12-31"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let chain = chain_codes(&v);
    assert_eq!(chain[1], ("330103000000".into(), "下城区".into()), "{v}");
    assert_eq!(chain[2], ("330103002000".into(), "武林街道".into()), "{v}");
    assert_eq!(v["as_of"]["edition"], "NBS2020", "{v}");
    assert_eq!(v["chain"][1]["geometry_source"], "reconstructed", "{v}");
    assert_eq!(v["chain"][2]["geometry_source"], "current", "{v}");

    let (s, v) = get(&format!(
        "/api/v1/admin/at?lon={lon}&lat={lat}&as_of=2022-01-01"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["as_of"]["edition"], "NBS2021",
        "a past edition's view: {v}"
    );
    let chain = chain_codes(&v);
    assert_eq!(chain[1], ("330105000000".into(), "拱墅区".into()), "{v}");
    assert_eq!(chain[2], ("330105013000".into(), "武林街道".into()), "{v}");

    // today: the ordinary answer, no as_of member; a future day is today
    let (_, today) = get(&format!("/api/v1/admin/at?lon={lon}&lat={lat}")).await;
    assert!(today.get("as_of").is_none(), "{today}");
    assert_eq!(chain_codes(&today)[1].1, "拱墅区");
    let (_, future) = get(&format!(
        "/api/v1/admin/at?lon={lon}&lat={lat}&as_of=2999-01-01"
    ))
    .await;
    assert_eq!(future, today);

    // reverse: the chain of that day, the doorplate today's and said so
    let (s, v) = get(&format!(
        "/api/v1/reverse?lon={lon}&lat={lat}&as_of=2020-12-31"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(chain_codes(&v)[1].1, "下城区", "{v}");
    assert!(
        v["as_of"]["notes"][0].as_str().unwrap().contains("today"),
        "{v}"
    );
    assert!(v["doorplate"]["id"].is_u64(), "{v}");
}

#[tokio::test]
async fn xiacheng_in_2020_has_exactly_its_csv_townships_and_a_reconstructed_shape() {
    let (s, v) = get("/api/v1/admin?parent=330100000000&as_of=2020-12-31").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let xc = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "330103000000")
        .unwrap_or_else(|| panic!("下城区 among the city's children in 2020: {v}"));
    assert_eq!(xc["properties"]["name"], "下城区");
    assert_eq!(xc["properties"]["geometry_source"], "reconstructed");
    assert!(!xc["geometry"]["coordinates"].as_array().unwrap().is_empty());
    assert!(xc["properties"]["population"].as_u64().unwrap() > 0);
    assert_eq!(v["as_of"]["edition"], "NBS2020");

    let (s, v) = get("/api/v1/admin?parent=330103000000&as_of=2020-12-31").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: BTreeSet<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let want = csv_townships("330103000000");
    assert!(want.len() >= 8, "{want:?}");
    assert_eq!(got, want);
    // today 下城区 is gone
    let (s, _) = get("/api/v1/admin?parent=330103000000").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // the unit itself, with its version's dates and measures of the reconstructed shape
    let (s, v) = get("/api/v1/admin/330103000000?as_of=2020-12-31").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p = &v["properties"];
    assert_eq!(p["geometry_source"], "reconstructed", "{v}");
    assert_eq!(p["valid_to"], "2021-10-31", "{v}");
    assert_eq!(p["children"].as_u64(), Some(want.len() as u64), "{v}");
    assert!(p["area_m2"].as_f64().unwrap() > 1e6, "{v}");
    assert_eq!(p["ancestors"][0]["code"], "330100000000", "{v}");
}

#[tokio::test]
async fn shapes_that_cannot_be_rebuilt_are_unknown_and_empty_never_invented() {
    let (s, v) = get("/api/v1/admin?level=community&as_of=2019-12-31").await;
    assert_eq!(s, StatusCode::OK);
    let mut unknown = 0;
    for f in v["features"].as_array().unwrap() {
        let empty = f["geometry"]["coordinates"].as_array().unwrap().is_empty();
        match f["properties"]["geometry_source"].as_str().unwrap() {
            "unknown" => {
                unknown += 1;
                assert!(empty, "{f}");
                assert_eq!(
                    f["properties"]["geometry_from"],
                    serde_json::json!([]),
                    "{f}"
                );
            }
            "current" | "reconstructed" => assert!(!empty, "{f}"),
            other => panic!("source {other}"),
        }
    }
    assert!(
        unknown > 0,
        "communities abolished before 2020 have no polygon today"
    );
}

#[tokio::test]
async fn a_former_name_is_found_today_with_its_event_and_date_and_as_it_was() {
    let (s, v) = get(&format!("/api/v1/search?q={}&limit=3", enc("下城区"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p = &v["features"][0]["properties"];
    assert_eq!(p["name"], "拱墅区", "{v}");
    let former = &p["match"]["former"];
    assert_eq!(former["name"], "下城区", "{v}");
    assert_eq!(former["kind"], "merged", "{v}");
    assert_eq!(former["date"], "2021-10-31", "{v}");
    assert_eq!(former["after"], "2020-06-30", "{v}");

    let (s, v) = get(&format!(
        "/api/v1/search?q={}&as_of=2020-12-31",
        enc("下城区")
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let p = &v["features"][0]["properties"];
    assert_eq!(p["code"], "330103000000", "{v}");
    assert_eq!(p["match"]["kind"], "exact", "{v}");
    assert_eq!(p["geometry_source"], "reconstructed", "{v}");
    assert_eq!(v["as_of"]["edition"], "NBS2020", "{v}");
    // its townships carry 下城区 as their district
    let (_, v) = get(&format!(
        "/api/v1/search?q={}&as_of=2020-12-31",
        enc("武林")
    ))
    .await;
    assert_eq!(v["features"][0]["properties"]["district"], "下城区", "{v}");
}

#[tokio::test]
async fn a_bad_as_of_is_named() {
    let (lon, lat) = wulin_point();
    for route in [
        "/api/v1/admin?level=district".to_owned(),
        "/api/v1/admin/330106000000?".to_owned(),
        format!("/api/v1/admin/at?lon={lon}&lat={lat}"),
        format!("/api/v1/reverse?lon={lon}&lat={lat}"),
        "/api/v1/search?q=abc".to_owned(),
        "/api/v1/boundaries?level=district".to_owned(),
    ] {
        let sep = if route.ends_with('?') { "" } else { "&" };
        for (day, status) in [
            ("2020-13-45", StatusCode::BAD_REQUEST),
            ("yesterday", StatusCode::BAD_REQUEST),
            ("1990-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let uri = format!("{route}{sep}as_of={day}");
            let (s, v) = get(&uri).await;
            assert_eq!(s, status, "{uri}: {v}");
            assert_eq!(v["error"]["param"], "as_of", "{uri}: {v}");
        }
    }
}

#[tokio::test]
async fn coverage_as_of_2020_sums_xiacheng_from_todays_townships() {
    let st = state();
    st.coverage.engine().await.expect("the coverage engine");
    let q = "/api/v1/coverage?category=home_care_centre&minutes=15&level=district";
    let (s, today) = get(q).await;
    assert_eq!(s, StatusCode::OK, "{today}");
    let (s, past) = get(&format!("{q}&as_of=2020-12-31")).await;
    assert_eq!(s, StatusCode::OK, "{past}");
    let unit = |v: &Value, code: &str| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == code)
            .cloned()
    };
    let xc = unit(&past, "330103000000").expect("下城区 in the 2020 report");
    let gs_then = unit(&past, "330105000000").expect("拱墅区 in 2020");
    let gs_now = unit(&today, "330105000000").expect("拱墅区 today");
    assert!(unit(&today, "330103000000").is_none());
    // 下城区 and 拱墅区 of 2020 are today's 拱墅区, nothing else moved in
    for field in [
        "population",
        "covered_population",
        "elderly",
        "covered_elderly",
    ] {
        let sum = xc[field].as_u64().unwrap() + gs_then[field].as_u64().unwrap();
        assert_eq!(sum, gs_now[field].as_u64().unwrap(), "{field}");
    }
    assert_eq!(
        past["total"], today["total"],
        "the city's doorplates are today's"
    );
    assert!(past["as_of"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("today"));
}

#[tokio::test]
async fn tiles_as_of_2020_draw_xiacheng_with_their_own_etag() {
    // z12 tile over 下城区 (120.18°E, 30.29°N)
    let today = "/tiles/admin/12/3415/1685.mvt";
    let past = format!("{today}?as_of=2020-12-31");
    let (s, now_bytes) = super::identity_routes::raw(&state(), Method::GET, today, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, then_bytes) = super::identity_routes::raw(&state(), Method::GET, &past, None).await;
    assert_eq!(s, StatusCode::OK);
    let has = |b: &[u8], name: &str| b.windows(name.len()).any(|w| w == name.as_bytes());
    assert!(has(&then_bytes, "下城区") && !has(&now_bytes, "下城区"));
    assert!(has(&now_bytes, "拱墅区"));
    let etag = |h: &axum::http::HeaderMap| h[axum::http::header::ETAG].to_str().unwrap().to_owned();
    let (_, h_now, _) = call(&state(), Method::GET, today, None, None).await;
    let (_, h_then, _) = call(&state(), Method::GET, &past, None, None).await;
    assert_ne!(etag(&h_now), etag(&h_then));
    let (s, v) = get("/tiles/facilities/12/3415/1685.mvt?as_of=2020-12-31").await;
    assert_eq!(
        (s, &v["error"]["param"]),
        (StatusCode::BAD_REQUEST, &Value::from("as_of"))
    );
    let (_, tj) = get("/tiles/all.json?as_of=2020-12-31").await;
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("?as_of=2020-12-31"),
        "{tj}"
    );
}

/// The name index finds exactly the units a scan of every name finds: for every unit name
/// of the 2020 edition, its first and last characters, two-character pieces and its code.
#[test]
fn the_name_index_finds_what_a_full_scan_finds() {
    let st = state();
    let crate::service::as_of::AsOf::Past { edition, .. } =
        crate::service::as_of::AsOf::parse("as_of", Some("2020-12-31")).unwrap()
    else {
        panic!("2020-12-31 is a past day")
    };
    let view = st.data.as_of_view(edition).unwrap();
    let mut queries: BTreeSet<String> = BTreeSet::new();
    for u in &view.units {
        let chars: Vec<char> = u.name.chars().collect();
        queries.insert(u.name.clone());
        queries.insert(u.code.as_str().to_owned());
        queries.extend(chars.first().map(|c| c.to_string()));
        queries.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    }
    queries.insert("不存在的名字".into());
    assert!(queries.len() > 5_000, "{} queries", queries.len());
    for q in &queries {
        let scan: Vec<usize> = (0..view.units.len())
            .filter(|&i| {
                let u = &view.units[i];
                u.name.contains(q.as_str()) || u.code.as_str() == q
            })
            .collect();
        let indexed: Vec<usize> = view
            .name_candidates(q)
            .into_iter()
            .filter(|&i| {
                let u = &view.units[i];
                u.name.contains(q.as_str()) || u.code.as_str() == q
            })
            .collect();
        assert_eq!(indexed, scan, "{q}");
    }
}
