//! The plan indicators as of a past day (`/api/v1/indicators?as_of=`): the plan's
//! indicators of the units of the edition in force that day, computed by the same
//! `plan_indicators` as today's over that edition's units of known shape. Each of those
//! units is made of some of today's units (`geometry_from`): its elderly and its
//! home-care walking figures are the sums of theirs, each of today's facilities counts for
//! the finest past unit its today's unit (or nearest ancestor) was made into, and the
//! district and city roll-ups follow that edition's tree. Units of unknown shape are left
//! out (and so are not counted among a parent's townships or communities).

use std::collections::HashMap;
use std::sync::Arc;

use civmap_geo_core::coverage::{plan_indicators, CoverageReport, UnitCoverage, WalkProfile};
use civmap_geo_core::{AdminLevel, AdminUnit, Facility};

use super::as_of::{left_out, made_from};
use super::{CoverageService, IndicatorsAnswer, StoredScenario};
use crate::service::as_of::{AsOf, AsOfView};
use crate::service::error::blocking;
use crate::service::ServiceError;

/// What past indicators are made of.
const NOTE: &str = "facilities, doorplates and the walking network are today's; each unit of that edition sums today's units its shape was made from (geometry_from), and each facility counts for the unit of that edition its today's unit was made into; units of unknown shape are not counted in a parent's shares";

impl CoverageService {
    /// [`Self::indicators`] as of `as_of` (today's answer for today): the indicators of
    /// the units of `level` of the edition in force that day, with the `as_of` member.
    pub async fn indicators_as_of(
        self: &Arc<Self>,
        level: AdminLevel,
        scenario: Option<Arc<StoredScenario>>,
        profile: WalkProfile,
        as_of: AsOf,
    ) -> Result<IndicatorsAnswer, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.indicators(level, scenario, profile).await;
        };
        let data = self.shared_data();
        let view = blocking(move || data.as_of_view(edition)).await?;
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        let work = self.indicator_inputs(scenario.clone(), profile.clone(), &cancel);
        let inputs = self.within(&cancel, budget, work).await?;
        let past = {
            let live = self.data().read();
            PastUnits::new(&view, &live.data.data().admin)
        };
        let facilities = past.facilities(inputs.facilities);
        let [r15, r20] = &inputs.reports;
        let (r15, r20) = (past.report(r15), past.report(r20));
        let rows = plan_indicators(&past.units, &facilities, &r15, &r20, level);
        let mut answer = IndicatorsAnswer::new(&rows, level, scenario, &profile);
        let unknown = past.unknown.get(&level).copied().unwrap_or(0);
        answer.as_of = Some(view.body(day, &[NOTE, &left_out(unknown)]));
        Ok(answer)
    }
}

/// A past edition's units of known shape, each with today's units it was made from.
struct PastUnits {
    /// The units, coarse levels first.
    units: Vec<AdminUnit>,
    /// Today's codes each was made from, same order.
    parts: Vec<Vec<String>>,
    /// Per today's unit code: the finest past unit made from it, and the today's parent.
    today: HashMap<String, (Option<usize>, Option<String>)>,
    /// Units left out per level.
    unknown: HashMap<AdminLevel, usize>,
}

impl PastUnits {
    fn new(view: &AsOfView, today_admin: &[AdminUnit]) -> Self {
        let mut today: HashMap<String, (Option<usize>, Option<String>)> = today_admin
            .iter()
            .map(|u| {
                let parent = u.parent.as_ref().map(|p| p.as_str().to_owned());
                (u.code.as_str().to_owned(), (None, parent))
            })
            .collect();
        let (mut units, mut parts, mut unknown) = (Vec::new(), Vec::new(), HashMap::new());
        for level in AdminLevel::ALL {
            let known = |c: &str| today.contains_key(c).then(|| c.to_owned());
            let (found, left) = made_from(view, level, known);
            unknown.insert(level, left);
            for (u, from) in found {
                units.push(u.clone());
                parts.push(from);
            }
        }
        // coarse levels first, so the finest past unit made from a today's unit wins
        for (i, from) in parts.iter().enumerate() {
            for c in from {
                if let Some(slot) = today.get_mut(c) {
                    slot.0 = Some(i);
                }
            }
        }
        Self {
            units,
            parts,
            today,
            unknown,
        }
    }

    /// The past unit a today's unit counts for: its own, else its nearest ancestor's.
    fn past_unit_of(&self, code: &str) -> Option<usize> {
        let mut at = code;
        for _ in 0..=AdminLevel::ALL.len() {
            let (past, parent) = self.today.get(at)?;
            if past.is_some() {
                return *past;
            }
            at = parent.as_deref()?;
        }
        None
    }

    /// Today's facilities, each coded with the past unit it counts for (none: not counted).
    fn facilities(&self, today: Vec<Facility>) -> Vec<Facility> {
        today
            .into_iter()
            .map(|mut f| {
                let past = f
                    .admin_code
                    .as_ref()
                    .and_then(|c| self.past_unit_of(c.as_str()));
                f.admin_code = past.map(|i| self.units[i].code.clone());
                f
            })
            .collect()
    }

    /// A report of today's over the past units: each one's figures are the sums of the
    /// today's units it was made from.
    fn report(&self, today: &CoverageReport) -> CoverageReport {
        let by_code: HashMap<&str, &UnitCoverage> =
            today.units.iter().map(|u| (u.code.as_str(), u)).collect();
        let units = self
            .units
            .iter()
            .zip(&self.parts)
            .map(|(u, from)| {
                let mut sum = UnitCoverage {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    level: u.level,
                    population: 0,
                    covered_population: 0,
                    elderly: 0,
                    covered_elderly: 0,
                    share_elderly: 0.0,
                };
                for p in from.iter().filter_map(|c| by_code.get(c.as_str())) {
                    sum.population += p.population;
                    sum.covered_population += p.covered_population;
                    sum.elderly += p.elderly;
                    sum.covered_elderly += p.covered_elderly;
                }
                sum.share_elderly = super::answers::share(sum.covered_elderly, sum.elderly);
                sum
            })
            .collect();
        CoverageReport {
            units,
            total: today.total,
        }
    }
}
