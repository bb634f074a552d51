//! civmap's tiles, fetched from the real binary, decoded by an independent decoder
//! (`@mapbox/vector-tile` in node, tests/decoder) and compared with the source records
//! clipped to the tile: admin areas within tolerance, points in place, property values
//! exact, winding as the MVT 2.1 spec says. TileJSON is validated against the TileJSON
//! 3.0.0 schema with ajv.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::{AdminLevel, Dataset};
use common::{root, Server};
use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};
use serde_json::Value;

const EXTENT: f64 = 4096.0;
const BUFFER: f64 = 64.0;

fn city() -> Dataset {
    default_city(
        Some(&default_cache_dir()),
        &GeneratorConfig::default(),
        &mut |_| {},
    )
    .expect("default city")
    .0
}

/// Tile coordinates of a WGS84 point (independent of civmap-tiles).
fn to_tile(lon: f64, lat: f64, z: u8, x: u32, y: u32) -> [f64; 2] {
    let n = f64::from(1u32 << z);
    let lat_r = lat.to_radians();
    let wx = (lon + 180.0) / 360.0;
    let wy = (1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0;
    [
        (wx * n - f64::from(x)) * EXTENT,
        (wy * n - f64::from(y)) * EXTENT,
    ]
}

fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let p = to_tile(lon, lat, z, 0, 0);
    ((p[0] / EXTENT) as u32, (p[1] / EXTENT) as u32)
}

fn node_decode(files: &[&Path]) -> Vec<Value> {
    let dir = root().join("tests/decoder");
    let out = Command::new("node")
        .arg(dir.join("decode.mjs"))
        .args(files)
        .current_dir(&dir)
        .output()
        .expect("node (tests/decoder: npm ci)");
    assert!(
        out.status.success(),
        "decode.mjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn fetch(server: &Server, path: &str, into: &Path) -> u16 {
    let r = reqwest::blocking::get(format!("{}{path}", server.base)).unwrap();
    let status = r.status().as_u16();
    std::fs::write(into, r.bytes().unwrap()).unwrap();
    status
}

fn signed_area(ring: &[Value]) -> f64 {
    let pts: Vec<[f64; 2]> = ring
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect();
    let n = pts.len();
    (0..n)
        .map(|i| pts[i][0] * pts[(i + 1) % n][1] - pts[(i + 1) % n][0] * pts[i][1])
        .sum::<f64>()
        / 2.0
}

/// Area of a decoded polygon feature, checking the spec's ring rules on the way: the first
/// ring is exterior (positive area, y down), holes (negative) only follow an exterior.
fn decoded_area(f: &Value) -> f64 {
    let rings = f["rings"].as_array().unwrap();
    assert!(!rings.is_empty(), "feature without geometry: {f}");
    let mut total = 0.0;
    for (i, r) in rings.iter().enumerate() {
        let r = r.as_array().unwrap();
        // decoders repeat the first point to close the ring
        assert!(r.len() >= 4, "ring below a triangle: {r:?}");
        let a = signed_area(r);
        assert!(a != 0.0, "zero-area ring");
        if i == 0 {
            assert!(a > 0.0, "first ring must be exterior (positive area): {a}");
        }
        total += a;
    }
    total
}

fn source_area(mp: &MultiPolygon<f64>, z: u8, x: u32, y: u32) -> f64 {
    let to = |ls: &LineString<f64>| {
        LineString::from(
            ls.0.iter()
                .map(|c| {
                    let p = to_tile(c.x, c.y, z, x, y);
                    (p[0], p[1])
                })
                .collect::<Vec<_>>(),
        )
    };
    let tiled = MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(to(p.exterior()), p.interiors().iter().map(to).collect()))
            .collect(),
    );
    let clip = Rect::new(
        Coord {
            x: -BUFFER,
            y: -BUFFER,
        },
        Coord {
            x: EXTENT + BUFFER,
            y: EXTENT + BUFFER,
        },
    )
    .to_polygon();
    tiled
        .intersection(&MultiPolygon(vec![clip]))
        .unsigned_area()
}

fn first_zoom(level: AdminLevel) -> u8 {
    match level {
        AdminLevel::Township => 9,
        AdminLevel::Community => 12,
        _ => 0,
    }
}

#[test]
fn tiles_decoded_by_mapbox_vector_tile_match_the_source_records_clipped_to_the_tile() {
    let ds = city();
    let server = Server::start(&["--tile-cache-mb", "0"], &[]);
    let dir = tempfile::tempdir().unwrap();
    // the urban core around West Lake, and a rural tile to the west
    let tiles: Vec<(u8, u32, u32)> = [
        (120.155, 30.274, 8u8),
        (120.155, 30.274, 10),
        (120.155, 30.274, 12),
        (120.17, 30.28, 14),
        (120.17, 30.28, 16),
        (119.3, 29.9, 11),
    ]
    .iter()
    .map(|&(lon, lat, z)| {
        let (x, y) = tile_of(lon, lat, z);
        (z, x, y)
    })
    .collect();
    let mut files = Vec::new();
    for &(z, x, y) in &tiles {
        let f = dir.path().join(format!("{z}-{x}-{y}.mvt"));
        assert_eq!(
            fetch(&server, &format!("/tiles/all/{z}/{x}/{y}.mvt"), &f),
            200
        );
        files.push(f);
    }
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let decoded = node_decode(&refs);
    let mut checked = BTreeMap::<&str, usize>::new();
    for (&(z, x, y), tile) in tiles.iter().zip(&decoded) {
        let layers = tile["layers"].as_object().unwrap();
        for (name, l) in layers {
            assert_eq!(l["version"], 2, "{name}");
            assert_eq!(l["extent"], 4096, "{name}");
            assert_no_personal_fields(name, l);
        }
        // admin: every unit whose clipped source area is not negligible is there, with
        // that area (generalisation moves borders by at most half a pixel) and its
        // properties exactly
        let admin: BTreeMap<String, &Value> = layers["admin"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["properties"]["code"].as_str().unwrap().to_owned(), f))
            .collect();
        for u in ds
            .admin
            .iter()
            .filter(|u| u.level != AdminLevel::City && z >= first_zoom(u.level))
        {
            let want = source_area(&u.geometry, z, x, y);
            let got = admin.get(u.code.as_str());
            let slack = 0.02 * want + 3000.0;
            match got {
                None => assert!(
                    want < slack,
                    "{z}/{x}/{y}: {} ({want:.0} units²) missing",
                    u.code
                ),
                Some(f) => {
                    let a = decoded_area(f);
                    assert!(
                        (a - want).abs() < slack,
                        "{z}/{x}/{y} {}: area {a:.0} vs source {want:.0}",
                        u.code
                    );
                    let p = &f["properties"];
                    assert_eq!(p["name"], u.name.as_str());
                    assert_eq!(p["level"], u.level.as_str());
                    assert_eq!(p["population"], u.population);
                    assert_eq!(p["elderly"], u.elderly);
                    assert_eq!(p["parent"].as_str(), u.parent.as_ref().map(|c| c.as_str()));
                    assert_eq!(f["id"].as_u64().unwrap().to_string(), u.code.as_str());
                    assert_eq!(f["type"], 3);
                    *checked.entry("admin").or_default() += 1;
                }
            }
        }
        assert!(admin.len() <= ds.admin.len());
        // admin labels: one per unit shown, inside the tile's buffer
        if let Some(labels) = layers.get("admin_label") {
            for f in labels["features"].as_array().unwrap() {
                assert_eq!(f["type"], 1);
                let code = f["properties"]["code"].as_str().unwrap();
                let u = ds.admin.iter().find(|u| u.code.as_str() == code).unwrap();
                assert_eq!(f["properties"]["name"], u.name.as_str());
                *checked.entry("admin_label").or_default() += 1;
            }
        }
        // facilities: exactly the visible ones inside the buffered tile
        let inside = |p: [f64; 2]| {
            p[0] >= -BUFFER && p[0] <= EXTENT + BUFFER && p[1] >= -BUFFER && p[1] <= EXTENT + BUFFER
        };
        let near_edge = |p: [f64; 2]| {
            [
                p[0] + BUFFER,
                EXTENT + BUFFER - p[0],
                p[1] + BUFFER,
                EXTENT + BUFFER - p[1],
            ]
            .iter()
            .any(|d| d.abs() < 1.0)
        };
        let institution = [
            "elder_care_institution",
            "child_welfare_institution",
            "funeral_service",
            "relief_station",
            "marriage_registry",
        ];
        let want: BTreeMap<&str, _> = ds
            .facilities
            .iter()
            .filter(|f| {
                z >= 10 || (z >= 8 && (f.attributes.hub || institution.contains(&f.category.id())))
            })
            .map(|f| (f, to_tile(f.location.x(), f.location.y(), z, x, y)))
            .filter(|(_, p)| inside(*p) && !near_edge(*p))
            .map(|(f, p)| (f.id.as_str(), (f, p)))
            .collect();
        let got: BTreeMap<&str, &Value> = layers
            .get("facilities")
            .map(|l| {
                l["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (f["properties"]["id"].as_str().unwrap(), f))
                    .collect()
            })
            .unwrap_or_default();
        for (id, (f, p)) in &want {
            let g = got
                .get(id)
                .unwrap_or_else(|| panic!("{z}/{x}/{y}: facility {id} missing"));
            let q = &g["rings"][0][0];
            assert!(
                (q[0].as_f64().unwrap() - p[0]).abs() <= 0.5
                    && (q[1].as_f64().unwrap() - p[1]).abs() <= 0.5
            );
            let props = &g["properties"];
            assert_eq!(props["name"], f.name.as_str());
            assert_eq!(props["category"], f.category.id());
            assert_eq!(props["hub"], f.attributes.hub);
            assert_eq!(props["delivery"], f.attributes.delivery);
            assert_eq!(props["demonstration"], f.attributes.demonstration);
            assert_eq!(props["synthetic"], f.synthetic);
            assert_eq!(
                props["admin_code"].as_str(),
                f.admin_code.as_ref().map(|c| c.as_str())
            );
            assert_eq!(props["beds"].as_u64(), f.attributes.beds.map(u64::from));
            assert_eq!(
                props["nursing_beds"].as_u64(),
                f.attributes.nursing_beds.map(u64::from)
            );
            *checked.entry("facilities").or_default() += 1;
        }
        assert!(
            got.len() >= want.len() && got.len() <= want.len() + 2,
            "{z}/{x}/{y}: {} facilities vs {}",
            got.len(),
            want.len()
        );
        // doorplates from z15
        let got: BTreeSet<u64> = layers
            .get("doorplates")
            .map(|l| {
                l["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        let p = &f["properties"];
                        let d = ds
                            .doorplates
                            .iter()
                            .find(|d| Some(d.id) == p["id"].as_u64())
                            .unwrap();
                        assert_eq!(p["label"], d.address());
                        assert_eq!(p["road"], d.road.as_str());
                        assert_eq!(p["number"], d.number);
                        // Public tiles carry no person-level counts.
                        assert!(p.get("residents").is_none() && p.get("elderly").is_none());
                        d.id
                    })
                    .collect()
            })
            .unwrap_or_default();
        let want: BTreeSet<u64> = if z >= 15 {
            ds.doorplates
                .iter()
                .filter(|d| {
                    let p = to_tile(d.location.x(), d.location.y(), z, x, y);
                    inside(p) && !near_edge(p)
                })
                .map(|d| d.id)
                .collect()
        } else {
            BTreeSet::new()
        };
        assert!(
            want.is_subset(&got) && got.len() <= want.len() + 2,
            "{z}/{x}/{y}: doorplates {} vs {}",
            got.len(),
            want.len()
        );
        *checked.entry("doorplates").or_default() += got.len();
    }
    println!("checked {checked:?}");
    for layer in ["admin", "admin_label", "facilities", "doorplates"] {
        assert!(
            checked.get(layer).copied().unwrap_or(0) > 0,
            "no {layer} feature checked"
        );
    }
}

/// Public tiles carry no person-level fields: no residents or contacts anywhere, and
/// population or elderly counts only on admin units (community and above).
fn assert_no_personal_fields(layer: &str, l: &Value) {
    for f in l["features"].as_array().into_iter().flatten() {
        let props = f["properties"].as_object().unwrap();
        for key in [
            "residents",
            "phone",
            "telephone",
            "contact",
            "contacts",
            "email",
        ] {
            assert!(!props.contains_key(key), "{layer}: {key} in {props:?}");
        }
        if layer != "admin" && layer != "admin_label" {
            for key in ["population", "elderly"] {
                assert!(!props.contains_key(key), "{layer}: {key} in {props:?}");
            }
        }
    }
}

#[test]
fn coverage_and_gap_tiles_carry_no_person_counts() {
    let server = Server::start(&[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = tile_of(120.17, 30.28, 12);
    let mut files = Vec::new();
    for set in ["gaps", "coverage"] {
        let f = dir.path().join(format!("{set}.mvt"));
        let uri = format!("/tiles/{set}/12/{x}/{y}.mvt?category=elder_canteen&minutes=5");
        assert_eq!(fetch(&server, &uri, &f), 200, "{uri}");
        files.push(f);
    }
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let mut features = 0;
    for tile in node_decode(&refs) {
        for (name, l) in tile["layers"].as_object().unwrap() {
            features += l["features"].as_array().map_or(0, Vec::len);
            assert_no_personal_fields(name, l);
        }
    }
    assert!(features > 0, "the tiles held no feature to check");
}

#[test]
fn tilejson_of_every_set_validates_against_the_tilejson_3_schema() {
    let server = Server::start(&[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for set in ["admin", "facilities", "doorplates", "all"] {
        let (status, tj) = server.json(&format!("/tiles/{set}.json"));
        assert_eq!(status, 200);
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(
            tj["tiles"][0],
            format!("{}/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt", server.base)
        );
        let attribution = tj["attribution"].as_str().unwrap();
        assert!(
            attribution.contains("Tianditu")
                && attribution.contains("© OpenStreetMap contributors")
        );
        let b = tj["bounds"].as_array().unwrap();
        assert!(b[0].as_f64().unwrap() > 118.0 && b[2].as_f64().unwrap() < 121.0);
        let f = dir.path().join(format!("{set}.json"));
        std::fs::write(&f, serde_json::to_vec(&tj).unwrap()).unwrap();
        files.push(f);
    }
    let (_, all) = server.json("/tiles/all.json");
    let ids: Vec<&str> = all["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["admin", "admin_label", "facilities", "doorplates"]);
    // the validator itself rejects a broken document
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"tilejson":"3.0.0","tiles":"not-a-list","vector_layers":[{"id":"x"}]}"#,
    )
    .unwrap();
    let run = |files: &[std::path::PathBuf]| {
        Command::new("node")
            .arg(root().join("tests/decoder/validate-tilejson.mjs"))
            .args(files)
            .output()
            .expect("node")
    };
    let out = run(&files);
    assert!(
        out.status.success(),
        "TileJSON invalid: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!run(&[broken]).status.success());
}
