//! # civmap-tiles
//!
//! Web-Mercator tile maths for civmap's tile routes. Vector-tile encoding, per-zoom
//! generalisation and exports come with the tiles issue.

mod tile_id;

pub use tile_id::{TileError, TileId};
