//! Facilities get one tree per category besides the all-categories tree, because almost
//! every facility query names a category: a per-category tree answers it without visiting
//! (or filtering out) the other eleven categories.

use crate::{Facility, FacilityCategory};

use super::error::{check_bbox, check_k, check_point, check_radius};
use super::point::{sort_hits, Hit, PointIndex};
use super::IndexError;

/// The facility layer's trees: all categories, and one per [`FacilityCategory`].
///
/// A `filter` of `None` means every category; `Some(&[..])` keeps the listed categories
/// (duplicates are ignored; an empty list matches nothing). Records are indices into
/// [`Dataset::facilities`](crate::Dataset::facilities); ties are broken by record index.
#[derive(Debug, Clone, Default)]
pub struct FacilityIndex {
    all: PointIndex,
    /// In [`FacilityCategory::ALL`] order.
    by_category: Vec<PointIndex>,
}

fn slot(category: FacilityCategory) -> usize {
    FacilityCategory::ALL
        .iter()
        .position(|&c| c == category)
        .expect("every category is in FacilityCategory::ALL")
}

fn record(i: usize) -> u32 {
    u32::try_from(i).expect("a layer holds at most u32::MAX records")
}

impl FacilityIndex {
    /// Bulk-loads the trees from the facility layer.
    ///
    /// # Panics
    /// If the layer holds more than `u32::MAX` records.
    pub fn build(facilities: &[Facility]) -> Self {
        let mut buckets: Vec<Vec<(u32, [f64; 2])>> = vec![Vec::new(); FacilityCategory::ALL.len()];
        for (i, f) in facilities.iter().enumerate() {
            buckets[slot(f.category)].push((record(i), [f.location.x(), f.location.y()]));
        }
        let all = PointIndex::bulk_load(buckets.iter().flatten().copied());
        let by_category = buckets.into_iter().map(PointIndex::bulk_load).collect();
        Self { all, by_category }
    }

    /// Indexes one more facility as record `record` (a live edit).
    pub fn insert(&mut self, record: u32, facility: &Facility) {
        let xy = [facility.location.x(), facility.location.y()];
        self.all.insert(record, xy);
        self.by_category[slot(facility.category)].insert(record, xy);
    }

    /// Removes record `record`, indexed as `facility` (its category and location as they
    /// were when indexed); `false` if it was not there.
    pub fn remove(&mut self, record: u32, facility: &Facility) -> bool {
        let xy = [facility.location.x(), facility.location.y()];
        let a = self.all.remove(record, xy);
        let b = self.by_category[slot(facility.category)].remove(record, xy);
        a && b
    }

    /// The all-categories tree.
    pub fn all(&self) -> &PointIndex {
        &self.all
    }

    /// The tree of one category.
    pub fn category(&self, category: FacilityCategory) -> &PointIndex {
        &self.by_category[slot(category)]
    }

    /// The trees that together hold exactly the records the filter keeps (disjoint).
    fn trees(&self, filter: Option<&[FacilityCategory]>) -> Vec<&PointIndex> {
        match filter {
            None => vec![&self.all],
            Some(categories) => {
                let mut slots: Vec<usize> = categories.iter().map(|&c| slot(c)).collect();
                slots.sort_unstable();
                slots.dedup();
                slots.into_iter().map(|s| &self.by_category[s]).collect()
            }
        }
    }

    /// Facilities inside the box (edges included), sorted by record index.
    pub fn bbox(
        &self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
        filter: Option<&[FacilityCategory]>,
    ) -> Result<Vec<u32>, IndexError> {
        check_bbox(min_lon, min_lat, max_lon, max_lat)?;
        let mut out = Vec::new();
        for tree in self.trees(filter) {
            out.extend(tree.bbox(min_lon, min_lat, max_lon, max_lat)?);
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Facilities at most `radius_m` geodesic metres away, ordered by `(distance_m, record)`.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        filter: Option<&[FacilityCategory]>,
    ) -> Result<Vec<Hit>, IndexError> {
        check_point("point", lon, lat)?;
        check_radius(radius_m)?;
        let mut out = Vec::new();
        for tree in self.trees(filter) {
            out.extend(tree.within(lon, lat, radius_m)?);
        }
        sort_hits(&mut out);
        Ok(out)
    }

    /// The `k` geodesically nearest facilities, ordered by `(distance_m, record)`.
    ///
    /// With several categories each tree gives its own exact `k` nearest; the overall `k`
    /// nearest are among them, since the trees are disjoint.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        filter: Option<&[FacilityCategory]>,
    ) -> Result<Vec<Hit>, IndexError> {
        check_point("point", lon, lat)?;
        check_k(k)?;
        let mut out = Vec::new();
        for tree in self.trees(filter) {
            out.extend(tree.nearest(lon, lat, k)?);
        }
        sort_hits(&mut out);
        out.truncate(k);
        Ok(out)
    }
}
