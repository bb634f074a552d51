//! The boundary surveyors' routes: one unit with its measures, boundary lines, the
//! validation report and the survey diff.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use civmap_data::accounts::Role;
use civmap_geo_core::{AdminCode, AdminLevel};

use crate::http::auth::Caller;
use crate::http::error::{path_error, ApiError, AuthResponses, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::http::schema::AsOfDay;
use crate::service::as_of::AsOf;
use crate::service::survey::{AdminDetail, BoundaryCollection, ValidationAnswer};
use crate::service::survey_diff::SurveyDiffAnswer;
use crate::service::{ServiceError, SharedState};

/// Runs a survey computation on a blocking thread (the first one builds the products).
async fn blocking<T: Send + 'static>(
    s: &SharedState,
    f: impl FnOnce(&SharedState) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .map_err(ServiceError::internal)?
}

/// One admin unit with its CGCS2000 measures (area, perimeter; Gauss–Krüger values beside
/// them), ancestors and counts.
#[utoipa::path(get, path = "/api/v1/admin/{code}", tag = "surveyors",
    params(
        ("code" = String, Path, description = "12-digit code"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: the unit of the edition in force that day, with `geometry_source`"),
    ),
    responses((status = 200, description = "The unit", body = AdminDetail, content_type = "application/geo+json"), ErrorResponses))]
pub async fn admin_detail(
    State(s): State<SharedState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path(code) = path.map_err(path_error)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["as_of"])?;
    let as_of = p.as_of()?;
    let code = AdminCode::parse(&code).map_err(|e| ApiError::bad("code", e.to_string()))?;
    let detail = blocking(&s, move |s| s.data.admin_detail_as_of(&code, as_of)).await?;
    render::geojson(&detail)
}

/// Boundary lines: one per pair of neighbouring units of a level, between three-unit
/// junctions, and the outer border; with stable ids and CGCS2000 geodesic lengths.
#[utoipa::path(get, path = "/api/v1/boundaries", tag = "surveyors",
    params(
        ("level" = Option<crate::http::schema::LevelName>, Query, description = "district, township or community (default: all)"),
        ("code" = Option<String>, Query, description = "12-digit code: the lines of that unit, at its level"),
        ("as_of" = Option<AsOfDay>, Query, description = "YYYY-MM-DD: the lines between the units of the edition in force that day (shapes from today's polygons; markers are not matched to past lines)"),
    ),
    responses((status = 200, description = "Boundary lines", body = BoundaryCollection, content_type = "application/geo+json"), ErrorResponses))]
pub async fn boundaries(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["level", "code", "as_of"])?;
    let as_of = p.as_of()?;
    let level = p.level("level")?;
    let code = p
        .get("code")
        .map(|v| AdminCode::parse(v).map_err(|e| ApiError::bad("code", e.to_string())))
        .transpose()?;
    let markers = s.register.markers_for_checks().await?;
    let lines = blocking(&s, move |s| match as_of {
        AsOf::Past { edition, .. } => {
            let (view, products) = s.data.survey_products_as_of(edition)?;
            products.boundaries(&view.units, level, code.as_ref(), &[])
        }
        AsOf::Today => {
            let products = s.data.survey_products()?;
            let live = s.data.read();
            products.boundaries(&live.data.data().admin, level, code.as_ref(), &markers)
        }
    })
    .await?;
    render::geojson(&lines)
}

/// The topology validator over every level (or one): polygon validity, overlaps, gaps,
/// slivers, nesting, and markers off their lines; accepted exceptions reported apart.
#[utoipa::path(get, path = "/api/v1/validation", tag = "surveyors",
    params(("level" = Option<crate::http::schema::LevelName>, Query, description = "one level (default: all)")),
    responses((status = 200, description = "The report", body = ValidationAnswer), ErrorResponses))]
pub async fn validation(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["level"])?;
    let levels: Vec<AdminLevel> = match p.level("level")? {
        Some(l) => vec![l],
        None => AdminLevel::ALL.to_vec(),
    };
    let markers = s.register.markers_for_checks().await?;
    let exceptions = s.register.exceptions_in_force().await?;
    let answer = blocking(&s, move |s| {
        let products = s.data.survey_products()?;
        let today = crate::service::survey_diff::today();
        let report = products.report(&levels, Some(&markers), &exceptions, &today);
        Ok(ValidationAnswer::new(&report, &levels, Some(markers.len())))
    })
    .await?;
    render::json(&answer)
}

/// Compares an uploaded survey with the register, per unit and per line (surveyors).
#[utoipa::path(post, path = "/api/v1/survey/diff", tag = "surveyors",
    params(
        ("crs" = Option<String>, Query, description = "the upload's CRS when it does not say: EPSG:4326, EPSG:4490 or a CGCS2000 3° GK zone such as EPSG:4549"),
        ("tolerance_m" = Option<f64>, Query, description = "a unit or line moved by at most this much is unchanged (default 0.05 m)"),
    ),
    request_body(description = "a GeoJSON FeatureCollection of units with `code` (application/geo+json or application/json), or a GeoPackage (application/geopackage+sqlite3)", content = String),
    responses((status = 200, description = "What changed", body = SurveyDiffAnswer), AuthResponses, ErrorResponses),
    security(("bearer" = [])))]
pub async fn survey_diff(
    State(s): State<SharedState>,
    caller: Caller,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    caller.require(Role::Surveyor)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["crs", "tolerance_m"])?;
    let crs = p.get("crs").map(str::to_owned);
    let tolerance_m = match p.get("tolerance_m") {
        Some(_) => p.float("tolerance_m")?,
        None => crate::service::survey_diff::DEFAULT_TOLERANCE_M,
    };
    if !(0.0..=1000.0).contains(&tolerance_m) {
        return Err(ApiError::bad(
            "tolerance_m",
            "must be between 0 and 1000 metres",
        ));
    }
    let (content_type, bytes) = read_upload(&headers, body).await?;
    let answer = blocking(&s, move |s| {
        let survey =
            crate::service::survey_diff::parse_upload(&content_type, &bytes, crs.as_deref())?;
        let live = s.data.read();
        crate::service::survey_diff::diff(&live.data.data().admin, &survey, tolerance_m)
    })
    .await?;
    render::json(&answer)
}

/// A surveyors' layer as a file a GIS opens: GeoPackage, Shapefile (zip), GeoJSON or CSV
/// (zip with `.prj`/`.csvt`), in EPSG:4490 or a CGCS2000 3° Gauss–Krüger zone (surveyors;
/// audited as `export.<layer>`).
#[utoipa::path(get, path = "/api/v1/export/{layer}", tag = "surveyors",
    params(
        ("layer" = String, Path, description = "admin, boundaries, markers or validation"),
        ("format" = String, Query, description = "gpkg, shp, geojson or csv"),
        ("crs" = Option<String>, Query, description = "EPSG:4490 (default) or EPSG:4513..4554, e.g. EPSG:4549"),
        ("level" = Option<crate::http::schema::LevelName>, Query, description = "admin units and lines of one level"),
    ),
    responses((status = 200, description = "The file (Content-Disposition: attachment)", content_type = "application/octet-stream", body = Vec<u8>), AuthResponses, ErrorResponses),
    security(("bearer" = [])))]
pub async fn export(
    State(s): State<SharedState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    use crate::service::survey_tables::SurveyLayer;
    use axum::response::IntoResponse;
    use civmap_data::export::{ExportCrs, ExportFormat};
    caller.require(Role::Surveyor)?;
    let Path(layer) = path.map_err(path_error)?;
    let layer = SurveyLayer::parse(&layer)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["format", "crs", "level"])?;
    let format = ExportFormat::parse(p.get("format").unwrap_or(""))
        .map_err(|e| ApiError::bad("format", e.to_string()))?;
    let crs = match p.get("crs") {
        Some(c) => ExportCrs::parse(c).map_err(|e| ApiError::bad("crs", e.to_string()))?,
        None => ExportCrs::CGCS2000,
    };
    let level = p.level("level")?;
    let audit = caller.record(&format!("export.{}", layer.as_str()), layer.as_str());
    let file = crate::service::survey_tables::export(&s, audit, layer, level, format, crs).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.filename),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

/// The upload of a survey diff request: its media type and bytes, the `file` part of a
/// multipart form taken out (413 beyond [`crate::service::survey_diff::MAX_SURVEY_BYTES`]).
async fn read_upload(
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<(String, axum::body::Bytes), ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(body, crate::service::survey_diff::MAX_SURVEY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge {
            limit_bytes: crate::service::survey_diff::MAX_SURVEY_BYTES,
        })?;
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let (_, media, part) =
            crate::service::survey_diff::multipart_file(&content_type, bytes).await?;
        return Ok((media.to_owned(), part));
    }
    Ok((content_type, bytes))
}
