//! The doorplate numbering validator (门牌编号检查): per road segment, odd and even numbers on
//! opposite sides of the centreline, numbers in sequence along the road, no number twice,
//! and the gaps in each side's run of numbers.
//!
//! A **segment** is one connected stretch of a named road in the walking network (the
//! edges bearing the name, split into connected components): a name that repeats in two
//! districts is two segments. Each doorplate is placed on the nearest edge bearing its road
//! name; plates whose road has no edge in the network are counted as `unplaced` and checked
//! only for duplicates (per road name).
//!
//! How each rule is decided, per segment, in a local plane (metres):
//! - the **axis** is the principal direction of the segment's edges (length-weighted);
//!   a plate's **chainage** is the projection of its foot on the centreline onto the axis,
//!   and its **side** is the sign of the cross product of the local edge direction (turned
//!   to agree with the axis) and the offset from the foot to the plate. Plates within
//!   [`ON_CENTRELINE_M`] of the centreline have no side.
//! - **side**: the segment's convention is whichever of "odd left, even right" or "odd
//!   right, even left" more plates follow; a plate against it is `wrong_side`.
//! - **sequence**: each parity's numbers, in chainage order, should rise (or, for the
//!   whole segment, fall) along the axis; the direction is the one that keeps more plates
//!   in order. Plates outside the longest such run (longest non-decreasing subsequence)
//!   are `out_of_sequence`.
//! - **duplicates**: the same number twice on a segment (or on an unplaced road name).
//! - **gaps**: between two consecutive numbers of one parity present on a segment, the
//!   missing ones (`7, 13` → 9 and 11 missing). Numbers before the lowest present one are
//!   not counted: a segment may continue a road numbered elsewhere.
//!
//! This module is pure: it takes the records and the network and returns a report.
//!
//! ```
//! use civmap_geo_core::numbering::check_numbering;
//! use civmap_geo_core::{Doorplate, WalkEdge, WalkNetwork};
//! use geo::{coord, Point};
//! // one east–west road, odd numbers north (left walking east), even south
//! let net = WalkNetwork {
//!     nodes: vec![coord! { x: 120.10, y: 30.25 }, coord! { x: 120.12, y: 30.25 }],
//!     edges: vec![WalkEdge { from: 0, to: 1, length_m: 1926.0, road: Some(0) }],
//!     road_names: vec!["文三路".into()],
//!     synthetic: false,
//! };
//! let plate = |id: u64, number: u32, lon: f64, north: bool| Doorplate {
//!     id, road: "文三路".into(), number,
//!     location: Point::new(lon, if north { 30.2501 } else { 30.2499 }),
//!     residents: 0, elderly: 0, community: None, synthetic: false,
//! };
//! let plates = vec![
//!     plate(1, 1, 120.101, true), plate(2, 3, 120.102, true), plate(3, 9, 120.103, true),
//!     plate(4, 2, 120.101, false), plate(5, 4, 120.102, true), // 4 on the odd side
//! ];
//! let report = check_numbering(&plates, &net);
//! assert_eq!(report.counts.wrong_side, 1);
//! assert_eq!(report.counts.missing_numbers, 2); // 5 and 7
//! assert_eq!(report.counts.out_of_sequence, 0);
//! ```

use std::collections::{BTreeMap, HashMap};

use geo::Coord;
use serde::Serialize;

use crate::{Doorplate, WalkNetwork};

/// Plates nearer the centreline than this have no side.
pub const ON_CENTRELINE_M: f64 = 0.5;

/// Metres per degree of latitude (and of longitude at the equator), for the local plane.
const M_PER_DEG: f64 = 111_195.0;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberingRule {
    /// An odd number on the even side, or the other way round.
    WrongSide,
    /// A number out of order along the road.
    OutOfSequence,
    /// The same number on two or more plates of one segment.
    Duplicate,
    /// Numbers missing between two present ones of the same parity.
    Gap,
}

impl NumberingRule {
    /// The snake-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongSide => "wrong_side",
            Self::OutOfSequence => "out_of_sequence",
            Self::Duplicate => "duplicate",
            Self::Gap => "gap",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberingFinding {
    /// The rule broken.
    pub rule: NumberingRule,
    /// The road name.
    pub road: String,
    /// The segment: the stretch's ordinal among the road's connected stretches (by their
    /// first edge in the network); `None` for unplaced plates.
    pub segment: Option<u32>,
    /// The plates concerned (for a gap: the two either side of it).
    pub doorplates: Vec<u64>,
    /// Their numbers (for a gap: the first and last missing number).
    pub numbers: Vec<u32>,
}

/// How many of each, over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NumberingCounts {
    /// Plates on the wrong side for their parity.
    pub wrong_side: usize,
    /// Plates out of sequence.
    pub out_of_sequence: usize,
    /// Numbers present more than once on a segment (each such number once).
    pub duplicate_numbers: usize,
    /// Plates bearing a duplicated number beyond its first.
    pub duplicate_plates: usize,
    /// Gaps (runs of missing numbers).
    pub gaps: usize,
    /// Numbers missing inside those gaps.
    pub missing_numbers: u64,
}

/// The validator's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NumberingReport {
    /// Plates read.
    pub plates: usize,
    /// Distinct road names among them.
    pub roads: usize,
    /// Road segments with at least one plate.
    pub segments: usize,
    /// Plates whose road has no edge in the network (checked for duplicates only).
    pub unplaced: usize,
    /// Placed plates within [`ON_CENTRELINE_M`] of the centreline (no side).
    pub on_centreline: usize,
    /// Totals per rule.
    pub counts: NumberingCounts,
    /// Every finding, by rule, then road, then segment, then first number.
    pub findings: Vec<NumberingFinding>,
}

/// A plate as placed on its segment.
#[derive(Debug, Clone, Copy)]
struct Placed {
    /// Index into the plates.
    plate: u32,
    /// Along the axis, metres.
    chainage_m: f64,
    /// `Some(true)` left of the axis direction, `None` on the centreline.
    left: Option<bool>,
}

/// Checks the numbering of every doorplate against the network's roads.
///
/// See the module documentation for the rules. Runs in time linear in the plates times
/// the edges of their road.
pub fn check_numbering(plates: &[Doorplate], network: &WalkNetwork) -> NumberingReport {
    let mut edges_by_name: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, e) in network.edges.iter().enumerate() {
        if let Some(name) = e.road.and_then(|r| network.road_names.get(r as usize)) {
            edges_by_name
                .entry(name.as_str())
                .or_default()
                .push(i as u32);
        }
    }
    let mut report = NumberingReport {
        plates: plates.len(),
        ..NumberingReport::default()
    };
    // plates by road name, in input order
    let mut by_name: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, p) in plates.iter().enumerate() {
        by_name.entry(p.road.as_str()).or_default().push(i as u32);
    }
    report.roads = by_name.len();
    for (name, members) in by_name {
        let segments: Vec<Segment> = edges_by_name
            .get(name)
            .map(|edges| stretches(edges, network))
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(k, edges)| Segment::new(k as u32, edges, network))
            .collect();
        if segments.is_empty() {
            report.unplaced += members.len();
            find_duplicates(plates, name, None, &members, &mut report);
            continue;
        }
        let mut per_segment: Vec<Vec<Placed>> = vec![Vec::new(); segments.len()];
        for &i in &members {
            let at = plates[i as usize].location.0;
            let best = segments
                .iter()
                .enumerate()
                .map(|(k, s)| (k, s.place(i, at, network)))
                .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
            let Some((k, (placed, _))) = best else {
                continue; // unreachable: segments is not empty
            };
            per_segment[k].push(placed);
        }
        for (seg, placed) in segments.iter().zip(per_segment) {
            if placed.is_empty() {
                continue;
            }
            report.segments += 1;
            report.on_centreline += placed.iter().filter(|p| p.left.is_none()).count();
            check_segment(plates, name, seg.id, placed, &mut report);
        }
    }
    report.findings.sort_by(|a, b| {
        (a.rule, &a.road, a.segment, a.numbers.first()).cmp(&(
            b.rule,
            &b.road,
            b.segment,
            b.numbers.first(),
        ))
    });
    report
}

/// The edges of one road split into connected stretches, each in edge order, the
/// stretches ordered by their first edge.
fn stretches(edges: &[u32], net: &WalkNetwork) -> Vec<Vec<u32>> {
    // union-find over the road's nodes
    let mut parent: HashMap<u32, u32> = HashMap::new();
    fn root(parent: &mut HashMap<u32, u32>, mut n: u32) -> u32 {
        while let Some(&p) = parent.get(&n).filter(|&&p| p != n) {
            let grand = parent.get(&p).copied().unwrap_or(p);
            parent.insert(n, grand);
            n = p;
        }
        n
    }
    for &e in edges {
        let e = &net.edges[e as usize];
        let (a, b) = (root(&mut parent, e.from), root(&mut parent, e.to));
        parent.entry(a).or_insert(a);
        parent.insert(b, a);
    }
    let mut by_root: HashMap<u32, usize> = HashMap::new();
    let mut out: Vec<Vec<u32>> = Vec::new();
    for &e in edges {
        let r = root(&mut parent, net.edges[e as usize].from);
        let k = *by_root.entry(r).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[k].push(e);
    }
    out
}

/// One stretch of a road in a local plane.
#[derive(Debug)]
struct Segment {
    id: u32,
    edges: Vec<u32>,
    origin: Coord<f64>,
    cos_lat: f64,
    /// Unit principal direction in the local plane.
    axis: Coord<f64>,
}

impl Segment {
    /// `edges` is not empty (a stretch has at least one edge).
    fn new(id: u32, edges: Vec<u32>, net: &WalkNetwork) -> Self {
        let first = net.nodes[net.edges[edges[0] as usize].from as usize];
        let cos_lat = first.y.to_radians().cos();
        let mut s = Self {
            id,
            edges,
            origin: first,
            cos_lat,
            axis: Coord { x: 1.0, y: 0.0 },
        };
        // length-weighted covariance of the edge directions (sign-free): principal axis
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for &e in &s.edges {
            let (a, b) = s.edge_ends(e, net);
            let d = b - a;
            let l = d.x.hypot(d.y);
            if l > 0.0 {
                sxx += d.x * d.x / l;
                sxy += d.x * d.y / l;
                syy += d.y * d.y / l;
            }
        }
        let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
        s.axis = Coord {
            x: angle.cos(),
            y: angle.sin(),
        };
        s
    }

    fn local(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.origin.x) * self.cos_lat * M_PER_DEG,
            y: (c.y - self.origin.y) * M_PER_DEG,
        }
    }

    fn edge_ends(&self, e: u32, net: &WalkNetwork) -> (Coord<f64>, Coord<f64>) {
        let e = &net.edges[e as usize];
        (
            self.local(net.nodes[e.from as usize]),
            self.local(net.nodes[e.to as usize]),
        )
    }

    /// The plate on its nearest edge of this segment, and its distance to it.
    fn place(&self, plate: u32, at: Coord<f64>, net: &WalkNetwork) -> (Placed, f64) {
        let p = self.local(at);
        let mut best: Option<(f64, Coord<f64>, Coord<f64>)> = None;
        for &e in &self.edges {
            let (a, b) = self.edge_ends(e, net);
            let d = b - a;
            let len2 = d.x * d.x + d.y * d.y;
            let t = if len2 > 0.0 {
                (((p - a).x * d.x + (p - a).y * d.y) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let foot = a + d * t;
            let dist = (p - foot).x.hypot((p - foot).y);
            if best.is_none_or(|(bd, _, _)| dist < bd) {
                best = Some((dist, foot, d));
            }
        }
        let (dist, foot, mut dir) = best.unwrap_or((f64::INFINITY, p, self.axis));
        if dir.x * self.axis.x + dir.y * self.axis.y < 0.0 {
            dir = -dir;
        }
        let off = p - foot;
        let cross = dir.x * off.y - dir.y * off.x;
        let left = (dist >= ON_CENTRELINE_M).then_some(cross > 0.0);
        let chainage_m = foot.x * self.axis.x + foot.y * self.axis.y;
        (
            Placed {
                plate,
                chainage_m,
                left,
            },
            dist,
        )
    }
}

/// Every rule on the plates of one segment.
fn check_segment(
    plates: &[Doorplate],
    road: &str,
    segment: u32,
    mut placed: Vec<Placed>,
    report: &mut NumberingReport,
) {
    let number = |p: &Placed| plates[p.plate as usize].number;
    let odd = |p: &Placed| number(p) % 2 == 1;
    let finding = |rule, ps: &[&Placed]| NumberingFinding {
        rule,
        road: road.to_owned(),
        segment: Some(segment),
        doorplates: ps.iter().map(|p| plates[p.plate as usize].id).collect(),
        numbers: ps.iter().map(|&p| number(p)).collect(),
    };
    // side: the convention more plates follow
    let odd_left_votes = placed
        .iter()
        .filter(|&p| p.left.is_some_and(|l| l == odd(p)))
        .count();
    let odd_right_votes = placed
        .iter()
        .filter(|&p| p.left.is_some_and(|l| l != odd(p)))
        .count();
    let odd_is_left = odd_left_votes >= odd_right_votes;
    for p in &placed {
        if p.left.is_some_and(|l| l != (odd(p) == odd_is_left)) {
            report.counts.wrong_side += 1;
            report
                .findings
                .push(finding(NumberingRule::WrongSide, &[p]));
        }
    }
    // sequence: along the axis, per parity, rising or (for the whole segment) falling
    placed.sort_by(|a, b| {
        a.chainage_m.total_cmp(&b.chainage_m).then(
            plates[a.plate as usize]
                .id
                .cmp(&plates[b.plate as usize].id),
        )
    });
    let sides: [Vec<&Placed>; 2] = [
        placed.iter().filter(|&p| odd(p)).collect(),
        placed.iter().filter(|&p| !odd(p)).collect(),
    ];
    let runs = |rising: bool| -> Vec<Vec<bool>> {
        sides
            .iter()
            .map(|side| {
                let keys: Vec<i64> = side
                    .iter()
                    .map(|p| {
                        let n = i64::from(number(p));
                        if rising {
                            n
                        } else {
                            -n
                        }
                    })
                    .collect();
                longest_non_decreasing(&keys)
            })
            .collect()
    };
    let kept = |r: &[Vec<bool>]| r.iter().flatten().filter(|&&k| k).count();
    let (up, down) = (runs(true), runs(false));
    let in_run = if kept(&up) >= kept(&down) { up } else { down };
    for (side, keep) in sides.iter().zip(&in_run) {
        for (&p, &k) in side.iter().zip(keep) {
            if !k {
                report.counts.out_of_sequence += 1;
                report
                    .findings
                    .push(finding(NumberingRule::OutOfSequence, &[p]));
            }
        }
    }
    // duplicates and gaps, per number
    let members: Vec<u32> = placed.iter().map(|p| p.plate).collect();
    find_duplicates(plates, road, Some(segment), &members, report);
    for side in &sides {
        let mut by_number: Vec<&Placed> = side.clone();
        by_number.sort_by_key(|&p| (number(p), plates[p.plate as usize].id));
        by_number.dedup_by_key(|p| number(p));
        for w in by_number.windows(2) {
            let (a, b) = (number(w[0]), number(w[1]));
            if b > a + 2 {
                report.counts.gaps += 1;
                report.counts.missing_numbers += u64::from((b - a) / 2 - 1);
                let mut f = finding(NumberingRule::Gap, &[w[0], w[1]]);
                f.numbers = vec![a + 2, b - 2];
                report.findings.push(f);
            }
        }
    }
}

/// Numbers borne by more than one of `members`.
fn find_duplicates(
    plates: &[Doorplate],
    road: &str,
    segment: Option<u32>,
    members: &[u32],
    report: &mut NumberingReport,
) {
    let mut by_number: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for &i in members {
        let p = &plates[i as usize];
        by_number.entry(p.number).or_default().push(p.id);
    }
    for (n, mut ids) in by_number {
        if ids.len() > 1 {
            ids.sort_unstable();
            report.counts.duplicate_numbers += 1;
            report.counts.duplicate_plates += ids.len() - 1;
            report.findings.push(NumberingFinding {
                rule: NumberingRule::Duplicate,
                road: road.to_owned(),
                segment,
                numbers: vec![n; ids.len()],
                doorplates: ids,
            });
        }
    }
}

/// Which elements belong to one longest non-decreasing subsequence (O(n log n), the
/// earliest-ending one on ties).
fn longest_non_decreasing(keys: &[i64]) -> Vec<bool> {
    // tails[l]: index of the smallest possible tail of a run of length l + 1
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; keys.len()];
    for (i, &k) in keys.iter().enumerate() {
        let l = tails.partition_point(|&t| keys[t] <= k);
        prev[i] = l.checked_sub(1).map(|j| tails[j]);
        if l == tails.len() {
            tails.push(i);
        } else {
            tails[l] = i;
        }
    }
    let mut keep = vec![false; keys.len()];
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep[i] = true;
        at = prev[i];
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WalkEdge;
    use geo::{coord, Point};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Longest non-decreasing subsequence length by brute force over every subset.
    fn brute_lnds(keys: &[i64]) -> usize {
        let n = keys.len();
        (0u32..1 << n)
            .filter(|mask| {
                let picked: Vec<i64> = (0..n)
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| keys[i])
                    .collect();
                picked.windows(2).all(|w| w[0] <= w[1])
            })
            .map(|mask| mask.count_ones() as usize)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn longest_run_matches_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        for _ in 0..300 {
            let n = rng.gen_range(0..11);
            let keys: Vec<i64> = (0..n).map(|_| rng.gen_range(0..6)).collect();
            let keep = longest_non_decreasing(&keys);
            let picked: Vec<i64> = keys
                .iter()
                .zip(&keep)
                .filter(|(_, &k)| k)
                .map(|(&v, _)| v)
                .collect();
            assert!(picked.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
            assert_eq!(picked.len(), brute_lnds(&keys), "{keys:?}");
        }
    }

    /// A road bending north-east then east: two edges, numbers rising eastwards, odd on
    /// the left (north side).
    fn bent_road() -> WalkNetwork {
        WalkNetwork {
            nodes: vec![
                coord! { x: 120.100, y: 30.250 },
                coord! { x: 120.105, y: 30.252 },
                coord! { x: 120.115, y: 30.252 },
            ],
            edges: vec![
                WalkEdge {
                    from: 0,
                    to: 1,
                    length_m: 530.0,
                    road: Some(0),
                },
                WalkEdge {
                    from: 2,
                    to: 1,
                    length_m: 962.0,
                    road: Some(0),
                },
            ],
            road_names: vec!["学院路".into()],
            synthetic: false,
        }
    }

    fn plate(id: u64, number: u32, lon: f64, lat: f64) -> Doorplate {
        Doorplate {
            id,
            road: "学院路".into(),
            number,
            location: Point::new(lon, lat),
            residents: 3,
            elderly: 1,
            community: None,
            synthetic: true,
        }
    }

    /// Plates along the bent road at fractions of its length, `north` of it or south.
    fn along(id: u64, number: u32, x: f64, north: bool) -> Doorplate {
        let dy = if north { 0.0001 } else { -0.0001 };
        let y = if x < 120.105 {
            30.250 + (x - 120.100) * 0.4
        } else {
            30.252
        };
        plate(id, number, x, y + dy)
    }

    /// Plates 1–20 along the bent road, odd numbers north and even south, in order.
    fn well_numbered() -> Vec<Doorplate> {
        (0..20)
            .map(|k| {
                along(
                    k as u64 + 1,
                    k + 1,
                    120.1005 + 0.0007 * k as f64,
                    k % 2 == 0,
                )
            })
            .collect()
    }

    #[test]
    fn a_clean_road_has_no_findings() {
        let plates = well_numbered();
        let r = check_numbering(&plates, &bent_road());
        assert_eq!(r.findings, vec![], "{r:?}");
        assert_eq!((r.plates, r.roads, r.segments, r.unplaced), (20, 1, 1, 0));
    }

    #[test]
    fn each_rule_finds_what_was_planted() {
        let mut plates = well_numbered();
        // plate 5 (number 5, north) moves south: wrong side
        plates[4] = along(5, 5, 120.1005 + 0.0007 * 4.0, false);
        // plate 10 (number 10) is renumbered 30: out of sequence among the evens
        plates[9].number = 30;
        // plate 13 (number 13) gets 11 again: a duplicate of plate 11
        plates[12].number = 11;
        // plate 17 (number 17) removed: a gap 17..17 between 15 and 19
        plates.remove(16);
        let r = check_numbering(&plates, &bent_road());
        let of = |rule| {
            r.findings
                .iter()
                .filter(|f| f.rule == rule)
                .map(|f| (f.doorplates.clone(), f.numbers.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(of(NumberingRule::WrongSide), vec![(vec![5], vec![5])]);
        assert_eq!(of(NumberingRule::OutOfSequence), vec![(vec![10], vec![30])]);
        assert_eq!(
            of(NumberingRule::Duplicate),
            vec![(vec![11, 13], vec![11, 11])]
        );
        // odd: 13 is gone (its plate bears 11) and 17 removed; even: 10 became 30, which
        // leaves 22..28 missing after 20
        assert_eq!(
            of(NumberingRule::Gap),
            vec![
                (vec![8, 12], vec![10, 10]),
                (vec![11, 15], vec![13, 13]),
                (vec![15, 19], vec![17, 17]),
                (vec![20, 10], vec![22, 28]),
            ]
        );
        assert_eq!(r.counts.missing_numbers, 1 + 1 + 1 + 4);
    }

    #[test]
    fn numbers_falling_along_the_axis_are_in_sequence() {
        let plates: Vec<Doorplate> = (0..10)
            .map(|k| {
                along(
                    k as u64 + 1,
                    20 - k,
                    120.1005 + 0.0013 * k as f64,
                    k % 2 == 1,
                )
            })
            .collect();
        let r = check_numbering(&plates, &bent_road());
        assert_eq!(r.counts, NumberingCounts::default(), "{r:?}");
    }

    #[test]
    fn a_name_on_two_disconnected_stretches_is_two_segments() {
        let mut net = bent_road();
        // the same name 5 km north: another district's 学院路
        net.nodes.push(coord! { x: 120.100, y: 30.300 });
        net.nodes.push(coord! { x: 120.110, y: 30.300 });
        net.edges.push(WalkEdge {
            from: 3,
            to: 4,
            length_m: 962.0,
            road: Some(0),
        });
        let mut plates: Vec<Doorplate> = (0..6)
            .map(|k| along(k as u64 + 1, k + 1, 120.1005 + 0.002 * k as f64, k % 2 == 0))
            .collect();
        plates.extend((0..6).map(|k| {
            let y = if k % 2 == 0 { 30.3001 } else { 30.2999 };
            plate(k as u64 + 11, k + 1, 120.1005 + 0.0015 * k as f64, y)
        }));
        let r = check_numbering(&plates, &net);
        assert_eq!(r.segments, 2);
        assert_eq!(r.counts, NumberingCounts::default(), "{r:?}");
    }

    #[test]
    fn a_road_missing_from_the_network_is_unplaced_and_checked_for_duplicates() {
        let mut a = plate(1, 4, 120.2, 30.3);
        a.road = "无名巷".into();
        let mut b = a.clone();
        b.id = 2;
        let r = check_numbering(&[a, b], &bent_road());
        assert_eq!((r.unplaced, r.segments), (2, 0));
        assert_eq!(r.counts.duplicate_numbers, 1);
        assert_eq!(r.findings[0].segment, None);
    }
}
