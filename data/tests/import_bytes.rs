//! `import_bytes` reads the same records as `import_file` from the same content, and names
//! the input as given in its errors.

use std::path::Path;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_bytes, import_file, ImportFormat, ImportLayer};

fn both(format: ImportFormat, path: &Path, layer: Option<ImportLayer>) {
    let bytes = std::fs::read(path).unwrap();
    let from_file = import_file(format, path, layer, &InputCrs::Wgs84, &mut |_, _| {}).unwrap();
    let mut last = (0, 0);
    let from_bytes = import_bytes(
        format,
        "upload",
        &bytes,
        layer,
        &InputCrs::Wgs84,
        &mut |done, total| last = (done, total),
    )
    .unwrap();
    assert_eq!(from_file.summary, from_bytes.summary, "{}", path.display());
    assert!(from_bytes.summary.read > 0, "{}", path.display());
    assert_eq!(from_file.admin, from_bytes.admin);
    assert_eq!(from_file.facilities, from_bytes.facilities);
    assert_eq!(from_file.doorplates, from_bytes.doorplates);
    assert_eq!(from_file.landmarks, from_bytes.landmarks);
    assert_eq!(from_file.network, from_bytes.network);
    assert_eq!(last.0, last.1, "progress ends at its total");
}

#[test]
fn bytes_import_the_same_records_as_the_file() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = data.join("tests/fixtures");
    both(
        ImportFormat::Geojson,
        &fixtures.join("facilities.geojson"),
        Some(ImportLayer::Facilities),
    );
    both(
        ImportFormat::Geojson,
        &fixtures.join("admin.geojson"),
        Some(ImportLayer::Admin),
    );
    both(
        ImportFormat::Csv,
        &fixtures.join("doorplates.csv"),
        Some(ImportLayer::Doorplates),
    );
    both(
        ImportFormat::Csv,
        &fixtures.join("landmarks.csv"),
        Some(ImportLayer::Landmarks),
    );
    both(ImportFormat::Osm, &data.join("osm/helsinki.osm.pbf"), None);
}

#[test]
fn bytes_errors_name_the_input_and_gdal_needs_a_file() {
    let err = import_bytes(
        ImportFormat::Geojson,
        "upload.geojson",
        b"{\"type\":\"FeatureCollection\",\"features\":[",
        Some(ImportLayer::Facilities),
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("upload.geojson") && err.contains("malformed JSON"),
        "{err}"
    );
    let err = import_bytes(
        ImportFormat::Osm,
        "upload.pbf",
        b"",
        None,
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("upload.pbf") && err.contains("empty"), "{err}");
    let err = import_bytes(
        ImportFormat::Gdal,
        "upload.shp",
        b"",
        Some(ImportLayer::Facilities),
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("upload.shp") && err.contains("file"), "{err}");
}

/// Found by the `import_osm` fuzz target: a block whose coordinates overflow i64 in
/// osmpbf's `offset + granularity × value` panicked with overflow checks on (dev and test
/// builds; release builds wrap). osmpbf is built without overflow checks in every profile
/// (Cargo.toml), as in release, and the importer's range check drops the garbage nodes.
#[test]
fn osm_coordinates_that_overflow_are_dropped_not_a_panic() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz-osm-coordinate-overflow.pbf"),
    )
    .unwrap();
    let imported = import_bytes(
        ImportFormat::Osm,
        "overflow.pbf",
        &bytes,
        None,
        &InputCrs::Wgs84,
        &mut |_, _| {},
    )
    .unwrap();
    let net = imported.network.unwrap();
    net.validate().unwrap();
    assert!(net
        .nodes
        .iter()
        .all(|c| civmap_geo_core::check_lon_lat(c.x, c.y).is_ok()));
}
