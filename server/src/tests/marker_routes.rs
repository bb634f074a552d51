//! The marker register and validation exceptions through the whole router: roles, districts,
//! what the public sees, bad bodies, the audit rows, history and restore.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use civmap_data::accounts::Role;
use serde_json::{json, Value};

use super::auth_helpers::{ensure_user, token_of};
use super::coverage_routes::city;
use crate::service::{AppState, SharedState, StoreKind};

/// The test city's one district; (120.105, 30.205) lies in it.
const DISTRICT: &str = "330102000000";
const IN: (f64, f64) = (120.105, 30.205);

fn fresh() -> SharedState {
    Arc::new(AppState::new(city(), StoreKind::Embedded))
}

async fn call(
    st: &SharedState,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, v) = super::identity_routes::call(st, method, uri, token, body).await;
    (status, v)
}

/// A token of a surveyor limited to `district`.
async fn district_surveyor(st: &SharedState, name: &str, district: &str) -> String {
    ensure_user(st, name, Role::Surveyor, Some(district)).await;
    token_of(st, name, Role::Surveyor).await
}

fn marker(number: &str, lon: f64, lat: f64) -> Value {
    json!({"number": number, "line": "330102000000-outer-1", "lon": lon, "lat": lat, "kind": "A"})
}

#[tokio::test]
async fn writes_need_a_surveyor_of_the_right_district() {
    let st = fresh();
    let body = marker("330102-330105-001A", IN.0, IN.1);
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let planner = token_of(&st, "m-planner", Role::Planner).await;
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        Some(&planner),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let other = district_surveyor(&st, "m-other", "330106000000").await;
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        Some(&other),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("330106000000") && msg.contains(DISTRICT),
        "{msg}"
    );
    let ours = district_surveyor(&st, "m-ours", DISTRICT).await;
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        Some(&ours),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["properties"]["number"], "330102-330105-001A");
    assert_eq!(v["properties"]["version"], 1);
    // GK (EPSG:4549) of 120.105°E: 500 km + ~10 km east of the 120° meridian
    let x = v["properties"]["x"].as_f64().unwrap();
    let y = v["properties"]["y"].as_f64().unwrap();
    assert!(
        (x - 510_099.0).abs() < 50.0 && (y - 3_342_000.0).abs() < 2_000.0,
        "{x} {y}"
    );
    // the number is taken now, retired or not
    let (s, _) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        Some(&ours),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // our surveyor may not move it out of the district; the other may not touch it
    let uri = "/api/v1/markers/330102-330105-001A";
    let (s, v) = call(
        &st,
        Method::PATCH,
        uri,
        Some(&ours),
        Some(json!({"lon": 120.3, "lat": 30.3})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = call(
        &st,
        Method::PATCH,
        uri,
        Some(&other),
        Some(json!({"status": "damaged"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(&st, Method::DELETE, uri, Some(&other), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // an admin has every role
    let admin = token_of(&st, "m-admin", Role::Admin).await;
    let (s, v) = call(
        &st,
        Method::PATCH,
        uri,
        Some(&admin),
        Some(json!({"status": "damaged"})),
    )
    .await;
    assert_eq!(
        (s, v["properties"]["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{v}"
    );
    // every write above that succeeded is in the audit log with before/after
    let (s, v) = call(
        &st,
        Method::GET,
        "/api/v1/audit?action=marker.",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let rows = v["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert_eq!(rows[0]["action"], "marker.update");
    assert_eq!(rows[0]["who"], "m-admin");
    assert_eq!(rows[0]["before"]["status"], "intact");
    assert_eq!(rows[0]["after"]["status"], "damaged");
    assert_eq!(rows[1]["action"], "marker.create");
    assert_eq!(rows[1]["after"]["number"], "330102-330105-001A");
}

#[tokio::test]
async fn bad_bodies_are_400_naming_the_field() {
    let st = fresh();
    let t = token_of(&st, "m-bad", Role::Surveyor).await;
    let cases = [
        (
            json!({"number": "1 A", "line": "330102000000-outer-1", "lon": 120.1, "lat": 30.2, "kind": "A"}),
            "number",
        ),
        (
            json!({"number": "12B", "line": "330102000000-outer-1", "lon": 120.1, "lat": 30.2, "kind": "A"}),
            "number",
        ),
        (
            json!({"number": "12A", "line": "", "lon": 120.1, "lat": 30.2, "kind": "A"}),
            "line",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": 12.1, "lat": 30.2, "kind": "A"}),
            "lon",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": 120.1, "lat": 95.0, "kind": "A"}),
            "lat",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": 120.1, "lat": 30.2, "kind": "Z"}),
            "kind",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": 120.1, "lat": 30.2, "kind": "A", "status": "gone"}),
            "status",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": "x", "lat": 30.2, "kind": "A"}),
            "lon",
        ),
        (
            json!({"number": "12A", "line": "330102000000-outer-1", "lon": 120.1, "lat": 30.2, "kind": "A", "colour": 1}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let (s, v) = call(
            &st,
            Method::POST,
            "/api/v1/markers",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["param"], field, "{body}: {v}");
    }
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers",
        Some(&t),
        Some(marker("7A", IN.0, IN.1)),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let insp = [
        (json!({"date": "2024-02-30", "status": "intact"}), "date"),
        (json!({"date": "2999-01-01", "status": "intact"}), "date"),
        (json!({"date": "2024-05-01", "status": "fine"}), "status"),
        (
            json!({"date": "2024-05-01", "status": "moved", "offset_m": -1.0}),
            "offset_m",
        ),
        (
            json!({"date": "2024-05-01", "status": "intact", "inspector": " "}),
            "inspector",
        ),
    ];
    for (body, field) in insp {
        let (s, v) = call(
            &st,
            Method::POST,
            "/api/v1/markers/7A/inspections",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["param"], field, "{body}: {v}");
    }
    let patches = [
        (json!({}), "body"),
        (json!({"lon": 120.1}), "lat"),
        (json!({"kind": "B"}), "number"),
    ];
    for (body, field) in patches {
        let (s, v) = call(
            &st,
            Method::PATCH,
            "/api/v1/markers/7A",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["param"], field, "{body}: {v}");
    }
    let exc = [
        (
            json!({"rule": "nope", "codes": [DISTRICT], "why": "x"}),
            "rule",
        ),
        (
            json!({"rule": "gap", "codes": ["33"], "why": "x"}),
            "codes[0]",
        ),
        (json!({"rule": "gap", "codes": [], "why": "x"}), "codes"),
        (
            json!({"rule": "gap", "codes": [DISTRICT], "why": ""}),
            "why",
        ),
        (
            json!({"rule": "gap", "codes": [DISTRICT], "why": "x", "expires": "2020-01-01"}),
            "expires",
        ),
        (
            json!({"rule": "marker_off_line", "codes": [], "why": "x"}),
            "marker",
        ),
        (
            json!({"rule": "gap", "codes": [DISTRICT], "why": "x", "marker": "7A"}),
            "marker",
        ),
    ];
    for (body, field) in exc {
        let (s, v) = call(
            &st,
            Method::POST,
            "/api/v1/validation/exceptions",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["error"]["param"], field, "{body}: {v}");
    }
    // none of the refused writes left an audit row
    let admin = token_of(&st, "m-bad-admin", Role::Admin).await;
    let (_, v) = call(
        &st,
        Method::GET,
        "/api/v1/audit?who=m-bad",
        Some(&admin),
        None,
    )
    .await;
    let actions: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["marker.create", "auth.login"], "{v}");
}

#[tokio::test]
async fn inspector_names_are_for_staff_only_and_restore_brings_back_the_old_position() {
    let st = fresh();
    let t = token_of(&st, "m-staff", Role::Surveyor).await;
    let (s, _) = call(&st, Method::POST, "/api/v1/markers", Some(&t), Some(json!({"number": "9Q", "line": "330102000000-outer-1", "lon": IN.0, "lat": IN.1, "kind": "Q"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let insp = json!({"date": "2024-05-01", "status": "moved", "offset_m": 1.25, "inspector": "张工", "note": "路基施工"});
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers/9Q/inspections",
        Some(&t),
        Some(insp),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["properties"]["status"], "moved");
    // an older inspection is kept but does not decide the status
    let old = json!({"date": "2023-05-01", "status": "intact"});
    let (_, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers/9Q/inspections",
        Some(&t),
        Some(old),
    )
    .await;
    assert_eq!(v["properties"]["status"], "moved", "{v}");
    assert_eq!(v["properties"]["inspections"][0]["inspector"], "m-staff");

    let planner = token_of(&st, "m-planner2", Role::Planner).await;
    for who in [None, Some(planner.as_str())] {
        for uri in ["/api/v1/markers/9Q", "/api/v1/markers?status=moved"] {
            let (s, v) = call(&st, Method::GET, uri, who, None).await;
            assert_eq!(s, StatusCode::OK, "{uri}: {v}");
            let text = v.to_string();
            assert!(
                !text.contains("张工") && !text.contains("inspector") && !text.contains("路基"),
                "{uri}: {text}"
            );
            assert!(text.contains("1.25"), "offsets are public: {text}");
        }
        let (_, v) = call(&st, Method::GET, "/api/v1/markers/9Q/history", who, None).await;
        assert!(!v.to_string().contains("m-staff"), "{v}");
        let (s, _) = call(
            &st,
            Method::GET,
            "/api/v1/validation/exceptions",
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (_, v) = call(&st, Method::GET, "/api/v1/markers/9Q", Some(&t), None).await;
    assert_eq!(
        v["properties"]["inspections"][1]["inspector"], "张工",
        "{v}"
    );
    assert_eq!(v["properties"]["inspections"][1]["note"], "路基施工");

    // move, retire, restore the first version: back in the register at the old place
    let (s, v) = call(
        &st,
        Method::PATCH,
        "/api/v1/markers/9Q",
        Some(&t),
        Some(json!({"lon": 120.106, "lat": 30.206})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = call(&st, Method::DELETE, "/api/v1/markers/9Q", Some(&t), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(&st, Method::GET, "/api/v1/markers/9Q", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = call(&st, Method::GET, "/api/v1/markers", None, None).await;
    assert_eq!(v["features"].as_array().unwrap().len(), 0);
    let (s, _) = call(
        &st,
        Method::PATCH,
        "/api/v1/markers/9Q",
        Some(&t),
        Some(json!({"status": "lost"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, h) = call(
        &st,
        Method::GET,
        "/api/v1/markers/9Q/history",
        Some(&t),
        None,
    )
    .await;
    assert_eq!(h["retired"], true);
    let versions = h["versions"].as_array().unwrap();
    let actions: Vec<&str> = versions
        .iter()
        .map(|v| v["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "inspect", "update"], "{h}");
    assert!(
        versions.iter().all(|v| v.get("valid_to").is_some()),
        "retired: every version ended"
    );
    assert_eq!(versions[0]["by"], "m-staff");
    let (s, _) = call(
        &st,
        Method::POST,
        "/api/v1/markers/9Q/restore",
        Some(&t),
        Some(json!({"version": 9})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/markers/9Q/restore",
        Some(&t),
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["properties"]["version"], 4);
    assert_eq!(v["properties"]["lon"], IN.0);
    assert_eq!(v["properties"]["lat"], IN.1);
    assert_eq!(v["properties"]["status"], "intact");
    let (s, v) = call(&st, Method::GET, "/api/v1/markers/9Q", None, None).await;
    assert_eq!(
        (s, v["geometry"]["coordinates"].clone()),
        (StatusCode::OK, json!([IN.0, IN.1]))
    );
    let (_, h) = call(&st, Method::GET, "/api/v1/markers/9Q/history", None, None).await;
    assert_eq!(h["retired"], false);
    assert!(h["versions"][3].get("valid_to").is_none(), "{h}");
    // the line and bbox filters
    for (q, n) in [
        ("line=330102000000-outer-1", 1),
        ("line=other", 0),
        ("bbox=120.1,30.2,120.11,30.21", 1),
        ("bbox=121,31,122,32", 0),
    ] {
        let (_, v) = call(
            &st,
            Method::GET,
            &format!("/api/v1/markers?{q}"),
            None,
            None,
        )
        .await;
        assert_eq!(v["features"].as_array().unwrap().len(), n, "{q}: {v}");
    }
}

#[tokio::test]
async fn exceptions_are_recorded_listed_and_withdrawn_by_district() {
    let st = fresh();
    let ours = district_surveyor(&st, "x-ours", DISTRICT).await;
    let other = district_surveyor(&st, "x-other", "330106000000").await;
    let body = json!({"rule": "gap", "codes": ["330102001002", "330102001001"], "why": "2019 界线协议书 enclave", "expires": "2099-12-31"});
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/validation/exceptions",
        Some(&other),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = call(
        &st,
        Method::POST,
        "/api/v1/validation/exceptions",
        Some(&ours),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["codes"], json!(["330102001001", "330102001002"]));
    assert_eq!(v["who"], "x-ours");
    let id = v["id"].as_i64().unwrap();
    let planner = token_of(&st, "x-planner", Role::Planner).await;
    let (s, v) = call(
        &st,
        Method::GET,
        "/api/v1/validation/exceptions",
        Some(&planner),
        None,
    )
    .await;
    assert_eq!((s, v.as_array().unwrap().len()), (StatusCode::OK, 1));
    let uri = format!("/api/v1/validation/exceptions/{id}");
    assert_eq!(
        call(&st, Method::DELETE, &uri, Some(&planner), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&st, Method::DELETE, &uri, Some(&other), None).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = call(&st, Method::DELETE, &uri, Some(&ours), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["withdrawn_by"], "x-ours");
    assert_eq!(
        call(&st, Method::DELETE, &uri, Some(&ours), None).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        call(
            &st,
            Method::DELETE,
            "/api/v1/validation/exceptions/999",
            Some(&ours),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (_, v) = call(
        &st,
        Method::GET,
        "/api/v1/validation/exceptions",
        Some(&planner),
        None,
    )
    .await;
    assert_eq!(v.as_array().unwrap().len(), 0);
    let (_, v) = call(
        &st,
        Method::GET,
        "/api/v1/validation/exceptions?withdrawn=true",
        Some(&planner),
        None,
    )
    .await;
    assert_eq!(v[0]["withdrawn_by"], "x-ours", "{v}");
    let admin = token_of(&st, "x-admin", Role::Admin).await;
    let (_, v) = call(
        &st,
        Method::GET,
        "/api/v1/audit?action=exception.",
        Some(&admin),
        None,
    )
    .await;
    let rows = v["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert_eq!(rows[0]["action"], "exception.withdraw");
    assert!(rows[0]["before"]["withdrawn_by"].is_null());
    assert_eq!(rows[0]["after"]["withdrawn_by"], "x-ours");
    assert_eq!(rows[1]["after"]["id"], id);
}
