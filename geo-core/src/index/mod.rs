//! Spatial indexes over a [`Dataset`](crate::Dataset), with exact geodesic answers.
//!
//! Why it looks like this:
//! - **One bulk-loaded R-tree per layer and per facility category.** Data is loaded once and
//!   read many times, so `bulk_load` (packed, shallow trees) beats incremental inserts, and
//!   nearly every facility query names a category: its own tree answers without skipping
//!   the other categories' points.
//! - **Geodesic metres, as PostGIS `geography`.** Trees work in degrees; distances are
//!   [`geodesic_distance_m`]: Karney's algorithm on the WGS84 ellipsoid (what PostGIS uses
//!   for `ST_Distance(geography, geography)` with its default `use_spheroid = true`), with a
//!   mid-latitude shortcut for short distances that stays within 0.1 mm of it.
//!   Degree windows are derived from the radius by a provable bound (see `search_window`),
//!   so the tree only pre-filters and the geodesic test decides: `within` and `nearest`
//!   give the same records, order and distances as a brute-force scan.
//! - **Deterministic ties.** Hits are ordered by `(distance_m, record index)`; a point on a
//!   shared admin border belongs to one unit per level by a documented rule
//!   ([`AdminIndex`]).
//! - **Records are `u32` indices** into the dataset's layer `Vec`s: small trees, no clones.
//!
//! ```
//! use civmap_geo_core::index::SpatialIndex;
//! use civmap_geo_core::{Dataset, Facility, FacilityAttributes, FacilityCategory};
//! use geo::Point;
//!
//! let facility = |id: &str, category, lon, lat| Facility {
//!     id: id.into(),
//!     name: id.into(),
//!     category,
//!     location: Point::new(lon, lat),
//!     address: String::new(),
//!     admin_code: None,
//!     attributes: FacilityAttributes::default(),
//!     synthetic: true,
//! };
//! let dataset = Dataset {
//!     facilities: vec![
//!         facility("a", FacilityCategory::ElderCanteen, 120.150, 30.270),
//!         facility("b", FacilityCategory::ChildrenHome, 120.151, 30.270),
//!         facility("c", FacilityCategory::ElderCanteen, 120.160, 30.280),
//!     ],
//!     ..Dataset::default()
//! };
//! let index = SpatialIndex::build(&dataset);
//! let canteens = Some(&[FacilityCategory::ElderCanteen][..]);
//!
//! // The two canteens, nearest first, with geodesic distances in metres.
//! let near = index.facilities().nearest(120.151, 30.270, 2, canteens)?;
//! assert_eq!(near.iter().map(|h| h.0).collect::<Vec<_>>(), [0, 2]);
//! assert!((near[0].1 - 96.3).abs() < 0.5);
//!
//! // Everything within 200 m, any category.
//! let close = index.facilities().within(120.1505, 30.270, 200.0, None)?;
//! assert_eq!(close.len(), 2);
//!
//! // A box, sorted by record index.
//! assert_eq!(index.facilities().bbox(120.0, 30.0, 120.155, 30.5, None)?, [0, 1]);
//!
//! // Bad input is an error, not a panic.
//! assert!(index.facilities().nearest(f64::NAN, 30.0, 1, None).is_err());
//! # Ok::<(), civmap_geo_core::index::IndexError>(())
//! ```

mod admin;
mod banded_polygon;
mod error;
mod facility;
mod geodesic_fast;
mod point;
mod search_window;
mod spatial;

pub use admin::AdminIndex;
pub use error::IndexError;
pub use facility::FacilityIndex;
pub use geodesic_fast::geodesic_distance_m;
pub use point::{Hit, PointIndex};
pub use spatial::SpatialIndex;
