//! The web map in a real browser (Debian's Chromium via playwright-core): the page loads
//! with no console errors, draws, and a screenshot is saved to `tests/artifacts/`.

mod common;

use std::process::Command;

use common::{root, Server};

#[test]
fn the_map_page_loads_in_chromium_without_console_errors() {
    let server = Server::start(&[], &[]);
    let artifacts = root().join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("map-default.png");
    let out = Command::new("node")
        .current_dir(root().join("web-map"))
        .args([
            "screenshot.mjs",
            &format!("{}/", server.base),
            png.to_str().unwrap(),
            "--wait-ready",
        ])
        .output()
        .expect("node is installed (scripts/test.sh installs it)");
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
