//! The HTTP API of `../shared/docs/API.md` (v1), as an axum router.

pub(crate) mod coverage;
mod error;
mod gazetteer;
mod params;
mod spatial;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use civmap_geo_core::{AdminCode, FacilityCategory};
use serde_json::{json, Value};

pub use error::ApiError;
pub use params::Params;

use crate::geojson_out;
use crate::state::SharedState;

/// The API routes, the web map and a JSON 404 for everything else.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/api/v1/layers", get(layers))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/admin", get(admin))
        .route("/api/v1/facilities", get(facilities))
        .route("/api/v1/facilities/nearest", get(spatial::nearest))
        .route("/api/v1/facilities/within", get(spatial::within))
        .route("/api/v1/admin/at", get(spatial::admin_at))
        .route("/api/v1/search", get(gazetteer::search))
        .route("/api/v1/autocomplete", get(gazetteer::autocomplete))
        .route("/api/v1/address/parse", get(gazetteer::parse_address))
        .route("/api/v1/reverse", get(gazetteer::reverse))
        .route("/api/v1/coverage", get(coverage::coverage))
        .route("/api/v1/coverage/area", get(coverage::area))
        .route("/api/v1/coverage/gaps", get(coverage::gaps))
        .route("/api/v1/indicators", get(coverage::indicators))
        .route("/api/v1/scenarios", post(coverage::create_scenario))
        .route(
            "/api/v1/scenarios/{id}",
            get(coverage::get_scenario).delete(coverage::delete_scenario),
        )
        .route("/api/v1/siting", post(coverage::siting))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(crate::tiles_api::tile))
        .route("/tiles/{file}", get(crate::tiles_api::tilejson))
        .merge(crate::web_assets::router())
        .fallback(|uri: axum::http::Uri| async move {
            ApiError::NotFound(format!("no route {}", uri.path()))
        })
        .with_state(state)
        .layer(tower_http::compression::CompressionLayer::new())
}

pub(crate) fn json_bytes(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body.into()).into_response()
}

pub(crate) fn geojson_bytes(body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.into(),
    )
        .into_response()
}

async fn health(State(s): State<SharedState>) -> Json<Value> {
    let live = s.read();
    Json(json!({
        "status": s.status(),
        "store": s.store.as_str(),
        "data": live.data.data().counts(),
        "dataset": live.data.data().meta.name,
        "uptime_s": s.started.elapsed().as_secs(),
        "coverage_engine": if s.coverage.ready() { "ready" } else { "building" },
    }))
}

async fn layers(State(s): State<SharedState>) -> Json<Value> {
    let live = s.read();
    let d = live.data.data();
    Json(json!([
        {"id": "admin", "count": d.admin.len(), "geometry": "polygon", "synthetic": d.admin.iter().any(|u| u.synthetic)},
        {"id": "facilities", "count": d.facilities.len(), "geometry": "point", "synthetic": d.facilities.iter().any(|f| f.synthetic)},
        {"id": "doorplates", "count": d.doorplates.len(), "geometry": "point", "synthetic": d.doorplates.iter().any(|f| f.synthetic)},
        {"id": "landmarks", "count": d.landmarks.len(), "geometry": "point", "synthetic": d.landmarks.iter().any(|f| f.synthetic)},
        {"id": "network", "count": d.network.edges.len(), "nodes": d.network.nodes.len(), "geometry": "line", "synthetic": d.network.synthetic},
    ]))
}

async fn categories(State(s): State<SharedState>) -> Json<Value> {
    let live = s.read();
    let d = live.data.data();
    Json(Value::Array(
        FacilityCategory::ALL
            .iter()
            .map(|c| {
                let count = d.facilities.iter().filter(|f| f.category == *c).count();
                json!({"id": c.id(), "name_zh": c.name_zh(), "name_en": c.name_en(), "count": count})
            })
            .collect(),
    ))
}

async fn admin(State(s): State<SharedState>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["level", "parent"])?;
    let level = p.level("level")?;
    let parent = p
        .get("parent")
        .map(|v| AdminCode::parse(v).map_err(|e| ApiError::bad("parent", e.to_string())))
        .transpose()?;
    let live = s.read();
    if let (Some(l), None) = (level, &parent) {
        if let Some(b) = live.admin_by_level.get(&l) {
            return Ok(geojson_bytes(b.clone()));
        }
    }
    let d = live.data.data();
    if let Some(pc) = &parent {
        if !d.admin.iter().any(|u| &u.code == pc) {
            return Err(ApiError::NotFound(format!("no admin unit with code {pc}")));
        }
    }
    let units: Vec<_> = d
        .admin
        .iter()
        .filter(|u| {
            level.is_none_or(|l| u.level == l)
                && parent
                    .as_ref()
                    .is_none_or(|pc| u.parent.as_ref() == Some(pc))
        })
        .collect();
    Ok(geojson_bytes(geojson_out::admin_collection(&units)))
}

/// Most facilities one response returns.
pub const MAX_FACILITIES: u64 = 50_000;

async fn facilities(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["bbox", "category", "limit"])?;
    let bbox = p.bbox("bbox")?;
    let cats = p.categories("category")?;
    let limit = p.int("limit", 1_000, 1, MAX_FACILITIES)? as usize;
    let filter = (!cats.is_empty()).then_some(&cats[..]);
    let live = s.read();
    let d = live.data.data();
    let mut idx: Vec<u32> = match bbox {
        Some([w, so, e, n]) => live
            .data
            .index()
            .facilities()
            .bbox(w, so, e, n, filter)
            .map_err(|e| ApiError::range("bbox", e.to_string()))?,
        None => (0..d.facilities.len() as u32)
            .filter(|&i| filter.is_none_or(|c| c.contains(&d.facilities[i as usize].category)))
            .collect(),
    };
    idx.sort_unstable_by(|&a, &b| {
        d.facilities[a as usize]
            .id
            .cmp(&d.facilities[b as usize].id)
    });
    let total = idx.len();
    idx.truncate(limit);
    let features: Vec<Value> = idx
        .iter()
        .map(|&i| geojson_out::facility_feature(&d.facilities[i as usize], None))
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features, "numberMatched": total, "numberReturned": features.len()});
    Ok(geojson_bytes(
        serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

async fn openapi() -> Response {
    json_bytes(include_str!("openapi.json"))
}

#[cfg(test)]
mod coverage_tests;
#[cfg(test)]
mod tests;
