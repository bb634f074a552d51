//! The surveyors' products of the administrative frame: CGCS2000 measures of every unit,
//! boundary lines with stable ids, and the topology validator's findings — computed once
//! per version of the admin units (they change only with admin edits) and cached beside
//! the live data; plus the answers built from them (one unit, lines, a validation report,
//! a survey diff).
//!
//! Line ids survive edits: when an admin edit invalidates the products, the old lines are
//! kept and the next build gives each new line the id of the old line it matches
//! (same level and pair, Hausdorff distance ≤ [`LINE_ID_HAUSDORFF_M`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::lines::{boundary_lines, carry_ids, BoundaryLine};
use civmap_geo_core::survey::markers::{check_markers, Marker};
use civmap_geo_core::survey::measure::UnitMeasures;
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::survey::{Exception, Finding, ValidationReport};
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};

use serde::Serialize;
use utoipa::ToSchema;

use crate::service::as_of::{AsOf, AsOfBody, AsOfView};
use crate::service::data::{DataService, Derived};
use crate::service::geojson::{
    round_mm, AdminFeature, AdminProperties, CollectionTag, FeatureTag, Geometry,
};
use crate::service::history::history;
use crate::service::spatial::ChainLink;
use crate::service::ServiceError;

/// Largest distance (metres) between two versions of a line that keeps its id.
pub const LINE_ID_HAUSDORFF_M: f64 = 500.0;

/// Largest distance (metres) between a marker and its line before `marker_off_line`.
pub const MARKER_TOLERANCE_M: f64 = 1.0;

/// Everything derived from one version of the admin units.
#[derive(Debug)]
pub struct SurveyProducts {
    /// The admin version these were built from.
    pub generation: u64,
    /// Measures per unit.
    pub measures: HashMap<AdminCode, UnitMeasures>,
    /// Boundary lines of every level.
    pub lines: Vec<BoundaryLine>,
    /// Line index by id.
    pub line_by_id: HashMap<String, usize>,
    /// The polygon rules' findings over every level (markers are checked per request,
    /// since the register changes without the frame).
    pub findings: Vec<Finding>,
    /// How long the build took, milliseconds.
    pub build_ms: f64,
}

impl SurveyProducts {
    /// Measures, lines (carrying the ids of `previous`) and validation of some units.
    pub fn build(generation: u64, units: &[AdminUnit], previous: &[BoundaryLine]) -> Self {
        let t = Instant::now();
        let gk = GaussKruger::hangzhou();
        let (measures, (lines, findings)) = rayon::join(
            || {
                units
                    .iter()
                    .map(|u| (u.code.clone(), UnitMeasures::of(&u.geometry, &gk)))
                    .collect::<HashMap<_, _>>()
            },
            || {
                rayon::join(
                    || {
                        let mut lines = boundary_lines(units);
                        if !previous.is_empty() {
                            carry_ids(previous, &mut lines, LINE_ID_HAUSDORFF_M);
                        }
                        lines
                    },
                    || Validator::new(units, ValidateOptions::default()).validate(&AdminLevel::ALL),
                )
            },
        );
        let line_by_id = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        Self {
            generation,
            measures,
            lines,
            line_by_id,
            findings,
            build_ms: t.elapsed().as_secs_f64() * 1e3,
        }
    }

    /// The validation report: the cached polygon findings of `levels`, the marker checks,
    /// and the exceptions valid on `today`.
    pub fn report(
        &self,
        levels: &[AdminLevel],
        markers: Option<&[Marker]>,
        exceptions: &[Exception],
        today: &str,
    ) -> ValidationReport {
        let mut findings: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| f.level.is_none_or(|l| levels.contains(&l)))
            .cloned()
            .collect();
        if let Some(m) = markers {
            findings.extend(check_markers(
                m,
                &self.lines,
                MARKER_TOLERANCE_M,
                &GaussKruger::hangzhou(),
            ));
        }
        ValidationReport::new(findings, exceptions, today)
    }
}

impl DataService {
    /// The survey products of the current admin units, built on first use (blocking: call
    /// from a blocking thread). The build works on a copy of the units, so admin edits are
    /// not held up by it; a build overtaken by an edit is answered but not cached.
    pub fn survey_products(&self) -> Result<Arc<SurveyProducts>, ServiceError> {
        let cache = self.read().survey.clone();
        let _building = cache.building.lock().unwrap_or_else(|e| e.into_inner());
        let typed = |d: Derived| {
            d.downcast::<SurveyProducts>()
                .map_err(|_| ServiceError::internal("admin-derived products of another type"))
        };
        let (generation, previous) = match cache.current() {
            Ok(p) => return typed(p),
            Err(x) => x,
        };
        let previous = previous.map(typed).transpose()?;
        let units = {
            let live = self.read();
            if !Arc::ptr_eq(&live.survey, &cache) {
                // the whole data was replaced meanwhile: build for the new one
                drop(live);
                drop(_building);
                return self.survey_products();
            }
            live.data.data().admin.clone()
        };
        let previous_lines = previous.as_ref().map_or(&[][..], |p| &p.lines[..]);
        let products = Arc::new(SurveyProducts::build(generation, &units, previous_lines));
        tracing::info!(
            "survey products built in {:.0} ms: {} lines, {} findings",
            products.build_ms,
            products.lines.len(),
            products.findings.len()
        );
        cache.offer(generation, products.clone());
        Ok(products)
    }
}

impl DataService {
    /// The survey products of a past edition's units (an [`AsOf::Past`] index), built on
    /// first use and kept with the edition's view (blocking).
    pub fn survey_products_as_of(
        &self,
        edition: usize,
    ) -> Result<(Arc<AsOfView>, Arc<SurveyProducts>), ServiceError> {
        let view = self.as_of_view(edition)?;
        let derived = view
            .survey
            .get_or_init(|| Arc::new(SurveyProducts::build(0, &view.units, &[])))
            .clone();
        let products = derived
            .downcast::<SurveyProducts>()
            .map_err(|_| ServiceError::internal("as-of products of another type"))?;
        Ok((view, products))
    }

    /// `GET /api/v1/admin/{code}`, today or as of a past day (that edition's unit, its
    /// measures from its shape, how the shape was obtained, and its version's dates).
    pub fn admin_detail_as_of(
        &self,
        code: &AdminCode,
        as_of: AsOf,
    ) -> Result<AdminDetail, ServiceError> {
        let h = history()?;
        let (mut detail, day) = match as_of {
            AsOf::Today => {
                let products = self.survey_products()?;
                let live = self.read();
                let detail = products.admin_detail(&live.data.data().admin, code)?;
                (detail, h.latest().date())
            }
            AsOf::Past { edition, day } => {
                let (view, products) = self.survey_products_as_of(edition)?;
                let mut detail = products.admin_detail(&view.units, code)?;
                if let Some((_, source)) = view.by_code(code.as_str()) {
                    let unit = &mut detail.properties.unit;
                    unit.geometry_source = Some(source.name().to_owned());
                    unit.geometry_from = Some(source.from_code_strings());
                }
                detail.properties.as_of = Some(view.body(day, &[AS_OF_DETAIL_NOTE]));
                (detail, view.date)
            }
        };
        // the version of the unit that held on that day (today's: if the codes are the
        // division list's)
        let version = h
            .as_of(day)
            .ok()
            .and_then(|s| s.by_code(code.as_str()))
            .filter(|su| su.name == detail.properties.unit.name)
            .and_then(|su| h.unit(su.unit)?.version_on(day));
        if let Some(v) = version {
            detail.properties.valid_from = Some(v.valid_from.to_string());
            detail.properties.valid_to = v.valid_to.map(|d| d.to_string());
        }
        Ok(detail)
    }
}

/// What a past unit's detail is made of.
const AS_OF_DETAIL_NOTE: &str = "measures, lines and children are of that edition's units, whose shapes are today's polygons or their unions (geometry_source); an unknown shape measures 0";

// ---- answers -------------------------------------------------------------------------------

/// Properties of `GET /api/v1/admin/{code}`: the unit with its measures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminDetailProperties {
    /// The unit, as `/api/v1/admin` gives it.
    #[serde(flatten)]
    pub unit: AdminProperties,
    /// Area on the CGCS2000 ellipsoid, m².
    pub area_m2: f64,
    /// Perimeter along geodesics on the CGCS2000 ellipsoid, m.
    pub perimeter_m: f64,
    /// Area in the 3° Gauss–Krüger plane of `gk_crs`, m².
    pub gk_area_m2: f64,
    /// Perimeter in the 3° Gauss–Krüger plane of `gk_crs`, m.
    pub gk_perimeter_m: f64,
    /// The plane of the `gk_` values: `EPSG:4549` (CGCS2000 3° GK, CM 120°E).
    pub gk_crs: String,
    /// First day of this version (the cut-off of the first edition of the division list
    /// that shows it; `null`: a code the list does not have).
    pub valid_from: Option<String>,
    /// Last day of this version (`null`: current).
    pub valid_to: Option<String>,
    /// The units above it, city first.
    pub ancestors: Vec<ChainLink>,
    /// How many units it directly contains.
    pub children: usize,
    /// How many boundary lines of its level it has (`GET /api/v1/boundaries?code=`).
    pub lines: usize,
    /// Answers `as_of` a past day only: the edition that answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<AsOfBody>,
}

/// `GET /api/v1/admin/{code}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminDetail {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// The code.
    pub id: String,
    /// Polygon or MultiPolygon (WGS84 = CGCS2000 to centimetres).
    pub geometry: Geometry,
    /// The unit and its measures.
    pub properties: AdminDetailProperties,
}

/// Properties of one boundary line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoundaryProperties {
    /// Stable id: it survives edits of the line's geometry.
    pub id: String,
    /// The level of the two units.
    pub level: String,
    /// The unit on the left, walking the line from its first point.
    pub left: String,
    /// Its name.
    pub left_name: String,
    /// The unit on the right; `null` on the outer border.
    pub right: Option<String>,
    /// Its name; `null` on the outer border.
    pub right_name: Option<String>,
    /// Geodesic length on the CGCS2000 ellipsoid, m.
    pub length_m: f64,
    /// Length in the 3° Gauss–Krüger plane (EPSG:4549), m.
    pub gk_length_m: f64,
    /// Markers registered on it.
    pub markers: usize,
}

/// One boundary line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoundaryFeature {
    #[serde(rename = "type")]
    tag: FeatureTag,
    /// The line id.
    pub id: String,
    /// LineString.
    pub geometry: Geometry,
    /// The line.
    pub properties: BoundaryProperties,
}

/// `GET /api/v1/boundaries`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoundaryCollection {
    #[serde(rename = "type")]
    tag: CollectionTag,
    /// The lines, by level then id.
    pub features: Vec<BoundaryFeature>,
}

/// One validation error as the API gives it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValidationError {
    /// Rule id: `invalid_polygon`, `overlap`, `gap`, `sliver`, `child_outside_parent`,
    /// `children_do_not_cover_parent`, `marker_off_line`, `marker_out_of_sequence`.
    pub rule: String,
    /// Level checked; `null` for marker rules.
    pub level: Option<String>,
    /// Units involved (both sides; child then parent for nesting rules).
    pub codes: Vec<String>,
    /// Marker number, for marker rules.
    pub marker: Option<String>,
    /// Where (WGS84).
    pub geometry: Geometry,
    /// Area, m² (CGCS2000 ellipsoid).
    pub area_m2: Option<f64>,
    /// Width (largest inscribed circle's diameter), m.
    pub width_m: Option<f64>,
    /// One line for a person.
    pub detail: String,
    /// The exception that accepts it (in `excepted` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<i64>,
}

impl ValidationError {
    fn of(f: &Finding, exception: Option<i64>) -> Self {
        Self {
            rule: f.rule.as_str().to_owned(),
            level: f.level.map(|l| l.as_str().to_owned()),
            codes: f.codes.iter().map(|c| c.as_str().to_owned()).collect(),
            marker: f.marker.clone(),
            geometry: Geometry::from_geo(&f.geometry),
            area_m2: f.area_m2.map(round_mm),
            width_m: f.width_m.map(round_mm),
            detail: f.detail.clone(),
            exception,
        }
    }
}

/// An exception past its expiry, as the validation report names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpiredException {
    /// Its id (`/api/v1/validation/exceptions`).
    pub id: i64,
    /// The rule it accepted.
    pub rule: String,
    /// The codes of the finding it accepted.
    pub codes: Vec<String>,
    /// The marker, for marker rules.
    pub marker: Option<String>,
    /// Why it was accepted.
    pub why: String,
    /// Its last day.
    pub expires: Option<String>,
}

/// `GET /api/v1/validation`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ValidationAnswer {
    /// No error outside the accepted exceptions.
    pub valid: bool,
    /// Levels checked.
    pub levels: Vec<String>,
    /// Errors per rule id (excepted ones not counted).
    pub counts: std::collections::BTreeMap<String, usize>,
    /// The errors.
    pub errors: Vec<ValidationError>,
    /// Errors an exception accepts, with its id.
    pub excepted: Vec<ValidationError>,
    /// Exceptions past their expiry (their errors are back in `errors`).
    pub expired: Vec<ExpiredException>,
    /// Markers checked (`null`: the register was not reachable).
    pub markers_checked: Option<usize>,
}

impl ValidationAnswer {
    /// The answer of a report.
    pub fn new(
        r: &ValidationReport,
        levels: &[AdminLevel],
        markers_checked: Option<usize>,
    ) -> Self {
        let mut counts = std::collections::BTreeMap::new();
        for f in &r.errors {
            *counts.entry(f.rule.as_str().to_owned()).or_insert(0) += 1;
        }
        Self {
            valid: r.is_valid(),
            levels: levels.iter().map(|l| l.as_str().to_owned()).collect(),
            counts,
            errors: r
                .errors
                .iter()
                .map(|f| ValidationError::of(f, None))
                .collect(),
            excepted: r
                .excepted
                .iter()
                .map(|(f, id)| ValidationError::of(f, Some(*id)))
                .collect(),
            expired: r
                .expired
                .iter()
                .map(|e| ExpiredException {
                    id: e.id,
                    rule: e.rule.as_str().to_owned(),
                    codes: e.codes.iter().map(|c| c.as_str().to_owned()).collect(),
                    marker: e.marker.clone(),
                    why: e.why.clone(),
                    expires: e.expires.clone(),
                })
                .collect(),
            markers_checked,
        }
    }
}

impl SurveyProducts {
    /// `GET /api/v1/admin/{code}` for a unit of `units`.
    pub fn admin_detail(
        &self,
        units: &[AdminUnit],
        code: &AdminCode,
    ) -> Result<AdminDetail, ServiceError> {
        let by_code: HashMap<&AdminCode, &AdminUnit> = units.iter().map(|u| (&u.code, u)).collect();
        let u = by_code
            .get(code)
            .ok_or_else(|| ServiceError::NotFound(format!("no admin unit with code {code}")))?;
        let m = self
            .measures
            .get(code)
            .copied()
            .unwrap_or_else(|| UnitMeasures::of(&u.geometry, &GaussKruger::hangzhou()));
        let mut ancestors = Vec::new();
        let mut at = u.parent.as_ref();
        while let Some(p) = at.and_then(|c| by_code.get(c)) {
            if ancestors.len() > AdminLevel::ALL.len() {
                break; // a parent cycle in imported data
            }
            ancestors.push(ChainLink::of(p));
            at = p.parent.as_ref();
        }
        ancestors.reverse();
        let feature = AdminFeature::new(u);
        Ok(AdminDetail {
            tag: FeatureTag::Feature,
            id: feature.id,
            geometry: feature.geometry,
            properties: AdminDetailProperties {
                unit: feature.properties,
                area_m2: round_mm(m.area_m2),
                perimeter_m: round_mm(m.perimeter_m),
                gk_area_m2: round_mm(m.gk_area_m2),
                gk_perimeter_m: round_mm(m.gk_perimeter_m),
                gk_crs: "EPSG:4549".to_owned(),
                valid_from: None,
                valid_to: None,
                ancestors,
                children: units
                    .iter()
                    .filter(|c| c.parent.as_ref() == Some(code))
                    .count(),
                lines: self
                    .lines
                    .iter()
                    .filter(|l| {
                        l.level == u.level && (&l.left == code || l.right.as_ref() == Some(code))
                    })
                    .count(),
                as_of: None,
            },
        })
    }

    /// `GET /api/v1/boundaries`: the lines of a level, or of one unit (at its level).
    pub fn boundaries(
        &self,
        units: &[AdminUnit],
        level: Option<AdminLevel>,
        code: Option<&AdminCode>,
        markers: &[Marker],
    ) -> Result<BoundaryCollection, ServiceError> {
        let names: HashMap<&AdminCode, &str> =
            units.iter().map(|u| (&u.code, u.name.as_str())).collect();
        let level = match code {
            Some(c) => {
                let u = units.iter().find(|u| &u.code == c).ok_or_else(|| {
                    ServiceError::NotFound(format!("no admin unit with code {c}"))
                })?;
                if level.is_some_and(|l| l != u.level) {
                    return Err(ServiceError::invalid(
                        "level",
                        format!(
                            "{c} is a {} unit; leave out level or give {}",
                            u.level, u.level
                        ),
                    ));
                }
                Some(u.level)
            }
            None => level,
        };
        let mut on_line: HashMap<&str, usize> = HashMap::new();
        for m in markers {
            *on_line.entry(m.line.as_str()).or_insert(0) += 1;
        }
        let features = self
            .lines
            .iter()
            .filter(|l| level.is_none_or(|v| l.level == v))
            .filter(|l| code.is_none_or(|c| &l.left == c || l.right.as_ref() == Some(c)))
            .map(|l| BoundaryFeature {
                tag: FeatureTag::Feature,
                id: l.id.clone(),
                geometry: Geometry::from_geo(&l.geometry),
                properties: BoundaryProperties {
                    id: l.id.clone(),
                    level: l.level.as_str().to_owned(),
                    left: l.left.as_str().to_owned(),
                    left_name: names.get(&l.left).copied().unwrap_or_default().to_owned(),
                    right: l.right.as_ref().map(|c| c.as_str().to_owned()),
                    right_name: l
                        .right
                        .as_ref()
                        .map(|c| names.get(c).copied().unwrap_or_default().to_owned()),
                    length_m: round_mm(l.length_m),
                    gk_length_m: round_mm(l.gk_length_m),
                    markers: on_line.get(l.id.as_str()).copied().unwrap_or(0),
                },
            })
            .collect();
        Ok(BoundaryCollection {
            tag: CollectionTag::FeatureCollection,
            features,
        })
    }
}

/// The line catalog markers are checked against: the served boundary lines.
#[derive(Debug)]
pub struct ServedLines(pub Arc<DataService>);

impl crate::service::survey_register::LineCatalog for ServedLines {
    fn check(&self, id: &str) -> Result<(), String> {
        civmap_data::register::check_line(id).map_err(|e| e.to_string())?;
        let products = self.0.survey_products().map_err(|e| e.to_string())?;
        if products.line_by_id.contains_key(id) {
            Ok(())
        } else {
            Err(format!(
                "no boundary line {id:?}; GET /api/v1/boundaries lists them"
            ))
        }
    }
}
