//! Web-Mercator "world" coordinates: the unit square, x east and y south, in which a tile at
//! zoom z is a square of side 2^-z. Generalisation tolerances and tile transforms are linear
//! here, so geometry is projected once when layers are built and never again per request.

use std::f64::consts::PI;

use crate::mvt::EXTENT;
use crate::TileId;

/// Highest latitude Web Mercator shows.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// `[x, y]` in the unit square for a WGS84 point.
///
/// ```
/// let [x, y] = civmap_tiles::mercator::world(0.0, 0.0);
/// assert!((x - 0.5).abs() < 1e-12 && (y - 0.5).abs() < 1e-12);
/// ```
pub fn world(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    [x, y]
}

/// The WGS84 point of a world coordinate.
pub fn lon_lat(world: [f64; 2]) -> [f64; 2] {
    let lon = world[0] * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * world[1])).sinh().atan().to_degrees();
    [lon, lat]
}

/// Maps world coordinates into one tile's coordinates (0..extent, y down).
#[derive(Debug, Clone, Copy)]
pub struct TileTransform {
    scale: f64,
    x0: f64,
    y0: f64,
}

impl TileTransform {
    /// The transform of `tile` at [`EXTENT`].
    pub fn new(tile: TileId) -> Self {
        let n = f64::from(1u32 << tile.z);
        Self {
            scale: n * f64::from(EXTENT),
            x0: f64::from(tile.x),
            y0: f64::from(tile.y),
        }
    }

    /// Tile coordinates (unrounded) of a world point.
    #[inline]
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        let e = f64::from(EXTENT);
        [
            p[0] * self.scale - self.x0 * e,
            p[1] * self.scale - self.y0 * e,
        ]
    }

    /// World-unit width of one tile-coordinate unit.
    pub fn world_per_unit(&self) -> f64 {
        1.0 / self.scale
    }
}

/// The world-coordinate box `[min_x, min_y, max_x, max_y]` of a tile grown by `buffer`
/// tile units on each side.
pub fn tile_world_box(tile: TileId, buffer: u32) -> [f64; 4] {
    let n = f64::from(1u32 << tile.z);
    let b = f64::from(buffer) / f64::from(EXTENT);
    [
        (f64::from(tile.x) - b) / n,
        (f64::from(tile.y) - b) / n,
        (f64::from(tile.x) + 1.0 + b) / n,
        (f64::from(tile.y) + 1.0 + b) / n,
    ]
}

/// `[west, south, east, north]` degrees of a world box.
pub fn world_box_lon_lat(b: [f64; 4]) -> [f64; 4] {
    let [w, n] = lon_lat([b[0].max(0.0), b[1].max(0.0)]);
    let [e, s] = lon_lat([b[2].min(1.0), b[3].min(1.0)]);
    [w, s, e, n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_round_trips_and_matches_tile_bounds() {
        let [x, y] = world(120.155, 30.274);
        let [lon, lat] = lon_lat([x, y]);
        assert!((lon - 120.155).abs() < 1e-9 && (lat - 30.274).abs() < 1e-9);
        let t = TileId::containing(120.155, 30.274, 12);
        let p = TileTransform::new(t).apply([x, y]);
        assert!((0.0..4096.0).contains(&p[0]) && (0.0..4096.0).contains(&p[1]));
        let b = world_box_lon_lat(tile_world_box(t, 0));
        let tb = t.bounds_lon_lat();
        for i in 0..4 {
            assert!((b[i] - tb[i]).abs() < 1e-9);
        }
    }
}
