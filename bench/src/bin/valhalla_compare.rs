//! Side-by-side: civmap's walking service areas against Valhalla's pedestrian isochrones on
//! the same OpenStreetMap extract (central Helsinki), from the same points and at the same
//! walking speed. Prints, per point and time limit, both engines' times and the
//! intersection over union (IoU) of the two areas, and writes both polygons as GeoJSON.
//!
//! Run through `bench/valhalla/compare.sh` (which builds Valhalla's tiles and starts its
//! service); by hand: `cargo run --release -p civmap-bench --bin valhalla_compare --
//! --valhalla http://127.0.0.1:8002 --out DIR`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use civmap_bench::{median, root};
use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer};
use civmap_geo_core::coverage::{metres_per_degree, CoverageEngine, WalkProfile};
use civmap_geo_core::Dataset;
use geo::{Area, BooleanOps, Coord, LineString, MapCoords, MultiPolygon, Polygon};
use serde_json::{json, Value};

/// Central Helsinki: (name, lon, lat).
const POINTS: [(&str, f64, f64); 6] = [
    ("Rautatientori", 24.9440, 60.1710),
    ("Kamppi", 24.9320, 60.1690),
    ("Kauppatori", 24.9520, 60.1675),
    ("Punavuori", 24.9390, 60.1620),
    ("Kruununhaka", 24.9560, 60.1725),
    ("Töölönlahti", 24.9380, 60.1760),
];
const MINUTES: [f64; 2] = [10.0, 15.0];
/// Service-area grid cell, metres.
const CELL_M: f64 = 25.0;
const RUNS: usize = 5;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Valhalla's GeoJSON contour (Polygon or MultiPolygon geometry) as a MultiPolygon.
fn valhalla_polygon(geometry: &Value) -> anyhow::Result<MultiPolygon<f64>> {
    let ring = |r: &Value| -> anyhow::Result<LineString<f64>> {
        let pts = r.as_array().context("ring is not an array")?;
        Ok(LineString::from(
            pts.iter()
                .map(|p| {
                    Ok(Coord {
                        x: p[0].as_f64().context("x")?,
                        y: p[1].as_f64().context("y")?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ))
    };
    let polygon = |rings: &Value| -> anyhow::Result<Polygon<f64>> {
        let rings = rings.as_array().context("rings")?;
        let mut it = rings.iter();
        let exterior = ring(it.next().context("no exterior ring")?)?;
        let interiors = it.map(ring).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Polygon::new(exterior, interiors))
    };
    let coords = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(coords)?])),
        Some("MultiPolygon") => Ok(MultiPolygon(
            coords
                .as_array()
                .context("coordinates")?
                .iter()
                .map(polygon)
                .collect::<anyhow::Result<_>>()?,
        )),
        other => bail!("unexpected Valhalla geometry {other:?}"),
    }
}

fn main() -> anyhow::Result<()> {
    let valhalla = arg("--valhalla").unwrap_or_else(|| "http://127.0.0.1:8002".into());
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "target/valhalla-compare".into()));
    std::fs::create_dir_all(&out)?;
    let profile = WalkProfile::standard();
    let walking_speed_km_h = profile.speed_m_per_s * 3.6;

    let network = import_file(
        ImportFormat::Osm,
        &root().join("data/osm/helsinki.osm.pbf"),
        Some(ImportLayer::Network),
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )?
    .network
    .context("no walking network in the extract")?;
    let dataset = Dataset {
        network,
        ..Dataset::default()
    };
    let engine = CoverageEngine::new(&dataset);
    // A local metric frame for areas (equirectangular at the extract's latitude).
    let (kx, ky) = metres_per_degree(60.17);
    let metric = |m: &MultiPolygon<f64>| {
        m.map_coords(|c| Coord {
            x: c.x * kx,
            y: c.y * ky,
        })
    };
    let http = reqwest::blocking::Client::new();

    println!(
        "Helsinki extract: {} nodes, {} edges; walking speed {:.2} m/s = {walking_speed_km_h:.2} km/h on both sides; civmap cell {CELL_M} m; median of {RUNS} runs",
        dataset.network.nodes.len(),
        dataset.network.edges.len(),
        profile.speed_m_per_s
    );
    println!(
        "{:<14} {:>4} {:>12} {:>12} {:>11} {:>11} {:>6} {:>10}",
        "point",
        "min",
        "civmap km²",
        "Valhalla km²",
        "civmap ms",
        "Valhalla ms",
        "IoU",
        "civmap in V"
    );
    let mut features = Vec::new();
    let mut ious = Vec::new();
    for (name, lon, lat) in POINTS {
        for minutes in MINUTES {
            let mut ours_ms = Vec::new();
            let mut ours = MultiPolygon(vec![]);
            for _ in 0..RUNS {
                let t = Instant::now();
                ours = engine.service_area(&[(0, lon, lat)], minutes, &profile, CELL_M)?;
                ours_ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let request = json!({
                "locations": [{"lon": lon, "lat": lat}],
                "costing": "pedestrian",
                "costing_options": {"pedestrian": {
                    "walking_speed": walking_speed_km_h,
                    // No penalties or preferences: every walkable way at the same speed.
                    "walkway_factor": 1.0, "sidewalk_factor": 1.0, "alley_factor": 1.0,
                    "driveway_factor": 1.0, "step_penalty": 0.0, "elevator_penalty": 0.0,
                    "maneuver_penalty": 0.0, "use_hills": 0.5, "use_living_streets": 0.5,
                    "use_tracks": 0.5, "use_lit": 0.0
                }},
                "contours": [{"time": minutes}],
                "polygons": true,
            });
            let mut theirs_ms = Vec::new();
            let mut body = Value::Null;
            for _ in 0..RUNS {
                let t = Instant::now();
                let response = http
                    .post(format!("{valhalla}/isochrone"))
                    .json(&request)
                    .send()?;
                let status = response.status();
                body = response.json()?;
                theirs_ms.push(t.elapsed().as_secs_f64() * 1e3);
                if !status.is_success() {
                    bail!("Valhalla {status}: {body}");
                }
            }
            let theirs = valhalla_polygon(&body["features"][0]["geometry"])?;
            let (a, b) = (metric(&ours), metric(&theirs));
            let inter = a.intersection(&b).unsigned_area();
            let union = a.union(&b).unsigned_area();
            let iou = if union > 0.0 { inter / union } else { 0.0 };
            ious.push(iou);
            println!(
                "{name:<14} {minutes:>4} {:>12.3} {:>12.3} {:>11.2} {:>11.2} {iou:>6.3} {:>10.3}",
                a.unsigned_area() / 1e6,
                b.unsigned_area() / 1e6,
                median(&mut ours_ms),
                median(&mut theirs_ms),
                inter / a.unsigned_area().max(f64::MIN_POSITIVE)
            );
            for (engine_name, polygon) in [("civmap", &ours), ("valhalla", &theirs)] {
                features.push(json!({
                    "type": "Feature",
                    "properties": {"engine": engine_name, "point": name, "minutes": minutes, "iou": iou},
                    "geometry": geo_json(polygon),
                }));
            }
        }
    }
    let path = out.join("service_areas.geojson");
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features}))?,
    )?;
    println!(
        "median IoU {:.3}; civmap in V: share of civmap's area inside Valhalla's; civmap ms: CoverageEngine::service_area in-process; Valhalla ms: POST /isochrone round trip; both engines' polygons in {}",
        median(&mut ious),
        path.display()
    );
    Ok(())
}

fn geo_json(m: &MultiPolygon<f64>) -> Value {
    let ring = |r: &LineString<f64>| r.0.iter().map(|c| json!([c.x, c.y])).collect::<Vec<_>>();
    json!({
        "type": "MultiPolygon",
        "coordinates": m.0.iter().map(|p| {
            std::iter::once(ring(p.exterior()))
                .chain(p.interiors().iter().map(ring))
                .collect::<Vec<_>>()
        }).collect::<Vec<_>>(),
    })
}
