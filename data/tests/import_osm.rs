//! The OSM importer on a real extract of central Helsinki (`data/osm/helsinki.osm.pbf`,
//! ODbL © OpenStreetMap contributors).
//!
//! How the expected numbers were obtained: by running the importer, then recounting
//! independently with osmium-tool 1.15 and a 40-line Python script:
//! ```text
//! osmium fileinfo -e helsinki.osm.pbf             # 24260 nodes, 5130 ways, 620 relations
//! osmium check-refs helsinki.osm.pbf              # 4525 way nodes missing (the extract clips ways)
//! osmium tags-filter helsinki.osm.pbf w/highway -o hw.pbf   # 2650 ways, 6910 nodes present
//! osmium cat hw.pbf -f opl -o hw.opl
//! ```
//! The script read `hw.opl`, applied the walkability rules (2,473 of 2,650 highway ways kept:
//! 48 platforms, 45 areas, 34 foot=no, 29 private/no access, … left out), and counted way
//! nodes present in the file (5,867), consecutive pairs of present, distinct nodes (6,875
//! edges), pairs with a missing end (724), distinct names (94) and nodes of degree ≠ 2
//! (2,563 intersections and dead ends). Every number agreed with the importer's.

use std::path::PathBuf;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer, Imported};

fn helsinki() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("osm/helsinki.osm.pbf")
}

fn import(layer: Option<ImportLayer>) -> Imported {
    let size = std::fs::metadata(helsinki()).unwrap().len();
    let mut last = (0, 0);
    let out = import_file(
        ImportFormat::Osm,
        &helsinki(),
        layer,
        &InputCrs::Wgs84,
        &mut |done, total| {
            assert!(done <= total);
            last = (done, total);
        },
    )
    .unwrap();
    assert_eq!(
        last,
        (2 * size, 2 * size),
        "progress counts the bytes of both passes"
    );
    out
}

#[test]
fn helsinki_walking_network_has_the_counts_osmium_confirms() {
    let out = import(Some(ImportLayer::Network));
    let net = out.network.as_ref().unwrap();
    assert_eq!(net.nodes.len(), 5867);
    assert_eq!(net.edges.len(), 6875);
    assert_eq!(net.intersection_count(), 2563);
    assert_eq!(net.road_names.len(), 94);
    assert_eq!(
        out.summary.skipped["way references node missing from file"],
        724
    );
    assert_eq!(out.summary.counts["nodes"], 24260);
    assert_eq!(out.summary.counts["highway ways"], 2650);
    assert_eq!(out.summary.counts["walkable ways"], 2473);
    assert_eq!(out.summary.read, 24260 + 5130);
    assert!(
        out.landmarks.is_empty() && out.facilities.is_empty(),
        "--layer network is the network only"
    );
    assert!(!net.synthetic);
}

#[test]
fn helsinki_walking_network_validates_and_is_tens_of_km_long() {
    let out = import(Some(ImportLayer::Network));
    let net = out.network.unwrap();
    net.validate().unwrap();
    let km = net.total_length_m() / 1000.0;
    assert!((50.0..150.0).contains(&km), "{km:.1} km");
    assert!(net
        .edges
        .iter()
        .all(|e| e.length_m > 0.0 && e.length_m < 2000.0));
    // every node lies in the extract's box (lon 24.935–24.953, lat 60.164–60.179, give or take
    // the clipped ways' last nodes)
    assert!(net
        .nodes
        .iter()
        .all(|c| (24.9..25.0).contains(&c.x) && (60.15..60.19).contains(&c.y)));
}

#[test]
fn helsinki_road_names_include_mannerheimintie_and_aleksanterinkatu() {
    let out = import(Some(ImportLayer::Network));
    let net = out.network.unwrap();
    for name in ["Mannerheimintie", "Aleksanterinkatu"] {
        assert!(net.road_names.iter().any(|n| n == name), "{name} missing");
    }
    let mut sorted = net.road_names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        net.road_names.len(),
        "each name is interned once"
    );
    let named = net
        .edges
        .iter()
        .filter(|e| net.road_name(e) == Some("Aleksanterinkatu"))
        .count();
    assert!(named > 5, "{named} Aleksanterinkatu edges");
}

#[test]
fn helsinki_pois_become_landmarks_and_facilities() {
    let out = import(None);
    assert!(out.network.is_some());
    assert_eq!(out.landmarks.len(), 1476);
    assert_eq!(out.facilities.len(), 8);
    let station = out
        .landmarks
        .iter()
        .find(|l| l.kind == "railway=station" || l.kind == "public_transport=station");
    assert!(station.is_some(), "a station");
    assert!(out.landmarks.iter().any(|l| l.kind == "amenity=cafe"));
    assert!(out
        .landmarks
        .iter()
        .all(|l| l.id.starts_with("osm:") && !l.name.is_empty() && !l.synthetic));
    let luckan = out.facilities.iter().find(|f| f.name == "Luckan").unwrap();
    assert_eq!(luckan.id, "osm:node/4751244149");
    assert_eq!(luckan.category.id(), "neighbourhood_centre");
    assert_eq!(luckan.address, "Simonkatu 8");
    let only_pois = import(Some(ImportLayer::Landmarks));
    assert!(only_pois.network.is_none() && only_pois.facilities.is_empty());
    assert_eq!(only_pois.landmarks.len(), 1476);
}
