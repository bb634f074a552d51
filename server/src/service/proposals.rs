//! Change proposals (区划调整, issue 15): a surveyor proposes a transfer, merge, split or
//! rename; civmap applies it to a branch (a copy of the hierarchy, never the live data),
//! validates the branch with the survey validator and stores the proposal with its impact
//! report; an admin approves it with an effective date (the change is then applied to the
//! live data as any edit is: through PostGIS and the follower with `--db`, in memory
//! otherwise, each atomically with its audit row) or rejects it.
//!
//! The impact's coverage figures come from the cached whole-city home-care results at 15
//! and 20 minutes: a proposal changes no facility, doorplate position or street, only which
//! unit a doorplate counts for, so the report aggregates the same flags twice
//! (`civmap_geo_core::proposal::unit_coverage`).

use std::sync::Arc;

use civmap_data::accounts::AuditRecord;
use civmap_data::postgis::ChangeTable;
use civmap_data::proposals::{DataEdit, Decision, NewProposal, ProposalStoreError, StoredProposal};
use civmap_data::register::{check_date, today_in_china};
use civmap_geo_core::coverage::{CoverageMode, WalkProfile};
use civmap_geo_core::gazetteer::Alias;
use civmap_geo_core::proposal::{apply, impact, Branch, ImpactInputs, ProposalError, ProposalKind};
use civmap_geo_core::{AdminCode, Dataset, FacilityCategory};
use serde::Serialize;
use utoipa::ToSchema;

use super::coverage::{CoverageQuery, DataChange};
use super::data::refresh_gazetteer;
use super::identity::rfc3339;
use super::{AppState, ServiceError, StoreKind};

/// A proposal as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalView {
    /// Store id.
    pub id: i64,
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Whether the branch passed the survey validator (no new finding) when proposed.
    pub valid: bool,
    /// The proposal as stored (codes, line, names).
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// The impact report: `moved`, `doorplates`, `facilities`, `units` (before/after with
    /// coverage and indicators), `lines`, `markers_orphaned`, `markers_relinked`, `codes`,
    /// `former_names`, `findings` (see docs/API.md).
    #[schema(value_type = Object)]
    pub impact: serde_json::Value,
    /// Who proposed it.
    pub proposed_by: String,
    /// When (RFC 3339).
    pub proposed_at: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (RFC 3339).
    pub decided_at: Option<String>,
    /// The day an approved proposal takes effect.
    pub effective: Option<String>,
    /// The reason given with a rejection.
    pub note: Option<String>,
    /// The dated version an approval made: `{effective}#{id}`.
    pub version: Option<String>,
    /// Set on an approved proposal whose change this server could not replay onto its
    /// data at start (no PostGIS; e.g. the data directory was replaced): why. Its change
    /// is then not in the served data (see `/health`'s `proposals_not_replayed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_replayed: Option<String>,
}

/// A proposal in a list (without its impact report).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalSummary {
    /// Store id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// Status.
    pub status: String,
    /// Whether the branch validated.
    pub valid: bool,
    /// Who proposed it.
    pub proposed_by: String,
    /// When (RFC 3339).
    pub proposed_at: String,
    /// The effective date of an approval.
    pub effective: Option<String>,
}

/// Every proposal, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalList {
    /// The proposals.
    pub proposals: Vec<ProposalSummary>,
}

/// The dated change an approval made, in the terms of the division history: what the
/// history store (issue 15's other half, `geo-core/src/history`) records as events.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ApprovedChange {
    /// The day it takes effect.
    pub effective: String,
    /// `transfer`, `merge`, `split` or `rename`.
    pub kind: String,
    /// Codes that begin.
    pub created: Vec<String>,
    /// Codes that end.
    pub retired: Vec<String>,
    /// `[ended, continuing]` code pairs.
    pub successors: Vec<[String; 2]>,
    /// Units whose record changes (geometry, parent, name or figures).
    pub changed: Vec<String>,
}

/// The seam for the division history: the dated change an approved branch makes. The
/// history store is being written beside this module; when the two meet, its writer takes
/// this value as the proposal's events.
pub fn approved_change_for_history(branch: &Branch, effective: &str) -> ApprovedChange {
    let s = |c: &AdminCode| c.as_str().to_owned();
    ApprovedChange {
        effective: effective.to_owned(),
        kind: branch.kind.as_str().to_owned(),
        created: branch.created.iter().map(s).collect(),
        retired: branch.retired.iter().map(s).collect(),
        successors: branch
            .successors
            .iter()
            .map(|(a, b)| [s(a), s(b)])
            .collect(),
        changed: branch.upserts.iter().map(|u| s(&u.code)).collect(),
    }
}

/// An approval: the proposal and the change it made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Approval {
    /// The proposal as it is now.
    pub proposal: ProposalView,
    /// The change applied.
    pub change: ApprovedChange,
}

fn view(p: StoredProposal) -> ProposalView {
    ProposalView {
        version: (p.status == "approved")
            .then(|| p.effective.as_ref().map(|e| format!("{e}#{}", p.id)))
            .flatten(),
        id: p.id,
        kind: p.kind,
        status: p.status,
        valid: p.valid,
        request: p.request,
        impact: p.impact,
        proposed_by: p.proposed_by,
        proposed_at: rfc3339(p.proposed_ms),
        decided_by: p.decided_by,
        decided_at: p.decided_ms.map(rfc3339),
        effective: p.effective,
        note: p.note,
        not_replayed: None,
    }
}

pub(crate) fn store_error(e: ProposalStoreError) -> ServiceError {
    match e {
        ProposalStoreError::NotFound(_) => ServiceError::NotFound(e.to_string()),
        ProposalStoreError::Decided { .. } => ServiceError::Conflict(e.to_string()),
        ProposalStoreError::Accounts(civmap_data::accounts::AccountsError::Invalid {
            field,
            message,
        }) => ServiceError::invalid(field, message),
        ProposalStoreError::Accounts(a) => ServiceError::StoreUnavailable(a.to_string()),
    }
}

/// A proposal that does not fit the data: 422 naming the field.
fn proposal_error(e: ProposalError) -> ServiceError {
    ServiceError::out_of_range(e.field(), e.to_string())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ServiceError::internal)?
}

/// Home-care coverage flags at 15 and 20 minutes (the plan's), cached by the coverage
/// service.
async fn home_care_flags(state: &AppState) -> Result<[Arc<Vec<bool>>; 2], ServiceError> {
    let snap = state.coverage.engine().await?;
    let mut out = Vec::new();
    for minutes in [15.0, 20.0] {
        let q = CoverageQuery {
            category: FacilityCategory::HomeCareCentre,
            minutes,
            mode: CoverageMode::Walk,
            profile: WalkProfile::standard(),
            scenario: None,
        };
        out.push(Arc::new(
            state.coverage.result(&snap, &q).await?.covered.clone(),
        ));
    }
    let [a, b]: [Arc<Vec<bool>>; 2] = out
        .try_into()
        .map_err(|_| ServiceError::internal("two results"))?;
    Ok([a, b])
}

/// Applies `kind` to a branch of the live data and reports its impact (JSON) and validity.
async fn branch_impact(
    state: &AppState,
    kind: ProposalKind,
) -> Result<(serde_json::Value, bool), ServiceError> {
    let flags = home_care_flags(state).await?;
    let data = state.data.clone();
    let products = blocking(move || data.survey_products()).await?;
    let markers = state.register.markers_for_checks().await?;
    let data = state.data.clone();
    blocking(move || {
        let live = data.read();
        let ds: &Dataset = live.data.data();
        if flags.iter().any(|f| f.len() != ds.doorplates.len()) {
            return Err(ServiceError::Conflict(
                "the data changed while the coverage was computed; retry".into(),
            ));
        }
        let branch = apply(&kind, &ds.admin, &ds.doorplates).map_err(proposal_error)?;
        let report = impact(
            &branch,
            &ImpactInputs {
                admin: &ds.admin,
                doorplates: &ds.doorplates,
                facilities: &ds.facilities,
                lines: &products.lines,
                markers: &markers,
                home_care_15: &flags[0],
                home_care_20: &flags[1],
            },
        );
        let json = serde_json::to_value(&report).map_err(ServiceError::internal)?;
        Ok((json, report.valid))
    })
    .await
}

/// Stores a proposal with its impact report (surveyor), audited.
pub async fn propose(
    state: &AppState,
    kind: ProposalKind,
    audit: AuditRecord,
) -> Result<ProposalView, ServiceError> {
    let (impact, valid) = branch_impact(state, kind.clone()).await?;
    let p = NewProposal {
        kind: kind.as_str().to_owned(),
        request: serde_json::to_value(&kind).map_err(ServiceError::internal)?,
        impact,
        valid,
    };
    let stored = state
        .proposals
        .create(p, audit)
        .await
        .map_err(store_error)?;
    Ok(view(stored))
}

/// Every proposal, newest first.
pub async fn list(state: &AppState) -> Result<ProposalList, ServiceError> {
    let all = state.proposals.list().await.map_err(store_error)?;
    Ok(ProposalList {
        proposals: all
            .into_iter()
            .map(|p| ProposalSummary {
                id: p.id,
                kind: p.kind,
                status: p.status,
                valid: p.valid,
                proposed_by: p.proposed_by,
                proposed_at: rfc3339(p.proposed_ms),
                effective: p.effective,
            })
            .collect(),
    })
}

/// One proposal with its impact report.
pub async fn get(state: &AppState, id: i64) -> Result<ProposalView, ServiceError> {
    let mut v = state
        .proposals
        .get(id)
        .await
        .map(view)
        .map_err(store_error)?;
    v.not_replayed = state
        .data
        .not_replayed()
        .into_iter()
        .find(|u| u.proposal == id)
        .map(|u| u.reason);
    Ok(v)
}

/// The branch of a stored proposal over the live data as it is now, with the records that
/// follow it and the records it changes as they are (what a replay checks); refused (409)
/// when it no longer applies or no longer validates.
///
/// ```
/// use civmap_geo_core::proposal::ProposalKind;
/// use civmap_geo_core::{AdminCode, Dataset};
/// use civmap_server::service::proposals::branch_now;
/// let unit = AdminCode::parse("330106001001").unwrap();
/// let kind = ProposalKind::Rename { unit, name: "新名社区".into() };
/// // no such unit in an empty dataset
/// assert!(branch_now(&Dataset::default(), &kind).is_err());
/// ```
pub fn branch_now(ds: &Dataset, kind: &ProposalKind) -> Result<(Branch, DataEdit), ServiceError> {
    let branch = apply(kind, &ds.admin, &ds.doorplates)
        .map_err(|e| ServiceError::Conflict(format!("the proposal no longer applies: {e}")))?;
    let check = impact(
        &branch,
        &ImpactInputs {
            admin: &ds.admin,
            doorplates: &ds.doorplates,
            facilities: &ds.facilities,
            lines: &[],
            markers: &[],
            home_care_15: &[],
            home_care_20: &[],
        },
    );
    if !check.valid {
        return Err(ServiceError::Conflict(format!(
            "the branch does not pass the survey validator: {}",
            check
                .findings
                .iter()
                .map(|f| f.detail.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let plates: Vec<_> = ds
        .doorplates
        .iter()
        .filter_map(|d| Some((d, branch.reassign(d.community.as_ref(), d.location)?)))
        .collect();
    let facilities: Vec<_> = ds
        .facilities
        .iter()
        .filter_map(|f| Some((f, branch.reassign(f.admin_code.as_ref(), f.location)?)))
        .collect();
    let touched =
        |c: &AdminCode| branch.retired.contains(c) || branch.upserts.iter().any(|u| &u.code == c);
    let edit = DataEdit {
        upsert_units: branch.upserts.clone(),
        created_units: branch.created.clone(),
        delete_units: branch.retired.clone(),
        doorplates: plates.iter().map(|(d, c)| (d.id, c.clone())).collect(),
        facilities: facilities
            .iter()
            .map(|(f, c)| (f.id.clone(), c.clone()))
            .collect(),
        // what a replay checks it applies to (`DataEdit::apply_to`)
        units_before: ds
            .admin
            .iter()
            .filter(|u| touched(&u.code))
            .cloned()
            .collect(),
        doorplates_before: plates
            .iter()
            .map(|(d, _)| (d.id, d.community.clone()))
            .collect(),
        facilities_before: facilities
            .iter()
            .map(|(f, _)| (f.id.clone(), f.admin_code.clone()))
            .collect(),
    };
    Ok((branch, edit))
}

/// Checks an effective date: `YYYY-MM-DD`, not before today (China time).
fn check_effective(effective: &str) -> Result<(), ServiceError> {
    if let Err(civmap_data::register::RegisterError::Invalid { message, .. }) =
        check_date("effective", effective)
    {
        return Err(ServiceError::invalid("effective", message));
    }
    let today = today_in_china();
    if effective < today.as_str() {
        return Err(ServiceError::out_of_range(
            "effective",
            format!("{effective} is before today ({today}): a change takes effect today or later"),
        ));
    }
    Ok(())
}

/// Approves a pending proposal (admin): recomputes its branch on the data as it is now,
/// then commits the decision, the former names, the audit row and (PostGIS) the data
/// change in one transaction; without PostGIS the change is applied to the live data once
/// committed. Followers, tiles and the gazetteer pick it up like any edit.
pub async fn approve(
    state: &AppState,
    id: i64,
    effective: String,
    audit: AuditRecord,
) -> Result<Approval, ServiceError> {
    check_effective(&effective)?;
    let stored = state.proposals.get(id).await.map_err(store_error)?;
    if stored.status != "pending" {
        return Err(ServiceError::Conflict(format!(
            "proposal {id} is already {}",
            stored.status
        )));
    }
    let kind: ProposalKind =
        serde_json::from_value(stored.request.clone()).map_err(ServiceError::internal)?;
    let data = state.data.clone();
    let (branch, edit) = blocking(move || branch_now(data.read().data.data(), &kind)).await?;
    let former: Vec<(AdminCode, Option<AdminCode>, String)> = branch
        .former_names
        .iter()
        .map(|f| (f.code.clone(), f.former_code.clone(), f.name.clone()))
        .collect();
    let decision = Decision::Approve {
        effective: effective.clone(),
        former_names: former,
        edit: Box::new(edit.clone()),
    };
    let decided = state
        .proposals
        .decide(id, decision, audit)
        .await
        .map_err(store_error)?;
    keep_former_names(state, &branch, &effective);
    if state.data.store != StoreKind::Postgis {
        apply_to_live(state, &edit);
    }
    Ok(Approval {
        proposal: view(decided),
        change: approved_change_for_history(&branch, &effective),
    })
}

/// Rejects a pending proposal (admin), audited.
pub async fn reject(
    state: &AppState,
    id: i64,
    note: Option<String>,
    audit: AuditRecord,
) -> Result<ProposalView, ServiceError> {
    let decided = state
        .proposals
        .decide(id, Decision::Reject { note }, audit)
        .await
        .map_err(store_error)?;
    Ok(view(decided))
}

/// The gazetteer's former-name hook: the approved branch's former names become aliases of
/// the units that carry the places now, searchable from the next gazetteer rebuild (which
/// the admin edit starts).
fn keep_former_names(state: &AppState, branch: &Branch, effective: &str) {
    let mut names = state
        .data
        .former_names
        .write()
        .unwrap_or_else(|e| e.into_inner());
    names.extend(branch.former_names.iter().map(|f| {
        former_name_alias(
            &f.name,
            f.former_code.as_ref(),
            &f.code,
            branch.kind.as_str(),
            effective,
        )
    }));
}

/// The gazetteer alias of a former name `name` (code `former_code`) of the unit `code`,
/// ended by an approved proposal of `kind` on `effective`: the same at approval and when
/// a start reloads the stored former names.
pub(crate) fn former_name_alias(
    name: &str,
    former_code: Option<&AdminCode>,
    code: &AdminCode,
    kind: &str,
    effective: &str,
) -> Alias {
    Alias {
        name: name.to_owned(),
        old_code: former_code.map(|c| c.as_str().to_owned()),
        target_code: code.as_str().to_owned(),
        year: effective.get(..4).and_then(|y| y.parse().ok()),
        strength: 1.0,
        note: format!("{effective}: {kind} ({code})"),
        name_type: civmap_geo_core::names::NameType::Former,
        date: Some(effective.to_owned()),
        target: civmap_geo_core::gazetteer::AliasTarget::Unit,
    }
}

/// Applies an approved change to the in-memory data as the follower applies a PostGIS
/// edit: record by record through the live indexes, tiles evicted around each record,
/// then the gazetteer rebuilt and the coverage engine rebuilt.
fn apply_to_live(state: &AppState, edit: &DataEdit) {
    let data = &state.data;
    let table_edit =
        |table: ChangeTable, key: &str, f: &mut dyn FnMut(&mut super::data::LiveData)| {
            let before = super::tiles::record_bounds(&data.read(), table, key);
            f(&mut data.write());
            state.tiles.record_changed(data, table, key, before);
        };
    for code in &edit.delete_units {
        table_edit(ChangeTable::Admin, code.as_str(), &mut |l| {
            l.delete_admin(code);
        });
    }
    for u in &edit.upsert_units {
        table_edit(ChangeTable::Admin, u.code.as_str(), &mut |l| {
            l.upsert_admin(u.clone());
        });
    }
    for (id, code) in &edit.doorplates {
        table_edit(ChangeTable::Doorplates, &id.to_string(), &mut |l| {
            let d = l
                .data
                .doorplate_record(*id)
                .map(|r| l.data.data().doorplates[r as usize].clone());
            if let Some(mut d) = d {
                d.community = Some(code.clone());
                l.upsert_doorplate(d);
            }
        });
    }
    for (id, code) in &edit.facilities {
        table_edit(ChangeTable::Facilities, id, &mut |l| {
            let f = l
                .data
                .facility_record(id)
                .map(|r| l.data.data().facilities[r as usize].clone());
            if let Some(mut f) = f {
                f.admin_code = Some(code.clone());
                l.upsert_facility(f);
            }
        });
    }
    refresh_gazetteer(data);
    state.coverage.note_change(DataChange::Structure);
}
