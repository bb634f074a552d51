//! Input coordinates → WGS84, checked on both sides of the conversion: a longitude of 200
//! is a mistake in the file, not something for the transformer to extrapolate from.

use civmap_geo_core::check_lon_lat;
use geo::Coord;

use crate::crs::{CrsTransformer, InputCrs};
use crate::DataError;

/// Converts input coordinates to WGS84 and checks them.
#[derive(Debug)]
pub(super) struct CoordConv {
    transformer: CrsTransformer,
    /// Whether input coordinates are degrees (and so can be range-checked before conversion).
    geographic: bool,
}

impl CoordConv {
    pub(super) fn new(crs: &InputCrs) -> Result<Self, DataError> {
        let geographic = match crs {
            InputCrs::Wgs84 | InputCrs::Cgcs2000 | InputCrs::Gcj02 | InputCrs::Bd09 => true,
            InputCrs::Epsg(code) => matches!(code, 4326 | 4490 | 4258 | 4269 | 4283 | 4617),
        };
        Ok(Self {
            transformer: crs.transformer()?,
            geographic,
        })
    }

    /// Converts `c` (as given in the file) to WGS84; errors name `file`, `at` and `field`.
    pub(super) fn to_wgs84(
        &self,
        c: Coord<f64>,
        file: &str,
        at: &str,
        field: &str,
    ) -> Result<Coord<f64>, DataError> {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(DataError::invalid(
                file,
                at,
                Some(field),
                format!("coordinate ({}, {}) is not a finite number", c.x, c.y),
            ));
        }
        if self.geographic {
            check_lon_lat(c.x, c.y)
                .map_err(|e| DataError::invalid(file, at, Some(field), e.to_string()))?;
        }
        let out = if self.transformer.is_identity() {
            c
        } else {
            self.transformer
                .to_wgs84(c)
                .map_err(|e| DataError::invalid(file, at, Some(field), e.to_string()))?
        };
        check_lon_lat(out.x, out.y).map_err(|e| {
            DataError::invalid(
                file,
                at,
                Some(field),
                format!("after conversion to WGS84: {e}"),
            )
        })?;
        Ok(out)
    }
}
