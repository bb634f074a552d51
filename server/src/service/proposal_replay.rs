//! Approved change proposals at start: what makes an approval survive a restart.
//!
//! - **Former names**, in every mode: the names approved proposals ended are read from the
//!   accounts store and indexed by the first gazetteer build, so a search for an old name
//!   answers `former_name` with the unit that carries the place now, as right after the
//!   approval.
//! - **The data change**, without PostGIS (embedded default, `--data`, `--state`): the
//!   served data live in memory, so every approved proposal's stored change
//!   ([`DataEdit`], kept with its decision in `accounts.sqlite`) is replayed onto the
//!   loaded dataset, in decision order, before anything is indexed. One that no longer
//!   fits the data (e.g. the data directory was replaced by one that has it already) is
//!   skipped whole, logged at error level and listed in `/health` and `/readyz`
//!   (`proposals_not_replayed`) and in the proposal's view (`not_replayed`). With PostGIS
//!   nothing is replayed: the approval wrote the rows.

use civmap_data::proposals::{ApprovedEdit, DataEdit, ProposalStore};
use civmap_geo_core::gazetteer::Alias;
use civmap_geo_core::proposal::ProposalKind;
use civmap_geo_core::Dataset;

use super::data::UnreplayedApproval;
use super::proposals::{branch_now, former_name_alias, store_error};
use super::ServiceError;

/// What a start made of the approved proposals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// The proposals whose change was replayed, in order.
    pub replayed: Vec<i64>,
    /// Those skipped, with why.
    pub skipped: Vec<UnreplayedApproval>,
}

/// Replays the approved proposals' stored changes onto `ds`, in decision order, each whole
/// or not at all. An approval kept without its change (made before civmap kept them) is
/// recomputed from its request on the data as they are at that point, as the approval
/// did. Fails only when the store cannot be read.
pub async fn replay_approved(
    store: &ProposalStore,
    ds: &mut Dataset,
) -> Result<ReplayReport, ServiceError> {
    let approved = store.approved_edits().await.map_err(store_error)?;
    let mut report = ReplayReport::default();
    for a in approved {
        match replay_one(&a, ds) {
            Ok(()) => report.replayed.push(a.proposal),
            Err(reason) => {
                tracing::error!(
                    "approved proposal {} (effective {}) is NOT in the served data: {reason}",
                    a.proposal,
                    a.effective
                );
                report.skipped.push(UnreplayedApproval {
                    proposal: a.proposal,
                    effective: a.effective,
                    reason,
                });
            }
        }
    }
    if !report.replayed.is_empty() {
        tracing::info!(
            "replayed {} approved proposal(s) onto the data",
            report.replayed.len()
        );
    }
    Ok(report)
}

/// One approval onto `ds`, or why not (then `ds` is as it was).
fn replay_one(a: &ApprovedEdit, ds: &mut Dataset) -> Result<(), String> {
    let edit: DataEdit = match &a.edit {
        Ok(edit) => edit.clone(),
        Err(missing) => {
            let kind: ProposalKind = serde_json::from_value(a.request.clone())
                .map_err(|e| format!("{missing}, and its request cannot be read: {e}"))?;
            let (_, edit) = branch_now(ds, &kind)
                .map_err(|e| format!("{missing}, and recomputing it failed: {e}"))?;
            edit
        }
    };
    edit.apply_to(ds)
        .map_err(|e| format!("its change no longer fits the data: {e}"))
}

/// The former names of the approved proposals as gazetteer aliases, leaving out those of
/// proposals not in the served data.
pub async fn former_name_aliases(
    store: &ProposalStore,
    skipped: &[UnreplayedApproval],
) -> Result<Vec<Alias>, ServiceError> {
    let names = store.former_names().await.map_err(store_error)?;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let kinds: std::collections::HashMap<i64, String> = store
        .list()
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|p| (p.id, p.kind))
        .collect();
    Ok(names
        .iter()
        .filter(|f| !skipped.iter().any(|s| s.proposal == f.proposal))
        .map(|f| {
            let kind = kinds.get(&f.proposal).map_or("change", String::as_str);
            former_name_alias(&f.name, f.former_code.as_ref(), &f.code, kind, &f.until)
        })
        .collect())
}
