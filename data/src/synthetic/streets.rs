//! The walking network: per township a street grid rotated, jittered and thinned by how
//! urban the place is (blocks of ~110 m in the core, ~450 m of village roads in the
//! hills); links across township borders; every district stitched into one connected
//! network; arterials (大道) between neighbouring districts; a lane into any community the
//! grid missed.
//!
//! Water is respected throughout: no node stands in water and no edge touches it, except
//! the bridges. Bridges are placed by [`bridges`] where a short crossing joins two
//! urban banks, a few kilometres apart; their positions are synthetic (no licensed list
//! of the real bridges' positions was available), and each is named `…合成桥N`
//! ("synthetic bridge N") so nobody takes it for a real one.

use std::collections::{HashMap, HashSet};

use civmap_geo_core::WalkNetwork;
use geo::{BoundingRect, Contains, Coord, InteriorPoint, Intersects, MapCoords, Point};
use rand::Rng;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::admin::CityPlan;
use super::names::RoadNamer;
use super::plane::LocalPlane;
use super::water::Water;
use super::{rng_for, GeneratorConfig};
use crate::DataError;

/// The network plus what later steps need to know about it.
#[derive(Debug)]
pub struct Streets {
    /// The network in WGS84.
    pub network: WalkNetwork,
    /// Node positions in plane metres.
    pub plane_nodes: Vec<Coord<f64>>,
    /// For each edge, the index of the community its midpoint lies in (`u32::MAX`: none,
    /// and always for a bridge, so no doorplate is placed on one).
    pub edge_community: Vec<u32>,
    /// The bridges, in the order they were built.
    pub bridges: Vec<Bridge>,
}

/// A bridge of the synthetic network: one edge over water.
#[derive(Debug, Clone, PartialEq)]
pub struct Bridge {
    /// Road name, e.g. `钱塘江合成桥3`.
    pub name: String,
    /// Key of the water body it crosses (`qiantang`, `fuchun`, …).
    pub water: String,
    /// Index of its edge in the network.
    pub edge: u32,
    /// `false` for a planned crossing between urban banks, `true` for one added only
    /// because a piece of land was otherwise unreachable (an island, a cut-off bank).
    pub connectivity_only: bool,
}

/// Street spacing in metres for an urban intensity, before scaling.
pub fn spacing_m(urban: f64) -> f64 {
    80.0 + 168.0 * (1.0 - urban.clamp(0.0, 1.0)).powi(2)
}

type NodePt = GeomWithData<[f64; 2], u32>;

struct Builder<'a> {
    plan: &'a CityPlan,
    plane: &'a LocalPlane,
    water: &'a Water,
    bridges: Vec<Bridge>,
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

    /// Whether a straight edge between nodes `a` and `c` would touch water.
    fn wet_link(&self, a: u32, c: u32) -> bool {
        self.water
            .crosses(self.pts[a as usize], self.pts[c as usize])
    }

    /// Adds a bridge edge over `body`, numbered per water body.
    fn bridge(&mut self, a: u32, c: u32, body: usize, connectivity_only: bool) {
        let key = self.water.bodies[body].key.clone();
        let n = self.bridges.iter().filter(|b| b.water == key).count() + 1;
        let name = format!("{}合成桥{n}", water_name_zh(&key));
        let road = self.road(&name);
        let edge = self.net.add_edge(a, c, Some(road)) as u32;
        self.bridges.push(Bridge {
            name,
            water: key,
            edge,
            connectivity_only,
        });
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

/// The Chinese name used in bridge names.
fn water_name_zh(key: &str) -> &'static str {
    match key {
        "qiantang" => "钱塘江",
        "qiandao" => "千岛湖",
        "west_lake" => "西湖",
        "fuchun" => "富春江",
        "xinan" => "新安江",
        "lan" => "兰江",
        _ => "水上",
    }
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Builds the network over the plan.
pub fn build(
    plan: &CityPlan,
    plane: &LocalPlane,
    water: &Water,
    cfg: &GeneratorConfig,
) -> Result<Streets, DataError> {
    let mut b = Builder {
        plan,
        plane,
        water,
        bridges: Vec::new(),
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
    bridges(&mut b);
    arterials(&mut b, cfg);
    let mut edge_community = assign_edges_and_fill(&mut b);
    connect_everything(&mut b);
    edge_community.resize(b.net.edges.len(), u32::MAX);
    b.net
        .validate()
        .map_err(|e| DataError::invalid("generator", "network", None, e.to_string()))?;
    Ok(Streets {
        network: b.net,
        plane_nodes: b.pts,
        edge_community,
        bridges: b.bridges,
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
            if rng.gen::<f64>() < keep && t.poly.contains(&Point(p)) && !b.water.is_wet(p) {
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
                if !t.poly.contains(&Point(mid)) || b.water.crosses(pa, pc) {
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
                && !b.wet_link(a, c)
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
/// piece to its nearest other piece in the same district, never over water: a piece that
/// only water separates from the rest waits for a bridge ([`bridges`]) or for
/// [`connect_everything`].
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
        let mut stuck: HashSet<u32> = HashSet::new();
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
            let mut linked = false;
            for comp in list.iter().skip(1) {
                if stuck.contains(&comp[0]) {
                    continue;
                }
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
                        if best.is_some_and(|(bd, _, _)| dd >= bd) {
                            break;
                        }
                        if b.wet_link(a, c) {
                            continue;
                        }
                        best = Some((dd, a, c));
                        break;
                    }
                }
                if best.is_none() {
                    // every near neighbour is ours (or over water): try the district's
                    // nodes nearest to the piece's first node, closest first
                    let a = comp[0];
                    let p = b.pts[a as usize];
                    let mut others: Vec<(f64, u32)> = members
                        .iter()
                        .filter(|&&c| dsu.find(c) != root)
                        .map(|&c| (dist(p, b.pts[c as usize]), c))
                        .collect();
                    others.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                    best = others
                        .iter()
                        .take(256)
                        .find(|&&(_, c)| !b.wet_link(a, c))
                        .map(|&(dd, c)| (dd, a, c));
                }
                match best {
                    Some((_, a, c)) => {
                        b.net.add_edge(a, c, None);
                        dsu.union(a, c);
                        linked = true;
                    }
                    None => {
                        stuck.insert(comp[0]);
                    }
                }
            }
            if !linked {
                break;
            }
        }
    }
}

/// Where a straight crossing of water body `body` could go, from dry `start` to dry `end`.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    body: usize,
    start: Coord<f64>,
    end: Coord<f64>,
    score: f64,
}

/// Which water bodies get planned bridges: `(key, minimum urban intensity of both banks,
/// minimum spacing between bridges in metres, most bridges, shortest crossing in metres)`.
/// About a dozen over the Qiantang between 之江 and 下沙 (the real city has about as
/// many), a few over the Fuchun/Xin'an/Lan where the county towns (富阳, 桐庐, 新安江)
/// straddle them. The shortest crossing keeps a bridge from spanning a mere inlet of the
/// shore (the Qiantang is 1.0–1.5 km wide through the city). Lakes get none: the land
/// around them connects, and [`connect_everything`] bridges any island left over.
const BRIDGE_PLAN: &[(&str, f64, f64, usize, f64)] = &[
    ("qiantang", 0.1, 2_500.0, 12, 600.0),
    ("fuchun", 0.15, 4_000.0, 5, 0.0),
    ("xinan", 0.2, 4_000.0, 2, 0.0),
    ("lan", 0.2, 4_000.0, 1, 0.0),
];

/// Spacing of candidate crossings along a shore or a centreline, metres.
const PROBE_STEP_M: f64 = 200.0;
/// How far back from the water's edge a bridge starts, metres.
const BANK_M: f64 = 40.0;
/// Longest planned bridge, metres.
const MAX_BRIDGE_M: f64 = 3_000.0;

/// Candidate crossings of one water body: perpendicular to the shore (areas) or to the
/// centreline (corridors), every [`PROBE_STEP_M`], both ends dry and inside the city.
fn crossings(b: &Builder<'_>, body: usize) -> Vec<Crossing> {
    let w = b.water;
    let wb = &w.bodies[body];
    let city = &b.plan.city_geometry;
    let mut out = Vec::new();
    let mut push = |start: Coord<f64>, end: Coord<f64>| {
        if w.is_wet(start)
            || w.is_wet(end)
            || !city.contains(&Point(start))
            || !city.contains(&Point(end))
        {
            return;
        }
        let score = b.plan.field.at(start).min(b.plan.field.at(end));
        out.push(Crossing {
            body,
            start,
            end,
            score,
        });
    };
    let along = |line: &[Coord<f64>], f: &mut dyn FnMut(Coord<f64>, Coord<f64>)| {
        let mut carry = 0.0;
        for s in line.windows(2) {
            let len = dist(s[0], s[1]);
            if len <= 0.0 {
                continue;
            }
            let d = Coord {
                x: (s[1].x - s[0].x) / len,
                y: (s[1].y - s[0].y) / len,
            };
            let mut t = carry;
            while t < len {
                f(
                    Coord {
                        x: s[0].x + t * d.x,
                        y: s[0].y + t * d.y,
                    },
                    Coord { x: -d.y, y: d.x },
                );
                t += PROBE_STEP_M;
            }
            carry = t - len;
        }
    };
    match wb.half_width_m {
        Some(hw) => {
            let r = hw + BANK_M;
            along(&wb.centreline, &mut |c, n| {
                push(
                    Coord {
                        x: c.x - r * n.x,
                        y: c.y - r * n.y,
                    },
                    Coord {
                        x: c.x + r * n.x,
                        y: c.y + r * n.y,
                    },
                );
            });
        }
        None => {
            for poly in &wb.area.0 {
                let ring: Vec<Coord<f64>> = poly.exterior().0.clone();
                along(&ring, &mut |s, n| {
                    let at = |t: f64, n: Coord<f64>| Coord {
                        x: s.x + t * n.x,
                        y: s.y + t * n.y,
                    };
                    let inward = if w.body_at(at(25.0, n)) == Some(body) {
                        n
                    } else if w.body_at(at(-25.0, n)) == Some(body) {
                        Coord { x: -n.x, y: -n.y }
                    } else {
                        return;
                    };
                    let mut t = 25.0;
                    while t <= MAX_BRIDGE_M && w.body_at(at(t, inward)) == Some(body) {
                        t += 25.0;
                    }
                    if t > MAX_BRIDGE_M {
                        return;
                    }
                    push(at(-BANK_M, inward), at(t + BANK_M, inward));
                });
            }
        }
    }
    out
}

/// The nearest node to `p` that a dry straight link reaches, within `max_m`.
fn dry_nearest(b: &Builder<'_>, tree: &RTree<NodePt>, p: Coord<f64>, max_m: f64) -> Option<u32> {
    for nb in tree.nearest_neighbor_iter(&[p.x, p.y]).take(32) {
        let q = b.pts[nb.data as usize];
        if dist(p, q) > max_m {
            return None;
        }
        if !b.water.crosses(p, q) {
            return Some(nb.data);
        }
    }
    None
}

/// Planned bridges ([`BRIDGE_PLAN`]): the best-scoring crossings (both banks as urban as
/// possible), greedily, at least the plan's spacing apart. Each is one edge between two new
/// nodes on the banks, each joined to the nearest street it reaches over dry land.
fn bridges(b: &mut Builder<'_>) {
    let tree = rtree_of(&b.pts);
    for &(key, min_urban, spacing_m, most, min_len_m) in BRIDGE_PLAN {
        let bodies: Vec<usize> = (0..b.water.bodies.len())
            .filter(|&k| b.water.bodies[k].key == key)
            .collect();
        let mut cands: Vec<Crossing> = bodies
            .iter()
            .flat_map(|&k| crossings(b, k))
            .filter(|c| c.score >= min_urban && dist(c.start, c.end) >= min_len_m)
            .collect();
        cands.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then(dist(x.start, x.end).total_cmp(&dist(y.start, y.end)))
        });
        let mut built: Vec<Coord<f64>> = Vec::new();
        for c in cands {
            if built.len() >= most {
                break;
            }
            let mid = Coord {
                x: (c.start.x + c.end.x) / 2.0,
                y: (c.start.y + c.end.y) / 2.0,
            };
            if built.iter().any(|&m| dist(m, mid) < spacing_m) {
                continue;
            }
            let (Some(na), Some(nc)) = (
                dry_nearest(b, &tree, c.start, 1_500.0),
                dry_nearest(b, &tree, c.end, 1_500.0),
            ) else {
                continue;
            };
            let (da, dc) = (b.node_district[na as usize], b.node_district[nc as usize]);
            let a = b.node(c.start, da, u32::MAX);
            let z = b.node(c.end, dc, u32::MAX);
            b.net.add_edge(na, a, None);
            b.net.add_edge(z, nc, None);
            b.bridge(a, z, c.body, false);
            built.push(mid);
        }
    }
}

/// Makes the whole network one component without crossing water where land allows: each
/// piece is linked to the nearest node outside it over dry ground; a piece water cuts off
/// entirely (an island in Qiandao Lake, a bank no planned bridge reached) gets the
/// shortest bridge to the rest, recorded with `connectivity_only`.
fn connect_everything(b: &mut Builder<'_>) {
    let tree = rtree_of(&b.pts);
    for _round in 0..64 {
        let n = b.pts.len();
        let mut dsu = Dsu((0..n as u32).collect());
        for e in &b.net.edges {
            dsu.union(e.from, e.to);
        }
        let mut comps: std::collections::BTreeMap<u32, Vec<u32>> =
            std::collections::BTreeMap::new();
        for v in 0..n as u32 {
            comps.entry(dsu.find(v)).or_default().push(v);
        }
        if comps.len() <= 1 {
            return;
        }
        let mut list: Vec<Vec<u32>> = comps.into_values().collect();
        list.sort_by_key(|c| (std::cmp::Reverse(c.len()), c[0]));
        for comp in list.iter().skip(1) {
            let root = dsu.find(comp[0]);
            let mut dry: Option<(f64, u32, u32)> = None;
            let mut wet: Option<(f64, u32, u32)> = None;
            for &a in comp {
                let p = b.pts[a as usize];
                for nb in tree.nearest_neighbor_iter(&[p.x, p.y]).take(64) {
                    let c = nb.data;
                    if dsu.find(c) == root {
                        continue;
                    }
                    let dd = dist(p, b.pts[c as usize]);
                    if dry.is_some_and(|(bd, _, _)| dd >= bd) {
                        break;
                    }
                    if b.wet_link(a, c) {
                        if wet.is_none_or(|(bd, _, _)| dd < bd) {
                            wet = Some((dd, a, c));
                        }
                        continue;
                    }
                    dry = Some((dd, a, c));
                    break;
                }
            }
            if let Some((_, a, c)) = dry {
                b.net.add_edge(a, c, None);
                dsu.union(a, c);
            } else if let Some((_, a, c)) = wet {
                let body = b
                    .water
                    .segment_hits(b.pts[a as usize], b.pts[c as usize])
                    .unwrap_or(0);
                b.bridge(a, c, body, true);
                dsu.union(a, c);
            } else {
                // nothing within 64 neighbours outside the piece: link its first node to
                // the nearest node of the largest piece
                let a = comp[0];
                let p = b.pts[a as usize];
                let c = list[0]
                    .iter()
                    .copied()
                    .min_by(|&x, &y| {
                        dist(p, b.pts[x as usize]).total_cmp(&dist(p, b.pts[y as usize]))
                    })
                    .unwrap_or(a);
                match b.water.segment_hits(p, b.pts[c as usize]) {
                    Some(body) => b.bridge(a, c, body, true),
                    None => {
                        b.net.add_edge(a, c, None);
                    }
                }
                dsu.union(a, c);
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
                // an arterial stops at the water's edge and resumes on the far side; the
                // bridges carry the traffic across
                if b.water.is_wet(p) {
                    prev = None;
                    continue;
                }
                let near = tree.nearest_neighbor(&[p.x, p.y]).map(|n| n.data);
                let node = match near {
                    Some(n)
                        if dist(p, b.pts[n as usize]) < 350.0
                            && !b.water.crosses(p, b.pts[n as usize]) =>
                    {
                        n
                    }
                    _ => {
                        let d = if t < 0.5 { i } else { j } as u32;
                        b.node(p, d, u32::MAX)
                    }
                };
                if let Some(pv) = prev {
                    if pv != node && !b.wet_link(pv, node) {
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
    let bridge_edges: HashSet<u32> = b.bridges.iter().map(|br| br.edge).collect();
    let mut edge_community: Vec<u32> = b
        .net
        .edges
        .iter()
        .enumerate()
        .map(|(ei, e)| {
            if bridge_edges.contains(&(ei as u32)) {
                return u32::MAX;
            }
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
        let p = c
            .poly
            .interior_point()
            .map(|p| p.0)
            .filter(|&p| !b.water.is_wet(p))
            .unwrap_or(c.seed);
        // the nearest street a dry lane reaches; over water only if nothing else is near
        let Some(near) = dry_nearest(b, &tree, p, f64::INFINITY)
            .or_else(|| tree.nearest_neighbor(&[p.x, p.y]).map(|n| n.data))
        else {
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
