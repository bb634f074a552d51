//! The boundary-marker (界桩) register and validation exceptions as the API serves them:
//! role and district checks, the line-id hook, GeoJSON with Gauss–Krüger coordinates, and
//! what the public may see.
//!
//! - **Storage** is [`civmap_data::register::SurveyRegister`], in the accounts store, so
//!   each write commits with its audit row (`marker.create`, `marker.update`,
//!   `marker.retire`, `marker.inspect`, `marker.restore`, `exception.add`,
//!   `exception.withdraw`, each with before/after).
//! - **Who may write**: a surveyor (an admin has every role). A surveyor limited to a
//!   district writes only markers whose position (before and after a move or restore) lies
//!   in that district by the live data's admin chain, and only exceptions whose codes all
//!   belong to it (their 6-digit district prefix).
//! - **Who sees people**: inspector names, inspection notes, version authors and exception
//!   authors go only to signed-in surveyors and admins ([`Viewer::Staff`]); the public
//!   answer carries none.
//! - **Line ids** are checked by a [`LineCatalog`]. Until the boundary-line catalog
//!   (`geo-core/src/survey/lines.rs`) is wired in, the default [`AnyLineId`] accepts any
//!   id of 1–80 characters: **a placeholder**, see [`SurveyRegisterService::set_line_catalog`].

use std::sync::{Arc, RwLock};

use civmap_data::accounts::AuditRecord;
use civmap_data::register::{
    MarkerChange, MarkerQuery, MarkerVersion, NewException, NewMarker, RegisterError,
    StoredException, StoredMarker, SurveyRegister,
};
use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::markers::{Inspection, Marker};
use civmap_geo_core::survey::Exception;
use civmap_geo_core::AdminCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::geojson::{round7, round_mm, CollectionTag, FeatureTag, Geometry};
use crate::service::identity::{rfc3339, Principal};
use crate::service::{DataService, ServiceError};

/// Decides whether a boundary-line id names a known line.
pub trait LineCatalog: Send + Sync + std::fmt::Debug {
    /// `Ok` if `id` names a line; otherwise why not (shown to the client under `line`).
    fn check(&self, id: &str) -> Result<(), String>;
}

/// **Placeholder** line catalog: any id of 1–80 characters is accepted, because the
/// boundary-line catalog is being built in parallel. Replace it with
/// [`SurveyRegisterService::set_line_catalog`] once `GET /api/v1/boundaries` exists.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyLineId;

impl LineCatalog for AnyLineId {
    fn check(&self, id: &str) -> Result<(), String> {
        civmap_data::register::check_line(id).map_err(|e| e.to_string())
    }
}

/// Who reads: the public (no person-level data) or staff (surveyors and admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anonymous callers and planners.
    Public,
    /// Signed-in surveyors and admins.
    Staff,
}

impl Viewer {
    /// The viewer a principal is.
    pub fn of(p: Option<&Principal>) -> Self {
        match p {
            Some(p) if p.has(civmap_data::accounts::Role::Surveyor) => Self::Staff,
            _ => Self::Public,
        }
    }
}

/// One inspection as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionView {
    /// Day, `YYYY-MM-DD`.
    pub date: String,
    /// What the inspector found: `intact`, `damaged`, `moved`, `lost` or `obscured`.
    pub status: String,
    /// Measured offset from the registered position, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_m: Option<f64>,
    /// Who inspected (surveyors and admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspector: Option<String>,
    /// Remarks (surveyors and admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Properties of a marker.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerProperties {
    /// Register number, ending with the type code.
    pub number: String,
    /// Boundary line id.
    pub line: String,
    /// Type code: `A`, `B`, `C`, `D`, `E` or `Q`.
    pub kind: String,
    /// `intact`, `damaged`, `moved`, `lost` or `obscured`.
    pub status: String,
    /// CGCS2000 longitude, degrees.
    pub lon: f64,
    /// CGCS2000 latitude, degrees.
    pub lat: f64,
    /// Gauss–Krüger easting, EPSG:4549 (CGCS2000 / 3° zone, CM 120°E), metres.
    pub x: f64,
    /// Gauss–Krüger northing, EPSG:4549, metres.
    pub y: f64,
    /// Current version (see `/history`).
    pub version: i64,
    /// Inspections, oldest first.
    pub inspections: Vec<InspectionView>,
}

/// One marker.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// The number, as the feature id.
    pub id: String,
    /// Point (CGCS2000 lon/lat).
    pub geometry: Geometry,
    /// The marker.
    pub properties: MarkerProperties,
}

/// Markers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerCollection {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// The markers, by number.
    pub features: Vec<MarkerFeature>,
}

/// One version of a marker.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerVersionView {
    /// 1 for the registration, then one more per change.
    pub version: i64,
    /// Line id.
    pub line: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Type code.
    pub kind: String,
    /// Condition.
    pub status: String,
    /// Start (RFC 3339, UTC).
    pub valid_from: String,
    /// End (RFC 3339, UTC); absent for the current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// `create`, `update`, `inspect` or `restore`.
    pub action: String,
    /// Who wrote it (surveyors and admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A marker's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarkerHistory {
    /// The marker.
    pub number: String,
    /// Whether it is retired (out of the register; `restore` brings it back).
    pub retired: bool,
    /// When it was retired (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
    /// Every version, oldest first.
    pub versions: Vec<MarkerVersionView>,
}

/// A validation exception.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExceptionView {
    /// Id.
    pub id: i64,
    /// Rule id (`gap`, `overlap`, `marker_off_line`, …).
    pub rule: String,
    /// Codes of the finding it accepts, sorted.
    pub codes: Vec<String>,
    /// Marker number, for marker rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// Who recorded it.
    pub who: String,
    /// Why.
    pub why: String,
    /// Day recorded, `YYYY-MM-DD`.
    pub created: String,
    /// Last day it applies, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// When it was withdrawn (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    /// Who withdrew it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_by: Option<String>,
}

impl From<StoredException> for ExceptionView {
    fn from(x: StoredException) -> Self {
        let e = x.exception;
        Self {
            id: e.id,
            rule: e.rule.as_str().to_owned(),
            codes: e.codes.iter().map(|c| c.as_str().to_owned()).collect(),
            marker: e.marker,
            who: e.who,
            why: e.why,
            created: e.created,
            expires: e.expires,
            withdrawn_at: x.withdrawn_ms.map(rfc3339),
            withdrawn_by: x.withdrawn_by,
        }
    }
}

fn feature(m: &Marker, version: i64, viewer: Viewer) -> MarkerFeature {
    let gk = GaussKruger::hangzhou().forward(geo::Coord { x: m.lon, y: m.lat });
    let staff = viewer == Viewer::Staff;
    MarkerFeature {
        tag: FeatureTag::Feature,
        id: m.number.clone(),
        geometry: Geometry::point(round7(m.lon), round7(m.lat)),
        properties: MarkerProperties {
            number: m.number.clone(),
            line: m.line.clone(),
            kind: m.kind.as_str().to_owned(),
            status: m.status.as_str().to_owned(),
            lon: m.lon,
            lat: m.lat,
            x: round_mm(gk.x),
            y: round_mm(gk.y),
            version,
            inspections: m
                .inspections
                .iter()
                .map(|i: &Inspection| InspectionView {
                    date: i.date.clone(),
                    status: i.status.as_str().to_owned(),
                    offset_m: i.offset_m,
                    inspector: staff.then(|| i.inspector.clone()),
                    note: if staff { i.note.clone() } else { None },
                })
                .collect(),
        },
    }
}

fn version_view(v: MarkerVersion, viewer: Viewer) -> MarkerVersionView {
    MarkerVersionView {
        version: v.version,
        line: v.line,
        lon: v.lon,
        lat: v.lat,
        kind: v.kind.as_str().to_owned(),
        status: v.status.as_str().to_owned(),
        valid_from: rfc3339(v.valid_from_ms),
        valid_to: v.valid_to_ms.map(rfc3339),
        action: v.action,
        by: (viewer == Viewer::Staff).then_some(v.who),
    }
}

/// Register errors as service errors: a bad field is 400 naming it, a taken number 409.
pub fn register_error(e: RegisterError) -> ServiceError {
    match e {
        RegisterError::Invalid { field, message } => ServiceError::invalid(field, message),
        RegisterError::Exists(_) | RegisterError::Retired(_) | RegisterError::Withdrawn(_) => {
            ServiceError::Conflict(e.to_string())
        }
        RegisterError::NoMarker(_)
        | RegisterError::NoVersion { .. }
        | RegisterError::NoException(_) => ServiceError::NotFound(e.to_string()),
        RegisterError::Store { .. } => ServiceError::StoreUnavailable(e.to_string()),
    }
}

/// The marker register and validation exceptions of a running server.
#[derive(Debug)]
pub struct SurveyRegisterService {
    register: SurveyRegister,
    data: Arc<DataService>,
    lines: RwLock<Arc<dyn LineCatalog>>,
}

impl SurveyRegisterService {
    /// The register over `register`, checking districts against `data`, with the
    /// placeholder [`AnyLineId`] line catalog.
    pub fn new(register: SurveyRegister, data: Arc<DataService>) -> Self {
        Self {
            register,
            data,
            lines: RwLock::new(Arc::new(AnyLineId)),
        }
    }

    /// Replaces the line catalog (the hook the boundary-line catalog plugs into).
    pub fn set_line_catalog(&self, catalog: Arc<dyn LineCatalog>) {
        *self.lines.write().unwrap_or_else(|p| p.into_inner()) = catalog;
    }

    fn check_line(&self, id: &str) -> Result<(), ServiceError> {
        let lines = self.lines.read().unwrap_or_else(|p| p.into_inner()).clone();
        lines
            .check(id)
            .map_err(|m| ServiceError::invalid("line", m))
    }

    /// Refuses a district-limited surveyor a position outside their district.
    fn check_position_district(
        &self,
        p: &Principal,
        lon: f64,
        lat: f64,
        what: &str,
    ) -> Result<(), ServiceError> {
        let Some(district) = &p.user.district else {
            return Ok(());
        };
        let chain = self
            .data
            .admin_at(lon, lat)
            .map(|a| a.chain)
            .unwrap_or_default();
        if chain.iter().any(|l| &l.code == district) {
            return Ok(());
        }
        let found = chain
            .iter()
            .find(|l| l.level == "district")
            .map_or("outside every district".to_owned(), |l| {
                format!("in district {} ({})", l.code, l.name)
            });
        Err(ServiceError::Forbidden(format!(
            "{} may edit markers of district {district} only; {what} at ({lon}, {lat}) is {found}",
            p.user.name
        )))
    }

    /// Refuses a district-limited surveyor codes outside their district.
    fn check_codes_district(&self, p: &Principal, codes: &[AdminCode]) -> Result<(), ServiceError> {
        let Some(district) = &p.user.district else {
            return Ok(());
        };
        let prefix = &district[..6];
        if let Some(c) = codes.iter().find(|c| c.district_prefix() != prefix) {
            return Err(ServiceError::Forbidden(format!(
                "{} may record exceptions of district {district} only; code {c} is outside it",
                p.user.name
            )));
        }
        Ok(())
    }

    async fn live_marker(&self, number: &str) -> Result<StoredMarker, ServiceError> {
        match self.register.marker(number).await.map_err(register_error)? {
            None => Err(ServiceError::NotFound(format!("no marker {number:?}"))),
            Some(m) if m.retired_ms.is_some() => Err(ServiceError::NotFound(format!(
                "marker {number:?} is retired; its history is at /api/v1/markers/{number}/history"
            ))),
            Some(m) => Ok(m),
        }
    }

    /// Every marker in the register (not retired), for the validator's marker rules.
    pub async fn markers_for_checks(&self) -> Result<Vec<Marker>, ServiceError> {
        Ok(self
            .register
            .markers(&MarkerQuery::default())
            .await
            .map_err(register_error)?
            .into_iter()
            .map(|m| m.marker)
            .collect())
    }

    /// The exceptions not withdrawn (expired ones included: the report lists them apart).
    pub async fn exceptions_in_force(&self) -> Result<Vec<Exception>, ServiceError> {
        Ok(self
            .register
            .exceptions(false)
            .await
            .map_err(register_error)?
            .into_iter()
            .map(|e| e.exception)
            .collect())
    }

    /// Markers in the register matching `q`.
    pub async fn markers(
        &self,
        q: &MarkerQuery,
        viewer: Viewer,
    ) -> Result<MarkerCollection, ServiceError> {
        let list = self.register.markers(q).await.map_err(register_error)?;
        Ok(MarkerCollection {
            tag: CollectionTag::FeatureCollection,
            features: list
                .iter()
                .map(|m| feature(&m.marker, m.version, viewer))
                .collect(),
        })
    }

    /// One marker in the register.
    pub async fn marker(
        &self,
        number: &str,
        viewer: Viewer,
    ) -> Result<MarkerFeature, ServiceError> {
        let m = self.live_marker(number).await?;
        Ok(feature(&m.marker, m.version, viewer))
    }

    /// Every version of a marker (retired ones too).
    pub async fn history(
        &self,
        number: &str,
        viewer: Viewer,
    ) -> Result<MarkerHistory, ServiceError> {
        let versions = self
            .register
            .history(number)
            .await
            .map_err(register_error)?;
        let m = self.register.marker(number).await.map_err(register_error)?;
        let retired_ms = m.and_then(|m| m.retired_ms);
        Ok(MarkerHistory {
            number: number.to_owned(),
            retired: retired_ms.is_some(),
            retired_at: retired_ms.map(rfc3339),
            versions: versions
                .into_iter()
                .map(|v| version_view(v, viewer))
                .collect(),
        })
    }

    /// Registers a marker.
    pub async fn create(
        &self,
        p: &Principal,
        m: NewMarker,
        audit: AuditRecord,
    ) -> Result<MarkerFeature, ServiceError> {
        self.check_line(&m.line)?;
        civmap_data::register::check_position(m.lon, m.lat).map_err(register_error)?;
        self.check_position_district(p, m.lon, m.lat, "the marker")?;
        let s = self
            .register
            .create_marker(m, audit)
            .await
            .map_err(register_error)?;
        Ok(feature(&s.marker, s.version, Viewer::Staff))
    }

    /// Edits a marker (move, kind, line, status).
    pub async fn update(
        &self,
        p: &Principal,
        number: &str,
        change: MarkerChange,
        audit: AuditRecord,
    ) -> Result<MarkerFeature, ServiceError> {
        if let Some(line) = &change.line {
            self.check_line(line)?;
        }
        let cur = self.live_marker(number).await?;
        self.check_position_district(p, cur.marker.lon, cur.marker.lat, "the marker")?;
        if let (Some(lon), Some(lat)) = (change.lon, change.lat) {
            civmap_data::register::check_position(lon, lat).map_err(register_error)?;
            self.check_position_district(p, lon, lat, "the new position")?;
        }
        let s = self
            .register
            .update_marker(number, change, audit)
            .await
            .map_err(register_error)?;
        Ok(feature(&s.marker, s.version, Viewer::Staff))
    }

    /// Retires a marker (its history stays).
    pub async fn retire(
        &self,
        p: &Principal,
        number: &str,
        audit: AuditRecord,
    ) -> Result<(), ServiceError> {
        let cur = self.live_marker(number).await?;
        self.check_position_district(p, cur.marker.lon, cur.marker.lat, "the marker")?;
        self.register
            .retire_marker(number, audit)
            .await
            .map_err(register_error)?;
        Ok(())
    }

    /// Records an inspection.
    pub async fn inspect(
        &self,
        p: &Principal,
        number: &str,
        inspection: Inspection,
        audit: AuditRecord,
    ) -> Result<MarkerFeature, ServiceError> {
        let cur = self.live_marker(number).await?;
        self.check_position_district(p, cur.marker.lon, cur.marker.lat, "the marker")?;
        let s = self
            .register
            .add_inspection(number, inspection, audit)
            .await
            .map_err(register_error)?;
        Ok(feature(&s.marker, s.version, Viewer::Staff))
    }

    /// Restores a marker to an earlier version (retired markers come back).
    pub async fn restore(
        &self,
        p: &Principal,
        number: &str,
        version: i64,
        audit: AuditRecord,
    ) -> Result<MarkerFeature, ServiceError> {
        let versions = self
            .register
            .history(number)
            .await
            .map_err(register_error)?;
        let old = versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| {
                ServiceError::NotFound(format!("marker {number:?} has no version {version}"))
            })?;
        if let Some(cur) = versions.last() {
            self.check_position_district(p, cur.lon, cur.lat, "the marker")?;
        }
        self.check_position_district(p, old.lon, old.lat, "the restored position")?;
        let s = self
            .register
            .restore_marker(number, version, audit)
            .await
            .map_err(register_error)?;
        Ok(feature(&s.marker, s.version, Viewer::Staff))
    }

    /// Exceptions, withdrawn ones too if asked.
    pub async fn exceptions(
        &self,
        with_withdrawn: bool,
    ) -> Result<Vec<ExceptionView>, ServiceError> {
        Ok(self
            .register
            .exceptions(with_withdrawn)
            .await
            .map_err(register_error)?
            .into_iter()
            .map(ExceptionView::from)
            .collect())
    }

    /// Records an exception.
    pub async fn add_exception(
        &self,
        p: &Principal,
        e: NewException,
        audit: AuditRecord,
    ) -> Result<ExceptionView, ServiceError> {
        self.check_codes_district(p, &e.codes)?;
        if let Some(number) = &e.marker {
            if let Some(m) = self.register.marker(number).await.map_err(register_error)? {
                self.check_position_district(p, m.marker.lon, m.marker.lat, "the marker")?;
            } else if p.user.district.is_some() {
                return Err(ServiceError::invalid(
                    "marker",
                    format!("no marker {number:?} in the register"),
                ));
            }
        }
        self.register
            .add_exception(e, audit)
            .await
            .map(ExceptionView::from)
            .map_err(register_error)
    }

    /// Withdraws an exception.
    pub async fn withdraw_exception(
        &self,
        p: &Principal,
        id: i64,
        audit: AuditRecord,
    ) -> Result<ExceptionView, ServiceError> {
        let all = self
            .register
            .exceptions(true)
            .await
            .map_err(register_error)?;
        let Some(x) = all.iter().find(|x| x.exception.id == id) else {
            return Err(ServiceError::NotFound(format!(
                "no validation exception {id}"
            )));
        };
        self.check_codes_district(p, &x.exception.codes)?;
        self.register
            .withdraw_exception(id, audit)
            .await
            .map(ExceptionView::from)
            .map_err(register_error)
    }
}
