//! The web map in a real browser (Debian's Chromium via playwright-core) against the real
//! `civmap serve`: the page loads with no console errors and draws; search by Chinese and by
//! pinyin initials lists 西湖区 first and the keyboard flies there; a click shows the
//! community chain the server gives; the page works on a phone-sized viewport; the planner
//! view shows coverage for a category and a what-if facility changes the covered count (both
//! checked against the server's own JSON). Screenshots go
//! to `tests/artifacts/`. The browser-side checks live in `web-map/browser-test.mjs`; each
//! suite prints one JSON line of measurements (load times), echoed here for the test log.

mod common;

use std::process::{Command, Output};
use std::sync::Mutex;

use common::{root, Server};

/// One browser at a time: Chromium renders WebGL in software here, and two at once on a
/// shared 2-core machine make both slow enough to time out.
static BROWSER: Mutex<()> = Mutex::new(());

fn artifacts() -> std::path::PathBuf {
    let dir = root().join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node(args: &[&str]) -> Output {
    Command::new("node")
        .current_dir(root().join("web-map"))
        .args(args)
        .output()
        .expect("node is installed (scripts/test.sh installs it)")
}

/// Runs one suite of `web-map/browser-test.mjs` against a fresh server and returns its
/// measurements.
fn run_suite(suite: &str) -> serde_json::Value {
    let _one_browser = BROWSER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = Server::start(&[], &[]);
    let dir = artifacts();
    let out = node(&[
        "browser-test.mjs",
        &format!("{}/", server.base),
        dir.to_str().unwrap(),
        "--suite",
        suite,
    ]);
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
    let out = node(&[
        "screenshot.mjs",
        &format!("{}/", server.base),
        png.to_str().unwrap(),
        "--wait-ready",
    ]);
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
fn choosing_a_category_shows_coverage_and_a_what_if_facility_raises_the_covered_count() {
    let report = run_suite("planner");
    let baseline = report["baseline_covered_elderly"].as_u64().unwrap();
    let after = report["what_if"]["covered_elderly"].as_u64().unwrap();
    assert!(after > baseline, "{report}");
    assert_eq!(
        report["what_if"]["delta"].as_i64(),
        Some(after as i64 - baseline as i64),
        "{report}"
    );
}
