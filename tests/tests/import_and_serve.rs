//! `civmap import` writes a data directory that `civmap serve --data` serves; bad input is
//! refused with a one-line reason and leaves the directory as it was.

mod common;

use common::{civmap, root, Server};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn importing_helsinki_osm_builds_the_walking_network_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("helsinki");
    let pbf = root().join("data/osm/helsinki.osm.pbf");
    let o = civmap(&[
        "import",
        "osm",
        pbf.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // counts cross-checked with osmium-tool, see data/tests/import_osm.rs
    assert!(
        out.contains("walking network: 5867 nodes, 6875 edges, 2563 intersections"),
        "{out}"
    );
    let server = Server::start(&["--data", data.to_str().unwrap()], &[]);
    let (_, h) = server.json("/health");
    assert_eq!(h["store"], "data-dir");
    assert_eq!(h["data"]["network_nodes"], 5867);
    assert_eq!(h["data"]["network_edges"], 6875);
    assert_eq!(h["data"]["landmarks"], 1476);
    let (_, f) = server.json("/api/v1/facilities?bbox=24.9,60.1,25.0,60.2");
    assert_eq!(f["features"].as_array().unwrap().len(), 8);
}

#[test]
fn a_bad_file_is_refused_with_file_place_and_field_and_the_data_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let good = root().join("data/tests/fixtures/facilities.geojson");
    let o = civmap(&[
        "import",
        "geojson",
        good.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let snapshot = data.join("dataset.civmap");
    let before = std::fs::read(&snapshot).unwrap();

    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[120.1,30.2]},"properties":{"id":"x1","name":"A","category":"elder_canteen"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[120.1,30.2]},"properties":{"id":"x2","name":"B","category":"canteen"}}]}"#,
    )
    .unwrap();
    let o = civmap(&[
        "import",
        "geojson",
        bad.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("bad.geojson") && last.contains("feature 1") && last.contains("category"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&snapshot).unwrap(),
        before,
        "a refused import changes nothing"
    );

    // the same good file again: every id collides
    let o = civmap(&[
        "import",
        "geojson",
        good.to_str().unwrap(),
        "--layer",
        "facilities",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("already in the data directory"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&snapshot).unwrap(), before);
}

#[test]
fn bad_usage_exits_2_and_failures_exit_1_with_a_reason() {
    let o = civmap(&["serve", "--scale", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = civmap(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = civmap(&[
        "import",
        "geojson",
        "/nonexistent/x.geojson",
        "--layer",
        "facilities",
        "--data",
        "/tmp/civmap-none",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/x.geojson"),
        "{}",
        stderr(&o)
    );
    // formats, layers, CRSs and zoom ranges are usage: exit 2, naming the argument
    // (regression, issue 11: `import shapefile` exited 1)
    for (args, needle) in [
        (
            &["import", "shapefile", "x", "--data", "/tmp/civmap-none"][..],
            "shapefile",
        ),
        (
            &[
                "import",
                "geojson",
                "x",
                "--layer",
                "roads",
                "--data",
                "/tmp/civmap-none",
            ][..],
            "roads",
        ),
        (
            &[
                "import",
                "csv",
                "x",
                "--crs",
                "mars",
                "--data",
                "/tmp/civmap-none",
            ][..],
            "mars",
        ),
        (
            &[
                "tiles",
                "export",
                "--format",
                "pmtiles",
                "--minzoom",
                "9",
                "--maxzoom",
                "3",
                "-o",
                "/tmp/x.pmtiles",
            ][..],
            "--minzoom",
        ),
        (
            &["coverage", "report", "--category", "canteen"][..],
            "canteen",
        ),
    ] {
        let o = civmap(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    let o = civmap(&["serve", "--data", "/nonexistent/dir"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("civmap import"), "{}", stderr(&o));
    // stderr is a pipe here: no terminal colour codes in what a log file would get
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
}
