//! Gaps as of a past day (`/api/v1/coverage/gaps?as_of=`): today's uncovered doorplates
//! grouped into areas that never cross a unit of the requested level of the edition in
//! force that day. Each doorplate belongs to the past unit made from (`geometry_from`) its
//! today's community or nearest ancestor, exactly the units a past coverage report sums, so
//! a gap of 下城区 as of 2020 may run across today's township borders inside 下城区 but never
//! out of it. Doorplates in units of unknown shape keep `admin: null`.

use std::collections::HashMap;
use std::sync::Arc;

use civmap_geo_core::coverage::Cancel;
use civmap_geo_core::AdminLevel;

use super::as_of::{left_out, made_from};
use super::{CoverageQuery, CoverageService, GapCollection, GapFeature};
use crate::service::as_of::{AsOf, AsOfView};
use crate::service::error::blocking;
use crate::service::spatial::ChainLink;
use crate::service::ServiceError;

/// What past gaps are made of.
const NOTE: &str = "facilities, doorplates and the walking network are today's; gaps are kept within that edition's units, each made of today's units (geometry_from); gaps in units of unknown shape have no admin";

impl CoverageService {
    /// [`Self::gaps`] as of `as_of` (today's answer for today): the page of gaps kept within
    /// the units of `level` of the edition in force that day, with the `as_of` member.
    pub async fn gaps_as_of(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        (offset, limit): (usize, usize),
        cell_m: f64,
        as_of: AsOf,
    ) -> Result<GapCollection, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.gaps(q, level, offset, limit, cell_m).await;
        };
        let data = self.shared_data();
        let view = blocking(move || data.as_of_view(edition)).await?;
        let budget = self.budgets().coverage;
        let cancel = Self::token(budget);
        let work = self.past_gap_list(q, level, cell_m, &view, &cancel);
        let (all, unknown) = self.within(&cancel, budget, work).await?;
        let mut page = GapCollection::page(&all, offset, limit, q.scenario_id());
        page.as_of = Some(view.body(day, &[NOTE, &left_out(unknown)]));
        Ok(page)
    }

    /// Every gap within the past units of `level`, ranked; cached like today's lists.
    async fn past_gap_list(
        self: &Arc<Self>,
        q: &CoverageQuery,
        level: AdminLevel,
        cell_m: f64,
        view: &AsOfView,
        cancel: &Cancel,
    ) -> Result<(Arc<Vec<GapFeature>>, usize), ServiceError> {
        let snap = self.engine().await?;
        let (groups, links, unknown) = {
            let live = self.data().read();
            let admin = &live.data.data().admin;
            let today: HashMap<&str, usize> = admin
                .iter()
                .enumerate()
                .map(|(i, u)| (u.code.as_str(), i))
                .collect();
            let (units, unknown) = made_from(view, level, |c| today.get(c).copied());
            let mut groups = vec![u32::MAX; admin.len()];
            let mut links = Vec::with_capacity(units.len());
            for (k, (u, parts)) in units.iter().enumerate() {
                for &p in parts {
                    groups[p] = k as u32;
                }
                let mut link = ChainLink::of(u);
                link.geometry_source = view
                    .by_code(u.code.as_str())
                    .map(|(_, s)| s.name().to_owned());
                links.push(link);
            }
            (groups, links, unknown)
        };
        let key = format!("gaps|{:?}|{cell_m}|{level:?}|{}", q.key(true), view.edition);
        if let Some(all) = self.cached_gaps(&key, snap.generation) {
            return Ok((all, unknown));
        }
        let version = self.version();
        let r = self.result_cancellable(&snap, q, cancel).await?;
        let engine = snap.engine.clone();
        let gaps = self
            .blocking_cancellable(cancel, move |cancel| {
                Ok(engine.gaps_by_group_cancellable(&r, cell_m, &groups, cancel)?)
            })
            .await?;
        let synthetic = self.data().read().doorplates_synthetic();
        let all: Vec<GapFeature> = gaps
            .iter()
            .enumerate()
            .map(|(rank, g)| {
                let link = g.unit.and_then(|k| links.get(k as usize)).cloned();
                GapFeature::new(rank + 1, g, link, q, synthetic)
            })
            .collect();
        let all = Arc::new(all);
        self.put_gaps(key, all.clone(), snap.generation, version);
        Ok((all, unknown))
    }
}
