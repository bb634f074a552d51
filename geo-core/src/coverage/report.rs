//! Coverage per administrative unit: a doorplate counts for its community and every
//! ancestor of that community (following `AdminUnit::parent`), so a township's figures are
//! exactly the sums of its communities' figures (plus doorplates coded to the township
//! itself), and the city's total is the sum over all doorplates.

use std::collections::HashMap;

use serde::Serialize;

use super::CoverageResult;
use crate::{AdminCode, AdminLevel, Dataset};

/// One unit's coverage. Population and elderly are the residents registered at the unit's
/// doorplates (the denominators match the numerators); `share_elderly` is
/// `covered_elderly / elderly`, or 0 for a unit without elderly residents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitCoverage {
    /// 12-digit code.
    pub code: AdminCode,
    /// Name.
    pub name: String,
    /// Level.
    pub level: AdminLevel,
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

/// Totals over all doorplates, whether or not they have a community code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CoverageTotals {
    /// Residents.
    pub population: u64,
    /// Residents within the limit.
    pub covered_population: u64,
    /// Residents aged 60+.
    pub elderly: u64,
    /// Elderly within the limit.
    pub covered_elderly: u64,
    /// `covered_elderly / elderly` (0 when `elderly` is 0).
    pub share_elderly: f64,
}

/// Units of the requested level (dataset order) and the whole-dataset total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageReport {
    /// Per unit.
    pub units: Vec<UnitCoverage>,
    /// All doorplates.
    pub total: CoverageTotals,
}

fn share(covered: u64, all: u64) -> f64 {
    if all == 0 {
        0.0
    } else {
        covered as f64 / all as f64
    }
}

/// Doorplate → unit and unit → ancestors, resolved once.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdminRollup {
    /// Unit index of each doorplate's community code, `u32::MAX` when absent/unknown.
    doorplate_unit: Vec<u32>,
    /// Per unit: itself and its ancestors (cycle-safe).
    chains: Vec<Vec<u32>>,
    units: Vec<(AdminCode, String, AdminLevel)>,
}

impl AdminRollup {
    /// Doorplate `i`'s community and its ancestors (empty when its community is unknown).
    fn chain_of(&self, i: usize) -> &[u32] {
        match self.doorplate_unit.get(i) {
            Some(&own) if own != u32::MAX => &self.chains[own as usize],
            _ => &[],
        }
    }

    /// The unit of `level` that doorplate `i` lies in (its community or an ancestor),
    /// `u32::MAX` when unknown.
    pub fn unit_at(&self, i: usize, level: AdminLevel) -> u32 {
        self.chain_of(i)
            .iter()
            .copied()
            .find(|&u| self.units[u as usize].2 == level)
            .unwrap_or(u32::MAX)
    }

    /// Whether doorplate `i` lies in one of the units flagged in `in_area` (indexed like
    /// the dataset's admin units), through its community or any ancestor.
    pub fn doorplate_in(&self, i: usize, in_area: &[bool]) -> bool {
        self.chain_of(i)
            .iter()
            .any(|&u| in_area.get(u as usize).copied().unwrap_or(false))
    }

    /// The group of doorplate `i`: `groups[u]` of its community or of the nearest ancestor
    /// whose group is not `u32::MAX`; `u32::MAX` when none is.
    pub fn group_of(&self, i: usize, groups: &[u32]) -> u32 {
        self.chain_of(i)
            .iter()
            .map(|&u| groups.get(u as usize).copied().unwrap_or(u32::MAX))
            .find(|&g| g != u32::MAX)
            .unwrap_or(u32::MAX)
    }

    /// The number of admin units.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    pub fn build(dataset: &Dataset) -> Self {
        let by_code: HashMap<&AdminCode, u32> = dataset
            .admin
            .iter()
            .enumerate()
            .map(|(i, u)| (&u.code, i as u32))
            .collect();
        let chains = (0..dataset.admin.len())
            .map(|i| {
                let mut chain = vec![i as u32];
                let mut cur = i;
                while let Some(p) = dataset.admin[cur]
                    .parent
                    .as_ref()
                    .and_then(|c| by_code.get(c))
                {
                    if chain.contains(p) {
                        break;
                    }
                    chain.push(*p);
                    cur = *p as usize;
                }
                chain
            })
            .collect();
        Self {
            doorplate_unit: dataset
                .doorplates
                .iter()
                .map(|d| {
                    d.community
                        .as_ref()
                        .and_then(|c| by_code.get(c).copied())
                        .unwrap_or(u32::MAX)
                })
                .collect(),
            chains,
            units: dataset
                .admin
                .iter()
                .map(|u| (u.code.clone(), u.name.clone(), u.level))
                .collect(),
        }
    }
}

impl super::CoverageEngine {
    /// Aggregates a coverage result per unit of `level` (every level when `None`).
    pub fn report(&self, result: &CoverageResult, level: Option<AdminLevel>) -> CoverageReport {
        let r = &self.rollup;
        // [population, covered_population, elderly, covered_elderly] per unit.
        let mut own = vec![[0u64; 4]; r.units.len()];
        let mut total = [0u64; 4];
        for i in 0..self.doorplate_count() {
            let (p, e) = (self.residents[i] as u64, self.elderly[i] as u64);
            let c = result.covered[i];
            let row = [p, if c { p } else { 0 }, e, if c { e } else { 0 }];
            for k in 0..4 {
                total[k] += row[k];
            }
            let u = r.doorplate_unit[i];
            if u != u32::MAX {
                for k in 0..4 {
                    own[u as usize][k] += row[k];
                }
            }
        }
        let mut sums = vec![[0u64; 4]; r.units.len()];
        for (u, chain) in r.chains.iter().enumerate() {
            if own[u] == [0; 4] {
                continue;
            }
            for &a in chain {
                for k in 0..4 {
                    sums[a as usize][k] += own[u][k];
                }
            }
        }
        let units = r
            .units
            .iter()
            .zip(&sums)
            .filter(|((_, _, l), _)| level.is_none_or(|want| want == *l))
            .map(|((code, name, l), s)| UnitCoverage {
                code: code.clone(),
                name: name.clone(),
                level: *l,
                population: s[0],
                covered_population: s[1],
                elderly: s[2],
                covered_elderly: s[3],
                share_elderly: share(s[3], s[2]),
            })
            .collect();
        CoverageReport {
            units,
            total: CoverageTotals {
                population: total[0],
                covered_population: total[1],
                elderly: total[2],
                covered_elderly: total[3],
                share_elderly: share(total[3], total[2]),
            },
        }
    }
}
