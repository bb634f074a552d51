//! The shapes of a proposal before and after (`GET /api/v1/proposals/{id}/shapes`): the
//! planner's before/after map draws these instead of guessing the new shapes from pieces.
//! "Before" is today's polygon of every unit the change touches; "after" is every unit
//! the branch writes (a split's two new parts, a merged unit's union, a transfer's two
//! townships and the recoded community). The branch is applied to the data as it is now,
//! so a proposal that no longer applies (an approved one, whose change is live, or one
//! overtaken by other edits) answers 409 saying why.

use std::collections::HashSet;

use civmap_geo_core::proposal::{apply, ProposalKind};
use civmap_geo_core::AdminUnit;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::blocking;
use super::geojson::AdminCollection;
use super::{AppState, ServiceError};

/// A proposal's units before and after, as two admin collections.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalShapes {
    /// Store id.
    pub id: i64,
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// Today's polygons of the units the change touches (those that exist now).
    pub before: AdminCollection,
    /// The units as the branch writes them (retired units are absent).
    pub after: AdminCollection,
}

/// The before and after shapes of proposal `id` on today's data.
pub async fn shapes(state: &AppState, id: i64) -> Result<ProposalShapes, ServiceError> {
    let stored = state
        .proposals
        .get(id)
        .await
        .map_err(super::proposals::store_error)?;
    let kind: ProposalKind =
        serde_json::from_value(stored.request.clone()).map_err(ServiceError::internal)?;
    let data = state.data.clone();
    blocking(move || {
        let live = data.read();
        let ds = live.data.data();
        let branch = apply(&kind, &ds.admin, &ds.doorplates).map_err(|e| {
            ServiceError::Conflict(format!(
                "proposal {id} ({}) does not apply to today's data, so it has no shapes to show: {e}",
                stored.status
            ))
        })?;
        let touched: HashSet<_> = branch.changed_before.iter().collect();
        let before: Vec<&AdminUnit> = ds.admin.iter().filter(|u| touched.contains(&u.code)).collect();
        // the last write of a code wins, as when the branch is applied
        let mut seen = HashSet::new();
        let mut after: Vec<&AdminUnit> = branch
            .upserts
            .iter()
            .rev()
            .filter(|u| seen.insert(&u.code))
            .collect();
        after.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(ProposalShapes {
            id,
            kind: kind.as_str().to_owned(),
            before: AdminCollection::new(&before),
            after: AdminCollection::new(&after),
        })
    })
    .await
}
