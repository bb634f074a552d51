//! `civmap serve` with no arguments serves the Hangzhou default: districts, townships,
//! 3,320 communities summing to the census, and the map page — first from a fresh cache,
//! then from the cached snapshot.

mod common;

use common::Server;

#[test]
fn serving_the_default_city_from_a_fresh_cache_and_again_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let first = Server::start(&[], &[("CIVMAP_CACHE_DIR", cache.path())]);
    let (s, h) = first.json("/health");
    assert_eq!(s, 200);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["store"], "embedded");
    let (_, d) = first.json("/api/v1/admin?level=district");
    assert_eq!(d["features"].as_array().unwrap().len(), 13);
    let (_, t) = first.json("/api/v1/admin?level=township");
    assert_eq!(t["features"].as_array().unwrap().len(), 196);
    let (_, c) = first.json("/api/v1/admin?level=community");
    let f = c["features"].as_array().unwrap();
    assert_eq!(f.len(), 3320);
    let pop: u64 = f
        .iter()
        .map(|x| x["properties"]["population"].as_u64().unwrap())
        .sum();
    assert_eq!(pop, 11_912_247, "the 13 districts' 2020 census populations");
    let (s, page) = first.text("/");
    assert_eq!(s, 200);
    assert!(page.contains("maplibre-gl.js"));
    assert!(first.log.lock().unwrap().contains("Generated"));
    let first_s = first.ready_s;
    drop(first);

    let second = Server::start(&[], &[("CIVMAP_CACHE_DIR", cache.path())]);
    assert!(
        second.log.lock().unwrap().contains("Cache"),
        "{}",
        second.log.lock().unwrap()
    );
    let (_, c2) = second.json("/api/v1/admin?level=community");
    assert_eq!(c2, c, "the cached city is the generated one");
    eprintln!(
        "start-up (debug build): first {first_s:.2} s, cached {:.2} s",
        second.ready_s
    );
}

#[test]
fn a_corrupt_cache_is_regenerated_not_fatal() {
    let cache = tempfile::tempdir().unwrap();
    let first = Server::start(&[], &[("CIVMAP_CACHE_DIR", cache.path())]);
    drop(first);
    for e in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(e.unwrap().path(), b"garbage").unwrap();
    }
    let again = Server::start(&[], &[("CIVMAP_CACHE_DIR", cache.path())]);
    assert!(again
        .log
        .lock()
        .unwrap()
        .contains("ignoring unreadable cache"));
    assert_eq!(again.json("/health").1["data"]["admin"], 3530);
}

#[test]
fn sigterm_drains_and_exits_0_and_livez_readyz_answer() {
    let mut server = common::Server::start(&[], &[]);
    let (s, _) = server.json("/livez");
    assert_eq!(s, 200);
    // readyz turns 200 once the coverage engine is built
    let t = std::time::Instant::now();
    while server.json("/readyz").0 != 200 {
        assert!(t.elapsed().as_secs() < 120, "never ready");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let status = server
        .terminate(std::time::Duration::from_secs(15))
        .expect("exits within 15 s of SIGTERM");
    assert!(
        status.success(),
        "{status:?}: {}",
        server.log.lock().unwrap()
    );
    assert!(
        server.log.lock().unwrap().contains("SIGTERM"),
        "{}",
        server.log.lock().unwrap()
    );
}
