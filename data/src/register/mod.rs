//! The survey register: boundary markers (界桩), every version each marker has had, their
//! inspections, and validation exceptions — kept in the accounts store (`accounts.sqlite`
//! in a data or state directory, or PostGIS tables from migration
//! `0003_survey_register.sql`), so that **every write and its [`AuditRecord`] commit in one
//! transaction**.
//!
//! Nothing is deleted. Each edit of a marker ends its current version (`valid_to`) and
//! starts a new one; retiring a marker ends its current version with no successor; restoring
//! writes a new version equal to an earlier one (the edit is reversible through history).
//! Withdrawing an exception stamps `withdrawn_at`/`withdrawn_by` on its row.
//!
//! Validation happens here, before any SQL, and names the field at fault (see
//! [`check_number`], [`check_position`], [`check_date`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::register::RegisterError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! use civmap_data::register::NewMarker;
//! use civmap_geo_core::survey::markers::{MarkerKind, MarkerStatus};
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?;
//! let register = store.register();
//! let m = NewMarker {
//!     number: "330106-330105-001A".into(),
//!     line: "L-330106-330105".into(),
//!     lon: 120.1,
//!     lat: 30.25,
//!     kind: MarkerKind::A,
//!     status: MarkerStatus::Intact,
//! };
//! register
//!     .create_marker(m, AuditRecord::new("li", "marker.create", "marker:330106-330105-001A"))
//!     .await?;
//! # Ok(()) }
//! ```

mod check;
mod pg;
mod sqlite;

pub use check::{
    check_date, check_line, check_number, check_position, civil_from_days, today_in_china,
    CHINA_LAT_DEG, CHINA_LON_DEG, MAX_LINE_CHARS, MAX_TEXT_CHARS,
};

use civmap_geo_core::survey::markers::{Inspection, Marker, MarkerKind, MarkerStatus};
use civmap_geo_core::survey::{Exception, Rule};
use civmap_geo_core::AdminCode;
use serde::Serialize;

use crate::accounts::{AccountsError, AuditRecord};

/// A marker to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMarker {
    /// Register number (see [`check_number`]).
    pub number: String,
    /// The boundary line id it stands on.
    pub line: String,
    /// CGCS2000 longitude, degrees.
    pub lon: f64,
    /// CGCS2000 latitude, degrees.
    pub lat: f64,
    /// Type code; the number ends with it.
    pub kind: MarkerKind,
    /// Condition as registered.
    pub status: MarkerStatus,
}

/// An edit of a marker: the fields given change, the others stay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkerChange {
    /// Another boundary line.
    pub line: Option<String>,
    /// A new longitude (a move; give `lat` too).
    pub lon: Option<f64>,
    /// A new latitude.
    pub lat: Option<f64>,
    /// Another type code (the number's last letter must still match).
    pub kind: Option<MarkerKind>,
    /// Another condition.
    pub status: Option<MarkerStatus>,
}

impl MarkerChange {
    fn is_empty(&self) -> bool {
        self.line.is_none()
            && self.lon.is_none()
            && self.lat.is_none()
            && self.kind.is_none()
            && self.status.is_none()
    }
}

/// A marker as stored: its register entry with inspections, current version and whether it
/// was retired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMarker {
    /// The register entry, inspections oldest first.
    pub marker: Marker,
    /// Number of its current (or, once retired, last) version.
    pub version: i64,
    /// When it was retired, Unix milliseconds; `None` while it is in the register.
    pub retired_ms: Option<i64>,
}

/// One state a marker has had.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkerVersion {
    /// 1 for the registration, then one more per edit, inspection that changed the
    /// status, or restore.
    pub version: i64,
    /// Line id in this version.
    pub line: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Type code.
    pub kind: MarkerKind,
    /// Condition.
    pub status: MarkerStatus,
    /// Start of the version, Unix milliseconds.
    pub valid_from_ms: i64,
    /// End of the version (`None`: current).
    pub valid_to_ms: Option<i64>,
    /// Who wrote it.
    pub who: String,
    /// The write that made it: `create`, `update`, `inspect`, `restore`.
    pub action: String,
}

/// Which markers to list (all filters combine).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkerQuery {
    /// `[west, south, east, north]` in degrees.
    pub bbox: Option<[f64; 4]>,
    /// Only markers on this line.
    pub line: Option<String>,
    /// Only markers in this condition.
    pub status: Option<MarkerStatus>,
}

/// An exception to record; `who` is the audit record's, `created` is today (China time).
#[derive(Debug, Clone, PartialEq)]
pub struct NewException {
    /// The rule it accepts.
    pub rule: Rule,
    /// The codes of the finding (required unless the rule is a marker rule).
    pub codes: Vec<AdminCode>,
    /// The marker number, required for marker rules and refused for the others.
    pub marker: Option<String>,
    /// Why (the agreement, the decision), 1–2000 characters.
    pub why: String,
    /// Last day it applies, `YYYY-MM-DD`, not before today.
    pub expires: Option<String>,
}

/// An exception as stored, with its withdrawal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredException {
    /// The exception.
    pub exception: Exception,
    /// When it was withdrawn, Unix milliseconds.
    pub withdrawn_ms: Option<i64>,
    /// Who withdrew it.
    pub withdrawn_by: Option<String>,
}

/// Why a register operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The store failed or cannot be reached.
    #[error("{store}: {message}")]
    Store {
        /// `…/accounts.sqlite` or the redacted database URL.
        store: String,
        /// What failed.
        message: String,
    },
    /// A value breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A marker of that number is registered (or was, and is retired).
    #[error(
        "marker {0:?} is already registered (numbers are never reused; restore a retired one)"
    )]
    Exists(String),
    /// No marker of that number was ever registered.
    #[error("no marker {0:?}")]
    NoMarker(String),
    /// The marker was retired; it can be restored from its history.
    #[error("marker {0:?} is retired (see its history; restore brings it back)")]
    Retired(String),
    /// The marker has no such version.
    #[error("marker {number:?} has no version {version}")]
    NoVersion {
        /// The marker.
        number: String,
        /// The version asked for.
        version: i64,
    },
    /// No exception of that id.
    #[error("no validation exception {0}")]
    NoException(i64),
    /// The exception was already withdrawn.
    #[error("validation exception {0} was already withdrawn")]
    Withdrawn(i64),
}

impl From<AccountsError> for RegisterError {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::Store { store, message } => Self::Store { store, message },
            AccountsError::Invalid { field, message } => Self::Invalid { field, message },
            other => Self::Store {
                store: "accounts".into(),
                message: other.to_string(),
            },
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid {
        field,
        message: message.into(),
    }
}

/// A marker's register entry as audit rows record it (no inspections).
fn marker_json(m: &Marker, version: i64) -> serde_json::Value {
    serde_json::json!({
        "number": m.number, "line": m.line, "lon": m.lon, "lat": m.lat,
        "kind": m.kind, "status": m.status, "version": version,
    })
}

fn exception_json(e: &StoredException) -> serde_json::Value {
    serde_json::json!({
        "id": e.exception.id, "rule": e.exception.rule, "codes": e.exception.codes,
        "marker": e.exception.marker, "who": e.exception.who, "why": e.exception.why,
        "created": e.exception.created, "expires": e.exception.expires,
        "withdrawn_by": e.withdrawn_by,
    })
}

/// The state a marker takes after `change` (validated).
fn apply_change(m: &Marker, change: &MarkerChange) -> Result<Marker, RegisterError> {
    if change.is_empty() {
        return Err(invalid(
            "body",
            "nothing to change: give line, lon and lat, kind or status",
        ));
    }
    if change.lon.is_some() != change.lat.is_some() {
        let missing = if change.lon.is_some() { "lat" } else { "lon" };
        return Err(invalid(missing, "a move needs both lon and lat"));
    }
    let mut next = m.clone();
    if let Some(line) = &change.line {
        check_line(line)?;
        next.line = line.clone();
    }
    if let (Some(lon), Some(lat)) = (change.lon, change.lat) {
        check_position(lon, lat)?;
        (next.lon, next.lat) = (lon, lat);
    }
    if let Some(kind) = change.kind {
        next.kind = kind;
        check_number(&next.number, kind)?;
    }
    if let Some(status) = change.status {
        next.status = status;
    }
    Ok(next)
}

fn check_inspection(i: &Inspection) -> Result<(), RegisterError> {
    check_date("date", &i.date)?;
    if i.date.as_str() > today_in_china().as_str() {
        return Err(invalid(
            "date",
            format!(
                "{} is in the future (today is {} in China)",
                i.date,
                today_in_china()
            ),
        ));
    }
    check::check_text("inspector", &i.inspector)?;
    if let Some(o) = i.offset_m {
        if !o.is_finite() || o < 0.0 {
            return Err(invalid(
                "offset_m",
                format!("{o} is not a distance (finite, ≥ 0 m)"),
            ));
        }
    }
    if let Some(n) = &i.note {
        if n.chars().count() > MAX_TEXT_CHARS {
            return Err(invalid(
                "note",
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    Ok(())
}

fn is_marker_rule(r: Rule) -> bool {
    matches!(r, Rule::MarkerOffLine | Rule::MarkerOutOfSequence)
}

fn check_exception(e: &NewException) -> Result<(), RegisterError> {
    match (&e.marker, is_marker_rule(e.rule)) {
        (None, true) => {
            return Err(invalid(
                "marker",
                format!("rule {} needs the marker's number", e.rule),
            ))
        }
        (Some(_), false) => {
            return Err(invalid(
                "marker",
                format!("rule {} is about units, not a marker", e.rule),
            ))
        }
        (Some(m), true) => {
            if m.is_empty() || m.len() > 40 {
                return Err(invalid("marker", format!("{m:?} is not a marker number")));
            }
        }
        (None, false) => {}
    }
    if e.codes.is_empty() && !is_marker_rule(e.rule) {
        return Err(invalid(
            "codes",
            format!("rule {} needs the codes of the finding", e.rule),
        ));
    }
    check::check_text("why", &e.why)?;
    if let Some(x) = &e.expires {
        check_date("expires", x)?;
        let today = today_in_china();
        if x.as_str() < today.as_str() {
            return Err(invalid(
                "expires",
                format!("{x} is already past (today is {today} in China)"),
            ));
        }
    }
    Ok(())
}

/// The survey register of one civmap installation (see the module docs).
#[derive(Debug, Clone)]
pub struct SurveyRegister(Backend);

/// The accounts store a register (or the doorplate alias table) writes through.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// `accounts.sqlite`.
    Sqlite(crate::accounts::sqlite::SqliteAccounts),
    /// PostGIS.
    Pg(Box<crate::accounts::pg::PgAccounts>),
}

impl SurveyRegister {
    pub(crate) fn sqlite(s: crate::accounts::sqlite::SqliteAccounts) -> Self {
        Self(Backend::Sqlite(s))
    }

    pub(crate) fn pg(s: crate::accounts::pg::PgAccounts) -> Self {
        Self(Backend::Pg(Box::new(s)))
    }

    /// Registers a marker (version 1) with its audit row (`after` = the marker).
    pub async fn create_marker(
        &self,
        m: NewMarker,
        audit: AuditRecord,
    ) -> Result<StoredMarker, RegisterError> {
        check_number(&m.number, m.kind)?;
        check_line(&m.line)?;
        check_position(m.lon, m.lat)?;
        let marker = Marker {
            number: m.number,
            line: m.line,
            lon: m.lon,
            lat: m.lat,
            kind: m.kind,
            status: m.status,
            inspections: Vec::new(),
        };
        let audit = audit.after(marker_json(&marker, 1));
        match &self.0 {
            Backend::Sqlite(s) => sqlite::create(s, marker, audit).await,
            Backend::Pg(s) => pg::create(s, marker, audit).await,
        }
    }

    /// Edits a marker (a move, another kind, line or status): ends its current version and
    /// starts the next, with the audit row (`before`/`after`).
    pub async fn update_marker(
        &self,
        number: &str,
        change: MarkerChange,
        audit: AuditRecord,
    ) -> Result<StoredMarker, RegisterError> {
        let next = move |m: &Marker| apply_change(m, &change);
        self.new_version(number, "update", audit, next).await
    }

    /// Restores a marker to an earlier version: a new version equal to it (a retired marker
    /// comes back into the register).
    pub async fn restore_marker(
        &self,
        number: &str,
        version: i64,
        audit: AuditRecord,
    ) -> Result<StoredMarker, RegisterError> {
        let old = self
            .history(number)
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| RegisterError::NoVersion {
                number: number.to_owned(),
                version,
            })?;
        let next = move |m: &Marker| {
            Ok(Marker {
                line: old.line.clone(),
                lon: old.lon,
                lat: old.lat,
                kind: old.kind,
                status: old.status,
                ..m.clone()
            })
        };
        self.new_version(number, "restore", audit, next).await
    }

    async fn new_version(
        &self,
        number: &str,
        action: &'static str,
        audit: AuditRecord,
        next: impl FnOnce(&Marker) -> Result<Marker, RegisterError> + Send + 'static,
    ) -> Result<StoredMarker, RegisterError> {
        let step = VersionStep {
            number: number.to_owned(),
            action,
            audit,
            revive: action == "restore",
        };
        match &self.0 {
            Backend::Sqlite(s) => sqlite::new_version(s, step, next).await,
            Backend::Pg(s) => pg::new_version(s, step, next).await,
        }
    }

    /// Retires a marker: ends its current version with no successor and marks it retired
    /// (never a delete), with the audit row (`before` = the marker).
    pub async fn retire_marker(
        &self,
        number: &str,
        audit: AuditRecord,
    ) -> Result<StoredMarker, RegisterError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::retire(s, number.to_owned(), audit).await,
            Backend::Pg(s) => pg::retire(s, number, audit).await,
        }
    }

    /// Records an inspection (`recorded_by` = the audit row's `who`). The marker takes the
    /// inspection's status (a new version) unless a later-dated inspection is on file.
    pub async fn add_inspection(
        &self,
        number: &str,
        inspection: Inspection,
        audit: AuditRecord,
    ) -> Result<StoredMarker, RegisterError> {
        check_inspection(&inspection)?;
        match &self.0 {
            Backend::Sqlite(s) => sqlite::inspect(s, number.to_owned(), inspection, audit).await,
            Backend::Pg(s) => pg::inspect(s, number, inspection, audit).await,
        }
    }

    /// Markers in the register (not retired), by number, with their inspections.
    pub async fn markers(&self, q: &MarkerQuery) -> Result<Vec<StoredMarker>, RegisterError> {
        if let Some(b) = q.bbox {
            if !b.iter().all(|v| v.is_finite()) || b[0] > b[2] || b[1] > b[3] {
                return Err(invalid(
                    "bbox",
                    format!("{b:?} is not west,south,east,north"),
                ));
            }
        }
        match &self.0 {
            Backend::Sqlite(s) => sqlite::list(s, q.clone()).await,
            Backend::Pg(s) => pg::list(s, q).await,
        }
    }

    /// One marker (retired or not) with its inspections; `None` if never registered.
    pub async fn marker(&self, number: &str) -> Result<Option<StoredMarker>, RegisterError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::get(s, number.to_owned()).await,
            Backend::Pg(s) => pg::get(s, number).await,
        }
    }

    /// Every version of a marker, oldest first; `Err(NoMarker)` if never registered.
    pub async fn history(&self, number: &str) -> Result<Vec<MarkerVersion>, RegisterError> {
        let out = match &self.0 {
            Backend::Sqlite(s) => sqlite::history(s, number.to_owned()).await?,
            Backend::Pg(s) => pg::history(s, number).await?,
        };
        if out.is_empty() {
            return Err(RegisterError::NoMarker(number.to_owned()));
        }
        Ok(out)
    }

    /// Records an exception with its audit row (`after` = the exception).
    pub async fn add_exception(
        &self,
        e: NewException,
        audit: AuditRecord,
    ) -> Result<StoredException, RegisterError> {
        check_exception(&e)?;
        let mut codes = e.codes;
        codes.sort();
        codes.dedup();
        let stored = StoredException {
            exception: Exception {
                id: 0,
                rule: e.rule,
                codes,
                marker: e.marker,
                who: audit.who.clone(),
                why: e.why,
                created: today_in_china(),
                expires: e.expires,
            },
            withdrawn_ms: None,
            withdrawn_by: None,
        };
        match &self.0 {
            Backend::Sqlite(s) => sqlite::add_exception(s, stored, audit).await,
            Backend::Pg(s) => pg::add_exception(s, stored, audit).await,
        }
    }

    /// Exceptions by id; withdrawn ones too if `with_withdrawn`.
    pub async fn exceptions(
        &self,
        with_withdrawn: bool,
    ) -> Result<Vec<StoredException>, RegisterError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::exceptions(s, with_withdrawn).await,
            Backend::Pg(s) => pg::exceptions(s, with_withdrawn).await,
        }
    }

    /// Withdraws an exception (`withdrawn_by` = the audit row's `who`), with the audit row.
    pub async fn withdraw_exception(
        &self,
        id: i64,
        audit: AuditRecord,
    ) -> Result<StoredException, RegisterError> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::withdraw(s, id, audit).await,
            Backend::Pg(s) => pg::withdraw(s, id, audit).await,
        }
    }
}

/// A version-making write, as the backends receive it.
struct VersionStep {
    number: String,
    action: &'static str,
    audit: AuditRecord,
    /// Whether a retired marker may take the step (restore) or is refused (`Retired`).
    revive: bool,
}

/// The latest-dated inspection decides the status; `new` is the one just added.
fn takes_status(latest_before: Option<&str>, new: &Inspection) -> bool {
    latest_before.is_none_or(|d| new.date.as_str() >= d)
}

fn parse_kind(s: &str) -> Result<MarkerKind, String> {
    MarkerKind::parse(s).ok_or_else(|| format!("stored kind {s:?} is not a type code"))
}

fn parse_status(s: &str) -> Result<MarkerStatus, String> {
    MarkerStatus::parse(s).ok_or_else(|| format!("stored status {s:?} is not a status"))
}

fn parse_rule(s: &str) -> Result<Rule, String> {
    Rule::parse(s).ok_or_else(|| format!("stored rule {s:?} is not a rule"))
}

fn parse_codes(codes: &[String]) -> Result<Vec<AdminCode>, String> {
    codes
        .iter()
        .map(|c| AdminCode::parse(c).map_err(|e| format!("stored code: {e}")))
        .collect()
}
