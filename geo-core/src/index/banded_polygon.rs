//! Point-in-polygon in a few edge tests instead of all of them.
//!
//! Why: the city and district outlines have hundreds of vertices, and a plain crossing test
//! visits every edge. Here the polygon's edges are sorted once into horizontal bands; a
//! point's ray only meets edges of its own band. Points within a hair (1e-9°, ~0.1 mm) of
//! an edge or level with a vertex go to geo's exact, robust `coordinate_position`, so the
//! answer — including `OnBoundary` — is always geo's.

use geo::coordinate_position::CoordPos;
use geo::{BoundingRect, Coord, CoordinatePosition, Polygon};

/// Closer than this (degrees) to an edge crossing, the exact test decides.
const NEAR_DEG: f64 = 1e-9;

/// A polygon with its edges bucketed by latitude band.
#[derive(Debug, Clone)]
pub(crate) struct BandedPolygon {
    polygon: Polygon<f64>,
    min_y: f64,
    max_y: f64,
    min_x: f64,
    max_x: f64,
    band_per_deg: f64,
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    /// For each band, indices into `edges`.
    bands: Vec<Vec<u32>>,
}

impl BandedPolygon {
    pub(crate) fn new(polygon: Polygon<f64>) -> Self {
        let rect = polygon.bounding_rect();
        let (min, max) = rect.map_or((Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }), |r| {
            (r.min(), r.max())
        });
        let mut edges = Vec::new();
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for l in ring.lines() {
                edges.push((l.start, l.end));
            }
        }
        let n_bands = (edges.len() / 4).clamp(1, 512);
        let height = (max.y - min.y).max(f64::MIN_POSITIVE);
        let band_per_deg = n_bands as f64 / height;
        let mut bands = vec![Vec::new(); n_bands];
        let band_of =
            |y: f64| (((y - min.y) * band_per_deg).floor().max(0.0) as usize).min(n_bands - 1);
        for (i, (a, b)) in edges.iter().enumerate() {
            let (lo, hi) = (band_of(a.y.min(b.y)), band_of(a.y.max(b.y)));
            for band in &mut bands[lo..=hi] {
                band.push(i as u32);
            }
        }
        Self {
            polygon,
            min_y: min.y,
            max_y: max.y,
            min_x: min.x,
            max_x: max.x,
            band_per_deg,
            edges,
            bands,
        }
    }

    /// Every edge, as `(start, end)`.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
        self.edges.iter().copied()
    }

    /// Where `c` lies: inside, outside or on the boundary — geo's answer, faster.
    pub(crate) fn position(&self, c: Coord<f64>) -> CoordPos {
        if c.y < self.min_y || c.y > self.max_y || c.x < self.min_x || c.x > self.max_x {
            return CoordPos::Outside;
        }
        let band = (((c.y - self.min_y) * self.band_per_deg).floor().max(0.0) as usize)
            .min(self.bands.len() - 1);
        let mut inside = false;
        for &i in &self.bands[band] {
            let (a, b) = self.edges[i as usize];
            if a.y == c.y || b.y == c.y {
                return self.polygon.coordinate_position(&c);
            }
            if (a.y > c.y) != (b.y > c.y) {
                let x = a.x + (c.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if (c.x - x).abs() < NEAR_DEG {
                    return self.polygon.coordinate_position(&c);
                }
                if c.x < x {
                    inside = !inside;
                }
            }
        }
        if inside {
            CoordPos::Inside
        } else {
            CoordPos::Outside
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, LineString};

    #[test]
    fn banded_answers_equal_geos_on_a_ragged_polygon_with_a_hole() {
        // a star-like ring with many vertices and a square hole
        let ring: Vec<Coord<f64>> = (0..400)
            .map(|i| {
                let t = i as f64 / 400.0 * std::f64::consts::TAU;
                let r = 1.0 + 0.3 * (7.0 * t).sin();
                Coord {
                    x: 120.0 + r * t.cos(),
                    y: 30.0 + r * t.sin(),
                }
            })
            .collect();
        let hole = polygon![(x: 119.9, y: 29.9), (x: 120.1, y: 29.9), (x: 120.1, y: 30.1), (x: 119.9, y: 30.1)];
        let poly = Polygon::new(LineString::from(ring), vec![hole.exterior().clone()]);
        let banded = BandedPolygon::new(poly.clone());
        let mut s = 42u64;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..100_000 {
            let c = Coord {
                x: 118.5 + 3.0 * rnd(),
                y: 28.5 + 3.0 * rnd(),
            };
            assert_eq!(banded.position(c), poly.coordinate_position(&c), "{c:?}");
        }
        // vertices and edge midpoints are on the boundary
        for l in poly.exterior().lines().chain(hole.exterior().lines()) {
            assert_eq!(banded.position(l.start), CoordPos::OnBoundary);
            let mid = Coord {
                x: (l.start.x + l.end.x) / 2.0,
                y: (l.start.y + l.end.y) / 2.0,
            };
            assert_eq!(banded.position(mid), poly.coordinate_position(&mid));
        }
    }
}
