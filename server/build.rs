//! Builds the MapLibre web map in `../web-map` with npm and copies it into `OUT_DIR/web/`, where
//! `src/web_assets.rs` embeds it with `include_bytes!`. Doing it here means `cargo build` and
//! `cargo run` give a server that serves the page with no other step (as Martin embeds its UI).
//!
//! - `npm ci` runs only when `web-map/node_modules` is missing or older than `package-lock.json`;
//!   `npm run build` (a copy, no bundler) runs whenever the page's inputs change.
//! - `CIVMAP_SKIP_WEB_BUILD=1` with an existing `web-map/dist` skips npm and embeds that dist.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// The files `web-map/build.mjs` writes and `src/web_assets.rs` embeds.
const DIST_FILES: [&str; 5] = [
    "index.html",
    "app.js",
    "app.css",
    "maplibre-gl.js",
    "maplibre-gl.css",
];

const NPM_MISSING: &str = "civmap embeds the web map built with npm; install Node.js ≥ 18 and npm \
     (Debian: apt-get install nodejs npm) or set CIVMAP_SKIP_WEB_BUILD=1 with a prebuilt web-map/dist";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web_map = manifest_dir
        .parent()
        .expect("the server crate lives inside the workspace")
        .join("web-map");
    let dist = web_map.join("dist");
    let out_web = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("web");

    println!("cargo:rerun-if-env-changed=CIVMAP_SKIP_WEB_BUILD");
    for input in ["package.json", "package-lock.json", "build.mjs"] {
        println!("cargo:rerun-if-changed={}", web_map.join(input).display());
    }
    // The directory itself (cargo scans it for any change) and each file by name.
    let src = web_map.join("src");
    println!("cargo:rerun-if-changed={}", src.display());
    for file in files_in(&src) {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let skip = env::var("CIVMAP_SKIP_WEB_BUILD").is_ok_and(|v| v == "1");
    if skip && dist.is_dir() {
        println!(
            "cargo:warning=CIVMAP_SKIP_WEB_BUILD=1: embedding the prebuilt {}",
            dist.display()
        );
        // Only here: when npm runs, it rewrites dist itself, which would make cargo rerun us forever.
        for file in DIST_FILES {
            println!("cargo:rerun-if-changed={}", dist.join(file).display());
        }
    } else {
        if skip {
            println!(
                "cargo:warning=CIVMAP_SKIP_WEB_BUILD=1 but {} does not exist; building it with npm",
                dist.display()
            );
        }
        build_with_npm(&web_map);
    }

    copy_dist(&dist, &out_web);
}

/// The files directly inside `dir`, sorted; none if it cannot be read.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn build_with_npm(web_map: &Path) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    match Command::new(npm)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("`{npm} --version` failed ({status}). {NPM_MISSING}"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            panic!("npm not found on PATH. {NPM_MISSING}")
        }
        Err(error) => panic!("could not run `{npm} --version`: {error}. {NPM_MISSING}"),
    }

    if needs_npm_ci(web_map) {
        run_npm(npm, web_map, &["ci", "--no-audit", "--no-fund"]);
    }
    run_npm(npm, web_map, &["run", "build"]);
}

/// `node_modules` is missing, or older than `package-lock.json` (npm records its install in
/// `node_modules/.package-lock.json`).
fn needs_npm_ci(web_map: &Path) -> bool {
    let node_modules = web_map.join("node_modules");
    let installed =
        modified(&node_modules.join(".package-lock.json")).or_else(|| modified(&node_modules));
    match (installed, modified(&web_map.join("package-lock.json"))) {
        (None, _) => true,
        (Some(installed), Some(lock)) => lock > installed,
        (Some(_), None) => false,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run_npm(npm: &str, web_map: &Path, args: &[&str]) {
    let command = format!("{npm} {}", args.join(" "));
    // npm's output goes to stderr: cargo reads the build script's stdout for instructions.
    let status = Command::new(npm)
        .args(args)
        .current_dir(web_map)
        .stdout(Stdio::from(io::stderr()))
        .status()
        .unwrap_or_else(|error| {
            panic!(
                "could not run `{command}` in {}: {error}. {NPM_MISSING}",
                web_map.display()
            )
        });
    assert!(
        status.success(),
        "`{command}` in {} failed ({status}); run it there by hand to see why",
        web_map.display()
    );
}

fn copy_dist(dist: &Path, out_web: &Path) {
    fs::create_dir_all(out_web)
        .unwrap_or_else(|error| panic!("creating {}: {error}", out_web.display()));
    for file in DIST_FILES {
        let from = dist.join(file);
        let to = out_web.join(file);
        fs::copy(&from, &to).unwrap_or_else(|error| {
            panic!(
                "copying {} to {}: {error} (web-map's build should have written it; \
                 run `npm run build` in web-map)",
                from.display(),
                to.display()
            )
        });
    }
}
