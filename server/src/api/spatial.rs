//! The spatial-core routes: nearest facilities, facilities within a radius, and the admin
//! chain at a point — answered from the R-trees with exact geodesic distances.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::{geojson_bytes, json_bytes, ApiError, Params};
use crate::geojson_out;
use crate::state::SharedState;

/// Largest `k` for nearest.
pub const MAX_K: u64 = 100;
/// Largest radius for within, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;

fn collection(s: &SharedState, hits: &[(u32, f64)]) -> Result<Response, ApiError> {
    let live = s.read();
    let d = live.data.data();
    let features: Vec<Value> = hits
        .iter()
        .map(|&(i, dist)| geojson_out::facility_feature(&d.facilities[i as usize], Some(dist)))
        .collect();
    let body = json!({"type": "FeatureCollection", "features": features});
    Ok(geojson_bytes(
        serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// `GET /api/v1/facilities/nearest?lon&lat&category&k&mode`.
pub async fn nearest(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "category", "k", "mode", "profile"])?;
    let (lon, lat) = p.lon_lat()?;
    let cats = p.categories("category")?;
    let k = p.int("k", 10, 1, MAX_K)? as usize;
    match p.get("mode").unwrap_or("straight") {
        "straight" => {
            if p.get("profile").is_some() {
                return Err(ApiError::bad("profile", "only with mode=walk"));
            }
        }
        "walk" => return nearest_walk(&s, &p, lon, lat, cats, k).await,
        other => {
            return Err(ApiError::bad(
                "mode",
                format!("expected straight or walk, got {other:?}"),
            ))
        }
    }
    let filter = (!cats.is_empty()).then_some(&cats[..]);
    let hits = {
        let live = s.read();
        let index = live.data.index().facilities();
        let mut hits = index
            .nearest(lon, lat, k, filter)
            .map_err(|e| ApiError::range("lon", e.to_string()))?;
        // ties are broken by facility id (the index breaks them by record order): take
        // every record as near as the k-th, order by (distance, id), keep k
        if let Some(&(_, kth)) = hits.last().filter(|_| hits.len() == k) {
            hits = index
                .within(lon, lat, kth, filter)
                .map_err(|e| ApiError::range("lon", e.to_string()))?;
        }
        by_distance_then_id(&live, &mut hits);
        hits.truncate(k);
        hits
    };
    collection(&s, &hits)
}

/// Farthest walk searched for nearest in walk mode, metres.
pub const MAX_WALK_M: f64 = 50_000.0;

/// Nearest in walk mode: distance along the network, snapping legs included (see
/// `CoverageEngine::nearest_walk`), with its time at the profile's speed.
async fn nearest_walk(
    s: &SharedState,
    p: &Params,
    lon: f64,
    lat: f64,
    cats: Vec<civmap_geo_core::FacilityCategory>,
    k: usize,
) -> Result<Response, ApiError> {
    let profile = super::coverage::profile(p)?;
    let snap = crate::coverage_service::CoverageService::engine(s).await?;
    let features: Vec<Value> = {
        let live = s.read();
        let d = live.data.data();
        let index = live.data.index().facilities();
        let filter = (!cats.is_empty()).then_some(&cats[..]);
        let mut hits = snap
            .engine
            .nearest_walk(lon, lat, k, MAX_WALK_M, |r| {
                index
                    .within(lon, lat, r, filter)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(i, _)| {
                        let f = &d.facilities[i as usize];
                        (i, f.location.x(), f.location.y())
                    })
                    .collect()
            })
            .map_err(|e| ApiError::range("lon", e.to_string()))?;
        by_distance_then_id(&live, &mut hits);
        hits.iter()
            .map(|&(i, dist)| {
                let mut f = geojson_out::facility_feature(&d.facilities[i as usize], Some(dist));
                f["properties"]["walk_s"] = json!(dist / profile.speed_m_per_s);
                f["properties"]["mode"] = json!("walk");
                f
            })
            .collect()
    };
    let body = json!({"type": "FeatureCollection", "features": features});
    Ok(geojson_bytes(
        serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// `GET /api/v1/facilities/within?lon&lat&radius_m&category`.
pub async fn within(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs", "category", "radius_m"])?;
    let (lon, lat) = p.lon_lat()?;
    let cats = p.categories("category")?;
    let r = p.float("radius_m")?;
    if !(r > 0.0 && r <= MAX_RADIUS_M) {
        return Err(ApiError::range(
            "radius_m",
            format!("must be > 0 and <= {MAX_RADIUS_M}, got {r}"),
        ));
    }
    let filter = (!cats.is_empty()).then_some(&cats[..]);
    let hits = {
        let live = s.read();
        let mut hits = live
            .data
            .index()
            .facilities()
            .within(lon, lat, r, filter)
            .map_err(|e| ApiError::range("radius_m", e.to_string()))?;
        by_distance_then_id(&live, &mut hits);
        hits
    };
    collection(&s, &hits)
}

/// `GET /api/v1/admin/at?lon&lat`: the units holding the point, city first.
pub async fn admin_at(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs"])?;
    let (lon, lat) = p.lon_lat()?;
    let chain = admin_chain_json(&s.read(), lon, lat)?;
    Ok(json_bytes(
        serde_json::to_vec(&json!({"lon": lon, "lat": lat, "chain": chain}))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// Orders hits by (distance, facility id), the API's tie rule.
fn by_distance_then_id(live: &crate::state::LiveData, hits: &mut [(u32, f64)]) {
    let f = &live.data.data().facilities;
    hits.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then_with(|| f[a.0 as usize].id.cmp(&f[b.0 as usize].id))
    });
}

/// The admin units holding a point, city first, as the API's `chain` array.
pub(super) fn admin_chain_json(
    live: &crate::state::LiveData,
    lon: f64,
    lat: f64,
) -> Result<Vec<Value>, ApiError> {
    let d = live.data.data();
    Ok(live
        .data
        .index()
        .admin_chain(lon, lat)
        .map_err(|e| ApiError::range("lon", e.to_string()))?
        .into_iter()
        .map(|i| {
            let u = &d.admin[i as usize];
            json!({"code": u.code.as_str(), "name": u.name, "level": u.level.as_str(), "synthetic": u.synthetic})
        })
        .collect())
}
