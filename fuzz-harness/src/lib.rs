//! The fuzz harnesses of civmap: one function per cargo-fuzz target, each taking the raw
//! fuzz input. The targets in `fuzz/fuzz_targets/` are one-line wrappers, and `tests/seeds.rs`
//! replays the committed seed corpora (`fuzz/seeds/TARGET/`) through the same functions on the
//! stable toolchain, so CI without nightly still runs every harness.
//!
//! A harness panics on a finding: a panic anywhere below it (libFuzzer's panic hook aborts
//! even when the server's panic-catching layer would have turned it into a 500), a 5xx
//! answer other than 503 (shedding and warming up are allowed), or an imported record that
//! breaks the importers' contract (coordinates out of range, a network that does not
//! validate). Errors of bad input are the expected outcome and pass.
//!
//! The server targets run the real axum router (`civmap_server::http::router`) over one
//! township of the default synthetic city (see [`city`]): real place names, roads and
//! doorplates, small enough that a coverage or siting request costs milliseconds rather
//! than the seconds the whole city takes, so the fuzzer explores parsing, not Dijkstra.

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri};
use axum::Router;
use civmap_data::crs::InputCrs;
use civmap_data::import::{import_bytes, ImportFormat, ImportLayer, Imported};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::{check_lon_lat, Dataset, WalkNetwork};
use civmap_server::service::coverage::ScenarioRequest;
use civmap_server::service::{AppState, SharedState, StoreKind};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The township the server targets serve: 翠苑街道 of 西湖区, dense and urban.
pub const TOWNSHIP: &str = "330106005000";

/// Network nodes within this margin around the township's bounding box are kept, so that
/// walks near its edge still have streets to follow (degrees; about 1 km).
const NETWORK_MARGIN_DEG: f64 = 0.01;

/// Largest input the route and body harnesses send (the server's own limits are larger:
/// 1 MiB bodies; longer inputs only slow the fuzzer down).
const MAX_INPUT: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Importers

/// The importer of `format` over `data` as a file of each layer (and, for GeoJSON and CSV,
/// in GCJ-02 too, which runs the coordinate conversion): no panic, and whatever it imports
/// keeps the model's rules.
fn import(format: ImportFormat, data: &[u8]) {
    let mut runs: Vec<(Option<ImportLayer>, InputCrs)> = Vec::new();
    match format {
        ImportFormat::Osm => runs.push((None, InputCrs::Wgs84)),
        _ => {
            for layer in [
                ImportLayer::Admin,
                ImportLayer::Facilities,
                ImportLayer::Doorplates,
                ImportLayer::Landmarks,
            ] {
                runs.push((Some(layer), InputCrs::Wgs84));
            }
            runs.push((Some(ImportLayer::Facilities), InputCrs::Gcj02));
        }
    }
    for (layer, crs) in runs {
        let mut last = (0, 0);
        let result = import_bytes(
            format,
            "fuzz-input",
            data,
            layer,
            &crs,
            &mut |done, total| last = (done, total),
        );
        match result {
            Ok(imported) => check_imported(format, layer, &imported),
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("fuzz-input"),
                    "{format} error does not name the file: {text}"
                );
            }
        }
    }
}

/// The importers' contract: WGS84 coordinates in range, counts that add up, a valid network.
fn check_imported(format: ImportFormat, layer: Option<ImportLayer>, imported: &Imported) {
    let point_ok = |what: &str, x: f64, y: f64| {
        assert!(
            check_lon_lat(x, y).is_ok(),
            "{format} --layer {layer:?} imported {what} at ({x}, {y})"
        );
    };
    for f in &imported.facilities {
        point_ok(
            &format!("facility {:?}", f.id),
            f.location.x(),
            f.location.y(),
        );
    }
    for d in &imported.doorplates {
        point_ok(
            &format!("doorplate {}", d.id),
            d.location.x(),
            d.location.y(),
        );
    }
    for l in &imported.landmarks {
        point_ok("a landmark", l.location.x(), l.location.y());
    }
    for a in &imported.admin {
        for p in &a.geometry.0 {
            for c in p
                .exterior()
                .coords()
                .chain(p.interiors().iter().flat_map(|r| r.coords()))
            {
                point_ok(&format!("admin unit {}", a.code), c.x, c.y);
            }
        }
    }
    let records = imported.admin.len()
        + imported.facilities.len()
        + imported.doorplates.len()
        + imported.landmarks.len();
    if let Some(net) = &imported.network {
        net.validate()
            .unwrap_or_else(|e| panic!("{format} imported an invalid network: {e}"));
        for c in &net.nodes {
            point_ok("a network node", c.x, c.y);
        }
    } else {
        assert_eq!(
            imported.summary.imported, records,
            "{format} --layer {layer:?}: summary says {} imported, {records} records",
            imported.summary.imported
        );
    }
}

/// `import_geojson`: any bytes as a GeoJSON file of each layer.
pub fn import_geojson(data: &[u8]) {
    import(ImportFormat::Geojson, data);
}

/// `import_csv`: any bytes as a CSV file of each point layer (and admin, which is refused).
pub fn import_csv(data: &[u8]) {
    import(ImportFormat::Csv, data);
}

/// `import_osm`: any bytes as an OSM PBF extract (network, landmarks and facilities).
pub fn import_osm(data: &[u8]) {
    import(ImportFormat::Osm, data);
}

// ---------------------------------------------------------------------------------------
// The server over one township

/// One township of the default city, with its district and the city above it: the admin
/// units, their doorplates and facilities, and the walking network around it.
pub fn township_dataset() -> Dataset {
    let full = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city");
    let prefix = &TOWNSHIP[..9];
    let district = &TOWNSHIP[..6];
    let keep_unit = |code: &str| {
        code.starts_with(prefix)
            || code == format!("{district}000000")
            || code == format!("{}00000000", &TOWNSHIP[..4])
    };
    let admin: Vec<_> = full
        .admin
        .iter()
        .filter(|u| keep_unit(u.code.as_str()))
        .cloned()
        .collect();
    let in_township = |c: &Option<civmap_geo_core::AdminCode>| {
        c.as_ref().is_some_and(|c| c.as_str().starts_with(prefix))
    };
    let doorplates: Vec<_> = full
        .doorplates
        .iter()
        .filter(|d| in_township(&d.community))
        .cloned()
        .collect();
    let facilities: Vec<_> = full
        .facilities
        .iter()
        .filter(|f| in_township(&f.admin_code))
        .cloned()
        .collect();
    let township = admin
        .iter()
        .find(|u| u.code.as_str() == TOWNSHIP)
        .expect("the township is in the default city");
    let rect = geo::BoundingRect::bounding_rect(&township.geometry).expect("a township outline");
    let (min, max) = (rect.min(), rect.max());
    let inside = |c: &geo::Coord<f64>| {
        c.x >= min.x - NETWORK_MARGIN_DEG
            && c.x <= max.x + NETWORK_MARGIN_DEG
            && c.y >= min.y - NETWORK_MARGIN_DEG
            && c.y <= max.y + NETWORK_MARGIN_DEG
    };
    let mut network = WalkNetwork {
        road_names: full.network.road_names.clone(),
        synthetic: full.network.synthetic,
        ..WalkNetwork::default()
    };
    let mut new_id = vec![u32::MAX; full.network.nodes.len()];
    for (i, c) in full.network.nodes.iter().enumerate() {
        if inside(c) {
            new_id[i] = network.nodes.len() as u32;
            network.nodes.push(*c);
        }
    }
    for e in &full.network.edges {
        let (a, b) = (new_id[e.from as usize], new_id[e.to as usize]);
        if a != u32::MAX && b != u32::MAX {
            let mut edge = *e;
            edge.from = a;
            edge.to = b;
            network.edges.push(edge);
        }
    }
    let mut meta = full.meta.clone();
    meta.name = format!("{} — township {TOWNSHIP} only (fuzzing)", meta.name);
    Dataset {
        meta,
        admin,
        facilities,
        doorplates,
        landmarks: Vec::new(),
        network,
    }
}

/// The server targets' runtime, state and router, built once per process.
#[derive(Debug)]
pub struct Server {
    /// Runs the requests.
    pub runtime: tokio::runtime::Runtime,
    /// The services over [`township_dataset`].
    pub state: SharedState,
    router: Router,
    /// A planner's bearer token, so the write routes are fuzzed past their 401.
    pub planner_token: String,
}

/// The server over [`township_dataset`], with its coverage engine built.
pub fn server() -> &'static Server {
    static SERVER: LazyLock<Server> = LazyLock::new(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let state: SharedState = Arc::new(AppState::new(township_dataset(), StoreKind::Embedded));
        let router = civmap_server::http::router(state.clone());
        runtime
            .block_on(state.coverage.engine())
            .expect("the coverage engine of one township builds");
        let planner_token = runtime.block_on(async {
            let record = civmap_data::accounts::AuditRecord::new("fuzz", "user.add", "user:fuzz");
            state
                .identity
                .add_user(
                    "fuzz-planner",
                    civmap_data::accounts::Role::Planner,
                    None,
                    "fuzz planner password",
                    record,
                )
                .await
                .expect("a planner for the fuzzed write routes");
            state
                .identity
                .login("fuzz-planner", "fuzz planner password", None)
                .await
                .expect("the planner signs in")
                .token
                .expect("a token")
        });
        Server {
            runtime,
            state,
            router,
            planner_token,
        }
    });
    &SERVER
}

/// Status and body of one request through the router.
pub fn send(request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let s = server();
    s.runtime.block_on(async {
        let resp = s
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("the body streams")
            .to_bytes();
        (status, body.to_vec())
    })
}

/// The server's side of a finding: any 5xx but 503 (load shedding, engine warming up).
pub fn check_answer(what: &str, status: StatusCode, body: &[u8]) {
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{what} answered {status}: {}",
        String::from_utf8_lossy(body)
    );
}

/// A GET of `path_and_query` (and headers), as hyper would pass it on: a target that is not
/// a valid URI never reaches the router (hyper answers 400 itself), so it is skipped.
/// Returns the status, `None` when the target was skipped.
pub fn get(path_and_query: &str, headers: &[(&str, &str)]) -> Option<StatusCode> {
    let Ok(uri) = path_and_query.parse::<Uri>() else {
        return None;
    };
    if uri.scheme().is_some() || !path_and_query.starts_with('/') {
        return None; // absolute-form targets are proxies' business; hyper gives us origin-form
    }
    let mut req = Request::builder().method(Method::GET).uri(uri);
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(*name), HeaderValue::try_from(*value)) {
            req = req.header(n, v);
        }
    }
    let req = req.body(Body::empty()).expect("a GET request");
    let (status, body) = send(req);
    check_answer(&format!("GET {path_and_query}"), status, &body);
    Some(status)
}

/// `routes`: the input is a request target (`/api/v1/nearest?lon=…`); any documented GET
/// route, any query string. Seeds hold one or more targets per GET path of the OpenAPI
/// document (`tests/seeds.rs` checks that every one is seeded).
pub fn routes(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return; // a request line is ASCII; hyper refuses the rest
    };
    get(text, &[]);
}

/// `tile_path`: the input's first line is what follows `/tiles/`
/// (`facilities/14/13717/6693.mvt?…` or `coverage.json?…`); further lines are request
/// headers `name: value` (Accept-Encoding, If-None-Match, Host …), which the tile route
/// parses for gzip, ETags and TileJSON URLs.
pub fn tile_path(data: &[u8]) {
    tile_status(data);
}

/// [`tile_path`], returning the status (`None` when the input was skipped).
pub fn tile_status(data: &[u8]) -> Option<StatusCode> {
    if data.len() > MAX_INPUT {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let mut lines = text.split('\n');
    let path = format!("/tiles/{}", lines.next().unwrap_or(""));
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect();
    get(&path, &headers)
}

/// `bodies`: the input as the JSON body of `POST /api/v1/scenarios` and of
/// `POST /api/v1/siting` through the router, and as a [`ScenarioRequest`] deserialized and
/// validated at the service level (so the target keeps its meaning when the route needs a
/// login: then the router answers 401 before reading the body).
pub fn bodies(data: &[u8]) {
    body_statuses(data);
}

/// [`bodies`], returning the statuses of the scenario and the siting request.
pub fn body_statuses(data: &[u8]) -> Vec<StatusCode> {
    if data.len() > MAX_INPUT {
        return Vec::new();
    }
    let mut statuses = Vec::new();
    let bearer = format!("Bearer {}", server().planner_token);
    for path in ["/api/v1/scenarios", "/api/v1/siting"] {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/json")
            .header("authorization", bearer.as_str())
            .body(Body::from(data.to_vec()))
            .expect("a POST request");
        let (status, body) = send(req);
        check_answer(&format!("POST {path}"), status, &body);
        statuses.push(status);
        // a stored scenario is deleted again, so the planner's quota never fills
        if status == StatusCode::CREATED {
            let id = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned));
            if let Some(id) = id {
                let del = Request::builder()
                    .method(Method::DELETE)
                    .uri(format!("/api/v1/scenarios/{id}"))
                    .header("authorization", bearer.as_str())
                    .body(Body::empty())
                    .expect("a DELETE request");
                let (status, body) = send(del);
                check_answer("DELETE scenario", status, &body);
            }
        }
    }
    if let Ok(request) = serde_json::from_slice::<ScenarioRequest>(data) {
        let s = server();
        let live = s.state.data.read();
        if request.validate(&live).is_ok() {
            for (param, lon, lat) in request.placed() {
                assert!(
                    check_lon_lat(lon, lat).is_ok(),
                    "validate passed {param} at ({lon}, {lat})"
                );
            }
        }
    }
    statuses
}

/// `address`: the input as an address to parse, a search and an autocompletion, at the
/// service level (the gazetteer of geo-core and the answers the server builds from it).
pub fn address(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return; // the HTTP layer refuses invalid UTF-8 before the gazetteer sees it
    };
    let s = server();
    let _ = s.state.data.parse_address(text);
    let _ = s.state.data.autocomplete(text, 10);
    let _ = s.state.data.search(text, 10, None, Vec::new());
    let _ = s
        .state
        .data
        .search(text, 5, Some((120.09, 30.29)), Vec::new());
}

/// A harness: the raw fuzz input in, a panic on a finding.
pub type Harness = fn(&[u8]);

/// Every harness by target name, for the seed replay.
pub const TARGETS: [(&str, Harness); 7] = [
    ("import_geojson", import_geojson),
    ("import_csv", import_csv),
    ("import_osm", import_osm),
    ("address", address),
    ("routes", routes),
    ("tile_path", tile_path),
    ("bodies", bodies),
];
