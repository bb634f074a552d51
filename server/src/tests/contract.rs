//! The contract test: a route-by-route crawl whose every response (successes and errors)
//! must validate against the schema `/api/v1/openapi.json` gives for that path, method and
//! status. The crawl must reach every documented path, so a route added without a crawl
//! entry fails here too.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::coverage_routes::state;

/// One request of the crawl.
struct Call {
    method: Method,
    uri: String,
    body: Option<Value>,
    /// The bearer token to send (none: anonymous, the public's view).
    token: Option<String>,
}

fn get(uri: impl Into<String>) -> Call {
    Call {
        method: Method::GET,
        uri: uri.into(),
        body: None,
        token: None,
    }
}

fn post(uri: &str, body: Value) -> Call {
    Call {
        method: Method::POST,
        uri: uri.to_owned(),
        body: Some(body),
        token: None,
    }
}

impl Call {
    /// The same request with a token.
    fn by(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    fn patch(uri: &str, body: Value) -> Self {
        Call {
            method: Method::PATCH,
            uri: uri.to_owned(),
            body: Some(body),
            token: None,
        }
    }

    fn delete(uri: impl Into<String>) -> Self {
        Call {
            method: Method::DELETE,
            uri: uri.into(),
            body: None,
            token: None,
        }
    }
}

/// The document's path template matching a concrete path (`{x}` matches one segment).
fn template<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(&str, usize)> = None;
    for t in doc["paths"].as_object()?.keys() {
        let ts: Vec<&str> = t.split('/').collect();
        if ts.len() != segs.len() {
            continue;
        }
        let ok = ts
            .iter()
            .zip(&segs)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b);
        let literal = ts.iter().filter(|a| !a.starts_with('{')).count();
        if ok && best.is_none_or(|(_, l)| literal > l) {
            best = Some((t, literal));
        }
    }
    best.map(|(t, _)| t)
}

/// Validates one response against the document; returns the problems found.
fn check(doc: &Value, call: &Call, status: StatusCode, ctype: &str, body: &[u8]) -> Vec<String> {
    let path = call.uri.split('?').next().unwrap_or_default();
    let where_ = format!("{} {} → {}", call.method, call.uri, status.as_u16());
    let Some(t) = template(doc, path) else {
        return vec![format!("{where_}: path not in the document")];
    };
    let op = &doc["paths"][t][call.method.as_str().to_ascii_lowercase()];
    if op.is_null() {
        return vec![format!("{where_}: method not documented for {t}")];
    }
    let resp = &op["responses"][status.as_str()];
    if resp.is_null() {
        return vec![format!("{where_}: status not documented for {t}")];
    }
    let Some(content) = resp["content"].as_object() else {
        return if body.is_empty() {
            vec![]
        } else {
            vec![format!("{where_}: a body where the document says none")]
        };
    };
    let media = ctype.split(';').next().unwrap_or_default().trim();
    let Some(schema) = content.get(media).map(|c| &c["schema"]) else {
        return vec![format!(
            "{where_}: content type {media:?} not documented ({:?})",
            content.keys().collect::<Vec<_>>()
        )];
    };
    if schema.is_null() || !media.contains("json") {
        return vec![];
    }
    let instance: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return vec![format!("{where_}: body is not JSON: {e}")],
    };
    let mut root = schema.clone();
    if let Some(o) = root.as_object_mut() {
        o.insert("components".into(), doc["components"].clone());
    }
    let validator = match jsonschema::validator_for(&root) {
        Ok(v) => v,
        Err(e) => {
            return vec![format!(
                "{where_}: the document's schema does not compile: {e}"
            )]
        }
    };
    validator
        .iter_errors(&instance)
        .take(5)
        .map(|e| format!("{where_}: {} at {}", e, e.instance_path))
        .collect()
}

async fn send(call: &Call) -> (StatusCode, String, Vec<u8>) {
    let mut req = Request::builder()
        .method(call.method.clone())
        .uri(&call.uri);
    if let Some(t) = &call.token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match &call.body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(b).unwrap())
        }
        None => Body::empty(),
    };
    let resp = crate::http::router(state())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ctype, bytes)
}

/// Every documented route, with good and bad inputs; `planner` and `admin` are tokens.
fn crawl(facility: &str, district: &str, planner: &str, admin: &str) -> Vec<Call> {
    let cov = "category=elder_canteen&minutes=5";
    let mut calls = vec![
        get("/d/1"),
        get("/d/999999"),
        get("/d/x"),
        get("/api/v1/doorplates/1"),
        get("/api/v1/doorplates/abc"),
        get("/api/v1/doorplates/999999"),
        get("/api/v1/doorplates/1?x=1"),
        get("/api/v1/doorplates/1/qr.svg"),
        get("/api/v1/doorplates/check?limit=2"),
        get("/api/v1/doorplates/check?rule=odd"),
        post(
            "/api/v1/doorplates/140/renumber",
            json!({"new_id": 141, "reason": "merged"}),
        ),
        post(
            "/api/v1/doorplates/140/renumber",
            json!({"new_id": 141, "reason": "merged"}),
        )
        .by(admin),
        post(
            "/api/v1/doorplates/140/renumber",
            json!({"new_id": 142, "reason": "merged"}),
        )
        .by(admin),
        post(
            "/api/v1/doorplates/142/renumber",
            json!({"new_id": 999999, "reason": "merged"}),
        )
        .by(admin),
        get("/d/140"),
        get("/api/v1/doorplates/140"),
        get("/api/v1/doorplates/140/qr.svg"),
        get("/health"),
        get("/livez"),
        get("/readyz"),
        get("/api/v1/layers"),
        get("/api/v1/categories"),
        get("/api/v1/openapi.json"),
        get("/api/v1/admin?level=township"),
        get(format!("/api/v1/admin?parent={district}")),
        get("/api/v1/admin?parent=999999999999"),
        get("/api/v1/admin?level=galaxy"),
        get("/api/v1/admin/at?lon=120.105&lat=30.205"),
        get("/api/v1/admin/at?lon=200&lat=30"),
        get("/api/v1/facilities?bbox=120,30,121,31&category=elder_canteen&limit=5"),
        get("/api/v1/facilities?bbox=1,2,3"),
        get("/api/v1/facilities?limit=1&limit=2"),
        get("/api/v1/facilities/nearest?lon=120.105&lat=30.205&k=3"),
        get("/api/v1/facilities/nearest?lon=120.105&lat=30.205&k=3&mode=walk"),
        get("/api/v1/facilities/nearest?lon=120.105&lat=30.205&k=0"),
        get("/api/v1/facilities/within?lon=120.105&lat=30.205&radius_m=500"),
        get("/api/v1/facilities/within?lon=120.105&lat=30.205"),
        get("/api/v1/search?q=%E6%96%87&limit=5"),
        get("/api/v1/search?q="),
        get("/api/v1/autocomplete?q=a"),
        get("/api/v1/address/parse?q=%E6%96%87%E4%B8%89%E8%B7%AF12%E5%8F%B7"),
        get("/api/v1/reverse?lon=120.105&lat=30.205"),
        get("/api/v1/reverse?lon=abc&lat=1"),
        get("/api/v1/editions"),
        get("/api/v1/changes?from=NBS2020&to=NBS2021&level=township"),
        get("/api/v1/changes?from=2019-12-31&to=2023-06-30"),
        get("/api/v1/changes?from=NBS2022&to=NBS2020"),
        get("/api/v1/changes?from=bogus&to=NBS2020"),
        // as_of on the read routes (issue 15)
        get("/api/v1/admin?parent=330103000000&as_of=2020-12-31"),
        get("/api/v1/admin?level=community&as_of=2019-12-31"),
        get("/api/v1/admin?level=district&as_of=1990-01-01"),
        get("/api/v1/admin/at?lon=120.17&lat=30.28&as_of=2020-12-31"),
        get("/api/v1/admin/at?lon=120.17&lat=30.28&as_of=2020-02-30"),
        get("/api/v1/reverse?lon=120.17&lat=30.28&as_of=2020-12-31"),
        get("/api/v1/search?q=%E4%B8%8B%E5%9F%8E%E5%8C%BA&as_of=2020-12-31"),
        get("/api/v1/search?q=%E4%B8%8B%E5%9F%8E%E5%8C%BA&as_of=2020-12-31&kind=road"),
        get("/api/v1/admin/330103000000?as_of=2020-12-31"),
        get("/api/v1/boundaries?level=district&as_of=2020-12-31"),
        get("/api/v1/coverage?category=home_care_centre&minutes=15&level=district&as_of=2020-12-31"),
        get("/tiles/admin/10/857/418.mvt?as_of=2020-12-31"),
        get("/tiles/facilities/10/857/418.mvt?as_of=2020-12-31"),
        get("/tiles/all.json?as_of=2020-12-31"),
        get("/ogc/collections/districts/items?datetime=2020-01-01"),
        get("/api/v1/names/check?name=%E6%96%87%E4%B8%89%E8%B7%AF&kind=road"),
        get(format!("/api/v1/names/check?name=%E7%8E%AF%E7%90%83%E8%B7%AF&kind=road&scope={district}&english=Huanqiu%20Road")),
        get("/api/v1/names/check?name=%E5%A4%A7%E5%8E%A6&kind=building&height_m=2000"),
        get("/api/v1/names/check?name=&kind=road"),
        get("/api/v1/names/check?name=x&kind=galaxy"),
        get("/api/v1/names/check?name=x&kind=community&scope=999999999999"),
        get("/api/v1/names/duplicates?level=community&scope=township"),
        get(format!("/api/v1/names/duplicates?level=road&scope={district}")),
        get("/api/v1/names/duplicates?level=district&scope=township"),
        get("/api/v1/names/duplicates?level=city&scope=district"),
        get("/api/v1/names/cleanup?kind=township"),
        get("/api/v1/names/cleanup?kind=galaxy"),
        get("/api/v1/names/registry?name=%E8%A5%BF%E6%B9%96%E5%8C%BA"),
        get("/api/v1/names/registry?place=unit/330106000000"),
        get("/api/v1/names/registry?place=unit/1"),
        get("/api/v1/names/announcements"),
        get("/api/v1/names/heritage"),
        get("/api/v1/names/heritage/candidates?min_years=3"),
        get("/api/v1/names/heritage/candidates?min_years=x"),
        post("/api/v1/names/heritage", json!({"name": "crawl-heritage", "category": "历史地名"})).by(admin),
        Call::delete("/api/v1/names/heritage/crawl-heritage").by(admin),
        Call::delete("/api/v1/names/heritage/nowhere-listed").by(admin),
        get("/api/v1/names/applications").by(admin),
        get("/api/v1/names/applications?status=galaxy").by(admin),
        post("/api/v1/names/applications", json!({"place": "unit/330106002000", "proposed_name": "北山新街道", "reason": "crawl"})).by(admin),
        post("/api/v1/names/applications", json!({"place": "unit/1", "proposed_name": "x", "reason": "crawl"})).by(admin),
        get("/api/v1/names/applications/999999").by(admin),
        post("/api/v1/names/applications/999999/reviews", json!({"verdict": "support", "comment": "c"})).by(admin),
        post("/api/v1/names/applications/999999/notice", json!({})).by(admin),
        post("/api/v1/names/applications/999999/approve", json!({"unit": "u", "approval_ref": "r"})).by(admin),
        post("/api/v1/names/applications/999999/reject", json!({"reason": "r"})).by(admin),
        get(format!("/api/v1/coverage?{cov}&level=community")),
        get("/api/v1/coverage?category=nope"),
        get(format!("/api/v1/coverage?{cov}&minutes=500")),
        get(format!("/api/v1/coverage?{cov}&scenario=s999999")),
        get(format!("/api/v1/coverage?{cov}&scenario=s999999")).by(planner),
        get(format!("/api/v1/coverage/area?{cov}&cell_m=100")),
        get(format!("/api/v1/coverage/gaps?{cov}&cell_m=100&limit=3")),
        get(format!("/api/v1/coverage/gaps?{cov}&cell_m=100&limit=3")).by(planner),
        get("/api/v1/indicators?level=township"),
        get("/api/v1/indicators?level=township&format=csv"),
        get("/api/v1/indicators?level=township&format=csv").by(planner),
        get("/api/v1/indicators?level=moon"),
        get("/tiles/all/12/3413/1688.mvt"),
        get("/tiles/all/40/0/0.mvt"),
        get("/tiles/all.json"),
        get("/tiles/coverage.json?category=elder_canteen"),
        get("/tiles/all.xml"),
        get("/api/v1/scenarios/s999999"),
        get("/api/v1/scenarios/s999999").by(planner),
        get("/api/v1/nowhere"),
        get("/api/v1/me"),
        get("/api/v1/me").by(planner),
        get("/api/v1/audit?limit=5").by(admin),
        get("/api/v1/audit?limit=5").by(planner),
        get("/api/v1/audit?limit=0").by(admin),
        get("/api/v1/users").by(admin),
        post("/api/v1/users", json!({"name": "crawl-made", "role": "planner", "password": super::auth_helpers::PASSWORD})).by(admin),
        post("/api/v1/users", json!({"name": "crawl-made", "role": "planner", "password": super::auth_helpers::PASSWORD})).by(admin),
        post("/api/v1/users", json!({"name": "bad name", "role": "king", "password": "x"})).by(admin),
        Call::delete("/api/v1/users/crawl-made").by(admin),
        Call::delete("/api/v1/users/crawl-made").by(admin),
        post("/api/v1/auth/token", json!({"name": "crawl-made", "password": "wrong wrong wrong"})),
        post("/api/v1/auth/token", json!({"name": 3})),
        post("/api/v1/auth/session", json!({"name": "nobody", "password": "wrong wrong wrong"})),
        Call::delete("/api/v1/auth/session"),
    ];
    // the surveyors' routes and the OGC API (issue 14)
    let square = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": "330106001000"},
        "geometry": {"type": "Polygon", "coordinates": [[[120.10, 30.20], [120.11, 30.20], [120.11, 30.21], [120.10, 30.20]]]}}]});
    calls.extend([
        get("/api/v1/admin/330106000000"),
        get("/api/v1/admin/330199000000"),
        get("/api/v1/admin/3301"),
        get("/api/v1/admin/330106000000?as_of=2000-01-01"),
        get("/api/v1/admin/330106000000?as_of=2021-01-01"),
        get("/api/v1/boundaries?level=district"),
        get("/api/v1/boundaries?code=330106000000"),
        get("/api/v1/boundaries?level=x"),
        get("/api/v1/validation?level=district"),
        get("/api/v1/validation?level=x"),
        post("/api/v1/survey/diff", square.clone()).by(admin),
        post("/api/v1/survey/diff", square),
        post("/api/v1/survey/diff", json!({"type": "Feature"})).by(admin),
        get("/api/v1/export/boundaries?format=kml").by(admin),
        get("/api/v1/export/boundaries?format=gpkg"),
        get("/ogc"),
        get("/ogc/conformance"),
        get("/ogc/collections"),
        get("/ogc/collections/townships"),
        get("/ogc/collections/townships/items?limit=2"),
        get("/ogc/collections/boundaries/items?limit=2"),
        get("/ogc/collections/townships/items/330106001000"),
        get("/ogc/collections/nope/items"),
    ]);
    // the marker register (issue 14): an admin has the surveyor role
    let m = "/api/v1/markers/crawl-1A";
    let new_marker = json!({"number": "crawl-1A", "line": "L-crawl", "lon": 120.105, "lat": 30.205, "kind": "A"});
    calls.extend([
        get("/api/v1/markers?bbox=120,30,121,31"),
        get("/api/v1/markers?status=gone"),
        post("/api/v1/markers", new_marker.clone()).by(admin),
        post("/api/v1/markers", new_marker).by(admin),
        post("/api/v1/markers", json!({"number": "x"})).by(admin),
        get(m),
        get(m).by(admin),
        get("/api/v1/markers/none-9A"),
        Call::patch(m, json!({"status": "damaged"})).by(admin),
        post(&format!("{m}/inspections"), json!({"date": "2024-05-01", "status": "intact", "inspector": "crawler", "offset_m": 0.2})).by(admin),
        post(&format!("{m}/restore"), json!({"version": 1})).by(admin),
        get(format!("{m}/history")),
        get(format!("{m}/history")).by(admin),
        Call::delete(m).by(admin),
        get("/api/v1/validation/exceptions"),
        get("/api/v1/validation/exceptions?withdrawn=true").by(planner),
        post("/api/v1/validation/exceptions", json!({"rule": "gap", "codes": ["330102001001", "330102001002"], "why": "crawl"})).by(admin),
        Call::delete("/api/v1/validation/exceptions/abc").by(admin),
        Call::delete("/api/v1/validation/exceptions/999999").by(admin),
    ]);
    // change proposals (issue 15): proposed, read, rejected, then refused a second decision
    calls.extend([
        post(
            "/api/v1/proposals",
            json!({"kind": "rename", "unit": "330102001002", "name": "东新社区"}),
        )
        .by(admin),
        post("/api/v1/proposals", json!({"kind": "annex"})).by(admin),
        post(
            "/api/v1/proposals",
            json!({"kind": "transfer", "community": "330102001001", "to_township": "330102001000"}),
        )
        .by(admin),
        get("/api/v1/proposals"),
        get("/api/v1/proposals").by(planner),
        get("/api/v1/proposals/1").by(planner),
        get("/api/v1/proposals/1/shapes").by(planner),
        get("/api/v1/proposals/999").by(planner),
        get("/api/v1/proposals/abc").by(planner),
        post("/api/v1/proposals/1/reject", json!({"note": "crawl"})).by(admin),
        get("/api/v1/proposals/999/shapes").by(planner),
        post(
            "/api/v1/proposals/1/approve",
            json!({"effective": "2099-01-01"}),
        )
        .by(admin),
        post(
            "/api/v1/proposals/999/approve",
            json!({"effective": "2020-01-01"}),
        )
        .by(admin),
    ]);
    let scenario = json!({"category": "elder_canteen", "add": [{"lon": 120.104, "lat": 30.204}], "close": [facility]});
    calls.push(post("/api/v1/scenarios", scenario.clone()));
    calls.push(
        post(
            "/api/v1/scenarios",
            json!({"add": [{"lon": 1000, "lat": 0}]}),
        )
        .by(planner),
    );
    calls.push(post("/api/v1/scenarios", json!({"close": ["no-such-id"]})).by(planner));
    let siting = json!({"category": "elder_canteen", "minutes": 5, "k": 2});
    calls.push(post("/api/v1/siting", siting.clone()));
    calls.push(post("/api/v1/siting", siting).by(planner));
    calls.push(
        post(
            "/api/v1/siting",
            json!({"category": "elder_canteen", "k": 99}),
        )
        .by(planner),
    );
    calls.push(post("/api/v1/siting", json!({"k": "two"})).by(planner));
    calls
}

/// Field names that describe one person or household: never in a public answer.
const PERSONAL: [&str; 7] = [
    "residents",
    "phone",
    "telephone",
    "mobile",
    "email",
    "contact",
    "contacts",
];
/// Counts of people: in a public answer only for units (an object with a unit `code`) and
/// their totals and deltas.
const COUNTS: [&str; 4] = [
    "population",
    "elderly",
    "covered_population",
    "covered_elderly",
];

/// Where a public answer carries person-level data (see [`PERSONAL`] and [`COUNTS`]).
fn personal_fields(v: &Value, parent_key: &str, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            let is_unit = o
                .get("code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()));
            let unit_total = matches!(parent_key, "total" | "delta" | "totals");
            if parent_key == "fields" {
                return; // TileJSON's field list: names of a layer's fields, not data
            }
            for (k, child) in o {
                let here = format!("{path}/{k}");
                let count = COUNTS.contains(&k.as_str()) && !is_unit && !unit_total;
                if PERSONAL.contains(&k.as_str()) || count {
                    out.push(here.clone());
                }
                personal_fields(child, k, &here, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                personal_fields(x, parent_key, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_response_of_a_route_crawl_validates_against_the_generated_document() {
    let (_, _, doc) = send(&get("/api/v1/openapi.json")).await;
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    let st = state();
    let planner =
        super::auth_helpers::token_of(&st, "planner-crawl", civmap_data::accounts::Role::Planner)
            .await;
    let admin =
        super::auth_helpers::token_of(&st, "admin-crawl", civmap_data::accounts::Role::Admin).await;
    let facility = st.data.read().data.data().facilities[0].id.clone();
    let district = st
        .data
        .read()
        .data
        .data()
        .admin
        .iter()
        .find(|u| u.level == civmap_geo_core::AdminLevel::District)
        .map(|u| u.code.as_str().to_owned())
        .unwrap();
    let mut problems = Vec::new();
    let mut reached = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    let mut calls = crawl(&facility, &district, &planner, &admin);
    // a scenario created by the crawl, then read, used and deleted
    let create = post(
        "/api/v1/scenarios",
        json!({"category": "elder_canteen", "add": [{"lon": 120.104, "lat": 30.204}], "close": [facility]}),
    )
    .by(&planner);
    let (s, _, b) = send(&create).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let id = serde_json::from_slice::<Value>(&b).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    calls.push(create);
    calls.push(get(format!("/api/v1/scenarios/{id}")).by(&planner));
    calls.push(
        get(format!(
            "/api/v1/coverage?category=elder_canteen&minutes=5&scenario={id}"
        ))
        .by(&planner),
    );
    calls.push(Call::delete(format!("/api/v1/scenarios/{id}")).by(&planner));
    calls.push(Call::delete("/api/v1/layers"));
    // a session of its own, ended at the end of the crawl
    let session = super::auth_helpers::token_of(
        &st,
        "planner-crawl-out",
        civmap_data::accounts::Role::Planner,
    )
    .await;
    calls.push(Call::delete("/api/v1/auth/session").by(&session));
    let mut leaks = Vec::new();
    for call in &calls {
        let (status, ctype, body) = send(call).await;
        assert!(
            status.as_u16() < 500,
            "{} {} → {status}",
            call.method,
            call.uri
        );
        statuses.insert(status.as_u16());
        if let Some(t) = template(&doc, call.uri.split('?').next().unwrap()) {
            reached.insert(t.to_owned());
        }
        if call.token.is_none() && ctype.contains("json") && !call.uri.ends_with("openapi.json") {
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                let mut found = Vec::new();
                personal_fields(&v, "", "", &mut found);
                leaks.extend(
                    found
                        .into_iter()
                        .map(|f| format!("{} {}: {f}", call.method, call.uri)),
                );
            }
        }
        if status == StatusCode::METHOD_NOT_ALLOWED
            || (status == StatusCode::NOT_FOUND && call.uri == "/api/v1/nowhere")
        {
            // not a documented operation: the body must still be the contract's error
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert!(
                v["error"]["code"].is_string(),
                "{} {}: {v}",
                call.method,
                call.uri
            );
            continue;
        }
        problems.extend(check(&doc, call, status, &ctype, &body));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        leaks.is_empty(),
        "public answers with person-level fields:\n{}",
        leaks.join("\n")
    );
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let missed: Vec<_> = documented.difference(&reached).collect();
    assert!(
        missed.is_empty(),
        "documented paths the crawl never reached: {missed:?}"
    );
    for s in [200, 201, 204, 400, 401, 403, 404, 405, 409, 422] {
        assert!(
            statuses.contains(&s),
            "the crawl never saw a {s}: {statuses:?}"
        );
    }
}

#[test]
fn the_privacy_check_finds_planted_person_level_fields() {
    let public = json!({"features": [{"properties": {"code": "330106001001", "population": 5}}],
        "total": {"elderly": 3}});
    let mut found = Vec::new();
    personal_fields(&public, "", "", &mut found);
    assert!(found.is_empty(), "{found:?}");
    let leaky =
        json!({"features": [{"properties": {"rank": 1, "elderly": 5}}, {"id": 1, "residents": 3}]});
    personal_fields(&leaky, "", "", &mut found);
    assert_eq!(
        found,
        ["/features/0/properties/elderly", "/features/1/residents"]
    );
}

#[tokio::test]
async fn the_contract_check_catches_a_body_that_breaks_the_schema() {
    let (_, _, doc) = send(&get("/api/v1/openapi.json")).await;
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    let call = get("/api/v1/layers");
    let bad = serde_json::to_vec(&json!([{"id": 3, "count": "many"}])).unwrap();
    let problems = check(&doc, &call, StatusCode::OK, "application/json", &bad);
    assert!(!problems.is_empty());
    let undocumented = check(
        &doc,
        &call,
        StatusCode::IM_A_TEAPOT,
        "application/json",
        b"{}",
    );
    assert!(
        undocumented[0].contains("status not documented"),
        "{undocumented:?}"
    );
}

#[tokio::test]
async fn every_reference_in_the_document_resolves() {
    let (_, _, doc) = send(&get("/api/v1/openapi.json")).await;
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    let broken: Vec<_> = all
        .into_iter()
        .filter(|r| doc.pointer(r.trim_start_matches('#')).is_none())
        .collect();
    assert!(broken.is_empty(), "unresolvable references: {broken:?}");
}
