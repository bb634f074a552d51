//! OGC API – Features routes under `/ogc/` (Part 1 Core, Part 2 CRS by reference): the
//! landing page, conformance, collections and items. Links are absolute, built from the
//! request's `Host`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::http::error::{path_error, ApiError, ErrorResponses};
use crate::http::params::Params;
use crate::http::render;
use crate::service::ogc::{self, ItemsQuery, OgcCrs};
use crate::service::survey_tables::{layer_table, SurveyLayer};
use crate::service::SharedState;

/// `http://HOST` of the request (`http://localhost` without a `Host`).
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// `f=json` (or geojson) is the one output format; anything else is a 400.
fn check_format(p: &Params) -> Result<(), ApiError> {
    match p.get("f") {
        None | Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(()),
        Some(other) => Err(ApiError::bad(
            "f",
            format!("only json is served, not {other:?}"),
        )),
    }
}

fn with_crs(mut r: Response, crs: OgcCrs) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        r.headers_mut().insert("content-crs", v);
    }
    r
}

/// The landing page.
#[utoipa::path(get, path = "/ogc", tag = "ogc",
    params(("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "Links to the API definition, conformance and collections", content_type = "application/json"), ErrorResponses))]
pub async fn landing(headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["f"])?;
    check_format(&p)?;
    render::json(&ogc::landing(&base(&headers)))
}

/// The conformance classes.
#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc",
    params(("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "conformsTo", content_type = "application/json"), ErrorResponses))]
pub async fn conformance(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["f"])?;
    check_format(&p)?;
    render::json(&ogc::conformance())
}

/// The collections.
#[utoipa::path(get, path = "/ogc/collections", tag = "ogc",
    params(("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "Collections with extents and CRSs", content_type = "application/json"), ErrorResponses))]
pub async fn collections(
    State(s): State<SharedState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["f"])?;
    check_format(&p)?;
    let mut tables = Vec::new();
    for layer in ogc::survey_layers() {
        tables.push((layer, layer_table(&s, layer, None).await?));
    }
    render::json(&ogc::collections(&s.data, &base(&headers), &tables)?)
}

/// One collection.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "units, city, districts, townships, communities, boundaries, markers or validation-errors"),
           ("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "The collection", content_type = "application/json"), ErrorResponses))]
pub async fn collection(
    State(s): State<SharedState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["f"])?;
    check_format(&p)?;
    let tables = tables_for(&s, &id).await?;
    render::json(&ogc::collection(&s.data, &base(&headers), &id, &tables)?)
}

/// A page of a collection's features.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}/items", tag = "ogc",
    params(("collectionId" = String, Path, description = "units, city, districts, townships, communities, boundaries, markers or validation-errors"),
           ("limit" = Option<u64>, Query, minimum = 1, maximum = 10000, description = "page size, 1..=10000, default 100"),
           ("offset" = Option<u64>, Query, description = "features skipped (the `next` link carries it)"),
           ("bbox" = Option<String>, Query, description = "x1,y1,x2,y2 in bbox-crs's axis order (CRS84: minlon,minlat,maxlon,maxlat)"),
           ("bbox-crs" = Option<String>, Query, description = "CRS URI of bbox (default CRS84)"),
           ("crs" = Option<String>, Query, description = "CRS URI of the answer: CRS84 (default), EPSG/0/4490 (lat,lon), EPSG/0/4534..4554 (northing,easting)"),
           ("datetime" = Option<String>, Query, description = "RFC 3339 instant or interval; an instant before today: the admin collections as they stood that day (the edition in force; units of unknown shape left out); an interval ending before today: 400"),
           ("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "Features, with numberMatched, numberReturned and next/prev links; Content-Crs header", content_type = "application/geo+json"), ErrorResponses))]
pub async fn items(
    State(s): State<SharedState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&[
        "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f",
    ])?;
    check_format(&p)?;
    let query = ItemsQuery::parse(
        p.get("limit"),
        p.get("offset"),
        p.get("bbox"),
        p.get("bbox-crs"),
        p.get("crs"),
        p.get("datetime"),
        &ogc::today_utc(),
    )?;
    let tables = tables_for(&s, &id).await?;
    let body = ogc::items(&s.data, &base(&headers), &id, &query, &tables)?;
    Ok(with_crs(render::geojson(&body)?, query.crs))
}

/// One feature.
#[utoipa::path(get, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "collection id"),
           ("featureId" = String, Path, description = "feature id (the unit's 12-digit code)"),
           ("crs" = Option<String>, Query, description = "CRS URI of the answer"),
           ("f" = Option<String>, Query, description = "json")),
    responses((status = 200, description = "The feature; Content-Crs header", content_type = "application/geo+json"), ErrorResponses))]
pub async fn item(
    State(s): State<SharedState>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let Path((id, feature)) = path.map_err(path_error)?;
    let p = Params::parse(q.as_deref())?;
    p.only(&["crs", "f"])?;
    check_format(&p)?;
    let crs = p
        .get("crs")
        .map(|c| OgcCrs::parse("crs", c))
        .transpose()?
        .unwrap_or(OgcCrs::Crs84);
    let tables = tables_for(&s, &id).await?;
    let body = ogc::item(&s.data, &base(&headers), &id, &feature, crs, &tables)?;
    Ok(with_crs(render::geojson(&body)?, crs))
}

/// `/ogc/` answers as `/ogc`.
pub async fn landing_slash(headers: HeaderMap, q: RawQuery) -> Response {
    landing(headers, q).await.into_response()
}

/// The surveyors' table collection `id` needs (none for the admin collections).
async fn tables_for(
    s: &SharedState,
    id: &str,
) -> Result<Vec<(SurveyLayer, civmap_data::export::FeatureTable)>, ApiError> {
    Ok(match ogc::survey_layer(id) {
        Some(layer) => vec![(layer, layer_table(s, layer, None).await?)],
        None => Vec::new(),
    })
}
