//! Change proposals through the whole router: who may propose, read, approve and reject;
//! bad proposals naming the field; an approval applied to the live data atomically with its
//! audit row, the old name searchable afterwards.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use civmap_data::accounts::Role;
use civmap_geo_core::{AdminCode, AdminLevel, Dataset};
use geo::{polygon, MultiPolygon};
use serde_json::{json, Value};

use super::auth_helpers::token_of;
use super::coverage_routes::city;
use super::identity_routes::call;
use crate::service::{AppState, SharedState, StoreKind};

fn code(s: &str) -> AdminCode {
    AdminCode::parse(s).unwrap()
}

/// The coverage test city re-cut into two townships: 测试街道 (west, communities 001001 and
/// 001002) and 东街道 (east, community 002001), each a third of the grid.
pub(super) fn two_townships() -> Dataset {
    let mut ds = city();
    let frame = ds.admin[0].geometry.0[0].exterior().0.clone();
    let (x0, x1) = (frame[0].x, frame[2].x);
    let (y0, y1) = (frame[0].y, frame[2].y);
    let xs = [x0, x0 + (x1 - x0) / 3.0, x0 + 2.0 * (x1 - x0) / 3.0, x1];
    let rect = |a: f64, b: f64| {
        MultiPolygon(vec![
            polygon![(x: a, y: y0), (x: b, y: y0), (x: b, y: y1), (x: a, y: y1)],
        ])
    };
    let community = |c: &str, name: &str, parent: &str, a, b| civmap_geo_core::AdminUnit {
        code: code(c),
        name: name.into(),
        level: AdminLevel::Community,
        parent: Some(code(parent)),
        kind: String::new(),
        geometry: rect(a, b),
        population: 0,
        elderly: 0,
        synthetic: true,
    };
    ds.admin.truncate(3);
    ds.admin[2].geometry = rect(xs[0], xs[2]);
    let mut east = ds.admin[2].clone();
    east.code = code("330102002000");
    east.name = "东街道".into();
    east.geometry = rect(xs[2], xs[3]);
    ds.admin.push(east);
    ds.admin.extend([
        community("330102001001", "西社区", "330102001000", xs[0], xs[1]),
        community("330102001002", "中社区", "330102001000", xs[1], xs[2]),
        community("330102002001", "东社区", "330102002000", xs[2], xs[3]),
    ]);
    let which = |x: f64| match () {
        _ if x < xs[1] => "330102001001",
        _ if x < xs[2] => "330102001002",
        _ => "330102002001",
    };
    for d in &mut ds.doorplates {
        d.community = Some(code(which(d.location.x())));
    }
    for f in &mut ds.facilities {
        f.admin_code = Some(code(which(f.location.x())));
    }
    for i in 0..ds.admin.len() {
        let prefix = ds.admin[i].code.as_str().trim_end_matches('0').to_owned();
        let own = ds
            .doorplates
            .iter()
            .filter(|d| d.community.as_ref().unwrap().as_str().starts_with(&prefix));
        let (p, e) = own.fold((0, 0), |(p, e), d| {
            (p + d.residents as u64, e + d.elderly as u64)
        });
        ds.admin[i].population = p;
        ds.admin[i].elderly = e;
    }
    ds
}

fn fresh() -> SharedState {
    Arc::new(AppState::new(two_townships(), StoreKind::Embedded))
}

fn transfer() -> Value {
    json!({"kind": "transfer", "community": "330102001002", "to_township": "330102002000"})
}

#[tokio::test]
async fn only_surveyors_propose_staff_read_and_only_admins_decide() {
    let st = fresh();
    let surveyor = token_of(&st, "p-surveyor", Role::Surveyor).await;
    let planner = token_of(&st, "p-planner", Role::Planner).await;
    let admin = token_of(&st, "p-admin", Role::Admin).await;
    let post = |t, body| call(&st, Method::POST, "/api/v1/proposals", t, Some(body));
    assert_eq!(post(None, transfer()).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(Some(&planner), transfer()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, _, v) = post(Some(&surveyor), transfer()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        (v["status"].as_str(), v["valid"].as_bool()),
        (Some("pending"), Some(true))
    );
    assert_eq!(v["impact"]["codes"]["created"], json!(["330102002002"]));
    for t in [None, Some(&planner), Some(&surveyor)] {
        let uri = format!("/api/v1/proposals/{id}/approve");
        let (s, _, _) = call(
            &st,
            Method::POST,
            &uri,
            t.map(|x| x.as_str()),
            Some(json!({"effective": "2099-01-01"})),
        )
        .await;
        assert_eq!(
            s,
            if t.is_none() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            }
        );
    }
    assert_eq!(
        call(&st, Method::GET, "/api/v1/proposals", None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _, v) = call(&st, Method::GET, "/api/v1/proposals", Some(&planner), None).await;
    assert_eq!(
        (s, v["proposals"][0]["id"].as_i64()),
        (StatusCode::OK, Some(id)),
        "{v}"
    );
    let (s, _, v) = call(
        &st,
        Method::GET,
        &format!("/api/v1/proposals/{id}"),
        Some(&planner),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["impact"]["units"].as_array().unwrap().len() >= 4, "{v}");
    let uri = format!("/api/v1/proposals/{id}/reject");
    let (s, _, v) = call(
        &st,
        Method::POST,
        &uri,
        Some(&admin),
        Some(json!({"note": "not now"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("rejected")),
        "{v}"
    );
    // decided once
    let (s, _, _) = call(&st, Method::POST, &uri, Some(&admin), Some(json!({}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_proposals_are_refused_naming_the_field() {
    let st = fresh();
    let t = token_of(&st, "p-bad", Role::Surveyor).await;
    let cases = [
        (
            json!({"kind": "transfer", "community": "330102009009", "to_township": "330102002000"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "community",
        ),
        (
            json!({"kind": "transfer", "community": "330102001001", "to_township": "330102001000"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "to_township",
        ),
        (
            json!({"kind": "transfer", "community": "33010200100", "to_township": "330102002000"}),
            StatusCode::BAD_REQUEST,
            "community",
        ),
        (
            json!({"kind": "transfer", "community": "330102001001"}),
            StatusCode::BAD_REQUEST,
            "to_township",
        ),
        (
            json!({"kind": "split", "unit": "330102001001", "new_name": "北社区", "line": {"type": "LineString", "coordinates": [[120.0, 30.0], [120.0, 30.1]]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "line",
        ),
        (
            json!({"kind": "split", "unit": "330102001001", "new_name": "北社区", "line": "east"}),
            StatusCode::BAD_REQUEST,
            "line",
        ),
        (
            json!({"kind": "merge", "units": ["330102001001", "330102002001"], "survivor": "330102001001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "units",
        ),
        (
            json!({"kind": "rename", "unit": "330102001001", "name": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"kind": "annex", "unit": "330102001001"}),
            StatusCode::BAD_REQUEST,
            "kind",
        ),
    ];
    for (body, status, field) in cases {
        let (s, _, v) = call(
            &st,
            Method::POST,
            "/api/v1/proposals",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, status, "{body}: {v}");
        assert_eq!(v["error"]["param"], field, "{body}: {v}");
    }
    // none was stored
    let (_, _, v) = call(&st, Method::GET, "/api/v1/proposals", Some(&t), None).await;
    assert_eq!(v["proposals"], json!([]));
}

#[tokio::test]
async fn an_approval_changes_the_live_data_with_its_audit_row_and_keeps_the_old_name() {
    let st = fresh();
    let surveyor = token_of(&st, "p-s2", Role::Surveyor).await;
    let admin = token_of(&st, "p-a2", Role::Admin).await;
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/proposals",
        Some(&surveyor),
        Some(transfer()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let moved = v["impact"]["doorplates"].as_array().unwrap().len();
    assert!(moved > 0);
    let uri = format!("/api/v1/proposals/{id}/approve");
    for (body, status, field) in [
        (json!({}), StatusCode::BAD_REQUEST, Some("body")),
        (
            json!({"effective": "2020-01-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("effective"),
        ),
        (
            json!({"effective": "2099-02-30"}),
            StatusCode::BAD_REQUEST,
            Some("effective"),
        ),
    ] {
        let (s, _, v) = call(&st, Method::POST, &uri, Some(&admin), Some(body.clone())).await;
        assert_eq!(s, status, "{body}: {v}");
        if field != Some("body") {
            assert_eq!(v["error"]["param"].as_str(), field, "{v}");
        }
    }
    // nothing changed yet
    assert!(st
        .data
        .read()
        .data
        .data()
        .admin
        .iter()
        .any(|u| u.code.as_str() == "330102001002"));
    let (s, _, v) = call(
        &st,
        Method::POST,
        &uri,
        Some(&admin),
        Some(json!({"effective": "2099-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["proposal"]["status"], "approved");
    assert_eq!(v["proposal"]["version"], format!("2099-01-01#{id}"));
    assert_eq!(
        v["change"]["successors"],
        json!([["330102001002", "330102002002"]])
    );
    {
        let live = st.data.read();
        let d = live.data.data();
        assert!(!d.admin.iter().any(|u| u.code.as_str() == "330102001002"));
        let new = d
            .admin
            .iter()
            .find(|u| u.code.as_str() == "330102002002")
            .unwrap();
        assert_eq!(new.parent, Some(code("330102002000")));
        let recoded = d
            .doorplates
            .iter()
            .filter(|p| p.community == Some(code("330102002002")))
            .count();
        assert_eq!(recoded, moved);
        assert!(!d
            .doorplates
            .iter()
            .any(|p| p.community == Some(code("330102001002"))));
    }
    // the audit rows: the proposal and its approval, with before and after
    let (_, _, v) = call(
        &st,
        Method::GET,
        "/api/v1/audit?action=proposal.",
        Some(&admin),
        None,
    )
    .await;
    let rows = v["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert_eq!(rows[0]["action"], "proposal.approve");
    assert_eq!(rows[0]["before"]["status"], "pending");
    assert_eq!(rows[0]["after"]["status"], "approved");
    assert_eq!(rows[1]["target"], format!("proposal:{id}"));
    // approving again is refused, and writes nothing
    let (s, _, _) = call(
        &st,
        Method::POST,
        &uri,
        Some(&admin),
        Some(json!({"effective": "2099-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, _, v) = call(
        &st,
        Method::GET,
        "/api/v1/audit?action=proposal.",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_renamed_unit_is_found_by_its_former_name() {
    let st = fresh();
    let surveyor = token_of(&st, "p-s3", Role::Surveyor).await;
    let admin = token_of(&st, "p-a3", Role::Admin).await;
    let body = json!({"kind": "rename", "unit": "330102002000", "name": "钱江街道"});
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/proposals",
        Some(&surveyor),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["impact"]["former_names"][0]["name"], "东街道");
    let uri = format!("/api/v1/proposals/{}/approve", v["id"]);
    let (s, _, v) = call(
        &st,
        Method::POST,
        &uri,
        Some(&admin),
        Some(json!({"effective": "2099-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // the gazetteer rebuilds in the background after the admin edit
    let q = "/api/v1/search?q=%E4%B8%9C%E8%A1%97%E9%81%93&kind=admin";
    let mut found = Value::Null;
    for _ in 0..100 {
        let (_, _, v) = call(&st, Method::GET, q, None, None).await;
        if v["features"][0]["properties"]["name"] == "钱江街道" {
            found = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        found["features"][0]["properties"]["code"], "330102002000",
        "{found}"
    );
}

/// `GET /api/v1/proposals/{id}/shapes` as `token`.
async fn shapes_of(st: &SharedState, id: i64, token: Option<&str>) -> (StatusCode, Value) {
    let uri = format!("/api/v1/proposals/{id}/shapes");
    let (s, _, v) = call(st, Method::GET, &uri, token, None).await;
    (s, v)
}

/// The area (square degrees) of every feature of a collection in a shapes answer, by code.
fn areas(collection: &Value) -> std::collections::BTreeMap<String, f64> {
    use geo::Area;
    collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
            let g: geo::Geometry<f64> = g.try_into().unwrap();
            (
                f["properties"]["code"].as_str().unwrap().to_owned(),
                g.unsigned_area(),
            )
        })
        .collect()
}

#[tokio::test]
async fn shapes_show_each_unit_before_and_after_and_a_decided_change_has_none() {
    let st = fresh();
    let surveyor = token_of(&st, "p-s9", Role::Surveyor).await;
    let planner = token_of(&st, "p-p9", Role::Planner).await;
    let admin = token_of(&st, "p-a9", Role::Admin).await;
    let propose = |body: Value| {
        call(
            &st,
            Method::POST,
            "/api/v1/proposals",
            Some(&surveyor),
            Some(body),
        )
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12);

    // a transfer: the receiving township grows by exactly the community
    let (s, _, v) = propose(transfer()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let transfer_id = v["id"].as_i64().unwrap();
    assert_eq!(
        shapes_of(&st, transfer_id, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, v) = shapes_of(&st, transfer_id, Some(&planner)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (before, after) = (areas(&v["before"]), areas(&v["after"]));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["330102001000", "330102001002", "330102002000"],
        "{v}"
    );
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["330102001000", "330102002000", "330102002002"],
        "{v}"
    );
    assert!(close(
        after["330102002000"],
        before["330102002000"] + before["330102001002"]
    ));
    assert!(close(
        after["330102001000"],
        before["330102001000"] - before["330102001002"]
    ));
    assert!(close(after["330102002002"], before["330102001002"]));
    let moved = v["after"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == "330102002002")
        .unwrap();
    assert_eq!(moved["properties"]["parent"], "330102002000");

    // a split along the middle of 东社区: two halves that add up to it
    let east = st
        .data
        .read()
        .data
        .data()
        .admin
        .iter()
        .find(|u| u.code.as_str() == "330102002001")
        .unwrap()
        .clone();
    let r = geo::BoundingRect::bounding_rect(&east.geometry).unwrap();
    let mid = (r.min().x + r.max().x) / 2.0;
    let line = json!([[mid, r.min().y - 0.01], [mid, r.max().y + 0.01]]);
    let (s, _, v) = propose(
        json!({"kind": "split", "unit": "330102002001", "line": line, "new_name": "北社区"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = shapes_of(&st, v["id"].as_i64().unwrap(), Some(&surveyor)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (before, after) = (areas(&v["before"]), areas(&v["after"]));
    let whole = before["330102002001"];
    let parts: Vec<f64> = after
        .iter()
        .filter(|(c, _)| c.as_str() != "330102002000")
        .map(|(_, a)| *a)
        .collect();
    assert_eq!(parts.len(), 2, "{after:?}");
    assert!(close(parts[0] + parts[1], whole), "{parts:?} vs {whole}");
    assert!(
        parts.iter().all(|p| (p / whole - 0.5).abs() < 1e-4), // the cut is rounded to 1e-7°
        "{parts:?}"
    );

    // approved, the transfer's change is live: it has no branch to draw any more
    let uri = format!("/api/v1/proposals/{transfer_id}/approve");
    let (s, _, v) = call(
        &st,
        Method::POST,
        &uri,
        Some(&admin),
        Some(json!({"effective": "2099-01-01"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = shapes_of(&st, transfer_id, Some(&planner)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("approved"),
        "{v}"
    );
    assert_eq!(
        shapes_of(&st, 999, Some(&planner)).await.0,
        StatusCode::NOT_FOUND
    );
}
