//! Water in the local plane, indexed for the generator's millions of "is this point wet?"
//! and "does this street cross water?" questions.
//!
//! Areas (the Qiantang, Qiandao Lake, West Lake) are polygons; rivers known only by their
//! centreline (Fuchun, Xin'an, Lan) are corridors of their estimated width. A uniform grid
//! of cells stores the boundary segments near each cell and, per area, whether the cell's
//! centre is wet. A point is then wet if the centre's state, flipped once per boundary
//! segment crossed on the way from the centre to the point, says so: every segment that
//! can cut that short path is in the cell's list, so the answer is exact and costs a few
//! segment tests instead of a walk around a 600-vertex ring.

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point};

use super::plane::LocalPlane;
use crate::hangzhou::{WaterBody, WaterGeometry};

/// Cell size of the index, metres.
const CELL_M: f64 = 500.0;

#[derive(Debug, Clone, Copy)]
struct Seg {
    a: Coord<f64>,
    b: Coord<f64>,
    body: u32,
}

/// One water body in plane metres.
#[derive(Debug, Clone)]
pub struct PlaneBody {
    /// Key of the body (`qiantang`, `fuchun`, …).
    pub key: String,
    /// `Some(half width)` for a corridor, `None` for an area.
    pub half_width_m: Option<f64>,
    /// The area's polygon (empty for a corridor).
    pub area: MultiPolygon<f64>,
    /// The corridor's centreline (empty for an area).
    pub centreline: Vec<Coord<f64>>,
}

/// The water index.
#[derive(Debug, Clone)]
pub struct Water {
    /// The bodies, in source order.
    pub bodies: Vec<PlaneBody>,
    segs: Vec<Seg>,
    origin: Coord<f64>,
    nx: usize,
    ny: usize,
    cell_segs: Vec<Vec<u32>>,
    /// Per cell, bit `k` set: the cell's centre is inside area body `k`.
    cell_wet: Vec<u64>,
}

fn cross(o: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
}

/// Whether segments `p1p2` and `q1q2` intersect (touching counts).
fn segments_intersect(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> bool {
    let d1 = cross(q1, q2, p1);
    let d2 = cross(q1, q2, p2);
    let d3 = cross(p1, p2, q1);
    let d4 = cross(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    let on = |a: Coord<f64>, b: Coord<f64>, p: Coord<f64>, d: f64| {
        d == 0.0
            && p.x >= a.x.min(b.x)
            && p.x <= a.x.max(b.x)
            && p.y >= a.y.min(b.y)
            && p.y <= a.y.max(b.y)
    };
    on(q1, q2, p1, d1) || on(q1, q2, p2, d2) || on(p1, p2, q1, d3) || on(p1, p2, q2, d4)
}

/// Whether `p` → `q` crosses segment `a` → `b` for the parity count: a half-open rule on
/// the segment's ends so that a path through a vertex shared by two ring segments counts
/// once.
fn crosses_for_parity(p: Coord<f64>, q: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    let da = cross(p, q, a);
    let db = cross(p, q, b);
    // a on one side (or on the line), b strictly on the other: counts with `a` inclusive
    let straddle = (da >= 0.0 && db < 0.0) || (da < 0.0 && db >= 0.0);
    if !straddle {
        return false;
    }
    let dp = cross(a, b, p);
    let dq = cross(a, b, q);
    (dp > 0.0 && dq <= 0.0) || (dp <= 0.0 && dq > 0.0)
}

fn point_seg_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    (cx * cx + cy * cy).sqrt()
}

fn seg_seg_dist(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> f64 {
    if segments_intersect(p1, p2, q1, q2) {
        return 0.0;
    }
    point_seg_dist(p1, q1, q2)
        .min(point_seg_dist(p2, q1, q2))
        .min(point_seg_dist(q1, p1, p2))
        .min(point_seg_dist(q2, p1, p2))
}

impl Water {
    /// Projects and indexes the water bodies.
    pub fn new(bodies: &[WaterBody], plane: &LocalPlane) -> Self {
        let mut out_bodies = Vec::new();
        let mut segs = Vec::new();
        let (mut min, mut max) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        let mut grow = |c: Coord<f64>, pad: f64| {
            min.x = min.x.min(c.x - pad);
            min.y = min.y.min(c.y - pad);
            max.x = max.x.max(c.x + pad);
            max.y = max.y.max(c.y + pad);
        };
        for (k, b) in bodies.iter().enumerate() {
            let body = k as u32;
            match &b.geometry {
                WaterGeometry::Area(mp) => {
                    let area = plane.mp_to_plane(mp);
                    for poly in &area.0 {
                        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                            for l in ring.lines() {
                                grow(l.start, 0.0);
                                segs.push(Seg {
                                    a: l.start,
                                    b: l.end,
                                    body,
                                });
                            }
                        }
                    }
                    out_bodies.push(PlaneBody {
                        key: b.key.clone(),
                        half_width_m: None,
                        area,
                        centreline: Vec::new(),
                    });
                }
                WaterGeometry::Corridor {
                    centreline,
                    width_m,
                } => {
                    let pts: Vec<Coord<f64>> =
                        centreline.0.iter().map(|&c| plane.to_plane(c)).collect();
                    for w in pts.windows(2) {
                        grow(w[0], width_m / 2.0);
                        grow(w[1], width_m / 2.0);
                        segs.push(Seg {
                            a: w[0],
                            b: w[1],
                            body,
                        });
                    }
                    out_bodies.push(PlaneBody {
                        key: b.key.clone(),
                        half_width_m: Some(width_m / 2.0),
                        area: MultiPolygon(Vec::new()),
                        centreline: pts,
                    });
                }
            }
        }
        assert!(
            out_bodies.len() <= 64,
            "at most 64 water bodies fit the cell mask"
        );
        if segs.is_empty() {
            return Self {
                bodies: out_bodies,
                segs,
                origin: Coord { x: 0.0, y: 0.0 },
                nx: 0,
                ny: 0,
                cell_segs: Vec::new(),
                cell_wet: Vec::new(),
            };
        }
        let origin = Coord {
            x: min.x - CELL_M,
            y: min.y - CELL_M,
        };
        let nx = ((max.x - origin.x) / CELL_M).ceil() as usize + 2;
        let ny = ((max.y - origin.y) / CELL_M).ceil() as usize + 2;
        let mut cell_segs = vec![Vec::new(); nx * ny];
        for (si, s) in segs.iter().enumerate() {
            let pad = out_bodies[s.body as usize].half_width_m.unwrap_or(0.0) + 1.0;
            let i0 = ((s.a.x.min(s.b.x) - pad - origin.x) / CELL_M).floor() as usize;
            let i1 = ((s.a.x.max(s.b.x) + pad - origin.x) / CELL_M).floor() as usize;
            let j0 = ((s.a.y.min(s.b.y) - pad - origin.y) / CELL_M).floor() as usize;
            let j1 = ((s.a.y.max(s.b.y) + pad - origin.y) / CELL_M).floor() as usize;
            for j in j0..=j1.min(ny - 1) {
                for i in i0..=i1.min(nx - 1) {
                    cell_segs[j * nx + i].push(si as u32);
                }
            }
        }
        let mut cell_wet = vec![0u64; nx * ny];
        for (k, b) in out_bodies.iter().enumerate() {
            let Some(r) = b.area.bounding_rect() else {
                continue;
            };
            let i0 = ((r.min().x - origin.x) / CELL_M).floor() as usize;
            let i1 = ((r.max().x - origin.x) / CELL_M).floor() as usize;
            let j0 = ((r.min().y - origin.y) / CELL_M).floor() as usize;
            let j1 = ((r.max().y - origin.y) / CELL_M).floor() as usize;
            for j in j0..=j1.min(ny - 1) {
                for i in i0..=i1.min(nx - 1) {
                    let c = Coord {
                        x: origin.x + (i as f64 + 0.5) * CELL_M,
                        y: origin.y + (j as f64 + 0.5) * CELL_M,
                    };
                    if b.area.contains(&Point(c)) {
                        cell_wet[j * nx + i] |= 1 << k;
                    }
                }
            }
        }
        Self {
            bodies: out_bodies,
            segs,
            origin,
            nx,
            ny,
            cell_segs,
            cell_wet,
        }
    }

    fn cell_of(&self, p: Coord<f64>) -> Option<usize> {
        let fi = (p.x - self.origin.x) / CELL_M;
        let fj = (p.y - self.origin.y) / CELL_M;
        if fi < 0.0 || fj < 0.0 || fi >= self.nx as f64 || fj >= self.ny as f64 {
            return None;
        }
        Some(fj as usize * self.nx + fi as usize)
    }

    fn cell_centre(&self, cell: usize) -> Coord<f64> {
        Coord {
            x: self.origin.x + ((cell % self.nx) as f64 + 0.5) * CELL_M,
            y: self.origin.y + ((cell / self.nx) as f64 + 0.5) * CELL_M,
        }
    }

    /// The body `p` lies in, if any.
    pub fn body_at(&self, p: Coord<f64>) -> Option<usize> {
        let cell = self.cell_of(p)?;
        let centre = self.cell_centre(cell);
        let mut wet = self.cell_wet[cell];
        for &si in &self.cell_segs[cell] {
            let s = self.segs[si as usize];
            match self.bodies[s.body as usize].half_width_m {
                Some(hw) => {
                    if point_seg_dist(p, s.a, s.b) < hw {
                        return Some(s.body as usize);
                    }
                }
                None => {
                    if crosses_for_parity(centre, p, s.a, s.b) {
                        wet ^= 1 << s.body;
                    }
                }
            }
        }
        (wet != 0).then_some(wet.trailing_zeros() as usize)
    }

    /// Whether `p` is in water.
    pub fn is_wet(&self, p: Coord<f64>) -> bool {
        self.body_at(p).is_some()
    }

    /// The first body the straight segment `a` → `b` touches (either end wet, or it cuts
    /// an area's shore or comes within a corridor's half width of its centreline).
    pub fn segment_hits(&self, a: Coord<f64>, b: Coord<f64>) -> Option<usize> {
        if let Some(k) = self.body_at(a).or_else(|| self.body_at(b)) {
            return Some(k);
        }
        if self.nx == 0 {
            return None;
        }
        let to_i = |x: f64| ((x - self.origin.x) / CELL_M).floor().max(0.0) as usize;
        let to_j = |y: f64| ((y - self.origin.y) / CELL_M).floor().max(0.0) as usize;
        let (i0, i1) = (to_i(a.x.min(b.x)), to_i(a.x.max(b.x)).min(self.nx - 1));
        let (j0, j1) = (to_j(a.y.min(b.y)), to_j(a.y.max(b.y)).min(self.ny - 1));
        for j in j0..=j1 {
            for i in i0..=i1 {
                for &si in &self.cell_segs[j * self.nx + i] {
                    let s = self.segs[si as usize];
                    let hit = match self.bodies[s.body as usize].half_width_m {
                        Some(hw) => seg_seg_dist(a, b, s.a, s.b) < hw,
                        None => segments_intersect(a, b, s.a, s.b),
                    };
                    if hit {
                        return Some(s.body as usize);
                    }
                }
            }
        }
        None
    }

    /// Whether the segment `a` → `b` touches water.
    pub fn crosses(&self, a: Coord<f64>, b: Coord<f64>) -> bool {
        self.segment_hits(a, b).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hangzhou::{frame, water_bodies};
    use geo::Contains;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_index_agrees_with_plain_point_in_polygon() {
        let f = frame().unwrap();
        let bodies = water_bodies(&f).unwrap();
        let plane = LocalPlane::hangzhou();
        let w = Water::new(&bodies, &plane);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut wet = 0;
        // around the Qiantang through the city and around West Lake
        for _ in 0..20_000 {
            let c = Coord {
                x: rng.gen_range(120.08..120.40),
                y: rng.gen_range(30.12..30.30),
            };
            let p = plane.to_plane(c);
            let truth = w
                .bodies
                .iter()
                .any(|b| b.half_width_m.is_none() && b.area.contains(&Point(p)))
                || w.bodies.iter().any(|b| {
                    b.half_width_m.is_some_and(|hw| {
                        b.centreline
                            .windows(2)
                            .any(|s| point_seg_dist(p, s[0], s[1]) < hw)
                    })
                });
            assert_eq!(w.is_wet(p), truth, "{c:?}");
            wet += usize::from(truth);
        }
        assert!(wet > 1_000, "{wet} wet samples");
        // a street straight across the river between 滨江 and 上城 crosses it
        let a = plane.to_plane(Coord {
            x: 120.21,
            y: 30.20,
        });
        let b = plane.to_plane(Coord {
            x: 120.21,
            y: 30.25,
        });
        assert!(w.crosses(a, b));
    }
}
