use thiserror::Error;

/// Why a coverage computation was refused or stopped. Every variant but
/// [`Self::Cancelled`] is a problem with the arguments, named so that an API layer can map
/// it to a 400/422.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoverageError {
    /// A time limit that is negative, NaN or infinite.
    #[error("minutes {minutes} is invalid: expected a finite number >= 0")]
    BadMinutes {
        /// The value given.
        minutes: f64,
    },
    /// A walking speed that is not a finite positive number.
    #[error("speed_m_per_s {speed_m_per_s} is invalid: expected a finite number > 0")]
    BadSpeed {
        /// The value given.
        speed_m_per_s: f64,
    },
    /// A source or scenario coordinate out of range or not finite.
    #[error("{param} ({lon}, {lat}) is out of range: longitude must be in [-180, 180] and latitude in [-90, 90]")]
    CoordinateOutOfRange {
        /// Which argument was wrong (`source`, `scenario add`, `scenario move`, `candidate`).
        param: &'static str,
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// The walking network has no edges, so nothing can be snapped to it.
    #[error("the walking network has no edges: walking coverage needs a network")]
    EmptyNetwork,
    /// A scenario names a facility record that is not among the category's sources.
    #[error("scenario {action} names record {record}, which is not a source of this category")]
    UnknownSource {
        /// `close` or `move`.
        action: &'static str,
        /// The record given.
        record: u32,
    },
    /// An area for siting names an admin code the dataset does not have (or none at all).
    #[error("area {code:?} is not an admin unit of this dataset")]
    UnknownArea {
        /// The code given (empty when no code was given).
        code: String,
    },
    /// The computation's [`super::Cancel`] token was cancelled or its deadline passed; no
    /// result (not even a partial one) is returned.
    #[error("the computation was cancelled (its caller gave up or its time budget ran out)")]
    Cancelled,
    /// A grid cell size that is not a finite number of metres > 0.
    #[error("cell_m {cell_m} is invalid: expected a finite number of metres > 0")]
    BadCellSize {
        /// The value given.
        cell_m: f64,
    },
}

pub(crate) fn check_lon_lat(param: &'static str, lon: f64, lat: f64) -> Result<(), CoverageError> {
    crate::model::check_lon_lat(lon, lat).map_err(|_| CoverageError::CoordinateOutOfRange {
        param,
        lon,
        lat,
    })
}
