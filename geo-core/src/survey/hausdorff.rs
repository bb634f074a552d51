//! Hausdorff distance between lines and outlines, in Gauss–Krüger metres.
//!
//! `geo`'s `HausdorffDistance` compares vertices with vertices only, so two lines that
//! cross the same ground with different vertices (a border resurveyed with more points)
//! look far apart, and a bulge in the middle of a long segment is missed. Here the
//! distance is between the whole lines: every point of each line (not only its vertices)
//! is measured to the nearest point of the other's segments. Each segment is searched by
//! bisection, with two upper bounds on the farthest point of a piece — the distance
//! function is 1-Lipschitz along the piece, and its distance to any one segment of the
//! other line is convex — so the result is the true Hausdorff distance to within
//! [`HAUSDORFF_TOLERANCE_M`] (never more than the truth, at most that much less).
//!
//! ```
//! use civmap_geo_core::crs::GaussKruger;
//! use civmap_geo_core::survey::hausdorff::hausdorff_m;
//! use geo::line_string;
//! let gk = GaussKruger::hangzhou();
//! let a = line_string![(x: 120.0, y: 30.0), (x: 120.01, y: 30.0)];
//! // the same line with a vertex in the middle pushed ~11 m north
//! let b = line_string![(x: 120.0, y: 30.0), (x: 120.005, y: 30.0001), (x: 120.01, y: 30.0)];
//! let h_m = hausdorff_m(&a, &b, &gk);
//! assert!((h_m - 11.09).abs() < 0.05, "{h_m}");
//! ```

use geo::{Coord, LineString};
use rstar::primitives::Line;
use rstar::{PointDistance, RTree};

use crate::crs::GaussKruger;

/// How far below the true Hausdorff distance [`hausdorff_m`] may stop, metres.
pub const HAUSDORFF_TOLERANCE_M: f64 = 0.01;

/// The Hausdorff distance between two lines (longitude/latitude degrees), in metres in
/// the Gauss–Krüger zone `gk`: the largest distance from a point of either line to the
/// other line. `f64::INFINITY` when one line is empty and the other is not.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::hausdorff::hausdorff_m;
/// use geo::line_string;
/// let a = line_string![(x: 120.0, y: 30.0), (x: 120.0, y: 30.01)];
/// let reversed = line_string![(x: 120.0, y: 30.01), (x: 120.0, y: 30.005), (x: 120.0, y: 30.0)];
/// assert!(hausdorff_m(&a, &reversed, &GaussKruger::hangzhou()) < 1e-6);
/// ```
pub fn hausdorff_m(a: &LineString<f64>, b: &LineString<f64>, gk: &GaussKruger) -> f64 {
    let a = PlanarLines::new(std::iter::once(&a.0[..]), gk);
    let b = PlanarLines::new(std::iter::once(&b.0[..]), gk);
    a.hausdorff_m(&b)
}

/// Polylines projected into a Gauss–Krüger zone, with an R-tree of their segments.
#[derive(Debug, Clone)]
pub(crate) struct PlanarLines {
    parts: Vec<Vec<[f64; 2]>>,
    segments: RTree<Line<[f64; 2]>>,
}

impl PlanarLines {
    /// Projects `parts` (each a polyline in degrees; rings given closed).
    pub(crate) fn new<'a>(parts: impl Iterator<Item = &'a [Coord<f64>]>, gk: &GaussKruger) -> Self {
        let parts: Vec<Vec<[f64; 2]>> = parts
            .map(|p| {
                p.iter()
                    .map(|&c| {
                        let m = gk.forward(c);
                        [m.x, m.y]
                    })
                    .collect()
            })
            .collect();
        let mut segs = Vec::new();
        for p in &parts {
            match p.len() {
                0 => {}
                1 => segs.push(Line::new(p[0], p[0])),
                _ => segs.extend(p.windows(2).map(|w| Line::new(w[0], w[1]))),
            }
        }
        Self {
            parts,
            segments: RTree::bulk_load(segs),
        }
    }

    /// Whether there is no point at all.
    fn is_empty(&self) -> bool {
        self.segments.size() == 0
    }

    /// Distance from a planar point to the nearest segment, metres.
    pub(crate) fn distance_m(&self, p: [f64; 2]) -> f64 {
        self.nearest(p).map_or(f64::INFINITY, |(_, d)| d)
    }

    fn nearest(&self, p: [f64; 2]) -> Option<(&Line<[f64; 2]>, f64)> {
        self.segments
            .nearest_neighbor(&p)
            .map(|s| (s, s.distance_2(&p).sqrt()))
    }

    /// The vertices, metres.
    pub(crate) fn vertices(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        self.parts.iter().flatten().copied()
    }

    /// Largest distance from a point of `self` to `other`, to within the tolerance.
    pub(crate) fn directed_hausdorff_m(&self, other: &Self) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        if other.is_empty() {
            return f64::INFINITY;
        }
        let mut best = 0.0_f64;
        let mut stack: Vec<([f64; 2], [f64; 2])> = Vec::new();
        for part in &self.parts {
            for &v in part {
                best = best.max(other.distance_m(v));
            }
            stack.extend(part.windows(2).map(|w| (w[0], w[1])));
        }
        while let Some((p, q)) = stack.pop() {
            let Some((sp, dp)) = other.nearest(p) else {
                continue;
            };
            let Some((sq, dq)) = other.nearest(q) else {
                continue;
            };
            let len = (q[0] - p[0]).hypot(q[1] - p[1]);
            // distance to one segment is convex along [p, q]: its maximum is at an end
            let convex = |s: &Line<[f64; 2]>| s.distance_2(&p).max(s.distance_2(&q)).sqrt();
            let lipschitz = (dp + dq + len) / 2.0;
            let upper = lipschitz.min(convex(sp)).min(convex(sq));
            if upper <= best + HAUSDORFF_TOLERANCE_M {
                continue;
            }
            let m = [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0];
            best = best.max(other.distance_m(m));
            stack.push((p, m));
            stack.push((m, q));
        }
        best
    }

    /// The symmetric Hausdorff distance, metres.
    pub(crate) fn hausdorff_m(&self, other: &Self) -> f64 {
        self.directed_hausdorff_m(other)
            .max(other.directed_hausdorff_m(self))
    }

    /// Planar bounding box `[min_x, min_y, max_x, max_y]`.
    pub(crate) fn bbox(&self) -> [f64; 4] {
        let env = self.segments.root().envelope();
        let (lo, hi) = (env.lower(), env.upper());
        [lo[0], lo[1], hi[0], hi[1]]
    }
}

/// A lower bound of the Hausdorff distance from two bounding boxes: every extreme of one
/// set lies within the Hausdorff distance of the other set.
pub(crate) fn bbox_lower_bound_m(a: [f64; 4], b: [f64; 4]) -> f64 {
    (0..4).map(|i| (a[i] - b[i]).abs()).fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Brute force: both lines densified to 1 mm, every point against the other's
    /// segments.
    fn brute(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
        let seg_d = |p: [f64; 2], s: &[[f64; 2]]| {
            s.windows(2)
                .map(|w| Line::new(w[0], w[1]).distance_2(&p).sqrt())
                .fold(f64::INFINITY, f64::min)
        };
        let directed = |a: &[[f64; 2]], b: &[[f64; 2]]| {
            let mut best = 0.0_f64;
            for w in a.windows(2) {
                let len = (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]);
                let n = (len / 0.001).ceil().max(1.0) as usize;
                for k in 0..=n {
                    let t = k as f64 / n as f64;
                    let p = [
                        w[0][0] + t * (w[1][0] - w[0][0]),
                        w[0][1] + t * (w[1][1] - w[0][1]),
                    ];
                    best = best.max(seg_d(p, b));
                }
            }
            best
        };
        directed(a, b).max(directed(b, a))
    }

    #[test]
    fn agrees_with_densified_brute_force() {
        let gk = GaussKruger::hangzhou();
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        for _ in 0..20 {
            let walk = |rng: &mut ChaCha8Rng, n: usize| -> Vec<Coord<f64>> {
                let mut c = Coord { x: 120.0, y: 30.0 };
                (0..n)
                    .map(|_| {
                        c.x += rng.gen_range(0.0..0.0003);
                        c.y += rng.gen_range(-0.0002..0.0002);
                        c
                    })
                    .collect()
            };
            let (a, b) = (walk(&mut rng, 6), walk(&mut rng, 9));
            let pa = PlanarLines::new(std::iter::once(&a[..]), &gk);
            let pb = PlanarLines::new(std::iter::once(&b[..]), &gk);
            let ours = pa.hausdorff_m(&pb);
            let truth = brute(&pa.parts[0], &pb.parts[0]);
            assert!(
                ours <= truth + 1e-3 && ours >= truth - HAUSDORFF_TOLERANCE_M - 1e-3,
                "{ours} vs {truth}"
            );
            // and geo's vertex-only distance can be far smaller
            let ls = |v: &Vec<Coord<f64>>| LineString::from(v.clone());
            assert!((hausdorff_m(&ls(&a), &ls(&b), &gk) - ours).abs() < 1e-9);
        }
    }

    #[test]
    fn identical_lines_with_different_vertices_are_zero_apart() {
        let gk = GaussKruger::hangzhou();
        // collinear in the zone's plane (the measure is planar)
        let at = |t: f64| {
            gk.inverse(Coord {
                x: 480_000.0 + 9_000.0 * t,
                y: 3_320_000.0 + 7_000.0 * t,
            })
        };
        let a = LineString::from(vec![at(0.0), at(1.0)]);
        let b = LineString::from(
            (0..=10)
                .map(|i| at(f64::from(i) / 10.0))
                .collect::<Vec<_>>(),
        );
        assert!(hausdorff_m(&a, &b, &gk) < 1e-6);
        assert!(hausdorff_m(&a, &LineString::new(vec![]), &gk).is_infinite());
    }
}
