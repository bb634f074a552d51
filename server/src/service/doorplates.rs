//! Digital doorplates (数字门牌): what the page `/d/{id}` and its JSON twin show, the alias
//! table that keeps old ids working, and the numbering check over all plates.
//!
//! - **The page's content** ([`DoorplatePage`]): the standard address in Chinese, pinyin
//!   and English ([`romanize_address`], the one romanisation seam), the chain of admin
//!   units, and for every facility category the nearest facility within a 15-minute walk at
//!   the standard profile — computed by [`DataService::nearest_walk_within`], the code path
//!   of `GET /api/v1/facilities/nearest?mode=walk` cut at 900 m. No person-level data
//!   (residents, elderly) is on it.
//! - **Aliases**: renumbered or merged ids point to their successor
//!   ([`civmap_data::doorplate_aliases`], in the accounts store, each with its audit row).
//!   [`DoorplateService::resolve`] follows the chain; the table is cached and read again
//!   after [`ALIAS_CACHE_TTL`] (and at once after this server writes one), so an alias
//!   written by another server process is followed within that time.
//! - **The numbering check** ([`civmap_geo_core::numbering`]) over the served plates,
//!   computed once per data version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use civmap_data::accounts::{AccountsError, AuditRecord};
use civmap_data::doorplate_aliases::{AliasError, DoorplateAlias, DoorplateAliases, NewAlias};
use civmap_geo_core::coverage::WalkProfile;
use civmap_geo_core::gazetteer::romanize_address;
use civmap_geo_core::numbering::{
    check_numbering, NumberingCounts, NumberingFinding, NumberingReport, NumberingRule,
};
use civmap_geo_core::FacilityCategory;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::identity::Principal;
use crate::service::spatial::ChainLink;
use crate::service::{CoverageService, DataService, ServiceError};

/// The walk the page lists services within, minutes.
pub const PAGE_WALK_MINUTES: f64 = 15.0;
/// How long the cached alias table is trusted before it is read again.
pub const ALIAS_CACHE_TTL: Duration = Duration::from_secs(30);
/// Longest alias chain followed (the store refuses cycles; this bounds a damaged table).
const MAX_CHAIN: usize = 64;

/// The nearest facility of one category within the walk, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NearbyService {
    /// Category id, e.g. `elder_canteen`.
    pub category: String,
    /// Category name in Chinese.
    pub category_zh: String,
    /// Category name in English.
    pub category_en: String,
    /// The facility, `null` when none is within the walk.
    pub facility: Option<NearbyFacility>,
}

/// A facility within the walk.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NearbyFacility {
    /// Facility id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its address.
    pub address: String,
    /// Along the walking network, snapping legs included, metres.
    pub distance_m: f64,
    /// Walking time at the standard profile (1.0 m/s), seconds.
    pub walk_s: f64,
    /// Walking time rounded up to whole minutes.
    pub walk_min: u32,
}

/// Everything `/d/{id}` shows; also the body of `GET /api/v1/doorplates/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DoorplatePage {
    /// Doorplate id.
    pub id: u64,
    /// Road name, e.g. `文三路`.
    pub road: String,
    /// House number.
    pub number: u32,
    /// The address in Chinese, e.g. `文三路12号`.
    pub address_zh: String,
    /// The full standard address: province, city, district, township, road and number.
    pub full_address_zh: String,
    /// Hanyu Pinyin, GB/T 16159 map form, e.g. `Wensan Lu 12 Hao`.
    pub address_pinyin: String,
    /// English, e.g. `12 Wensan Road`.
    pub address_en: String,
    /// The full address in pinyin, GB/T 16159 map form from the place-name romaniser
    /// (generic terms and Hangzhou's polyphone readings), large to small, e.g.
    /// `Zhejiang Sheng Hangzhou Shi Gongshu Qu Changqing Jiedao Wensan Lu 12 Hao`; a unit
    /// whose name cannot be romanised is left out.
    pub full_address_pinyin: String,
    /// The admin units it lies in, city first.
    pub units: Vec<ChainLink>,
    /// WGS84 longitude, degrees (6 decimals).
    pub lon: f64,
    /// WGS84 latitude, degrees (6 decimals).
    pub lat: f64,
    /// The walk the services are listed within, minutes.
    pub walk_minutes: f64,
    /// One entry per facility category, in the categories' order.
    pub services: Vec<NearbyService>,
    /// Generated data.
    pub synthetic: bool,
}

/// Where a requested id leads.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// A served doorplate (no alias).
    Current(u64),
    /// An alias: the chain from the requested id to the served one (last).
    Moved(Vec<u64>),
}

/// The numbering check's answer (`GET /api/v1/doorplates/check`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NumberingSummary {
    /// Plates read.
    pub plates: usize,
    /// Distinct road names.
    pub roads: usize,
    /// Road segments (connected stretches of a named road) with plates.
    pub segments: usize,
    /// Plates whose road is not in the walking network.
    pub unplaced: usize,
    /// Plates on the centreline (no side).
    pub on_centreline: usize,
    /// Totals per rule: `wrong_side`, `out_of_sequence`, `duplicate_numbers`,
    /// `duplicate_plates`, `gaps`, `missing_numbers`.
    #[schema(value_type = Object)]
    pub counts: NumberingCounts,
    /// The first findings (by rule, road, segment, number), at most `limit`: each
    /// `{"rule","road","segment","doorplates","numbers"}` (for a gap, `doorplates` are the
    /// plates either side and `numbers` the first and last missing number).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<NumberingFinding>,
    /// How many findings there are in all.
    pub findings_total: usize,
}

/// A recorded renumbering (`POST /api/v1/doorplates/{id}/renumber`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RenumberAnswer {
    /// The old id.
    pub old_id: u64,
    /// The id that replaced it.
    pub new_id: u64,
    /// `renumbered` or `merged`.
    pub reason: String,
    /// When it took effect, `YYYY-MM-DD`.
    pub date: String,
    /// Who recorded it.
    pub who: String,
    /// Where `/d/{old_id}` now leads (the end of the chain).
    pub redirects_to: u64,
}

/// Renumbering requests as the service takes them.
#[derive(Debug, Clone)]
pub struct Renumbering {
    /// The id that replaces the old one (a served doorplate, or an id aliased to one).
    pub new_id: u64,
    /// `renumbered` or `merged`.
    pub reason: civmap_data::doorplate_aliases::AliasReason,
    /// When it took effect, `YYYY-MM-DD` (today in China by default).
    pub date: Option<String>,
}

#[derive(Debug, Default)]
struct AliasCache {
    table: Arc<HashMap<u64, DoorplateAlias>>,
    read_at: Option<Instant>,
}

/// The doorplate pages, aliases and numbering check of a running server.
#[derive(Debug)]
pub struct DoorplateService {
    data: Arc<DataService>,
    coverage: Arc<CoverageService>,
    aliases: DoorplateAliases,
    cache: Mutex<AliasCache>,
    /// The numbering report of one data version: (generation, report).
    check: Mutex<Option<(u64, Arc<NumberingReport>)>>,
    /// `serve --public-url`: the base of page URLs (QR codes); from `Host` when `None`.
    public_url: Mutex<Option<String>>,
}

/// The service error of an alias store error (a malformed field is a 400 naming it).
pub fn alias_error(e: AliasError) -> ServiceError {
    match e {
        AliasError::Accounts(AccountsError::Invalid { field, message }) => {
            ServiceError::invalid(field, message)
        }
        AliasError::AlreadyAliased { .. } | AliasError::Cycle { .. } => {
            ServiceError::Conflict(e.to_string())
        }
        AliasError::Accounts(other) => ServiceError::StoreUnavailable(other.to_string()),
    }
}

impl DoorplateService {
    /// The service over `data` and its coverage engine, with aliases kept in `aliases`.
    pub fn new(
        aliases: DoorplateAliases,
        data: Arc<DataService>,
        coverage: Arc<CoverageService>,
    ) -> Self {
        Self {
            data,
            coverage,
            aliases,
            cache: Mutex::default(),
            check: Mutex::default(),
            public_url: Mutex::default(),
        }
    }

    /// Sets the base of page URLs (`serve --public-url`), e.g. `https://civmap.example.cn`.
    pub fn set_public_url(&self, base: Option<String>) {
        *self.public_url.lock().unwrap_or_else(|p| p.into_inner()) =
            base.map(|b| b.trim_end_matches('/').to_owned());
    }

    /// The configured base of page URLs, if any.
    pub fn public_url(&self) -> Option<String> {
        self.public_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn alias_table(&self) -> Result<Arc<HashMap<u64, DoorplateAlias>>, ServiceError> {
        {
            let c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if c.read_at.is_some_and(|t| t.elapsed() < ALIAS_CACHE_TTL) {
                return Ok(c.table.clone());
            }
        }
        let all = self.aliases.all().await.map_err(alias_error)?;
        let table = Arc::new(all.into_iter().map(|a| (a.old_id, a)).collect());
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        c.table = Arc::clone(&table);
        c.read_at = Some(Instant::now());
        Ok(table)
    }

    /// Where `id` leads: itself when served and not aliased, else the end of its alias
    /// chain; 404 when neither.
    pub async fn resolve(&self, id: u64) -> Result<Resolved, ServiceError> {
        let table = self.alias_table().await?;
        let mut chain = vec![id];
        while let Some(a) = table.get(chain.last().unwrap_or(&id)) {
            if chain.len() > MAX_CHAIN || chain.contains(&a.new_id) {
                return Err(ServiceError::internal(format!(
                    "the alias chain of doorplate {id} does not end: {chain:?}"
                )));
            }
            chain.push(a.new_id);
        }
        if chain.len() > 1 {
            return Ok(Resolved::Moved(chain));
        }
        match self.data.read().data.doorplate_record(id) {
            Some(_) => Ok(Resolved::Current(id)),
            None => Err(ServiceError::NotFound(format!("no doorplate {id}"))),
        }
    }

    /// The page's content for a served doorplate (resolve aliases first). Waits for the
    /// coverage engine like the walk-mode routes.
    pub async fn page(&self, id: u64) -> Result<DoorplatePage, ServiceError> {
        let snap = self.coverage.engine().await?;
        let engine = &snap.engine;
        let profile = WalkProfile::standard();
        let limit_m = profile.distance_m(PAGE_WALK_MINUTES);
        let (plate, units) = {
            let live = self.data.read();
            let Some(r) = live.data.doorplate_record(id) else {
                return Err(ServiceError::NotFound(format!("no doorplate {id}")));
            };
            let d = live.data.data().doorplates[r as usize].clone();
            let units = live.admin_chain(d.location.x(), d.location.y())?;
            (d, units)
        };
        let at = (plate.location.x(), plate.location.y());
        let mut services = Vec::with_capacity(FacilityCategory::ALL.len());
        for &c in FacilityCategory::ALL {
            let near = self
                .data
                .nearest_walk_within(engine, at, &[c], 1, &profile, limit_m)?;
            let facility = near.features.first().and_then(|f| {
                let p = &f.properties;
                let walk_s = p.walk_s?;
                (walk_s <= PAGE_WALK_MINUTES * 60.0).then(|| NearbyFacility {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    address: p.address.clone(),
                    distance_m: p.distance_m.unwrap_or_default(),
                    walk_s,
                    walk_min: (walk_s / 60.0).ceil() as u32,
                })
            });
            services.push(NearbyService {
                category: c.id().to_owned(),
                category_zh: c.name_zh().to_owned(),
                category_en: c.name_en().to_owned(),
                facility,
            });
        }
        let roman = romanize_address(&plate.road, plate.number);
        // the place-name romaniser (rules.json's generic terms and readings) where it can
        let romanizer = crate::service::names::checker().ok().map(|c| c.romanizer());
        let pinyin = |name: &str| {
            romanizer
                .and_then(|r| r.romanize(name).ok())
                .map(|r| r.map_form)
        };
        let road_pinyin = pinyin(&plate.road);
        let address_pinyin = match &road_pinyin {
            Some(road) => format!("{road} {} Hao", plate.number),
            None => roman.pinyin.clone(),
        };
        let mut parts: Vec<String> = Vec::new();
        if !units.is_empty() {
            parts.push("Zhejiang Sheng".into());
        }
        parts.extend(
            units
                .iter()
                .filter(|u| u.level != "community")
                .filter_map(|u| pinyin(&u.name)),
        );
        parts.push(address_pinyin.clone());
        let full_address_pinyin = parts.join(" ");
        let address_zh = plate.address();
        let above: String = units
            .iter()
            .filter(|u| u.level != "community")
            .map(|u| u.name.as_str())
            .collect();
        let province = if units.is_empty() { "" } else { "浙江省" };
        Ok(DoorplatePage {
            id: plate.id,
            full_address_zh: format!("{province}{above}{address_zh}"),
            address_zh,
            address_pinyin,
            address_en: roman.english,
            full_address_pinyin,
            road: plate.road,
            number: plate.number,
            units,
            lon: (at.0 * 1e6).round() / 1e6,
            lat: (at.1 * 1e6).round() / 1e6,
            walk_minutes: PAGE_WALK_MINUTES,
            services,
            synthetic: plate.synthetic,
        })
    }

    /// Records that `old_id` was renumbered or merged into `r.new_id` (surveyors; a
    /// surveyor limited to a district only for plates in it), with its audit row in the
    /// same transaction. `new_id` must lead to a served doorplate; an alias that would
    /// close a cycle, or an id already aliased, is a 409.
    pub async fn renumber(
        &self,
        p: &Principal,
        old_id: u64,
        r: Renumbering,
        audit: AuditRecord,
    ) -> Result<RenumberAnswer, ServiceError> {
        let target = match self.resolve(r.new_id).await {
            Ok(Resolved::Current(t)) => t,
            Ok(Resolved::Moved(chain)) => *chain.last().unwrap_or(&r.new_id),
            Err(ServiceError::NotFound(_)) => {
                return Err(ServiceError::invalid(
                    "new_id",
                    format!("no doorplate {} is served", r.new_id),
                ))
            }
            Err(e) => return Err(e),
        };
        self.check_district(p, old_id, "id")?;
        self.check_district(p, target, "new_id")?;
        let alias = NewAlias {
            old_id,
            new_id: r.new_id,
            reason: r.reason,
            date: r.date,
        };
        let stored = self
            .aliases
            .record(alias, audit)
            .await
            .map_err(alias_error)?;
        // read the table again on the next request
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).read_at = None;
        Ok(RenumberAnswer {
            old_id: stored.old_id,
            new_id: stored.new_id,
            reason: stored.reason.as_str().to_owned(),
            date: stored.date,
            who: stored.who,
            redirects_to: target,
        })
    }

    /// Refuses a district-limited surveyor a served plate outside their district (by the
    /// plate's community code).
    fn check_district(&self, p: &Principal, id: u64, field: &str) -> Result<(), ServiceError> {
        let Some(district) = &p.user.district else {
            return Ok(());
        };
        let live = self.data.read();
        let Some(r) = live.data.doorplate_record(id) else {
            return Ok(()); // an old id no longer served: nothing to place
        };
        let plate = &live.data.data().doorplates[r as usize];
        let within = plate
            .community
            .as_ref()
            .is_some_and(|c| district.starts_with(c.district_prefix()));
        if within {
            return Ok(());
        }
        Err(ServiceError::Forbidden(format!(
            "{} may renumber doorplates of district {district} only; {field} {id} ({}) is not in it",
            p.user.name,
            plate.address()
        )))
    }

    /// The numbering check over every served plate: totals and the first `limit`
    /// findings (of `rule` only, when given).
    pub async fn numbering(
        self: &Arc<Self>,
        rule: Option<NumberingRule>,
        limit: usize,
    ) -> Result<NumberingSummary, ServiceError> {
        let me = Arc::clone(self);
        let report = tokio::task::spawn_blocking(move || me.numbering_report())
            .await
            .map_err(ServiceError::internal)?;
        let matching: Vec<&NumberingFinding> = report
            .findings
            .iter()
            .filter(|f| rule.is_none_or(|r| f.rule == r))
            .collect();
        Ok(NumberingSummary {
            plates: report.plates,
            roads: report.roads,
            segments: report.segments,
            unplaced: report.unplaced,
            on_centreline: report.on_centreline,
            counts: report.counts.clone(),
            findings: matching.iter().take(limit).map(|&f| f.clone()).collect(),
            findings_total: matching.len(),
        })
    }

    /// The full report for the current data (computed once per data version).
    pub fn numbering_report(&self) -> Arc<NumberingReport> {
        let generation = self.coverage.version();
        let mut slot = self.check.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, r)) = slot.as_ref() {
            if *g == generation {
                return Arc::clone(r);
            }
        }
        let report = {
            let live = self.data.read();
            let d = live.data.data();
            Arc::new(check_numbering(&d.doorplates, &d.network))
        };
        *slot = Some((generation, Arc::clone(&report)));
        report
    }
}
