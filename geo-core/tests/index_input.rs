//! Bad arguments are errors that name what was wrong; empty layers answer with nothing.

use civmap_geo_core::index::{IndexError, PointIndex, SpatialIndex};
use civmap_geo_core::{Dataset, FacilityCategory};

fn empty() -> SpatialIndex {
    SpatialIndex::build(&Dataset::default())
}

#[test]
fn non_finite_or_out_of_range_coordinates_are_rejected() {
    let index = empty();
    let f = index.facilities();
    for (lon, lat) in [
        (f64::NAN, 30.0),
        (120.0, f64::INFINITY),
        (180.5, 0.0),
        (0.0, -90.5),
    ] {
        let bad =
            |e: IndexError| matches!(e, IndexError::CoordinateOutOfRange { param: "point", .. });
        assert!(bad(f.nearest(lon, lat, 1, None).unwrap_err()));
        assert!(bad(f.within(lon, lat, 10.0, None).unwrap_err()));
        assert!(bad(index.doorplates().nearest(lon, lat, 1).unwrap_err()));
        assert!(bad(index.admin_chain(lon, lat).unwrap_err()));
        assert!(matches!(
            f.bbox(lon, lat, 120.0, 30.0, None).unwrap_err(),
            IndexError::CoordinateOutOfRange {
                param: "min corner",
                ..
            }
        ));
    }
}

#[test]
fn negative_or_non_finite_radius_is_rejected() {
    let index = empty();
    for radius_m in [-1.0, f64::NAN, f64::INFINITY] {
        let e = index
            .facilities()
            .within(120.0, 30.0, radius_m, None)
            .unwrap_err();
        assert!(matches!(e, IndexError::BadRadius { .. }), "{radius_m}: {e}");
    }
}

#[test]
fn asking_for_zero_nearest_is_rejected() {
    let e = empty()
        .facilities()
        .nearest(120.0, 30.0, 0, None)
        .unwrap_err();
    assert_eq!(e, IndexError::ZeroK);
    assert_eq!(e.to_string(), "k must be at least 1");
}

#[test]
fn an_inverted_bbox_is_rejected() {
    let e = empty()
        .landmarks()
        .bbox(120.5, 30.0, 120.0, 30.5)
        .unwrap_err();
    assert!(matches!(e, IndexError::InvertedBbox { .. }));
}

#[test]
fn bad_input_is_rejected_even_when_the_filter_matches_nothing() {
    let none: &[FacilityCategory] = &[];
    let e = empty()
        .facilities()
        .within(120.0, 30.0, -5.0, Some(none))
        .unwrap_err();
    assert!(matches!(e, IndexError::BadRadius { .. }));
}

#[test]
fn empty_layers_answer_with_nothing() {
    let index = empty();
    assert!(index
        .facilities()
        .nearest(120.0, 30.0, 10, None)
        .unwrap()
        .is_empty());
    assert!(index
        .facilities()
        .within(120.0, 30.0, 1e6, None)
        .unwrap()
        .is_empty());
    assert!(index
        .facilities()
        .bbox(-180.0, -90.0, 180.0, 90.0, None)
        .unwrap()
        .is_empty());
    assert!(index.admin_chain(120.0, 30.0).unwrap().is_empty());
}

#[test]
fn records_with_invalid_coordinates_are_left_out_of_the_index() {
    let layer =
        PointIndex::bulk_load([(0, [f64::NAN, 30.0]), (1, [120.0, 30.0]), (2, [200.0, 0.0])]);
    assert_eq!(layer.len(), 1);
    assert_eq!(layer.nearest(0.0, 0.0, 5).unwrap().len(), 1);
}
