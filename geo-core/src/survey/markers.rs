//! The boundary-marker (界桩) register's model, and its rule checks.
//!
//! A marker stands on a boundary line; the register (GB/T 17796's 界桩登记表 and 成果表)
//! keeps its number, line, position, type code and condition, and every joint inspection
//! keeps a dated record of what the inspector found.

//!
//! The checks ([`check_markers`]) measure in the Gauss–Krüger zone you pass:
//! [`Rule::MarkerOffLine`] for a marker farther from its line than the tolerance (or on a
//! line that does not exist), [`Rule::MarkerOutOfSequence`] for numbers that do not run in
//! order along the line.
//!
//! ```
//! use civmap_geo_core::crs::GaussKruger;
//! use civmap_geo_core::survey::lines::boundary_lines;
//! use civmap_geo_core::survey::markers::{check_markers, Marker, MarkerKind, MarkerStatus};
//! use civmap_geo_core::survey::Rule;
//! use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
//! use geo::{polygon, MultiPolygon};
//! let unit = |code: &str, poly| AdminUnit {
//!     code: AdminCode::parse(code).unwrap(), name: code.into(), level: AdminLevel::District,
//!     parent: None, kind: String::new(), geometry: MultiPolygon(vec![poly]),
//!     population: 0, elderly: 0, synthetic: true,
//! };
//! let lines = boundary_lines(&[
//!     unit("330102000000", polygon![(x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)]),
//!     unit("330103000000", polygon![(x: 120.1, y: 30.0), (x: 120.2, y: 30.0), (x: 120.2, y: 30.1), (x: 120.1, y: 30.1)]),
//! ]);
//! let marker = |number: &str, lon: f64, lat: f64| Marker {
//!     number: number.into(), line: "330102000000-330103000000-1".into(), lon, lat,
//!     kind: MarkerKind::A, status: MarkerStatus::Intact, inspections: vec![],
//! };
//! let markers = [marker("102-103-001A", 120.1, 30.02), marker("102-103-002A", 120.1001, 30.05)];
//! let findings = check_markers(&markers, &lines, 1.0, &GaussKruger::hangzhou());
//! assert_eq!(findings.len(), 1); // the second is ~9.6 m east of the line
//! assert_eq!(findings[0].rule, Rule::MarkerOffLine);
//! ```

use std::collections::HashMap;
use std::fmt;

use geo::{Coord, LineString, Point};
use serde::{Deserialize, Serialize};

use super::lines::BoundaryLine;
use super::report::{Finding, Rule};
use crate::crs::GaussKruger;

/// The type code a marker number carries, as the register writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MarkerKind {
    /// Type code `A`.
    A,
    /// Type code `B`.
    B,
    /// Type code `C`.
    C,
    /// Type code `D`.
    D,
    /// Type code `E`.
    E,
    /// Type code `Q`.
    Q,
}

impl MarkerKind {
    /// Every type code.
    pub const ALL: [MarkerKind; 6] = [Self::A, Self::B, Self::C, Self::D, Self::E, Self::Q];

    /// The one-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::Q => "Q",
        }
    }

    /// Parses a one-letter code (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for MarkerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A marker's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerStatus {
    /// 完好.
    Intact,
    /// 损坏.
    Damaged,
    /// 移位 — found away from its registered position.
    Moved,
    /// 丢失.
    Lost,
    /// 被掩埋/遮挡.
    Obscured,
}

impl MarkerStatus {
    /// Every status.
    pub const ALL: [MarkerStatus; 5] = [
        Self::Intact,
        Self::Damaged,
        Self::Moved,
        Self::Lost,
        Self::Obscured,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intact => "intact",
            Self::Damaged => "damaged",
            Self::Moved => "moved",
            Self::Lost => "lost",
            Self::Obscured => "obscured",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for MarkerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inspection of a marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Day of the inspection, `YYYY-MM-DD`.
    pub date: String,
    /// Who inspected.
    pub inspector: String,
    /// What they found.
    pub status: MarkerStatus,
    /// Measured distance between the registered and the found position, metres.
    pub offset_m: Option<f64>,
    /// Free remarks.
    pub note: Option<String>,
}

/// One boundary marker in the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Register number, e.g. `330106-330105-003A`; numbers on one line run in sequence.
    pub number: String,
    /// The boundary line it stands on (a [`super::lines::BoundaryLine`] id).
    pub line: String,
    /// Position, CGCS2000 longitude in degrees.
    pub lon: f64,
    /// Position, CGCS2000 latitude in degrees.
    pub lat: f64,
    /// Type code.
    pub kind: MarkerKind,
    /// Current condition (the latest inspection's, or as registered).
    pub status: MarkerStatus,
    /// Inspections, oldest first.
    pub inspections: Vec<Inspection>,
}

/// A marker's position in the Gauss–Krüger zone: `(x_m, y_m)` = (easting, northing).
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::markers::{marker_gk, Marker, MarkerKind, MarkerStatus};
/// let m = Marker { number: "001A".into(), line: String::new(), lon: 120.0, lat: 30.0,
///     kind: MarkerKind::A, status: MarkerStatus::Intact, inspections: vec![] };
/// let (x_m, y_m) = marker_gk(&m, &GaussKruger::hangzhou());
/// assert!((x_m - 500_000.0).abs() < 1e-6 && y_m > 3_300_000.0 && y_m < 3_340_000.0);
/// ```
pub fn marker_gk(marker: &Marker, gk: &GaussKruger) -> (f64, f64) {
    let c = gk.forward(Coord {
        x: marker.lon,
        y: marker.lat,
    });
    (c.x, c.y)
}

/// Where a point lies relative to a line, in Gauss–Krüger metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinePosition {
    /// Distance along the line from its first vertex to the nearest point, m.
    pub along_m: f64,
    /// Distance from the line, m, positive on the left side (the line's `left` unit),
    /// negative on the right.
    pub offset_m: f64,
}

/// Projects a point (longitude/latitude degrees) onto a line in the Gauss–Krüger zone:
/// the nearest point of the line, as distance along it and signed offset. `None` for an
/// empty line.
///
/// ```
/// use civmap_geo_core::crs::GaussKruger;
/// use civmap_geo_core::survey::markers::locate_on_line;
/// use geo::{coord, line_string};
/// let gk = GaussKruger::hangzhou();
/// let north = line_string![(x: 120.0, y: 30.0), (x: 120.0, y: 30.01)];
/// let p = locate_on_line(coord! {x: 119.9999, y: 30.005}, &north, &gk).unwrap();
/// assert!(p.offset_m.abs() > 9.0 && p.offset_m.abs() < 10.0); // 0.0001° of longitude
/// assert!((p.along_m - 554.0).abs() < 2.0);
/// ```
pub fn locate_on_line(
    lon_lat_deg: Coord<f64>,
    line: &LineString<f64>,
    gk: &GaussKruger,
) -> Option<LinePosition> {
    let p = gk.forward(lon_lat_deg);
    let pts: Vec<Coord<f64>> = line.0.iter().map(|&c| gk.forward(c)).collect();
    if pts.len() == 1 {
        return Some(LinePosition {
            along_m: 0.0,
            offset_m: (p.x - pts[0].x).hypot(p.y - pts[0].y),
        });
    }
    let mut best: Option<(f64, LinePosition)> = None;
    let mut start_m = 0.0;
    for w in pts.windows(2) {
        let (a, d) = (w[0], w[1] - w[0]);
        let len2 = d.x * d.x + d.y * d.y;
        let len = len2.sqrt();
        let t = if len2 > 0.0 {
            (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = Coord {
            x: a.x + t * d.x,
            y: a.y + t * d.y,
        };
        let dist = (p.x - q.x).hypot(p.y - q.y);
        if best.as_ref().is_none_or(|(b, _)| dist < *b) {
            let cross = d.x * (p.y - a.y) - d.y * (p.x - a.x);
            best = Some((
                dist,
                LinePosition {
                    along_m: start_m + t * len,
                    offset_m: if cross < 0.0 { -dist } else { dist },
                },
            ));
        }
        start_m += len;
    }
    best.map(|(_, pos)| pos)
}

/// A marker number split as the register writes it: `prefix` + sequence digits + an
/// optional type letter, e.g. `330106-330105-003A` → (`330106-330105-`, 3, `Some('A')`),
/// `J12` → (`J`, 12, `None`). The sequence is the last run of digits, optionally
/// followed by one letter; `None` when there is no such run.
///
/// ```
/// use civmap_geo_core::survey::markers::parse_marker_number;
/// assert_eq!(parse_marker_number("330106-330105-003A"), Some(("330106-330105-", 3, Some('A'))));
/// assert_eq!(parse_marker_number("J12"), Some(("J", 12, None)));
/// assert_eq!(parse_marker_number("lost"), None);
/// ```
pub fn parse_marker_number(number: &str) -> Option<(&str, u64, Option<char>)> {
    let s = number.trim();
    let (body, letter) = match s.chars().last() {
        Some(c) if c.is_ascii_alphabetic() => (&s[..s.len() - 1], Some(c.to_ascii_uppercase())),
        _ => (s, None),
    };
    let digits_start = body
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)?;
    let seq = body[digits_start..].parse().ok()?;
    Some((&body[..digits_start], seq, letter))
}

/// Indices (into `seq`) of a longest strictly increasing subsequence.
fn longest_increasing(seq: &[u64]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new(); // index of the smallest tail of each length
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &v) in seq.iter().enumerate() {
        let pos = tails.partition_point(|&t| seq[t] < v);
        prev[i] = pos.checked_sub(1).map(|p| tails[p]);
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(i);
        cur = prev[i];
    }
    out.reverse();
    out
}

/// Checks the markers against their lines, in metres in the zone `gk`:
///
/// - [`Rule::MarkerOffLine`]: the marker is farther than `tolerance_m` from its line (the
///   detail names the distance), or its line id is not among `lines`;
/// - [`Rule::MarkerOutOfSequence`]: along each line, ordered by position, the sequence
///   numbers ([`parse_marker_number`]) must run strictly one way — increasing along the
///   line, or decreasing throughout when the numbering started at the other end (the
///   direction keeping more markers in order wins, increasing on a tie). The markers
///   outside a longest run in order are reported, as is a number without sequence digits.
///
/// Findings carry the line's two codes, the marker number and the marker point (WGS84).
pub fn check_markers(
    markers: &[Marker],
    lines: &[BoundaryLine],
    tolerance_m: f64,
    gk: &GaussKruger,
) -> Vec<Finding> {
    let by_id: HashMap<&str, &BoundaryLine> = lines.iter().map(|l| (l.id.as_str(), l)).collect();
    let finding = |m: &Marker, rule: Rule, line: Option<&BoundaryLine>, detail: String| Finding {
        rule,
        level: None,
        codes: line
            .map(|l| {
                std::iter::once(l.left.clone())
                    .chain(l.right.clone())
                    .collect()
            })
            .unwrap_or_default(),
        marker: Some(m.number.clone()),
        geometry: Point::new(m.lon, m.lat).into(),
        area_m2: None,
        width_m: None,
        detail,
    };
    let mut out = Vec::new();
    let mut on_line: HashMap<&str, Vec<(f64, &Marker)>> = HashMap::new();
    for m in markers {
        let Some(line) = by_id.get(m.line.as_str()) else {
            out.push(finding(
                m,
                Rule::MarkerOffLine,
                None,
                format!(
                    "marker {} names line {:?}, which does not exist",
                    m.number, m.line
                ),
            ));
            continue;
        };
        let Some(pos) = locate_on_line(Coord { x: m.lon, y: m.lat }, &line.geometry, gk) else {
            continue;
        };
        if pos.offset_m.abs() > tolerance_m {
            out.push(finding(
                m,
                Rule::MarkerOffLine,
                Some(line),
                format!(
                    "marker {} is {:.2} m from line {} (tolerance {} m)",
                    m.number,
                    pos.offset_m.abs(),
                    line.id,
                    tolerance_m
                ),
            ));
        }
        on_line
            .entry(line.id.as_str())
            .or_default()
            .push((pos.along_m, m));
    }
    let mut line_ids: Vec<&str> = on_line.keys().copied().collect();
    line_ids.sort_unstable();
    for id in line_ids {
        let line = by_id[id];
        let mut ms = on_line.remove(id).unwrap_or_default();
        ms.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut numbered: Vec<(u64, &Marker)> = Vec::new();
        for &(_, m) in &ms {
            match parse_marker_number(&m.number) {
                Some((_, seq, _)) => numbered.push((seq, m)),
                None => out.push(finding(
                    m,
                    Rule::MarkerOutOfSequence,
                    Some(line),
                    format!("marker number {:?} has no sequence digits", m.number),
                )),
            }
        }
        let seq: Vec<u64> = numbered.iter().map(|(s, _)| *s).collect();
        let rev: Vec<u64> = seq.iter().rev().copied().collect();
        let up = longest_increasing(&seq);
        let down: Vec<usize> = longest_increasing(&rev)
            .iter()
            .map(|&i| seq.len() - 1 - i)
            .collect();
        let (keep, direction) = if down.len() > up.len() {
            (down, "decreasing")
        } else {
            (up, "increasing")
        };
        for (i, (s, m)) in numbered.iter().enumerate() {
            if !keep.contains(&i) {
                out.push(finding(
                    m,
                    Rule::MarkerOutOfSequence,
                    Some(line),
                    format!(
                        "marker {} (sequence {s}) breaks the {direction} numbering along line {}",
                        m.number, line.id
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::lines::boundary_lines;
    use crate::{AdminCode, AdminLevel, AdminUnit};
    use geo::{polygon, MultiPolygon};

    fn lines() -> Vec<BoundaryLine> {
        let unit = |code: &str, poly| AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level: AdminLevel::District,
            parent: None,
            kind: String::new(),
            geometry: MultiPolygon(vec![poly]),
            population: 0,
            elderly: 0,
            synthetic: true,
        };
        boundary_lines(&[
            unit(
                "330102000000",
                polygon![(x: 120.0, y: 30.0), (x: 120.1, y: 30.0), (x: 120.1, y: 30.1), (x: 120.0, y: 30.1)],
            ),
            unit(
                "330103000000",
                polygon![(x: 120.1, y: 30.0), (x: 120.2, y: 30.0), (x: 120.2, y: 30.1), (x: 120.1, y: 30.1)],
            ),
        ])
    }

    const SHARED: &str = "330102000000-330103000000-1";

    /// A marker `east_m` metres east of the shared line (120.1°E) at latitude `lat`.
    fn marker(number: &str, lat: f64, east_m: f64) -> Marker {
        let gk = GaussKruger::hangzhou();
        let on = gk.forward(Coord { x: 120.1, y: lat });
        // east in the zone is not exactly along a parallel: move perpendicular to the
        // line's image (grid convergence), found from two points of the line
        let up = gk.forward(Coord {
            x: 120.1,
            y: lat + 0.001,
        }) - on;
        let n = (up.x * up.x + up.y * up.y).sqrt();
        let east = Coord {
            x: up.y / n,
            y: -up.x / n,
        };
        let p = gk.inverse(on + east * east_m);
        Marker {
            number: number.into(),
            line: SHARED.into(),
            lon: p.x,
            lat: p.y,
            kind: MarkerKind::A,
            status: MarkerStatus::Intact,
            inspections: vec![],
        }
    }

    #[test]
    fn a_marker_five_metres_off_is_found_at_five_metres() {
        let gk = GaussKruger::hangzhou();
        let ls = lines();
        let ms = [
            marker("102-103-001A", 30.01, 0.0),
            marker("102-103-002A", 30.03, 5.0),
            marker("102-103-003A", 30.05, 0.3),
        ];
        let f = check_markers(&ms, &ls, 1.0, &gk);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, Rule::MarkerOffLine);
        assert_eq!(f[0].marker.as_deref(), Some("102-103-002A"));
        assert_eq!(f[0].codes.len(), 2);
        let line = ls.iter().find(|l| l.id == SHARED).unwrap();
        let pos = locate_on_line(
            Coord {
                x: ms[1].lon,
                y: ms[1].lat,
            },
            &line.geometry,
            &gk,
        )
        .unwrap();
        // east of a line running north with 102 on its left: the right side
        assert!((pos.offset_m + 5.0).abs() < 0.01, "{pos:?}");
        assert!(f[0].detail.contains("5.00 m"), "{}", f[0].detail);
        let (x_m, _) = marker_gk(&ms[1], &gk);
        let (x0_m, _) = marker_gk(&ms[0], &gk);
        assert!(x_m > x0_m);
    }

    #[test]
    fn out_of_sequence_and_unknown_lines() {
        let gk = GaussKruger::hangzhou();
        let ls = lines();
        let mut ms = vec![
            marker("102-103-001A", 30.01, 0.0),
            marker("102-103-007A", 30.02, 0.0),
            marker("102-103-003B", 30.03, 0.0),
            marker("102-103-004A", 30.04, 0.0),
            marker("102-103-005A", 30.05, 0.0),
        ];
        let f = check_markers(&ms, &ls, 1.0, &gk);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, Rule::MarkerOutOfSequence);
        assert_eq!(f[0].marker.as_deref(), Some("102-103-007A"));
        // numbered from the other end: all decreasing is in sequence
        let rev: Vec<Marker> = [5, 4, 3, 2, 1]
            .iter()
            .zip([30.01, 30.02, 30.03, 30.04, 30.05])
            .map(|(n, lat)| marker(&format!("X{n:03}"), lat, 0.0))
            .collect();
        assert!(check_markers(&rev, &ls, 1.0, &gk).is_empty());
        ms[0].line = "330102000000-330199000000-1".into();
        ms[1].number = "no digits".into();
        let f = check_markers(&ms, &ls, 1.0, &gk);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].rule == Rule::MarkerOffLine && f[0].detail.contains("does not exist"));
        assert!(
            f[1].rule == Rule::MarkerOutOfSequence && f[1].detail.contains("no sequence digits")
        );
    }
}
