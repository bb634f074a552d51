//! Clipping polygon rings to a tile's buffered square (Sutherland–Hodgman against the four
//! edges). Neighbouring polygons clipped by the same square keep their shared border
//! identical, and the buffer keeps the cut edges outside the visible tile, so renderers
//! never draw them as outlines.

/// An axis-aligned clip square in tile coordinates.
#[derive(Debug, Clone, Copy)]
pub struct ClipBox {
    /// Lowest x and y.
    pub min: f64,
    /// Highest x and y.
    pub max: f64,
}

impl ClipBox {
    /// The tile square `0..extent` grown by `buffer` units.
    pub fn buffered(extent: u32, buffer: u32) -> Self {
        Self {
            min: -f64::from(buffer),
            max: f64::from(extent + buffer),
        }
    }

    /// True when the point lies inside (edges included).
    pub fn contains(&self, p: [f64; 2]) -> bool {
        p[0] >= self.min && p[0] <= self.max && p[1] >= self.min && p[1] <= self.max
    }
}

/// Bounding box `[min_x, min_y, max_x, max_y]` of points.
pub fn bounds(points: &[[f64; 2]]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// Clips a ring (no closing point) to the box; the result may be empty.
///
/// ```
/// use civmap_tiles::clip::{clip_ring, ClipBox};
/// let square = [[-10.0, -10.0], [10.0, -10.0], [10.0, 10.0], [-10.0, 10.0]];
/// let c = clip_ring(&square, ClipBox { min: 0.0, max: 100.0 });
/// assert_eq!(c.len(), 4);
/// assert!(c.iter().all(|p| p[0] >= 0.0 && p[1] >= 0.0));
/// ```
pub fn clip_ring(ring: &[[f64; 2]], clip: ClipBox) -> Vec<[f64; 2]> {
    let b = bounds(ring);
    if b[0] >= clip.min && b[1] >= clip.min && b[2] <= clip.max && b[3] <= clip.max {
        return ring.to_vec();
    }
    if b[2] < clip.min || b[3] < clip.min || b[0] > clip.max || b[1] > clip.max {
        return Vec::new();
    }
    let mut current = ring.to_vec();
    let mut next = Vec::with_capacity(ring.len() + 8);
    // (axis, bound, keep_greater)
    for (axis, bound, keep_ge) in [
        (0usize, clip.min, true),
        (0, clip.max, false),
        (1, clip.min, true),
        (1, clip.max, false),
    ] {
        next.clear();
        let n = current.len();
        if n == 0 {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if keep_ge {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        for i in 0..n {
            let a = current[(i + n - 1) % n];
            let b = current[i];
            let (ia, ib) = (inside(&a), inside(&b));
            if ib {
                if !ia {
                    next.push(intersect(a, b, axis, bound));
                }
                next.push(b);
            } else if ia {
                next.push(intersect(a, b, axis, bound));
            }
        }
        std::mem::swap(&mut current, &mut next);
    }
    current
}

fn intersect(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    p[axis] = bound;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(r: &[[f64; 2]]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i][0] * r[(i + 1) % n][1] - r[(i + 1) % n][0] * r[i][1])
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn clipping_keeps_the_area_inside_the_box() {
        let tri = [[-50.0, 50.0], [150.0, 50.0], [50.0, -150.0]];
        let c = clip_ring(
            &tri,
            ClipBox {
                min: 0.0,
                max: 100.0,
            },
        );
        // inside part: the band y 0..50 of the triangle, x clipped 0..100
        let a = area(&c).abs();
        assert!(a > 0.0 && a <= 100.0 * 50.0 + 1e-9, "{a}");
        assert!(c
            .iter()
            .all(|p| (0.0..=100.0).contains(&p[0]) && (0.0..=100.0).contains(&p[1])));
        assert!(clip_ring(
            &[[200.0, 200.0], [300.0, 200.0], [300.0, 300.0]],
            ClipBox {
                min: 0.0,
                max: 100.0
            }
        )
        .is_empty());
    }
}
