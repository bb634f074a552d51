//! Findings of the survey checks, and exceptions that accept a finding.

use std::fmt;

use geo::Geometry;
use serde::{Deserialize, Serialize};

use crate::{AdminCode, AdminLevel};

/// A validation rule. The API names are the contract's rule ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A polygon that is not OGC-valid (self-intersection, bad ring, …).
    InvalidPolygon,
    /// Two units of one level cover the same ground.
    Overlap,
    /// Ground inside the parent (or the frame) that no unit of the level covers.
    Gap,
    /// A long, thin piece: an overlap or gap much narrower than it is long, or a unit part
    /// that is itself a sliver.
    Sliver,
    /// A child unit reaching outside its parent.
    ChildOutsideParent,
    /// A parent's children leave part of it uncovered.
    ChildrenDoNotCoverParent,
    /// A boundary marker farther from its line than the tolerance.
    MarkerOffLine,
    /// Marker numbers along a line are not in sequence.
    MarkerOutOfSequence,
    /// A unit left in more separate pieces by a change proposal than it had before (an
    /// exclave made by a merge or a transfer). Reported by the proposal check only
    /// ([`crate::proposal::contiguity`]): current units may have islands.
    Disconnected,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 9] = [
        Self::InvalidPolygon,
        Self::Overlap,
        Self::Gap,
        Self::Sliver,
        Self::ChildOutsideParent,
        Self::ChildrenDoNotCoverParent,
        Self::MarkerOffLine,
        Self::MarkerOutOfSequence,
        Self::Disconnected,
    ];

    /// The API id, e.g. `children_do_not_cover_parent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidPolygon => "invalid_polygon",
            Self::Overlap => "overlap",
            Self::Gap => "gap",
            Self::Sliver => "sliver",
            Self::ChildOutsideParent => "child_outside_parent",
            Self::ChildrenDoNotCoverParent => "children_do_not_cover_parent",
            Self::MarkerOffLine => "marker_off_line",
            Self::MarkerOutOfSequence => "marker_out_of_sequence",
            Self::Disconnected => "disconnected",
        }
    }

    /// Parses an API id.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error found by a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule broken.
    pub rule: Rule,
    /// The level checked (`None` for marker rules).
    pub level: Option<AdminLevel>,
    /// The units involved, sorted: both sides of an overlap, the units around a gap, the
    /// child then the parent for nesting rules.
    pub codes: Vec<AdminCode>,
    /// The marker number, for marker rules.
    pub marker: Option<String>,
    /// Where: the overlap or gap polygon, the offending edge, the marker point (WGS84).
    pub geometry: Geometry<f64>,
    /// Area of the offending piece, m² on the CGCS2000 ellipsoid.
    pub area_m2: Option<f64>,
    /// Width of a gap, overlap or sliver: the diameter of its largest inscribed circle, m.
    pub width_m: Option<f64>,
    /// One line a person reads, e.g. "gap of 12.4 m² (0.8 m wide) between 330106001000
    /// and 330106002000".
    pub detail: String,
}

/// An accepted finding (an agreed gap, an enclave): stored as data, re-applied on every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    /// Store id.
    pub id: i64,
    /// The rule it accepts.
    pub rule: Rule,
    /// The codes of the finding it accepts (order free).
    pub codes: Vec<AdminCode>,
    /// The marker number, for marker rules.
    pub marker: Option<String>,
    /// Who accepted it.
    pub who: String,
    /// Why (the agreement, the decision).
    pub why: String,
    /// Day it was recorded, `YYYY-MM-DD`.
    pub created: String,
    /// Last day it applies, `YYYY-MM-DD`; `None` = until withdrawn.
    pub expires: Option<String>,
}

impl Exception {
    /// Whether this exception accepts a finding on `today` (`YYYY-MM-DD`): same rule, not
    /// expired, and the same marker (marker rules) or the same set of codes (the others).
    pub fn accepts(&self, f: &Finding, today: &str) -> bool {
        if self.rule != f.rule || self.marker != f.marker {
            return false;
        }
        if self.expires.as_deref().is_some_and(|e| e < today) {
            return false;
        }
        if self.marker.is_some() {
            // a marker finding is the marker's, whatever units its line separates
            return true;
        }
        let mut a = self.codes.clone();
        let mut b = f.codes.clone();
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        a == b
    }
}

/// A validation run: findings not accepted, findings accepted by an exception, and the
/// exceptions that have expired.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Errors no exception accepts.
    pub errors: Vec<Finding>,
    /// Errors an exception accepts, with the exception's id.
    pub excepted: Vec<(Finding, i64)>,
    /// Exceptions past their expiry (their findings are back in `errors`).
    pub expired: Vec<Exception>,
}

impl ValidationReport {
    /// Sorts findings by (rule, codes) and applies the exceptions valid on `today`.
    pub fn new(mut findings: Vec<Finding>, exceptions: &[Exception], today: &str) -> Self {
        findings.sort_by(|a, b| {
            (a.rule, &a.level, &a.codes, &a.marker).cmp(&(b.rule, &b.level, &b.codes, &b.marker))
        });
        let mut report = Self {
            expired: exceptions
                .iter()
                .filter(|e| e.expires.as_deref().is_some_and(|x| x < today))
                .cloned()
                .collect(),
            ..Self::default()
        };
        for f in findings {
            match exceptions.iter().find(|e| e.accepts(&f, today)) {
                Some(e) => report.excepted.push((f, e.id)),
                None => report.errors.push(f),
            }
        }
        report
    }

    /// No unaccepted errors.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::point;

    fn finding(rule: Rule, codes: &[&str]) -> Finding {
        Finding {
            rule,
            level: Some(AdminLevel::Township),
            codes: codes.iter().map(|c| AdminCode::parse(c).unwrap()).collect(),
            marker: None,
            geometry: point!(x: 120.0, y: 30.0).into(),
            area_m2: Some(1.0),
            width_m: Some(0.5),
            detail: String::new(),
        }
    }

    fn exception(rule: Rule, codes: &[&str], expires: Option<&str>) -> Exception {
        Exception {
            id: 7,
            rule,
            codes: codes.iter().map(|c| AdminCode::parse(c).unwrap()).collect(),
            marker: None,
            who: "surveyor".into(),
            why: "agreed enclave".into(),
            created: "2026-01-01".into(),
            expires: expires.map(Into::into),
        }
    }

    #[test]
    fn rule_ids_round_trip() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Rule::parse("nope"), None);
    }

    #[test]
    fn exceptions_match_rule_and_code_set_until_expiry() {
        let a = "330106001000";
        let b = "330106002000";
        let f = finding(Rule::Gap, &[a, b]);
        assert!(exception(Rule::Gap, &[b, a], None).accepts(&f, "2026-06-01"));
        assert!(!exception(Rule::Overlap, &[a, b], None).accepts(&f, "2026-06-01"));
        assert!(!exception(Rule::Gap, &[a], None).accepts(&f, "2026-06-01"));
        let dated = exception(Rule::Gap, &[a, b], Some("2026-06-01"));
        assert!(dated.accepts(&f, "2026-06-01"));
        assert!(!dated.accepts(&f, "2026-06-02"));

        let r = ValidationReport::new(
            vec![f.clone(), finding(Rule::Overlap, &[a, b])],
            &[dated],
            "2026-07-01",
        );
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.expired.len(), 1);
        let r = ValidationReport::new(
            vec![f],
            &[exception(Rule::Gap, &[a, b], None)],
            "2026-07-01",
        );
        assert!(r.is_valid());
        assert_eq!(r.excepted.len(), 1);
    }
}
