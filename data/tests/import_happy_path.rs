//! Happy paths: each format imports its fixture into the model, and GCJ-02 input is shifted.

use std::path::{Path, PathBuf};

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer, Imported};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use geo::{Distance, Geodesic, Point};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn import(format: ImportFormat, path: &Path, layer: ImportLayer, crs: InputCrs) -> Imported {
    let mut last = (0, 0);
    let out = import_file(format, path, Some(layer), &crs, &mut |done, total| {
        last = (done, total)
    })
    .unwrap();
    assert_eq!(last.0, last.1, "progress ends at its total");
    out
}

#[test]
fn geojson_facilities_import_with_their_attributes() {
    let out = import(
        ImportFormat::Geojson,
        &fixture("facilities.geojson"),
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    assert_eq!(out.facilities.len(), 3);
    assert_eq!(out.summary.read, 3);
    assert_eq!(out.summary.imported, 3);
    assert!(out.summary.skipped.is_empty());
    let canteen = &out.facilities[0];
    assert_eq!(canteen.id, "f-1");
    assert_eq!(canteen.category, FacilityCategory::ElderCanteen);
    assert!(canteen.attributes.hub && canteen.attributes.delivery);
    assert_eq!(
        canteen.admin_code.as_ref().unwrap().as_str(),
        "330106001001"
    );
    assert_eq!(canteen.location, Point::new(120.1552, 30.2741));
    assert!(!canteen.synthetic);
    let home = &out.facilities[1];
    assert_eq!(home.id, "2", "numeric ids become strings");
    assert_eq!(
        (home.attributes.beds, home.attributes.nursing_beds),
        (Some(120), Some(80))
    );
    assert!(out.facilities[2].synthetic, "synthetic: true is kept");
    assert!(out.facilities[2].attributes.demonstration);
}

#[test]
fn geojson_admin_units_import_polygons_and_multipolygons() {
    let out = import(
        ImportFormat::Geojson,
        &fixture("admin.geojson"),
        ImportLayer::Admin,
        InputCrs::Wgs84,
    );
    assert_eq!(out.admin.len(), 2);
    let street = &out.admin[0];
    assert_eq!(street.level, AdminLevel::Township);
    assert_eq!(street.parent.as_ref().unwrap().as_str(), "330106000000");
    assert_eq!((street.population, street.elderly), (42000, 11000));
    assert_eq!(street.geometry.0.len(), 1);
    let village = &out.admin[1];
    assert_eq!(
        village.level,
        AdminLevel::Community,
        "NBS `village` reads as community"
    );
    assert_eq!(village.geometry.0.len(), 2);
}

#[test]
fn csv_doorplates_import_with_lng_column_and_house_numbers_like_12hao() {
    let out = import(
        ImportFormat::Csv,
        &fixture("doorplates.csv"),
        ImportLayer::Doorplates,
        InputCrs::Wgs84,
    );
    assert_eq!(out.doorplates.len(), 3);
    let d = &out.doorplates[0];
    assert_eq!(
        (d.id, d.road.as_str(), d.number, d.residents, d.elderly),
        (1, "文三路", 12, 6, 2)
    );
    assert_eq!(d.address(), "文三路12号");
    assert_eq!(d.location, Point::new(120.14, 30.279));
    assert!(
        out.doorplates[1].community.is_none(),
        "an empty cell is absent"
    );
    assert_eq!(out.summary.read, 3);
}

#[test]
fn csv_landmarks_import_with_longitude_latitude_columns() {
    let out = import(
        ImportFormat::Csv,
        &fixture("landmarks.csv"),
        ImportLayer::Landmarks,
        InputCrs::Wgs84,
    );
    let names: Vec<&str> = out.landmarks.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["断桥", "武林广场"]);
    assert_eq!(out.landmarks[0].kind, "bridge");
}

/// The usual WGS84 → GCJ-02 formula, written out here independently of the importer.
fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (lon + dlon, lat + dlat)
}

#[test]
fn gcj02_input_lands_about_500_m_from_the_same_numbers_read_as_wgs84() {
    let path = fixture("facilities.geojson");
    let as_wgs84 = import(
        ImportFormat::Geojson,
        &path,
        ImportLayer::Facilities,
        InputCrs::Wgs84,
    );
    let as_gcj02 = import(
        ImportFormat::Geojson,
        &path,
        ImportLayer::Facilities,
        InputCrs::Gcj02,
    );
    for (w, g) in as_wgs84.facilities.iter().zip(&as_gcj02.facilities) {
        let shift_m = Geodesic.distance(w.location, g.location);
        assert!(
            (300.0..700.0).contains(&shift_m),
            "{}: shifted {shift_m:.0} m",
            w.id
        );
        // Going forward again from the imported WGS84 point gives back the numbers in the file.
        let (lon, lat) = wgs84_to_gcj02(g.location.x(), g.location.y());
        assert!(
            (lon - w.location.x()).abs() < 1e-6 && (lat - w.location.y()).abs() < 1e-6,
            "{}",
            w.id
        );
    }
}

#[test]
fn gdal_without_the_feature_says_how_to_build_it() {
    if cfg!(feature = "gdal") {
        return;
    }
    let err = import_file(
        ImportFormat::Gdal,
        &fixture("admin.geojson"),
        Some(ImportLayer::Admin),
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--features gdal"), "{err}");
}
