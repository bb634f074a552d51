//! Doorplates (门牌) along the streets of each community: as many as its people need
//! (big urban buildings hold dozens of residents, village houses a family), odd numbers on
//! the left of the road's direction and even on the right, rising along the road; the
//! community's residents and elderly split over them exactly. No doorplate stands in
//! water: streets keep to dry land (bridges carry none), and a plate whose offset from the
//! street would land in water is placed again, so a community's residents all live on its
//! dry ground and the census totals stay exact.

use std::collections::HashMap;

use civmap_geo_core::Doorplate;
use geo::Point;
use geo::{Contains, Coord};
use rand::Rng;

use super::admin::CityPlan;
use super::plane::LocalPlane;
use super::streets::Streets;
use super::water::Water;
use super::{allocate_capped, allocate_exact, rng_for, GeneratorConfig, DOORPLATES_AT_SCALE_1};

/// Doorplates and their index by community.
#[derive(Debug)]
pub struct PlacedDoorplates {
    /// The records, in community order.
    pub records: Vec<Doorplate>,
    /// Indices into `records` per community.
    pub by_community: Vec<Vec<u32>>,
}

/// Residents per doorplate for an urban intensity (before normalising to the total).
fn persons_per_plate(urban: f64) -> f64 {
    4.0 + 60.0 * urban.clamp(0.0, 1.0).powf(1.5)
}

struct Pending {
    community: u32,
    road: u32,
    along: f64,
    left: bool,
    location: Coord<f64>,
}

/// Places the doorplates.
pub fn place(
    plan: &CityPlan,
    streets: &Streets,
    plane: &LocalPlane,
    water: &Water,
    cfg: &GeneratorConfig,
) -> PlacedDoorplates {
    let net = &streets.network;
    let pts = &streets.plane_nodes;
    let mut edges_of: Vec<Vec<u32>> = vec![Vec::new(); plan.communities.len()];
    for (ei, &c) in streets.edge_community.iter().enumerate() {
        if c != u32::MAX && net.edges[ei].road.is_some() {
            edges_of[c as usize].push(ei as u32);
        }
    }
    // road direction: the first edge of the road seen
    let mut road_dir: HashMap<u32, Coord<f64>> = HashMap::new();
    for e in &net.edges {
        if let Some(r) = e.road {
            road_dir.entry(r).or_insert_with(|| {
                let (a, b) = (pts[e.from as usize], pts[e.to as usize]);
                let l = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt().max(1e-9);
                Coord {
                    x: (b.x - a.x) / l,
                    y: (b.y - a.y) / l,
                }
            });
        }
    }
    let weights: Vec<f64> = plan
        .communities
        .iter()
        .map(|c| c.population as f64 / persons_per_plate(c.urban))
        .collect();
    let mut counts = allocate_exact(DOORPLATES_AT_SCALE_1 * u64::from(cfg.scale), &weights);
    for (n, c) in counts.iter_mut().zip(&plan.communities) {
        if *n == 0 && c.population > 0 {
            *n = 1;
        }
    }
    let mut pending: Vec<Pending> = Vec::with_capacity(counts.iter().sum::<u64>() as usize);
    let mut residents: Vec<u32> = Vec::with_capacity(pending.capacity());
    let mut elderly: Vec<u32> = Vec::with_capacity(pending.capacity());
    for (ci, c) in plan.communities.iter().enumerate() {
        let edges = &edges_of[ci];
        let n = counts[ci] as usize;
        if edges.is_empty() || n == 0 {
            continue;
        }
        let mut rng = rng_for(cfg.seed, "doorplates", ci as u64);
        let cum: Vec<f64> = edges
            .iter()
            .scan(0.0, |acc, &e| {
                *acc += net.edges[e as usize].length_m.max(1.0);
                Some(*acc)
            })
            .collect();
        let total = *cum.last().unwrap_or(&1.0);
        let mut wts = Vec::with_capacity(n);
        for _ in 0..n {
            // a street may cross into the next community: retry until the plate is inside
            let mut placed = None;
            for attempt in 0..12 {
                let x = rng.gen_range(0.0..total);
                let k = cum.partition_point(|&v| v < x).min(edges.len() - 1);
                let e = &net.edges[edges[k] as usize];
                let (a, b) = (pts[e.from as usize], pts[e.to as usize]);
                let t: f64 = rng.gen_range(0.08..0.92);
                let on = Coord {
                    x: a.x + t * (b.x - a.x),
                    y: a.y + t * (b.y - a.y),
                };
                let road = e.road.unwrap_or(0);
                let dir = road_dir[&road];
                let left = rng.gen_bool(0.5);
                let off = rng.gen_range(6.0..12.0) * if left { 1.0 } else { -1.0 };
                let location = Coord {
                    x: on.x - dir.y * off,
                    y: on.y + dir.x * off,
                };
                let dry = !water.is_wet(location);
                if attempt == 11 {
                    // last try: on the street itself if the offset is wet (streets are dry)
                    let location = if dry { location } else { on };
                    placed = Some((on, road, dir, left, location));
                    break;
                }
                placed = Some((on, road, dir, left, location));
                if dry && c.poly.contains(&Point(location)) {
                    break;
                }
            }
            let Some((on, road, dir, left, location)) = placed else {
                continue;
            };
            pending.push(Pending {
                community: ci as u32,
                road,
                along: on.x * dir.x + on.y * dir.y,
                left,
                location,
            });
            wts.push((0.5 * super::admin::normal(&mut rng)).exp());
        }
        let res = allocate_exact(c.population, &wts);
        let caps: Vec<u64> = res.clone();
        let eld = allocate_capped(
            c.elderly,
            &res.iter().map(|&r| r as f64).collect::<Vec<_>>(),
            &caps,
        );
        residents.extend(res.iter().map(|&r| r as u32));
        elderly.extend(eld.iter().map(|&e| e as u32));
    }
    // numbering: per road and side, rising along the road
    let mut numbers = vec![0u32; pending.len()];
    let mut by_road: HashMap<(u32, bool), Vec<u32>> = HashMap::new();
    for (i, p) in pending.iter().enumerate() {
        by_road.entry((p.road, p.left)).or_default().push(i as u32);
    }
    for ((_, left), mut idx) in by_road {
        idx.sort_by(|&a, &b| {
            pending[a as usize]
                .along
                .total_cmp(&pending[b as usize].along)
                .then(a.cmp(&b))
        });
        for (k, i) in idx.into_iter().enumerate() {
            numbers[i as usize] = if left {
                2 * k as u32 + 1
            } else {
                2 * k as u32 + 2
            };
        }
    }
    let mut by_community = vec![Vec::new(); plan.communities.len()];
    let records = pending
        .iter()
        .enumerate()
        .map(|(i, p)| {
            by_community[p.community as usize].push(i as u32);
            Doorplate {
                id: i as u64 + 1,
                road: net.road_names[p.road as usize].clone(),
                number: numbers[i],
                location: Point(plane.to_lon_lat(p.location)),
                residents: residents[i],
                elderly: elderly[i],
                community: Some(plan.communities[p.community as usize].row.code.clone()),
                synthetic: true,
            }
        })
        .collect();
    PlacedDoorplates {
        records,
        by_community,
    }
}
