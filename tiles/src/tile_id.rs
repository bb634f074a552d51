use std::f64::consts::PI;
use thiserror::Error;

/// A tile address that is not on the map.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileError {
    /// Zoom above the supported maximum.
    #[error("tile z={z}: zoom must be 0..={max}")]
    ZoomOutOfRange {
        /// The zoom given.
        z: u8,
        /// Highest zoom served.
        max: u8,
    },
    /// x or y not within 0..2^z.
    #[error("tile {z}/{x}/{y}: x and y must be below {limit} at zoom {z}")]
    XyOutOfRange {
        /// Zoom.
        z: u8,
        /// Column.
        x: u32,
        /// Row.
        y: u32,
        /// 2^z.
        limit: u32,
    },
}

/// A Web-Mercator (EPSG:3857, XYZ scheme) tile.
///
/// ```
/// use civmap_tiles::TileId;
/// let t = TileId::containing(120.155, 30.274, 12);
/// assert_eq!((t.z, t.x, t.y), (12, 3415, 1686));
/// let [w, s, e, n] = t.bounds_lon_lat();
/// assert!(w <= 120.155 && 120.155 <= e && s <= 30.274 && 30.274 <= n);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column, west to east.
    pub x: u32,
    /// Row, north to south.
    pub y: u32,
}

impl TileId {
    /// Highest zoom served.
    pub const MAX_ZOOM: u8 = 22;

    /// A checked tile address.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self, TileError> {
        if z > Self::MAX_ZOOM {
            return Err(TileError::ZoomOutOfRange {
                z,
                max: Self::MAX_ZOOM,
            });
        }
        let limit = 1u32 << z;
        if x >= limit || y >= limit {
            return Err(TileError::XyOutOfRange { z, x, y, limit });
        }
        Ok(Self { z, x, y })
    }

    /// The tile at zoom `z` containing a WGS84 point.
    pub fn containing(lon: f64, lat: f64, z: u8) -> Self {
        let n = f64::from(1u32 << z);
        let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, n - 1.0) as u32;
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n)
            .floor()
            .clamp(0.0, n - 1.0) as u32;
        Self { z, x, y }
    }

    /// `[west, south, east, north]` in degrees.
    pub fn bounds_lon_lat(&self) -> [f64; 4] {
        let n = f64::from(1u32 << self.z);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        [
            lon(f64::from(self.x)),
            lat(f64::from(self.y + 1)),
            lon(f64::from(self.x + 1)),
            lat(f64::from(self.y)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_tiles_off_the_map() {
        assert!(TileId::new(2, 4, 0).is_err());
        assert!(TileId::new(23, 0, 0).is_err());
        assert!(TileId::new(2, 3, 3).is_ok());
    }

    #[test]
    fn containing_tile_contains_the_point() {
        for &(lon, lat) in &[(120.1, 30.2), (-179.9, -80.0), (0.0, 0.0), (179.99, 85.0)] {
            for z in [0u8, 5, 14, 20] {
                let [w, s, e, n] = TileId::containing(lon, lat, z).bounds_lon_lat();
                assert!(
                    w <= lon && lon <= e && s <= lat && lat <= n,
                    "{lon},{lat} z{z}"
                );
            }
        }
    }
}
