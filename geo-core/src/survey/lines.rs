//! Boundary lines (行政区域界线) as objects: one line per maximal stretch of border shared
//! by two neighbouring units of a level, ending at junctions, plus the outer border.
//!
//! Per level, every ring of every unit is cut at *junctions* — vertices where three or
//! more units, or two units and the outside, meet (in the segment graph: a vertex with
//! other than two neighbours, or where the pair of units on the two sides changes). A
//! stretch without junctions (an island, an enclave) is one closed line. The rings of all
//! levels are first snapped together ([`super::snap`], ≈1 cm) so that the two separately
//! computed sides of a border match exactly.
//!
//! **Sides.** For a line between two units, `left` is the unit with the smaller code and
//! `right` the other; the geometry runs so that `left` lies on the left-hand side when
//! walking along it (x = longitude east, y = latitude north). For the outer border
//! (`right: None`), the unit is on the left: the line runs counter-clockwise around it.
//!
//! **Ids.** `"{left}-{right}-{n}"`, or `"{left}-outer-{n}"`, with n = 1, 2, … over the
//! lines of one pair in order of their first vertex (longitude, then latitude): the same
//! data gives the same ids. [`carry_ids`] keeps ids across edits.
//!
//! ```
//! use civmap_geo_core::survey::lines::boundary_lines;
//! use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
//! use geo::{polygon, MultiPolygon};
//! let unit = |code: &str, poly| AdminUnit {
//!     code: AdminCode::parse(code).unwrap(), name: code.into(), level: AdminLevel::District,
//!     parent: None, kind: String::new(), geometry: MultiPolygon(vec![poly]),
//!     population: 0, elderly: 0, synthetic: true,
//! };
//! let west = polygon![(x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)];
//! let east = polygon![(x: 120.1, y: 30.0), (x: 120.2, y: 30.0), (x: 120.2, y: 30.1), (x: 120.1, y: 30.1)];
//! let lines = boundary_lines(&[unit("330102000000", west), unit("330103000000", east)]);
//! let ids: Vec<&str> = lines.iter().map(|l| l.id.as_str()).collect();
//! assert_eq!(ids, ["330102000000-outer-1", "330102000000-330103000000-1", "330103000000-outer-1"]);
//! let shared = &lines[1];
//! // west is on the left: the shared line runs north along 120.1°E
//! assert!(shared.geometry.0[0].y < shared.geometry.0[1].y);
//! assert!(shared.length_m > 11_000.0 && shared.length_m < 11_200.0); // 0.1° of latitude
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};

use geo::{Coord, LineString};
use serde::{Deserialize, Serialize};

pub use super::hausdorff::hausdorff_m;
use super::hausdorff::{bbox_lower_bound_m, PlanarLines};
use super::measure::{geodesic_length_m, gk_length_m};
use super::snap::snap_rings;
use crate::crs::GaussKruger;
use crate::{AdminCode, AdminLevel, AdminUnit};

/// One boundary line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundaryLine {
    /// Stable id, e.g. `330102000000-330103000000-1` or `330102000000-outer-2`.
    pub id: String,
    /// The level of the two units.
    pub level: AdminLevel,
    /// The unit on the left walking along the line (the smaller code of the two).
    pub left: AdminCode,
    /// The unit on the right; `None` on the outer border of the level.
    pub right: Option<AdminCode>,
    /// The line, WGS84/CGCS2000 degrees; closed when it has no junction.
    pub geometry: LineString<f64>,
    /// Length on the CGCS2000 ellipsoid, m.
    pub length_m: f64,
    /// Planar length in the Gauss–Krüger zone, m.
    pub gk_length_m: f64,
}

impl BoundaryLine {
    /// The prefix of the ids of this line's pair, e.g. `330102000000-outer-`.
    fn id_prefix(&self) -> String {
        id_prefix(&self.left, self.right.as_ref())
    }
}

fn id_prefix(left: &AdminCode, right: Option<&AdminCode>) -> String {
    match right {
        Some(r) => format!("{left}-{r}-"),
        None => format!("{left}-outer-"),
    }
}

/// The boundary lines of every level, with Gauss–Krüger lengths in EPSG:4549
/// ([`GaussKruger::hangzhou`]); see [`boundary_lines_in`].
pub fn boundary_lines(units: &[AdminUnit]) -> Vec<BoundaryLine> {
    boundary_lines_in(units, &GaussKruger::hangzhou())
}

type Key = (u64, u64);

/// The codes of a line's left and right unit (`None`: the outside).
type UnitPair = (AdminCode, Option<AdminCode>);

fn key(c: Coord<f64>) -> Key {
    (c.x.to_bits(), c.y.to_bits())
}

/// Twice the signed area of an open ring in degrees (positive counter-clockwise).
fn signed_area2(r: &[Coord<f64>]) -> f64 {
    let o = r[0];
    (1..r.len().saturating_sub(1))
        .map(|i| {
            let (a, b) = (r[i] - o, r[i + 1] - o);
            a.x * b.y - b.x * a.y
        })
        .sum()
}

/// The boundary lines of every level present in `units`, sorted by level, left, right
/// and number, with Gauss–Krüger lengths in `gk`. Units are expected to partition their
/// level (the validator reports where they do not); where two units of a level overlap
/// along an edge in the same direction, the edge counts for the one listed first.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::lines::boundary_lines_in;
/// assert!(boundary_lines_in(&[], &GaussKruger::hangzhou()).is_empty());
/// ```
pub fn boundary_lines_in(units: &[AdminUnit], gk: &GaussKruger) -> Vec<BoundaryLine> {
    // every ring of every level, snapped together
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut ring_of: Vec<(usize, bool)> = Vec::new(); // (unit, is hole)
    for (u, unit) in units.iter().enumerate() {
        for p in &unit.geometry.0 {
            for (k, r) in std::iter::once(p.exterior())
                .chain(p.interiors())
                .enumerate()
            {
                let mut pts: Vec<Coord<f64>> = Vec::with_capacity(r.0.len());
                for &c in &r.0 {
                    if pts.last() != Some(&c) {
                        pts.push(c);
                    }
                }
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() >= 3 {
                    rings.push(pts);
                    ring_of.push((u, k > 0));
                }
            }
        }
    }
    snap_rings(&mut rings);
    // the unit on the left of every ring edge: exteriors counter-clockwise, holes clockwise
    for (r, &(_, hole)) in rings.iter_mut().zip(&ring_of) {
        if r.len() >= 3 && (signed_area2(r) > 0.0) == hole {
            r.reverse();
        }
    }
    let mut out = Vec::new();
    for level in AdminLevel::ALL {
        let level_rings: Vec<(usize, &Vec<Coord<f64>>)> = rings
            .iter()
            .zip(&ring_of)
            .filter(|(r, &(u, _))| units[u].level == level && r.len() >= 3)
            .map(|(r, &(u, _))| (u, r))
            .collect();
        if !level_rings.is_empty() {
            out.extend(level_lines(units, level, &level_rings, gk));
        }
    }
    out
}

/// The lines of one level from its oriented, snapped rings.
fn level_lines(
    units: &[AdminUnit],
    level: AdminLevel,
    rings: &[(usize, &Vec<Coord<f64>>)],
    gk: &GaussKruger,
) -> Vec<BoundaryLine> {
    let mut owner: HashMap<(Key, Key), usize> = HashMap::new();
    let mut neighbours: HashMap<Key, Vec<Key>> = HashMap::new();
    for &(u, r) in rings {
        let n = r.len();
        for i in 0..n {
            let (a, b) = (key(r[i]), key(r[(i + 1) % n]));
            owner.entry((a, b)).or_insert(u);
            for (p, q) in [(a, b), (b, a)] {
                let v = neighbours.entry(p).or_default();
                if !v.contains(&q) {
                    v.push(q);
                }
            }
        }
    }
    // the unordered pair of units on the two sides of an edge
    let sides = |a: Key, b: Key| {
        let (l, r) = (owner.get(&(a, b)).copied(), owner.get(&(b, a)).copied());
        if l <= r {
            (l, r)
        } else {
            (r, l)
        }
    };
    let is_junction = |prev: Key, v: Key, next: Key| {
        neighbours.get(&v).is_none_or(|n| n.len() != 2) || sides(prev, v) != sides(v, next)
    };
    let mut seen: HashSet<(Key, Key)> = HashSet::new();
    let mut groups: BTreeMap<UnitPair, Vec<Vec<Coord<f64>>>> = BTreeMap::new();
    for &(u, r) in rings {
        let n = r.len();
        let k: Vec<Key> = r.iter().map(|&c| key(c)).collect();
        let junctions: Vec<usize> = (0..n)
            .filter(|&i| is_junction(k[(i + n - 1) % n], k[i], k[(i + 1) % n]))
            .collect();
        let chains: Vec<Vec<Coord<f64>>> = if junctions.is_empty() {
            let start = (0..n).min_by_key(|&i| k[i]).unwrap_or(0);
            vec![(0..=n).map(|j| r[(start + j) % n]).collect()]
        } else {
            junctions
                .iter()
                .enumerate()
                .map(|(j, &s)| {
                    let e = junctions.get(j + 1).copied().unwrap_or(junctions[0] + n);
                    (s..=e).map(|i| r[i % n]).collect()
                })
                .collect()
        };
        for mut chain in chains {
            let (a, b) = (key(chain[0]), key(chain[1]));
            if !seen.insert((a, b)) {
                continue;
            }
            // the other side walks this chain from its last vertex
            let m = chain.len();
            seen.insert((key(chain[m - 1]), key(chain[m - 2])));
            if junctions.is_empty() {
                // a closed line: its other side starts at the same vertex but runs the
                // other way
                for w in chain.windows(2) {
                    seen.insert((key(w[1]), key(w[0])));
                }
            }
            if owner.get(&(a, b)) != Some(&u) {
                continue; // an overlapping duplicate: the first owner's copy counts
            }
            let right = owner.get(&(b, a)).copied();
            let (left, right) = match right {
                Some(v) if units[v].code < units[u].code => {
                    chain.reverse();
                    (v, Some(u))
                }
                _ => (u, right),
            };
            groups
                .entry((
                    units[left].code.clone(),
                    right.map(|v| units[v].code.clone()),
                ))
                .or_default()
                .push(chain);
        }
    }
    let mut out = Vec::new();
    for ((left, right), mut chains) in groups {
        chains.sort_by(|a, b| a[0].x.total_cmp(&b[0].x).then(a[0].y.total_cmp(&b[0].y)));
        let prefix = id_prefix(&left, right.as_ref());
        for (n, chain) in chains.into_iter().enumerate() {
            let geometry = LineString::from(chain);
            out.push(BoundaryLine {
                id: format!("{prefix}{}", n + 1),
                level,
                left: left.clone(),
                right: right.clone(),
                length_m: geodesic_length_m(&geometry),
                gk_length_m: gk_length_m(&geometry, gk),
                geometry,
            });
        }
    }
    out
}

/// Pairs lines of two versions one-to-one: same level and pair of units, Hausdorff
/// distance (metres in `gk`) at most `max_hausdorff_m`, closest pairs first. Returns
/// `(index in a, index in b, hausdorff_m)`.
pub(crate) fn match_lines(
    a: &[BoundaryLine],
    b: &[BoundaryLine],
    max_hausdorff_m: f64,
    gk: &GaussKruger,
) -> Vec<(usize, usize, f64)> {
    let planar = |l: &BoundaryLine| PlanarLines::new(std::iter::once(&l.geometry.0[..]), gk);
    let mut by_pair: HashMap<(AdminLevel, &AdminCode, Option<&AdminCode>), Vec<usize>> =
        HashMap::new();
    for (j, p) in a.iter().enumerate() {
        by_pair
            .entry((p.level, &p.left, p.right.as_ref()))
            .or_default()
            .push(j);
    }
    let mut a_planar: HashMap<usize, PlanarLines> = HashMap::new();
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for (i, l) in b.iter().enumerate() {
        let Some(js) = by_pair.get(&(l.level, &l.left, l.right.as_ref())) else {
            continue;
        };
        let lp = planar(l);
        for &j in js {
            let ap = a_planar.entry(j).or_insert_with(|| planar(&a[j]));
            if bbox_lower_bound_m(lp.bbox(), ap.bbox()) > max_hausdorff_m {
                continue;
            }
            let h = lp.hausdorff_m(ap);
            if h <= max_hausdorff_m {
                candidates.push((h, j, i));
            }
        }
    }
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let (mut a_taken, mut b_taken) = (vec![false; a.len()], vec![false; b.len()]);
    let mut out = Vec::new();
    for (h, j, i) in candidates {
        if !a_taken[j] && !b_taken[i] {
            a_taken[j] = true;
            b_taken[i] = true;
            out.push((j, i, h));
        }
    }
    out
}

/// The number after an id's pair prefix, if the id has that prefix.
fn id_number(id: &str, prefix: &str) -> Option<u64> {
    id.strip_prefix(prefix)?.parse().ok()
}

/// Gives the lines of a new version the ids of the previous version's lines, so that ids
/// survive geometry edits: each line in `next` takes the id of the line in `previous` of
/// the same level and pair of units whose Hausdorff distance ([`hausdorff_m`], EPSG:4549
/// metres) is smallest and at most `max_hausdorff_m`, each previous id going to at most
/// one line (closest pairs first). Lines left unmatched get fresh ids numbered after every
/// previous id of their pair, so a line that disappeared never passes its id on.
///
/// ```
/// use civmap_geo_core::survey::lines::{boundary_lines, carry_ids};
/// use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
/// use geo::{polygon, MultiPolygon};
/// let unit = |code: &str, poly| AdminUnit {
///     code: AdminCode::parse(code).unwrap(), name: code.into(), level: AdminLevel::District,
///     parent: None, kind: String::new(), geometry: MultiPolygon(vec![poly]),
///     population: 0, elderly: 0, synthetic: true,
/// };
/// let before = boundary_lines(&[unit("330102000000", polygon![
///     (x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)])]);
/// // the north-east corner moved by about 10 m
/// let mut after = boundary_lines(&[unit("330102000000", polygon![
///     (x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1001, y: 30.1), (x: 120.0, y: 30.1)])]);
/// after[0].id = "scratch".into();
/// carry_ids(&before, &mut after, 20.0);
/// assert_eq!(after[0].id, before[0].id);
/// ```
pub fn carry_ids(previous: &[BoundaryLine], next: &mut [BoundaryLine], max_hausdorff_m: f64) {
    let matches = match_lines(previous, next, max_hausdorff_m, &GaussKruger::hangzhou());
    let mut assigned: Vec<Option<String>> = vec![None; next.len()];
    for (j, i, _) in matches {
        assigned[i] = Some(previous[j].id.clone());
    }
    let mut last_number: HashMap<String, u64> = HashMap::new();
    for p in previous {
        let prefix = p.id_prefix();
        let n = id_number(&p.id, &prefix).unwrap_or(0);
        let e = last_number.entry(prefix).or_insert(0);
        *e = (*e).max(n);
    }
    for (l, id) in next.iter_mut().zip(assigned) {
        l.id = match id {
            Some(id) => id,
            None => {
                let prefix = l.id_prefix();
                let e = last_number.entry(prefix.clone()).or_insert(0);
                *e += 1;
                format!("{prefix}{e}")
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon, Polygon};

    fn unit(code: &str, level: AdminLevel, polys: Vec<Polygon<f64>>) -> AdminUnit {
        AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level,
            parent: None,
            kind: String::new(),
            geometry: MultiPolygon(polys),
            population: 0,
            elderly: 0,
            synthetic: true,
        }
    }

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    /// Three units in an L: a junction where all three meet and where two meet the outside.
    fn three() -> Vec<AdminUnit> {
        let d = AdminLevel::District;
        vec![
            unit("330103000000", d, vec![sq(120.1, 30.0, 120.2, 30.1)]),
            unit("330102000000", d, vec![sq(120.0, 30.0, 120.1, 30.1)]),
            unit("330104000000", d, vec![sq(120.0, 30.1, 120.2, 30.2)]),
        ]
    }

    #[test]
    fn lines_end_at_junctions_and_left_is_on_the_left() {
        let lines = boundary_lines(&three());
        let ids: Vec<&str> = lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "330102000000-outer-1",
                "330102000000-330103000000-1",
                "330102000000-330104000000-1",
                "330103000000-outer-1",
                "330103000000-330104000000-1",
                "330104000000-outer-1",
            ]
        );
        for l in &lines {
            let c = &l.geometry.0;
            // left: the centre of the left unit is on the left of the first segment
            let left = three().into_iter().find(|u| u.code == l.left).unwrap();
            let centre = geo::Centroid::centroid(&left.geometry).unwrap();
            let (d, p) = (c[1] - c[0], centre.0 - c[0]);
            assert!(d.x * p.y - d.y * p.x > 0.0, "{}", l.id);
            // not closed: every line ends at a junction of three units or the outside
            assert_ne!(c.first(), c.last());
        }
        // the 02|04 line runs from the triple junction (120.1, 30.1) west to the outside
        assert_eq!(
            lines[2].geometry.0.first(),
            Some(&Coord { x: 120.1, y: 30.1 })
        );
        assert_eq!(
            lines[2].geometry.0.last(),
            Some(&Coord { x: 120.0, y: 30.1 })
        );
    }

    #[test]
    fn an_enclave_is_a_closed_line_and_perimeters_add_up() {
        let d = AdminLevel::District;
        let outer = Polygon::new(
            sq(120.0, 30.0, 120.3, 30.3).exterior().clone(),
            vec![sq(120.1, 30.1, 120.2, 30.2).exterior().clone()],
        );
        let units = vec![
            unit("330102000000", d, vec![outer]),
            unit("330103000000", d, vec![sq(120.1, 30.1, 120.2, 30.2)]),
        ];
        let lines = boundary_lines(&units);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].right, Some(units[1].code.clone()));
        assert_eq!(lines[1].geometry.0.first(), lines[1].geometry.0.last());
        for u in &units {
            let sum: f64 = lines
                .iter()
                .filter(|l| l.left == u.code || l.right.as_ref() == Some(&u.code))
                .map(|l| l.length_m)
                .sum();
            let p = super::super::measure::geodesic_perimeter_m(&u.geometry);
            assert!((sum - p).abs() < 1e-6 * p, "{sum} vs {p}");
        }
    }

    #[test]
    fn ids_survive_a_small_move_and_a_vanished_line_loses_its_id() {
        let before = boundary_lines(&three());
        // move the triple junction ~3 m east (and the outline with it)
        let mut moved = three();
        let shift = |mp: &mut MultiPolygon<f64>| {
            use geo::MapCoordsInPlace;
            mp.map_coords_in_place(|c| {
                if (c.x - 120.1).abs() < 1e-12 && (c.y - 30.1).abs() < 1e-12 {
                    Coord {
                        x: 120.100_03,
                        y: 30.1,
                    }
                } else {
                    c
                }
            });
        };
        for u in &mut moved {
            shift(&mut u.geometry);
        }
        // a unit-less rename of ids, then carry
        let mut after = boundary_lines(&moved);
        for l in &mut after {
            l.id = format!("tmp-{}", l.id);
        }
        carry_ids(&before, &mut after, 10.0);
        let ids = |v: &[BoundaryLine]| v.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&after), ids(&before));
        // with a threshold below the move, every touched line gets a fresh id
        let mut strict = boundary_lines(&moved);
        carry_ids(&before, &mut strict, 1.0);
        assert_eq!(strict[1].id, "330102000000-330103000000-2");
        // 04 shrinks to the western half: the 03|04 line disappears, 03 gets an outer
        // stretch on its north side, and no line takes 03|04's id
        let mut cut = three();
        cut[2].geometry = MultiPolygon(vec![sq(120.0, 30.1, 120.1, 30.2)]);
        let mut after = boundary_lines(&cut);
        carry_ids(&before, &mut after, 10.0);
        assert!(after
            .iter()
            .all(|l| !l.id.starts_with("330103000000-330104000000")));
        let new_ids: HashSet<&str> = after.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(new_ids.len(), after.len());
        // the outer lines of 03 changed shape: one fresh id after 03's previous outer-1
        assert!(new_ids.contains("330103000000-outer-2"), "{new_ids:?}");
    }
}
