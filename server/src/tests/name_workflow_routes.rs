//! The naming workflow through the router, on its own copy of the default city (approvals
//! rename served units) with the embedded (SQLite) accounts store.

use std::sync::{Arc, OnceLock};

use axum::http::{Method, StatusCode};
use civmap_data::accounts::{AuditQuery, Role};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::history::Date;
use civmap_geo_core::names::{date_of_day_number, day_number};
use serde_json::{json, Value};

use super::auth_helpers::token_of;
use super::identity_routes::call;
use crate::service::{AppState, SharedState, StoreKind};

/// A state of its own: the renames below must not reach the other route tests.
fn own_state() -> SharedState {
    static DATA: OnceLock<civmap_geo_core::Dataset> = OnceLock::new();
    let ds = DATA.get_or_init(|| generate(&GeneratorConfig::default(), &mut |_| {}).unwrap());
    Arc::new(AppState::new(ds.clone(), StoreKind::Embedded))
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Today in China moved by `days`.
fn day_from_today(days: i64) -> String {
    let today = Date::parse(&civmap_data::register::today_in_china()).unwrap();
    date_of_day_number(day_number(today) + days)
        .unwrap()
        .to_string()
}

async fn post(st: &SharedState, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let (s, _, v) = call(st, Method::POST, uri, Some(token), Some(body)).await;
    (s, v)
}

async fn get(st: &SharedState, uri: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(st, Method::GET, uri, None, None).await;
    (s, v)
}

const PLACE: &str = "unit/330105014000"; // 长庆街道, 拱墅区 (NBS 2023)

#[tokio::test]
async fn a_rename_through_the_workflow_leaves_the_old_name_searchable_with_its_date() {
    let st = own_state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let admin = token_of(&st, "wf-admin", Role::Admin).await;
    let apps = "/api/v1/names/applications";

    // before: the registry has the standard name, and the history's earlier code
    let (s, v) = get(&st, &format!("/api/v1/names/registry?place={PLACE}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v["names"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["name"] == "长庆街道"
                && n["name_type"] == "standard"
                && n["lang"] == "zh-Hans"),
        "{v}"
    );
    let (_, v) = get(&st, &format!("/api/v1/search?q={}", enc("长庆街道"))).await;
    assert_eq!(
        v["features"][0]["properties"]["match"]["name_type"], "standard",
        "{v}"
    );

    // an application received 60 days ago; checks ran, findings kept
    let body = json!({"place": PLACE, "proposed_name": "长庆新街道",
        "reason": "test rename", "submitted": day_from_today(-60)});
    let (s, a) = post(&st, apps, &surveyor, body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["current_name"].as_str()),
        (Some("checked"), Some("长庆街道"))
    );
    assert!(a["findings"].is_array(), "{a}");
    let id = a["id"].as_i64().unwrap();
    let at = |step: &str| format!("{apps}/{id}/{step}");
    let approval = json!({"unit": "杭州市民政局", "approval_ref": "杭政函〔2026〕99号"});

    // approval before review and notice is refused
    let (s, v) = post(&st, &at("approve"), &admin, approval.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    for verdict in ["object", "support"] {
        let r = json!({"verdict": verdict, "comment": format!("expert says {verdict}")});
        let (s, v) = post(&st, &at("reviews"), &surveyor, r).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // the notice is the admin's; 30 days from 45 days ago are over
    let notice = json!({"from": day_from_today(-45), "days": 30});
    let (s, v) = post(&st, &at("notice"), &surveyor, notice.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(&st, &at("notice"), &admin, notice).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["notice_until"], day_from_today(-16), "{v}");
    let (s, v) = post(&st, &at("approve"), &surveyor, approval.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(&st, &at("approve"), &admin, approval).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let today = day_from_today(0);
    assert_eq!(v["status"], "approved");
    assert_eq!(
        v["reviews"].as_array().unwrap().len(),
        2,
        "comments kept: {v}"
    );
    let ann = &v["announcement"];
    assert_eq!(ann["number"], format!("{}-0001", &today[..4]), "{v}");
    assert_eq!(
        (ann["old_name"].as_str(), ann["new_name"].as_str()),
        (Some("长庆街道"), Some("长庆新街道"))
    );
    assert_eq!(
        (ann["unit"].as_str(), ann["date"].as_str()),
        (Some("杭州市民政局"), Some(today.as_str()))
    );

    // the new name is found; the old one answers "renamed to X on D" with type former
    let (_, v) = get(&st, &format!("/api/v1/search?q={}", enc("长庆新街道"))).await;
    let hit = &v["features"][0]["properties"];
    assert_eq!(
        (hit["code"].as_str(), hit["name"].as_str()),
        (Some("330105014000"), Some("长庆新街道")),
        "{v}"
    );
    let (_, v) = get(&st, &format!("/api/v1/search?q={}", enc("长庆街道"))).await;
    let hit = &v["features"][0]["properties"];
    assert_eq!(hit["code"], "330105014000", "{v}");
    assert_eq!(hit["match"]["kind"], "former_name", "{v}");
    assert_eq!(hit["match"]["name_type"], "former", "{v}");
    assert_eq!(hit["match"]["former"]["date"], today.as_str(), "{v}");
    let event = hit["match"]["former"]["event"].as_str().unwrap();
    assert!(
        event.starts_with(&format!("renamed to 长庆新街道 on {today}")),
        "{event}"
    );
    let (_, v) = get(
        &st,
        &format!("/api/v1/names/registry?name={}", enc("长庆街道")),
    )
    .await;
    let former = v["names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["place"] == PLACE && n["valid_to"] == today.as_str())
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(former["name_type"], "former");
    assert_eq!(
        former["renamed"],
        format!("renamed to 长庆新街道 on {today}")
    );
    // the served unit has the new name, and the step is in the audit log with its row
    let (_, v) = get(&st, "/api/v1/admin/330105014000").await;
    assert!(v.to_string().contains("长庆新街道"), "{v}");
    let log = st
        .identity
        .audit_log(AuditQuery {
            action_prefix: Some("names.application.approve".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.entries.len(), 1);
    assert_eq!(log.entries[0].target, format!("name_application:{id}"));
}

#[tokio::test]
async fn approval_before_the_notice_deadline_is_refused() {
    let st = own_state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let admin = token_of(&st, "wf-admin", Role::Admin).await;
    let body =
        json!({"place": "unit/330105001000", "proposed_name": "米市巷新街道", "reason": "r"});
    let (s, a) = post(&st, "/api/v1/names/applications", &surveyor, body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let at = |step: &str| format!("/api/v1/names/applications/{}/{step}", a["id"]);
    let r = json!({"verdict": "support", "comment": "fine"});
    assert_eq!(
        post(&st, &at("reviews"), &surveyor, r).await.0,
        StatusCode::OK
    );
    // a notice shorter than 30 days, or starting before the application, is refused
    let (s, v) = post(&st, &at("notice"), &admin, json!({"days": 10})).await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("days")),
        "{v}"
    );
    let (s, v) = post(
        &st,
        &at("notice"),
        &admin,
        json!({"from": day_from_today(-3)}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("from")),
        "{v}"
    );
    let (s, v) = post(&st, &at("notice"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let approval = json!({"unit": "杭州市民政局", "approval_ref": "x"});
    let (s, v) = post(&st, &at("approve"), &admin, approval).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("public notice runs until"),
        "{v}"
    );
    let (s, v) = post(&st, &at("reject"), &admin, json!({"reason": "withdrawn"})).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("rejected")),
        "{v}"
    );
    let (s, _) = post(
        &st,
        &at("reviews"),
        &surveyor,
        json!({"verdict": "comment", "comment": "late"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_listed_name_is_locked_unless_an_admin_overrides_and_the_override_is_audited() {
    let st = own_state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let admin = token_of(&st, "wf-admin", Role::Admin).await;
    let place = "unit/330105014000";
    let entry = json!({"name": "长庆街道", "place": place, "category": "历史地名"});
    let (s, v) = post(&st, "/api/v1/names/heritage", &surveyor, entry.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(&st, "/api/v1/names/heritage", &admin, entry.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = post(&st, "/api/v1/names/heritage", &admin, entry).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v) = get(&st, "/api/v1/names/heritage").await;
    assert_eq!(v["entries"][0]["category"], "历史地名", "{v}");

    let body = |ov: bool| json!({"place": place, "proposed_name": "长庆新街道", "reason": "r", "heritage_override": ov});
    let (s, v) = post(&st, "/api/v1/names/applications", &surveyor, body(false)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("heritage list"),
        "{v}"
    );
    let (s, v) = post(&st, "/api/v1/names/applications", &surveyor, body(true)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = post(&st, "/api/v1/names/applications", &admin, body(true)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["heritage_override"], true);
    let log = st
        .identity
        .audit_log(AuditQuery {
            action_prefix: Some("names.heritage_override".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log.entries.len(), 1);
    assert_eq!(log.entries[0].who, "wf-admin");
    // unlisting is an admin's, and audited
    let (s, _, _) = call(
        &st,
        Method::DELETE,
        &format!("/api/v1/names/heritage/{}", enc("长庆街道")),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = post(&st, "/api/v1/names/applications", &surveyor, body(false)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test]
async fn roles_and_bad_input_are_named() {
    let st = own_state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let planner = token_of(&st, "wf-planner", Role::Planner).await;
    let apps = "/api/v1/names/applications";
    let (s, _, _) = call(&st, Method::GET, apps, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = call(&st, Method::GET, apps, Some(&planner), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = post(
        &st,
        apps,
        &planner,
        json!({"place": PLACE, "proposed_name": "x街道", "reason": "r"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    for (body, param) in [
        (
            json!({"place": "unit/12", "proposed_name": "甲街道", "reason": "r"}),
            "place",
        ),
        (
            json!({"place": PLACE, "proposed_name": "", "reason": "r"}),
            "proposed_name",
        ),
        (
            json!({"place": PLACE, "proposed_name": "甲街道", "reason": " "}),
            "reason",
        ),
        (
            json!({"place": PLACE, "proposed_name": "甲街道", "reason": "r", "submitted": "2999-01-01"}),
            "submitted",
        ),
        (json!({"place": PLACE, "proposed_name": "甲街道"}), "body"),
    ] {
        let (s, v) = post(&st, apps, &surveyor, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {v}");
        assert_eq!(v["error"]["param"], param, "{v}");
    }
    let (s, v) = post(
        &st,
        apps,
        &surveyor,
        json!({"place": "facility/nope", "proposed_name": "甲", "reason": "r"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, a) = post(
        &st,
        apps,
        &surveyor,
        json!({"place": PLACE, "proposed_name": "乙街道", "reason": "r"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let uri = format!("{apps}/{}/reviews", a["id"]);
    let (s, v) = post(
        &st,
        &uri,
        &surveyor,
        json!({"verdict": "maybe", "comment": "c"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("verdict")),
        "{v}"
    );
    let (s, v) = post(
        &st,
        &format!("{apps}/x/reviews"),
        &surveyor,
        json!({"verdict": "support", "comment": "c"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("id")),
        "{v}"
    );
    let (s, _) = post(
        &st,
        &format!("{apps}/999999/reviews"),
        &surveyor,
        json!({"verdict": "support", "comment": "c"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = get(&st, "/api/v1/names/registry").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn heritage_candidates_come_from_the_history_by_years_of_use() {
    let st = own_state();
    let (s, v) = get(&st, "/api/v1/names/heritage/candidates?min_years=3").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let c = v["candidates"].as_array().unwrap();
    assert!(!c.is_empty(), "{v}");
    // oracle: every candidate's years agree with its since and the history's last day
    let until = Date::parse(v["until"].as_str().unwrap()).unwrap();
    for x in c {
        let since = Date::parse(x["since"].as_str().unwrap()).unwrap();
        let years = (day_number(until) - day_number(since)) as f64 / 365.25;
        assert!((years - x["years"].as_f64().unwrap()).abs() < 0.01, "{x}");
        assert!(years >= 3.0, "{x}");
    }
    // 长庆街道 moved from 下城区 to 拱墅区 in 2021 under the same name: still continuous
    assert!(c.iter().any(|x| x["name"] == "长庆街道"), "{v}");
    let (s, v) = get(&st, "/api/v1/names/heritage/candidates?min_years=-1").await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("min_years")),
        "{v}"
    );
}

/// Makes application `body` as `applicant`, reviews it and runs a notice that is over;
/// returns its path.
async fn noticed(st: &SharedState, applicant: &str, admin: &str, body: Value) -> String {
    let (s, a) = post(st, "/api/v1/names/applications", applicant, body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let at = format!("/api/v1/names/applications/{}", a["id"]);
    let r = json!({"verdict": "support", "comment": "fine"});
    let (s, v) = post(st, &format!("{at}/reviews"), applicant, r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let notice = json!({"from": day_from_today(-45), "days": 30});
    let (s, v) = post(st, &format!("{at}/notice"), admin, notice).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    at
}

/// Takes an application for `place` → `new` through review and a notice that is over, and
/// approves it; returns the approval's day.
async fn approved_rename(
    st: &SharedState,
    surveyor: &str,
    admin: &str,
    place: &str,
    new: &str,
) -> String {
    let body = json!({"place": place, "proposed_name": new, "reason": "r",
        "submitted": day_from_today(-60)});
    let at = noticed(st, surveyor, admin, body).await;
    let approval = json!({"unit": "杭州市民政局", "approval_ref": "杭政函〔2026〕5号"});
    let (s, v) = post(st, &format!("{at}/approve"), admin, approval).await;
    assert_eq!(s, StatusCode::OK, "{place}: {v}");
    day_from_today(0)
}

/// The first search hit of kind `kind` for `q`.
async fn first_of(st: &SharedState, q: &str, kind: &str) -> Value {
    let (s, v) = get(st, &format!("/api/v1/search?q={}&limit=20", enc(q))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"].clone())
        .find(|h| h["kind"] == kind)
        .unwrap_or_else(|| panic!("{q}: no {kind} hit in {v}"))
}

/// Asserts that `old` finds the `kind` now called `new` as its former name, renamed on `day`.
async fn answers_former(st: &SharedState, old: &str, new: &str, kind: &str, day: &str) {
    let h = first_of(st, old, kind).await;
    assert_eq!(h["name"], new, "{old}: {h}");
    assert_eq!(h["match"]["kind"], "former_name", "{old}: {h}");
    assert_eq!(h["match"]["former"]["date"], day, "{h}");
    let event = h["match"]["former"]["event"].as_str().unwrap();
    assert!(
        event.starts_with(&format!("renamed to {new} on {day}")),
        "{event}"
    );
}

#[tokio::test]
async fn renamed_roads_facilities_and_landmarks_reach_search_and_stay_after_a_restart() {
    static DATA: OnceLock<civmap_geo_core::Dataset> = OnceLock::new();
    let ds = DATA.get_or_init(|| {
        let mut ds = generate(&GeneratorConfig::default(), &mut |_| {}).unwrap();
        // the generated city has no landmarks: one imported from OSM
        ds.landmarks.push(civmap_geo_core::Landmark {
            id: "osm:node/1".into(),
            name: "钱王祠".into(),
            kind: "historic=memorial".into(),
            location: geo::Point::new(120.1575, 30.2466),
            synthetic: false,
        });
        ds
    });
    let dir = tempfile::tempdir().unwrap();
    let state = || {
        let store = civmap_data::accounts::AccountStore::open_dir(dir.path()).unwrap();
        let identity =
            crate::service::IdentityService::new(store, std::time::Duration::from_secs(3600));
        Arc::new(AppState::with_identity(
            ds.clone(),
            StoreKind::DataDir,
            identity,
        ))
    };
    let st = state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let admin = token_of(&st, "wf-admin", Role::Admin).await;
    // a road with doorplates, a facility and a landmark of the served data
    let plate = ds
        .doorplates
        .iter()
        .find(|d| d.road.ends_with('路') && d.road.chars().count() >= 3)
        .unwrap();
    let (road, number) = (plate.road.clone(), plate.number);
    let new_road = format!("新{road}");
    let f = &ds.facilities[0];
    let new_f = format!("{}新址", f.name);
    let l = &ds.landmarks[0];
    let new_l = format!("新{}", l.name);
    for new in [&new_road, &new_f, &new_l] {
        let (_, v) = get(&st, &format!("/api/v1/search?q={}", enc(new))).await;
        assert!(
            v["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["properties"]["name"] != new.as_str()),
            "{new} is new: {v}"
        );
    }
    let day = approved_rename(&st, &surveyor, &admin, &format!("road/{road}"), &new_road).await;
    approved_rename(
        &st,
        &surveyor,
        &admin,
        &format!("facility/{}", f.id),
        &new_f,
    )
    .await;
    approved_rename(
        &st,
        &surveyor,
        &admin,
        &format!("landmark/{}", l.id),
        &new_l,
    )
    .await;

    for st in [st, state()] {
        // the restarted state replays the stored names before it serves
        st.names.warm().await.unwrap();
        let h = first_of(&st, &new_road, "road").await;
        assert_eq!(
            (h["name"].as_str(), h["match"]["kind"].as_str()),
            (Some(new_road.as_str()), Some("exact"))
        );
        answers_former(&st, &road, &new_road, "road", &day).await;
        // the plate's standard address has the new road name; the old address finds it too
        let address = format!("{new_road}{number}号");
        for q in [address.clone(), format!("{road}{number}号")] {
            let h = first_of(&st, &q, "doorplate").await;
            assert_eq!(h["name"], address.as_str(), "{q}: {h}");
        }
        let h = first_of(&st, &new_f, "facility").await;
        assert_eq!(h["match"]["kind"], "exact", "{h}");
        answers_former(&st, &f.name, &new_f, "facility", &day).await;
        let h = first_of(&st, &new_l, "landmark").await;
        assert_eq!(h["match"]["kind"], "exact", "{h}");
        answers_former(&st, &l.name, &new_l, "landmark", &day).await;
        // the served records: the facility renamed, the road's plates keep the data's name
        let live = st.data.read();
        let d = live.data.data();
        assert!(d.facilities.iter().any(|x| x.id == f.id && x.name == new_f));
        assert!(d.landmarks.iter().any(|x| x.id == l.id && x.name == new_l));
    }
}

#[tokio::test]
async fn a_name_listed_after_the_application_is_locked_at_approval_too() {
    let st = own_state();
    let surveyor = token_of(&st, "wf-surveyor", Role::Surveyor).await;
    let admin = token_of(&st, "wf-admin", Role::Admin).await;
    let place = "unit/330105001000";
    let current = {
        let live = st.data.read();
        let d = live.data.data();
        d.admin
            .iter()
            .find(|u| u.code.as_str() == "330105001000")
            .unwrap()
            .name
            .clone()
    };
    let new = format!("{}新", current.trim_end_matches("街道")) + "街道";
    let body = json!({"place": place, "proposed_name": new, "reason": "r",
        "submitted": day_from_today(-60)});
    let app = noticed(&st, &surveyor, &admin, body).await;
    let at = |step: &str| format!("{app}/{step}");
    // listed after the application was made
    let entry = json!({"name": current, "category": "历史地名"});
    let (s, v) = post(&st, "/api/v1/names/heritage", &admin, entry).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let approval = json!({"unit": "杭州市民政局", "approval_ref": "x"});
    let (s, v) = post(&st, &at("approve"), &admin, approval.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("heritage list"),
        "{v}"
    );
    // nothing changed: still on notice, the served unit keeps its name, no announcement
    let (_, v) = get(&st, "/api/v1/admin/330105001000").await;
    assert!(
        v.to_string().contains(&current) && !v.to_string().contains(&new),
        "{v}"
    );
    let (_, _, v) = call(&st, Method::GET, &app, Some(&admin), None).await;
    assert_eq!(v["status"], "notice", "{v}");
    assert!(v["announcement"].is_null(), "{v}");
    // an application an admin made with the audited override is approved
    let body = json!({"place": place, "proposed_name": format!("{}二街道", current.trim_end_matches("街道")),
        "reason": "r", "submitted": day_from_today(-60), "heritage_override": true});
    let app = noticed(&st, &admin, &admin, body).await;
    let (_, _, v) = call(&st, Method::GET, &app, Some(&admin), None).await;
    assert_eq!(v["heritage_override"], true, "{v}");
    let at = |step: &str| format!("{app}/{step}");
    let (s, v) = post(&st, &at("approve"), &admin, approval).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{v}"
    );
}
