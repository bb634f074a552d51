//! The geometry of a branch. Neighbouring units were computed separately and agree only to
//! ~1e-9°, so the rings of every polygon involved are first snapped together
//! ([`crate::survey::snap::snap_rings`]); unions and differences of shared borders then
//! leave no slivers.

use geo::{
    Area, BooleanOps, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon,
};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::slice::FloatSlice;

use super::ProposalError;
use crate::survey::snap::snap_rings;

/// The multipolygons with their rings snapped together (same order, same structure).
pub fn snapped(shapes: &[&MultiPolygon<f64>]) -> Vec<MultiPolygon<f64>> {
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
    for mp in shapes {
        for p in &mp.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                let mut pts = r.0.clone();
                if pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                rings.push(pts);
            }
        }
    }
    snap_rings(&mut rings);
    let mut it = rings.into_iter();
    shapes
        .iter()
        .map(|mp| {
            MultiPolygon(
                mp.0.iter()
                    .filter_map(|p| {
                        let ext = it.next().unwrap_or_default();
                        let holes: Vec<LineString<f64>> = p
                            .interiors()
                            .iter()
                            .map(|_| LineString::from(it.next().unwrap_or_default()))
                            .filter(|r| r.0.len() >= 3)
                            .collect();
                        (ext.len() >= 3).then(|| Polygon::new(LineString::from(ext), holes))
                    })
                    .collect(),
            )
        })
        .collect()
}

/// `a ∪ b` after snapping.
///
/// ```
/// use civmap_geo_core::proposal::shapes::union;
/// use geo::{polygon, Area, MultiPolygon};
/// let a = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
/// let b = MultiPolygon(vec![polygon![(x: 1.0 + 1e-9, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)]]);
/// let u = union(&a, &b);
/// assert_eq!(u.0.len(), 1);
/// assert!((u.unsigned_area() - 2.0).abs() < 1e-9);
/// ```
pub fn union(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let s = snapped(&[a, b]);
    s[0].union(&s[1])
}

/// The union of many multipolygons, snapped together first.
pub fn union_all(shapes: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let s = snapped(shapes);
    s.iter()
        .fold(MultiPolygon(Vec::new()), |acc, mp| acc.union(mp))
}

/// `a \ b` after snapping.
///
/// ```
/// use civmap_geo_core::proposal::shapes::difference;
/// use geo::{polygon, Area, MultiPolygon};
/// let a = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]);
/// let b = MultiPolygon(vec![polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0 + 1e-9, y: 1.0)]]);
/// assert!((difference(&a, &b).unsigned_area() - 1.0).abs() < 1e-9);
/// ```
pub fn difference(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let s = snapped(&[a, b]);
    s[0].difference(&s[1])
}

/// Which side of `line` a point is on: positive on the left (walking from the first to the
/// last point), judged by the nearest segment.
fn side_of(line: &LineString<f64>, p: Coord<f64>) -> f64 {
    let mut best = (f64::INFINITY, 0.0);
    for seg in line.lines() {
        let d = seg.delta();
        let len2 = d.x * d.x + d.y * d.y;
        if len2 == 0.0 {
            continue;
        }
        let t = (((p.x - seg.start.x) * d.x + (p.y - seg.start.y) * d.y) / len2).clamp(0.0, 1.0);
        let q = Coord {
            x: seg.start.x + t * d.x,
            y: seg.start.y + t * d.y,
        };
        let dist = (p.x - q.x).hypot(p.y - q.y);
        if dist < best.0 {
            best = (dist, d.x * (p.y - seg.start.y) - d.y * (p.x - seg.start.x));
        }
    }
    best.1
}

/// Cuts `shape` along `line` into the part on the line's left and the part on its right.
/// The line must cross the shape from outside to outside: both ends outside it, and
/// ground on both sides. `field` names the request field in errors.
///
/// ```
/// use civmap_geo_core::proposal::shapes::split;
/// use geo::{line_string, polygon, Area, MultiPolygon};
/// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]);
/// // a cut northwards along x = 0.5: the left part is the western quarter
/// let (left, right) = split(&square, &line_string![(x: 0.5, y: -1.0), (x: 0.5, y: 2.0)], "line").unwrap();
/// assert!((left.unsigned_area() - 0.5).abs() < 1e-9);
/// assert!((right.unsigned_area() - 1.5).abs() < 1e-9);
/// // a line that stops inside does not cut
/// assert!(split(&square, &line_string![(x: 0.5, y: -1.0), (x: 0.5, y: 0.5)], "line").is_err());
/// ```
pub fn split(
    shape: &MultiPolygon<f64>,
    line: &LineString<f64>,
    field: &'static str,
) -> Result<(MultiPolygon<f64>, MultiPolygon<f64>), ProposalError> {
    if line.0.len() < 2 {
        return Err(ProposalError::invalid(field, "needs at least two points"));
    }
    if line.0.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err(ProposalError::invalid(
            field,
            "has a coordinate that is not a number",
        ));
    }
    for (end, c) in [("first", line.0[0]), ("last", line.0[line.0.len() - 1])] {
        if shape.contains(&Point::from(c)) {
            return Err(ProposalError::invalid(
                field,
                format!(
                    "does not cross the unit fully: its {end} point ({}, {}) lies inside it",
                    c.x, c.y
                ),
            ));
        }
    }
    let shapes: Vec<Vec<Vec<[f64; 2]>>> = shape
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| {
                    let mut pts: Vec<[f64; 2]> = r.0.iter().map(|c| [c.x, c.y]).collect();
                    if pts.len() > 1 && pts.first() == pts.last() {
                        pts.pop();
                    }
                    pts
                })
                .collect()
        })
        .collect();
    let path: Vec<[f64; 2]> = line.0.iter().map(|c| [c.x, c.y]).collect();
    let pieces = shapes.slice_by(&path, FillRule::NonZero);
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for piece in pieces {
        let mut rings = piece.into_iter().map(|r| {
            let mut ls: Vec<Coord<f64>> = r.into_iter().map(|[x, y]| Coord { x, y }).collect();
            if let Some(&f) = ls.first() {
                ls.push(f);
            }
            LineString::from(ls)
        });
        let Some(ext) = rings.next() else { continue };
        let poly = Polygon::new(ext, rings.collect());
        if poly.unsigned_area() == 0.0 {
            continue;
        }
        let Some(inside) = poly.interior_point() else {
            continue;
        };
        if side_of(line, inside.0) > 0.0 {
            left.push(poly);
        } else {
            right.push(poly);
        }
    }
    if left.is_empty() || right.is_empty() {
        return Err(ProposalError::invalid(
            field,
            "does not cross the unit: all of it lies on one side of the line",
        ));
    }
    Ok((MultiPolygon(left), MultiPolygon(right)))
}
