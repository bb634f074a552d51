//! The data model: administrative units, facilities, doorplates and the walking network,
//! gathered in a [`Dataset`]. Every record says whether it is `synthetic` (generated) or real.

mod admin;
mod dataset;
mod doorplate;
mod error;
mod facility;
mod landmark;
mod layer;
mod network;

pub use admin::{AdminCode, AdminLevel, AdminUnit};
pub use dataset::{Dataset, DatasetCounts, DatasetMeta};
pub use doorplate::Doorplate;
pub use error::{check_lon_lat, ModelError};
pub use facility::{Facility, FacilityAttributes, FacilityCategory};
pub use landmark::Landmark;
pub use layer::Layer;
pub use network::{NodeId, WalkEdge, WalkNetwork};
