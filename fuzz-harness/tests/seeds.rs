//! Replays every committed seed corpus (`fuzz/seeds/TARGET/`) through the fuzz harnesses on the
//! stable toolchain, so CI without nightly still runs each target's code on real inputs,
//! including the inputs of every crash fuzzing found (kept in the seeds once fixed).

use std::path::PathBuf;

use axum::http::StatusCode;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed directory {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{target}: only {} seeds in {}",
        files.len(),
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn replay(target: &str) {
    let (_, harness) = civmap_fuzz_harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap();
    for (path, bytes) in seeds(target) {
        eprintln!("{target}: {}", path.display());
        harness(&bytes);
    }
}

#[test]
fn import_geojson_seeds() {
    replay("import_geojson");
}

#[test]
fn import_csv_seeds() {
    replay("import_csv");
}

#[test]
fn import_osm_seeds() {
    replay("import_osm");
}

#[test]
fn address_seeds() {
    replay("address");
}

#[test]
fn routes_seeds() {
    replay("routes");
}

#[test]
fn tile_path_seeds() {
    replay("tile_path");
}

#[test]
fn bodies_seeds() {
    replay("bodies");
}

/// The route corpus seeds every documented GET path, so a new route is fuzzed from a
/// meaningful start and not only when the mutator happens upon its path.
#[test]
fn route_seeds_cover_every_documented_get_path() {
    let targets: Vec<String> = seeds("routes")
        .into_iter()
        .map(|(_, b)| String::from_utf8(b).unwrap())
        .collect();
    let doc = civmap_server::http::openapi();
    let mut missing = Vec::new();
    for (path, item) in &doc.paths.paths {
        if item.get.is_none() || path.starts_with("/tiles/") {
            continue; // the tile routes have their own target (`tile_path`)
        }
        let re_prefix: Vec<&str> = path.split('/').collect();
        let seeded = targets.iter().any(|t| {
            let p = t.split('?').next().unwrap();
            let segs: Vec<&str> = p.split('/').collect();
            segs.len() == re_prefix.len()
                && segs
                    .iter()
                    .zip(&re_prefix)
                    .all(|(s, r)| r.starts_with('{') || s == r)
        });
        if !seeded {
            missing.push(path.clone());
        }
    }
    assert!(missing.is_empty(), "GET paths without a seed: {missing:?}");
}

/// The harnesses do find what they look for: a 5xx answer is a finding.
#[test]
#[should_panic(expected = "answered 500")]
fn a_server_error_is_a_finding() {
    civmap_fuzz_harness::check_answer("GET /x", StatusCode::SERVICE_UNAVAILABLE, b"");
    civmap_fuzz_harness::check_answer("GET /x", StatusCode::BAD_REQUEST, b"");
    civmap_fuzz_harness::check_answer("GET /x", StatusCode::INTERNAL_SERVER_ERROR, b"");
}

/// The OSM seeds cut from the Helsinki extract are whole PBF files with streets and POIs,
/// so the fuzzer starts from inputs that reach the network and POI code.
#[test]
fn osm_seeds_import_streets_and_pois() {
    use civmap_data::crs::InputCrs;
    use civmap_data::import::{import_bytes, ImportFormat};
    let mut edges = 0;
    let mut pois = 0;
    for (path, bytes) in seeds("import_osm") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("helsinki-") {
            continue;
        }
        let imported = import_bytes(
            ImportFormat::Osm,
            &name,
            &bytes,
            None,
            &InputCrs::Wgs84,
            &mut |_, _| {},
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(imported.summary.read > 0, "{name}: {}", imported.summary);
        edges += imported.network.map_or(0, |n| n.edges.len());
        pois += imported.landmarks.len() + imported.facilities.len();
    }
    assert!(edges > 20 && pois > 10, "edges {edges}, POIs {pois}");
}

/// The seeds mostly reach the answers, not only the errors: a harness whose requests all
/// failed early (a wrong path, a missing header) would fuzz nothing but the rejection.
#[test]
fn seeds_reach_successful_answers() {
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let routes: Vec<_> = seeds("routes")
        .into_iter()
        .map(|(p, b)| (p, civmap_fuzz_harness::get(&text(b), &[])))
        .collect();
    let ok = routes
        .iter()
        .filter(|(_, s)| s.is_some_and(|s| s.is_success()))
        .count();
    assert!(
        ok * 3 >= routes.len() * 2,
        "{ok} of {}: {routes:?}",
        routes.len()
    );
    let tiles: Vec<_> = seeds("tile_path")
        .into_iter()
        .map(|(p, b)| (p, civmap_fuzz_harness::tile_status(&b)))
        .collect();
    let ok = tiles
        .iter()
        .filter(|(_, s)| s.is_some_and(|s| s.is_success()))
        .count();
    assert!(ok * 2 >= tiles.len(), "{ok} of {}: {tiles:?}", tiles.len());
    let bodies: Vec<StatusCode> = seeds("bodies")
        .into_iter()
        .flat_map(|(_, b)| civmap_fuzz_harness::body_statuses(&b))
        .collect();
    for wanted in [
        StatusCode::CREATED,
        StatusCode::OK,
        StatusCode::UNPROCESSABLE_ENTITY,
    ] {
        assert!(bodies.contains(&wanted), "no {wanted} among {bodies:?}");
    }
}
