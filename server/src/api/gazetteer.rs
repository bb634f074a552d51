//! The gazetteer routes: search, autocomplete, address parsing and reverse geocoding, over
//! the in-memory [`Gazetteer`](civmap_geo_core::gazetteer::Gazetteer) (Chinese, pinyin,
//! initials, English, typos, homophones, old names, Chinese numerals in house numbers).

use axum::extract::{RawQuery, State};
use axum::response::Response;
use civmap_geo_core::gazetteer::{PlaceKind, SearchHit, SearchOptions, REVERSE_MAX_DISTANCE_M};
use serde_json::{json, Value};

use super::{geojson_bytes, json_bytes, ApiError, Params};
use crate::state::{LiveData, SharedState};

/// Most results a search returns.
pub const MAX_LIMIT: u64 = 50;

fn body(v: &Value) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::Internal(e.to_string()))
}

/// The query text: present, within limits, no control characters (the gazetteer's own
/// checks give the message).
fn query_text(p: &Params) -> Result<String, ApiError> {
    let q = p.get("q").ok_or_else(|| ApiError::bad("q", "required"))?;
    if q.len() > 4096 {
        return Err(ApiError::bad(
            "q",
            format!("too long: {} bytes, at most 256 characters", q.len()),
        ));
    }
    Ok(q.to_owned())
}

fn synthetic_of(live: &LiveData, hit: &SearchHit) -> bool {
    let d = live.data.data();
    let r = hit.record as usize;
    match hit.kind {
        PlaceKind::Admin => d.admin.get(r).is_some_and(|u| u.synthetic),
        PlaceKind::Facility => d.facilities.get(r).is_some_and(|f| f.synthetic),
        PlaceKind::Doorplate => d.doorplates.get(r).is_some_and(|x| x.synthetic),
        PlaceKind::Landmark => d.landmarks.get(r).is_some_and(|x| x.synthetic),
        PlaceKind::Road => d.network.synthetic,
    }
}

fn feature(live: &LiveData, hit: &SearchHit) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [hit.lon, hit.lat]},
        "properties": {
            "name": hit.name,
            "kind": hit.kind.as_str(),
            "code": hit.code,
            "label": hit.label,
            "score": (hit.score * 1e4).round() / 1e4,
            "synthetic": synthetic_of(live, hit),
            "match": hit.how,
            "district": hit.district,
            "township": hit.township,
            "extent": hit.extent,
            "numbers": hit.numbers,
            "quality": hit.address.as_ref().map(|a| a.quality),
            "matched": hit.address.as_ref().map(|a| &a.matched),
            "unmatched": hit.address.as_ref().map(|a| &a.unmatched),
        }
    })
}

fn collection(live: &LiveData, hits: &[SearchHit]) -> Value {
    json!({"type": "FeatureCollection", "features": hits.iter().map(|h| feature(live, h)).collect::<Vec<_>>()})
}

/// `GET /api/v1/search?q&limit&lon&lat&kind`.
pub async fn search(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q", "limit", "lon", "lat", "crs", "kind"])?;
    let text = query_text(&p)?;
    let limit = p.int("limit", 10, 1, MAX_LIMIT)? as usize;
    let near = if p.get("lon").is_some() || p.get("lat").is_some() {
        Some(p.lon_lat()?)
    } else {
        None
    };
    let kinds = p
        .all("kind")
        .into_iter()
        .map(|k| PlaceKind::parse(k).map_err(|e| ApiError::bad("kind", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let live = s.read();
    let hits = live
        .gazetteer
        .search(&text, &SearchOptions { limit, near, kinds })
        .map_err(|e| ApiError::bad("q", e.to_string()))?;
    Ok(geojson_bytes(body(&collection(&live, &hits))?))
}

/// `GET /api/v1/autocomplete?q&limit`.
pub async fn autocomplete(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q", "limit"])?;
    let text = query_text(&p)?;
    let limit = p.int("limit", 10, 1, MAX_LIMIT)? as usize;
    let live = s.read();
    let hits = live
        .gazetteer
        .autocomplete(&text, limit)
        .map_err(|e| ApiError::bad("q", e.to_string()))?;
    Ok(geojson_bytes(body(&collection(&live, &hits))?))
}

/// `GET /api/v1/address/parse?q`.
pub async fn parse_address(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["q"])?;
    let text = query_text(&p)?;
    let live = s.read();
    let parsed = live
        .gazetteer
        .parse_address(&text)
        .map_err(|e| ApiError::bad("q", e.to_string()))?;
    let components = &parsed.components;
    let matched = parsed
        .doorplate
        .and_then(|i| live.data.data().doorplates.get(i as usize))
        .map(|d| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [d.location.x(), d.location.y()]},
                "properties": {"kind": "doorplate", "name": d.address(), "id": d.id,
                    "community": d.community.as_ref().map(|c| c.as_str()), "synthetic": d.synthetic}
            })
        });
    Ok(json_bytes(body(
        &json!({"components": components, "match": matched, "quality": parsed.quality,
                "matched": parsed.matched, "unmatched": parsed.unmatched,
                "number": parsed.number, "sub_number": parsed.sub_number}),
    )?))
}

/// `GET /api/v1/reverse?lon&lat`: the admin chain, the nearest doorplate and the nearest
/// street, with geodesic distances.
pub async fn reverse(
    State(s): State<SharedState>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["lon", "lat", "crs"])?;
    let (lon, lat) = p.lon_lat()?;
    let live = s.read();
    let d = live.data.data();
    let index = live.data.index();
    let chain = super::spatial::admin_chain_json(&live, lon, lat)?;
    // beyond the city's units or farther than REVERSE_MAX_DISTANCE_M from any doorplate:
    // no address (a bounded search, fast from anywhere)
    let nearest = if chain.is_empty() {
        None
    } else {
        index
            .doorplates()
            .nearest_within(lon, lat, REVERSE_MAX_DISTANCE_M)
            .map_err(|e| ApiError::range("lon", e.to_string()))?
    };
    let Some(nearest) = nearest else {
        return Ok(json_bytes(body(
            &json!({"lon": lon, "lat": lat, "chain": [],
            "doorplate": null, "road": null, "outside": true}),
        )?));
    };
    let doorplate = Some(nearest)
        .map(|(i, dist)| {
            let x = &d.doorplates[i as usize];
            json!({"id": x.id, "address": x.address(), "road": x.road, "number": x.number,
                   "lon": x.location.x(), "lat": x.location.y(), "distance_m": (dist * 1000.0).round() / 1000.0,
                   "synthetic": x.synthetic})
        });
    let road = live.snapper.snap(lon, lat).map(|snap| {
        let e = &d.network.edges[snap.edge as usize];
        json!({"name": d.network.road_name(e), "distance_m": (snap.offset_m * 1000.0).round() / 1000.0})
    });
    Ok(json_bytes(body(
        &json!({"lon": lon, "lat": lat, "chain": chain, "doorplate": doorplate, "road": road,
                "outside": false}),
    )?))
}
