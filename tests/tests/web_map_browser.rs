//! The web map in a real browser (Debian's Chromium via playwright-core) against the real
//! `civmap serve`: the page loads with no console errors and draws; search by Chinese and by
//! pinyin initials lists 西湖区 first and the keyboard flies there; a click shows the
//! community chain the server gives; the page works on a phone-sized viewport; the planner
//! view is public without its what-if, siting and exports, a planner signs in through the
//! page's form (a wrong password and a throttled name are said inline), then a category
//! shows coverage and a what-if facility changes the covered count (both checked against
//! the server's own JSON), and signing out hides the planner's controls again and ends the
//! session. Screenshots go
//! to `tests/artifacts/`. The browser-side checks live in `web-map/browser-test.mjs`; each
//! suite prints one JSON line of measurements (load times), echoed here for the test log.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use common::{bin, root, Server};

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
fn run_suite(suite: &str) -> serde_json::Value {
    run_suite_on(suite, &[])
}

/// Runs one suite of `web-map/browser-test.mjs` against a fresh `civmap serve SERVE_ARGS…`
/// with a planner and a surveyor account (whose names and passwords the suite gets in
/// `CIVMAP_E2E_PLANNER`/`_PASSWORD` and `CIVMAP_E2E_SURVEYOR`/`_PASSWORD`) and returns its
/// measurements.
fn run_suite_on(suite: &str, serve_args: &[&str]) -> serde_json::Value {
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
