//! Identity and roles through the whole router: logins, tokens, cookies, the role of every
//! write route, scenario ownership, quotas, the audit log, and what the public sees.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use civmap_data::accounts::Role;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::auth_helpers::{bearer, ensure_user, token_of, PASSWORD};
use super::coverage_routes::state;
use crate::service::{AppState, IdentityService, SharedState, StoreKind};

/// One request through the router: status, headers and the JSON body (`null` if none).
pub(super) async fn call(
    st: &SharedState,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, bearer(t));
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let resp = crate::http::router(st.clone())
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One request through the router, answered as status and raw body bytes (downloads).
pub(super) async fn raw(
    st: &SharedState,
    method: Method,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, bearer(t));
    }
    let resp = crate::http::router(st.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

fn scenario_body() -> Value {
    json!({"category": "elder_canteen", "add": [{"lon": 120.104, "lat": 30.204}]})
}

/// The write routes of the document (every operation that is not a GET), with a body that
/// would be accepted, and the role each needs. Logins are the only writes anyone may make.
fn write_routes(doc: &Value) -> Vec<(Method, String, Option<Value>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["post", "put", "patch", "delete"] {
            if item.get(m).is_none() || path.starts_with("/api/v1/auth/") {
                continue;
            }
            let concrete = path
                .replace("{id}", "s1")
                .replace("{name}", "someone")
                .replace("{number}", "1A");
            let body = match (m, path.as_str()) {
                ("post", "/api/v1/scenarios") => Some(scenario_body()),
                ("post", "/api/v1/siting") => {
                    Some(json!({"category": "elder_canteen", "minutes": 5, "k": 1}))
                }
                ("post", "/api/v1/users") => {
                    Some(json!({"name": "x-new", "role": "planner", "password": PASSWORD}))
                }
                ("post", _) => Some(json!({})),
                _ => None,
            };
            out.push((m.to_uppercase().parse().unwrap(), concrete, body));
        }
    }
    out
}

#[tokio::test]
async fn every_write_route_is_401_anonymous_and_403_for_a_role_without_it() {
    let st = state();
    let doc = serde_json::to_value(crate::http::openapi()).unwrap();
    let writes = write_routes(&doc);
    assert!(writes.len() >= 5, "{writes:?}");
    let surveyor = token_of(&st, "surveyor-roles", Role::Surveyor).await;
    let planner = token_of(&st, "planner-roles", Role::Planner).await;
    for (m, uri, body) in &writes {
        let (s, h, v) = call(&st, m.clone(), uri, None, body.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "anonymous {m} {uri}: {v}");
        assert_eq!(v["error"]["code"], "unauthenticated");
        assert!(h.contains_key(header::WWW_AUTHENTICATE), "{m} {uri}");
        // a surveyor has none of these roles (scenarios, siting: planner; users: admin),
        // and a planner is not a surveyor (markers, validation exceptions, doorplate
        // renumbering, change proposals; approving and rejecting them needs an admin)
        let surveyors = uri.starts_with("/api/v1/markers")
            || uri.starts_with("/api/v1/proposals")
            || uri.starts_with("/api/v1/validation/")
            || uri.starts_with("/api/v1/survey/")
            || uri.starts_with("/api/v1/doorplates/")
            || uri == "/api/v1/names/applications"
            || (uri.starts_with("/api/v1/names/applications/") && uri.ends_with("/reviews"));
        let without = if surveyors { &planner } else { &surveyor };
        let (s, _, v) = call(&st, m.clone(), uri, Some(without), body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{m} {uri} without the role: {v}");
    }
    for uri in ["/api/v1/audit", "/api/v1/users"] {
        assert_eq!(
            call(&st, Method::GET, uri, None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            call(&st, Method::GET, uri, Some(&planner), None).await.0,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    // exports are a planner's: anonymous CSV is refused, the JSON stays public
    let q = "/api/v1/indicators?level=township&format=csv";
    assert_eq!(
        call(&st, Method::GET, q, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let q = "/api/v1/indicators?level=township";
    assert_eq!(
        call(&st, Method::GET, q, None, None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_bad_name_and_a_bad_password_get_the_same_401_and_a_token_opens_me() {
    let st = state();
    ensure_user(&st, "login-user", Role::Planner, None).await;
    let login = |name: &str, pw: &str| json!({"name": name, "password": pw});
    let (s1, _, v1) = call(
        &st,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(login("login-user", "wrong password!")),
    )
    .await;
    let (s2, _, v2) = call(
        &st,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(login("nobody-here", "wrong password!")),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        v1, v2,
        "the answers must not tell a wrong name from a wrong password"
    );
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(login("login-user", PASSWORD)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["role"], "planner");
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'));
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    let (s, _, me) = call(&st, Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(
        (s, me["name"].as_str()),
        (StatusCode::OK, Some("login-user"))
    );
    assert!(me.get("token").is_none());
    let (s, _, _) = call(
        &st,
        Method::GET,
        "/api/v1/me",
        Some("0".repeat(64).as_str()),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // a bad token is a 401 even on a public route that looks at the caller: the client
    // must learn that it is signed out rather than get the anonymous answer
    let (s, _, _) = call(
        &st,
        Method::GET,
        "/api/v1/indicators",
        Some("nonsense"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_die_when_they_expire_and_when_their_user_is_removed() {
    let st: SharedState = Arc::new(AppState::with_identity(
        Default::default(),
        StoreKind::Embedded,
        IdentityService::new(
            civmap_data::accounts::AccountStore::in_memory().unwrap(),
            Duration::from_millis(300),
        ),
    ));
    let short = token_of(&st, "short-lived", Role::Planner).await;
    assert_eq!(
        call(&st, Method::GET, "/api/v1/me", Some(&short), None)
            .await
            .0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        call(&st, Method::GET, "/api/v1/me", Some(&short), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "an expired token must be refused"
    );
    // removal: the admin removes a user, whose fresh token then stops working
    let st = state();
    let admin = token_of(&st, "admin-remove", Role::Admin).await;
    let doomed = token_of(&st, "doomed-user", Role::Planner).await;
    assert_eq!(
        call(&st, Method::GET, "/api/v1/me", Some(&doomed), None)
            .await
            .0,
        StatusCode::OK
    );
    let (s, _, v) = call(
        &st,
        Method::DELETE,
        "/api/v1/users/doomed-user",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(
        call(&st, Method::GET, "/api/v1/me", Some(&doomed), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _, _) = call(
        &st,
        Method::DELETE,
        "/api/v1/users/doomed-user",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scenarios_belong_to_their_creator_and_the_quota_is_per_planner() {
    let st = state();
    let alice = token_of(&st, "planner-alice", Role::Planner).await;
    let bob = token_of(&st, "planner-bob", Role::Planner).await;
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/scenarios",
        Some(&alice),
        Some(scenario_body()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let mine = format!("/api/v1/scenarios/{id}");
    assert_eq!(
        call(&st, Method::GET, &mine, Some(&alice), None).await.0,
        StatusCode::OK
    );
    // another planner cannot tell it exists
    assert_eq!(
        call(&st, Method::GET, &mine, Some(&bob), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&st, Method::DELETE, &mine, Some(&bob), None).await.0,
        StatusCode::NOT_FOUND
    );
    let cov = format!("/api/v1/coverage?category=elder_canteen&minutes=5&scenario={id}");
    assert_eq!(
        call(&st, Method::GET, &cov, Some(&bob), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&st, Method::GET, &cov, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&st, Method::GET, &mine, Some(&alice), None).await.0,
        StatusCode::OK,
        "bob's delete must not have removed it"
    );
    // the quota: bob fills his, alice is unaffected
    let quota = crate::service::coverage::MAX_SCENARIOS_PER_USER;
    let mut bobs = Vec::new();
    for _ in 0..quota {
        let (s, _, v) = call(
            &st,
            Method::POST,
            "/api/v1/scenarios",
            Some(&bob),
            Some(scenario_body()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        bobs.push(v["id"].as_str().unwrap().to_owned());
    }
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/scenarios",
        Some(&bob),
        Some(scenario_body()),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/scenarios",
        Some(&alice),
        Some(scenario_body()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for id in bobs {
        let uri = format!("/api/v1/scenarios/{id}");
        assert_eq!(
            call(&st, Method::DELETE, &uri, Some(&bob), None).await.0,
            StatusCode::NO_CONTENT
        );
    }
}

#[tokio::test]
async fn every_write_and_export_leaves_one_audit_row_and_the_log_cannot_be_edited() {
    let st = state();
    let admin = token_of(&st, "admin-audit", Role::Admin).await;
    let planner = token_of(&st, "planner-audited", Role::Planner).await;
    let (s, _, v) = call(
        &st,
        Method::POST,
        "/api/v1/scenarios",
        Some(&planner),
        Some(scenario_body()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/scenarios/{id}");
    assert_eq!(
        call(&st, Method::DELETE, &uri, Some(&planner), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let csv = "/api/v1/indicators?level=township&format=csv";
    assert_eq!(
        call(&st, Method::GET, csv, Some(&planner), None).await.0,
        StatusCode::OK
    );
    let (s, _, log) = call(
        &st,
        Method::GET,
        "/api/v1/audit?who=planner-audited&limit=1000",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let rows = log["entries"].as_array().unwrap();
    let target = format!("scenario:{id}");
    let of = |action: &str, target: &str| {
        rows.iter()
            .filter(|r| r["action"] == action && r["target"].as_str().unwrap().starts_with(target))
            .count()
    };
    assert_eq!(of("scenario.create", &target), 1, "{rows:?}");
    assert_eq!(of("scenario.delete", &target), 1, "{rows:?}");
    assert!(
        of("export.csv", "export:/api/v1/indicators") >= 1,
        "{rows:?}"
    );
    assert!(of("auth.login", "user:planner-audited") >= 1, "{rows:?}");
    let create = rows
        .iter()
        .find(|r| r["action"] == "scenario.create" && r["target"] == target.as_str())
        .unwrap();
    assert_eq!(create["after"]["id"], id.as_str());
    assert!(create["before"].is_null());
    let delete = rows
        .iter()
        .find(|r| r["action"] == "scenario.delete" && r["target"] == target.as_str())
        .unwrap();
    assert_eq!(delete["before"]["id"], id.as_str());
    // newest first
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    // no route edits or deletes the log
    for m in [Method::DELETE, Method::PUT, Method::PATCH, Method::POST] {
        let (s, _, _) = call(
            &st,
            m.clone(),
            "/api/v1/audit",
            Some(&admin),
            Some(json!({})),
        )
        .await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m} /api/v1/audit");
    }
}

#[tokio::test]
async fn the_session_cookie_signs_in_refuses_cross_site_writes_and_signs_out() {
    let st = state();
    ensure_user(&st, "cookie-planner", Role::Planner, None).await;
    let login = json!({"name": "cookie-planner", "password": PASSWORD});
    let (s, h, v) = call(&st, Method::POST, "/api/v1/auth/session", None, Some(login)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(
        v.get("token").is_none(),
        "the cookie login must not show the token to scripts"
    );
    let set = h
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let with_cookie = |m: Method, uri: &str, origin: Option<&str>| {
        let mut r = Request::builder()
            .method(m)
            .uri(uri)
            .header(header::COOKIE, cookie.clone())
            .header(header::HOST, "civmap.test")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            r = r.header(header::ORIGIN, o);
        }
        r.body(Body::from(scenario_body().to_string())).unwrap()
    };
    let router = || crate::http::router(st.clone());
    let me = router()
        .oneshot(with_cookie(Method::GET, "/api/v1/me", None))
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let evil = router()
        .oneshot(with_cookie(
            Method::POST,
            "/api/v1/scenarios",
            Some("https://evil.example"),
        ))
        .await
        .unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let ours = router()
        .oneshot(with_cookie(
            Method::POST,
            "/api/v1/scenarios",
            Some("http://civmap.test"),
        ))
        .await
        .unwrap();
    assert_eq!(ours.status(), StatusCode::CREATED);
    let out = router()
        .oneshot(with_cookie(
            Method::DELETE,
            "/api/v1/auth/session",
            Some("http://civmap.test"),
        ))
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let me = router()
        .oneshot(with_cookie(Method::GET, "/api/v1/me", None))
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "a signed-out session must be dead"
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled() {
    let st: SharedState = Arc::new(AppState::new(Default::default(), StoreKind::Embedded));
    ensure_user(&st, "target-user", Role::Admin, None).await;
    let bad = json!({"name": "target-user", "password": "not the password"});
    for _ in 0..crate::service::identity::MAX_FAILURES {
        let (s, _, _) = call(
            &st,
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(bad.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // now even the right password waits out the window
    let good = json!({"name": "target-user", "password": PASSWORD});
    let (s, h, _) = call(&st, Method::POST, "/api/v1/auth/token", None, Some(good)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn gaps_show_person_counts_to_planners_only() {
    let st = state();
    let planner = token_of(&st, "planner-gaps", Role::Planner).await;
    let uri = "/api/v1/coverage/gaps?category=elder_canteen&minutes=3&cell_m=100&limit=5";
    let (s, _, public) = call(&st, Method::GET, uri, None, None).await;
    assert_eq!(s, StatusCode::OK, "{public}");
    let (_, _, planned) = call(&st, Method::GET, uri, Some(&planner), None).await;
    let feats = |v: &Value| v["features"].as_array().unwrap().clone();
    assert!(!feats(&public).is_empty());
    assert_eq!(feats(&public).len(), feats(&planned).len());
    for (a, b) in feats(&public).iter().zip(feats(&planned).iter()) {
        assert!(
            a["properties"].get("elderly").is_none() && a["properties"].get("population").is_none(),
            "{a}"
        );
        assert!(
            b["properties"]["elderly"].is_u64() && b["properties"]["population"].is_u64(),
            "{b}"
        );
        assert_eq!(a["properties"]["rank"], b["properties"]["rank"]);
    }
}
