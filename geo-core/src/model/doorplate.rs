use geo::Point;
use serde::{Deserialize, Serialize};

use super::AdminCode;

/// A doorplate (门牌): a road name and house number at a point, with who lives there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Doorplate {
    /// Stable numeric id, unique within the dataset.
    pub id: u64,
    /// Road name, e.g. `文三路`.
    pub road: String,
    /// House number on that road; odd numbers on one side, even on the other.
    pub number: u32,
    /// Location in WGS84 degrees.
    pub location: Point<f64>,
    /// Residents registered at this doorplate.
    pub residents: u32,
    /// Residents aged 60 and over.
    pub elderly: u32,
    /// Code of the community or village it lies in, when known.
    pub community: Option<AdminCode>,
    /// Whether the record is generated.
    pub synthetic: bool,
}

impl Doorplate {
    /// The address label, e.g. `文三路12号`.
    pub fn address(&self) -> String {
        format!("{}{}号", self.road, self.number)
    }
}
