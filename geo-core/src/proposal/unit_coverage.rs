//! Coverage and plan indicators of chosen units, aggregated from per-doorplate coverage
//! flags. A proposal moves no doorplate and no facility and leaves the walking network as
//! it is: only which unit a doorplate (or facility) counts for changes. So the before and
//! after figures of the affected units come from one coverage result, aggregated twice —
//! with exactly the rule of [`crate::coverage::CoverageEngine::report`]: a doorplate counts
//! for the unit its community code names and every ancestor of that unit.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::coverage::{
    plan_indicators, CoverageReport, CoverageTotals, UnitCoverage, UnitIndicators,
};
use crate::{AdminCode, AdminLevel, AdminUnit, Doorplate, Facility};

/// One unit's walking coverage, as [`UnitCoverage`] defines its fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoverageFigures {
    /// Residents at the unit's doorplates.
    pub population: u64,
    /// Those within the limit.
    pub covered_population: u64,
    /// Residents aged 60+.
    pub elderly: u64,
    /// Those within the limit.
    pub covered_elderly: u64,
    /// `covered_elderly / elderly` (0 when `elderly` is 0).
    pub share_elderly: f64,
}

impl CoverageFigures {
    fn add(&mut self, d: &Doorplate, covered: bool) {
        let (p, e) = (u64::from(d.residents), u64::from(d.elderly));
        self.population += p;
        self.elderly += e;
        if covered {
            self.covered_population += p;
            self.covered_elderly += e;
        }
    }

    fn finish(mut self) -> Self {
        self.share_elderly = if self.elderly == 0 {
            0.0
        } else {
            self.covered_elderly as f64 / self.elderly as f64
        };
        self
    }
}

/// A hierarchy by code: the current one, or a branch's (current units with the branch's
/// upserts and without its retired codes), without copying geometry.
#[derive(Debug, Clone)]
pub struct Hierarchy<'a> {
    units: HashMap<&'a AdminCode, &'a AdminUnit>,
}

impl<'a> Hierarchy<'a> {
    /// Indexes `units` by code (a later unit with the same code wins).
    pub fn new(units: impl IntoIterator<Item = &'a AdminUnit>) -> Self {
        Self {
            units: units.into_iter().map(|u| (&u.code, u)).collect(),
        }
    }

    /// The unit with `code`.
    pub fn get(&self, code: &AdminCode) -> Option<&'a AdminUnit> {
        self.units.get(code).copied()
    }

    /// The unit and its ancestors, nearest first (cycle-safe).
    pub fn chain(&self, code: &AdminCode) -> Vec<&'a AdminUnit> {
        let mut out: Vec<&'a AdminUnit> = Vec::new();
        let mut cur = self.get(code);
        while let Some(u) = cur {
            if out.iter().any(|o| o.code == u.code) {
                break;
            }
            out.push(u);
            cur = u.parent.as_ref().and_then(|p| self.get(p));
        }
        out
    }

    /// Every unit, in no particular order.
    pub fn units(&self) -> impl Iterator<Item = &'a AdminUnit> + '_ {
        self.units.values().copied()
    }

    /// For each unit whose chain reaches one of `targets`: the targets' positions.
    fn hits(&self, targets: &[AdminCode]) -> HashMap<&'a AdminCode, Vec<usize>> {
        let pos: HashMap<&AdminCode, usize> =
            targets.iter().enumerate().map(|(i, c)| (c, i)).collect();
        self.units
            .iter()
            .filter_map(|(&code, _)| {
                let t: Vec<usize> = self
                    .chain(code)
                    .iter()
                    .filter_map(|u| pos.get(&u.code).copied())
                    .collect();
                (!t.is_empty()).then_some((code, t))
            })
            .collect()
    }
}

/// Coverage of each of `targets` under `hierarchy`, for each flag set in `covered`
/// (`covered[k][i]`: doorplate `i` is within reach in set `k`). `code_of(i)` is the code
/// doorplate `i` counts for (its community, or where a branch moves it).
pub fn coverage_of<'c>(
    hierarchy: &Hierarchy<'_>,
    targets: &[AdminCode],
    doorplates: &[Doorplate],
    code_of: impl Fn(usize) -> Option<std::borrow::Cow<'c, AdminCode>>,
    covered: &[&[bool]],
) -> Vec<Vec<CoverageFigures>> {
    let hits = hierarchy.hits(targets);
    let mut out = vec![vec![CoverageFigures::default(); targets.len()]; covered.len()];
    for (i, d) in doorplates.iter().enumerate() {
        let Some(code) = code_of(i) else { continue };
        let Some(ts) = hits.get(code.as_ref()) else {
            continue;
        };
        for (k, flags) in covered.iter().enumerate() {
            let c = flags.get(i).copied().unwrap_or(false);
            for &t in ts {
                out[k][t].add(d, c);
            }
        }
    }
    out.into_iter()
        .map(|v| v.into_iter().map(CoverageFigures::finish).collect())
        .collect()
}

/// The plan indicators of `targets` (each at its own level) under `hierarchy`, with the
/// facilities counting for the codes `facility_code` gives and the home-care coverage
/// figures `home_care` (15 and 20 minutes) of every unit in the targets' subtrees.
pub fn indicators_of(
    hierarchy: &Hierarchy<'_>,
    targets: &[AdminCode],
    facilities: &[Facility],
    facility_code: impl Fn(&Facility) -> Option<AdminCode>,
    home_care: [&HashMap<AdminCode, CoverageFigures>; 2],
) -> HashMap<AdminCode, UnitIndicators> {
    // the targets, their descendants (a township's communities) and ancestors
    let target_set: HashSet<&AdminCode> = targets.iter().collect();
    let mut keep: HashSet<&AdminCode> = HashSet::new();
    for u in hierarchy.units() {
        let chain = hierarchy.chain(&u.code);
        if let Some(pos) = chain.iter().position(|a| target_set.contains(&a.code)) {
            keep.extend(chain[..=pos].iter().map(|a| &a.code));
            keep.extend(chain[pos..].iter().map(|a| &a.code));
        }
    }
    let mut subset: Vec<AdminUnit> = keep
        .iter()
        .filter_map(|c| hierarchy.get(c))
        .map(|u| AdminUnit {
            geometry: geo::MultiPolygon(Vec::new()),
            ..u.clone()
        })
        .collect();
    subset.sort_by(|a, b| a.code.cmp(&b.code));
    let fac: Vec<Facility> = facilities
        .iter()
        .filter_map(|f| {
            let code = facility_code(f)?;
            keep.contains(&code).then(|| Facility {
                admin_code: Some(code),
                ..f.clone()
            })
        })
        .collect();
    let report = |figs: &HashMap<AdminCode, CoverageFigures>| CoverageReport {
        units: subset
            .iter()
            .filter_map(|u| {
                let f = figs.get(&u.code)?;
                Some(UnitCoverage {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    level: u.level,
                    population: f.population,
                    covered_population: f.covered_population,
                    elderly: f.elderly,
                    covered_elderly: f.covered_elderly,
                    share_elderly: f.share_elderly,
                })
            })
            .collect(),
        total: CoverageTotals::default(),
    };
    let (r15, r20) = (report(home_care[0]), report(home_care[1]));
    let mut out = HashMap::new();
    let levels: HashSet<AdminLevel> = targets
        .iter()
        .filter_map(|c| hierarchy.get(c).map(|u| u.level))
        .collect();
    for level in levels {
        for row in plan_indicators(&subset, &fac, &r15, &r20, level) {
            if target_set.contains(&row.code) {
                out.insert(row.code.clone(), row);
            }
        }
    }
    out
}
