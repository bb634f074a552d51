use thiserror::Error;

/// What is wrong with a value that should belong to the model.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ModelError {
    /// A statistical division code that is not exactly 12 ASCII digits.
    #[error("admin code {0:?}: expected 12 digits")]
    BadAdminCode(String),
    /// An administrative level name that is none of city, district, township, community.
    #[error("admin level {0:?}: expected one of city, district, township, community")]
    BadAdminLevel(String),
    /// A facility category id not in the API contract's list.
    #[error("unknown facility category {0:?}; known: {known}", known = super::FacilityCategory::ids().join(", "))]
    UnknownCategory(String),
    /// A layer id that is none of admin, facilities, doorplates, landmarks, network.
    #[error("unknown layer {0:?}; expected one of {known}", known = super::Layer::ids())]
    UnknownLayer(String),
    /// A longitude outside [-180, 180] or latitude outside [-90, 90], or not finite.
    #[error("coordinate ({lon}, {lat}) is out of range: longitude must be in [-180, 180] and latitude in [-90, 90]")]
    CoordinateOutOfRange {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A network edge naming a node index that does not exist.
    #[error("network edge {edge} refers to node {node}, but the network has {nodes} nodes")]
    DanglingEdge {
        /// Index of the edge.
        edge: usize,
        /// The missing node index.
        node: u32,
        /// Number of nodes in the network.
        nodes: usize,
    },
}

/// Checks that a WGS84 coordinate is finite and within range.
pub fn check_lon_lat(lon: f64, lat: f64) -> Result<(), ModelError> {
    if lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
    {
        Ok(())
    } else {
        Err(ModelError::CoordinateOutOfRange { lon, lat })
    }
}
