//! Cutting a city into partitions that a batch job computes separately, with results that
//! are exactly those of the whole city.
//!
//! A partition owns the doorplates of one district (those whose community has the district
//! among its ancestors) and carries, around their bounding box, a halo of the network and
//! the facilities. Why the halo is enough, for a walking budget of `r` metres:
//! - a doorplate is covered when `offset(doorplate→its edge) + path + offset(facility→its
//!   edge) ≤ r`; every piece of that walk lies within `r` of the doorplate (a network
//!   distance is never shorter than the straight line), so the facilities that can cover it
//!   are within `r` of the box;
//! - each facility snaps to its nearest edge; for one that can cover anything that edge is
//!   within `r` of the facility, so within `2 r` of the box. The network halo is therefore
//!   `2 r` (edges whose bounding box touches the box grown by `2 r`), the facility halo
//!   `r`; with them every snap and every path within the budget is the one of the whole
//!   city. A facility outside the network halo may snap elsewhere in the partition, but
//!   only to an edge farther than its own nearest one, which is beyond `r`;
//! - the admin units are all kept (without geometry, which coverage does not read), so
//!   the roll-up of a doorplate to its units is the city's.
//!
//! The degrees of the halo are taken at the box's latitude farthest from the equator (where
//! a degree of longitude is shortest), so the halo is never narrower than `r` metres.
//!
//! ```
//! use civmap_geo_core::coverage::{partition, partition_districts};
//! let city = civmap_geo_core::Dataset::default();
//! assert!(partition_districts(&city).is_empty());
//! ```

use std::collections::{HashMap, HashSet};

use geo::{Coord, MultiPolygon, Point};

use super::metres_per_degree;
use crate::{AdminCode, AdminLevel, Dataset, WalkNetwork};

/// The district codes of `dataset`, in dataset order: one partition each.
pub fn partition_districts(dataset: &Dataset) -> Vec<AdminCode> {
    dataset
        .admin_at_level(AdminLevel::District)
        .map(|u| u.code.clone())
        .collect()
}

/// Whether admin unit `code` is `district` or lies under it (following parents, cycle-safe).
fn under(
    parents: &HashMap<&AdminCode, &AdminCode>,
    code: &AdminCode,
    district: &AdminCode,
) -> bool {
    let mut cur = code;
    for _ in 0..=parents.len() {
        if cur == district {
            return true;
        }
        match parents.get(cur) {
            Some(p) => cur = p,
            None => return false,
        }
    }
    false
}

/// The units of `dataset` that are `district` or lie under it (their rows belong to its
/// partition).
pub fn units_in_district(dataset: &Dataset, district: &AdminCode) -> HashSet<AdminCode> {
    let parents = parent_map(dataset);
    dataset
        .admin
        .iter()
        .filter(|u| under(&parents, &u.code, district))
        .map(|u| u.code.clone())
        .collect()
}

fn parent_map(dataset: &Dataset) -> HashMap<&AdminCode, &AdminCode> {
    dataset
        .admin
        .iter()
        .filter_map(|u| u.parent.as_ref().map(|p| (&u.code, p)))
        .collect()
}

/// A box in degrees: `[min_lon, min_lat, max_lon, max_lat]`.
type Box2 = [f64; 4];

fn grow(b: Box2, r_m: f64) -> Box2 {
    let far_lat = b[1].abs().max(b[3].abs()).min(89.0);
    let (m_per_deg_lon, m_per_deg_lat) = metres_per_degree(far_lat);
    // 1 % more than the metres asked, against the rounding of the degrees
    let (dlon, dlat) = (1.01 * r_m / m_per_deg_lon, 1.01 * r_m / m_per_deg_lat);
    [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat]
}

fn contains(b: &Box2, p: Coord<f64>) -> bool {
    p.x >= b[0] && p.x <= b[2] && p.y >= b[1] && p.y <= b[3]
}

fn touches(b: &Box2, a: Coord<f64>, c: Coord<f64>) -> bool {
    a.x.min(c.x) <= b[2] && a.x.max(c.x) >= b[0] && a.y.min(c.y) <= b[3] && a.y.max(c.y) >= b[1]
}

/// The partition of `district` for a walking budget of `budget_m` metres: its doorplates
/// (dataset order), the facilities within `budget_m` of their box, the network within
/// `2 × budget_m` (nodes renumbered, edge order kept), every admin unit without geometry.
/// A district without doorplates gives a partition without doorplates, facilities or
/// network.
pub fn partition(dataset: &Dataset, district: &AdminCode, budget_m: f64) -> Dataset {
    let parents = parent_map(dataset);
    let doorplates: Vec<_> = dataset
        .doorplates
        .iter()
        .filter(|d| {
            d.community
                .as_ref()
                .is_some_and(|c| under(&parents, c, district))
        })
        .cloned()
        .collect();
    let admin = dataset
        .admin
        .iter()
        .map(|u| {
            let mut u = u.clone();
            u.geometry = MultiPolygon(Vec::new());
            u
        })
        .collect();
    let mut part = Dataset {
        meta: dataset.meta.clone(),
        admin,
        facilities: Vec::new(),
        doorplates,
        landmarks: Vec::new(),
        network: WalkNetwork {
            nodes: Vec::new(),
            edges: Vec::new(),
            road_names: dataset.network.road_names.clone(),
            synthetic: dataset.network.synthetic,
        },
    };
    let Some(own) = bounds(part.doorplates.iter().map(|d| d.location)) else {
        return part;
    };
    let facility_box = grow(own, budget_m);
    part.facilities = dataset
        .facilities
        .iter()
        .filter(|f| contains(&facility_box, f.location.0))
        .cloned()
        .collect();
    let network_box = grow(own, 2.0 * budget_m);
    let nodes = &dataset.network.nodes;
    let mut renumber: HashMap<u32, u32> = HashMap::new();
    for e in &dataset.network.edges {
        let (a, b) = (nodes[e.from as usize], nodes[e.to as usize]);
        if !touches(&network_box, a, b) {
            continue;
        }
        let mut node = |old: u32| {
            *renumber.entry(old).or_insert_with(|| {
                part.network.nodes.push(nodes[old as usize]);
                (part.network.nodes.len() - 1) as u32
            })
        };
        let (from, to) = (node(e.from), node(e.to));
        let mut kept = *e;
        kept.from = from;
        kept.to = to;
        part.network.edges.push(kept);
    }
    part
}

fn bounds(points: impl Iterator<Item = Point<f64>>) -> Option<Box2> {
    points.fold(None, |acc, p| {
        let (x, y) = (p.x(), p.y());
        Some(match acc {
            None => [x, y, x, y],
            Some(b) => [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)],
        })
    })
}
