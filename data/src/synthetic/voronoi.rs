//! Partitioning a polygon into cells around seed points: each seed's Voronoi cell (built by
//! clipping a box with the perpendicular bisectors to the other seeds) intersected with the
//! parent polygon. Voronoi cells tile the plane, so the clipped cells tile the parent: no
//! gaps, no overlaps, up to floating-point rounding (checked by the generator's tests).

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};

/// Clips a convex polygon (ring without the closing point) by the half-plane
/// `{p : (p - m) · n <= 0}` (Sutherland–Hodgman for one edge).
fn clip_half_plane(ring: &[Coord<f64>], m: Coord<f64>, n: Coord<f64>) -> Vec<Coord<f64>> {
    let side = |p: Coord<f64>| (p.x - m.x) * n.x + (p.y - m.y) * n.y;
    let mut out = Vec::with_capacity(ring.len() + 1);
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        let (sa, sb) = (side(a), side(b));
        if sa <= 0.0 {
            out.push(a);
        }
        if (sa < 0.0 && sb > 0.0) || (sa > 0.0 && sb < 0.0) {
            let t = sa / (sa - sb);
            out.push(Coord {
                x: a.x + t * (b.x - a.x),
                y: a.y + t * (b.y - a.y),
            });
        }
    }
    out
}

/// The Voronoi cell of `seeds[i]` within `bounds`.
pub fn voronoi_cell(seeds: &[Coord<f64>], i: usize, bounds: Rect<f64>) -> Polygon<f64> {
    let s = seeds[i];
    let mut ring = vec![
        bounds.min(),
        Coord {
            x: bounds.max().x,
            y: bounds.min().y,
        },
        bounds.max(),
        Coord {
            x: bounds.min().x,
            y: bounds.max().y,
        },
    ];
    let mut others: Vec<(f64, usize)> = seeds
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(j, p)| ((p.x - s.x).powi(2) + (p.y - s.y).powi(2), j))
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (d2, j) in others {
        // a bisector farther than the cell's farthest vertex cannot cut it
        let reach2 = ring
            .iter()
            .map(|p| (p.x - s.x).powi(2) + (p.y - s.y).powi(2))
            .fold(0.0, f64::max);
        if d2 / 4.0 > reach2 {
            break;
        }
        let o = seeds[j];
        let m = Coord {
            x: (s.x + o.x) / 2.0,
            y: (s.y + o.y) / 2.0,
        };
        let n = Coord {
            x: o.x - s.x,
            y: o.y - s.y,
        };
        ring = clip_half_plane(&ring, m, n);
        if ring.len() < 3 {
            break;
        }
    }
    Polygon::new(LineString::from(ring), vec![])
}

/// Splits `parent` into one piece per seed (seeds must lie inside `parent` and be distinct).
pub fn partition(parent: &MultiPolygon<f64>, seeds: &[Coord<f64>]) -> Vec<MultiPolygon<f64>> {
    use geo::BoundingRect;
    let Some(r) = parent.bounding_rect() else {
        return vec![MultiPolygon(vec![]); seeds.len()];
    };
    if seeds.len() == 1 {
        return vec![parent.clone()];
    }
    let pad = (r.width() + r.height()) * 0.1 + 1.0;
    let bounds = Rect::new(
        Coord {
            x: r.min().x - pad,
            y: r.min().y - pad,
        },
        Coord {
            x: r.max().x + pad,
            y: r.max().y + pad,
        },
    );
    (0..seeds.len())
        .map(|i| {
            let cell = voronoi_cell(seeds, i, bounds);
            MultiPolygon(vec![cell]).intersection(parent)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    #[test]
    fn cells_tile_an_l_shaped_parent_without_gaps_or_overlaps() {
        let parent = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 40.0),
            (x: 40.0, y: 40.0), (x: 40.0, y: 100.0), (x: 0.0, y: 100.0)
        ]]);
        let seeds: Vec<Coord<f64>> = [
            (10.0, 10.0),
            (80.0, 20.0),
            (20.0, 80.0),
            (30.0, 30.0),
            (50.0, 10.0),
        ]
        .iter()
        .map(|&(x, y)| Coord { x, y })
        .collect();
        let cells = partition(&parent, &seeds);
        let sum: f64 = cells.iter().map(|c| c.unsigned_area()).sum();
        assert!((sum / parent.unsigned_area() - 1.0).abs() < 1e-9, "{sum}");
        for i in 0..cells.len() {
            for j in i + 1..cells.len() {
                assert!(
                    cells[i].intersection(&cells[j]).unsigned_area()
                        < 1e-9 * parent.unsigned_area()
                );
            }
        }
    }
}
