//! Coverage, scenario, siting, indicator and walk-nearest routes on a small city whose
//! answers are checked against an independent brute force (a plain `f64` Dijkstra over the
//! network: doorplates and facilities stand on nodes, so no snapping is involved).

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, Facility, FacilityAttributes,
    FacilityCategory, WalkNetwork,
};
use geo::{coord, polygon, MultiPolygon, Point};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::service::{AppState, SharedState, StoreKind};

const N: usize = 12;
const LON0: f64 = 120.10;
const LAT0: f64 = 30.20;
const DLON: f64 = 0.001;
const DLAT: f64 = 0.0009;

fn node_xy(i: usize, j: usize) -> (f64, f64) {
    (LON0 + DLON * i as f64, LAT0 + DLAT * j as f64)
}

fn code(s: &str) -> AdminCode {
    AdminCode::parse(s).unwrap()
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
    ]])
}

/// A 12 × 12 grid (~96 m × 100 m blocks) with a wall: no vertical links in column 5 below
/// row 9 and no horizontal links between columns 5 and 6 below row 9, so walks detour.
/// A doorplate on every node; community A west of column 6, B east; one township.
fn city() -> Dataset {
    let mut net = WalkNetwork::default();
    for j in 0..N {
        for i in 0..N {
            let (x, y) = node_xy(i, j);
            net.add_node(coord! { x: x, y: y });
        }
    }
    let id = |i: usize, j: usize| (j * N + i) as u32;
    for j in 0..N {
        for i in 0..N {
            if i + 1 < N && !(i == 5 && j < 9) {
                net.add_edge(id(i, j), id(i + 1, j), None);
            }
            if j + 1 < N {
                net.add_edge(id(i, j), id(i, j + 1), None);
            }
        }
    }
    let (xe, ye) = node_xy(N, N);
    let xm = LON0 + DLON * 5.5;
    let unit = |c: &str, name: &str, level, parent: Option<&str>, g| AdminUnit {
        code: code(c),
        name: name.into(),
        level,
        parent: parent.map(code),
        kind: String::new(),
        geometry: g,
        population: 0,
        elderly: 0,
        synthetic: true,
    };
    let (x0, y0) = (LON0 - 0.0005, LAT0 - 0.0005);
    let mut admin = vec![
        unit(
            "330100000000",
            "杭州市",
            AdminLevel::City,
            None,
            rect(x0, y0, xe, ye),
        ),
        unit(
            "330102000000",
            "上城区",
            AdminLevel::District,
            Some("330100000000"),
            rect(x0, y0, xe, ye),
        ),
        unit(
            "330102001000",
            "测试街道",
            AdminLevel::Township,
            Some("330102000000"),
            rect(x0, y0, xe, ye),
        ),
        unit(
            "330102001001",
            "西社区",
            AdminLevel::Community,
            Some("330102001000"),
            rect(x0, y0, xm, ye),
        ),
        unit(
            "330102001002",
            "东社区",
            AdminLevel::Community,
            Some("330102001000"),
            rect(xm, y0, xe, ye),
        ),
    ];
    let mut doorplates = Vec::new();
    for j in 0..N {
        for i in 0..N {
            let (x, y) = node_xy(i, j);
            let k = (j * N + i) as u64;
            doorplates.push(Doorplate {
                id: k,
                road: "测试路".into(),
                number: k as u32 + 1,
                location: Point::new(x, y),
                residents: 3 + (k % 4) as u32,
                elderly: (k % 3) as u32,
                community: Some(code(if i < 6 {
                    "330102001001"
                } else {
                    "330102001002"
                })),
                synthetic: true,
            });
        }
    }
    for u in admin.iter_mut() {
        let own: Vec<&Doorplate> = doorplates
            .iter()
            .filter(|d| {
                let c = d.community.as_ref().unwrap().as_str();
                c.starts_with(u.code.as_str().trim_end_matches('0'))
                    || u.level != AdminLevel::Community
            })
            .collect();
        u.population = own.iter().map(|d| d.residents as u64).sum();
        u.elderly = own.iter().map(|d| d.elderly as u64).sum();
    }
    let fac = |id: &str, cat, i, j, community: &str, attributes| {
        let (x, y) = node_xy(i, j);
        Facility {
            id: id.into(),
            name: id.into(),
            category: cat,
            location: Point::new(x, y),
            address: String::new(),
            admin_code: Some(code(community)),
            attributes,
            synthetic: true,
        }
    };
    let hub = FacilityAttributes {
        hub: true,
        delivery: true,
        ..Default::default()
    };
    let beds = FacilityAttributes {
        beds: Some(100),
        nursing_beds: Some(70),
        ..Default::default()
    };
    let facilities = vec![
        fac(
            "c1",
            FacilityCategory::ElderCanteen,
            1,
            1,
            "330102001001",
            hub,
        ),
        fac(
            "c2",
            FacilityCategory::ElderCanteen,
            10,
            2,
            "330102001002",
            Default::default(),
        ),
        fac(
            "h1",
            FacilityCategory::HomeCareCentre,
            3,
            6,
            "330102001001",
            Default::default(),
        ),
        fac(
            "k1",
            FacilityCategory::ChildrenHome,
            2,
            9,
            "330102001001",
            Default::default(),
        ),
        fac(
            "w1",
            FacilityCategory::SocialWorkStation,
            8,
            8,
            "330102001002",
            Default::default(),
        ),
        fac(
            "i1",
            FacilityCategory::ElderCareInstitution,
            9,
            10,
            "330102001002",
            beds,
        ),
    ];
    Dataset {
        admin,
        facilities,
        doorplates,
        network: net,
        ..Dataset::default()
    }
}

pub(super) fn state() -> SharedState {
    static STATE: OnceLock<SharedState> = OnceLock::new();
    STATE
        .get_or_init(|| Arc::new(AppState::new(city(), StoreKind::Embedded)))
        .clone()
}

/// The bearer token of the planner these tests act as.
async fn planner() -> String {
    static TOKEN: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TOKEN
        .get_or_init(|| async {
            super::auth_helpers::token_of(
                &state(),
                "planner-routes",
                civmap_data::accounts::Role::Planner,
            )
            .await
        })
        .await
        .clone()
}

/// Sends a request as a planner (the role that may use every coverage route).
async fn send(mut req: Request<Body>) -> (StatusCode, Value) {
    let token = planner().await;
    req.headers_mut().insert(
        header::AUTHORIZATION,
        super::auth_helpers::bearer(&token).parse().unwrap(),
    );
    let resp = crate::http::router(state()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn get(uri: &str) -> (StatusCode, Value) {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(uri: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    send(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .unwrap(),
    )
    .await
}

/// Metres from the nearest of `sources` (node ids) to every node, by a plain Dijkstra.
fn brute_force(ds: &Dataset, sources: &[u32]) -> Vec<f64> {
    let n = ds.network.nodes.len();
    let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for e in &ds.network.edges {
        adj[e.from as usize].push((e.to as usize, e.length_m));
        adj[e.to as usize].push((e.from as usize, e.length_m));
    }
    let mut dist = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::new();
    for &s in sources {
        dist[s as usize] = 0.0;
        heap.push((std::cmp::Reverse(0u64), s as usize));
    }
    while let Some((std::cmp::Reverse(dk), v)) = heap.pop() {
        let d = f64::from_bits(dk);
        if d > dist[v] {
            continue;
        }
        for &(u, w) in &adj[v] {
            if d + w < dist[u] {
                dist[u] = d + w;
                heap.push((std::cmp::Reverse((d + w).to_bits()), u));
            }
        }
    }
    dist
}

fn node_of(ds: &Dataset, lon: f64, lat: f64) -> u32 {
    ds.network
        .nodes
        .iter()
        .position(|c| (c.x - lon).abs() < 1e-9 && (c.y - lat).abs() < 1e-9)
        .unwrap() as u32
}

fn canteen_nodes(ds: &Dataset) -> Vec<u32> {
    ds.facilities
        .iter()
        .filter(|f| f.category == FacilityCategory::ElderCanteen)
        .map(|f| node_of(ds, f.location.x(), f.location.y()))
        .collect()
}

/// Covered (population, elderly) per community code by the brute force.
fn brute_covered(ds: &Dataset, dist: &[f64], limit_m: f64) -> HashMap<String, (u64, u64)> {
    let mut out: HashMap<String, (u64, u64)> = HashMap::new();
    for d in &ds.doorplates {
        let v = node_of(ds, d.location.x(), d.location.y()) as usize;
        assert!(
            (dist[v] - limit_m).abs() > 1e-3,
            "a doorplate on the limit makes the check ambiguous"
        );
        if dist[v] <= limit_m {
            let e = out
                .entry(d.community.as_ref().unwrap().as_str().to_owned())
                .or_default();
            e.0 += d.residents as u64;
            e.1 += d.elderly as u64;
        }
    }
    out
}

#[tokio::test]
async fn walk_coverage_per_community_equals_a_brute_force_dijkstra() {
    let ds = city();
    let dist = brute_force(&ds, &canteen_nodes(&ds));
    for minutes in [3.0, 5.0, 7.5] {
        let (s, v) = get(&format!(
            "/api/v1/coverage?category=elder_canteen&minutes={minutes}&level=community"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let want = brute_covered(&ds, &dist, minutes * 60.0);
        let units = v["units"].as_array().unwrap();
        assert_eq!(units.len(), 2);
        for u in units {
            let (p, e) = want
                .get(u["code"].as_str().unwrap())
                .copied()
                .unwrap_or((0, 0));
            assert_eq!(u["covered_population"], p, "{minutes} min {u}");
            assert_eq!(u["covered_elderly"], e, "{minutes} min {u}");
        }
        let sum: u64 = units
            .iter()
            .map(|u| u["covered_elderly"].as_u64().unwrap())
            .sum();
        assert_eq!(
            v["total"]["covered_elderly"], sum,
            "totals are the units' sums"
        );
        assert_eq!(v["mode"], "walk");
        assert_eq!(v["category"], "elder_canteen");
    }
}

#[tokio::test]
async fn straight_coverage_never_covers_less_than_walk_coverage() {
    for minutes in [2, 4, 6] {
        let (_, w) = get(&format!(
            "/api/v1/coverage?category=elder_canteen&minutes={minutes}&mode=walk"
        ))
        .await;
        let (_, s) = get(&format!(
            "/api/v1/coverage?category=elder_canteen&minutes={minutes}&mode=straight"
        ))
        .await;
        let (w, s) = (
            w["total"]["covered_population"].as_u64().unwrap(),
            s["total"]["covered_population"].as_u64().unwrap(),
        );
        assert!(s >= w, "{minutes} min: straight {s} < walk {w}");
        assert!(w > 0);
    }
    // the elderly profile walks slower: never more covered
    let (_, a) = get("/api/v1/coverage?category=elder_canteen&minutes=5").await;
    let (_, b) = get("/api/v1/coverage?category=elder_canteen&minutes=5&profile=elderly").await;
    assert!(b["total"]["covered_elderly"].as_u64() < a["total"]["covered_elderly"].as_u64());
}

async fn covered_elderly(q: &str) -> u64 {
    let (s, v) = get(&format!(
        "/api/v1/coverage?category=elder_canteen&minutes=4{q}"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["total"]["covered_elderly"].as_u64().unwrap()
}

#[tokio::test]
async fn scenario_add_raises_close_lowers_and_base_is_untouched() {
    let base = covered_elderly("").await;
    let (x, y) = node_xy(5, 10);
    let (s, added) = post(
        "/api/v1/scenarios",
        json!({"add": [{"category": "elder_canteen", "lon": x, "lat": y, "name": "新食堂"}]})
            .to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{added}");
    let id = added["id"].as_str().unwrap().to_owned();
    let with_add = covered_elderly(&format!("&scenario={id}")).await;
    assert!(with_add > base, "add: {with_add} <= {base}");
    // exactly the brute force with the extra canteen
    let ds = city();
    let mut nodes = canteen_nodes(&ds);
    nodes.push(node_of(&ds, x, y));
    let want: u64 = brute_covered(&ds, &brute_force(&ds, &nodes), 240.0)
        .values()
        .map(|c| c.1)
        .sum();
    assert_eq!(with_add, want);

    let (s, closed) = post("/api/v1/scenarios", json!({"close": ["c2"]}).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{closed}");
    let with_close =
        covered_elderly(&format!("&scenario={}", closed["id"].as_str().unwrap())).await;
    assert!(with_close < base, "close: {with_close} >= {base}");

    let (s, moved) = post(
        "/api/v1/scenarios",
        json!({"move": [{"id": "c1", "lon": x, "lat": y}]}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    let mut nodes = canteen_nodes(&ds);
    nodes[0] = node_of(&ds, x, y);
    let want: u64 = brute_covered(&ds, &brute_force(&ds, &nodes), 240.0)
        .values()
        .map(|c| c.1)
        .sum();
    assert_eq!(
        covered_elderly(&format!("&scenario={}", moved["id"].as_str().unwrap())).await,
        want
    );
    // straight mode sees the scenario too
    let (_, st) = get(&format!(
        "/api/v1/coverage?category=elder_canteen&minutes=4&mode=straight&scenario={id}"
    ))
    .await;
    let (_, st0) = get("/api/v1/coverage?category=elder_canteen&minutes=4&mode=straight").await;
    assert!(st["total"]["covered_elderly"].as_u64() > st0["total"]["covered_elderly"].as_u64());

    assert_eq!(
        covered_elderly("").await,
        base,
        "scenarios never change the base"
    );
    let (s, got) = get(&format!("/api/v1/scenarios/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["add"][0]["name"], "新食堂");
    let (s, _) = send(
        Request::delete(format!("/api/v1/scenarios/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = get(&format!(
        "/api/v1/coverage?category=elder_canteen&scenario={id}"
    ))
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn bad_scenarios_are_refused_naming_the_field() {
    let (s, v) = post("/api/v1/scenarios", json!({"close": ["nope"]}).to_string()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["param"], "close[0]");
    assert!(v["error"]["message"].as_str().unwrap().contains("nope"));
    let (s, v) = post(
        "/api/v1/scenarios",
        json!({"move": [{"id": "ghost", "lon": 120.1, "lat": 30.2}]}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["param"], "move[0].id");
    let (s, v) = post(
        "/api/v1/scenarios",
        json!({"add": [{"category": "elder_canteen", "lon": "east", "lat": 30.2}]}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["param"], "add[0].lon");
    let (s, v) = post(
        "/api/v1/scenarios",
        json!({"add": [{"lon": 120.1, "lat": 30.2}]}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["param"], "add[0].category");
    let (s, v) = post(
        "/api/v1/scenarios",
        json!({"add": [{"category": "elder_canteen", "lon": 200.0, "lat": 30.2}]}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["param"], "add[0].lon");
    let (s, v) = post("/api/v1/scenarios", "{\"add\": [").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = post("/api/v1/scenarios", json!({"remove": []}).to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("remove"));
    let big = format!("{{\"close\": [{}]}}", vec!["\"c1\""; 300_000].join(","));
    let (s, v) = post("/api/v1/scenarios", big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], "payload_too_large");
    let (s, _) = get("/api/v1/scenarios/s999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = get("/api/v1/coverage?category=elder_canteen&scenario=s999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn coverage_parameters_are_validated() {
    for (q, status, param) in [
        ("minutes=15", StatusCode::BAD_REQUEST, "category"),
        ("category=canteen", StatusCode::BAD_REQUEST, "category"),
        (
            "category=elder_canteen&minutes=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            "minutes",
        ),
        (
            "category=elder_canteen&minutes=121",
            StatusCode::UNPROCESSABLE_ENTITY,
            "minutes",
        ),
        (
            "category=elder_canteen&minutes=abc",
            StatusCode::BAD_REQUEST,
            "minutes",
        ),
        (
            "category=elder_canteen&mode=drive",
            StatusCode::BAD_REQUEST,
            "mode",
        ),
        (
            "category=elder_canteen&profile=fast",
            StatusCode::BAD_REQUEST,
            "profile",
        ),
        (
            "category=elder_canteen&level=planet",
            StatusCode::BAD_REQUEST,
            "level",
        ),
        (
            "category=elder_canteen&catgory=x",
            StatusCode::BAD_REQUEST,
            "catgory",
        ),
    ] {
        let (s, v) = get(&format!("/api/v1/coverage?{q}")).await;
        assert_eq!(s, status, "{q}: {v}");
        assert_eq!(v["error"]["param"], param, "{q}: {v}");
    }
    let (s, v) = post(
        "/api/v1/siting",
        json!({"category": "elder_canteen", "minutes": 4, "k": 51}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["param"], "k");
}

#[tokio::test]
async fn gaps_hold_every_uncovered_elder_largest_first() {
    let (_, c) = get("/api/v1/coverage?category=elder_canteen&minutes=3").await;
    let uncovered =
        c["total"]["elderly"].as_u64().unwrap() - c["total"]["covered_elderly"].as_u64().unwrap();
    let (s, g) =
        get("/api/v1/coverage/gaps?category=elder_canteen&minutes=3&level=community&limit=10000")
            .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let f = g["features"].as_array().unwrap();
    let elderly: Vec<u64> = f
        .iter()
        .map(|x| x["properties"]["elderly"].as_u64().unwrap())
        .collect();
    assert_eq!(elderly.iter().sum::<u64>(), uncovered);
    assert!(elderly.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(f[0]["properties"]["admin"]["level"], "community");
}

#[tokio::test]
async fn service_area_polygons_cover_covered_doorplates_and_not_the_far_corner() {
    use geo::Contains;
    let (s, a) = get("/api/v1/coverage/area?category=elder_canteen&minutes=3").await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let fc: geojson::FeatureCollection = serde_json::from_value(a).unwrap();
    let polys: Vec<geo::Geometry<f64>> = fc
        .features
        .iter()
        .map(|f| geo::Geometry::try_from(f.geometry.clone().unwrap()).unwrap())
        .collect();
    let inside = |x: f64, y: f64| polys.iter().any(|p| p.contains(&Point::new(x, y)));
    let (cx, cy) = node_xy(1, 1);
    assert!(inside(cx, cy), "the canteen's own corner");
    let (fx, fy) = node_xy(5, 11);
    assert!(!inside(fx, fy), "a node ~1 km away on foot");
    assert_eq!(
        fc.features[0].properties.as_ref().unwrap()["synthetic"],
        false
    );
}

#[tokio::test]
async fn walk_nearest_uses_network_distance_in_order() {
    let ds = city();
    let (qx, qy) = node_xy(4, 4);
    let (s, v) = get(&format!(
        "/api/v1/facilities/nearest?lon={qx}&lat={qy}&mode=walk&k=6"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 6);
    let dist = brute_force(&ds, &[node_of(&ds, qx, qy)]);
    let mut last = 0.0;
    for x in f {
        let p = &x["properties"];
        let d = p["distance_m"].as_f64().unwrap();
        assert!(d >= last);
        last = d;
        let c = x["geometry"]["coordinates"].as_array().unwrap();
        let node = node_of(&ds, c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (d - dist[node as usize]).abs() < 1e-3,
            "{p}: {}",
            dist[node as usize]
        );
        assert!(
            (p["walk_s"].as_f64().unwrap() - d).abs() < 1e-2,
            "1 m/s: {p}"
        );
    }
    let (s, v) = get(&format!(
        "/api/v1/facilities/nearest?lon={qx}&lat={qy}&mode=walk&k=101"
    ))
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn siting_suggests_sites_whose_gains_add_up() {
    let before = covered_elderly("").await;
    let (s, v) = post(
        "/api/v1/siting",
        json!({"category": "elder_canteen", "minutes": 4, "k": 3}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = v["features"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    let total = v["total_newly_covered_elderly"].as_u64().unwrap();
    assert_eq!(
        f[2]["properties"]["cumulative_newly_covered_elderly"],
        total
    );
    assert_eq!(v["covered_elderly_before"], before);
    // adding the suggested sites as a scenario covers exactly that many more
    let add: Vec<Value> = f
        .iter()
        .map(|x| {
            let c = &x["geometry"]["coordinates"];
            json!({"category": "elder_canteen", "lon": c[0], "lat": c[1]})
        })
        .collect();
    let (_, sc) = post("/api/v1/scenarios", json!({"add": add}).to_string()).await;
    let after = covered_elderly(&format!("&scenario={}", sc["id"].as_str().unwrap())).await;
    assert_eq!(after, before + total);
}

fn indicator<'a>(v: &'a Value, code: &str, id: &str) -> &'a Value {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap()["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn indicators_follow_the_facilities_and_scenarios() {
    let (s, v) = get("/api/v1/indicators?level=township").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let t = "330102001000";
    assert_eq!(indicator(&v, t, "social_work_station")["pass"], true);
    assert_eq!(indicator(&v, t, "hub_canteen_with_delivery")["value"], 1.0);
    assert_eq!(indicator(&v, t, "meal_point")["value"], 1.0);
    assert_eq!(indicator(&v, t, "nursing_bed_share")["value"], 0.7);
    assert_eq!(indicator(&v, t, "nursing_bed_share")["target_2025"], 0.6);
    let share15 = indicator(&v, t, "home_care_15min_share")["value"]
        .as_f64()
        .unwrap();
    let share20 = indicator(&v, t, "home_care_20min_share")["value"]
        .as_f64()
        .unwrap();
    assert!(share15 > 0.0 && share20 >= share15);
    let (_, c) = get("/api/v1/indicators?level=community").await;
    assert_eq!(indicator(&c, "330102001001", "children_home")["pass"], true);
    assert_eq!(
        indicator(&c, "330102001002", "children_home")["pass"],
        false
    );

    let (_, sc) = post(
        "/api/v1/scenarios",
        json!({"close": ["w1", "c1"], "add": [{"category": "children_home", "lon": node_xy(9, 3).0, "lat": node_xy(9, 3).1}]})
            .to_string(),
    )
    .await;
    let id = sc["id"].as_str().unwrap();
    let (_, v2) = get(&format!("/api/v1/indicators?level=township&scenario={id}")).await;
    assert_eq!(indicator(&v2, t, "social_work_station")["pass"], false);
    assert_eq!(
        indicator(&v2, t, "hub_canteen_with_delivery")["pass"],
        false
    );
    let (_, c2) = get(&format!("/api/v1/indicators?level=community&scenario={id}")).await;
    assert_eq!(
        indicator(&c2, "330102001002", "children_home")["pass"],
        true
    );
    assert_eq!(indicator(&c2, "330102001001", "meal_point")["pass"], false);
    let (s, v) = get("/api/v1/indicators?level=district").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["units"][0]["code"], "330102000000");
    let (s, v) = get("/api/v1/indicators?level=planet").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test]
async fn openapi_lists_the_coverage_routes() {
    let (_, v) = get("/api/v1/openapi.json").await;
    for p in [
        "/api/v1/coverage",
        "/api/v1/coverage/area",
        "/api/v1/coverage/gaps",
        "/api/v1/indicators",
        "/api/v1/scenarios",
        "/api/v1/scenarios/{id}",
        "/api/v1/siting",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p}");
    }
    assert!(v["paths"]["/api/v1/facilities/nearest"]["get"]["responses"]
        .get("501")
        .is_none());
    // the CSV exports and the new parameters are in the generated document
    for (path, method) in [
        ("/api/v1/coverage", "get"),
        ("/api/v1/coverage/gaps", "get"),
        ("/api/v1/indicators", "get"),
        ("/api/v1/siting", "post"),
    ] {
        let op = &v["paths"][path][method];
        assert!(
            op["responses"]["200"]["content"].get("text/csv").is_some(),
            "{path}: {}",
            op["responses"]["200"]
        );
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(params.contains(&"format"), "{path}: {params:?}");
    }
    let gaps = v["paths"]["/api/v1/coverage/gaps"]["get"]["parameters"].to_string();
    assert!(gaps.contains("\"offset\""), "{gaps}");
    let schemas = &v["components"]["schemas"];
    assert!(schemas["SitingRequest"]["properties"].get("area").is_some());
    assert!(schemas["CoverageAnswer"]["properties"]
        .get("delta")
        .is_some());
    assert!(schemas["IndicatorBody"]["properties"]
        .get("numerator")
        .is_some());
    assert!(schemas["SiteProperties"]["properties"]
        .get("nearest_address")
        .is_some());
}

#[tokio::test]
async fn data_edits_are_never_answered_from_a_stale_engine_or_cache() {
    use crate::service::coverage::DataChange;
    // a state of its own: this test edits the data
    let st: SharedState = Arc::new(AppState::new(city(), StoreKind::Postgis));
    let ask = |st: SharedState| async move {
        let resp = crate::http::router(st)
            .oneshot(
                Request::get("/api/v1/coverage?category=elder_canteen&minutes=4")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let v: Value =
            serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
        v["total"].clone()
    };
    let base = ask(st.clone()).await;
    // a doorplate with 50 elderly right at canteen c1: the engine must be rebuilt
    {
        let mut live = st.data.write();
        let (x, y) = node_xy(1, 1);
        let mut d = live.data.data().doorplates[0].clone();
        d.id = 9_999;
        d.number = 9_999;
        d.location = Point::new(x, y);
        d.elderly = 50;
        live.data.upsert_doorplate(d);
    }
    st.coverage.note_change(DataChange::Structure);
    let more = ask(st.clone()).await;
    assert_eq!(more["elderly"], base["elderly"].as_u64().unwrap() + 50);
    assert_eq!(
        more["covered_elderly"],
        base["covered_elderly"].as_u64().unwrap() + 50
    );
    // closing canteen c2 in the data (a facility edit): the cached answer must not be reused
    st.data.write().data.delete_facility("c2");
    st.coverage.note_change(DataChange::Facilities);
    let fewer = ask(st.clone()).await;
    assert!(
        fewer["covered_elderly"].as_u64() < more["covered_elderly"].as_u64(),
        "{fewer} vs {more}"
    );
}

/// Status, headers and raw body bytes (as a planner).
async fn raw(mut req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let token = planner().await;
    req.headers_mut().insert(
        header::AUTHORIZATION,
        super::auth_helpers::bearer(&token).parse().unwrap(),
    );
    let resp = crate::http::router(state()).oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// A CSV export: checks the media type, the file name, the BOM; the parsed table.
fn parse_csv(
    status: StatusCode,
    h: &axum::http::HeaderMap,
    body: &[u8],
    name_has: &[&str],
) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(body));
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let cd = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(cd.starts_with("attachment; filename=\""), "{cd}");
    for n in name_has {
        assert!(cd.contains(n), "{cd} lacks {n}");
    }
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 BOM first");
    assert_ne!(body[3], 0xEF, "one BOM only");
    let mut r = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), header.len());
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

#[tokio::test]
async fn csv_exports_carry_a_bom_the_unit_chain_and_parse_back() {
    // coverage per community: the same numbers as the JSON, names in Chinese intact
    let q = "/api/v1/coverage?category=elder_canteen&minutes=5&level=community";
    let (_, json) = get(q).await;
    let (s, h, b) = raw(Request::get(format!("{q}&format=csv"))
        .body(Body::empty())
        .unwrap())
    .await;
    let (header, rows) = parse_csv(
        s,
        &h,
        &b,
        &["coverage_elder_canteen_5min_walk_standard_community"],
    );
    for k in [
        "district_code",
        "district_name",
        "township_code",
        "township_name",
        "community_code",
        "community_name",
        "covered_elderly",
    ] {
        assert!(header.iter().any(|x| x == k), "{k} in {header:?}");
    }
    let units = json["units"].as_array().unwrap();
    assert_eq!(rows.len(), units.len());
    for (row, u) in rows.iter().zip(units) {
        assert_eq!(row["community_code"], u["code"].as_str().unwrap());
        assert_eq!(row["community_name"], u["name"].as_str().unwrap());
        assert_eq!(row["district_name"], "上城区");
        assert_eq!(row["township_name"], "测试街道");
        assert_eq!(row["covered_elderly"], u["covered_elderly"].to_string());
        assert_eq!(row["population"], u["population"].to_string());
    }
    assert!(rows.iter().any(|r| r["name"] == "西社区"));

    // gaps: one row per gap of the page, ranks as in the JSON
    let q = "/api/v1/coverage/gaps?category=elder_canteen&minutes=3&level=community&limit=5";
    let (_, gj) = get(q).await;
    let (s, h, b) = raw(Request::get(format!("{q}&format=csv"))
        .body(Body::empty())
        .unwrap())
    .await;
    let (_, rows) = parse_csv(s, &h, &b, &["gaps_elder_canteen_3min", "_offset0_"]);
    let f = gj["features"].as_array().unwrap();
    assert_eq!(rows.len(), f.len());
    for (row, g) in rows.iter().zip(f) {
        assert_eq!(row["rank"], g["properties"]["rank"].to_string());
        assert_eq!(row["elderly"], g["properties"]["elderly"].to_string());
        assert_eq!(
            row["community_code"],
            g["properties"]["admin"]["code"].as_str().unwrap()
        );
        assert_eq!(row["township_code"], "330102001000");
    }

    // indicators: one row per unit and indicator, with numerator and denominator
    let (_, ij) = get("/api/v1/indicators?level=township").await;
    let (s, h, b) = raw(Request::get("/api/v1/indicators?level=township&format=csv")
        .body(Body::empty())
        .unwrap())
    .await;
    let (_, rows) = parse_csv(s, &h, &b, &["indicators_township_standard"]);
    let n: usize = ij["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["indicators"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len(), n);
    let nursing = rows
        .iter()
        .find(|r| r["indicator"] == "nursing_bed_share")
        .unwrap();
    assert_eq!(
        (
            nursing["numerator"].as_str(),
            nursing["denominator"].as_str()
        ),
        ("70", "100")
    );
    assert_eq!(
        nursing["indicator_name"],
        indicator(&ij, "330102001000", "nursing_bed_share")["name_zh"]
            .as_str()
            .unwrap()
    );
    assert_eq!(nursing["district_name"], "上城区");

    // siting: format as a query parameter on the POST, or in the body
    let body = json!({"category": "elder_canteen", "minutes": 4, "k": 2}).to_string();
    let (_, sj) = post("/api/v1/siting", body.clone()).await;
    for (uri, body) in [
        ("/api/v1/siting?format=csv", body.clone()),
        (
            "/api/v1/siting",
            json!({"category": "elder_canteen", "minutes": 4, "k": 2, "format": "csv"}).to_string(),
        ),
    ] {
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let (s, h, b) = raw(req).await;
        let (_, rows) = parse_csv(s, &h, &b, &["siting_elder_canteen_4min_k2"]);
        assert_eq!(rows.len(), 2);
        for (row, f) in rows.iter().zip(sj["features"].as_array().unwrap()) {
            let p = &f["properties"];
            assert_eq!(
                row["newly_covered_elderly"],
                p["newly_covered_elderly"].to_string()
            );
            assert_eq!(
                row["nearest_address"],
                p["nearest_address"].as_str().unwrap()
            );
            assert!(row["nearest_address"].starts_with("测试路"), "{row:?}");
            assert_eq!(
                row["community_code"],
                p["community"]["code"].as_str().unwrap()
            );
        }
    }
    let (s, v) = get("/api/v1/indicators?format=xlsx").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["param"], "format");
}

fn sum_of(units: &[Value], key: &str) -> u64 {
    units.iter().map(|u| u[key].as_u64().unwrap()).sum()
}

#[tokio::test]
async fn coverage_and_indicator_rollups_equal_the_sum_of_their_parts() {
    let q = "/api/v1/coverage?category=home_care_centre&minutes=15";
    let mut by_level = HashMap::new();
    for level in ["community", "township", "district", "city"] {
        let (s, v) = get(&format!("{q}&level={level}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        by_level.insert(level, v["units"].as_array().unwrap().clone());
    }
    for key in [
        "population",
        "covered_population",
        "elderly",
        "covered_elderly",
    ] {
        let c = sum_of(&by_level["community"], key);
        assert!(c > 0, "{key}");
        assert_eq!(sum_of(&by_level["township"], key), c, "{key}");
        assert_eq!(sum_of(&by_level["district"], key), c, "{key}");
        assert_eq!(sum_of(&by_level["city"], key), c, "{key}");
    }
    // indicators: the district's numerators and denominators are the townships' sums
    let (_, t) = get("/api/v1/indicators?level=township").await;
    let (_, d) = get("/api/v1/indicators?level=district").await;
    let (_, c) = get("/api/v1/indicators?level=city").await;
    let (_, comm) = get("/api/v1/indicators?level=community").await;
    let parts = |v: &Value, code: &str, id: &str| {
        let i = indicator(v, code, id);
        (i["numerator"].as_u64().unwrap(), i["denominator"].as_u64())
    };
    let (town, dist, city) = ("330102001000", "330102000000", "330100000000");
    for id in [
        "home_care_15min_share",
        "home_care_20min_share",
        "nursing_bed_share",
        "beds_per_1000_elderly",
        "meal_point",
    ] {
        assert_eq!(parts(&d, dist, id), parts(&t, town, id), "{id}");
        assert_eq!(parts(&c, city, id), parts(&d, dist, id), "{id}");
        let i = indicator(&c, city, id);
        let (n, den) = parts(&c, city, id);
        let scale = if i["unit"] == "per_1000" { 1000.0 } else { 1.0 };
        assert_eq!(
            i["value"].as_f64().unwrap(),
            n as f64 * scale / den.unwrap() as f64,
            "{id}"
        );
    }
    // the home-care share's parts are the coverage answer's elderly figures
    let hc = parts(&c, city, "home_care_15min_share");
    assert_eq!(
        hc,
        (
            sum_of(&by_level["community"], "covered_elderly"),
            Some(sum_of(&by_level["community"], "elderly"))
        )
    );
    // meal points: communities with one over communities
    let with_meal = ["330102001001", "330102001002"]
        .iter()
        .filter(|k| indicator(&comm, k, "meal_point")["value"].as_f64().unwrap() >= 1.0)
        .count() as u64;
    assert_eq!(parts(&c, city, "meal_point"), (with_meal, Some(2)));
    let nc = indicator(&c, city, "neighbourhood_centre");
    assert_eq!(
        (nc["numerator"].as_u64(), nc["target_2025"].as_f64()),
        (Some(0), Some(300.0))
    );
    assert_eq!(indicator(&c, city, "nursing_bed_share")["target_2025"], 0.6);
}

#[tokio::test]
async fn siting_within_an_area_never_leaves_it() {
    let west = "330102001001";
    let (s, v) = post(
        "/api/v1/siting",
        json!({"category": "elder_canteen", "minutes": 3, "k": 4, "area": west}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["area"], west);
    let f = v["features"].as_array().unwrap();
    assert!(!f.is_empty());
    let xm = LON0 + DLON * 5.5;
    for site in f {
        let p = &site["properties"];
        assert!(p["lon"].as_f64().unwrap() < xm, "{p}");
        assert_eq!(p["community"]["code"], west, "{p}");
        assert_eq!(p["township"]["code"], "330102001000");
        assert_eq!(p["district"]["name"], "上城区");
        assert!(p["nearest_doorplate_m"].as_f64().unwrap() < 80.0, "{p}");
        assert!(p["nearest_address"].as_str().unwrap().starts_with("测试路"));
    }
    // the area's own figures: before + newly covered = after, all within the community
    let (_, c) = get("/api/v1/coverage?category=elder_canteen&minutes=3&level=community").await;
    let row = c["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == west)
        .unwrap()
        .clone();
    assert_eq!(v["covered_elderly_before"], row["covered_elderly"]);
    assert_eq!(v["elderly"], row["elderly"]);
    let (s, v) = post(
        "/api/v1/siting",
        json!({"category": "elder_canteen", "k": 2, "area": "330102009999"}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["param"], "area");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("330102009999"));
    let (s, v) = post(
        "/api/v1/siting",
        json!({"category": "elder_canteen", "k": 2, "area": "west"}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["param"], "area");
}

#[tokio::test]
async fn a_scenario_answer_carries_its_delta_against_the_base() {
    let q = "/api/v1/coverage?category=elder_canteen&minutes=4&level=community";
    let (_, base) = get(q).await;
    assert!(base["delta"].is_null());
    assert!(base["units"][0]["covered_elderly_delta"].is_null());
    let (x, y) = node_xy(9, 9);
    let (_, sc) = post(
        "/api/v1/scenarios",
        json!({"add": [{"category": "elder_canteen", "lon": x, "lat": y}]}).to_string(),
    )
    .await;
    let (_, with) = get(&format!("{q}&scenario={}", sc["id"].as_str().unwrap())).await;
    let d = &with["delta"];
    let gain = with["total"]["covered_elderly"].as_i64().unwrap()
        - base["total"]["covered_elderly"].as_i64().unwrap();
    assert!(gain > 0);
    assert_eq!(d["covered_elderly"], gain);
    assert_eq!(d["base_covered_elderly"], base["total"]["covered_elderly"]);
    let mut per_unit = 0;
    for (u, b) in with["units"]
        .as_array()
        .unwrap()
        .iter()
        .zip(base["units"].as_array().unwrap())
    {
        assert_eq!(u["code"], b["code"]);
        let du = u["covered_elderly"].as_i64().unwrap() - b["covered_elderly"].as_i64().unwrap();
        assert_eq!(u["covered_elderly_delta"], du);
        per_unit += du;
    }
    assert_eq!(per_unit, gain);
}

#[tokio::test]
async fn facilities_placed_outside_the_city_or_off_the_network_are_refused() {
    let cases = [
        (
            json!({"add": [{"category": "elder_canteen", "lon": 0.0, "lat": 0.0}]}),
            "add[0].lon",
            "outside every admin unit",
        ),
        (
            json!({"move": [{"id": "c1", "lon": 0.0, "lat": 0.0}]}),
            "move[0].lon",
            "outside every admin unit",
        ),
        (
            json!({"add": [{"category": "elder_canteen", "lon": node_xy(1, 1).0, "lat": node_xy(1, 1).1},
                        {"category": "elder_canteen", "lon": 121.0, "lat": 30.2}]}),
            "add[1].lon",
            "outside every admin unit",
        ),
    ];
    for (body, param, needle) in cases {
        let (s, v) = post("/api/v1/scenarios", body.to_string()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["param"], param, "{v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{v}"
        );
    }
}

#[tokio::test]
async fn gap_pages_are_disjoint_and_together_the_first_n() {
    let q = "/api/v1/coverage/gaps?category=elder_canteen&minutes=3&level=community&cell_m=50";
    let (_, all) = get(&format!("{q}&limit=10000")).await;
    let total = all["numberMatched"].as_u64().unwrap() as usize;
    assert!(total >= 4, "{total} gaps");
    let n = total.min(9);
    let page = 2;
    let mut ranks = Vec::new();
    let mut offset = 0;
    while offset < n {
        let (s, v) = get(&format!(
            "{q}&offset={offset}&limit={}",
            page.min(n - offset)
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["numberMatched"].as_u64().unwrap() as usize, total);
        assert_eq!(v["offset"].as_u64().unwrap() as usize, offset);
        for f in v["features"].as_array().unwrap() {
            ranks.push(f["properties"]["rank"].as_u64().unwrap());
            let i = f["properties"]["rank"].as_u64().unwrap() as usize - 1;
            assert_eq!(f, &all["features"][i]);
        }
        offset += page;
    }
    assert_eq!(
        ranks,
        (1..=n as u64).collect::<Vec<_>>(),
        "disjoint, in order, the first {n}"
    );
    let (_, past) = get(&format!("{q}&offset={total}")).await;
    assert_eq!(past["numberReturned"], 0);
}
