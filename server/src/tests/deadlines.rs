//! Time budgets and cancellation of the heavy answers (issue #13): a budget overrun answers
//! `503 timeout` with `Retry-After` and caches nothing, and a request that is given up on
//! (its future dropped, as when a client disconnects) stops its CPU work at once — the
//! failure of Valhalla #3823, where abandoned matrix requests kept the workers busy.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_geo_core::coverage::{CoverageMode, WalkProfile};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::service::coverage::{Budgets, CoverageQuery};
use crate::service::{AppState, CoverageService, ServiceError, StoreKind};

/// How soon after its request is dropped a computation must have returned.
const STOP_WITHIN: Duration = Duration::from_millis(100);

/// Polls `done` every millisecond until it holds; panics after `max`.
async fn wait_until(what: &str, max: Duration, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < max, "{what}: not within {max:?}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The engine, retrying while it is still being built (a debug build of the default city
/// can take longer than one `ENGINE_WAIT`).
async fn engine_ready(svc: &Arc<CoverageService>) -> u64 {
    for _ in 0..20 {
        match svc.engine().await {
            Ok(snap) => return snap.generation,
            Err(ServiceError::WarmingUp { .. }) => continue,
            Err(e) => panic!("engine: {e}"),
        }
    }
    panic!("the engine was not built in 20 waits")
}

fn query(category: FacilityCategory, minutes: f64) -> CoverageQuery {
    CoverageQuery {
        category,
        minutes,
        mode: CoverageMode::Walk,
        profile: WalkProfile::standard(),
        scenario: None,
    }
}

#[tokio::test]
async fn a_budget_overrun_answers_503_timeout_with_retry_after_and_caches_nothing() {
    // A zero budget: the deadline has passed before any work starts, so every uncached
    // heavy answer overruns, deterministically (no timing involved).
    let zero = Budgets {
        coverage: Duration::ZERO,
        siting: Duration::ZERO,
    };
    let st = Arc::new(AppState::with_budgets(
        super::coverage_routes::city(),
        StoreKind::Embedded,
        zero,
    ));
    let generation = engine_ready(&st.coverage).await;
    let planner = super::auth_helpers::token_of(
        &st,
        "planner-deadlines",
        civmap_data::accounts::Role::Planner,
    )
    .await;
    let requests = [
        Request::get("/api/v1/coverage?category=elder_canteen&minutes=4").body(Body::empty()),
        Request::get("/api/v1/coverage/area?category=elder_canteen&minutes=4").body(Body::empty()),
        Request::get("/api/v1/coverage/gaps?category=elder_canteen&minutes=4").body(Body::empty()),
        Request::get("/api/v1/indicators?level=community").body(Body::empty()),
        Request::post("/api/v1/siting")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, super::auth_helpers::bearer(&planner))
            .body(Body::from(
                json!({"category": "elder_canteen", "minutes": 4, "k": 2}).to_string(),
            )),
    ];
    for req in requests {
        let req = req.unwrap();
        let uri = req.uri().to_string();
        let resp = crate::http::router(st.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(
            resp.headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap()),
            Some("5"),
            "{uri}"
        );
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "timeout", "{uri}: {v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("budget of 0 s"), "{uri}: {message}");
    }
    let q = query(FacilityCategory::ElderCanteen, 4.0);
    assert!(st
        .coverage
        .cached_state(&q.key(false), generation)
        .is_none());
    assert!(st
        .coverage
        .cached_result(&q.key(true), generation)
        .is_none());
    assert_eq!(st.coverage.computations_running(), 0);

    // The same data with the default budgets answers, and caches.
    let ok = AppState::new(super::coverage_routes::city(), StoreKind::Embedded);
    let ok = Arc::new(ok);
    let generation = engine_ready(&ok.coverage).await;
    let answer = ok.coverage.coverage(&q, AdminLevel::Community).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert!(ok
        .coverage
        .cached_result(&q.key(true), generation)
        .is_some());
}

/// Starts `work` as a task, waits until its blocking computation runs (and `after` more),
/// drops the task, and returns how long the computation took to return after the drop.
async fn stop_latency<T: Send + std::fmt::Debug + 'static>(
    svc: &Arc<CoverageService>,
    after: Duration,
    work: impl Future<Output = T> + Send + 'static,
) -> Duration {
    assert_eq!(svc.computations_running(), 0);
    let task = tokio::spawn(work);
    wait_until("the computation starts", Duration::from_secs(120), || {
        svc.computations_running() == 1
    })
    .await;
    tokio::time::sleep(after).await;
    assert_eq!(
        svc.computations_running(),
        1,
        "the computation was still running {after:?} in (else this measures nothing)"
    );
    task.abort();
    let dropped = Instant::now();
    wait_until(
        "the computation returns after its request was dropped",
        Duration::from_secs(60),
        || svc.computations_running() == 0,
    )
    .await;
    let latency = dropped.elapsed();
    assert!(task.await.unwrap_err().is_cancelled());
    latency
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_request_stops_its_cpu_work_within_100_ms_and_caches_nothing() {
    // The default city (500k doorplates), on a coverage service of its own so that no
    // other test's computations are counted.
    let data = super::routes::state().data.clone();
    let svc = Arc::new(CoverageService::new(data));
    let generation = engine_ready(&svc).await;

    // 1. A whole-city coverage at the longest limit (every node reached from 2,300
    //    canteens), dropped as soon as it runs: it returns within 100 ms, and neither its
    //    walking state nor its result is cached.
    let q = query(FacilityCategory::ElderCanteen, 120.0);
    let latency = stop_latency(&svc, Duration::ZERO, {
        let (svc, q) = (svc.clone(), q.clone());
        async move { svc.coverage(&q, AdminLevel::District).await.map(|_| ()) }
    })
    .await;
    eprintln!("coverage stopped {latency:?} after its request was dropped");
    assert!(latency < STOP_WITHIN, "coverage stopped after {latency:?}");
    assert!(svc.cached_state(&q.key(false), generation).is_none());
    assert!(svc.cached_result(&q.key(true), generation).is_none());

    // Run to the end, it answers and is cached.
    let t = Instant::now();
    assert!(svc.coverage(&q, AdminLevel::District).await.is_ok());
    eprintln!("the same coverage uncancelled: {:?}", t.elapsed());
    assert!(svc.cached_result(&q.key(true), generation).is_some());

    // 2. Siting for marriage registries (a dozen in the city) at 120 minutes: up to 2,000
    //    candidates, each a search reaching ~7 km. Timed uncancelled first (about 0.3 s
    //    here); then dropped a tenth of that time in, well inside its candidate loop, it
    //    returns within 100 ms. With the token not passed on, this fails: the siting runs
    //    on to its end.
    let q = query(FacilityCategory::MarriageRegistry, 120.0);
    assert!(svc.coverage(&q, AdminLevel::District).await.is_ok()); // its base, cached
    let t = Instant::now();
    assert!(svc.siting(&q, 50, None).await.is_ok());
    let uncancelled = t.elapsed();
    eprintln!("the same siting uncancelled: {uncancelled:?}");
    assert!(
        uncancelled > STOP_WITHIN,
        "siting took {uncancelled:?}: too short to show it stops early"
    );
    let latency = stop_latency(&svc, uncancelled / 10, {
        let (svc, q) = (svc.clone(), q.clone());
        async move { svc.siting(&q, 50, None).await.map(|_| ()) }
    })
    .await;
    eprintln!("siting stopped {latency:?} after its request was dropped");
    assert!(latency < STOP_WITHIN, "siting stopped after {latency:?}");
    assert!(
        latency < uncancelled / 2,
        "siting stopped {latency:?} after the drop, run whole it takes {uncancelled:?}"
    );
}

#[tokio::test]
async fn a_light_read_past_its_budget_answers_503_timeout_json() {
    // A route that never answers stands for a read stuck behind something.
    let never = axum::Router::new().route(
        "/stuck",
        axum::routing::get(std::future::pending::<&'static str>),
    );
    let router = crate::http::limits::read_budget(never, Duration::from_millis(10));
    let resp = router
        .oneshot(Request::get("/stuck").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["error"]["code"], "timeout", "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("budget of 0.01 s"));
}

#[test]
fn a_zero_budget_is_spent_at_once_and_an_unlimited_one_never() {
    // `Budgets::unlimited()` (the CLI's) must not overflow `Instant` into a panic.
    assert!(!CoverageService::token(Budgets::unlimited().coverage).is_cancelled());
    assert!(CoverageService::token(Duration::ZERO).is_cancelled());
}
