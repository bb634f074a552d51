//! The web map in a real browser (Debian's Chromium via playwright-core) against the real
//! `civmap serve`: the page loads with no console errors and draws; search by Chinese and by
//! pinyin initials lists 西湖区 first and the keyboard flies there; a click shows the
//! community chain the server gives; the page works on a phone-sized viewport; the planner
//! view is public without its what-if, siting and exports, a planner signs in through the
//! page's form (a wrong password and a throttled name are said inline), then a category
//! shows coverage and a what-if facility changes the covered count (both checked against
//! the server's own JSON), and signing out hides the planner's controls again and ends the
//! session; the surveyor view shows the boundary lines' lengths, the validation list (none on
//! the default city, every one on a damaged frame), markers in their status colours, a survey
//! diff of one bent line and GIS exports; the place-name officer's view checks a grand name,
//! lists duplicates and takes a rename from application to approval, after which the old name
//! answers as a former name; the change-proposal view shows a transfer's moved population and
//! its before and after units on the map. Screenshots go
//! to `tests/artifacts/`. The browser-side checks live in `web-map/browser-test.mjs`; each
//! suite prints one JSON line of measurements (load times), echoed here for the test log.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use common::{bin, civmap, root, Server};
use serde_json::{json, Value};

/// One browser at a time: Chromium renders WebGL in software here, and two at once on a
/// shared 2-core machine make both slow enough to time out.
static BROWSER: Mutex<()> = Mutex::new(());

fn artifacts() -> std::path::PathBuf {
    let dir = root().join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new("node")
        .current_dir(root().join("web-map"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("node is installed (scripts/test.sh installs it)")
}

/// The planner account the planner suite signs in as.
const PLANNER: &str = "planner-e2e";
/// The surveyor account the surveyor suite signs in as.
const SURVEYOR: &str = "surveyor-e2e";
/// The admin account the names suite signs in as to start the notice and approve.
const ADMIN: &str = "admin-e2e";

/// Creates `name` with `role` and `password` in the running server's accounts, the way an
/// operator does (`civmap user add --password-stdin` on its state directory); the server
/// reads the accounts store on every authenticated request, so no restart is needed.
fn add_user(server: &Server, name: &str, role: &str, password: &str) {
    let mut child = Command::new(bin())
        .args([
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--state",
        ])
        .arg(server.state.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run civmap user add");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "civmap user add {name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs one suite of `web-map/browser-test.mjs` against a fresh server on the embedded
/// default and returns its measurements (see `run_suite_on`).
fn run_suite(suite: &str) -> Value {
    run_suite_on(suite, &[])
}

/// Runs one suite of `web-map/browser-test.mjs` against a fresh `civmap serve SERVE_ARGS…`
/// with a planner, a surveyor and an admin account (whose names and passwords the suite gets
/// in `CIVMAP_E2E_PLANNER`/`_PASSWORD`, `CIVMAP_E2E_SURVEYOR`/`_PASSWORD` and
/// `CIVMAP_E2E_ADMIN`/`_PASSWORD`) and returns its measurements.
fn run_suite_on(suite: &str, serve_args: &[&str]) -> Value {
    let _one_browser = BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = Server::start(serve_args, &[]);
    // A fresh password per run: nothing a test writes down is a credential anywhere else.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let password = format!("e2e-{}-{nanos:09}", std::process::id());
    add_user(&server, PLANNER, "planner", &password);
    add_user(&server, SURVEYOR, "surveyor", &password);
    add_user(&server, ADMIN, "admin", &password);
    let dir = artifacts();
    let out = node(
        &[
            "browser-test.mjs",
            &format!("{}/", server.base),
            dir.to_str().unwrap(),
            "--suite",
            suite,
        ],
        &[
            ("CIVMAP_E2E_PLANNER", PLANNER),
            ("CIVMAP_E2E_PLANNER_PASSWORD", &password),
            ("CIVMAP_E2E_SURVEYOR", SURVEYOR),
            ("CIVMAP_E2E_SURVEYOR_PASSWORD", &password),
            ("CIVMAP_E2E_ADMIN", ADMIN),
            ("CIVMAP_E2E_ADMIN_PASSWORD", &password),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser suite {suite} failed:\n{stdout}\n{stderr}"
    );
    println!("browser suite {suite}: {stdout}");
    serde_json::from_str(stdout.trim()).expect("the suite prints one JSON line")
}

#[test]
fn the_map_page_loads_in_chromium_without_console_errors() {
    let _one_browser = BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = Server::start(&[], &[]);
    let png = artifacts().join("map-default.png");
    let out = node(
        &[
            "screenshot.mjs",
            &format!("{}/", server.base),
            png.to_str().unwrap(),
            "--wait-ready",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "screenshot failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    assert!(
        bytes.len() > 20_000,
        "a drawn map is not a blank image ({} bytes)",
        bytes.len()
    );
}

#[test]
fn search_lists_xihu_first_flies_there_by_keyboard_and_a_click_shows_the_community_chain() {
    let report = run_suite("public");
    assert_eq!(report["search_西湖"][0], "西湖区", "{report}");
    assert_eq!(report["search_xhq"][0], "西湖区", "{report}");
    assert_eq!(
        report["reverse_chain"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );
}

#[test]
fn picking_2020_on_the_date_picker_draws_xiacheng_and_a_click_there_names_it() {
    let report = run_suite("as-of");
    let options = report["as_of_options"].as_array().unwrap();
    assert!(options.iter().any(|o| o == "2020-06-30"), "{report}");
    assert!(
        report["reverse_as_of"]
            .as_array()
            .unwrap()
            .iter()
            .any(|li| li.as_str().unwrap().contains("下城区")),
        "{report}"
    );
}

#[test]
fn the_map_works_on_a_phone_sized_viewport() {
    run_suite("phone");
}

#[test]
fn a_planner_signs_in_on_the_page_and_a_what_if_facility_raises_the_covered_count() {
    let report = run_suite("planner");
    assert_eq!(report["signed_in"]["name"], PLANNER, "{report}");
    assert_eq!(report["signed_in"]["role"], "planner", "{report}");
    assert!(
        report["anonymous_gaps_listed"].as_u64() > Some(0),
        "{report}"
    );
    let baseline = report["baseline_covered_elderly"].as_u64().unwrap();
    let after = report["what_if"]["covered_elderly"].as_u64().unwrap();
    assert!(after > baseline, "{report}");
    assert_eq!(
        report["what_if"]["delta"].as_i64(),
        Some(after as i64 - baseline as i64),
        "{report}"
    );
}

#[test]
fn a_surveyor_sees_line_lengths_no_errors_marker_colours_one_bent_line_and_exports() {
    let report = run_suite("surveyor");
    assert_eq!(report["signed_in"]["name"], SURVEYOR, "{report}");
    assert_eq!(report["signed_in"]["role"], "surveyor", "{report}");
    assert_eq!(
        report["line_popup"]["length_m"]
            .as_str()
            .map(str::parse::<f64>),
        Some(Ok(report["line_popup"]["api_length_m"].as_f64().unwrap())),
        "{report}"
    );
    assert_eq!(report["validation"]["errors"], 0, "{report}");
    assert_eq!(
        report["diff_shown"]["lines"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(
        report["diff_shown"]["units"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(report["export"]["status"], 200, "{report}");
}

#[test]
fn a_name_officer_checks_a_grand_name_lists_duplicates_and_runs_a_rename_to_approval() {
    let report = run_suite("names");
    assert!(
        report["check"]["rules"]
            .as_str()
            .is_some_and(|rules| rules.split(',').any(|rule| rule == "grand")),
        "{report}"
    );
    assert!(report["duplicate_groups"].as_u64() > Some(0), "{report}");
    assert!(
        report["refused_before_notice"]
            .as_str()
            .is_some_and(|said| said.contains("HTTP 409")),
        "{report}"
    );
    let application = &report["application"];
    assert!(application["announcement"].as_str().is_some(), "{report}");
    let former = &report["former_name"]["match"];
    assert_eq!(former["kind"], "former_name", "{report}");
    assert_eq!(
        former["former"]["name"], application["old_name"],
        "{report}"
    );
    assert_eq!(
        former["former"]["current"], application["new_name"],
        "{report}"
    );
}

#[test]
fn a_planner_opens_a_transfer_proposal_and_sees_the_moved_people_and_both_sides_on_the_map() {
    let report = run_suite("proposals");
    let moved = report["impact"]["moved"]["census_population"]
        .as_u64()
        .unwrap();
    assert!(moved > 0, "{report}");
    assert_eq!(
        report["impact"]["shown"]["population"],
        moved.to_string(),
        "{report}"
    );
    assert!(
        report["impact"]["before_features"].as_u64() > Some(0),
        "{report}"
    );
    assert!(
        report["impact"]["after_features"].as_u64() > Some(0),
        "{report}"
    );
    assert!(report["rendered"]["before"].as_u64() > Some(0), "{report}");
    assert!(report["rendered"]["after"].as_u64() > Some(0), "{report}");
    assert_eq!(
        report["merge"]["survivor_pieces"], report["merge"]["communities"],
        "{report}"
    );
}

#[test]
fn the_validation_list_shows_every_error_of_a_damaged_frame() {
    let frame = damaged_frame();
    let data = frame.path().join("data");
    let report = run_suite_on("surveyor-damaged", &["--data", data.to_str().unwrap()]);
    assert!(
        report["validation"]["errors"].as_u64() > Some(0),
        "{report}"
    );
    assert_eq!(report["validation"]["valid"], false, "{report}");
    // the moved township overlaps its neighbours, leaves a gap, and it and its communities
    // leave their parents: each rule listed with its count
    for rule in [
        "overlap",
        "gap",
        "child_outside_parent",
        "children_do_not_cover_parent",
    ] {
        assert!(
            report["validation"]["counts"][rule].as_u64() >= Some(1),
            "{rule}: {report}"
        );
    }
    assert_eq!(report["flew_to_error"]["inside"], true, "{report}");
}

/// How far the damaged frame's township is moved.
const DAMAGE_SHIFT_M: f64 = 10.0;

/// A data directory holding a damaged copy of the embedded frame: every unit at full
/// precision as `civmap export admin --format geojson` writes it, but one township of 西湖区
/// (330106) moved 10 m east, so it overlaps its eastern neighbours, leaves a gap to its west
/// and its communities reach outside it. Imported with `civmap import geojson --layer
/// admin`, as an operator would. (Not from GET /api/v1/admin: its 6-decimal coordinates move
/// T-junctions by up to 5 cm, which damages the whole frame with ~1,700 slivers.)
fn damaged_frame() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let exported = dir.path().join("admin.geojson");
    let out = civmap(&[
        "export",
        "admin",
        "--format",
        "geojson",
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "civmap export admin: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let collection: Value =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).expect("exported GeoJSON");
    let mut features = collection["features"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(features.len() > 3_000, "{} units exported", features.len());
    let moved = features
        .iter_mut()
        .find(|f| {
            f["properties"]["level"] == "township"
                && f["properties"]["code"]
                    .as_str()
                    .is_some_and(|code| code.starts_with("330106"))
        })
        .expect("the default frame has a township of 西湖区 (330106)");
    shift_east(&mut moved["geometry"]["coordinates"], DAMAGE_SHIFT_M);
    let file = dir.path().join("damaged-admin.geojson");
    let collection = json!({ "type": "FeatureCollection", "features": features });
    std::fs::write(&file, serde_json::to_vec(&collection).unwrap()).unwrap();
    let data = dir.path().join("data");
    let out = civmap(&[
        "import",
        "geojson",
        file.to_str().unwrap(),
        "--layer",
        "admin",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "civmap import of the damaged frame: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Moves every `[lon, lat]` position in a GeoJSON coordinates array `metres` east.
fn shift_east(coordinates: &mut Value, metres: f64) {
    let Value::Array(items) = coordinates else {
        return;
    };
    if let [Value::Number(lon), Value::Number(lat), ..] = items.as_slice() {
        let (lon, lat) = (lon.as_f64().unwrap(), lat.as_f64().unwrap());
        items[0] = json!(lon + metres / (111_320.0 * lat.to_radians().cos()));
        return;
    }
    for item in items {
        shift_east(item, metres);
    }
}
