//! Side-by-side: civmap's topology validator against GEOS coverage validation (shapely 2.1+
//! `coverage_invalid_edges`, the pip wheel's bundled GEOS) on the same township and
//! community polygons, then civmap's full run (every level, nesting included) and the
//! re-validation of a window after one edit. Prints medians and ratios.
//!
//! `--scale k` (1, 2, 4) lays k copies of the default city side by side (each shifted east
//! by the city's width, codes renumbered), so the frame has k times the units: the
//! generator's `--scale` densifies streets, doorplates and facilities but leaves the
//! administrative units as they are, so it cannot grow this input.
//!
//! The civmap side of the per-level comparison builds a validator over that level's
//! polygons only and checks overlaps (GEOS's coverage check with gap width 0 finds invalid
//! edges: overlaps and mismatched shared edges), timed together with the build; GEOS's time
//! excludes reading the polygons.
//!
//! The counts differ by design: GEOS's coverage check is exact, so a shared vertex written
//! twice with float noise (the generator cuts each unit on its own) is an invalid edge to it
//! (178 of the 196 townships, 2,860 of the 3,320 communities at scale 1: of their vertices
//! not equal to a neighbour's, 1,380 of 1,404 lie within 3 mm of one), while civmap snaps
//! vertices within `snap_m` (3 mm) and reports only what is wider. `--keep-geojson DIR`
//! keeps the polygon files handed to GEOS, to look at them.
//!
//! `cargo run --release -p civmap-bench --bin validate_harness -- --scale 1 --runs 5`
//! (creates a Python venv with shapely under `$CARGO_TARGET_DIR/shapely-venv` on first run,
//! as scripts/schemathesis.sh does for its tool).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use civmap_bench::median;
use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
use geo::{BoundingRect, Coord, MapCoords};

const GEOS_SCRIPT: &str = r#"
import json, sys, time, statistics
import shapely
path, runs = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    fc = json.load(f)
geoms = shapely.from_geojson([json.dumps(ft["geometry"]) for ft in fc["features"]])
times, bad = [], 0
for _ in range(runs):
    t = time.perf_counter()
    edges = shapely.coverage_invalid_edges(geoms)
    times.append((time.perf_counter() - t) * 1000)
    bad = int((~shapely.is_empty(edges)).sum())
print(json.dumps({"median_ms": statistics.median(times), "invalid": bad, "geos": shapely.geos_version_string}))
"#;

fn venv_python() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| civmap_bench::root().join("target"));
    let venv = target.join("shapely-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()?
            .success()
            && Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "shapely>=2.1"])
                .status()?
                .success();
        if !ok {
            bail!("could not create the shapely venv in {}", venv.display());
        }
    }
    Ok(py)
}

/// `k` copies of the city side by side, codes renumbered (first two digits 33, 34, …).
fn tiled(units: &[AdminUnit], k: u32) -> Vec<AdminUnit> {
    let city = units
        .iter()
        .find(|u| u.level == AdminLevel::City)
        .expect("the city");
    let r = city.geometry.bounding_rect().expect("city box");
    let shift = r.width() * 1.01;
    let recode = |c: &AdminCode, i: u32| {
        AdminCode::parse(&format!("{}{}", 33 + i, &c.as_str()[2..])).expect("code")
    };
    (0..k)
        .flat_map(|i| {
            units.iter().map(move |u| {
                let mut u = u.clone();
                if i > 0 {
                    u.code = recode(&u.code, i);
                    u.parent = u.parent.as_ref().map(|p| recode(p, i));
                    u.geometry = u.geometry.map_coords(|c| Coord {
                        x: c.x + shift * f64::from(i),
                        y: c.y,
                    });
                }
                u
            })
        })
        .collect()
}

fn write_geojson(units: &[&AdminUnit], path: &Path) -> anyhow::Result<()> {
    let mut s = String::from(r#"{"type":"FeatureCollection","features":["#);
    for (i, u) in units.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write!(
            s,
            r#"{{"type":"Feature","properties":{{"code":"{}"}},"geometry":{{"type":"MultiPolygon","coordinates":["#,
            u.code
        )?;
        for (j, p) in u.geometry.0.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push('[');
            for (k, r) in std::iter::once(p.exterior())
                .chain(p.interiors())
                .enumerate()
            {
                if k > 0 {
                    s.push(',');
                }
                s.push('[');
                for (m, c) in r.0.iter().enumerate() {
                    if m > 0 {
                        s.push(',');
                    }
                    write!(s, "[{:?},{:?}]", c.x, c.y)?;
                }
                s.push(']');
            }
            s.push(']');
        }
        s.push_str("]}}");
    }
    s.push_str("]}");
    std::fs::write(path, s).with_context(|| path.display().to_string())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u32| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (scale, runs) = (arg("--scale", 1), arg("--runs", 5).max(1));
    let (ds, _) = default_city(
        Some(&default_cache_dir()),
        &GeneratorConfig::default(),
        &mut |_| {},
    )?;
    let units = tiled(&ds.admin, scale);
    let py = venv_python()?;
    let kept = args
        .iter()
        .position(|a| a == "--keep-geojson")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("civmap-validate-harness-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    println!("scale {scale}: {} units, {runs} runs each", units.len());
    for level in [AdminLevel::Township, AdminLevel::Community] {
        let of_level: Vec<&AdminUnit> = units.iter().filter(|u| u.level == level).collect();
        let path = dir.join(format!("{level}.geojson"));
        write_geojson(&of_level, &path)?;
        let out = Command::new(&py)
            .arg("-c")
            .arg(GEOS_SCRIPT)
            .arg(&path)
            .arg(runs.to_string())
            .output()?;
        if !out.status.success() {
            bail!("shapely: {}", String::from_utf8_lossy(&out.stderr));
        }
        let geos: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        let owned: Vec<AdminUnit> = of_level.iter().map(|u| (*u).clone()).collect();
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let v = Validator::new(&owned, ValidateOptions::default());
            found = v.validate(&[level]).len();
            times.push(ms(t));
        }
        let civmap = median(&mut times);
        let g = geos["median_ms"].as_f64().unwrap_or(f64::NAN);
        println!(
            "{level:<9} {:>5} polygons: civmap {civmap:8.1} ms ({found} findings) | GEOS {} coverage_invalid_edges {g:8.1} ms ({} invalid) | GEOS/civmap {:.2}×",
            owned.len(),
            geos["geos"].as_str().unwrap_or("?"),
            geos["invalid"],
            g / civmap
        );
    }
    // the full run: every level, frames and nesting
    let mut build = Vec::new();
    let mut check = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let v = Validator::new(&units, ValidateOptions::default());
        build.push(ms(t));
        let t = Instant::now();
        found = v.validate(&AdminLevel::ALL).len();
        check.push(ms(t));
    }
    let (b, c) = (median(&mut build), median(&mut check));
    println!("full run, all {} units, every level: build {b:.1} ms + validate {c:.1} ms = {:.1} ms ({found} findings)", units.len(), b + c);
    // one edit, then its window
    let mut v = Validator::new(&units, ValidateOptions::default());
    let i = units
        .iter()
        .position(|u| u.level == AdminLevel::Township)
        .context("a township")?;
    let mut edited = units[i].clone();
    let poly = &mut edited.geometry.0[0];
    poly.exterior_mut(|ls| {
        let (a, b) = (ls.0[0], ls.0[1]);
        // a vertex pulled 0.00001° (≈1 m) off the middle of the first edge
        ls.0.insert(
            1,
            Coord {
                x: (a.x + b.x) / 2.0 + 1e-5,
                y: (a.y + b.y) / 2.0 + 1e-5,
            },
        );
    });
    let window = edited.geometry.bounding_rect().context("box")?;
    let (mut times, mut update_times) = (Vec::new(), Vec::new());
    let (mut edit_times, mut undo_times) = (Vec::new(), Vec::new());
    let (mut found, mut after_undo) = (0, 0);
    for r in 0..runs * 4 {
        let unit = if r % 2 == 0 {
            edited.clone()
        } else {
            units[i].clone()
        };
        let t = Instant::now();
        v.update(unit);
        update_times.push(ms(t));
        let f = v.validate_window(window, &AdminLevel::ALL);
        times.push(ms(t));
        if r % 2 == 0 {
            edit_times.push(ms(t));
        } else {
            undo_times.push(ms(t));
        }
        if r % 2 == 0 {
            found = f.len();
        } else {
            after_undo = f.len();
        }
    }
    if found == 0 {
        bail!("the 1 m bulge of {} was not found", units[i].code);
    }
    println!(
        "one township edited ({}): update + validate_window median {:.2} ms: the edit {:.2} ms ({found} findings), its undoing {:.2} ms ({after_undo} findings); update alone {:.2} ms",
        units[i].code,
        median(&mut times),
        median(&mut edit_times),
        median(&mut undo_times),
        median(&mut update_times)
    );
    // where a window's time goes: each level alone, the edit in place
    v.update(edited.clone());
    let mut by_level = String::new();
    for level in AdminLevel::ALL {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            std::hint::black_box(v.validate_window(window, &[level]));
            times.push(ms(t));
        }
        write!(by_level, " {level} {:.2} ms", median(&mut times))?;
    }
    println!("validate_window by level, after the edit:{by_level}");
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
