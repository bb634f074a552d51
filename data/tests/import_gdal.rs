//! The GDAL importer against the GeoJSON importer on the same fixtures, through a GeoPackage
//! and a Shapefile written by `ogr2ogr` (gdal-bin). Needs `--features gdal`.
#![cfg(feature = "gdal")]

use std::path::{Path, PathBuf};
use std::process::Command;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer, Imported};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ogr2ogr(args: &[&str]) {
    let status = Command::new("ogr2ogr")
        .args(args)
        .status()
        .expect("ogr2ogr (apt-get install gdal-bin)");
    assert!(status.success(), "ogr2ogr {args:?}");
}

fn import(format: ImportFormat, path: &Path, layer: ImportLayer, crs: InputCrs) -> Imported {
    import_file(format, path, Some(layer), &crs, &mut |_, _| {}).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn geopackage_facilities_import_like_the_geojson_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("facilities.gpkg");
    let src = fixture("facilities.geojson");
    ogr2ogr(&["-f", "GPKG", gpkg.to_str().unwrap(), src.to_str().unwrap()]);
    let via_gdal = import(
        ImportFormat::Gdal,
        &gpkg,
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    let via_geojson = import(
        ImportFormat::Geojson,
        &src,
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    assert_eq!(via_gdal.facilities, via_geojson.facilities);
}

#[test]
fn geopackage_admin_polygons_import_like_the_geojson_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("admin.gpkg");
    let src = fixture("admin.geojson");
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-nlt",
        "MULTIPOLYGON",
        gpkg.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    let via_gdal = import(
        ImportFormat::Gdal,
        &gpkg,
        ImportLayer::Admin,
        InputCrs::Wgs84,
    );
    let via_geojson = import(
        ImportFormat::Geojson,
        &src,
        ImportLayer::Admin,
        InputCrs::Wgs84,
    );
    assert_eq!(via_gdal.admin, via_geojson.admin);
}

#[test]
fn shapefile_in_utm_is_transformed_by_its_prj_and_keeps_long_field_names() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("facilities.shp");
    let src = fixture("facilities.geojson");
    // EPSG:32651 is UTM zone 51N, which covers Hangzhou; the .prj says so.
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:32651",
        "-lco",
        "ENCODING=UTF-8",
        shp.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    let via_gdal = import(
        ImportFormat::Gdal,
        &shp,
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    let via_geojson = import(
        ImportFormat::Geojson,
        &src,
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    assert_eq!(via_gdal.facilities.len(), 3);
    for (g, j) in via_gdal.facilities.iter().zip(&via_geojson.facilities) {
        assert_eq!(
            (&g.id, &g.name, g.category, &g.admin_code),
            (&j.id, &j.name, j.category, &j.admin_code)
        );
        assert_eq!(
            g.attributes, j.attributes,
            "nursing_be/demonstrat read back as nursing_beds/demonstration"
        );
        assert!(
            close(g.location.x(), j.location.x()) && close(g.location.y(), j.location.y()),
            "{}: {:?} vs {:?}",
            g.id,
            g.location,
            j.location
        );
    }
}
