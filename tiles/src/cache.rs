//! An in-memory tile cache bounded in bytes, least recently used out first. Each entry keeps
//! the tile raw and gzip-compressed (compressed once, when it is cached) with its ETag, and
//! entries are dropped precisely: those whose tile touches a changed record's box.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use crate::mercator::tile_world_box;
use crate::TileId;

/// A cached tile: raw MVT bytes, their gzip and the ETag.
#[derive(Debug, Clone)]
pub struct CachedTile {
    /// Uncompressed MVT (empty for an empty tile).
    pub raw: bytes::Bytes,
    /// gzip of `raw`.
    pub gzip: bytes::Bytes,
    /// Strong ETag, quoted.
    pub etag: String,
}

impl CachedTile {
    /// Compresses and tags a rendered tile.
    pub fn new(raw: Vec<u8>) -> Self {
        let etag = format!("\"{:016x}\"", crate::hash::fnv1a_64(&raw));
        let gzip = gzip(&raw);
        Self {
            raw: raw.into(),
            gzip: gzip.into(),
            etag,
        }
    }

    fn size(&self) -> usize {
        self.raw.len() + self.gzip.len() + self.etag.len() + 96
    }
}

/// gzip at the default level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // writing to a Vec cannot fail
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// The cache key: tile set name, query (normalised by the caller) and tile.
pub type CacheKey = (String, String, TileId);

/// A byte-bounded LRU of tiles.
///
/// ```
/// use civmap_tiles::cache::{CachedTile, TileCache};
/// use civmap_tiles::TileId;
/// let mut c = TileCache::new(1 << 20);
/// let t = TileId::new(10, 853, 421).unwrap();
/// c.insert(("admin".into(), String::new(), t), CachedTile::new(vec![1, 2, 3]));
/// assert!(c.get(&("admin".into(), String::new(), t)).is_some());
/// c.invalidate_world_box([0.0, 0.0, 1.0, 1.0]);
/// assert!(c.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct TileCache {
    max_bytes: usize,
    bytes: usize,
    tick: u64,
    entries: HashMap<CacheKey, (CachedTile, u64)>,
    order: BTreeMap<u64, CacheKey>,
}

impl TileCache {
    /// A cache holding at most `max_bytes` (0 disables caching).
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            ..Self::default()
        }
    }

    /// The byte budget (0: caching is off).
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A cached tile, marked as recently used.
    pub fn get(&mut self, key: &CacheKey) -> Option<CachedTile> {
        self.tick += 1;
        let tick = self.tick;
        let (tile, t) = self.entries.get_mut(key)?;
        let old = std::mem::replace(t, tick);
        let tile = tile.clone();
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(tick, k);
        }
        Some(tile)
    }

    /// Caches a tile, evicting the least recently used beyond the byte budget.
    pub fn insert(&mut self, key: CacheKey, tile: CachedTile) {
        let size = tile.size();
        if size > self.max_bytes {
            return;
        }
        self.remove(&key);
        self.tick += 1;
        self.bytes += size;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (tile, self.tick));
        while self.bytes > self.max_bytes {
            let Some((_, k)) = self.order.pop_first() else {
                break;
            };
            if let Some((t, _)) = self.entries.remove(&k) {
                self.bytes -= t.size();
            }
        }
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some((t, tick)) = self.entries.remove(key) {
            self.bytes -= t.size();
            self.order.remove(&tick);
        }
    }

    /// Drops every tile (of any set) whose buffered box touches `[min_x, min_y, max_x,
    /// max_y]` in world coordinates; returns how many were dropped.
    pub fn invalidate_world_box(&mut self, b: [f64; 4]) -> usize {
        self.invalidate_where(|_, tile| {
            let t = tile_world_box(tile, crate::layers::BUFFER);
            t[0] <= b[2] && b[0] <= t[2] && t[1] <= b[3] && b[1] <= t[3]
        })
    }

    /// Drops the entries for which `drop(set, tile)` is true.
    pub fn invalidate_where(&mut self, mut drop: impl FnMut(&str, TileId) -> bool) -> usize {
        let keys: Vec<CacheKey> = self
            .entries
            .keys()
            .filter(|(set, _, tile)| drop(set, *tile))
            .cloned()
            .collect();
        for k in &keys {
            self.remove(k);
        }
        keys.len()
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_keeps_the_cache_within_its_budget_and_drops_the_oldest() {
        let mut c = TileCache::new(2000);
        for i in 0..20u32 {
            let t = TileId::new(12, i, 0).unwrap();
            c.insert(
                ("admin".into(), String::new(), t),
                CachedTile::new(vec![i as u8; 100]),
            );
            assert!(c.bytes() <= 2000);
        }
        assert!(c
            .get(&(
                "admin".into(),
                String::new(),
                TileId::new(12, 19, 0).unwrap()
            ))
            .is_some());
        assert!(c
            .get(&(
                "admin".into(),
                String::new(),
                TileId::new(12, 0, 0).unwrap()
            ))
            .is_none());
    }

    #[test]
    fn invalidation_drops_only_tiles_touching_the_box() {
        let mut c = TileCache::new(1 << 20);
        let a = TileId::containing(120.15, 30.27, 14);
        let b = TileId::containing(120.30, 30.27, 14);
        for t in [a, b] {
            c.insert(("all".into(), String::new(), t), CachedTile::new(vec![1]));
        }
        let p = crate::mercator::world(120.15, 30.27);
        assert_eq!(c.invalidate_world_box([p[0], p[1], p[0], p[1]]), 1);
        assert!(c.get(&("all".into(), String::new(), b)).is_some());
    }
}
