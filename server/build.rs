//! Builds the MapLibre web map in `../web-map` with npm and copies it into `OUT_DIR/web/`, and
//! writes `OUT_DIR/web_assets.rs`: a table of every copied file as `(name, include_bytes!(…))`,
//! which `src/web_assets.rs` includes. The table follows whatever `dist/` holds, so adding a page
//! module in `web-map/src/` needs no change here. Doing it here means `cargo build` and
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

/// Files `web-map/build.mjs` always writes; the build fails without them.
const REQUIRED_DIST_FILES: [&str; 3] = ["index.html", "app.js", "maplibre-gl.js"];

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
        println!("cargo:rerun-if-changed={}", dist.display());
        for file in files_in(&dist) {
            println!("cargo:rerun-if-changed={}", file.display());
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

    let names = copy_dist(&dist, &out_web);
    write_asset_table(&out_web, &names);
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

/// Copies every file of `dist` into `out_web` and returns their names, sorted.
fn copy_dist(dist: &Path, out_web: &Path) -> Vec<String> {
    // A fresh directory, so a file removed from the page is not embedded from an older build.
    if out_web.exists() {
        fs::remove_dir_all(out_web)
            .unwrap_or_else(|error| panic!("clearing {}: {error}", out_web.display()));
    }
    fs::create_dir_all(out_web)
        .unwrap_or_else(|error| panic!("creating {}: {error}", out_web.display()));
    let mut names = Vec::new();
    for from in files_in(dist) {
        let name = from
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| panic!("{} has a name that is not UTF-8", from.display()))
            .to_owned();
        let to = out_web.join(&name);
        fs::copy(&from, &to).unwrap_or_else(|error| {
            panic!("copying {} to {}: {error}", from.display(), to.display())
        });
        names.push(name);
    }
    for required in REQUIRED_DIST_FILES {
        assert!(
            names.iter().any(|n| n == required),
            "{} lacks {required} (web-map's build should have written it; run `npm run build` in web-map)",
            dist.display()
        );
    }
    names
}

/// `OUT_DIR/web_assets.rs`: `&[(name, bytes), …]` for `include!` in `src/web_assets.rs`.
fn write_asset_table(out_web: &Path, names: &[String]) {
    let mut table = String::from("&[\n");
    for name in names {
        let path = out_web.join(name);
        table.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}) as &[u8]),\n",
            path.display().to_string()
        ));
    }
    table.push_str("]\n");
    let file = out_web
        .parent()
        .expect("OUT_DIR/web has a parent")
        .join("web_assets.rs");
    fs::write(&file, table).unwrap_or_else(|error| panic!("writing {}: {error}", file.display()));
}
