//! The tile routes: `GET /tiles/{set}/{z}/{x}/{y}.mvt` and `GET /tiles/{set}.json`.
//!
//! Tiles are rendered from the live data on request and kept, raw and gzip-compressed, in a
//! byte-bounded cache. Edits evict only the cached tiles whose (buffered) box touches the
//! edited record's old or new position; a reload evicts everything. A generation counter
//! keeps a tile rendered before an edit from being cached after its eviction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use civmap_data::postgis::ChangeTable;
use civmap_geo_core::{AdminCode, AdminUnit, Dataset};
use civmap_tiles::cache::{gzip, CachedTile, TileCache};
use civmap_tiles::mercator::world;
use civmap_tiles::{
    render_tile, AdminTopology, PolygonFeature, TileError, TileId, TileInputs, TileSet,
};

use crate::api::{ApiError, Params};
use crate::state::{LiveData, SharedState};

/// Default tile cache budget.
pub const DEFAULT_CACHE_MB: usize = 256;

/// `Cache-Control` of tiles: short, because edits are live; ETags make revalidation cheap.
pub const TILE_CACHE_CONTROL: &str = "public, max-age=60";

/// Media type of a Mapbox Vector Tile.
pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// Tile state shared by every request: the admin topology, the cache and its generation.
#[derive(Debug)]
pub struct TileState {
    topology: RwLock<Arc<AdminTopology>>,
    bounds: RwLock<[f64; 4]>,
    cache: Mutex<TileCache>,
    generation: AtomicU64,
    /// Projected `coverage`/`gaps` polygons per query (a few recent ones).
    polygons: Mutex<HashMap<String, Arc<Vec<PolygonFeature>>>>,
}

/// `[w, s, e, n]` of the admin units (the whole of China's east when there are none).
pub fn data_bounds(admin: &[AdminUnit]) -> [f64; 4] {
    use geo::BoundingRect;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for r in admin.iter().filter_map(|u| u.geometry.bounding_rect()) {
        b = [
            b[0].min(r.min().x),
            b[1].min(r.min().y),
            b[2].max(r.max().x),
            b[3].max(r.max().y),
        ];
    }
    if b[0].is_finite() {
        b
    } else {
        [118.0, 29.0, 121.0, 31.0]
    }
}

impl TileState {
    /// Builds the admin topology of a dataset, with the default cache budget.
    pub fn new(data: &Dataset) -> Self {
        Self {
            topology: RwLock::new(Arc::new(AdminTopology::build(&data.admin))),
            bounds: RwLock::new(data_bounds(&data.admin)),
            cache: Mutex::new(TileCache::new(DEFAULT_CACHE_MB << 20)),
            generation: AtomicU64::new(0),
            polygons: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the cache budget (0 disables the cache) and empties it.
    pub fn set_cache_bytes(&self, bytes: usize) {
        *self.cache() = TileCache::new(bytes);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn polygons(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<PolygonFeature>>>> {
        self.polygons.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, TileCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current admin topology.
    pub fn topology(&self) -> Arc<AdminTopology> {
        self.topology
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// After a full reload: new topology, empty cache.
    pub fn reload(&self, data: &Dataset) {
        let topo = Arc::new(AdminTopology::build(&data.admin));
        *self.topology.write().unwrap_or_else(|e| e.into_inner()) = topo;
        *self.bounds.write().unwrap_or_else(|e| e.into_inner()) = data_bounds(&data.admin);
        let mut cache = self.cache();
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.clear();
    }

    /// Evicts the cached tiles touching a world box; returns how many.
    pub fn invalidate(&self, world_box: [f64; 4]) -> usize {
        let mut cache = self.cache();
        self.generation.fetch_add(1, Ordering::SeqCst);
        cache.invalidate_world_box(world_box)
    }
}

/// The world box of the record a change names, as it is now in `live` (`None` when absent).
pub fn record_bounds(live: &LiveData, table: ChangeTable, key: &str) -> Option<[f64; 4]> {
    let d = live.data.data();
    let point = |lon: f64, lat: f64| {
        let [x, y] = world(lon, lat);
        [x, y, x, y]
    };
    match table {
        ChangeTable::Facilities => live
            .data
            .facility_record(key)
            .and_then(|r| d.facilities.get(r as usize))
            .map(|f| point(f.location.x(), f.location.y())),
        ChangeTable::Doorplates => {
            let id: u64 = key.parse().ok()?;
            d.doorplates
                .iter()
                .find(|p| p.id == id)
                .map(|p| point(p.location.x(), p.location.y()))
        }
        ChangeTable::Admin => {
            use geo::BoundingRect;
            let code = AdminCode::parse(key).ok()?;
            let r = d
                .admin
                .iter()
                .find(|u| u.code == code)?
                .geometry
                .bounding_rect()?;
            let [x0, y1] = world(r.min().x, r.min().y);
            let [x1, y0] = world(r.max().x, r.max().y);
            Some([x0, y0, x1, y1])
        }
        _ => None,
    }
}

/// After a record edit: rebuilds the admin topology when an admin unit changed and evicts
/// the tiles touching the record's old (`before`) and new position.
pub fn record_changed(
    state: &SharedState,
    table: ChangeTable,
    key: &str,
    before: Option<[f64; 4]>,
) {
    let after = record_bounds(&state.read(), table, key);
    if matches!(table, ChangeTable::Admin) {
        let topo = Arc::new(AdminTopology::build(&state.read().data.data().admin));
        *state
            .tiles
            .topology
            .write()
            .unwrap_or_else(|e| e.into_inner()) = topo;
    }
    let mut dropped = 0;
    for b in [before, after].into_iter().flatten() {
        dropped += state.tiles.invalidate(b);
    }
    tracing::debug!(
        "{} {key}: {dropped} cached tiles dropped",
        table.table_name()
    );
}

fn tile_error(e: TileError) -> ApiError {
    match e {
        TileError::ZoomOutOfRange { .. } => ApiError::bad("z", e.to_string()),
        _ => ApiError::bad("x", e.to_string()),
    }
}

fn parse_set(s: &str) -> Result<TileSet, ApiError> {
    s.parse()
        .map_err(|e: civmap_tiles::layers::UnknownTileSet| ApiError::bad("layer", e.to_string()))
}

/// Query parameters of the `coverage` and `gaps` sets.
const COVERAGE_PARAMS: [&str; 4] = ["category", "minutes", "profile", "scenario"];

/// Grid cell of service areas (as `/api/v1/coverage/area`'s default).
const AREA_CELL_M: f64 = 25.0;
/// Grid cell of gaps (as `/api/v1/coverage/gaps`'s default).
const GAP_CELL_M: f64 = 200.0;

/// The polygon features of a `coverage`/`gaps` query and the cache key naming them (the
/// coverage engine's generation and version are part of it, so edits start new keys).
async fn coverage_features(
    s: &SharedState,
    set: TileSet,
    p: &Params,
) -> Result<(String, Arc<Vec<PolygonFeature>>), ApiError> {
    use civmap_tiles::mvt::Value as V;
    p.only(&COVERAGE_PARAMS)?;
    let q = crate::api::coverage::query(s, p)?;
    let snap = crate::coverage_service::CoverageService::engine(s).await?;
    let scenario = q.scenario.as_ref().map(|sc| sc.id.clone());
    let key = format!(
        "category={}&minutes={}&profile={}&scenario={}&g={}&v={}",
        q.category.id(),
        q.minutes,
        p.get("profile").unwrap_or(""),
        scenario.as_deref().unwrap_or(""),
        snap.generation,
        s.coverage.version()
    );
    let memo_key = format!("{set}?{key}");
    if let Some(f) = s.tiles.polygons().get(&memo_key) {
        return Ok((key, f.clone()));
    }
    let mut common = vec![
        ("category".to_owned(), V::from(q.category.id())),
        ("minutes".to_owned(), V::from(q.minutes)),
    ];
    if let Some(sc) = &scenario {
        common.push(("scenario".to_owned(), V::from(sc.as_str())));
    }
    let features: Vec<PolygonFeature> = if set == TileSet::Coverage {
        let st = crate::api::coverage::walk_state(s, &snap, &q).await?;
        let areas = tokio::task::spawn_blocking(move || st.service_area(AREA_CELL_M))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        areas
            .0
            .into_iter()
            .enumerate()
            .map(|(i, poly)| {
                PolygonFeature::new(i as u64 + 1, &geo::MultiPolygon(vec![poly]), common.clone())
            })
            .collect()
    } else {
        let r = crate::api::coverage::result(s, &snap, &q).await?;
        let engine = snap.engine.clone();
        let gaps = tokio::task::spawn_blocking(move || engine.gaps(&r, GAP_CELL_M))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        gaps.into_iter()
            .enumerate()
            .map(|(i, g)| {
                let mut props = common.clone();
                props.push(("rank".to_owned(), V::from(i as u64 + 1)));
                props.push(("elderly".to_owned(), V::from(g.elderly)));
                props.push(("population".to_owned(), V::from(g.residents)));
                PolygonFeature::new(i as u64 + 1, &geo::MultiPolygon(vec![g.polygon]), props)
            })
            .collect()
    };
    let features = Arc::new(features);
    let mut memo = s.tiles.polygons();
    if memo.len() >= 32 {
        memo.clear();
    }
    memo.insert(memo_key, features.clone());
    Ok((key, features))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| {
            let mut parts = e.trim().split(';');
            let name = parts.next().unwrap_or("").trim();
            let q0 = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q0
        })
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        })
}

/// Header saying whether a tile came from the cache (`hit`) or was rendered (`miss`).
pub const CACHE_HEADER: &str = "x-tile-cache";

fn respond(tile: &CachedTile, headers: &HeaderMap, hit: bool) -> Response {
    let mut res = if tile.raw.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else if etag_matches(headers, &tile.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) {
        let mut r = tile.gzip.clone().into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        tile.raw.clone().into_response()
    };
    let h = res.headers_mut();
    if !tile.raw.is_empty() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(MVT_CONTENT_TYPE),
        );
        if let Ok(v) = HeaderValue::from_str(&tile.etag) {
            h.insert(header::ETAG, v);
        }
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(TILE_CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        CACHE_HEADER,
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(s): State<SharedState>,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let set = parse_set(&layer)?;
    let p = Params::parse(q.as_deref())?;
    let z: u8 = z.parse().map_err(|_| {
        ApiError::bad(
            "z",
            format!("expected a zoom 0..={}, got {z:?}", TileId::MAX_ZOOM),
        )
    })?;
    let x: u32 = x
        .parse()
        .map_err(|_| ApiError::bad("x", format!("expected a column number, got {x:?}")))?;
    let y: u32 = y
        .strip_suffix(".mvt")
        .ok_or_else(|| ApiError::bad("y", format!("expected {{y}}.mvt, got {y:?}")))?
        .parse()
        .map_err(|_| ApiError::bad("y", format!("expected a row number, got {y:?}")))?;
    let tile = TileId::new(z, x, y).map_err(|e| match e {
        TileError::XyOutOfRange { x, limit, .. } if x < limit => ApiError::bad("y", e.to_string()),
        e => tile_error(e),
    })?;
    let (query_key, polygons) = if matches!(set, TileSet::Coverage | TileSet::Gaps) {
        coverage_features(&s, set, &p).await?
    } else {
        p.only(&[])?;
        (String::new(), Arc::new(Vec::new()))
    };
    let key = (set.as_str().to_owned(), query_key, tile);
    if let Some(hit) = s.tiles.cache().get(&key) {
        return Ok(respond(&hit, &headers, true));
    }
    let generation = s.tiles.generation.load(Ordering::SeqCst);
    let topo = s.tiles.topology();
    let raw = {
        let live = s.read();
        let inputs = TileInputs {
            data: live.data.data(),
            index: live.data.index(),
            admin: &topo,
        };
        render_tile(set, tile, &inputs, &polygons)
    };
    let mut cache = s.tiles.cache();
    if cache.max_bytes() == 0 {
        drop(cache);
        // no cache: compress only when asked
        let etag = format!(
            "\"{:016x}\"",
            civmap_tiles::layers::string_feature_id_bytes(&raw)
        );
        let gz = if accepts_gzip(&headers) && !raw.is_empty() {
            gzip(&raw)
        } else {
            Vec::new()
        };
        let t = CachedTile {
            raw: raw.into(),
            gzip: gz.into(),
            etag,
        };
        return Ok(respond(&t, &headers, false));
    }
    let t = CachedTile::new(raw);
    if s.tiles.generation.load(Ordering::SeqCst) == generation {
        cache.insert(key, t.clone());
    }
    drop(cache);
    Ok(respond(&t, &headers, false))
}

/// `GET /tiles/{layer}.json`: TileJSON 3.0.0 with tile URLs on the request's host.
pub async fn tilejson(
    State(s): State<SharedState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let name = file
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::NotFound(format!("no route /tiles/{file}")))?;
    let set = parse_set(name)?;
    let p = Params::parse(q.as_deref())?;
    let query = if matches!(set, TileSet::Coverage | TileSet::Gaps) {
        p.only(&COVERAGE_PARAMS)?;
        // the same checks the tiles will make, so a bad query fails here
        crate::api::coverage::query(&s, &p)?;
        q.as_deref().map(|q| format!("?{q}")).unwrap_or_default()
    } else {
        p.only(&[])?;
        String::new()
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    let url = format!("{scheme}://{host}/tiles/{set}/{{z}}/{{x}}/{{y}}.mvt{query}");
    let bounds = *s.tiles.bounds.read().unwrap_or_else(|e| e.into_inner());
    let body = civmap_tiles::tilejson::tilejson(set, &url, bounds);
    Ok(crate::api::json_bytes(
        serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}
