//! Exporting a tile pyramid for static hosting: PMTiles v3 (one file, served by HTTP range
//! requests) or MBTiles (SQLite).
//!
//! The PMTiles writer is ours rather than the `pmtiles` crate's: that crate's writer is
//! built around its async readers and object-store backends, while what we need is small
//! and fully specified — a 127-byte header, gzip-compressed directories of varint-encoded
//! entries (delta tile ids, run lengths, lengths, offsets), leaf directories when the root
//! would pass 16 KiB, gzip-compressed tiles in Hilbert (tile id) order with identical tiles
//! stored once, and JSON metadata with `vector_layers`. The end-to-end test reads the file
//! back field by field.
//!
//! Tiles are rendered on `threads` threads in batches, in tile-id order, and written as
//! they come, so memory holds a batch, not the pyramid.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cache::gzip;
use crate::layers::{render_tile, string_feature_id_bytes, TileInputs, TileSet};
use crate::TileId;

/// An export that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// SQLite refused a statement (MBTiles).
    #[error("{path}: sqlite: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: rusqlite::Error,
    },
    /// Zooms out of order or beyond the maximum.
    #[error("zooms {min}..={max}: need min <= max <= {}", TileId::MAX_ZOOM)]
    BadZooms {
        /// Lowest zoom asked.
        min: u8,
        /// Highest zoom asked.
        max: u8,
    },
}

/// Output container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// PMTiles v3.
    PmTiles,
    /// MBTiles 1.3 (SQLite).
    MbTiles,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Tile set.
    pub set: TileSet,
    /// Lowest zoom.
    pub min_zoom: u8,
    /// Highest zoom.
    pub max_zoom: u8,
    /// `[w, s, e, n]` degrees to cover.
    pub bounds: [f64; 4],
    /// Container.
    pub format: ExportFormat,
    /// Rendering threads.
    pub threads: usize,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// Tiles looked at.
    pub tiles_considered: u64,
    /// Non-empty tiles written.
    pub tiles_written: u64,
    /// Distinct tile contents.
    pub tile_contents: u64,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// PMTiles tile id: tiles of lower zooms first, then the Hilbert index within the zoom.
///
/// ```
/// use civmap_tiles::export::pmtiles_tile_id;
/// assert_eq!(pmtiles_tile_id(0, 0, 0), 0);
/// assert_eq!(
///     [(0, 0), (0, 1), (1, 1), (1, 0)].map(|(x, y)| pmtiles_tile_id(1, x, y)),
///     [1, 2, 3, 4]
/// );
/// ```
pub fn pmtiles_tile_id(z: u8, x: u32, y: u32) -> u64 {
    let base: u64 = ((1u64 << (2 * u32::from(z))) - 1) / 3;
    let n: u64 = 1 << z;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    base + d
}

/// The tiles covering `bounds` at zooms `min..=max`, in PMTiles tile-id order.
pub fn covering_tiles(bounds: [f64; 4], min: u8, max: u8) -> Vec<TileId> {
    let mut out = Vec::new();
    for z in min..=max {
        let a = TileId::containing(bounds[0], bounds[3], z);
        let b = TileId::containing(bounds[2], bounds[1], z);
        for x in a.x..=b.x {
            for y in a.y..=b.y {
                out.push(TileId { z, x, y });
            }
        }
    }
    out.sort_by_key(|t| pmtiles_tile_id(t.z, t.x, t.y));
    out
}

/// The metadata JSON both containers carry.
pub fn metadata(set: TileSet, opts: &ExportOptions) -> Value {
    let tj = crate::tilejson::tilejson(set, "", opts.bounds);
    json!({
        "name": tj["name"],
        "description": tj["description"],
        "attribution": tj["attribution"],
        "version": tj["version"],
        "type": "overlay",
        "format": "pbf",
        "minzoom": opts.min_zoom,
        "maxzoom": opts.max_zoom,
        "vector_layers": tj["vector_layers"],
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Renders and writes the pyramid; `progress(done, total)` is called after each batch.
pub fn export(
    inputs: &TileInputs<'_>,
    opts: &ExportOptions,
    path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ExportSummary, ExportError> {
    if opts.min_zoom > opts.max_zoom || opts.max_zoom > TileId::MAX_ZOOM {
        return Err(ExportError::BadZooms {
            min: opts.min_zoom,
            max: opts.max_zoom,
        });
    }
    let t0 = Instant::now();
    let tiles = covering_tiles(opts.bounds, opts.min_zoom, opts.max_zoom);
    let total = tiles.len() as u64;
    let tmp = path.with_extension("export-tmp");
    let mut sink: Box<dyn TileSink> = match opts.format {
        ExportFormat::PmTiles => Box::new(PmTilesSink::new(&tmp)?),
        ExportFormat::MbTiles => Box::new(MbTilesSink::new(&tmp, &metadata(opts.set, opts))?),
    };
    let threads = opts.threads.max(1);
    let mut written = 0u64;
    for (done, batch) in tiles.chunks(2048).enumerate() {
        let next = AtomicUsize::new(0);
        let mut results: Vec<Option<Vec<u8>>> = vec![None; batch.len()];
        let parts: Vec<Vec<(usize, Vec<u8>)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&tile) = batch.get(i) else { break };
                            let raw = render_tile(opts.set, tile, inputs, &[]);
                            if !raw.is_empty() {
                                mine.push((i, gzip(&raw)));
                            }
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (i, gz) in parts.into_iter().flatten() {
            results[i] = Some(gz);
        }
        for (tile, gz) in batch.iter().zip(results) {
            if let Some(gz) = gz {
                sink.add(*tile, &gz)?;
                written += 1;
            }
        }
        progress(((done * 2048 + batch.len()) as u64).min(total), total);
    }
    let contents = sink.finish(opts)?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    let file_bytes = std::fs::metadata(path).map_err(io(path))?.len();
    Ok(ExportSummary {
        tiles_considered: total,
        tiles_written: written,
        tile_contents: contents,
        file_bytes,
        elapsed: t0.elapsed(),
    })
}

trait TileSink {
    fn add(&mut self, tile: TileId, gz: &[u8]) -> Result<(), ExportError>;
    /// Completes the file; returns the number of distinct tile contents.
    fn finish(self: Box<Self>, opts: &ExportOptions) -> Result<u64, ExportError>;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

struct PmTilesSink {
    path: PathBuf,
    data_path: PathBuf,
    data: BufWriter<File>,
    data_len: u64,
    entries: Vec<Entry>,
    seen: HashMap<(u64, usize), u64>,
}

impl PmTilesSink {
    fn new(path: &Path) -> Result<Self, ExportError> {
        let data_path = path.with_extension("export-data");
        let data = BufWriter::new(File::create(&data_path).map_err(io(&data_path))?);
        Ok(Self {
            path: path.to_owned(),
            data_path,
            data,
            data_len: 0,
            entries: Vec::new(),
            seen: HashMap::new(),
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6);
    put_varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        put_varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        put_varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        put_varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        if i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length) {
            put_varint(&mut out, 0);
        } else {
            put_varint(&mut out, e.offset + 1);
        }
    }
    gzip(&out)
}

/// Root directory and leaves: leaves only when the root would not fit the first 16 KiB.
fn directories(entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
    let root = directory(entries);
    if root.len() <= 16384 - 127 {
        return (root, Vec::new());
    }
    let mut leaf_size = 4096;
    loop {
        let mut leaves = Vec::new();
        let mut root_entries = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = directory(chunk);
            root_entries.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = directory(&root_entries);
        if root.len() <= 16384 - 127 {
            return (root, leaves);
        }
        leaf_size *= 2;
    }
}

fn e7(v: f64) -> i32 {
    (v * 1e7).round() as i32
}

impl TileSink for PmTilesSink {
    fn add(&mut self, tile: TileId, gz: &[u8]) -> Result<(), ExportError> {
        let tile_id = pmtiles_tile_id(tile.z, tile.x, tile.y);
        let key = (string_feature_id_bytes(gz), gz.len());
        let offset = match self.seen.get(&key) {
            Some(&o) => o,
            None => {
                let o = self.data_len;
                self.data.write_all(gz).map_err(io(&self.data_path))?;
                self.data_len += gz.len() as u64;
                self.seen.insert(key, o);
                o
            }
        };
        if let Some(last) = self.entries.last_mut() {
            if last.offset == offset && last.tile_id + u64::from(last.run_length) == tile_id {
                last.run_length += 1;
                return Ok(());
            }
        }
        self.entries.push(Entry {
            tile_id,
            offset,
            length: gz.len() as u32,
            run_length: 1,
        });
        Ok(())
    }

    fn finish(self: Box<Self>, opts: &ExportOptions) -> Result<u64, ExportError> {
        let Self {
            path,
            data_path,
            data,
            data_len,
            entries,
            seen,
        } = *self;
        data.into_inner()
            .map_err(|e| io(&data_path)(e.into_error()))?
            .sync_all()
            .map_err(io(&data_path))?;
        let (root, leaves) = directories(&entries);
        let meta = gzip(
            serde_json::to_string(&metadata(opts.set, opts))
                .unwrap_or_default()
                .as_bytes(),
        );
        let root_off = 127u64;
        let meta_off = root_off + root.len() as u64;
        let leaf_off = meta_off + meta.len() as u64;
        let data_off = leaf_off + leaves.len() as u64;
        let addressed: u64 = entries.iter().map(|e| u64::from(e.run_length)).sum();
        let b = opts.bounds;
        let mut h = Vec::with_capacity(127);
        h.extend_from_slice(b"PMTiles");
        h.push(3);
        for v in [
            root_off,
            root.len() as u64,
            meta_off,
            meta.len() as u64,
            leaf_off,
            leaves.len() as u64,
            data_off,
            data_len,
            addressed,
            entries.len() as u64,
            seen.len() as u64,
        ] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[1, 2, 2, 1, opts.min_zoom, opts.max_zoom]);
        for v in [b[0], b[1], b[2], b[3]] {
            h.extend_from_slice(&e7(v).to_le_bytes());
        }
        h.push(opts.min_zoom.max(opts.max_zoom.min(10)));
        h.extend_from_slice(&e7((b[0] + b[2]) / 2.0).to_le_bytes());
        h.extend_from_slice(&e7((b[1] + b[3]) / 2.0).to_le_bytes());
        debug_assert_eq!(h.len(), 127);
        let mut out = BufWriter::new(File::create(&path).map_err(io(&path))?);
        out.write_all(&h).map_err(io(&path))?;
        out.write_all(&root).map_err(io(&path))?;
        out.write_all(&meta).map_err(io(&path))?;
        out.write_all(&leaves).map_err(io(&path))?;
        let mut src = File::open(&data_path).map_err(io(&data_path))?;
        src.seek(SeekFrom::Start(0)).map_err(io(&data_path))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = src.read(&mut buf).map_err(io(&data_path))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(io(&path))?;
        }
        out.into_inner()
            .map_err(|e| io(&path)(e.into_error()))?
            .sync_all()
            .map_err(io(&path))?;
        let _ = std::fs::remove_file(&data_path);
        Ok(seen.len() as u64)
    }
}

struct MbTilesSink {
    path: PathBuf,
    conn: rusqlite::Connection,
    count: u64,
}

impl MbTilesSink {
    fn new(path: &Path, meta: &Value) -> Result<Self, ExportError> {
        let _ = std::fs::remove_file(path);
        let sql = |source| ExportError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = rusqlite::Connection::open(path).map_err(sql)?;
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
             CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             BEGIN;",
        )
        .map_err(sql)?;
        let fields = [
            ("name", meta["name"].as_str().unwrap_or("civmap").to_owned()),
            ("format", "pbf".to_owned()),
            ("type", "overlay".to_owned()),
            ("version", meta["version"].as_str().unwrap_or("").to_owned()),
            (
                "description",
                meta["description"].as_str().unwrap_or("").to_owned(),
            ),
            (
                "attribution",
                meta["attribution"].as_str().unwrap_or("").to_owned(),
            ),
            ("minzoom", meta["minzoom"].to_string()),
            ("maxzoom", meta["maxzoom"].to_string()),
            (
                "json",
                json!({"vector_layers": meta["vector_layers"]}).to_string(),
            ),
        ];
        for (k, v) in fields {
            conn.execute("INSERT INTO metadata VALUES (?1, ?2)", (k, v))
                .map_err(sql)?;
        }
        Ok(Self {
            path: path.to_owned(),
            conn,
            count: 0,
        })
    }
}

impl TileSink for MbTilesSink {
    fn add(&mut self, tile: TileId, gz: &[u8]) -> Result<(), ExportError> {
        let tms_row = (1u32 << tile.z) - 1 - tile.y;
        self.conn
            .prepare_cached("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute((tile.z, tile.x, tms_row, gz)))
            .map_err(|source| ExportError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        self.count += 1;
        Ok(())
    }

    fn finish(self: Box<Self>, opts: &ExportOptions) -> Result<u64, ExportError> {
        let b = opts.bounds;
        let sql = |source| ExportError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let center_z = opts.min_zoom.max(opts.max_zoom.min(10));
        for (k, v) in [
            ("bounds", format!("{},{},{},{}", b[0], b[1], b[2], b[3])),
            (
                "center",
                format!("{},{},{center_z}", (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0),
            ),
        ] {
            self.conn
                .execute("INSERT INTO metadata VALUES (?1, ?2)", (k, v))
                .map_err(sql)?;
        }
        self.conn
            .execute_batch(
                "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
                 CREATE UNIQUE INDEX name ON metadata (name);
                 COMMIT;",
            )
            .map_err(sql)?;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hilbert_ids_match_the_pmtiles_reference_values() {
        // values from the PMTiles spec's reference implementation tests
        assert_eq!(pmtiles_tile_id(2, 0, 0), 5);
        assert_eq!(pmtiles_tile_id(3, 0, 0), 21);
        assert_eq!(pmtiles_tile_id(3, 7, 0), 84);
        assert_eq!(pmtiles_tile_id(20, 0, 0), 366_503_875_925);
    }

    #[test]
    fn directory_offsets_use_zero_for_contiguous_entries() {
        let e = |tile_id, offset, length| Entry {
            tile_id,
            offset,
            length,
            run_length: 1,
        };
        let raw = {
            let gz = directory(&[e(5, 0, 10), e(7, 10, 4)]);
            let mut d = flate2::read::GzDecoder::new(&gz[..]);
            let mut v = Vec::new();
            d.read_to_end(&mut v).unwrap();
            v
        };
        assert_eq!(raw, vec![2, 5, 2, 1, 1, 10, 4, 1, 0]);
    }
}
