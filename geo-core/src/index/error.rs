use thiserror::Error;

/// Why an index query was refused. Queries never fail on good input: every variant is a
/// problem with the arguments, named so that an API layer can map it to a 400/422.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexError {
    /// A longitude outside [-180, 180] or latitude outside [-90, 90], or one that is not
    /// finite. `param` names the argument pair (`point`, `min corner`, `max corner`).
    #[error("{param} ({lon}, {lat}) is out of range: longitude must be in [-180, 180] and latitude in [-90, 90]")]
    CoordinateOutOfRange {
        /// Which argument pair was wrong.
        param: &'static str,
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A bounding box whose minimum corner is east or north of its maximum corner.
    /// Boxes across the antimeridian are not supported: query the two halves.
    #[error("bbox ({min_lon}, {min_lat}, {max_lon}, {max_lat}) is inverted: expected min_lon <= max_lon and min_lat <= max_lat")]
    InvertedBbox {
        /// West edge given.
        min_lon: f64,
        /// South edge given.
        min_lat: f64,
        /// East edge given.
        max_lon: f64,
        /// North edge given.
        max_lat: f64,
    },
    /// A search radius that is negative, NaN or infinite.
    #[error("radius_m {radius_m} is invalid: expected a finite number of metres >= 0")]
    BadRadius {
        /// The radius given, in metres.
        radius_m: f64,
    },
    /// A nearest-neighbour query asking for zero results.
    #[error("k must be at least 1")]
    ZeroK,
}

pub(crate) fn check_point(param: &'static str, lon: f64, lat: f64) -> Result<(), IndexError> {
    crate::model::check_lon_lat(lon, lat).map_err(|_| IndexError::CoordinateOutOfRange {
        param,
        lon,
        lat,
    })
}

pub(crate) fn check_bbox(
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
) -> Result<(), IndexError> {
    check_point("min corner", min_lon, min_lat)?;
    check_point("max corner", max_lon, max_lat)?;
    if min_lon <= max_lon && min_lat <= max_lat {
        Ok(())
    } else {
        Err(IndexError::InvertedBbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }
}

pub(crate) fn check_radius(radius_m: f64) -> Result<(), IndexError> {
    if radius_m.is_finite() && radius_m >= 0.0 {
        Ok(())
    } else {
        Err(IndexError::BadRadius { radius_m })
    }
}

pub(crate) fn check_k(k: usize) -> Result<(), IndexError> {
    if k == 0 {
        Err(IndexError::ZeroK)
    } else {
        Ok(())
    }
}
