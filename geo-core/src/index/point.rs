//! The one R-tree every point layer shares.
//!
//! Facilities (all and per category), doorplates and landmarks are all "a point with a
//! record index", so they share this core; only the choice of tree differs.

use geo::Point;

use super::geodesic_fast::geodesic_distance_m;
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use super::error::{check_bbox, check_k, check_point, check_radius};
use super::search_window::radius_windows;
use super::IndexError;

/// A tree entry: `[lon, lat]` in WGS84 degrees and the record's index in its layer.
pub(crate) type PointEntry = GeomWithData<[f64; 2], u32>;

/// A hit of a distance query: the record index and its geodesic distance in metres.
pub type Hit = (u32, f64);

/// A bulk-loaded R-tree over the points of one layer (or one facility category).
///
/// Records are named by their `u32` index in the layer's `Vec` in the [`Dataset`](crate::Dataset);
/// distances are geodesic metres on WGS84 ([`Geodesic`], Karney's algorithm). Results are
/// ordered by `(distance_m, record)`, so ties between records at the same distance — for
/// instance two facilities at one address — are broken by the lower record index.
///
/// ```
/// use civmap_geo_core::index::PointIndex;
/// let index = PointIndex::bulk_load([(0, [120.15, 30.27]), (1, [120.16, 30.27])]);
/// let hits = index.nearest(120.151, 30.27, 1)?;
/// assert_eq!(hits[0].0, 0);
/// assert!((hits[0].1 - 96.3).abs() < 0.5);
/// # Ok::<(), civmap_geo_core::index::IndexError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PointIndex {
    tree: RTree<PointEntry>,
}

/// Geodesic distance from the query point to a tree entry, always in this argument order so
/// that the index and a brute-force scan computing `Geodesic.distance(query, record)` agree
/// to the last bit.
fn distance_m(query: Point<f64>, entry: &PointEntry) -> f64 {
    let [x, y] = *entry.geom();
    geodesic_distance_m(query, Point::new(x, y))
}

fn by_distance_then_record(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
}

/// Sorts hits by `(distance_m, record)`.
pub(crate) fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(by_distance_then_record);
}

impl PointIndex {
    /// Bulk-loads `(record, [lon, lat])` pairs. Points with a non-finite or out-of-range
    /// coordinate are left out: no query can find them.
    pub fn bulk_load(points: impl IntoIterator<Item = (u32, [f64; 2])>) -> Self {
        let entries: Vec<PointEntry> = points
            .into_iter()
            .filter(|(_, [lon, lat])| check_point("point", *lon, *lat).is_ok())
            .map(|(record, xy)| GeomWithData::new(xy, record))
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Adds one point (rstar's incremental insert, for live edits after the bulk load).
    /// A non-finite or out-of-range point is left out, as in [`Self::bulk_load`].
    pub fn insert(&mut self, record: u32, lon_lat: [f64; 2]) {
        if check_point("point", lon_lat[0], lon_lat[1]).is_ok() {
            self.tree.insert(GeomWithData::new(lon_lat, record));
        }
    }

    /// Removes the point `record` was indexed at; `false` if it was not there.
    pub fn remove(&mut self, record: u32, lon_lat: [f64; 2]) -> bool {
        self.tree
            .remove(&GeomWithData::new(lon_lat, record))
            .is_some()
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Records inside the box (edges included), sorted by record index.
    pub fn bbox(
        &self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
    ) -> Result<Vec<u32>, IndexError> {
        self.bbox_where(min_lon, min_lat, max_lon, max_lat, |_| true)
    }

    /// [`bbox`](Self::bbox) keeping only records for which `keep(record)` is true.
    pub fn bbox_where(
        &self,
        min_lon: f64,
        min_lat: f64,
        max_lon: f64,
        max_lat: f64,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, IndexError> {
        check_bbox(min_lon, min_lat, max_lon, max_lat)?;
        let envelope = AABB::from_corners([min_lon, min_lat], [max_lon, max_lat]);
        let mut out: Vec<u32> = self
            .tree
            .locate_in_envelope(&envelope)
            .map(|e| e.data)
            .filter(|&r| keep(r))
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// Records at most `radius_m` geodesic metres from `(lon, lat)` (the boundary included,
    /// as PostGIS `ST_DWithin` on geography), ordered by `(distance_m, record)`.
    pub fn within(&self, lon: f64, lat: f64, radius_m: f64) -> Result<Vec<Hit>, IndexError> {
        self.within_where(lon, lat, radius_m, |_| true)
    }

    /// [`within`](Self::within) keeping only records for which `keep(record)` is true.
    pub fn within_where(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        keep: impl FnMut(u32) -> bool,
    ) -> Result<Vec<Hit>, IndexError> {
        check_point("point", lon, lat)?;
        check_radius(radius_m)?;
        let mut hits = self.within_unchecked(lon, lat, radius_m, keep);
        sort_hits(&mut hits);
        Ok(hits)
    }

    /// Unsorted hits within `radius_m`; arguments already checked.
    fn within_unchecked(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        let query = Point::new(lon, lat);
        let mut hits = Vec::new();
        for window in radius_windows(lon, lat, radius_m) {
            for entry in self.tree.locate_in_envelope(&window) {
                if keep(entry.data) {
                    let d = distance_m(query, entry);
                    if d <= radius_m {
                        hits.push((entry.data, d));
                    }
                }
            }
        }
        hits
    }

    /// The record nearest to `(lon, lat)` if one lies within `max_m` geodesic metres, else
    /// `None`. Why not [`nearest`](Self::nearest) then a distance check: from far outside
    /// the data (Shanghai, or 0,0) the first neighbour is 100+ km away and the exact second
    /// step scans every record within that radius (0.3–1.4 s for 500k doorplates); bounding
    /// the radius first keeps that query as cheap as one inside the city.
    pub fn nearest_within(
        &self,
        lon: f64,
        lat: f64,
        max_m: f64,
    ) -> Result<Option<Hit>, IndexError> {
        check_point("point", lon, lat)?;
        check_radius(max_m)?;
        // the planar nearest bounds the geodesic one (as in `nearest_where`); the exact step
        // then reads only records within the smaller of that bound and `max_m`
        let Some(first) = self.tree.nearest_neighbor(&[lon, lat]) else {
            return Ok(None);
        };
        let bound_m = distance_m(Point::new(lon, lat), first).min(max_m);
        let mut hits = self.within_unchecked(lon, lat, bound_m, |_| true);
        sort_hits(&mut hits);
        Ok(hits.first().copied())
    }

    /// The `k` records geodesically nearest to `(lon, lat)`, ordered by
    /// `(distance_m, record)`; fewer when the layer holds fewer than `k`.
    pub fn nearest(&self, lon: f64, lat: f64, k: usize) -> Result<Vec<Hit>, IndexError> {
        self.nearest_where(lon, lat, k, |_| true)
    }

    /// [`nearest`](Self::nearest) among records for which `keep(record)` is true.
    ///
    /// The R-tree orders neighbours by planar distance in degrees, which is not geodesic
    /// order. So the search runs in two exact steps: the first `k` planar neighbours are
    /// `k` real records, and the largest of their geodesic distances is an upper bound on
    /// the true `k`-th distance; then every record within that bound (a radius query with a
    /// provably conservative degree window) is ranked by its geodesic distance. Ties at the
    /// `k`-th place are therefore resolved by record index, as in a brute-force scan.
    pub fn nearest_where(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Result<Vec<Hit>, IndexError> {
        check_point("point", lon, lat)?;
        check_k(k)?;
        let query = Point::new(lon, lat);
        let mut first: Vec<Hit> = Vec::with_capacity(k.min(1024));
        for entry in self.tree.nearest_neighbor_iter(&[lon, lat]) {
            if keep(entry.data) {
                first.push((entry.data, distance_m(query, entry)));
                if first.len() == k {
                    break;
                }
            }
        }
        if first.len() < k {
            // Every kept record has been seen: they are the answer.
            sort_hits(&mut first);
            return Ok(first);
        }
        let bound_m = first.iter().map(|h| h.1).fold(0.0, f64::max);
        let mut hits = self.within_unchecked(lon, lat, bound_m, keep);
        sort_hits(&mut hits);
        hits.truncate(k);
        Ok(hits)
    }
}
