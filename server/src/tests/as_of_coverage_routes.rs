//! `as_of` on the coverage routes beyond `/api/v1/coverage` (issue 15): gaps, indicators and
//! siting of the units of 2020 (下城区 and 拱墅区 before their 2021 merger), each checked
//! against today's answers for today's units 下城区's shape was made from, summed here.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use civmap_data::accounts::Role;
use serde_json::Value;

use super::auth_helpers::token_of;
use super::identity_routes::{call, raw};
use super::routes::state;

const XIACHENG: &str = "330103000000";
const GONGSHU: &str = "330105000000";
const PAST: &str = "as_of=2020-12-31";

async fn get_as(uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let (s, _, v) = call(&state(), Method::GET, uri, token, None).await;
    (s, v)
}

/// Waits for the coverage engine of the shared state.
async fn engine_ready() {
    let engine = state().coverage.engine().await;
    engine.expect("the coverage engine");
}

async fn planner() -> String {
    token_of(&state(), "planner-as-of-coverage", Role::Planner).await
}

/// Today's codes the 2020 shape of `code` (a district) was made from, all township codes.
async fn made_from(code: &str) -> BTreeSet<String> {
    let (s, v) = get_as(&format!("/api/v1/admin?parent=330100000000&{PAST}"), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == code)
        .unwrap_or_else(|| panic!("{code} in 2020: {v}"));
    let from: BTreeSet<String> = f["properties"]["geometry_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert!(from.len() >= 8, "{from:?}");
    for c in &from {
        assert!(&c[6..9] != "000" && &c[9..] == "000", "{c} is a township");
    }
    from
}

fn features(v: &Value) -> &Vec<Value> {
    v["features"]
        .as_array()
        .unwrap_or_else(|| panic!("features: {v}"))
}

/// Sums of (uncovered elderly, residents, doorplates) over the gaps whose unit is in `codes`.
fn gap_sums(v: &Value, codes: &BTreeSet<String>) -> (u64, u64, u64, usize) {
    let mut s = (0, 0, 0, 0);
    for f in features(v) {
        let p = &f["properties"];
        let Some(code) = p["admin"]["code"].as_str() else {
            continue;
        };
        if codes.contains(code) {
            s.0 += p["elderly"].as_u64().unwrap();
            s.1 += p["population"].as_u64().unwrap();
            s.2 += p["doorplates"].as_u64().unwrap();
            s.3 += 1;
        }
    }
    s
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| (*c).to_owned()).collect()
}

#[tokio::test]
async fn gaps_as_of_2020_hold_exactly_the_uncovered_of_xiachengs_todays_townships() {
    engine_ready().await;
    let token = planner().await;
    let t = Some(token.as_str());
    let q = "/api/v1/coverage/gaps?category=home_care_centre&minutes=10&limit=10000&cell_m=500";
    let from = made_from(XIACHENG).await;
    let (s, townships) = get_as(&format!("{q}&level=township"), t).await;
    assert_eq!(s, StatusCode::OK, "{townships}");
    let (s, past) = get_as(&format!("{q}&level=district&{PAST}"), t).await;
    assert_eq!(s, StatusCode::OK, "{past}");
    let (s, today) = get_as(&format!("{q}&level=district"), t).await;
    assert_eq!(s, StatusCode::OK, "{today}");
    for v in [&townships, &past, &today] {
        assert_eq!(
            v["numberMatched"], v["numberReturned"],
            "every gap on one page"
        );
    }

    let xc = gap_sums(&past, &set(&[XIACHENG]));
    let parts = gap_sums(&townships, &from);
    assert!(
        xc.0 > 0 && xc.3 > 0,
        "下城区 has uncovered elderly in 2020: {xc:?}"
    );
    assert_eq!((xc.0, xc.1, xc.2), (parts.0, parts.1, parts.2));
    // gaps run across today's township borders inside 下城区, never out of it
    assert!(xc.3 <= parts.3, "{xc:?} {parts:?}");
    // 下城区 and 拱墅区 of 2020 are today's 拱墅区
    let gs_then = gap_sums(&past, &set(&[GONGSHU]));
    let gs_now = gap_sums(&today, &set(&[GONGSHU]));
    assert_eq!(
        (xc.0 + gs_then.0, xc.1 + gs_then.1, xc.2 + gs_then.2),
        (gs_now.0, gs_now.1, gs_now.2)
    );
    assert!(gap_sums(&today, &set(&[XIACHENG])).3 == 0);
    // the city's uncovered doorplates are today's
    let all = |v: &Value| -> u64 {
        features(v)
            .iter()
            .map(|f| f["properties"]["doorplates"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(all(&past), all(&today));
    assert_eq!(past["as_of"]["edition"], "NBS2020", "{}", past["as_of"]);
    assert!(past["as_of"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("today"));
    let first_xc = features(&past)
        .iter()
        .find(|f| f["properties"]["admin"]["code"] == XIACHENG)
        .unwrap();
    assert_eq!(
        first_xc["properties"]["admin"]["geometry_source"],
        "reconstructed"
    );
    // ranked like today's: most uncovered elderly first, ranks 1..
    let elderly: Vec<u64> = features(&past)
        .iter()
        .map(|f| f["properties"]["elderly"].as_u64().unwrap())
        .collect();
    assert!(elderly.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(features(&past)[0]["properties"]["rank"], 1);

    // the public sees no person counts as of a past day either
    let (s, public) = get_as(&format!("{q}&level=district&{PAST}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(features(&public).len(), features(&past).len());
    for f in features(&public) {
        assert!(f["properties"].get("elderly").is_none(), "{f}");
        assert!(f["properties"].get("population").is_none(), "{f}");
    }
}

/// `(numerator, denominator)` of indicator `id` of unit `code` in an indicators answer.
fn indicator(v: &Value, code: &str, id: &str) -> (u64, Option<u64>) {
    let u = v["units"]
        .as_array()
        .unwrap_or_else(|| panic!("units: {v}"))
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {}", v["level"]));
    let i = u["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} of {code}"));
    (i["numerator"].as_u64().unwrap(), i["denominator"].as_u64())
}

fn elderly_of(v: &Value, code: &str) -> u64 {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("{code}"))["elderly"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn indicators_as_of_2020_sum_xiachengs_todays_townships() {
    engine_ready().await;
    let from = made_from(XIACHENG).await;
    let (s, townships) = get_as("/api/v1/indicators?level=township", None).await;
    assert_eq!(s, StatusCode::OK, "{townships}");
    let (s, past) = get_as(&format!("/api/v1/indicators?level=district&{PAST}"), None).await;
    assert_eq!(s, StatusCode::OK, "{past}");
    let (s, today) = get_as("/api/v1/indicators?level=district", None).await;
    assert_eq!(s, StatusCode::OK, "{today}");
    assert_eq!(past["as_of"]["edition"], "NBS2020");

    let additive = [
        "home_care_15min_share",
        "home_care_20min_share",
        "nursing_bed_share",
        "beds_per_1000_elderly",
    ];
    for id in additive {
        let (n, d) = indicator(&past, XIACHENG, id);
        let (mut sn, mut sd) = (0, 0);
        for c in &from {
            let (tn, td) = indicator(&townships, c, id);
            sn += tn;
            sd += td.unwrap();
        }
        assert_eq!((n, d), (sn, Some(sd)), "{id} of 下城区 2020");
        assert!(d.unwrap() > 0, "{id}");
        // 下城区 + 拱墅区 of 2020 = today's 拱墅区
        let (gn, gd) = indicator(&past, GONGSHU, id);
        let (nn, nd) = indicator(&today, GONGSHU, id);
        assert_eq!(
            (n + gn, d.unwrap() + gd.unwrap()),
            (nn, nd.unwrap()),
            "{id}"
        );
    }
    let sum: u64 = from.iter().map(|c| elderly_of(&townships, c)).sum();
    assert_eq!(elderly_of(&past, XIACHENG), sum);
    let (n, _) = indicator(&past, XIACHENG, "neighbourhood_centre");
    let (g, _) = indicator(&past, GONGSHU, "neighbourhood_centre");
    assert_eq!(n + g, indicator(&today, GONGSHU, "neighbourhood_centre").0);
    // a township of 2020 under 下城区: 武林街道, as today's (made from itself)
    let (s, t2020) = get_as(&format!("/api/v1/indicators?level=township&{PAST}"), None).await;
    assert_eq!(s, StatusCode::OK);
    for id in ["children_home", "social_work_station", "nursing_bed_share"] {
        assert_eq!(
            indicator(&t2020, "330103002000", id),
            indicator(&townships, "330105013000", id),
            "{id}"
        );
    }
}

const AREA: &str = "/api/v1/coverage/area?category=elder_canteen&minutes=5&cell_m=500";

#[tokio::test]
async fn service_areas_as_of_2020_are_todays_polygons_and_say_so() {
    engine_ready().await;
    let (s, today) = get_as(AREA, None).await;
    assert_eq!(s, StatusCode::OK, "{today}");
    let (s, mut past) = get_as(&format!("{AREA}&{PAST}"), None).await;
    assert_eq!(s, StatusCode::OK, "{past}");
    let as_of = past
        .as_object_mut()
        .unwrap()
        .remove("as_of")
        .expect("as_of");
    assert_eq!(as_of["edition"], "NBS2020");
    assert!(as_of["notes"][0].as_str().unwrap().contains("today"));
    assert!(!features(&today).is_empty());
    assert_eq!(past, today);
}

#[tokio::test]
async fn today_and_a_future_day_answer_byte_for_byte_as_before() {
    engine_ready().await;
    for q in [
        "/api/v1/coverage/gaps?category=elder_canteen&minutes=5&limit=20",
        "/api/v1/indicators?level=district",
        AREA,
    ] {
        let (s, now) = raw(&state(), Method::GET, q, None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, future) = raw(
            &state(),
            Method::GET,
            &format!("{q}&as_of=2999-01-01"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(now, future, "{q}");
        let v: Value = serde_json::from_slice(&now).unwrap();
        assert!(v.get("as_of").is_none(), "{q}");
    }
}

#[tokio::test]
async fn a_bad_as_of_is_named_on_the_coverage_routes() {
    for route in [
        "/api/v1/coverage/gaps?category=elder_canteen",
        "/api/v1/indicators?level=township",
        AREA,
    ] {
        for (day, status) in [
            ("2020-13-45", StatusCode::BAD_REQUEST),
            ("yesterday", StatusCode::BAD_REQUEST),
            ("1990-01-01", StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let uri = format!("{route}&as_of={day}");
            let (s, v) = get_as(&uri, None).await;
            assert_eq!(s, status, "{uri}: {v}");
            assert_eq!(v["error"]["param"], "as_of", "{uri}: {v}");
        }
    }
}

async fn post_siting(uri: &str, body: Value, token: Option<&str>) -> (StatusCode, Value) {
    let (s, _, v) = call(&state(), Method::POST, uri, token, Some(body)).await;
    (s, v)
}

#[tokio::test]
async fn siting_in_xiacheng_as_of_2020_stays_in_its_rebuilt_shape_and_sums_its_parts() {
    engine_ready().await;
    let token = planner().await;
    let t = Some(token.as_str());
    let body = serde_json::json!({"category": "home_care_centre", "minutes": 10, "k": 2,
        "area": XIACHENG, "as_of": "2020-12-31"});
    let (s, v) = post_siting("/api/v1/siting", body.clone(), t).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["area"], XIACHENG);
    assert_eq!(v["as_of"]["edition"], "NBS2020", "{v}");
    // the area's figures are the sums of today's townships it was made from
    let from = made_from(XIACHENG).await;
    let (_, cov) = get_as(
        "/api/v1/coverage?category=home_care_centre&minutes=10&level=township",
        None,
    )
    .await;
    let (mut covered, mut elderly) = (0, 0);
    for u in cov["units"].as_array().unwrap() {
        if from.contains(u["code"].as_str().unwrap()) {
            covered += u["covered_elderly"].as_u64().unwrap();
            elderly += u["elderly"].as_u64().unwrap();
        }
    }
    assert_eq!(v["covered_elderly_before"].as_u64(), Some(covered), "{v}");
    assert_eq!(v["elderly"].as_u64(), Some(elderly), "{v}");
    let sites = features(&v);
    assert!(!sites.is_empty(), "{v}");
    let past_townships: BTreeSet<String> = {
        let (_, t) = get_as(&format!("/api/v1/admin?parent={XIACHENG}&{PAST}"), None).await;
        features(&t)
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut gained = 0;
    for f in sites {
        let p = &f["properties"];
        assert_eq!(p["district"]["code"], XIACHENG, "{p}");
        assert_eq!(p["district"]["name"], "下城区", "{p}");
        let township = p["township"]["code"].as_str().unwrap();
        assert!(past_townships.contains(township), "{p}");
        gained += p["newly_covered_elderly"].as_u64().unwrap();
    }
    assert_eq!(v["covered_elderly_after"].as_u64(), Some(covered + gained));

    // the same as a query parameter
    let mut query_body = body.clone();
    query_body.as_object_mut().unwrap().remove("as_of");
    let (s, q) = post_siting(&format!("/api/v1/siting?{PAST}"), query_body.clone(), t).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q, v);
    // today 下城区 is no unit
    let (s, e) = post_siting("/api/v1/siting", query_body, t).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["param"], "area");
    // planners only, as today
    let (s, _) = post_siting("/api/v1/siting", body, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn siting_in_a_past_unit_of_unknown_shape_is_refused_naming_area() {
    let (s, v) = get_as("/api/v1/admin?level=community&as_of=2019-12-31", None).await;
    assert_eq!(s, StatusCode::OK);
    let unknown = features(&v)
        .iter()
        .find(|f| f["properties"]["geometry_source"] == "unknown")
        .expect("a community of unknown shape in 2019")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = planner().await;
    let body = serde_json::json!({"category": "home_care_centre", "k": 1,
        "area": unknown, "as_of": "2019-12-31"});
    let (s, e) = post_siting("/api/v1/siting", body, Some(&token)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["param"], "area", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(&unknown),
        "{e}"
    );
}

#[tokio::test]
async fn a_bad_as_of_is_named_on_siting_in_the_body_and_the_query() {
    let token = planner().await;
    for (day, status) in [
        ("2020-13-45", StatusCode::BAD_REQUEST),
        ("1990-01-01", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let body = serde_json::json!({"category": "home_care_centre", "k": 1, "as_of": day});
        let (s, v) = post_siting("/api/v1/siting", body, Some(&token)).await;
        assert_eq!((s, &v["error"]["param"]), (status, &Value::from("as_of")));
        let body = serde_json::json!({"category": "home_care_centre", "k": 1});
        let uri = format!("/api/v1/siting?as_of={day}");
        let (s, v) = post_siting(&uri, body, Some(&token)).await;
        assert_eq!((s, &v["error"]["param"]), (status, &Value::from("as_of")));
    }
}

#[tokio::test]
async fn a_past_csv_export_names_that_editions_chain() {
    engine_ready().await;
    let token = planner().await;
    let uri = format!(
        "/api/v1/coverage/gaps?category=home_care_centre&minutes=3&level=township&limit=10000&format=csv&{PAST}"
    );
    let (s, bytes) = raw(&state(), Method::GET, &uri, Some(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    // gaps of 2020's townships of 下城区 (codes gone today) carry 2020's 下城区 as district
    let row = text
        .lines()
        .find(|l| l.contains(",330103000000,"))
        .unwrap_or_else(|| panic!("a gap in 下城区 2020:\n{}", &text[..500.min(text.len())]));
    assert!(
        row.contains("330103000000") && row.contains("下城区"),
        "{row}"
    );
}
