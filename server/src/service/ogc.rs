//! OGC API – Features (Part 1 Core, Part 2 CRS by reference) over civmap's layers: the
//! landing page, conformance, collections and their items, as JSON with no HTTP in it.
//!
//! Collections: `units` (admin units of every level), `city`, `districts`, `townships`
//! and `communities` (one level each); the survey layers (`boundaries`, `markers`,
//! `validation-errors`) plug into [`registry`] as one line each.
//!
//! CRSs: OGC CRS84 (longitude, latitude; the default and the storage CRS), EPSG:4490 and
//! the CGCS2000 3° Gauss–Krüger zones EPSG:4534–4554 (EPSG:4549 for Hangzhou). Coordinates
//! follow each CRS's official axis order, as Part 2 requires: EPSG:4490 is latitude,
//! longitude and the Gauss–Krüger zones are northing, easting. `bbox-crs` takes the same
//! URIs, its numbers in that CRS's axis order.
//!
//! `datetime`: all current data is valid now, so an instant or interval that reaches today
//! or later matches every feature. An instant before today answers the admin collections as
//! they stood that day (the edition of the division list in force, shapes from today's
//! polygons, units of unknown shape left out; see `service::as_of`); an interval that ends
//! before today is 400 (give an instant), and so is a past instant on a survey collection.

use crate::service::survey_tables::SurveyLayer;
use civmap_data::export::layers::{admin_table, admin_table_name};
use civmap_data::export::{geojson::feature_from_parts, ExportCrs, FeatureTable};
use civmap_geo_core::{AdminLevel, AdminUnit, Dataset};
use geo::{BoundingRect, Intersects, Rect};
use serde_json::{json, Value as Json};

use super::as_of::{AsOf, AsOfView};
use super::{DataService, ServiceError};
use civmap_geo_core::history::Date;

/// OGC CRS84: WGS84 longitude, latitude.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// `limit` when none is given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit`.
pub const MAX_LIMIT: usize = 10_000;

/// The conformance classes implemented.
pub const CONFORMANCE: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// The CRS of an answer (or of a `bbox`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OgcCrs {
    /// CRS84, longitude then latitude.
    Crs84,
    /// An EPSG CRS, in its official axis order (latitude or northing first).
    Epsg(ExportCrs),
}

impl OgcCrs {
    /// Parses a CRS URI given as `param`.
    pub fn parse(param: &str, uri: &str) -> Result<Self, ServiceError> {
        if uri.trim() == CRS84
            || uri
                .trim()
                .eq_ignore_ascii_case("urn:ogc:def:crs:OGC:1.3:CRS84")
        {
            return Ok(Self::Crs84);
        }
        let lower = uri.trim().to_ascii_lowercase();
        if !lower.starts_with("http://www.opengis.net/def/crs/epsg/0/") {
            return Err(ServiceError::invalid(
                param,
                format!("{uri:?} is not a supported CRS URI; use {CRS84} or http://www.opengis.net/def/crs/EPSG/0/<4490|4534..4554>"),
            ));
        }
        ExportCrs::parse(uri)
            .map(Self::Epsg)
            .map_err(|e| ServiceError::invalid(param, e.to_string()))
    }

    /// The URI.
    pub fn uri(self) -> String {
        match self {
            Self::Crs84 => CRS84.to_owned(),
            Self::Epsg(c) => c.ogc_uri(),
        }
    }

    /// The export CRS of the coordinates (CRS84 = EPSG:4490's numbers, lon/lat).
    fn export_crs(self) -> ExportCrs {
        match self {
            Self::Crs84 => ExportCrs::CGCS2000,
            Self::Epsg(c) => c,
        }
    }

    /// Whether coordinates are written (y, x): every supported EPSG CRS puts latitude or
    /// northing first.
    fn swap_axes(self) -> bool {
        matches!(self, Self::Epsg(_))
    }
}

/// The CRSs every collection offers.
pub fn offered_crs() -> Vec<String> {
    let mut v = vec![CRS84.to_owned(), ExportCrs::CGCS2000.ogc_uri()];
    v.extend((4534..=4554).map(|e| format!("http://www.opengis.net/def/crs/EPSG/0/{e}")));
    v
}

/// Where a collection's features come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Admin units of one level, or all.
    Admin(Option<AdminLevel>),
    /// A surveyors' layer as a table (built by the caller, see [`survey_layer`]); features
    /// are named by the value of `id_field` (or their 1-based row number when `None`).
    Table {
        layer: SurveyLayer,
        id_field: Option<&'static str>,
    },
}

/// One collection.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    /// The collection id in URLs.
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Description.
    pub description: &'static str,
    source: Source,
}

/// The collections served.
///
/// **Integration point (lead):** when `survey::lines`, the marker register and the
/// validator merge, add their entries here, e.g.
/// `Collection { id: "boundaries", title: "Boundary lines", description: "…", source:
/// Source::Table { build: |ds| layers::boundaries_table(&lines_of(ds)), id_field: Some("id") } }`,
/// likewise `markers` (`id_field: Some("number")`) and `validation-errors` (`None`).
pub fn registry() -> Vec<Collection> {
    let admin = |id, title, description, level| Collection {
        id,
        title,
        description,
        source: Source::Admin(level),
    };
    vec![
        admin("units", "Admin units", "Hangzhou's administrative units of every level (city, districts, townships, communities), with area_m2, perimeter_m and gk_area_m2", None),
        admin("city", "City", "The city of Hangzhou", Some(AdminLevel::City)),
        admin("districts", "Districts", "The 13 county-level units", Some(AdminLevel::District)),
        admin("townships", "Townships", "Streets (subdistricts), towns and townships", Some(AdminLevel::Township)),
        admin("communities", "Communities", "Communities and villages", Some(AdminLevel::Community)),
        Collection {
            id: "boundaries",
            title: "Boundary lines",
            description: "One line per pair of neighbouring units per level, between three-unit junctions, and the outer border: stable id, level, left and right codes, CGCS2000 geodesic length_m and gk_length_m",
            source: Source::Table { layer: SurveyLayer::Boundaries, id_field: Some("id") },
        },
        Collection {
            id: "markers",
            title: "Boundary markers (界桩)",
            description: "The marker register: number, line, type code, status, latest inspection",
            source: Source::Table { layer: SurveyLayer::Markers, id_field: Some("number") },
        },
        Collection {
            id: "validation-errors",
            title: "Validation errors",
            description: "The topology validator's errors over every level (exceptions left out): rule, level, codes, area_m2, width_m, detail",
            source: Source::Table { layer: SurveyLayer::Validation, id_field: None },
        },
    ]
}

/// The surveyors' layer whose table a request for collection `id` needs, if any: the
/// route builds it (`survey_tables::layer_table`) and passes it in.
pub fn survey_layer(id: &str) -> Option<SurveyLayer> {
    registry()
        .into_iter()
        .find(|c| c.id == id)
        .and_then(|c| match c.source {
            Source::Table { layer, .. } => Some(layer),
            Source::Admin(_) => None,
        })
}

/// The surveyors' layers of the registry, for the collections list.
pub fn survey_layers() -> Vec<SurveyLayer> {
    registry()
        .into_iter()
        .filter_map(|c| match c.source {
            Source::Table { layer, .. } => Some(layer),
            Source::Admin(_) => None,
        })
        .collect()
}

fn table_of(
    tables: &[(SurveyLayer, FeatureTable)],
    layer: SurveyLayer,
) -> Result<FeatureTable, ServiceError> {
    tables
        .iter()
        .find(|(l, _)| *l == layer)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| ServiceError::internal(format!("the {layer:?} table was not built")))
}

fn find(id: &str) -> Result<Collection, ServiceError> {
    debug_assert!(registry()
        .iter()
        .filter_map(|c| match c.source {
            Source::Admin(l) => Some((c.id, l)),
            Source::Table { .. } => None,
        })
        .all(|(id, l)| id == admin_table_name(l)));
    registry()
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("no collection {id:?}")))
}

/// The landing page; `base` is the server's URL (`http://host:port`).
pub fn landing(base: &str) -> Json {
    json!({
        "title": "civmap OGC API – Features",
        "description": "Hangzhou administrative units (and, as they land, boundary lines, markers and validation errors) for QGIS, GDAL and other OGC API – Features clients",
        "links": [
            {"href": format!("{base}/ogc"), "rel": "self", "type": "application/json", "title": "This document"},
            {"href": format!("{base}/api/v1/openapi.json"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition"},
            {"href": format!("{base}/ogc/conformance"), "rel": "conformance", "type": "application/json", "title": "Conformance classes"},
            {"href": format!("{base}/ogc/collections"), "rel": "data", "type": "application/json", "title": "Collections"},
        ]
    })
}

/// The conformance declaration.
pub fn conformance() -> Json {
    json!({ "conformsTo": CONFORMANCE })
}

/// All collections.
pub fn collections(
    data: &DataService,
    base: &str,
    tables: &[(SurveyLayer, FeatureTable)],
) -> Result<Json, ServiceError> {
    let live = data.read();
    let ds = live.data.data();
    let cols: Vec<Json> = registry()
        .iter()
        .map(|c| collection_json(c, ds, base, tables))
        .collect::<Result<_, _>>()?;
    Ok(json!({
        "links": [{"href": format!("{base}/ogc/collections"), "rel": "self", "type": "application/json"}],
        "collections": cols,
        "crs": offered_crs(),
    }))
}

/// One collection.
pub fn collection(
    data: &DataService,
    base: &str,
    id: &str,
    tables: &[(SurveyLayer, FeatureTable)],
) -> Result<Json, ServiceError> {
    let c = find(id)?;
    let live = data.read();
    collection_json(&c, live.data.data(), base, tables)
}

fn collection_json(
    c: &Collection,
    ds: &Dataset,
    base: &str,
    tables: &[(SurveyLayer, FeatureTable)],
) -> Result<Json, ServiceError> {
    let extent = match c.source {
        Source::Admin(level) => {
            union_rect(admin_units(ds, level).filter_map(|u| u.geometry.bounding_rect()))
        }
        Source::Table { layer, .. } => union_rect(
            table_of(tables, layer)?
                .rows
                .iter()
                .filter_map(|r| r.geometry.bounding_rect()),
        ),
    };
    let bbox = extent.map_or(vec![-180.0, -90.0, 180.0, 90.0], |r| {
        vec![r.min().x, r.min().y, r.max().x, r.max().y]
    });
    Ok(json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "extent": {
            "spatial": {"bbox": [bbox], "crs": CRS84},
            "temporal": {"interval": [[null, null]]},
        },
        "crs": offered_crs(),
        "storageCrs": CRS84,
        "links": [
            {"href": format!("{base}/ogc/collections/{}", c.id), "rel": "self", "type": "application/json"},
            {"href": format!("{base}/ogc/collections/{}/items", c.id), "rel": "items", "type": "application/geo+json", "title": c.title},
        ],
    }))
}

fn union_rect(rects: impl Iterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.reduce(|a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}

/// A past edition's units of `level` (all for `None`) whose shape is known.
fn past_units(view: &AsOfView, level: Option<AdminLevel>) -> impl Iterator<Item = &AdminUnit> {
    view.units
        .iter()
        .filter(move |u| level.is_none_or(|l| u.level == l) && !u.geometry.0.is_empty())
}

fn admin_units(ds: &Dataset, level: Option<AdminLevel>) -> impl Iterator<Item = &AdminUnit> {
    ds.admin
        .iter()
        .filter(move |u| level.is_none_or(|l| u.level == l))
}

/// The parsed query of an items request.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsQuery {
    /// Page size, 1..=[`MAX_LIMIT`].
    pub limit: usize,
    /// Features skipped.
    pub offset: usize,
    /// Filter box in WGS84 (min lon, min lat, max lon, max lat).
    pub bbox_wgs84: Option<Rect<f64>>,
    /// The answer's CRS.
    pub crs: OgcCrs,
    /// The parameters to repeat in `next`/`prev` links (bbox, bbox-crs, crs, datetime).
    pub kept: Vec<(String, String)>,
    /// The day a past `datetime` instant asks for.
    pub as_of: AsOf,
}

impl ItemsQuery {
    /// Parses and validates the raw parameters; `today` is `YYYY-MM-DD` (UTC).
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        bbox: Option<&str>,
        bbox_crs: Option<&str>,
        crs: Option<&str>,
        datetime: Option<&str>,
        today: &str,
    ) -> Result<Self, ServiceError> {
        let int = |param: &str,
                   v: Option<&str>,
                   default: usize,
                   min: usize,
                   max: usize|
         -> Result<usize, ServiceError> {
            let Some(v) = v else { return Ok(default) };
            let n: usize = v.trim().parse().map_err(|_| {
                ServiceError::invalid(param, format!("expected an integer, got {v:?}"))
            })?;
            if n < min || n > max {
                return Err(ServiceError::invalid(
                    param,
                    format!("must be within {min}..={max}, got {n}"),
                ));
            }
            Ok(n)
        };
        let limit = int("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        let offset = int("offset", offset, 0, 0, usize::MAX)?;
        let crs_v = crs
            .map(|c| OgcCrs::parse("crs", c))
            .transpose()?
            .unwrap_or(OgcCrs::Crs84);
        let bbox_crs_v = bbox_crs.map(|c| OgcCrs::parse("bbox-crs", c)).transpose()?;
        if bbox_crs.is_some() && bbox.is_none() {
            return Err(ServiceError::invalid("bbox-crs", "given without bbox"));
        }
        let bbox_wgs84 = bbox
            .map(|b| parse_bbox(b, bbox_crs_v.unwrap_or(OgcCrs::Crs84)))
            .transpose()?;
        let as_of = match datetime {
            Some(d) => check_datetime(d, today)?,
            None => AsOf::Today,
        };
        let mut kept = Vec::new();
        for (k, v) in [
            ("bbox", bbox),
            ("bbox-crs", bbox_crs),
            ("crs", crs),
            ("datetime", datetime),
        ] {
            if let Some(v) = v {
                kept.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok(Self {
            limit,
            offset,
            bbox_wgs84,
            crs: crs_v,
            kept,
            as_of,
        })
    }
}

/// A `bbox` in `crs`'s axis order → a WGS84 rectangle.
fn parse_bbox(v: &str, crs: OgcCrs) -> Result<Rect<f64>, ServiceError> {
    let nums: Vec<f64> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            ServiceError::invalid(
                "bbox",
                format!("expected 4 finite numbers separated by commas, got {v:?}"),
            )
        })?;
    let [a, b, c, d] = match nums[..] {
        [a, b, c, d] => [a, b, c, d],
        [a, b, _, c, d, _] => [a, b, c, d],
        _ => {
            return Err(ServiceError::invalid(
                "bbox",
                format!("expected 4 (or 6) numbers, got {}", nums.len()),
            ))
        }
    };
    if a > c || b > d {
        return Err(ServiceError::invalid("bbox", "the lower corner must come first (each number of the first pair <= its pair in the second)"));
    }
    let (lo, hi) = match crs {
        OgcCrs::Crs84 => (geo::coord! { x: a, y: b }, geo::coord! { x: c, y: d }),
        // official axis order: latitude/northing first
        OgcCrs::Epsg(_) => (geo::coord! { x: b, y: a }, geo::coord! { x: d, y: c }),
    };
    let ex = crs.export_crs();
    if ex.is_geographic() {
        if !(-180.0..=180.0).contains(&lo.x)
            || !(-180.0..=180.0).contains(&hi.x)
            || !(-90.0..=90.0).contains(&lo.y)
            || !(-90.0..=90.0).contains(&hi.y)
        {
            return Err(ServiceError::invalid(
                "bbox",
                "longitudes must be within [-180, 180] and latitudes within [-90, 90]",
            ));
        }
        return Ok(Rect::new(lo, hi));
    }
    let corners = [
        lo,
        hi,
        geo::coord! { x: lo.x, y: hi.y },
        geo::coord! { x: hi.x, y: lo.y },
    ]
    .map(|c| ex.unproject(c));
    union_rect(corners.into_iter().map(|c| Rect::new(c, c)))
        .filter(|r| r.min().x.is_finite() && r.max().y.is_finite())
        .ok_or_else(|| ServiceError::invalid("bbox", "outside the Gauss-Kruger zone"))
}

/// Validates `datetime` (RFC 3339 instant or date, or an interval `start/end` with `..`
/// or an empty side for open ends) and answers the day it asks for: today for anything that
/// reaches `today`, the day of an instant before it; an interval ending before today is 400.
pub fn check_datetime(v: &str, today: &str) -> Result<AsOf, ServiceError> {
    let bad = |m: String| ServiceError::invalid("datetime", m);
    let (start, end) = match v.split_once('/') {
        None => {
            if v == ".." || v.is_empty() {
                return Err(bad(
                    "an instant must be a date or date-time, not '..'".into()
                ));
            }
            let day = instant_date(v).map_err(bad)?;
            if day.as_str() >= today {
                return Ok(AsOf::Today);
            }
            let day = Date::parse(&day).map_err(|e| bad(e.to_string()))?;
            return AsOf::on("datetime", day);
        }
        Some((a, b)) => {
            let side = |s: &str| -> Result<Option<String>, ServiceError> {
                if s.is_empty() || s == ".." {
                    Ok(None)
                } else {
                    instant_date(s).map(Some).map_err(bad)
                }
            };
            (side(a)?, side(b)?)
        }
    };
    if let (Some(s), Some(e)) = (&start, &end) {
        if s > e {
            return Err(ServiceError::invalid(
                "datetime",
                format!("the interval starts ({s}) after it ends ({e})"),
            ));
        }
    }
    if let Some(e) = end {
        if e.as_str() < today {
            return Err(ServiceError::invalid("datetime", format!("{v:?} ends before today ({today}): past divisions are answered for an instant (a day), not an interval")));
        }
    }
    Ok(AsOf::Today)
}

/// The `YYYY-MM-DD` of an RFC 3339 date or date-time, validated.
fn instant_date(s: &str) -> Result<String, String> {
    let err = || {
        format!("{s:?} is not an RFC 3339 date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ssZ)")
    };
    let (date, time) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(err());
    }
    let num = |r: std::ops::Range<usize>| {
        date.get(r)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse::<u32>().ok())
    };
    let (y, m, d) = (
        num(0..4).ok_or_else(err)?,
        num(5..7).ok_or_else(err)?,
        num(8..10).ok_or_else(err)?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[(m - 1) as usize] {
        return Err(err());
    }
    if let Some(t) = time {
        let tb = t.as_bytes();
        let ok = tb.len() >= 9
            && tb[2] == b':'
            && tb[5] == b':'
            && t[..2].parse::<u32>().is_ok_and(|h| h < 24)
            && t[3..5].parse::<u32>().is_ok_and(|m| m < 60)
            && t[6..8].parse::<u32>().is_ok_and(|s| s < 61);
        let zone = t[8.min(t.len())..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        let zone_ok = zone.eq_ignore_ascii_case("z")
            || (zone.len() == 6
                && (zone.starts_with('+') || zone.starts_with('-'))
                && zone.as_bytes()[3] == b':');
        if !ok || !zone_ok {
            return Err(err());
        }
    }
    Ok(date.to_owned())
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    super::identity::rfc3339(now_ms)[..10].to_owned()
}

/// A page of features of collection `id`.
pub fn items(
    data: &DataService,
    base: &str,
    id: &str,
    q: &ItemsQuery,
    tables: &[(SurveyLayer, FeatureTable)],
) -> Result<Json, ServiceError> {
    let c = find(id)?;
    let past = match (q.as_of, &c.source) {
        (AsOf::Today, _) => None,
        (AsOf::Past { edition, .. }, Source::Admin(_)) => Some(data.as_of_view(edition)?),
        (AsOf::Past { .. }, _) => {
            return Err(ServiceError::invalid(
                "datetime",
                format!("collection {id} is today's only: a past instant is answered on the admin collections"),
            ))
        }
    };
    let live = data.read();
    let ds = live.data.data();
    let hit = |g: &geo::Geometry<f64>| q.bbox_wgs84.is_none_or(|r| g.intersects(&r));
    let (table, ids, matched) = match c.source {
        Source::Admin(level) => {
            let units: Vec<&AdminUnit> = match &past {
                Some(view) => past_units(view, level).collect(),
                None => admin_units(ds, level).collect(),
            };
            let units: Vec<&AdminUnit> = units
                .into_iter()
                .filter(|u| q.bbox_wgs84.is_none_or(|r| u.geometry.intersects(&r)))
                .collect();
            let page: Vec<&AdminUnit> =
                units.iter().skip(q.offset).take(q.limit).copied().collect();
            let ids = page.iter().map(|u| Json::from(u.code.as_str())).collect();
            (admin_table(c.id, page), ids, units.len())
        }
        Source::Table { layer, id_field } => {
            let mut t = table_of(tables, layer)?;
            let idx = id_field.and_then(|f| t.fields.iter().position(|x| x.name == f));
            let rows: Vec<(usize, civmap_data::export::FeatureRow)> = t
                .rows
                .drain(..)
                .enumerate()
                .filter(|(_, r)| hit(&r.geometry))
                .collect();
            let matched = rows.len();
            let page: Vec<(usize, civmap_data::export::FeatureRow)> =
                rows.into_iter().skip(q.offset).take(q.limit).collect();
            let ids = page
                .iter()
                .map(|(i, r)| match idx {
                    Some(k) => r.values[k].to_json(),
                    None => Json::from(*i as i64 + 1),
                })
                .collect();
            t.rows = page.into_iter().map(|(_, r)| r).collect();
            (t, ids, matched)
        }
    };
    let features = render_features(&table, ids, q.crs);
    let returned = features.len();
    let page_url = |offset: usize| {
        let mut s = format!(
            "{base}/ogc/collections/{id}/items?limit={}&offset={offset}",
            q.limit
        );
        for (k, v) in &q.kept {
            s.push_str(&format!("&{k}={}", urlencode(v)));
        }
        s
    };
    let mut links =
        vec![json!({"href": page_url(q.offset), "rel": "self", "type": "application/geo+json"})];
    if q.offset + returned < matched {
        links.push(json!({"href": page_url(q.offset + returned), "rel": "next", "type": "application/geo+json"}));
    }
    if q.offset > 0 {
        links.push(json!({"href": page_url(q.offset.saturating_sub(q.limit)), "rel": "prev", "type": "application/geo+json"}));
    }
    links.push(json!({"href": format!("{base}/ogc/collections/{id}"), "rel": "collection", "type": "application/json"}));
    Ok(json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "links": links,
        "features": features,
    }))
}

/// One feature of collection `id`.
pub fn item(
    data: &DataService,
    base: &str,
    id: &str,
    feature_id: &str,
    crs: OgcCrs,
    tables: &[(SurveyLayer, FeatureTable)],
) -> Result<Json, ServiceError> {
    let c = find(id)?;
    let live = data.read();
    let ds = live.data.data();
    let missing =
        || ServiceError::NotFound(format!("no feature {feature_id:?} in collection {id:?}"));
    let (table, fid) = match c.source {
        Source::Admin(level) => {
            let u = admin_units(ds, level)
                .find(|u| u.code.as_str() == feature_id)
                .ok_or_else(missing)?;
            (admin_table(c.id, [u]), Json::from(feature_id))
        }
        Source::Table { layer, id_field } => {
            let mut t = table_of(tables, layer)?;
            let idx = id_field.and_then(|f| t.fields.iter().position(|x| x.name == f));
            let pos = match idx {
                Some(k) => t
                    .rows
                    .iter()
                    .position(|r| r.values[k].to_json() == feature_id),
                None => feature_id
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1 && n <= t.rows.len())
                    .map(|n| n - 1),
            }
            .ok_or_else(missing)?;
            let row = t.rows.swap_remove(pos);
            t.rows = vec![row];
            let fid = match idx {
                Some(_) => Json::from(feature_id),
                None => Json::from(pos as i64 + 1),
            };
            (t, fid)
        }
    };
    let mut f = render_features(&table, vec![fid], crs)
        .pop()
        .ok_or_else(missing)?;
    f["links"] = json!([
        {"href": format!("{base}/ogc/collections/{id}/items/{feature_id}"), "rel": "self", "type": "application/geo+json"},
        {"href": format!("{base}/ogc/collections/{id}"), "rel": "collection", "type": "application/json"},
    ]);
    Ok(f)
}

fn render_features(t: &FeatureTable, ids: Vec<Json>, crs: OgcCrs) -> Vec<Json> {
    let ex = crs.export_crs();
    ids.into_iter()
        .enumerate()
        .map(|(i, fid)| {
            let g = ex.project_geometry(&t.rows[i].geometry);
            feature_from_parts(t, i, fid, &g, crs.swap_axes())
        })
        .collect()
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_is_validated_and_a_past_instant_is_its_edition() {
        let today = "2026-12-05";
        for ok in [
            "2026-12-05",
            "2027-01-01T00:00:00Z",
            "../..",
            "2020-01-01/..",
            "../2030-01-01",
            "2026-12-05T10:00:00.5+08:00",
            "/2027-01-01",
        ] {
            check_datetime(ok, today).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "..",
            "2026-12-05T25:00:00Z",
            "2026-12-05T10:00:00",
            "2027-01-01/2026-12-31",
        ] {
            assert!(check_datetime(bad, today).is_err(), "{bad}");
        }
        // a past instant is the edition in force that day; a past interval is refused
        assert!(matches!(
            check_datetime("2020-12-31", today).unwrap(),
            AsOf::Past { .. }
        ));
        assert!(check_datetime("1990-01-01", today).is_err());
        assert_eq!(check_datetime("2026-12-05", today).unwrap(), AsOf::Today);
        assert!(check_datetime("../2026-12-04", today).is_err());
    }

    #[test]
    fn bbox_follows_the_crs_axis_order() {
        let crs84 = parse_bbox("120,30,121,31", OgcCrs::Crs84).unwrap();
        let lat_lon = parse_bbox(
            "30,120,31,121",
            OgcCrs::parse("crs", "http://www.opengis.net/def/crs/EPSG/0/4490").unwrap(),
        )
        .unwrap();
        assert_eq!(crs84, lat_lon);
        let gk = OgcCrs::parse("bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4549").unwrap();
        let r = parse_bbox("3342389.899,548146.414,3342389.899,548146.414", gk).unwrap();
        assert!(
            (r.min().x - 120.5).abs() < 1e-8 && (r.min().y - 30.2).abs() < 1e-8,
            "{r:?}"
        );
        assert!(parse_bbox("121,30,120,31", OgcCrs::Crs84).is_err());
        assert!(OgcCrs::parse("crs", "EPSG:4549").is_err());
        assert!(OgcCrs::parse("crs", "http://www.opengis.net/def/crs/EPSG/0/3857").is_err());
    }

    #[test]
    fn today_is_a_date() {
        let t = today_utc();
        assert!(instant_date(&t).is_ok() && t.as_str() > "2024-01-01", "{t}");
    }
}
