//! Bad input: every error names the file, the place in it (feature index and id, or file
//! line) and the field, so that a user can fix the file without guessing.

use std::io::Write;
use std::path::Path;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer};
use civmap_data::DataError;

/// Writes `content` to a temporary file with `suffix` and imports it; returns the error, the
/// file name as it should appear, and the error as text.
fn import_err(
    format: ImportFormat,
    suffix: &str,
    content: &[u8],
    layer: Option<ImportLayer>,
) -> (DataError, String, String) {
    let mut file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    file.write_all(content).unwrap();
    file.flush().unwrap();
    let err =
        import_file(format, file.path(), layer, &InputCrs::Wgs84, &mut |_, _| {}).unwrap_err();
    let text = err.to_string();
    (err, file.path().display().to_string(), text)
}

fn geojson_err(features: &str, layer: ImportLayer) -> (DataError, String, String) {
    let doc = format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#);
    import_err(
        ImportFormat::Geojson,
        ".geojson",
        doc.as_bytes(),
        Some(layer),
    )
}

fn csv_err(content: &str, layer: ImportLayer) -> (DataError, String, String) {
    import_err(ImportFormat::Csv, ".csv", content.as_bytes(), Some(layer))
}

/// Asserts a `DataError::Invalid` at `at` about `field`, naming the file.
fn assert_invalid(err: &DataError, file: &str, text: &str, at: &str, field: Option<&str>) {
    match err {
        DataError::Invalid {
            file: f,
            at: a,
            field: fl,
            ..
        } => {
            assert_eq!(f, file, "{text}");
            assert!(a.starts_with(at), "expected at {at:?}: {text}");
            assert_eq!(fl.as_deref(), field, "{text}");
        }
        other => panic!("expected DataError::Invalid, got {other:?}"),
    }
    assert!(text.contains(file) && text.contains(at), "{text}");
    if let Some(field) = field {
        assert!(text.contains(&format!("field {field:?}")), "{text}");
    }
}

const CANTEEN: &str = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[120.15,30.27]},"properties":{"id":"a","name":"食堂","category":"elder_canteen"}}"#;

#[test]
fn geojson_malformed_json_names_line_and_column() {
    let (err, file, text) = import_err(
        ImportFormat::Geojson,
        ".geojson",
        b"{\"type\":\"FeatureCollection\",\n\"features\": [ {,] }",
        Some(ImportLayer::Facilities),
    );
    assert_invalid(&err, &file, &text, "line 2 column", None);
    assert!(text.contains("malformed JSON"), "{text}");
}

#[test]
fn geojson_that_is_not_a_feature_collection_names_the_type_field() {
    let (err, file, text) = import_err(
        ImportFormat::Geojson,
        ".geojson",
        br#"{"type":"Point","coordinates":[120.1,30.2]}"#,
        Some(ImportLayer::Facilities),
    );
    assert_invalid(&err, &file, &text, "file", Some("type"));
    assert!(text.contains("FeatureCollection"), "{text}");
}

#[test]
fn geojson_without_layer_names_the_layer_flag() {
    let (_, _, text) = import_err(
        ImportFormat::Geojson,
        ".geojson",
        br#"{"type":"FeatureCollection","features":[]}"#,
        None,
    );
    assert!(text.contains("--layer"), "{text}");
}

#[test]
fn geojson_facility_with_a_linestring_names_feature_and_geometry() {
    let line = CANTEEN.replace(
        r#""type":"Point","coordinates":[120.15,30.27]"#,
        r#""type":"LineString","coordinates":[[120.15,30.27],[120.16,30.27]]"#,
    );
    let (err, file, text) = geojson_err(
        &format!("{CANTEEN},{}", line.replace("\"a\"", "\"b\"")),
        ImportLayer::Facilities,
    );
    assert_invalid(&err, &file, &text, "feature 1 (id \"b\")", Some("geometry"));
    assert!(
        text.contains("expected a Point") && text.contains("LineString"),
        "{text}"
    );
}

#[test]
fn geojson_admin_unit_given_as_a_point_names_feature_and_geometry() {
    let unit = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[120.15,30.27]},"properties":{"code":"330106001000","name":"北山街道"}}"#;
    let (err, file, text) = geojson_err(unit, ImportLayer::Admin);
    assert_invalid(
        &err,
        &file,
        &text,
        "feature 0 (code \"330106001000\")",
        Some("geometry"),
    );
    assert!(text.contains("Polygon"), "{text}");
}

#[test]
fn geojson_feature_without_geometry_names_feature_and_geometry() {
    let f = CANTEEN.replace(r#"{"type":"Point","coordinates":[120.15,30.27]}"#, "null");
    let (err, file, text) = geojson_err(&f, ImportLayer::Facilities);
    assert_invalid(&err, &file, &text, "feature 0 (id \"a\")", Some("geometry"));
    assert!(text.contains("missing geometry"), "{text}");
}

#[test]
fn geojson_longitude_200_names_feature_and_geometry() {
    let (err, file, text) = geojson_err(
        &CANTEEN.replace("120.15,30.27", "200,30.27"),
        ImportLayer::Facilities,
    );
    assert_invalid(&err, &file, &text, "feature 0 (id \"a\")", Some("geometry"));
    assert!(text.contains("out of range"), "{text}");
}

#[test]
fn geojson_latitude_95_names_feature_and_geometry() {
    let (err, file, text) = geojson_err(
        &CANTEEN.replace("120.15,30.27", "120.15,95"),
        ImportLayer::Facilities,
    );
    assert_invalid(&err, &file, &text, "feature 0 (id \"a\")", Some("geometry"));
    assert!(text.contains("out of range"), "{text}");
}

#[test]
fn csv_nan_latitude_names_line_and_column() {
    let (err, file, text) = csv_err(
        "id,name,lon,lat\nlm-1,断桥,120.15,NaN\n",
        ImportLayer::Landmarks,
    );
    assert_invalid(&err, &file, &text, "line 2", Some("lon/lat"));
    assert!(text.contains("not a finite number"), "{text}");
}

#[test]
fn geojson_facility_with_unknown_category_names_feature_and_field() {
    let (err, file, text) = geojson_err(
        &CANTEEN.replace("elder_canteen", "karaoke"),
        ImportLayer::Facilities,
    );
    assert_invalid(&err, &file, &text, "feature 0 (id \"a\")", Some("category"));
    assert!(
        text.contains("karaoke")
            && text.contains("elder_canteen")
            && text.contains("funeral_service"),
        "{text}"
    );
}

#[test]
fn geojson_duplicate_id_names_the_second_feature_and_the_first() {
    let (err, file, text) = geojson_err(&format!("{CANTEEN},{CANTEEN}"), ImportLayer::Facilities);
    assert_invalid(&err, &file, &text, "feature 1 (id \"a\")", Some("id"));
    assert!(
        text.contains("duplicate") && text.contains("feature 0"),
        "{text}"
    );
}

#[test]
fn geojson_broken_12_digit_code_names_feature_and_field() {
    let f = CANTEEN.replace(r#""category""#, r#""admin_code":"33010600100","category""#);
    let (err, file, text) = geojson_err(&f, ImportLayer::Facilities);
    assert_invalid(
        &err,
        &file,
        &text,
        "feature 0 (id \"a\")",
        Some("admin_code"),
    );
    assert!(text.contains("12-digit"), "{text}");
}

#[test]
fn geojson_beds_given_as_text_names_feature_and_field() {
    let f = CANTEEN.replace(
        r#""category":"elder_canteen""#,
        r#""category":"elder_care_institution","beds":"many""#,
    );
    let (err, file, text) = geojson_err(&f, ImportLayer::Facilities);
    assert_invalid(&err, &file, &text, "feature 0 (id \"a\")", Some("beds"));
}

#[test]
fn geojson_doorplate_with_more_elderly_than_residents_names_feature_and_field() {
    let d = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[120.15,30.27]},"properties":{"id":7,"road":"文三路","number":"12号","residents":2,"elderly":3}}"#;
    let (err, file, text) = geojson_err(d, ImportLayer::Doorplates);
    assert_invalid(&err, &file, &text, "feature 0 (id \"7\")", Some("elderly"));
    assert!(text.contains("exceeds residents"), "{text}");
}

#[test]
fn csv_doorplate_with_more_elderly_than_residents_names_line_and_column() {
    let (err, file, text) = csv_err(
        "id,road,number,lon,lat,residents,elderly\n1,文三路,12,120.15,30.27,2,3\n",
        ImportLayer::Doorplates,
    );
    assert_invalid(&err, &file, &text, "line 2", Some("elderly"));
}

#[test]
fn csv_without_a_longitude_column_names_the_header_line_and_lon() {
    let (err, file, text) = csv_err("id,name,lat\nlm-1,断桥,30.25\n", ImportLayer::Landmarks);
    assert_invalid(&err, &file, &text, "line 1", Some("lon"));
    assert!(text.contains("longitude"), "{text}");
}

#[test]
fn csv_non_numeric_latitude_on_line_3_names_line_and_column() {
    let (err, file, text) = csv_err(
        "id,name,lon,lat\nlm-1,断桥,120.15,30.25\nlm-2,广场,120.16,north\n",
        ImportLayer::Landmarks,
    );
    assert_invalid(&err, &file, &text, "line 3", Some("lat"));
    assert!(text.contains("\"north\""), "{text}");
}

#[test]
fn csv_row_with_too_few_columns_names_line_and_first_missing_column() {
    let (err, file, text) = csv_err(
        "id,name,lon,lat\nlm-1,断桥,120.15,30.25\n\nlm-2,广场,120.16\n",
        ImportLayer::Landmarks,
    );
    assert_invalid(&err, &file, &text, "line 4", Some("lat"));
    assert!(text.contains("expected 4 columns"), "{text}");
}

#[test]
fn csv_admin_layer_asks_for_geojson_or_gdal() {
    let (_, _, text) = csv_err("code,name\n330106001000,北山街道\n", ImportLayer::Admin);
    assert!(
        text.contains("admin boundaries need geometry: use GeoJSON or GDAL"),
        "{text}"
    );
}

#[test]
fn osm_garbage_file_names_the_file_and_the_blob() {
    let (err, file, text) = import_err(
        ImportFormat::Osm,
        ".osm.pbf",
        b"this is not a protobuf at all, just text\n",
        None,
    );
    assert_invalid(&err, &file, &text, "blob 0", None);
    assert!(text.contains("not a valid OSM PBF"), "{text}");
}

#[test]
fn osm_truncated_file_names_the_file_and_the_blob() {
    let real =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("osm/helsinki.osm.pbf")).unwrap();
    let (err, file, text) =
        import_err(ImportFormat::Osm, ".osm.pbf", &real[..real.len() / 2], None);
    assert_invalid(&err, &file, &text, "blob ", None);
    assert!(text.contains("not a valid OSM PBF"), "{text}");
}
