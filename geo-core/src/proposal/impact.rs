//! What a branch changes, measured before anyone approves it.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use geo::{BoundingRect, Rect};
use serde::Serialize;

use super::branch::{Branch, FormerName};
use super::contiguity;
use super::unit_coverage::{coverage_of, indicators_of, CoverageFigures, Hierarchy};
use super::ProposalKind;
use crate::coverage::Indicator;
use crate::crs::GaussKruger;
use crate::survey::lines::{boundary_lines_in, hausdorff_m, BoundaryLine};
use crate::survey::markers::Marker;
use crate::survey::measure::geodesic_area_m2;
use crate::survey::validate::{ValidateOptions, Validator};
use crate::survey::Finding;
use crate::{AdminCode, AdminLevel, AdminUnit, Doorplate, Facility};

/// Lines whose Hausdorff distance is at most this are the same line (metres).
pub const SAME_LINE_M: f64 = 0.01;

/// Everything the impact is computed from: the current data and its coverage flags.
#[derive(Debug, Clone, Copy)]
pub struct ImpactInputs<'a> {
    /// Admin units of every level.
    pub admin: &'a [AdminUnit],
    /// Doorplates, in the order of the coverage flags.
    pub doorplates: &'a [Doorplate],
    /// Facilities.
    pub facilities: &'a [Facility],
    /// The boundary lines in force (markers stand on their ids).
    pub lines: &'a [BoundaryLine],
    /// The marker register.
    pub markers: &'a [Marker],
    /// Per doorplate: within a 15-minute walk of a home-care centre.
    pub home_care_15: &'a [bool],
    /// Per doorplate: within a 20-minute walk of a home-care centre.
    pub home_care_20: &'a [bool],
}

/// Residents who change unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// Census population of the units moved, merged away or split off.
    pub census_population: u64,
    /// Their census elderly (60+).
    pub census_elderly: u64,
    /// Residents registered at the doorplates re-parented.
    pub doorplate_residents: u64,
    /// Elderly at those doorplates.
    pub doorplate_elderly: u64,
}

/// A record whose unit code changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reparented {
    /// The record's id (a doorplate's number as a string).
    pub id: String,
    /// Its code now.
    pub from: AdminCode,
    /// Its code after the change.
    pub to: AdminCode,
}

/// One side (before or after) of an affected unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitSide {
    /// Name.
    pub name: String,
    /// Parent code.
    pub parent: Option<AdminCode>,
    /// Census population.
    pub population: u64,
    /// Census elderly.
    pub elderly: u64,
    /// Area on the CGCS2000 ellipsoid, m².
    pub area_m2: f64,
    /// Walking coverage of home-care centres at 15 minutes.
    pub home_care_15min: CoverageFigures,
    /// …at 20 minutes.
    pub home_care_20min: CoverageFigures,
    /// The plan indicators of the unit's level.
    pub indicators: Vec<Indicator>,
}

/// An affected unit before and after (`None`: it does not exist on that side).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitChange {
    /// Code.
    pub code: AdminCode,
    /// Level.
    pub level: AdminLevel,
    /// Now.
    pub before: Option<UnitSide>,
    /// After the change.
    pub after: Option<UnitSide>,
}

/// A boundary line named in the impact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineRef {
    /// Line id (for a created line: the id it will take).
    pub id: String,
    /// Level.
    pub level: AdminLevel,
    /// Unit on the left.
    pub left: AdminCode,
    /// Unit on the right (`None`: the outer border).
    pub right: Option<AdminCode>,
    /// CGCS2000 length, m.
    pub length_m: f64,
}

/// A line that continues with another length or another id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineChange {
    /// Its id now.
    pub id: String,
    /// Its id after (differs when a unit's code changes).
    pub new_id: String,
    /// Length now, m.
    pub length_before_m: f64,
    /// Length after, m.
    pub length_after_m: f64,
}

/// Boundary lines the change creates, ends, lengthens, shortens or re-labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineChanges {
    /// New lines.
    pub created: Vec<LineRef>,
    /// Lines that end.
    pub ended: Vec<LineRef>,
    /// Lines that continue, longer.
    pub lengthened: Vec<LineChange>,
    /// Lines that continue, shorter.
    pub shortened: Vec<LineChange>,
    /// Lines that continue with another course but the same length.
    pub reshaped: Vec<LineChange>,
    /// Lines unchanged on the ground whose id changes with a unit's code.
    pub relabelled: Vec<LineChange>,
}

/// A marker that stays on its line, whose id changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarkerRelink {
    /// Marker number.
    pub number: String,
    /// Its line now.
    pub from_line: String,
    /// Its line after.
    pub to_line: String,
}

/// A code that ends and the one that continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Succession {
    /// Ended code.
    pub from: AdminCode,
    /// Continuing code.
    pub to: AdminCode,
}

/// Codes created and retired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodeChanges {
    /// New codes (NBS structure).
    pub created: Vec<AdminCode>,
    /// Ended codes.
    pub retired: Vec<AdminCode>,
    /// Which code continues each ended one.
    pub successors: Vec<Succession>,
}

/// The impact report of a proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: &'static str,
    /// Whether the branch passes the survey validator (no finding it did not have before).
    pub valid: bool,
    /// Findings of the branch in the affected window that the current data does not have.
    pub findings: Vec<Finding>,
    /// Residents who change unit.
    pub moved: Moved,
    /// Doorplates whose community code changes.
    pub doorplates: Vec<Reparented>,
    /// Facilities whose unit code changes.
    pub facilities: Vec<Reparented>,
    /// Affected units, before and after.
    pub units: Vec<UnitChange>,
    /// Boundary lines.
    pub lines: LineChanges,
    /// Markers standing on lines that end.
    pub markers_orphaned: Vec<String>,
    /// Markers whose line is re-labelled.
    pub markers_relinked: Vec<MarkerRelink>,
    /// Codes.
    pub codes: CodeChanges,
    /// Names kept searchable.
    pub former_names: Vec<FormerName>,
}

/// The impact of `branch` on `inputs`. `admin` is the hierarchy the branch was applied to.
///
/// Coverage before and after is aggregated from the same per-doorplate flags
/// (see [`super::unit_coverage`]); lines are recomputed only around the changed units.
pub fn impact(branch: &Branch, inputs: &ImpactInputs<'_>) -> Impact {
    let before = Hierarchy::new(inputs.admin);
    let retired: HashSet<&AdminCode> = branch.retired.iter().collect();
    let after = Hierarchy::new(
        inputs
            .admin
            .iter()
            .filter(|u| !retired.contains(&u.code))
            .chain(branch.upserts.iter()),
    );
    let changed_before: Vec<AdminCode> = dedup(branch.changed_before.clone());
    let changed_after: Vec<AdminCode> = dedup(branch.changed_after());

    // records that follow
    let mut doorplates = Vec::new();
    let mut moved = Moved::default();
    let mut new_code: HashMap<usize, AdminCode> = HashMap::new();
    for (i, d) in inputs.doorplates.iter().enumerate() {
        if let Some(to) = branch.reassign(d.community.as_ref(), d.location) {
            let from = d.community.clone().expect("reassigned codes exist");
            moved.doorplate_residents += u64::from(d.residents);
            moved.doorplate_elderly += u64::from(d.elderly);
            doorplates.push(Reparented {
                id: d.id.to_string(),
                from,
                to: to.clone(),
            });
            new_code.insert(i, to);
        }
    }
    let facility_after = |f: &Facility| {
        branch
            .reassign(f.admin_code.as_ref(), f.location)
            .or_else(|| f.admin_code.clone())
    };
    let facilities: Vec<Reparented> = inputs
        .facilities
        .iter()
        .filter_map(|f| {
            let to = branch.reassign(f.admin_code.as_ref(), f.location)?;
            Some(Reparented {
                id: f.id.clone(),
                from: f.admin_code.clone()?,
                to,
            })
        })
        .collect();
    (moved.census_population, moved.census_elderly) = census_moved(branch, &before, &after);

    // coverage and indicators, both sides
    let flags: [&[bool]; 2] = [inputs.home_care_15, inputs.home_care_20];
    let cov_before = coverage_of(
        &before,
        &changed_before,
        inputs.doorplates,
        |i| inputs.doorplates[i].community.as_ref().map(Cow::Borrowed),
        &flags,
    );
    let cov_after = coverage_of(
        &after,
        &changed_after,
        inputs.doorplates,
        |i| match new_code.get(&i) {
            Some(c) => Some(Cow::Borrowed(c)),
            None => inputs.doorplates[i].community.as_ref().map(Cow::Borrowed),
        },
        &flags,
    );
    let as_map =
        |codes: &[AdminCode], figs: &[CoverageFigures]| -> HashMap<AdminCode, CoverageFigures> {
            codes.iter().cloned().zip(figs.iter().copied()).collect()
        };
    let before_maps = [
        as_map(&changed_before, &cov_before[0]),
        as_map(&changed_before, &cov_before[1]),
    ];
    let after_maps = [
        as_map(&changed_after, &cov_after[0]),
        as_map(&changed_after, &cov_after[1]),
    ];
    let ind_before = indicators_of(
        &before,
        &changed_before,
        inputs.facilities,
        |f| f.admin_code.clone(),
        [&before_maps[0], &before_maps[1]],
    );
    let ind_after = indicators_of(
        &after,
        &changed_after,
        inputs.facilities,
        facility_after,
        [&after_maps[0], &after_maps[1]],
    );
    let side = |h: &Hierarchy<'_>,
                code: &AdminCode,
                maps: &[HashMap<AdminCode, CoverageFigures>; 2],
                ind: &HashMap<AdminCode, crate::coverage::UnitIndicators>| {
        h.get(code).map(|u| UnitSide {
            name: u.name.clone(),
            parent: u.parent.clone(),
            population: u.population,
            elderly: u.elderly,
            area_m2: geodesic_area_m2(&u.geometry),
            home_care_15min: maps[0].get(code).copied().unwrap_or_default(),
            home_care_20min: maps[1].get(code).copied().unwrap_or_default(),
            indicators: ind
                .get(code)
                .map(|r| r.indicators.clone())
                .unwrap_or_default(),
        })
    };
    let all_codes: BTreeSet<&AdminCode> = changed_before.iter().chain(&changed_after).collect();
    let units = all_codes
        .into_iter()
        .map(|code| {
            let level = after
                .get(code)
                .or_else(|| before.get(code))
                .map_or(AdminLevel::Community, |u| u.level);
            UnitChange {
                code: code.clone(),
                level,
                before: changed_before
                    .contains(code)
                    .then(|| side(&before, code, &before_maps, &ind_before))
                    .flatten(),
                after: changed_after
                    .contains(code)
                    .then(|| side(&after, code, &after_maps, &ind_after))
                    .flatten(),
            }
        })
        .collect();

    let lines = line_changes(
        branch,
        inputs.lines,
        &after,
        &changed_before,
        &changed_after,
    );
    let ended: HashSet<&str> = lines.ended.iter().map(|l| l.id.as_str()).collect();
    let relabel: HashMap<&str, &str> = lines
        .relabelled
        .iter()
        .chain(&lines.lengthened)
        .chain(&lines.shortened)
        .chain(&lines.reshaped)
        .filter(|c| c.id != c.new_id)
        .map(|c| (c.id.as_str(), c.new_id.as_str()))
        .collect();
    let markers_orphaned = inputs
        .markers
        .iter()
        .filter(|m| ended.contains(m.line.as_str()))
        .map(|m| m.number.clone())
        .collect();
    let markers_relinked = inputs
        .markers
        .iter()
        .filter_map(|m| {
            relabel.get(m.line.as_str()).map(|to| MarkerRelink {
                number: m.number.clone(),
                from_line: m.line.clone(),
                to_line: (*to).to_owned(),
            })
        })
        .collect();
    let mut findings = new_findings(branch, &before, &after, &changed_before, &changed_after);
    let predecessor: HashMap<&AdminCode, &AdminCode> = branch
        .successors
        .iter()
        .map(|(old, new)| (new, old))
        .collect();
    findings.extend(contiguity::disconnected(
        changed_after.iter().filter_map(|c| after.get(c)),
        |c| {
            before
                .get(c)
                .or_else(|| predecessor.get(c).and_then(|p| before.get(p)))
                .map(|u| &u.geometry)
        },
    ));
    Impact {
        kind: branch.kind.as_str(),
        valid: findings.is_empty(),
        findings,
        moved,
        doorplates,
        facilities,
        units,
        lines,
        markers_orphaned,
        markers_relinked,
        codes: CodeChanges {
            created: branch.created.clone(),
            retired: branch.retired.clone(),
            successors: branch
                .successors
                .iter()
                .map(|(from, to)| Succession {
                    from: from.clone(),
                    to: to.clone(),
                })
                .collect(),
        },
        former_names: branch.former_names.clone(),
    }
}

fn dedup(mut v: Vec<AdminCode>) -> Vec<AdminCode> {
    let mut seen = HashSet::new();
    v.retain(|c| seen.insert(c.clone()));
    v
}

/// Census residents of the units that change hands: the transferred community, the units
/// merged away, the part split off.
fn census_moved(branch: &Branch, before: &Hierarchy<'_>, after: &Hierarchy<'_>) -> (u64, u64) {
    let sum = |units: Vec<&AdminUnit>| {
        units
            .iter()
            .fold((0, 0), |(p, e), u| (p + u.population, e + u.elderly))
    };
    match &branch.kind {
        ProposalKind::Transfer { community, .. } => {
            sum(before.get(community).into_iter().collect())
        }
        ProposalKind::Merge {
            units, survivor, ..
        } => {
            let mut codes: Vec<&AdminCode> = units.iter().filter(|c| *c != survivor).collect();
            codes.sort();
            codes.dedup();
            sum(codes.into_iter().filter_map(|c| before.get(c)).collect())
        }
        ProposalKind::Split { unit, .. } => sum(branch
            .upserts
            .iter()
            .filter(|u| branch.created.contains(&u.code) && after.get(&u.code).is_some())
            .filter(|u| {
                before
                    .get(unit)
                    .is_some_and(|b| b.level == u.level && b.parent == u.parent)
            })
            .collect()),
        ProposalKind::Rename { .. } => (0, 0),
    }
}

fn bbox_of<'a>(units: impl Iterator<Item = &'a AdminUnit>) -> Option<Rect<f64>> {
    units
        .filter_map(|u| u.geometry.bounding_rect())
        .reduce(|a, b| {
            Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
}

fn touches(a: &Rect<f64>, b: &Rect<f64>, pad: f64) -> bool {
    a.min().x <= b.max().x + pad
        && b.min().x <= a.max().x + pad
        && a.min().y <= b.max().y + pad
        && b.min().y <= a.max().y + pad
}

/// The units of `levels` whose box touches `window`.
fn window_units<'a>(
    h: &Hierarchy<'a>,
    window: &Rect<f64>,
    levels: &[AdminLevel],
) -> Vec<AdminUnit> {
    let mut out: Vec<AdminUnit> = h
        .units()
        .filter(|u| levels.contains(&u.level))
        .filter(|u| {
            u.geometry
                .bounding_rect()
                .is_some_and(|r| touches(&r, window, 1e-6))
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// The levels whose lines or findings a change can touch: the changed units' levels and
/// the level below each (children nest in their parents).
fn touched_levels(h: &[(&Hierarchy<'_>, &[AdminCode])]) -> Vec<AdminLevel> {
    let mut levels = BTreeSet::new();
    for (hier, codes) in h {
        for c in codes.iter() {
            if let Some(u) = hier.get(c) {
                levels.insert(u.level);
                if let Some(below) = AdminLevel::ALL
                    .iter()
                    .position(|l| *l == u.level)
                    .and_then(|i| AdminLevel::ALL.get(i + 1))
                {
                    levels.insert(*below);
                }
            }
        }
    }
    levels.into_iter().collect()
}

/// A level and the pair of units on the two sides of a line (`None`: the outside).
type PairKey = (AdminLevel, AdminCode, Option<AdminCode>);

fn line_changes(
    branch: &Branch,
    current: &[BoundaryLine],
    after: &Hierarchy<'_>,
    changed_before: &[AdminCode],
    changed_after: &[AdminCode],
) -> LineChanges {
    let gk = GaussKruger::hangzhou();
    let cb: HashSet<&AdminCode> = changed_before.iter().collect();
    let ca: HashSet<&AdminCode> = changed_after.iter().collect();
    let levels: BTreeSet<AdminLevel> = changed_after
        .iter()
        .filter_map(|c| after.get(c).map(|u| u.level))
        .collect();
    let old: Vec<&BoundaryLine> = current
        .iter()
        .filter(|l| cb.contains(&l.left) || l.right.as_ref().is_some_and(|r| cb.contains(r)))
        .collect();
    // every level around the change, so that vertices other levels put on a line (as in
    // the lines in force) are there too
    let mut new: Vec<BoundaryLine> = Vec::new();
    if let Some(window) = bbox_of(changed_after.iter().filter_map(|c| after.get(c))) {
        let top = levels.first().copied().unwrap_or(AdminLevel::Community);
        let units = window_units(after, &window, frame_levels(top));
        new.extend(boundary_lines_in(&units, &gk).into_iter().filter(|l| {
            levels.contains(&l.level)
                && (ca.contains(&l.left) || l.right.as_ref().is_some_and(|r| ca.contains(r)))
        }));
    }
    // the pair a current line belongs to after the change
    let succ = |c: &AdminCode| branch.successors.get(c).unwrap_or(c).clone();
    let key_after = |l: &BoundaryLine| -> PairKey {
        let (a, b) = (succ(&l.left), l.right.as_ref().map(succ));
        match b {
            Some(b) if b < a => (l.level, b, Some(a)),
            other => (l.level, a, other),
        }
    };
    let mut groups: HashMap<PairKey, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (j, l) in old.iter().enumerate() {
        groups.entry(key_after(l)).or_default().0.push(j);
    }
    for (i, l) in new.iter().enumerate() {
        groups
            .entry((l.level, l.left.clone(), l.right.clone()))
            .or_default()
            .1
            .push(i);
    }
    let mut out = LineChanges::default();
    let mut next_number: HashMap<String, u64> = HashMap::new();
    for l in current {
        let prefix = prefix_of(&l.left, l.right.as_ref());
        if let Some(n) =
            l.id.strip_prefix(&prefix)
                .and_then(|s| s.parse::<u64>().ok())
        {
            let e = next_number.entry(prefix).or_insert(0);
            *e = (*e).max(n);
        }
    }
    let mut keys: Vec<_> = groups.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let (olds, news) = &groups[&key];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        if olds.len() == 1 && news.len() == 1 {
            pairs.push((olds[0], news[0]));
        } else {
            let mut cand: Vec<(f64, usize, usize)> = Vec::new();
            for &j in olds {
                for &i in news {
                    let h = hausdorff_m(&old[j].geometry, &new[i].geometry, &gk);
                    cand.push((h, j, i));
                }
            }
            cand.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (mut tj, mut ti) = (HashSet::new(), HashSet::new());
            for (_, j, i) in cand {
                // lines of one pair that both survive overlap; the closest pairs match
                if !tj.contains(&j) && !ti.contains(&i) {
                    tj.insert(j);
                    ti.insert(i);
                    pairs.push((j, i));
                }
            }
        }
        let matched_old: HashSet<usize> = pairs.iter().map(|p| p.0).collect();
        let matched_new: HashSet<usize> = pairs.iter().map(|p| p.1).collect();
        let prefix = prefix_of(&key.1, key.2.as_ref());
        for (j, i) in pairs {
            let (o, n) = (old[j], &new[i]);
            let same_pair = o.left == n.left && o.right == n.right;
            let new_id = if same_pair {
                o.id.clone()
            } else {
                fresh_id(&mut next_number, &prefix)
            };
            let change = LineChange {
                id: o.id.clone(),
                new_id,
                length_before_m: o.length_m,
                length_after_m: n.length_m,
            };
            let same_shape = hausdorff_m(&o.geometry, &n.geometry, &gk) <= SAME_LINE_M;
            if same_shape {
                if change.id != change.new_id {
                    out.relabelled.push(change);
                }
            } else if n.length_m > o.length_m + SAME_LINE_M {
                out.lengthened.push(change);
            } else if n.length_m < o.length_m - SAME_LINE_M {
                out.shortened.push(change);
            } else {
                out.reshaped.push(change);
            }
        }
        for &j in olds.iter().filter(|j| !matched_old.contains(j)) {
            out.ended.push(line_ref(old[j], old[j].id.clone()));
        }
        for &i in news.iter().filter(|i| !matched_new.contains(i)) {
            let id = fresh_id(&mut next_number, &prefix);
            out.created.push(line_ref(&new[i], id));
        }
    }
    out
}

fn prefix_of(left: &AdminCode, right: Option<&AdminCode>) -> String {
    match right {
        Some(r) => format!("{left}-{r}-"),
        None => format!("{left}-outer-"),
    }
}

fn fresh_id(next: &mut HashMap<String, u64>, prefix: &str) -> String {
    let e = next.entry(prefix.to_owned()).or_insert(0);
    *e += 1;
    format!("{prefix}{e}")
}

fn line_ref(l: &BoundaryLine, id: String) -> LineRef {
    LineRef {
        id,
        level: l.level,
        left: l.left.clone(),
        right: l.right.clone(),
        length_m: l.length_m,
    }
}

/// `top` and every level below it, with the level above as their frame.
fn frame_levels(top: AdminLevel) -> &'static [AdminLevel] {
    let at = AdminLevel::ALL.iter().position(|l| *l == top).unwrap_or(0);
    &AdminLevel::ALL[at.saturating_sub(1)..]
}

/// Findings of the branch around the change that the current data does not have (codes
/// of ended units read as their successors').
fn new_findings(
    branch: &Branch,
    before: &Hierarchy<'_>,
    after: &Hierarchy<'_>,
    changed_before: &[AdminCode],
    changed_after: &[AdminCode],
) -> Vec<Finding> {
    let levels = touched_levels(&[(before, changed_before), (after, changed_after)]);
    let Some(window) = bbox_of(
        changed_before
            .iter()
            .filter_map(|c| before.get(c))
            .chain(changed_after.iter().filter_map(|c| after.get(c))),
    ) else {
        return Vec::new();
    };
    // the parents of the top level frame it
    let top = levels.first().copied().unwrap_or(AdminLevel::Community);
    let frame = frame_levels(top);
    let run = |h: &Hierarchy<'_>| {
        let units = window_units(h, &window, frame);
        let v = Validator::new(&units, ValidateOptions::default());
        v.validate_window(window, &levels)
    };
    let succ = |c: &AdminCode| branch.successors.get(c).unwrap_or(c).clone();
    let key = |f: &Finding, map: bool| {
        let mut codes: Vec<AdminCode> = f
            .codes
            .iter()
            .map(|c| if map { succ(c) } else { c.clone() })
            .collect();
        codes.sort();
        (f.rule, f.level, codes)
    };
    let mut seen: HashMap<_, usize> = HashMap::new();
    for f in run(before) {
        *seen.entry(key(&f, true)).or_insert(0) += 1;
    }
    run(after)
        .into_iter()
        .filter(|f| match seen.get_mut(&key(f, false)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}
