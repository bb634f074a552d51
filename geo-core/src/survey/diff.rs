//! A survey compared with the register, per unit and per boundary line.
//!
//! **Units.** A surveyed code missing from the register is `added`. A register unit is
//! `removed` when it is missing from the survey although the survey covers its siblings:
//! some surveyed unit of the same level has the same parent (so a survey of one district's
//! townships reports a township it leaves out, and says nothing of other districts). A
//! unit in both is `changed` when the Hausdorff distance between the two outlines (all
//! rings, metres in the Gauss–Krüger zone) exceeds the tolerance; otherwise it is listed
//! under `unchanged_units`.
//!
//! **Lines.** The boundary lines of the register restricted to the surveyed and the
//! removed codes and the
//! boundary lines of the survey ([`super::lines`]) are paired by level, left and right
//! unit, closest (Hausdorff) first. A paired line farther than the tolerance is
//! `changed` (keeping the register's id); unpaired register lines are `removed`, unpaired
//! survey lines `added` (with the survey's own numbering).
//!
//! **Measures.** `hausdorff_m` is the symmetric Hausdorff distance ([`super::hausdorff`]);
//! `max_offset_m` is the one-sided part that a surveyor reads as "how far did the
//! surveyed points land from the register": the largest distance from a surveyed vertex
//! to the register's outline (or line). `delta_area_m2` and `delta_length_m` are survey
//! minus register on the CGCS2000 ellipsoid; `delta_area_pct` is relative to the register.
//!
//! ```
//! use civmap_geo_core::crs::GaussKruger;
//! use civmap_geo_core::survey::diff::{diff_survey, ChangeKind, SurveyUnit};
//! use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
//! use geo::{polygon, MultiPolygon};
//! let square = |east: f64| MultiPolygon(vec![polygon![
//!     (x: 120.0, y: 30.0), (x: east, y: 30.0), (x: east, y: 30.1), (x: 120.0, y: 30.1)]]);
//! let register = [AdminUnit {
//!     code: AdminCode::parse("330102000000").unwrap(), name: "上城区".into(),
//!     level: AdminLevel::District, parent: None, kind: String::new(),
//!     geometry: square(120.1), population: 0, elderly: 0, synthetic: true,
//! }];
//! // the eastern edge surveyed ~48 m further east
//! let survey = [SurveyUnit { code: register[0].code.clone(), name: None, geometry: square(120.1005) }];
//! let d = diff_survey(&register, &survey, &GaussKruger::hangzhou(), 1.0);
//! assert_eq!(d.units.len(), 1);
//! assert_eq!(d.units[0].change, ChangeKind::Changed);
//! assert!((d.units[0].hausdorff_m.unwrap() - 48.2).abs() < 0.5);
//! assert!(d.units[0].delta_area_m2.unwrap() > 0.0);
//! ```

use std::collections::{HashMap, HashSet};

use geo::{LineString, MultiPolygon};
use serde::{Deserialize, Serialize};

use super::hausdorff::PlanarLines;
use super::lines::{boundary_lines_in, match_lines, BoundaryLine};
use super::measure::geodesic_area_m2;
use crate::crs::GaussKruger;
use crate::{AdminCode, AdminLevel, AdminUnit};

/// One surveyed unit (WGS84/CGCS2000 degrees).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyUnit {
    /// The unit's code.
    pub code: AdminCode,
    /// Name as surveyed, if the file has one.
    pub name: Option<String>,
    /// Surveyed outline.
    pub geometry: MultiPolygon<f64>,
}

/// What happened to a unit or line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// In the survey, not in the register.
    Added,
    /// In the register, not in the survey (see the module doc for units).
    Removed,
    /// In both, farther apart than the tolerance.
    Changed,
}

/// A unit that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitChange {
    /// The unit's code.
    pub code: AdminCode,
    /// Register name, else the surveyed one.
    pub name: Option<String>,
    /// Register level, else the one its code implies.
    pub level: AdminLevel,
    /// Added, removed or changed.
    pub change: ChangeKind,
    /// Register area on the CGCS2000 ellipsoid, m² (not for added units).
    pub register_area_m2: Option<f64>,
    /// Surveyed area, m² (not for removed units).
    pub survey_area_m2: Option<f64>,
    /// Survey minus register area, m² (changed units).
    pub delta_area_m2: Option<f64>,
    /// `delta_area_m2` as a percentage of the register area (changed units).
    pub delta_area_pct: Option<f64>,
    /// Hausdorff distance between the outlines, m (changed units).
    pub hausdorff_m: Option<f64>,
    /// Largest distance from a surveyed vertex to the register outline, m (changed units).
    pub max_offset_m: Option<f64>,
}

/// A boundary line that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineChange {
    /// The register line's id (removed, changed), or the survey line's (added).
    pub id: String,
    /// Level of its units.
    pub level: AdminLevel,
    /// Unit on its left.
    pub left: AdminCode,
    /// Unit on its right, `None` on the outer border.
    pub right: Option<AdminCode>,
    /// Added, removed or changed.
    pub change: ChangeKind,
    /// The surveyed line (added, changed) or the register's (removed), degrees.
    pub geometry: LineString<f64>,
    /// Hausdorff distance between the two versions, m (changed lines).
    pub hausdorff_m: Option<f64>,
    /// Largest distance from a surveyed vertex to the register line, m (changed lines).
    pub max_offset_m: Option<f64>,
    /// Survey minus register length on the ellipsoid, m (changed lines).
    pub delta_length_m: Option<f64>,
}

/// The comparison of a survey with the register.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SurveyDiff {
    /// Units added, removed or changed, by code.
    pub units: Vec<UnitChange>,
    /// Lines added, removed or changed, by level, left, right and id.
    pub lines: Vec<LineChange>,
    /// Surveyed units within the tolerance of the register.
    pub unchanged_units: Vec<AdminCode>,
    /// Register line ids whose surveyed line is within the tolerance.
    pub unchanged_lines: Vec<String>,
}

fn outline(mp: &MultiPolygon<f64>, gk: &GaussKruger) -> PlanarLines {
    PlanarLines::new(
        mp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| &r.0[..]),
        gk,
    )
}

fn max_offset_m(survey: &PlanarLines, register: &PlanarLines) -> f64 {
    survey
        .vertices()
        .map(|v| register.distance_m(v))
        .fold(0.0, f64::max)
}

/// Compares `survey` with `register`: see the module doc for the rules. `tolerance_m`
/// (Gauss–Krüger metres in `gk`) is the Hausdorff distance above which a unit or line
/// counts as changed.
pub fn diff_survey(
    register: &[AdminUnit],
    survey: &[SurveyUnit],
    gk: &GaussKruger,
    tolerance_m: f64,
) -> SurveyDiff {
    let by_code: HashMap<&AdminCode, &AdminUnit> = register.iter().map(|u| (&u.code, u)).collect();
    let surveyed: HashSet<&AdminCode> = survey.iter().map(|s| &s.code).collect();
    let mut diff = SurveyDiff::default();
    for s in survey {
        let survey_area_m2 = geodesic_area_m2(&s.geometry);
        match by_code.get(&s.code) {
            None => diff.units.push(UnitChange {
                code: s.code.clone(),
                name: s.name.clone(),
                level: s.code.level_hint(),
                change: ChangeKind::Added,
                register_area_m2: None,
                survey_area_m2: Some(survey_area_m2),
                delta_area_m2: None,
                delta_area_pct: None,
                hausdorff_m: None,
                max_offset_m: None,
            }),
            Some(r) => {
                let (a, b) = (outline(&s.geometry, gk), outline(&r.geometry, gk));
                let h = a.hausdorff_m(&b);
                if h <= tolerance_m {
                    diff.unchanged_units.push(s.code.clone());
                    continue;
                }
                let register_area_m2 = geodesic_area_m2(&r.geometry);
                let delta = survey_area_m2 - register_area_m2;
                diff.units.push(UnitChange {
                    code: s.code.clone(),
                    name: Some(r.name.clone()),
                    level: r.level,
                    change: ChangeKind::Changed,
                    register_area_m2: Some(register_area_m2),
                    survey_area_m2: Some(survey_area_m2),
                    delta_area_m2: Some(delta),
                    delta_area_pct: (register_area_m2 > 0.0)
                        .then(|| delta / register_area_m2 * 100.0),
                    hausdorff_m: Some(h),
                    max_offset_m: Some(max_offset_m(&a, &b)),
                });
            }
        }
    }
    // removed: missing units whose siblings (same level, same parent) were surveyed
    let surveyed_groups: HashSet<(AdminLevel, Option<&AdminCode>)> = survey
        .iter()
        .filter_map(|s| by_code.get(&s.code))
        .map(|r| (r.level, r.parent.as_ref()))
        .collect();
    for r in register {
        if !surveyed.contains(&r.code) && surveyed_groups.contains(&(r.level, r.parent.as_ref())) {
            diff.units.push(UnitChange {
                code: r.code.clone(),
                name: Some(r.name.clone()),
                level: r.level,
                change: ChangeKind::Removed,
                register_area_m2: Some(geodesic_area_m2(&r.geometry)),
                survey_area_m2: None,
                delta_area_m2: None,
                delta_area_pct: None,
                hausdorff_m: None,
                max_offset_m: None,
            });
        }
    }
    diff.units.sort_by(|a, b| a.code.cmp(&b.code));
    diff.unchanged_units.sort();

    // lines
    let removed: HashSet<&AdminCode> = diff
        .units
        .iter()
        .filter(|u| u.change == ChangeKind::Removed)
        .map(|u| &u.code)
        .collect();
    let register_part: Vec<AdminUnit> = register
        .iter()
        .filter(|u| surveyed.contains(&u.code) || removed.contains(&u.code))
        .cloned()
        .collect();
    let survey_units: Vec<AdminUnit> = survey
        .iter()
        .map(|s| AdminUnit {
            code: s.code.clone(),
            name: s.name.clone().unwrap_or_default(),
            level: by_code
                .get(&s.code)
                .map_or_else(|| s.code.level_hint(), |r| r.level),
            parent: by_code.get(&s.code).and_then(|r| r.parent.clone()),
            kind: String::new(),
            geometry: s.geometry.clone(),
            population: 0,
            elderly: 0,
            synthetic: false,
        })
        .collect();
    let before = boundary_lines_in(&register_part, gk);
    let after = boundary_lines_in(&survey_units, gk);
    let pairs = match_lines(&before, &after, f64::INFINITY, gk);
    let line_change = |l: &BoundaryLine, change: ChangeKind| LineChange {
        id: l.id.clone(),
        level: l.level,
        left: l.left.clone(),
        right: l.right.clone(),
        change,
        geometry: l.geometry.clone(),
        hausdorff_m: None,
        max_offset_m: None,
        delta_length_m: None,
    };
    let (mut before_paired, mut after_paired) =
        (vec![false; before.len()], vec![false; after.len()]);
    for (j, i, h) in pairs {
        before_paired[j] = true;
        after_paired[i] = true;
        let (r, s) = (&before[j], &after[i]);
        if h <= tolerance_m {
            diff.unchanged_lines.push(r.id.clone());
            continue;
        }
        let sp = PlanarLines::new(std::iter::once(&s.geometry.0[..]), gk);
        let rp = PlanarLines::new(std::iter::once(&r.geometry.0[..]), gk);
        diff.lines.push(LineChange {
            id: r.id.clone(),
            geometry: s.geometry.clone(),
            hausdorff_m: Some(h),
            max_offset_m: Some(max_offset_m(&sp, &rp)),
            delta_length_m: Some(s.length_m - r.length_m),
            ..line_change(r, ChangeKind::Changed)
        });
    }
    for (l, _) in before.iter().zip(&before_paired).filter(|(_, &p)| !p) {
        diff.lines.push(line_change(l, ChangeKind::Removed));
    }
    for (l, _) in after.iter().zip(&after_paired).filter(|(_, &p)| !p) {
        diff.lines.push(line_change(l, ChangeKind::Added));
    }
    diff.lines.sort_by(|a, b| {
        (a.level, &a.left, &a.right, &a.id).cmp(&(b.level, &b.left, &b.right, &b.id))
    });
    diff.unchanged_lines.sort();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    fn township(code: &str, geometry: MultiPolygon<f64>) -> AdminUnit {
        AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level: AdminLevel::Township,
            parent: Some(AdminCode::parse("330102000000").unwrap()),
            kind: String::new(),
            geometry,
            population: 0,
            elderly: 0,
            synthetic: true,
        }
    }

    #[test]
    fn added_removed_and_a_moved_border() {
        let register = vec![
            township("330102001000", sq(120.0, 30.0, 120.1, 30.1)),
            township("330102002000", sq(120.1, 30.0, 120.2, 30.1)),
            township("330102003000", sq(120.2, 30.0, 120.3, 30.1)),
        ];
        // 001|002 border moved ~96 m east, 003 missing, 004 new in 003's place
        let su = |code: &str, g| SurveyUnit {
            code: AdminCode::parse(code).unwrap(),
            name: None,
            geometry: g,
        };
        let survey = vec![
            su("330102001000", sq(120.0, 30.0, 120.101, 30.1)),
            su("330102002000", sq(120.101, 30.0, 120.2, 30.1)),
            su("330102004000", sq(120.2, 30.0, 120.3, 30.1)),
        ];
        let d = diff_survey(&register, &survey, &GaussKruger::hangzhou(), 1.0);
        let kinds: Vec<(&str, ChangeKind)> = d
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.change))
            .collect();
        assert_eq!(
            kinds,
            [
                ("330102001000", ChangeKind::Changed),
                ("330102002000", ChangeKind::Changed),
                ("330102003000", ChangeKind::Removed),
                ("330102004000", ChangeKind::Added),
            ]
        );
        let a = &d.units[0];
        assert!((a.hausdorff_m.unwrap() - 96.4).abs() < 0.5, "{a:?}");
        assert!((a.max_offset_m.unwrap() - 96.4).abs() < 0.5);
        assert!((a.delta_area_pct.unwrap() - 1.0).abs() < 0.01);
        let moved: Vec<&LineChange> = d
            .lines
            .iter()
            .filter(|l| l.id == "330102001000-330102002000-1")
            .collect();
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].change, ChangeKind::Changed);
        assert!(moved[0].delta_length_m.unwrap().abs() < 1e-6);
        // 001's outer lines changed too (they grew by 96 m), 002|003 vanished, 002|004 appeared
        assert!(d
            .lines
            .iter()
            .any(|l| l.id == "330102002000-330102003000-1" && l.change == ChangeKind::Removed));
        assert!(d
            .lines
            .iter()
            .any(|l| l.id == "330102002000-330102004000-1" && l.change == ChangeKind::Added));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["units"][2]["change"], "removed");
    }
}
