use serde::{Deserialize, Serialize};

use super::{AdminLevel, AdminUnit, Doorplate, Facility, Landmark, WalkNetwork};

/// Where a dataset came from and how it was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetMeta {
    /// Human name, e.g. `Hangzhou (embedded default)`.
    pub name: String,
    /// Seed of the synthetic generator, when generated.
    pub seed: Option<u64>,
    /// Scale factor of the synthetic generator, when generated.
    pub scale: Option<u32>,
    /// Attribution lines for every source the data came from.
    pub attribution: Vec<String>,
}

/// Every layer civmap serves, in memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Provenance.
    pub meta: DatasetMeta,
    /// Administrative units of every level.
    pub admin: Vec<AdminUnit>,
    /// Service facilities.
    pub facilities: Vec<Facility>,
    /// Doorplates.
    pub doorplates: Vec<Doorplate>,
    /// Named places that are not facilities (e.g. OSM POIs).
    #[serde(default)]
    pub landmarks: Vec<Landmark>,
    /// The walking network.
    pub network: WalkNetwork,
}

/// Record counts per layer, as `/health` and `/api/v1/layers` report them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetCounts {
    /// Admin units of all levels.
    pub admin: usize,
    /// Facilities.
    pub facilities: usize,
    /// Doorplates.
    pub doorplates: usize,
    /// Landmarks (named POIs).
    pub landmarks: usize,
    /// Network nodes.
    pub network_nodes: usize,
    /// Network edges.
    pub network_edges: usize,
}

impl Dataset {
    /// Record counts per layer.
    pub fn counts(&self) -> DatasetCounts {
        DatasetCounts {
            admin: self.admin.len(),
            facilities: self.facilities.len(),
            doorplates: self.doorplates.len(),
            landmarks: self.landmarks.len(),
            network_nodes: self.network.nodes.len(),
            network_edges: self.network.edges.len(),
        }
    }

    /// Admin units of one level, in dataset order.
    pub fn admin_at_level(&self, level: AdminLevel) -> impl Iterator<Item = &AdminUnit> {
        self.admin.iter().filter(move |u| u.level == level)
    }
}
