//! The name registry and the naming/renaming workflow (issue 16) of a running server.
//!
//! The registry is seeded from the served records (standard, short and pinyin names of the
//! units, standard names of roads, facilities and landmarks) and the division history
//! (former names of units, dated by the editions), then the names written by approvals
//! (kept in the accounts store, [`civmap_data::place_names`]) are replayed over it.
//!
//! An application runs geo-core's state machine ([`Application`]): checked when made (the
//! name rules and the names in use in the parent unit), reviewed (comments kept), public
//! notice with a deadline, then approved by an admin — which writes the new standard name
//! dated, keeps the old one as `former`, files the announcement, renames the served record
//! and rebuilds the gazetteer so that the new name is found and the old one answers
//! "renamed to X on D" — or rejected. A listed heritage name is locked: renaming it needs an
//! admin's explicit override, which is audited as such.

use std::sync::Arc;

use civmap_data::accounts::{AccountsError, AuditRecord, Role};
use civmap_data::place_names::{
    Announcement, ApprovalWrite, HeritageEntry, NamesStoreError, PlaceNames, ServedRename,
    ServedTable, Step, StoredApplication, StoredName, StoredReview,
};
use civmap_geo_core::gazetteer::{Alias, AliasTarget};
use civmap_geo_core::history::Date;
use civmap_geo_core::names::{
    heritage_candidates, Application, ApplicationStatus, Finding, LangTag, NameKind, NameRegistry,
    NameType, PlaceClass, PlaceKey, PlaceName, Review, Verdict, WorkflowError,
};
use civmap_geo_core::{AdminCode, AdminLevel};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::data::{rebuild_gazetteer_now, DataService, StoreKind};
use crate::service::identity::Principal;
use crate::service::names::{checker, CheckRequest};
use crate::service::ServiceError;

/// The service error of a store error.
fn store_error(e: NamesStoreError) -> ServiceError {
    match e {
        NamesStoreError::Accounts(AccountsError::Invalid { field, message }) => {
            ServiceError::invalid(field, message)
        }
        NamesStoreError::NoApplication(_) | NamesStoreError::NotListed(_) => {
            ServiceError::NotFound(e.to_string())
        }
        NamesStoreError::Conflict { .. }
        | NamesStoreError::AlreadyListed(_)
        | NamesStoreError::NoServedRecord { .. } => ServiceError::Conflict(e.to_string()),
        NamesStoreError::Accounts(other) => ServiceError::StoreUnavailable(other.to_string()),
    }
}

/// The service error of a refused workflow step.
fn workflow_error(e: WorkflowError) -> ServiceError {
    match e {
        WorkflowError::BadField { field, message } => ServiceError::invalid(field, message),
        _ => ServiceError::Conflict(e.to_string()),
    }
}

fn day(field: &'static str, s: &str) -> Result<Date, ServiceError> {
    Date::parse(s)
        .map_err(|_| ServiceError::invalid(field, format!("`{s}` is not a YYYY-MM-DD day")))
}

fn today() -> Date {
    Date::parse(&civmap_data::register::today_in_china()).unwrap_or_else(|_| {
        Date::new(2000, 1, 1).unwrap_or_else(|_| unreachable!("2000-01-01 is a day"))
    })
}

/// One name of the registry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NameRecordBody {
    /// `class/id` of the place (`unit/330105014000`, `road/文三路`, `facility/f12`).
    pub place: String,
    /// The name.
    pub name: String,
    /// `standard`, `short`, `alias`, `former` or `colloquial`.
    pub name_type: String,
    /// Language/script tag (`zh-Hans`, `zh-Latn-pinyin`, `en`).
    pub lang: String,
    /// First day in use, when known.
    pub valid_from: Option<String>,
    /// First day no longer in use (`former` names).
    pub valid_to: Option<String>,
    /// The approval, when known.
    pub approval_ref: Option<String>,
    /// Reading override for polyphonic characters.
    pub reading: Option<String>,
    /// For a former name: what the place is called now and since when, e.g.
    /// `renamed to 长庆新街道 on 2026-12-01`.
    pub renamed: Option<String>,
}

impl NameRecordBody {
    fn of(n: &PlaceName, reg: &NameRegistry) -> Self {
        let renamed = (n.name_type == NameType::Former).then(|| {
            let now = reg
                .current_standard(&n.place, &n.lang)
                .map(|c| c.name.clone());
            match (now, n.valid_to) {
                (Some(now), Some(d)) => format!("renamed to {now} on {d}"),
                (Some(now), None) => format!("now {now}"),
                (None, _) => "no longer in use".to_owned(),
            }
        });
        Self {
            place: n.place.to_string(),
            name: n.name.clone(),
            name_type: n.name_type.as_str().to_owned(),
            lang: n.lang.as_str().to_owned(),
            valid_from: n.valid_from.map(|d| d.to_string()),
            valid_to: n.valid_to.map(|d| d.to_string()),
            approval_ref: n.approval_ref.clone(),
            reading: n.reading.clone(),
            renamed,
        }
    }
}

/// `GET /api/v1/names/registry`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegistryAnswer {
    /// The names found (by name: every place that has or had it; by place: all its names).
    pub names: Vec<NameRecordBody>,
}

/// A review as answered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewBody {
    /// The reviewer.
    pub who: String,
    /// `support`, `object` or `comment`.
    pub verdict: String,
    /// The comment, as written.
    pub comment: String,
    /// The day.
    pub on: String,
}

/// A naming application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationBody {
    /// Its number.
    pub id: i64,
    /// `class/id` of the place.
    pub place: String,
    /// The standard name when applied for.
    pub current_name: Option<String>,
    /// The name applied for.
    pub proposed_name: String,
    /// Why.
    pub reason: String,
    /// Who applied.
    pub applicant: String,
    /// The day it was made.
    pub submitted: String,
    /// `checked`, `reviewed`, `notice`, `approved` or `rejected`.
    pub status: String,
    /// What the automatic checks found (rule, detail, clause).
    #[schema(value_type = Vec<Object>)]
    pub findings: serde_json::Value,
    /// The reviews, oldest first.
    pub reviews: Vec<ReviewBody>,
    /// First day of the public notice.
    pub notice_from: Option<String>,
    /// Last day of the public notice (approval from the next day).
    pub notice_until: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The day of the decision.
    pub decided_on: Option<String>,
    /// The reason of a rejection.
    pub decision_note: Option<String>,
    /// An admin overrode the heritage lock.
    pub heritage_override: bool,
    /// The announcement filed with the approval.
    pub announcement: Option<AnnouncementBody>,
}

/// An announcement filed with an approval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementBody {
    /// `YYYY-NNNN`.
    pub number: String,
    /// The application.
    pub application: i64,
    /// The day.
    pub date: String,
    /// `class/id` of the place.
    pub place: String,
    /// The name replaced.
    pub old_name: Option<String>,
    /// The name approved.
    pub new_name: String,
    /// The issuing unit.
    pub unit: String,
    /// Why.
    pub reason: String,
    /// The approval document.
    pub approval_ref: String,
}

impl From<Announcement> for AnnouncementBody {
    fn from(a: Announcement) -> Self {
        Self {
            number: a.number,
            application: a.application,
            date: a.date,
            place: a.place,
            old_name: a.old_name,
            new_name: a.new_name,
            unit: a.unit,
            reason: a.reason,
            approval_ref: a.approval_ref,
        }
    }
}

/// `GET /api/v1/names/applications`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationsAnswer {
    /// The applications, by number.
    pub applications: Vec<ApplicationBody>,
}

/// `GET /api/v1/names/announcements`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnouncementsAnswer {
    /// The announcements, by date and number.
    pub announcements: Vec<AnnouncementBody>,
}

/// A listed name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeritageBody {
    /// The name.
    pub name: String,
    /// `class/id` of the place, if one.
    pub place: Option<String>,
    /// Its category.
    pub category: String,
    /// A note.
    pub note: String,
    /// Who listed it.
    pub listed_by: String,
    /// The day it was listed.
    pub listed_on: String,
}

impl From<HeritageEntry> for HeritageBody {
    fn from(e: HeritageEntry) -> Self {
        Self {
            name: e.name,
            place: e.place,
            category: e.category,
            note: e.note,
            listed_by: e.listed_by,
            listed_on: e.listed_on,
        }
    }
}

/// `GET /api/v1/names/heritage`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeritageAnswer {
    /// The list, by name.
    pub entries: Vec<HeritageBody>,
}

/// A heritage candidate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateBody {
    /// `unit/<code>`.
    pub place: String,
    /// The name.
    pub name: String,
    /// First day the history sees it in use.
    pub since: String,
    /// Years of continuous use up to the newest edition.
    pub years: f64,
    /// In use already in the first edition: its real use is longer.
    pub at_least: bool,
    /// Already on the list.
    pub listed: bool,
}

/// `GET /api/v1/names/heritage/candidates`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidatesAnswer {
    /// The threshold asked for.
    pub min_years: f64,
    /// The day use is counted to (the newest edition).
    pub until: String,
    /// The first edition: use before it is not seen.
    pub first_edition: String,
    /// The candidates, longest use first.
    pub candidates: Vec<CandidateBody>,
}

/// A new application as the service takes it.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// `class/id` of the place.
    pub place: String,
    /// The name applied for.
    pub proposed_name: String,
    /// Why.
    pub reason: String,
    /// Rename a listed heritage name (admins only).
    pub heritage_override: bool,
    /// The day the application was received, `YYYY-MM-DD` (today when `None`; an
    /// application received on paper is recorded with its day, never a future one).
    pub submitted: Option<String>,
}

/// An approval as the service takes it.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    /// The issuing unit (e.g. `杭州市民政局`).
    pub unit: String,
    /// The approval document (e.g. `杭政函〔2026〕12号`).
    pub approval_ref: String,
    /// Reading override of the new name, if it has polyphonic characters.
    pub reading: Option<String>,
}

/// A workflow step other than creation and approval.
#[derive(Debug, Clone)]
pub enum SimpleStep {
    /// A review with its verdict (`support`, `object`, `comment`) and comment.
    Review {
        /// The verdict.
        verdict: String,
        /// The comment.
        comment: String,
    },
    /// The public notice from a day (today when `None`) for `days` days.
    Notice {
        /// First day.
        from: Option<String>,
        /// Length in days.
        days: u32,
    },
    /// A rejection with its reason.
    Reject {
        /// Why.
        reason: String,
    },
}

/// The registry and workflow of a running server.
#[derive(Debug)]
pub struct NameWorkflowService {
    store: PlaceNames,
    data: Arc<DataService>,
    /// The registry, built on first use; the lock also keeps this process's steps in order.
    registry: tokio::sync::Mutex<Option<NameRegistry>>,
}

impl NameWorkflowService {
    /// The service over `data`, with the stored names in `store`.
    pub fn new(store: PlaceNames, data: Arc<DataService>) -> Self {
        Self {
            store,
            data,
            registry: tokio::sync::Mutex::new(None),
        }
    }

    /// Builds the registry now, if not yet built: call at start-up so that the names
    /// approvals stored before are served (records renamed, old names searchable) from the
    /// first request on, not from the first use of the names routes.
    pub async fn warm(&self) -> Result<(), ServiceError> {
        self.registry().await.map(drop)
    }

    /// Re-reads the registry from the store and the live data, and republishes its names
    /// to the gazetteer: what a follower does when another replica approved a name.
    pub async fn refresh(&self) -> Result<(), ServiceError> {
        *self.registry.lock().await = None;
        self.warm().await
    }

    /// The registry, seeded and replayed on first use (which also renames the served
    /// records and rebuilds the gazetteer when approvals were stored before).
    async fn registry(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<NameRegistry>>, ServiceError> {
        let mut g = self.registry.lock().await;
        if g.is_none() {
            let stored = self.store.records().await.map_err(store_error)?;
            let history = crate::service::history::history().ok();
            let mut reg = {
                let live = self.data.read();
                NameRegistry::seed(live.data.data(), history, checker()?)
            };
            for (standard, formers) in stored_places(&stored)? {
                if reg.restore(&standard, &formers) {
                    add_pinyin(&mut reg, &standard)?;
                }
                // PostGIS serves the new name already; other stores are renamed here
                self.rename_served(&standard.place, &standard.name);
            }
            *g = Some(reg);
            if !stored.is_empty() {
                self.publish(g.as_ref().expect("set above")).await;
            }
        }
        Ok(g)
    }

    /// Renames the served record of a place in memory (unit, facility or landmark; a road
    /// keeps its name in the data — it is on every doorplate — and the gazetteer serves it
    /// under its new one, see [`Self::publish`]). Nothing happens when it has that name.
    fn rename_served(&self, place: &PlaceKey, name: &str) {
        let mut live = self.data.write();
        let d = live.data.data();
        match place.class {
            PlaceClass::Unit => {
                if let Some(mut u) = d
                    .admin
                    .iter()
                    .find(|u| u.code.as_str() == place.id && u.name != name)
                    .cloned()
                {
                    u.name = name.to_owned();
                    live.upsert_admin(u);
                }
            }
            PlaceClass::Facility => {
                if let Some(mut f) = d
                    .facilities
                    .iter()
                    .find(|f| f.id == place.id && f.name != name)
                    .cloned()
                {
                    f.name = name.to_owned();
                    live.upsert_facility(f);
                }
            }
            PlaceClass::Landmark => {
                if let Some(mut l) = d
                    .landmarks
                    .iter()
                    .find(|l| l.id == place.id && l.name != name)
                    .cloned()
                {
                    l.name = name.to_owned();
                    live.upsert_landmark(l);
                }
            }
            PlaceClass::Road | PlaceClass::Residential => {}
        }
    }

    /// The served table an approval renames in PostGIS (when the data is served from it).
    fn served_rename(&self, place: &PlaceKey, name: &str) -> Option<ServedRename> {
        if self.data.store != StoreKind::Postgis {
            return None;
        }
        let table = match place.class {
            PlaceClass::Unit => ServedTable::AdminUnits,
            PlaceClass::Facility => ServedTable::Facilities,
            PlaceClass::Landmark => ServedTable::Landmarks,
            PlaceClass::Road | PlaceClass::Residential => return None,
        };
        Some(ServedRename {
            table,
            id: place.id.clone(),
            name: name.to_owned(),
        })
    }

    /// Hands the registry's other names (former, alias, colloquial) of units, roads,
    /// facilities and landmarks to the gazetteer and rebuilds it: a former name answers
    /// "renamed to X on D", and a renamed road is indexed and addressed under its new name.
    async fn publish(&self, reg: &NameRegistry) {
        let aliases: Vec<Alias> = reg
            .all()
            .iter()
            .filter(|n| n.lang == LangTag::zh_hans())
            .filter(|n| n.name_type != NameType::Standard && n.name_type != NameType::Short)
            .filter_map(|n| {
                let now = reg.current_standard(&n.place, &n.lang)?;
                let target = match n.place.class {
                    PlaceClass::Unit => AliasTarget::Unit,
                    PlaceClass::Road => AliasTarget::Road {
                        current: now.name.clone(),
                    },
                    PlaceClass::Facility => AliasTarget::Facility,
                    PlaceClass::Landmark => AliasTarget::Landmark,
                    PlaceClass::Residential => return None,
                };
                let ended = n.valid_to.map(|d| d.to_string());
                // the history's former names are the gazetteer's own already
                let approval = now.approval_ref.as_deref().or(n.approval_ref.as_deref());
                Some(
                    Alias::registry(
                        &n.name,
                        &n.place.id,
                        n.name_type,
                        ended.as_deref(),
                        &now.name,
                        approval,
                    )
                    .to(target),
                )
            })
            .collect();
        self.data.set_name_aliases(aliases);
        rebuild_gazetteer_now(&self.data).await;
    }

    /// The names written `name` (every place that has or had it), or every name of `place`.
    pub async fn lookup(
        &self,
        name: Option<&str>,
        place: Option<&str>,
    ) -> Result<RegistryAnswer, ServiceError> {
        let g = self.registry().await?;
        let reg = g.as_ref().expect("loaded");
        let names: Vec<NameRecordBody> = match (name, place) {
            (Some(n), None) => reg
                .lookup(n)
                .into_iter()
                .map(|x| NameRecordBody::of(x, reg))
                .collect(),
            (None, Some(p)) => {
                let key = PlaceKey::parse(p)
                    .map_err(|e| ServiceError::invalid("place", e.to_string()))?;
                reg.names_of(&key)
                    .map(|x| NameRecordBody::of(x, reg))
                    .collect()
            }
            _ => {
                return Err(ServiceError::invalid(
                    "name",
                    "give exactly one of `name` and `place`",
                ))
            }
        };
        Ok(RegistryAnswer { names })
    }

    /// The kind of name a place takes, and the unit its name must be unique in.
    fn kind_and_scope(
        &self,
        place: &PlaceKey,
    ) -> Result<(NameKind, Option<AdminCode>), ServiceError> {
        let live = self.data.read();
        let d = live.data.data();
        let missing = || ServiceError::NotFound(format!("no served place {place}"));
        match place.class {
            PlaceClass::Unit => {
                let u = d
                    .admin
                    .iter()
                    .find(|u| u.code.as_str() == place.id)
                    .ok_or_else(missing)?;
                let kind = NameKind::of_level(u.level).ok_or_else(|| {
                    ServiceError::invalid("place", "the city's own name is not renamed here")
                })?;
                let scope = u.parent.clone().filter(|_| u.level > AdminLevel::District);
                Ok((kind, scope))
            }
            PlaceClass::Road => d
                .network
                .road_names
                .iter()
                .any(|r| r.as_str() == place.id)
                .then_some((NameKind::Road, None))
                .ok_or_else(missing),
            PlaceClass::Facility => d
                .facilities
                .iter()
                .find(|f| f.id == place.id)
                .map(|f| (NameKind::Facility, f.admin_code.clone()))
                .ok_or_else(missing),
            PlaceClass::Landmark => d
                .landmarks
                .iter()
                .any(|l| l.id == place.id)
                .then_some((NameKind::Natural, None))
                .ok_or_else(missing),
            PlaceClass::Residential => Err(missing()),
        }
    }

    /// Makes an application: runs the automatic checks and keeps their findings. A listed
    /// heritage name is refused (409) unless an admin overrides the lock, which is audited
    /// as `names.heritage_override`.
    pub async fn create(
        &self,
        p: &Principal,
        req: NewApplication,
        audit: AuditRecord,
    ) -> Result<ApplicationBody, ServiceError> {
        let place = PlaceKey::parse(&req.place)
            .map_err(|e| ServiceError::invalid("place", e.to_string()))?;
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ServiceError::invalid(
                "reason",
                "give the reason, at most 500 characters",
            ));
        }
        let submitted = match req.submitted.as_deref() {
            Some(d) => day("submitted", d)?,
            None => today(),
        };
        if submitted > today() {
            return Err(ServiceError::invalid(
                "submitted",
                format!("{submitted} is in the future"),
            ));
        }
        let (kind, scope) = self.kind_and_scope(&place)?;
        let check = self
            .data
            .check_name(&CheckRequest {
                name: req.proposed_name.trim(),
                kind,
                scope,
                building: None,
                english: None,
            })
            .map_err(|e| match e {
                ServiceError::Invalid { message, .. } => {
                    ServiceError::invalid("proposed_name", message)
                }
                other => other,
            })?;
        let current = {
            let g = self.registry().await?;
            let reg = g.as_ref().expect("loaded");
            reg.current_standard(&place, &LangTag::zh_hans())
                .map(|n| n.name.clone())
        };
        if current.as_deref() == Some(check.name.as_str()) {
            return Err(ServiceError::invalid(
                "proposed_name",
                format!("`{}` is already the name of {place}", check.name),
            ));
        }
        let heritage = self.store.heritage().await.map_err(store_error)?;
        let listed = heritage.iter().find(|h| {
            Some(h.name.as_str()) == current.as_deref()
                || h.place.as_deref() == Some(req.place.as_str())
        });
        let mut audit = audit;
        if let Some(h) = listed {
            if !req.heritage_override {
                return Err(ServiceError::Conflict(format!(
                    "`{}` is on the heritage list ({}): renaming it needs an admin's heritage_override",
                    h.name, h.category
                )));
            }
            if !p.has(Role::Admin) {
                return Err(ServiceError::Forbidden(format!(
                    "{} is a {}; overriding the heritage lock needs an admin",
                    p.user.name, p.user.role
                )));
            }
            audit.action = "names.heritage_override".into();
        }
        let app = StoredApplication {
            id: 0,
            place: place.to_string(),
            current_name: current,
            proposed_name: check.name.clone(),
            reason: reason.to_owned(),
            applicant: p.name().to_owned(),
            submitted: submitted.to_string(),
            status: ApplicationStatus::Checked.as_str().to_owned(),
            findings: serde_json::to_value(&check.findings).unwrap_or_default(),
            notice_from: None,
            notice_until: None,
            decided_by: None,
            decided_on: None,
            decision_note: None,
            heritage_override: listed.is_some(),
            reviews: Vec::new(),
        };
        let stored = self
            .store
            .create_application(app, audit)
            .await
            .map_err(store_error)?;
        Ok(body(stored, None))
    }

    async fn stored(
        &self,
        id: i64,
    ) -> Result<(StoredApplication, Option<Announcement>), ServiceError> {
        let apps = self.store.applications().await.map_err(store_error)?;
        let app = apps
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ServiceError::NotFound(format!("no naming application {id}")))?;
        let ann = self
            .store
            .announcements()
            .await
            .map_err(store_error)?
            .into_iter()
            .find(|a| a.application == id);
        Ok((app, ann))
    }

    /// Every application (only those with `status`, when given).
    pub async fn applications(
        &self,
        status: Option<&str>,
    ) -> Result<ApplicationsAnswer, ServiceError> {
        if let Some(s) = status.filter(|s| ApplicationStatus::parse(s).is_none()) {
            return Err(ServiceError::invalid(
                "status",
                format!("`{s}`: expected checked, reviewed, notice, approved or rejected"),
            ));
        }
        let anns = self.store.announcements().await.map_err(store_error)?;
        let applications = self
            .store
            .applications()
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|a| status.is_none_or(|s| a.status == s))
            .map(|a| {
                let ann = anns.iter().find(|x| x.application == a.id).cloned();
                body(a, ann)
            })
            .collect();
        Ok(ApplicationsAnswer { applications })
    }

    /// One application.
    pub async fn application(&self, id: i64) -> Result<ApplicationBody, ServiceError> {
        let (a, ann) = self.stored(id).await?;
        Ok(body(a, ann))
    }

    /// A review, the public notice or a rejection.
    pub async fn step(
        &self,
        p: &Principal,
        id: i64,
        step: SimpleStep,
        audit: AuditRecord,
    ) -> Result<ApplicationBody, ServiceError> {
        let _order = self.registry().await?;
        let (stored, _) = self.stored(id).await?;
        let mut app = to_core(&stored)?;
        let now = today();
        let mut review = None;
        match step {
            SimpleStep::Review { verdict, comment } => {
                let r = Review {
                    who: p.name().to_owned(),
                    verdict: Verdict::parse(&verdict).map_err(workflow_error)?,
                    comment: comment.trim().to_owned(),
                    on: now,
                };
                app.review(r.clone()).map_err(workflow_error)?;
                review = Some(StoredReview {
                    who: r.who,
                    verdict: r.verdict.as_str().to_owned(),
                    comment: r.comment,
                    on: r.on.to_string(),
                });
            }
            SimpleStep::Notice { from, days } => {
                let from = from
                    .as_deref()
                    .map(|f| day("from", f))
                    .transpose()?
                    .unwrap_or(now);
                app.start_notice(from, days, now).map_err(workflow_error)?;
            }
            SimpleStep::Reject { reason } => {
                app.reject(p.name(), now, reason.trim())
                    .map_err(workflow_error)?;
            }
        }
        let next = from_core(&stored, &app);
        let step = Step {
            from_status: stored.status.clone(),
            app: next.clone(),
            review,
            approval: None,
        };
        self.store.step(step, audit).await.map_err(store_error)?;
        let (a, ann) = self.stored(id).await?;
        Ok(body(a, ann))
    }

    /// Approves after the public notice (admins): writes the new standard name dated today,
    /// keeps the old one as `former`, files the announcement, renames the served record
    /// and rebuilds the gazetteer before answering.
    pub async fn approve(
        &self,
        p: &Principal,
        id: i64,
        req: ApprovalRequest,
        audit: AuditRecord,
    ) -> Result<ApplicationBody, ServiceError> {
        for (field, v) in [("unit", &req.unit), ("approval_ref", &req.approval_ref)] {
            if v.trim().is_empty() || v.chars().count() > 100 {
                return Err(ServiceError::invalid(
                    field,
                    "is empty or longer than 100 characters",
                ));
            }
        }
        if let Some(r) = req
            .reading
            .as_deref()
            .filter(|r| !r.is_ascii() || r.trim().is_empty())
        {
            return Err(ServiceError::invalid(
                "reading",
                format!("`{r}`: write the reading in toneless pinyin letters"),
            ));
        }
        let mut g = self.registry().await?;
        let (stored, _) = self.stored(id).await?;
        let mut app = to_core(&stored)?;
        let now = today();
        app.approve(p.name(), now).map_err(workflow_error)?;
        let place = app.place.clone();
        let reg = g.as_mut().expect("loaded");
        let old = reg.current_standard(&place, &LangTag::zh_hans()).cloned();
        self.check_heritage_lock(&stored, old.as_ref().map(|o| o.name.as_str()))
            .await?;
        let name_row =
            |name: &str, t: NameType, from: Option<Date>, to: Option<Date>, r: Option<&str>| {
                StoredName {
                    id: 0,
                    place: place.to_string(),
                    name: name.to_owned(),
                    name_type: t.as_str().to_owned(),
                    lang: LangTag::zh_hans().as_str().to_owned(),
                    valid_from: from.map(|d| d.to_string()),
                    valid_to: to.map(|d| d.to_string()),
                    approval_ref: r.map(str::to_owned),
                    reading: None,
                    application: Some(id),
                }
            };
        let mut standard = name_row(
            &app.proposed_name,
            NameType::Standard,
            Some(now),
            None,
            Some(&req.approval_ref),
        );
        standard.reading = req.reading.clone();
        let former = old.as_ref().map(|o| {
            name_row(
                &o.name,
                NameType::Former,
                o.valid_from,
                Some(now),
                o.approval_ref.as_deref(),
            )
        });
        let announcement = Announcement {
            number: String::new(),
            application: id,
            date: now.to_string(),
            place: place.to_string(),
            old_name: old.as_ref().map(|o| o.name.clone()),
            new_name: app.proposed_name.clone(),
            unit: req.unit.trim().to_owned(),
            reason: app.reason.clone(),
            approval_ref: req.approval_ref.trim().to_owned(),
        };
        let step = Step {
            from_status: stored.status.clone(),
            app: from_core(&stored, &app),
            review: None,
            approval: Some(ApprovalWrite {
                standard,
                former,
                announcement,
                served: self.served_rename(&place, &app.proposed_name),
            }),
        };
        let filed = self.store.step(step, audit).await.map_err(store_error)?;
        // the store has it: now the registry, the served record and the gazetteer
        if let Ok(r) = reg.rename(&place, &app.proposed_name, now, Some(&req.approval_ref)) {
            add_pinyin(reg, &r.standard)?;
        }
        self.rename_served(&place, &app.proposed_name);
        self.publish(reg).await;
        let (a, _) = self.stored(id).await?;
        Ok(body(a, filed))
    }

    /// The heritage lock, checked again at approval: a name listed after the application
    /// was made is refused (409) unless the application carried an admin's audited
    /// override.
    async fn check_heritage_lock(
        &self,
        app: &StoredApplication,
        current: Option<&str>,
    ) -> Result<(), ServiceError> {
        if app.heritage_override {
            return Ok(());
        }
        let heritage = self.store.heritage().await.map_err(store_error)?;
        let listed = heritage.iter().find(|h| {
            Some(h.name.as_str()) == current || h.place.as_deref() == Some(app.place.as_str())
        });
        match listed {
            Some(h) => Err(ServiceError::Conflict(format!(
                "`{}` was put on the heritage list ({}) on {}, after application {} was made: \
                 renaming it needs a new application with an admin's heritage_override",
                h.name, h.category, h.listed_on, app.id
            ))),
            None => Ok(()),
        }
    }

    /// Every announcement.
    pub async fn announcements(&self) -> Result<AnnouncementsAnswer, ServiceError> {
        let announcements = self.store.announcements().await.map_err(store_error)?;
        Ok(AnnouncementsAnswer {
            announcements: announcements
                .into_iter()
                .map(AnnouncementBody::from)
                .collect(),
        })
    }

    /// The heritage list.
    pub async fn heritage(&self) -> Result<HeritageAnswer, ServiceError> {
        let entries = self.store.heritage().await.map_err(store_error)?;
        Ok(HeritageAnswer {
            entries: entries.into_iter().map(HeritageBody::from).collect(),
        })
    }

    /// Lists a name (admins).
    pub async fn list_heritage(
        &self,
        p: &Principal,
        name: &str,
        place: Option<&str>,
        category: &str,
        note: &str,
        audit: AuditRecord,
    ) -> Result<HeritageBody, ServiceError> {
        civmap_geo_core::names::NameChecker::validate_name(name.trim())?;
        if let Some(pl) = place {
            PlaceKey::parse(pl).map_err(|e| ServiceError::invalid("place", e.to_string()))?;
        }
        let category = category.trim();
        if category.is_empty() || category.chars().count() > 40 {
            return Err(ServiceError::invalid(
                "category",
                "give a category of at most 40 characters",
            ));
        }
        if note.chars().count() > 500 {
            return Err(ServiceError::invalid(
                "note",
                "is longer than 500 characters",
            ));
        }
        let e = HeritageEntry {
            name: name.trim().to_owned(),
            place: place.map(str::to_owned),
            category: category.to_owned(),
            note: note.to_owned(),
            listed_by: p.name().to_owned(),
            listed_on: today().to_string(),
        };
        let e = self
            .store
            .list_heritage(e, audit)
            .await
            .map_err(store_error)?;
        Ok(e.into())
    }

    /// Takes a name off the list (admins).
    pub async fn unlist_heritage(
        &self,
        name: &str,
        audit: AuditRecord,
    ) -> Result<HeritageBody, ServiceError> {
        let e = self
            .store
            .unlist_heritage(name, audit)
            .await
            .map_err(store_error)?;
        Ok(e.into())
    }

    /// The units' current names in continuous use for at least `min_years` by the history.
    pub async fn candidates(&self, min_years: f64) -> Result<CandidatesAnswer, ServiceError> {
        if !(0.0..=1000.0).contains(&min_years) {
            return Err(ServiceError::out_of_range(
                "min_years",
                "must be between 0 and 1000",
            ));
        }
        let h = crate::service::history::history()?;
        let until = h.latest().date();
        let listed = self.store.heritage().await.map_err(store_error)?;
        let candidates = heritage_candidates(h, min_years, until)
            .into_iter()
            .map(|c| CandidateBody {
                listed: listed.iter().any(|l| l.name == c.name),
                place: c.place.to_string(),
                name: c.name,
                since: c.since.to_string(),
                years: (c.years * 100.0).round() / 100.0,
                at_least: c.at_least,
            })
            .collect();
        Ok(CandidatesAnswer {
            min_years,
            until: until.to_string(),
            first_edition: h
                .editions()
                .first()
                .map(|e| e.date.to_string())
                .unwrap_or_default(),
            candidates,
        })
    }
}

/// Adds the GB/T 16159 pinyin standard name of a new standard name, from its first day.
fn add_pinyin(reg: &mut NameRegistry, standard: &PlaceName) -> Result<(), ServiceError> {
    if let Ok(r) = checker()?.romanizer().romanize(&standard.name) {
        let mut py = PlaceName::standard(standard.place.clone(), r.map_form);
        py.lang = LangTag::pinyin();
        py.valid_from = standard.valid_from;
        // a pinyin name the place has already is kept as it is
        let _ = reg.insert(py);
    }
    Ok(())
}

/// A stored name record in simplified Chinese as the registry's (`None`: another language,
/// or a place or type this version does not know).
fn stored_name(n: &StoredName) -> Result<Option<PlaceName>, ServiceError> {
    let zh = LangTag::zh_hans();
    let (true, Ok(place), Ok(name_type)) = (
        n.lang == zh.as_str(),
        PlaceKey::parse(&n.place),
        NameType::parse(&n.name_type),
    ) else {
        return Ok(None);
    };
    let opt = |f: &'static str, d: &Option<String>| d.as_deref().map(|d| day(f, d)).transpose();
    Ok(Some(PlaceName {
        place,
        name: n.name.clone(),
        name_type,
        lang: zh,
        valid_from: opt("valid_from", &n.valid_from)?,
        valid_to: opt("valid_to", &n.valid_to)?,
        approval_ref: n.approval_ref.clone(),
        reading: n.reading.clone(),
    }))
}

/// The stored names per place, as the registry replays them: each place's current standard
/// name with the former names approvals stored, in the order written.
fn stored_places(stored: &[StoredName]) -> Result<Vec<(PlaceName, Vec<PlaceName>)>, ServiceError> {
    let mut names = Vec::new();
    for n in stored {
        names.extend(stored_name(n)?);
    }
    let (standards, formers): (Vec<PlaceName>, Vec<PlaceName>) = names
        .into_iter()
        .filter(|n| n.name_type == NameType::Former || n.valid_to.is_none())
        .partition(|n| n.name_type == NameType::Standard);
    Ok(standards
        .into_iter()
        .map(|s| {
            let f = formers
                .iter()
                .filter(|f| f.place == s.place)
                .cloned()
                .collect();
            (s, f)
        })
        .collect())
}

fn body(a: StoredApplication, ann: Option<Announcement>) -> ApplicationBody {
    ApplicationBody {
        id: a.id,
        place: a.place,
        current_name: a.current_name,
        proposed_name: a.proposed_name,
        reason: a.reason,
        applicant: a.applicant,
        submitted: a.submitted,
        status: a.status,
        findings: a.findings,
        reviews: a
            .reviews
            .into_iter()
            .map(|r| ReviewBody {
                who: r.who,
                verdict: r.verdict,
                comment: r.comment,
                on: r.on,
            })
            .collect(),
        notice_from: a.notice_from,
        notice_until: a.notice_until,
        decided_by: a.decided_by,
        decided_on: a.decided_on,
        decision_note: a.decision_note,
        heritage_override: a.heritage_override,
        announcement: ann.map(AnnouncementBody::from),
    }
}

/// The stored application as geo-core's state machine.
fn to_core(a: &StoredApplication) -> Result<Application, ServiceError> {
    let bad =
        |what: &str| ServiceError::internal(format!("stored application {}: bad {what}", a.id));
    let opt = |s: &Option<String>| {
        s.as_deref()
            .map(Date::parse)
            .transpose()
            .map_err(|_| bad("day"))
    };
    let mut app = Application::new(
        a.id as u64,
        PlaceKey::parse(&a.place).map_err(|_| bad("place"))?,
        a.current_name.clone(),
        a.proposed_name.clone(),
        a.applicant.clone(),
        Date::parse(&a.submitted).map_err(|_| bad("submitted"))?,
    );
    app.reason = a.reason.clone();
    app.status = ApplicationStatus::parse(&a.status).ok_or_else(|| bad("status"))?;
    app.findings = serde_json::from_value::<Vec<FindingRow>>(a.findings.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|f| Finding {
            rule: f.rule,
            detail: f.detail,
            clause: f.clause,
        })
        .collect();
    for r in &a.reviews {
        app.reviews.push(Review {
            who: r.who.clone(),
            verdict: Verdict::parse(&r.verdict).map_err(|_| bad("verdict"))?,
            comment: r.comment.clone(),
            on: Date::parse(&r.on).map_err(|_| bad("review day"))?,
        });
    }
    app.notice_from = opt(&a.notice_from)?;
    app.notice_until = opt(&a.notice_until)?;
    app.decided_by = a.decided_by.clone();
    app.decided_on = opt(&a.decided_on)?;
    app.decision_note = a.decision_note.clone();
    app.heritage_override = a.heritage_override;
    Ok(app)
}

/// A stored finding.
#[derive(serde::Deserialize)]
struct FindingRow {
    rule: String,
    detail: String,
    clause: String,
}

/// The stored application after a step of the state machine.
fn from_core(before: &StoredApplication, app: &Application) -> StoredApplication {
    StoredApplication {
        status: app.status.as_str().to_owned(),
        notice_from: app.notice_from.map(|d| d.to_string()),
        notice_until: app.notice_until.map(|d| d.to_string()),
        decided_by: app.decided_by.clone(),
        decided_on: app.decided_on.map(|d| d.to_string()),
        decision_note: app.decision_note.clone(),
        ..before.clone()
    }
}
