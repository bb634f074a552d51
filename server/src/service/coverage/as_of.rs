//! The coverage report per unit as of a past day (`/api/v1/coverage?as_of=`): today's
//! walking coverage of today's doorplates by today's facilities, summed per unit of the
//! edition in force that day over the units of today its shape was made from
//! (`geometry_from`). Units of unknown shape cannot be summed and are left out; the answer's
//! `as_of.notes` say both.

use std::collections::HashMap;
use std::sync::Arc;

use civmap_geo_core::{AdminLevel, AdminUnit};

use super::answers::share;
use super::{CoverageAnswer, CoverageQuery, CoverageService, UnitCoverageBody};
use crate::service::as_of::{AsOf, AsOfView};
use crate::service::error::blocking;
use crate::service::ServiceError;

/// The units of `level` of a past edition (`view`) that can be summed from today's, in the
/// edition's order, each with what `today` gives for each of today's units its shape was
/// made from (`geometry_from`), and how many units are left out: those of unknown shape
/// and those made from a unit `today` does not know. Every as-of coverage answer (coverage,
/// gaps, indicators, siting areas) sums over these parts.
pub(super) fn made_from<T>(
    view: &AsOfView,
    level: AdminLevel,
    today: impl Fn(&str) -> Option<T>,
) -> (Vec<(&AdminUnit, Vec<T>)>, usize) {
    let mut unknown = 0;
    let units = view
        .units
        .iter()
        .zip(&view.sources)
        .filter(|(u, _)| u.level == level)
        .filter_map(|(u, src)| {
            let parts: Option<Vec<T>> = src.from_codes.iter().map(|c| today(c.as_str())).collect();
            match parts.filter(|p| !p.is_empty()) {
                Some(parts) => Some((u, parts)),
                None => {
                    unknown += 1;
                    None
                }
            }
        })
        .collect();
    (units, unknown)
}

/// The note of an as-of answer that left out `unknown` units.
pub(super) fn left_out(unknown: usize) -> String {
    format!("{unknown} units of unknown shape are left out")
}

/// What a past coverage report is made of.
const NOTE: &str = "facilities, doorplates and the walking network are today's; each unit of that edition sums today's units its shape was made from (geometry_from)";

/// Per-unit sums: population, covered, elderly, covered elderly, and the two deltas.
type Sums = (u64, u64, u64, u64, Option<i64>, Option<i64>);

impl CoverageService {
    /// [`Self::coverage`] as of `as_of` (today's answer for today).
    pub async fn coverage_as_of(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        as_of: AsOf,
    ) -> Result<CoverageAnswer, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.coverage(q, level).await;
        };
        let data = self.shared_data();
        let view = blocking(move || data.as_of_view(edition)).await?;
        // today's figures of every unit a past shape may be made from
        let mut today: HashMap<String, Sums> = HashMap::new();
        let mut answer = None;
        for l in [
            AdminLevel::District,
            AdminLevel::Township,
            AdminLevel::Community,
        ] {
            let a = self.coverage(q, l).await?;
            for u in &a.units {
                let sums = (
                    u.population,
                    u.covered_population,
                    u.elderly,
                    u.covered_elderly,
                    u.covered_population_delta,
                    u.covered_elderly_delta,
                );
                today.insert(u.code.clone(), sums);
            }
            answer = Some(a);
        }
        let mut answer = answer.ok_or_else(|| ServiceError::internal("no level"))?;
        let with_scenario = q.scenario_id().is_some();
        let (units, unknown) = made_from(&view, level, |c| today.get(c));
        answer.units = units
            .into_iter()
            .map(|(u, parts)| {
                let add = |a: Option<i64>, b: Option<i64>| a.zip(b).map(|(x, y)| x + y);
                let s = parts.iter().fold((0, 0, 0, 0, Some(0), Some(0)), |s, p| {
                    (
                        s.0 + p.0,
                        s.1 + p.1,
                        s.2 + p.2,
                        s.3 + p.3,
                        add(s.4, p.4),
                        add(s.5, p.5),
                    )
                });
                UnitCoverageBody {
                    code: u.code.as_str().to_owned(),
                    name: u.name.clone(),
                    level: u.level.as_str().to_owned(),
                    population: s.0,
                    covered_population: s.1,
                    elderly: s.2,
                    covered_elderly: s.3,
                    share_elderly: share(s.3, s.2),
                    share_population: share(s.1, s.0),
                    covered_population_delta: s.4.filter(|_| with_scenario),
                    covered_elderly_delta: s.5.filter(|_| with_scenario),
                }
            })
            .collect();
        answer.level = level.as_str().to_owned();
        answer.as_of = Some(view.body(day, &[NOTE, &left_out(unknown)]));
        Ok(answer)
    }
}
