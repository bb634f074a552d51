//! The one registry of civmap's data layers. Import, PostGIS push/load/follow, the
//! `/api/v1/layers` listing and the CLI all iterate [`Layer::ALL`] (or
//! [`Layer::RECORDS`]) instead of keeping their own lists, so a new layer is added in one
//! place and every consumer that matches on it exhaustively fails to compile until it
//! handles it.

use std::fmt;
use std::str::FromStr;

use super::{Dataset, ModelError};

/// A layer of a [`Dataset`].
///
/// ```
/// use civmap_geo_core::Layer;
/// assert_eq!("facilities".parse::<Layer>().unwrap(), Layer::Facilities);
/// assert_eq!(Layer::Admin.geometry_kind(), "polygon");
/// assert!(Layer::RECORDS.iter().all(|l| *l != Layer::Network));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// Administrative units: city, districts, townships, communities (polygons).
    Admin,
    /// Service facilities (points).
    Facilities,
    /// Doorplates (points).
    Doorplates,
    /// Named places that are not facilities (points).
    Landmarks,
    /// The walking network (nodes and edges).
    Network,
}

impl Layer {
    /// Every layer, in the order listings show them.
    pub const ALL: [Layer; 5] = [
        Self::Admin,
        Self::Facilities,
        Self::Doorplates,
        Self::Landmarks,
        Self::Network,
    ];

    /// The layers made of keyed records, edited one at a time (live PostGIS edits).
    pub const RECORDS: [Layer; 4] = [
        Self::Admin,
        Self::Facilities,
        Self::Doorplates,
        Self::Landmarks,
    ];

    /// The id used on the command line and in the API, e.g. `facilities`.
    pub fn id(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Facilities => "facilities",
            Self::Doorplates => "doorplates",
            Self::Landmarks => "landmarks",
            Self::Network => "network",
        }
    }

    /// `polygon`, `point` or `line`.
    pub fn geometry_kind(self) -> &'static str {
        match self {
            Self::Admin => "polygon",
            Self::Facilities | Self::Doorplates | Self::Landmarks => "point",
            Self::Network => "line",
        }
    }

    /// Records of the layer in a dataset (edges for the network).
    pub fn count(self, d: &Dataset) -> usize {
        match self {
            Self::Admin => d.admin.len(),
            Self::Facilities => d.facilities.len(),
            Self::Doorplates => d.doorplates.len(),
            Self::Landmarks => d.landmarks.len(),
            Self::Network => d.network.edges.len(),
        }
    }

    /// Whether any record of the layer is generated.
    pub fn any_synthetic(self, d: &Dataset) -> bool {
        match self {
            Self::Admin => d.admin.iter().any(|u| u.synthetic),
            Self::Facilities => d.facilities.iter().any(|f| f.synthetic),
            Self::Doorplates => d.doorplates.iter().any(|x| x.synthetic),
            Self::Landmarks => d.landmarks.iter().any(|x| x.synthetic),
            Self::Network => d.network.synthetic,
        }
    }

    /// The ids of every layer, comma-separated (for error messages).
    pub fn ids() -> String {
        Self::ALL.map(Layer::id).join(", ")
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Layer {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.id() == t)
            .ok_or_else(|| ModelError::UnknownLayer(s.to_owned()))
    }
}
