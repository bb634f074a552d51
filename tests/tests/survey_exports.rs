//! Exports and the OGC API as a GIS sees them: every export format opened by GDAL's
//! `ogrinfo` (gdal-bin) with the right CRS, count and areas; the Gauss–Krüger maths
//! checked against PROJ (`cs2cs`, `ST_Transform`); the OGC API – Features opened by GDAL's
//! OAPIF driver and copied by `ogr2ogr`, and its CRS, paging and parameter rules over HTTP.

mod common;

use std::path::Path;
use std::process::Command;

use civmap_data::export::ExportCrs;
use common::{civmap, Server};
use geo::coord;

/// `ogrinfo ARGS` (stdout), failing the test when it fails.
fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (gdal-bin) is installed (scripts/test.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ogrinfo {args:?}: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The EPSG code of a layer's CRS as `ogrinfo -so` prints it (the last top-level `ID`).
fn layer_epsg(info: &str) -> Option<u32> {
    info.lines()
        .filter_map(|l| l.strip_prefix("    ID[\"EPSG\","))
        .filter_map(|l| l.strip_suffix("]]"))
        .filter_map(|c| c.parse().ok())
        .next_back()
}

fn feature_count(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in\n{info}"))
}

/// Every `NAME (Real) = V` of an `ogrinfo -sql` answer, in order.
fn reals(info: &str, name: &str) -> Vec<f64> {
    let prefix = format!("  {name} (Real) = ");
    info.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim().parse().unwrap())
        .collect()
}

fn export(dir: &Path, format: &str, crs: u32, level: &str) -> std::path::PathBuf {
    let ext = match format {
        "gpkg" => "gpkg",
        "shp" => "shp",
        "geojson" => "geojson",
        _ => "csv",
    };
    let path = dir.join(format!("{level}_{format}_{crs}.{ext}"));
    let out = civmap(&[
        "export",
        "admin",
        "--level",
        level,
        "--format",
        format,
        "--crs",
        &format!("EPSG:{crs}"),
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "export {format} {crs}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn every_export_format_opens_in_ogrinfo_with_its_crs_count_and_areas() {
    let dir = tempfile::tempdir().unwrap();
    for crs in [4490, 4549] {
        for format in ["gpkg", "shp", "geojson", "csv"] {
            let path = export(dir.path(), format, crs, "township");
            let p = path.to_str().unwrap();
            let info = ogrinfo(&["-so", "-al", p]);
            assert_eq!(feature_count(&info), 196, "{format} {crs}\n{info}");
            assert_eq!(layer_epsg(&info), Some(crs), "{format} {crs}\n{info}");
            let layer = info
                .lines()
                .find_map(|l| l.strip_prefix("Layer name: "))
                .unwrap()
                .trim()
                .to_owned();
            // GDAL's planar area of the written geometry against civmap's Gauss-Kruger area
            // (EPSG:4549 files as they are; EPSG:4490 files reprojected by PROJ)
            let geom = match format {
                "csv" => "geom_WKT",
                "gpkg" => "geom",
                _ => "geometry",
            };
            let area = if crs == 4549 {
                format!("ST_Area({geom})")
            } else {
                format!("ST_Area(ST_Transform({geom}, 4549))")
            };
            let sql = format!("SELECT {area} AS gdal_area, gk_area_m2 FROM \"{layer}\"");
            let rows = ogrinfo(&["-q", p, "-dialect", "SQLite", "-sql", &sql]);
            let (gdal, civmap) = (reals(&rows, "gdal_area"), reals(&rows, "gk_area_m2"));
            assert_eq!(
                (gdal.len(), civmap.len()),
                (196, 196),
                "{format} {crs}\n{rows}"
            );
            for (g, c) in gdal.iter().zip(&civmap) {
                let rel = (g - c).abs() / c;
                let tol = if crs == 4549 { 1e-9 } else { 1e-7 };
                assert!(
                    rel < tol,
                    "{format} EPSG:{crs}: GDAL {g} m² vs civmap {c} m² ({rel:e})"
                );
            }
        }
    }
    // Chinese names survive every format (the Shapefile through its .cpg)
    for (format, ext) in [
        ("shp", "shp"),
        ("gpkg", "gpkg"),
        ("geojson", "geojson"),
        ("csv", "csv"),
    ] {
        let p = dir.path().join(format!("township_{format}_4549.{ext}"));
        let out = ogrinfo(&[
            "-q",
            "-al",
            "-where",
            "code = '330102001000'",
            p.to_str().unwrap(),
        ]);
        assert!(out.contains("清波街道"), "{format}: {out}");
    }
}

#[test]
fn gauss_kruger_matches_proj_cs2cs() {
    let pts = [
        (120.5, 30.2),
        (118.35, 29.19),
        (120.72, 30.56),
        (119.0, 29.5),
    ];
    let input: String = pts
        .iter()
        .map(|(lon, lat)| format!("{lat} {lon}\n"))
        .collect();
    let mut child = Command::new("cs2cs")
        .args(["-f", "%.6f", "EPSG:4490", "EPSG:4549"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("cs2cs (proj-bin) is installed");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for ((lon, lat), line) in pts.iter().zip(text.lines()) {
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        // EPSG:4549 is northing, easting
        let en = ExportCrs::GK_CM_120E.project(coord! { x: *lon, y: *lat });
        assert!(
            (en.y - v[0]).abs() < 1e-5 && (en.x - v[1]).abs() < 1e-5,
            "{lon},{lat}: civmap {en:?} vs PROJ {line}"
        );
    }
}

#[test]
fn ogc_api_opens_in_gdal_and_follows_the_standard() {
    let server = Server::start(&[], &[]);
    let url = format!("OAPIF:{}/ogc", server.base);
    let info = ogrinfo(&[&url]);
    for c in ["units", "city", "districts", "townships", "communities"] {
        assert!(
            info.contains(&format!(": {c} (title:")),
            "{c} missing:\n{info}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for (layer, n, page) in [
        ("townships", 196, "100"),
        ("communities", 3320, "1000"),
        ("districts", 13, "5"),
    ] {
        let out = dir.path().join(format!("{layer}.gpkg"));
        let st = Command::new("ogr2ogr")
            .args([
                "-f",
                "GPKG",
                out.to_str().unwrap(),
                "-oo",
                &format!("PAGE_SIZE={page}"),
                &url,
                layer,
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let info = ogrinfo(&["-so", "-al", out.to_str().unwrap()]);
        assert_eq!(feature_count(&info), n, "{layer}");
        // CRS84 is GDAL's WGS 84 in longitude/latitude order (GDAL 3.6 has no CRS option)
        assert_eq!(layer_epsg(&info), Some(4326), "{layer}\n{info}");
    }

    // paging: numberMatched, numberReturned, next links that walk the whole collection
    let (s, first) = server.json("/ogc/collections/townships/items?limit=150");
    assert_eq!(s, 200);
    assert_eq!(
        (
            first["numberMatched"].as_u64(),
            first["numberReturned"].as_u64()
        ),
        (Some(196), Some(150))
    );
    let next = first["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_owned();
    let second: serde_json::Value = reqwest::blocking::get(&next).unwrap().json().unwrap();
    assert_eq!(second["numberReturned"], 46);
    assert!(!second["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next"));

    // axis order: CRS84 lon/lat, EPSG:4490 lat/lon, EPSG:4549 northing/easting; Content-Crs
    let get = |q: &str| {
        let r = reqwest::blocking::get(format!(
            "{}/ogc/collections/districts/items/330102000000{q}",
            server.base
        ))
        .unwrap();
        let crs = r
            .headers()
            .get("content-crs")
            .map(|v| v.to_str().unwrap().to_owned());
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        let v: serde_json::Value = r.json().unwrap();
        (crs, ct, v["geometry"]["coordinates"][0][0][0].clone())
    };
    let (crs84, ct, lonlat) = get("");
    assert_eq!(
        crs84.as_deref(),
        Some("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
    );
    assert_eq!(ct, "application/geo+json");
    let (crs4490, _, latlon) = get("?crs=http://www.opengis.net/def/crs/EPSG/0/4490");
    assert_eq!(
        crs4490.as_deref(),
        Some("<http://www.opengis.net/def/crs/EPSG/0/4490>")
    );
    assert_eq!(
        (latlon[0].clone(), latlon[1].clone()),
        (lonlat[1].clone(), lonlat[0].clone())
    );
    let (_, _, ne) = get("?crs=http://www.opengis.net/def/crs/EPSG/0/4549");
    let en = ExportCrs::GK_CM_120E
        .project(coord! { x: lonlat[0].as_f64().unwrap(), y: lonlat[1].as_f64().unwrap() });
    assert!(
        (ne[0].as_f64().unwrap() - en.y).abs() < 1e-6
            && (ne[1].as_f64().unwrap() - en.x).abs() < 1e-6
    );

    // bbox (CRS84, and the same box as EPSG:4490 lat/lon) narrows the answer
    let (_, all) = server.json("/ogc/collections/communities/items?limit=1");
    let (_, boxed) =
        server.json("/ogc/collections/communities/items?limit=1&bbox=120.1,30.2,120.2,30.3");
    let (_, boxed_latlon) = server.json("/ogc/collections/communities/items?limit=1&bbox=30.2,120.1,30.3,120.2&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490");
    let m = boxed["numberMatched"].as_u64().unwrap();
    assert!(m > 0 && m < all["numberMatched"].as_u64().unwrap());
    assert_eq!(boxed_latlon["numberMatched"].as_u64(), Some(m));

    // parameters: clear 400s in the project's error format; datetime now or later is fine
    for (q, param) in [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("offset=-1", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("crs=EPSG:4326", "crs"),
        ("datetime=2020-01-01/2020-02-01", "datetime"),
        ("datetime=1990-01-01", "datetime"),
        ("datetime=2026-02-30", "datetime"),
        ("bogus=1", "bogus"),
    ] {
        let (s, body) = server.json(&format!("/ogc/collections/districts/items?{q}"));
        assert!(s == 400 || s == 422, "{q}: {body}");
        assert_eq!(body["error"]["param"], param, "{q}: {body}");
    }
    // a past instant: the districts as they stood (NBS2019 edition: 下城区 and 江干区)
    let (s, body) = server.json("/ogc/collections/districts/items?datetime=2020-01-01");
    assert_eq!(s, 200, "{body}");
    let names: Vec<&str> = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"下城区") && names.contains(&"江干区"),
        "{names:?}"
    );
    assert!(!names.contains(&"临平区"), "{names:?}");
    let (s, body) =
        server.json("/ogc/collections/districts/items?datetime=2020-01-01T00:00:00Z/..");
    assert_eq!((s, body["numberMatched"].as_u64()), (200, Some(13)));
    assert_eq!(server.json("/ogc/collections/nope/items").0, 404);
    assert_eq!(
        server
            .json("/ogc/collections/districts/items/330102999999")
            .0,
        404
    );

    // the landing page, conformance and the OpenAPI document
    let (_, landing) = server.json("/ogc");
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(
            landing["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["rel"] == rel),
            "{rel}"
        );
    }
    let (_, conf) = server.json("/ogc/conformance");
    assert!(conf["conformsTo"].as_array().unwrap().iter().any(|c| c
        .as_str()
        .unwrap()
        .ends_with("ogcapi-features-2/1.0/conf/crs")));
    let (_, col) = server.json("/ogc/collections/townships");
    assert_eq!(
        col["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert!(col["crs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "http://www.opengis.net/def/crs/EPSG/0/4549"));
    let (_, doc) = server.json("/api/v1/openapi.json");
    assert!(doc["paths"]["/ogc/collections/{collectionId}/items"].is_object());
}
