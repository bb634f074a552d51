//! Whether a change leaves a unit in separate pieces: a merge of units that do not touch, or
//! a community moved to a township it does not border, makes an exclave. Real units may
//! already have islands (the survey validator of current data does not report them), so a
//! unit is reported only when it has **more** separate pieces after the change than it (or
//! the unit it continues) had before.
//!
//! Two polygons of a unit are one piece when they lie within [`TOUCH_DEG`] of each other
//! (the snapping tolerance of shared boundaries, about 1 m), and polygons smaller than
//! [`MIN_PIECE_M2`] are not counted (they are slivers, which the validator reports as such).
//!
//! ```
//! use civmap_geo_core::proposal::contiguity::separate_pieces;
//! use geo::{polygon, MultiPolygon};
//! let cell = |x: f64| polygon![(x: x, y: 30.0), (x: x + 0.01, y: 30.0), (x: x + 0.01, y: 30.01), (x: x, y: 30.01)];
//! // two cells sharing an edge are one piece; a third 0.01° away is a second
//! assert_eq!(separate_pieces(&MultiPolygon(vec![cell(120.0), cell(120.01)])), 1);
//! assert_eq!(separate_pieces(&MultiPolygon(vec![cell(120.0), cell(120.02)])), 2);
//! ```

use std::collections::HashMap;

use geo::{BoundingRect, Distance, Euclidean, Geometry, MultiPolygon, Polygon};

use crate::survey::measure::geodesic_area_m2;
use crate::survey::{Finding, Rule};
use crate::{AdminCode, AdminUnit};

/// Polygons of one unit this close (degrees, about 1 m at Hangzhou's latitude) are one piece.
pub const TOUCH_DEG: f64 = 1.0e-5;

/// Polygons smaller than this (m², CGCS2000 ellipsoid) are not counted as pieces.
pub const MIN_PIECE_M2: f64 = 100.0;

/// The polygons of `mp` that count as pieces (not slivers).
fn counted(mp: &MultiPolygon<f64>) -> Vec<&Polygon<f64>> {
    mp.0.iter()
        .filter(|p| geodesic_area_m2(&MultiPolygon(vec![(*p).clone()])) >= MIN_PIECE_M2)
        .collect()
}

/// Groups the polygons into pieces (polygons within [`TOUCH_DEG`] joined): for each
/// polygon, the index of its piece's first polygon.
fn pieces(polys: &[&Polygon<f64>]) -> Vec<usize> {
    let mut root: Vec<usize> = (0..polys.len()).collect();
    fn find(root: &mut [usize], mut i: usize) -> usize {
        while root[i] != i {
            root[i] = root[root[i]];
            i = root[i];
        }
        i
    }
    let boxes: Vec<_> = polys.iter().map(|p| p.bounding_rect()).collect();
    for i in 0..polys.len() {
        for j in i + 1..polys.len() {
            let (Some(a), Some(b)) = (boxes[i], boxes[j]) else {
                continue;
            };
            let apart = a.min().x - b.max().x > TOUCH_DEG
                || b.min().x - a.max().x > TOUCH_DEG
                || a.min().y - b.max().y > TOUCH_DEG
                || b.min().y - a.max().y > TOUCH_DEG;
            if !apart && Euclidean.distance(polys[i], polys[j]) <= TOUCH_DEG {
                let (ri, rj) = (find(&mut root, i), find(&mut root, j));
                root[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    (0..polys.len()).map(|i| find(&mut root, i)).collect()
}

/// How many separate pieces `mp` is made of (see the module docs).
pub fn separate_pieces(mp: &MultiPolygon<f64>) -> usize {
    let mut roots = pieces(&counted(mp));
    roots.sort_unstable();
    roots.dedup();
    roots.len()
}

/// A [`Rule::Disconnected`] finding for each unit of `after` with more separate pieces
/// than `before(code)` had; `before` gives the unit's shape before the change (its own, or
/// the unit it continues). The finding's geometry is the pieces apart from the largest.
pub fn disconnected<'a>(
    after: impl IntoIterator<Item = &'a AdminUnit>,
    before: impl Fn(&AdminCode) -> Option<&'a MultiPolygon<f64>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in after {
        let polys = counted(&u.geometry);
        let roots = pieces(&polys);
        let mut by_piece: HashMap<usize, Vec<Polygon<f64>>> = HashMap::new();
        for (p, r) in polys.iter().zip(&roots) {
            by_piece.entry(*r).or_default().push((*p).clone());
        }
        let had = before(&u.code).map_or(1, separate_pieces).max(1);
        if by_piece.len() <= had {
            continue;
        }
        let mut parts: Vec<(f64, MultiPolygon<f64>)> = by_piece
            .into_values()
            .map(|ps| {
                let mp = MultiPolygon(ps);
                (geodesic_area_m2(&mp), mp)
            })
            .collect();
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        let n = parts.len();
        let detached: Vec<Polygon<f64>> = parts.drain(1..).flat_map(|(_, mp)| mp.0).collect();
        let detached = MultiPolygon(detached);
        let area_m2 = geodesic_area_m2(&detached);
        out.push(Finding {
            rule: Rule::Disconnected,
            level: Some(u.level),
            codes: vec![u.code.clone()],
            marker: None,
            geometry: Geometry::MultiPolygon(detached),
            area_m2: Some(area_m2),
            width_m: None,
            detail: format!(
                "{} ({}) would be in {n} separate pieces (it had {had}): {:.0} m² lie apart from the rest",
                u.code, u.name, area_m2
            ),
        });
    }
    out
}
