use crate::Dataset;

use super::admin::AdminIndex;
use super::facility::FacilityIndex;
use super::point::PointIndex;
use super::IndexError;

/// Every spatial index of a [`Dataset`], built in one call: facilities (all and per
/// category), doorplates, landmarks and admin polygons.
///
/// Record indices are positions in the dataset's layer `Vec`s, so the index holds no copy
/// of the records except the admin polygons it tests points against.
#[derive(Debug, Clone, Default)]
pub struct SpatialIndex {
    facilities: FacilityIndex,
    doorplates: PointIndex,
    landmarks: PointIndex,
    admin: AdminIndex,
}

fn points<'a>(
    locations: impl Iterator<Item = &'a geo::Point<f64>> + 'a,
) -> impl Iterator<Item = (u32, [f64; 2])> + 'a {
    locations.enumerate().map(|(i, p)| {
        (
            u32::try_from(i).expect("a layer holds at most u32::MAX records"),
            [p.x(), p.y()],
        )
    })
}

impl SpatialIndex {
    /// Bulk-loads every tree from the dataset.
    ///
    /// # Panics
    /// If a layer holds more than `u32::MAX` records.
    pub fn build(dataset: &Dataset) -> Self {
        Self {
            facilities: FacilityIndex::build(&dataset.facilities),
            doorplates: PointIndex::bulk_load(points(
                dataset.doorplates.iter().map(|d| &d.location),
            )),
            landmarks: PointIndex::bulk_load(points(dataset.landmarks.iter().map(|l| &l.location))),
            admin: AdminIndex::build(&dataset.admin),
        }
    }

    /// Facilities: indices into [`Dataset::facilities`].
    pub fn facilities(&self) -> &FacilityIndex {
        &self.facilities
    }

    /// Doorplates: indices into [`Dataset::doorplates`].
    pub fn doorplates(&self) -> &PointIndex {
        &self.doorplates
    }

    /// Landmarks: indices into [`Dataset::landmarks`].
    pub fn landmarks(&self) -> &PointIndex {
        &self.landmarks
    }

    /// Admin polygons: indices into [`Dataset::admin`].
    pub fn admin(&self) -> &AdminIndex {
        &self.admin
    }

    /// Facilities, for live edits.
    pub fn facilities_mut(&mut self) -> &mut FacilityIndex {
        &mut self.facilities
    }

    /// Doorplates, for live edits.
    pub fn doorplates_mut(&mut self) -> &mut PointIndex {
        &mut self.doorplates
    }

    /// Landmarks, for live edits.
    pub fn landmarks_mut(&mut self) -> &mut PointIndex {
        &mut self.landmarks
    }

    /// Rebuilds the admin polygon index (after an admin unit changed).
    pub fn rebuild_admin(&mut self, admin: &[crate::AdminUnit]) {
        self.admin = AdminIndex::build(admin);
    }

    /// Shorthand for [`AdminIndex::chain`]: the units holding a point, city first.
    pub fn admin_chain(&self, lon: f64, lat: f64) -> Result<Vec<u32>, IndexError> {
        self.admin.chain(lon, lat)
    }
}
