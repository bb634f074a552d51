//! The walking network: per township a street grid rotated, jittered and thinned by how
//! urban the place is (blocks of ~110 m in the core, ~450 m of village roads in the
//! hills); links across township borders; every district stitched into one connected
//! network; arterials (大道) between neighbouring districts; a lane into any community the
//! grid missed.

use std::collections::{HashMap, HashSet};

use civmap_geo_core::WalkNetwork;
use geo::{BoundingRect, Contains, Coord, InteriorPoint, Intersects, MapCoords, Point};
use rand::Rng;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::admin::CityPlan;
use super::names::RoadNamer;
use super::plane::LocalPlane;
use super::{rng_for, GeneratorConfig};
use crate::DataError;

/// The network plus what later steps need to know about it.
#[derive(Debug)]
pub struct Streets {
    /// The network in WGS84.
    pub network: WalkNetwork,
    /// Node positions in plane metres.
    pub plane_nodes: Vec<Coord<f64>>,
    /// For each edge, the index of the community its midpoint lies in (`u32::MAX`: none).
    pub edge_community: Vec<u32>,
}

/// Street spacing in metres for an urban intensity, before scaling.
pub fn spacing_m(urban: f64) -> f64 {
    80.0 + 168.0 * (1.0 - urban.clamp(0.0, 1.0)).powi(2)
}

type NodePt = GeomWithData<[f64; 2], u32>;

struct Builder<'a> {
    plan: &'a CityPlan,
    plane: &'a LocalPlane,
    net: WalkNetwork,
    pts: Vec<Coord<f64>>,
    node_district: Vec<u32>,
    node_township: Vec<u32>,
    namers: Vec<RoadNamer>,
    road_ids: HashMap<String, u32>,
}

impl Builder<'_> {
    fn node(&mut self, p: Coord<f64>, district: u32, township: u32) -> u32 {
        self.pts.push(p);
        self.node_district.push(district);
        self.node_township.push(township);
        self.net.add_node(self.plane.to_lon_lat(p))
    }

    fn road(&mut self, name: &str) -> u32 {
        if let Some(&r) = self.road_ids.get(name) {
            return r;
        }
        let r = self.net.intern_road(name);
        self.road_ids.insert(name.to_owned(), r);
        r
    }
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Builds the network over the plan.
pub fn build(
    plan: &CityPlan,
    plane: &LocalPlane,
    cfg: &GeneratorConfig,
) -> Result<Streets, DataError> {
    let mut b = Builder {
        plan,
        plane,
        net: WalkNetwork {
            synthetic: true,
            ..WalkNetwork::default()
        },
        pts: Vec::new(),
        node_district: Vec::new(),
        node_township: Vec::new(),
        namers: (0..plan.districts.len())
            .map(|_| RoadNamer::new())
            .collect(),
        road_ids: HashMap::new(),
    };
    let scale_k = f64::from(cfg.scale).sqrt();
    let mut township_spacing = vec![0.0; plan.townships.len()];
    for (ti, t) in plan.townships.iter().enumerate() {
        let mut rng = rng_for(cfg.seed, "streets", ti as u64);
        let urban = if t.communities.is_empty() {
            plan.field.at(t.seed)
        } else {
            t.communities
                .iter()
                .map(|&c| plan.communities[c].urban)
                .sum::<f64>()
                / t.communities.len() as f64
        };
        let s = spacing_m(urban) / scale_k;
        township_spacing[ti] = s;
        grid(&mut b, ti, s, urban, &mut rng);
    }
    stitch_townships(&mut b, &township_spacing);
    connect_districts_internally(&mut b);
    arterials(&mut b, cfg);
    let edge_community = assign_edges_and_fill(&mut b);
    b.net
        .validate()
        .map_err(|e| DataError::invalid("generator", "network", None, e.to_string()))?;
    Ok(Streets {
        network: b.net,
        plane_nodes: b.pts,
        edge_community,
    })
}

fn grid(b: &mut Builder<'_>, ti: usize, s: f64, urban: f64, rng: &mut impl Rng) {
    let t = &b.plan.townships[ti];
    let theta: f64 = rng.gen_range(-0.45..0.45);
    let (sin, cos) = theta.sin_cos();
    let o = t.seed;
    let to_grid = |c: Coord<f64>| {
        let (dx, dy) = (c.x - o.x, c.y - o.y);
        Coord {
            x: dx * cos + dy * sin,
            y: -dx * sin + dy * cos,
        }
    };
    let from_grid = |c: Coord<f64>| Coord {
        x: o.x + c.x * cos - c.y * sin,
        y: o.y + c.x * sin + c.y * cos,
    };
    let Some(r) = t.poly.map_coords(to_grid).bounding_rect() else {
        return;
    };
    let nx = ((r.width() / s).ceil() as usize).max(1) + 1;
    let ny = ((r.height() / s).ceil() as usize).max(1) + 1;
    let jitter_line = 0.12 * s;
    let xs: Vec<f64> = (0..nx)
        .map(|i| r.min().x + (i as f64 + 0.3) * s + rng.gen_range(-jitter_line..jitter_line))
        .collect();
    let ys: Vec<f64> = (0..ny)
        .map(|j| r.min().y + (j as f64 + 0.3) * s + rng.gen_range(-jitter_line..jitter_line))
        .collect();
    let keep = 1.0 - 0.3 * (1.0 - urban).powi(2);
    let drop = 0.03 + 0.2 * (1.0 - urban).powi(2);
    let district = t.district as u32;
    let mut ids = vec![u32::MAX; nx * ny];
    for j in 0..ny {
        for i in 0..nx {
            let jit = 0.06 * s;
            let g = Coord {
                x: xs[i] + rng.gen_range(-jit..jit),
                y: ys[j] + rng.gen_range(-jit..jit),
            };
            let p = from_grid(g);
            if rng.gen::<f64>() < keep && t.poly.contains(&Point(p)) {
                ids[j * nx + i] = b.node(p, district, ti as u32);
            }
        }
    }
    let mut row_names: Vec<Option<u32>> = vec![None; ny];
    let mut col_names: Vec<Option<u32>> = vec![None; nx];
    for j in 0..ny {
        for i in 0..nx {
            let a = ids[j * nx + i];
            if a == u32::MAX {
                continue;
            }
            for (di, dj) in [(1usize, 0usize), (0, 1)] {
                let (i2, j2) = (i + di, j + dj);
                if i2 >= nx || j2 >= ny {
                    continue;
                }
                let c = ids[j2 * nx + i2];
                if c == u32::MAX || rng.gen::<f64>() < drop {
                    continue;
                }
                let (pa, pc) = (b.pts[a as usize], b.pts[c as usize]);
                let mid = Coord {
                    x: (pa.x + pc.x) / 2.0,
                    y: (pa.y + pc.y) / 2.0,
                };
                if !t.poly.contains(&Point(mid)) {
                    continue;
                }
                let slot = if di == 1 {
                    &mut row_names[j]
                } else {
                    &mut col_names[i]
                };
                let road = match *slot {
                    Some(r) => r,
                    None => {
                        let name = b.namers[district as usize].next(rng);
                        let r = b.road(&name);
                        *slot = Some(r);
                        r
                    }
                };
                b.net.add_edge(a, c, Some(road));
            }
        }
    }
}

fn rtree_of(pts: &[Coord<f64>]) -> RTree<NodePt> {
    RTree::bulk_load(
        pts.iter()
            .enumerate()
            .map(|(i, p)| NodePt::new([p.x, p.y], i as u32))
            .collect(),
    )
}

/// Links border nodes of each township to the nearest node across the border.
fn stitch_townships(b: &mut Builder<'_>, spacing: &[f64]) {
    let tree = rtree_of(&b.pts);
    let deg = b.net.degrees();
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    for a in 0..b.pts.len() as u32 {
        if deg[a as usize] >= 4 {
            continue;
        }
        let ta = b.node_township[a as usize];
        let reach = 1.3 * spacing[ta as usize];
        let p = b.pts[a as usize];
        for nb in tree.nearest_neighbor_iter(&[p.x, p.y]).take(24) {
            let c = nb.data;
            let q = b.pts[c as usize];
            if dist(p, q) > reach {
                break;
            }
            if b.node_township[c as usize] != ta
                && b.node_district[c as usize] == b.node_district[a as usize]
            {
                let key = (a.min(c), a.max(c));
                if seen.insert(key) {
                    b.net.add_edge(a, c, None);
                }
                break;
            }
        }
    }
}

struct Dsu(Vec<u32>);
impl Dsu {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            self.0[x as usize] = self.0[self.0[x as usize] as usize];
            x = self.0[x as usize];
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

/// Joins every district's pieces into one connected network by repeatedly linking each
/// piece to its nearest other piece in the same district.
fn connect_districts_internally(b: &mut Builder<'_>) {
    let tree = rtree_of(&b.pts);
    let n = b.pts.len();
    let mut dsu = Dsu((0..n as u32).collect());
    for e in &b.net.edges {
        dsu.union(e.from, e.to);
    }
    for d in 0..b.plan.districts.len() as u32 {
        let members: Vec<u32> = (0..n as u32)
            .filter(|&i| b.node_district[i as usize] == d)
            .collect();
        for _round in 0..64 {
            let mut comps: std::collections::BTreeMap<u32, Vec<u32>> =
                std::collections::BTreeMap::new();
            for &m in &members {
                comps.entry(dsu.find(m)).or_default().push(m);
            }
            if comps.len() <= 1 {
                break;
            }
            let mut list: Vec<Vec<u32>> = comps.into_values().collect();
            list.sort_by_key(|c| (std::cmp::Reverse(c.len()), c[0]));
            for comp in list.iter().skip(1) {
                let root = dsu.find(comp[0]);
                let mut best: Option<(f64, u32, u32)> = None;
                for &a in comp {
                    let p = b.pts[a as usize];
                    for nb in tree.nearest_neighbor_iter(&[p.x, p.y]).take(48) {
                        let c = nb.data;
                        if b.node_district[c as usize] != d || dsu.find(c) == root {
                            continue;
                        }
                        let dd = dist(p, b.pts[c as usize]);
                        if best.is_none_or(|(bd, _, _)| dd < bd) {
                            best = Some((dd, a, c));
                        }
                        break;
                    }
                }
                if best.is_none() {
                    // every near neighbour is ours: scan the district
                    let a = comp[0];
                    let p = b.pts[a as usize];
                    for &c in &members {
                        if dsu.find(c) == root {
                            continue;
                        }
                        let dd = dist(p, b.pts[c as usize]);
                        if best.is_none_or(|(bd, _, _)| dd < bd) {
                            best = Some((dd, a, c));
                        }
                    }
                }
                if let Some((_, a, c)) = best {
                    b.net.add_edge(a, c, None);
                    dsu.union(a, c);
                }
            }
        }
    }
}

/// 大道 between neighbouring districts, from one district's busiest place to the other's,
/// snapping to the streets on the way.
fn arterials(b: &mut Builder<'_>, cfg: &GeneratorConfig) {
    let plan = b.plan;
    let mut rng = rng_for(cfg.seed, "arterials", 0);
    let anchors: Vec<Coord<f64>> = plan
        .districts
        .iter()
        .map(|d| {
            d.townships
                .iter()
                .flat_map(|&t| plan.townships[t].communities.iter())
                .map(|&c| &plan.communities[c])
                .max_by(|a, b| a.population.cmp(&b.population))
                .map_or_else(|| plan.townships[d.townships[0]].seed, |c| c.seed)
        })
        .collect();
    let tree = rtree_of(&b.pts);
    let step = 500.0;
    for i in 0..plan.districts.len() {
        for j in i + 1..plan.districts.len() {
            if !plan.districts[i].poly.intersects(&plan.districts[j].poly) {
                continue;
            }
            let name = format!(
                "{}大道",
                b.namers[i]
                    .next(&mut rng)
                    .trim_end_matches(['路', '街', '巷', '弄', '道', '大'])
            );
            let road = b.road(&name);
            let (a, z) = (anchors[i], anchors[j]);
            let len = dist(a, z);
            let steps = (len / step).ceil().max(1.0) as usize;
            let mut prev: Option<u32> = None;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                let p = Coord {
                    x: a.x + t * (z.x - a.x),
                    y: a.y + t * (z.y - a.y),
                };
                let near = tree.nearest_neighbor(&[p.x, p.y]).map(|n| n.data);
                let node = match near {
                    Some(n) if dist(p, b.pts[n as usize]) < 350.0 => n,
                    _ => {
                        let d = if t < 0.5 { i } else { j } as u32;
                        b.node(p, d, u32::MAX)
                    }
                };
                if let Some(pv) = prev {
                    if pv != node {
                        b.net.add_edge(pv, node, Some(road));
                    }
                }
                prev = Some(node);
            }
        }
    }
}

type CommunityBox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Finds each edge's community, and gives a lane to any community without a street.
fn assign_edges_and_fill(b: &mut Builder<'_>) -> Vec<u32> {
    let plan = b.plan;
    let boxes: Vec<CommunityBox> = plan
        .communities
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.poly.bounding_rect().map(|r| {
                CommunityBox::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i as u32,
                )
            })
        })
        .collect();
    let ctree = RTree::bulk_load(boxes);
    let locate = |p: Coord<f64>| -> u32 {
        for cand in ctree.locate_in_envelope_intersecting(&AABB::from_point([p.x, p.y])) {
            if plan.communities[cand.data as usize]
                .poly
                .contains(&Point(p))
            {
                return cand.data;
            }
        }
        u32::MAX
    };
    let mut edge_community: Vec<u32> = b
        .net
        .edges
        .iter()
        .map(|e| {
            let (pa, pc) = (b.pts[e.from as usize], b.pts[e.to as usize]);
            locate(Coord {
                x: (pa.x + pc.x) / 2.0,
                y: (pa.y + pc.y) / 2.0,
            })
        })
        .collect();
    let mut has_edge = vec![false; plan.communities.len()];
    for (e, &c) in b.net.edges.iter().zip(&edge_community) {
        if c != u32::MAX && e.road.is_some() {
            has_edge[c as usize] = true;
        }
    }
    let tree = rtree_of(&b.pts);
    for (ci, c) in plan.communities.iter().enumerate() {
        if has_edge[ci] {
            continue;
        }
        let p = c.poly.interior_point().map_or(c.seed, |p| p.0);
        let Some(near) = tree.nearest_neighbor(&[p.x, p.y]).map(|n| n.data) else {
            continue;
        };
        let node = b.node(p, c.district as u32, c.township as u32);
        let suffix = if c.row.kind == "village" {
            "村道"
        } else {
            "支路"
        };
        let road = b.road(&format!("{}{}", c.row.name, suffix));
        b.net.add_edge(node, near, Some(road));
        edge_community.push(ci as u32);
    }
    edge_community
}
