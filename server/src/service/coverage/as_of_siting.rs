//! Siting as of a past day (`POST /api/v1/siting` with `as_of`): `area` is a code of the
//! edition in force that day. Its shape is the one rebuilt from today's units
//! (`geometry_from`): the sites stand inside those units' polygons and only the elderly of
//! their doorplates count, so the figures are the sums of today's units it was made from,
//! as in a past coverage report. The units each site stands in are that edition's. A unit
//! of unknown shape cannot be sited in (422 naming `area`).

use std::sync::Arc;

use super::answers::{check_siting_k, parse_area, SitingScope};
use super::{CoverageQuery, CoverageService, SitingAnswer};
use crate::service::as_of::AsOf;
use crate::service::error::blocking;
use crate::service::ServiceError;

/// What past siting is made of.
const NOTE: &str = "facilities, doorplates and the walking network are today's; the area is that edition's unit, made of today's units (geometry_from), and the sites' district, township and community are that edition's";

impl CoverageService {
    /// [`Self::siting`] as of `as_of` (today's answer for today).
    pub async fn siting_as_of(
        self: &Arc<Self>,
        q: &CoverageQuery,
        k: usize,
        area: Option<&str>,
        as_of: AsOf,
    ) -> Result<SitingAnswer, ServiceError> {
        let AsOf::Past { edition, day } = as_of else {
            return self.siting(q, k, area).await;
        };
        check_siting_k(k)?;
        let code = parse_area(area)?;
        let data = self.shared_data();
        let view = blocking(move || data.as_of_view(edition)).await?;
        let scope = match code {
            None => None,
            Some(code) => {
                let (_, source) = view.by_code(code.as_str()).ok_or_else(|| {
                    let msg = format!("{code} is not a unit of {} (as_of)", view.edition);
                    ServiceError::out_of_range("area", msg)
                })?;
                if source.from_codes.is_empty() {
                    return Err(ServiceError::out_of_range(
                        "area",
                        format!(
                            "{code} has no known shape in {} (as_of): no polygon of today's was made from it",
                            view.edition
                        ),
                    ));
                }
                Some(SitingScope {
                    label: code,
                    codes: source.from_codes.clone(),
                })
            }
        };
        let mut answer = self.siting_in(q, k, scope, Some(view.clone())).await?;
        answer.as_of = Some(view.body(day, &[NOTE]));
        Ok(answer)
    }
}
