//! The tile service behind `GET /tiles/{set}/{z}/{x}/{y}.mvt` and `GET /tiles/{set}.json`.
//!
//! Tiles are rendered from the live data on request and kept, raw and gzip-compressed, in a
//! byte-bounded cache. Edits evict only the cached tiles whose (buffered) box touches the
//! edited record's old or new position; a reload evicts everything. A generation counter
//! keeps a tile rendered before an edit from being cached after its eviction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use civmap_data::postgis::{table_name, ChangeTable};
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit, Dataset};
use civmap_tiles::cache::{CachedTile, TileCache};
use civmap_tiles::mercator::world;
use civmap_tiles::mvt::Value as V;
use civmap_tiles::{render_tile, AdminTopology, PolygonFeature, TileId, TileInputs, TileSet};

use crate::service::as_of::{AsOf, AsOfTiles};
use crate::service::coverage::{CoverageQuery, CoverageService};
use crate::service::data::{DataService, LiveData};
use crate::service::error::blocking;
use crate::service::ServiceError;

/// Default tile cache budget.
pub const DEFAULT_CACHE_MB: usize = 256;

/// `Cache-Control` of tiles: short, because edits are live; ETags make revalidation cheap.
pub const TILE_CACHE_CONTROL: &str = "public, max-age=60";

/// Media type of a Mapbox Vector Tile.
pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// The tile service: the admin topology, the cache and its generation.
#[derive(Debug)]
pub struct TileService {
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

impl TileService {
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

/// A tile of `set` (`admin` or `all`) with the admin layers of a past edition and the
/// other layers (facilities, doorplates) of today: the layers are concatenated as the set
/// orders them.
fn render_past(set: TileSet, tile: TileId, today: &TileInputs<'_>, past: &AsOfTiles) -> Vec<u8> {
    let inputs = TileInputs {
        data: &past.data,
        index: &past.index,
        admin: &past.topology,
    };
    let mut out = render_tile(TileSet::Admin, tile, &inputs, &[]);
    if set == TileSet::All {
        out.extend(render_tile(TileSet::Facilities, tile, today, &[]));
        out.extend(render_tile(TileSet::Doorplates, tile, today, &[]));
    }
    out
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

/// Grid cell of service areas in the `coverage` tile set, metres (finer than the API's
/// 50 m default: tiles are drawn at street zooms).
const AREA_CELL_M: f64 = 25.0;
/// Grid cell of gaps in the `gaps` tile set (as `/api/v1/coverage/gaps`'s default).
const GAP_CELL_M: f64 = 200.0;

/// A rendered tile and whether it came from the cache.
#[derive(Debug, Clone)]
pub struct RenderedTile {
    /// Raw and gzipped bytes with their ETag (empty raw = empty tile).
    pub tile: CachedTile,
    /// Served from the cache.
    pub hit: bool,
}

impl TileService {
    /// After a record edit: rebuilds the admin topology when an admin unit changed and
    /// evicts the tiles touching the record's old (`before`) and new position.
    pub fn record_changed(
        &self,
        data: &DataService,
        table: ChangeTable,
        key: &str,
        before: Option<[f64; 4]>,
    ) {
        let after = record_bounds(&data.read(), table, key);
        if matches!(table, ChangeTable::Admin) {
            let topo = Arc::new(AdminTopology::build(&data.read().data.data().admin));
            *self.topology.write().unwrap_or_else(|e| e.into_inner()) = topo;
        }
        let mut dropped = 0;
        for b in [before, after].into_iter().flatten() {
            dropped += self.invalidate(b);
        }
        tracing::debug!(
            "{} {key}: {dropped} cached tiles dropped",
            table_name(table)
        );
    }

    /// After an approved rename of `place` (`unit/<code>` or `facility/<id>`): the labels
    /// of the tiles touching it are drawn again with the new name.
    pub fn names_changed(&self, data: &DataService, place: &str) {
        let (table, key) = match place.split_once('/') {
            Some(("unit", code)) => (ChangeTable::Admin, code),
            Some(("facility", id)) => (ChangeTable::Facilities, id),
            _ => return,
        };
        self.record_changed(data, table, key, None);
    }

    /// The data's bounds `[w, s, e, n]` (TileJSON).
    pub fn bounds(&self) -> [f64; 4] {
        *self.bounds.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A tile of a set: from the cache, or rendered from the live data (`query` holds the
    /// coverage query of the `coverage` and `gaps` sets). With the cache off, the tile is
    /// compressed only when `gzip_wanted`. `as_of` a past day, the `admin` and
    /// `admin_label` layers are that edition's (the other sets refuse it); the edition is
    /// part of the cache key and of the ETag.
    pub async fn tile(
        &self,
        coverage: &Arc<CoverageService>,
        set: TileSet,
        tile: TileId,
        query: Option<&CoverageQuery>,
        gzip_wanted: bool,
        as_of: AsOf,
    ) -> Result<RenderedTile, ServiceError> {
        let (mut query_key, polygons) = match query {
            Some(q) => self.coverage_features(coverage, set, q).await?,
            None => (String::new(), Arc::new(Vec::new())),
        };
        let past = match as_of {
            AsOf::Today => None,
            AsOf::Past { .. } if !matches!(set, TileSet::Admin | TileSet::All) => {
                return Err(ServiceError::invalid(
                    "as_of",
                    format!("only the admin and all tile sets are dated, not {set}"),
                ))
            }
            AsOf::Past { edition, .. } => {
                let data = coverage.shared_data();
                let (view_edition, past) = blocking(move || {
                    let view = data.as_of_view(edition)?;
                    Ok((view.edition.clone(), view.tiles()))
                })
                .await?;
                query_key = format!("as_of={view_edition}");
                Some(past)
            }
        };
        let key = (set.as_str().to_owned(), query_key.clone(), tile);
        if let Some(hit) = self.cache().get(&key) {
            return Ok(RenderedTile {
                tile: hit,
                hit: true,
            });
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let topo = self.topology();
        let raw = {
            let live = coverage.data().read();
            let inputs = TileInputs {
                data: live.data.data(),
                index: live.data.index(),
                admin: &topo,
            };
            match &past {
                None => render_tile(set, tile, &inputs, &polygons),
                Some(p) => render_past(set, tile, &inputs, p),
            }
        };
        let mut cache = self.cache();
        if cache.max_bytes() == 0 {
            drop(cache);
            let etag = format!("\"{:016x}\"", civmap_tiles::hash::fnv1a_64(&raw));
            let gzip = if gzip_wanted && !raw.is_empty() {
                civmap_tiles::cache::gzip(&raw)
            } else {
                Vec::new()
            };
            let tile = CachedTile {
                raw: raw.into(),
                gzip: gzip.into(),
                etag,
            };
            return Ok(RenderedTile { tile, hit: false });
        }
        let mut t = CachedTile::new(raw);
        if !query_key.is_empty() && !t.raw.is_empty() {
            // the same bytes as of another day are another representation
            t.etag = format!(
                "\"{:016x}\"",
                civmap_tiles::hash::fnv1a_64(format!("{}{query_key}", t.etag).as_bytes())
            );
        }
        if self.generation.load(Ordering::SeqCst) == generation {
            cache.insert(key, t.clone());
        }
        Ok(RenderedTile {
            tile: t,
            hit: false,
        })
    }

    /// The polygon features of a `coverage`/`gaps` query and the cache key naming them
    /// (the coverage engine's generation and version are part of it, so edits start new
    /// keys).
    async fn coverage_features(
        &self,
        coverage: &Arc<CoverageService>,
        set: TileSet,
        q: &CoverageQuery,
    ) -> Result<(String, Arc<Vec<PolygonFeature>>), ServiceError> {
        let snap = coverage.engine().await?;
        let scenario = q.scenario_id();
        let key = format!(
            "category={}&minutes={}&profile={:?}&scenario={}&g={}&v={}",
            q.category.id(),
            q.minutes,
            q.key(false).profile,
            scenario.as_deref().unwrap_or(""),
            snap.generation,
            coverage.version()
        );
        let memo_key = format!("{set}?{key}");
        if let Some(f) = self.polygons().get(&memo_key) {
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
            let st = coverage.walk_state(&snap, q).await?;
            let areas = blocking(move || Ok(st.service_area(AREA_CELL_M)?)).await?;
            areas
                .0
                .into_iter()
                .enumerate()
                .map(|(i, poly)| {
                    PolygonFeature::new(
                        i as u64 + 1,
                        &geo::MultiPolygon(vec![poly]),
                        common.clone(),
                    )
                })
                .collect()
        } else {
            let r = coverage.result(&snap, q).await?;
            let engine = snap.engine.clone();
            let gaps = blocking(move || {
                Ok(engine.gaps_by_unit(&r, GAP_CELL_M, Some(AdminLevel::Township))?)
            })
            .await?;
            gaps.into_iter()
                .enumerate()
                .map(|(i, g)| {
                    let mut props = common.clone();
                    // The rank only: tiles are public, and gap counts are below the
                    // unit level (planners read them from /api/v1/coverage/gaps).
                    props.push(("rank".to_owned(), V::from(i as u64 + 1)));
                    PolygonFeature::new(i as u64 + 1, &g.outline, props)
                })
                .collect()
        };
        let features = Arc::new(features);
        let mut memo = self.polygons();
        if memo.len() >= 32 {
            memo.clear();
        }
        memo.insert(memo_key, features.clone());
        Ok((key, features))
    }
}
