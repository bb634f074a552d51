//! Service areas as of a past day (`/api/v1/coverage/area?as_of=`): walking service areas
//! do not depend on the division, so the answer is today's polygons, with the `as_of`
//! member naming the edition in force that day and saying so.

use std::sync::Arc;

use super::{CoverageQuery, CoverageService};
use crate::service::as_of::AsOf;
use crate::service::error::blocking;
use crate::service::ServiceError;

/// What past service areas are made of.
const AREA_NOTE: &str = "service areas do not depend on the division: the polygons are today's, from today's facilities and walking network";

impl CoverageService {
    /// [`Self::area`] as of `as_of` (today's answer for today): today's polygons with the
    /// `as_of` member naming the edition in force that day (the serialised collection with
    /// the member appended, as serialising it with `as_of` set would write it).
    pub async fn area_as_of(
        self: &Arc<Self>,
        q: &CoverageQuery,
        cell_m: f64,
        as_of: AsOf,
    ) -> Result<axum::body::Bytes, ServiceError> {
        let body = self.area(q, cell_m).await?;
        let AsOf::Past { edition, day } = as_of else {
            return Ok(body);
        };
        let data = self.shared_data();
        let view = blocking(move || data.as_of_view(edition)).await?;
        let member =
            serde_json::to_vec(&view.body(day, &[AREA_NOTE])).map_err(ServiceError::internal)?;
        let open = body
            .strip_suffix(b"}")
            .ok_or_else(|| ServiceError::internal("a collection ends with }"))?;
        let mut out = Vec::with_capacity(body.len() + member.len() + 10);
        out.extend_from_slice(open);
        out.extend_from_slice(b",\"as_of\":");
        out.extend_from_slice(&member);
        out.push(b'}');
        Ok(out.into())
    }
}
