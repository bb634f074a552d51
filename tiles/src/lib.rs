//! # civmap-tiles
//!
//! Mapbox Vector Tiles for civmap's map: tile maths ([`TileId`], [`mercator`]), the MVT 2.1
//! encoder ([`mvt`]), clipping that leaves OGC-valid polygons ([`clip`]), shared-border
//! generalisation of the admin units ([`topology`]), the layer contract ([`layers`]),
//! TileJSON ([`tilejson`]), the byte-bounded cache ([`cache`]), PMTiles (through the
//! `pmtiles` crate) and MBTiles export ([`export`]), and the one stable hash behind ETags
//! and string feature ids ([`hash`]).
//!
//! ```
//! use civmap_tiles::mvt::{LayerBuilder, TileGeometry, Value};
//! let mut layer = LayerBuilder::new("admin");
//! layer.add_feature(Some(1), &TileGeometry::Polygons(vec![vec![vec![[0, 0], [10, 0], [10, 10]]]]),
//!     &[("name", Value::from("西湖区"))]);
//! let mut tile = Vec::new();
//! layer.finish_into(&mut tile);
//! assert_eq!(tile[0], 0x1a); // field 3 (layers), length-delimited
//! ```

pub mod cache;
pub mod clip;
pub mod export;
pub mod hash;
pub mod layers;
pub mod mercator;
pub mod mvt;
mod tile_id;
pub mod tilejson;
pub mod topology;

pub use layers::{render_tile, PolygonFeature, TileInputs, TileSet};
pub use tile_id::{TileError, TileId};
pub use topology::AdminTopology;
