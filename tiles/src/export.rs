//! Exporting a tile pyramid for static hosting: PMTiles v3 (one file, served by HTTP range
//! requests) or MBTiles (SQLite).
//!
//! PMTiles are written by the `pmtiles` crate (the one Martin reads them with), built with
//! only its synchronous `write` feature: it streams tiles in tile-id (Hilbert) order, stores
//! identical tiles once and as run lengths, and lays out the header, gzip directories (with
//! leaves when the root would pass 16 KiB) and metadata by the spec. Our tiles arrive
//! already gzipped (the same bytes the tile routes serve), so the writer is told they are
//! precompressed. The end-to-end test reads the file back field by field, with the crate's
//! reader and with the npm `pmtiles` reader.
//!
//! Tiles are rendered on a rayon pool of `threads` threads in batches, in tile-id order, and
//! written as they come, so memory holds a batch, not the pyramid. Both containers are
//! written to a temporary file next to the output ([`temp_path`]), synced and renamed into
//! place when complete: the output path holds the old file or the complete new one, never
//! part of one. A failed export removes its temporary file.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pmtiles::{Compression, PmTilesStreamWriter, PmTilesWriter, TileCoord, TileType};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::cache::gzip;
use crate::hash::fnv1a_64;
use crate::layers::{render_tile, TileInputs, TileSet};
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
    /// The PMTiles writer refused a tile or could not complete the file.
    #[error("{path}: pmtiles: {source}")]
    PmTiles {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: pmtiles::PmtError,
    },
    /// The rendering thread pool could not be started.
    #[error("starting {threads} rendering threads: {source}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// What went wrong.
        source: rayon::ThreadPoolBuildError,
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
    match TileCoord::new(z, x, y) {
        Ok(c) => pmtiles::TileId::from(c).value(),
        // not a tile: sorts after every real one
        Err(_) => u64::MAX,
    }
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

/// Tiles rendered per batch between writes (memory holds one batch of gzipped tiles).
const BATCH: usize = 2048;

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
    let tmp = temp_path(path);
    let result =
        write_archive(inputs, opts, &tiles, &tmp, progress).and_then(|(written, contents)| {
            std::fs::rename(&tmp, path).map_err(io(path))?;
            sync_parent(path);
            Ok((written, contents))
        });
    let (written, contents) = match result {
        Ok(done) => done,
        Err(e) => {
            // a failed export (a full disk, a refused tile) leaves no partial file behind
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let file_bytes = std::fs::metadata(path).map_err(io(path))?.len();
    Ok(ExportSummary {
        tiles_considered: total,
        tiles_written: written,
        tile_contents: contents,
        file_bytes,
        elapsed: t0.elapsed(),
    })
}

/// Syncs the directory of `path` after the rename into it, so that the rename survives a
/// power cut. Best effort: some filesystems refuse to sync a directory, and the archive is
/// in place either way.
fn sync_parent(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The temporary file an export of `path` writes: `NAME.export-tmp` beside it, so exports
/// to `city.pmtiles` and `city.mbtiles` at the same time do not share one. The name is
/// fixed, so a file left by an export that was killed is replaced by the next export to
/// the same output.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".export-tmp");
    path.with_file_name(name)
}

/// Renders and writes the whole archive to `tmp`; returns (tiles written, distinct contents).
fn write_archive(
    inputs: &TileInputs<'_>,
    opts: &ExportOptions,
    tiles: &[TileId],
    tmp: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(u64, u64), ExportError> {
    let total = tiles.len() as u64;
    let mut sink: Box<dyn TileSink> = match opts.format {
        ExportFormat::PmTiles => Box::new(PmTilesSink::new(tmp, opts)?),
        ExportFormat::MbTiles => Box::new(MbTilesSink::new(tmp, &metadata(opts.set, opts))?),
    };
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("civmap-export-{i}"))
        .build()
        .map_err(|source| ExportError::Threads { threads, source })?;
    let mut written = 0u64;
    for (done, batch) in tiles.chunks(BATCH).enumerate() {
        let results: Vec<Option<Vec<u8>>> = pool.install(|| {
            batch
                .par_iter()
                .map(|&tile| {
                    let raw = render_tile(opts.set, tile, inputs, &[]);
                    (!raw.is_empty()).then(|| gzip(&raw))
                })
                .collect()
        });
        for (tile, gz) in batch.iter().zip(results) {
            if let Some(gz) = gz {
                sink.add(*tile, &gz)?;
                written += 1;
            }
        }
        progress(((done * BATCH + batch.len()) as u64).min(total), total);
    }
    let contents = sink.finish(opts)?;
    Ok((written, contents))
}

trait TileSink {
    fn add(&mut self, tile: TileId, gz: &[u8]) -> Result<(), ExportError>;
    /// Completes the file; returns the number of distinct tile contents.
    fn finish(self: Box<Self>, opts: &ExportOptions) -> Result<u64, ExportError>;
}

struct PmTilesSink {
    path: PathBuf,
    writer: PmTilesStreamWriter<File>,
    /// `(FNV-1a, length)` of each distinct tile, for the summary (the writer dedups by its
    /// own content hash).
    contents: HashSet<(u64, usize)>,
}

impl PmTilesSink {
    fn new(path: &Path, opts: &ExportOptions) -> Result<Self, ExportError> {
        let pmt = |source| ExportError::PmTiles {
            path: path.to_owned(),
            source,
        };
        let file = File::create(path).map_err(io(path))?;
        let b = opts.bounds;
        let meta = serde_json::to_string(&metadata(opts.set, opts)).unwrap_or_default();
        let writer = PmTilesWriter::new(TileType::Mvt)
            .precompressed(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(opts.min_zoom)
            .max_zoom(opts.max_zoom)
            .bounds(b[0], b[1], b[2], b[3])
            .center((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
            .center_zoom(center_zoom(opts))
            .metadata(meta)
            .create(file)
            .map_err(pmt)?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            contents: HashSet::new(),
        })
    }
}

/// The zoom a viewer opens at: z10 clamped to the exported zooms.
fn center_zoom(opts: &ExportOptions) -> u8 {
    opts.min_zoom.max(opts.max_zoom.min(10))
}

impl TileSink for PmTilesSink {
    fn add(&mut self, tile: TileId, gz: &[u8]) -> Result<(), ExportError> {
        let pmt = |source| ExportError::PmTiles {
            path: self.path.clone(),
            source,
        };
        let coord = TileCoord::new(tile.z, tile.x, tile.y).map_err(pmt)?;
        self.writer.add_tile(coord, gz).map_err(pmt)?;
        self.contents.insert((fnv1a_64(gz), gz.len()));
        Ok(())
    }

    fn finish(self: Box<Self>, _opts: &ExportOptions) -> Result<u64, ExportError> {
        let Self {
            path,
            writer,
            contents,
        } = *self;
        writer.finalize().map_err(|source| ExportError::PmTiles {
            path: path.clone(),
            source,
        })?;
        // finalize flushed through its buffer; make the bytes durable before the rename
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(io(&path))?;
        Ok(contents.len() as u64)
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
        let center_z = center_zoom(opts);
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
        let Self { path, conn, count } = *self;
        conn.close().map_err(|(_, source)| ExportError::Sqlite {
            path: path.clone(),
            source,
        })?;
        // synchronous=OFF: make the bytes durable before the rename, as for PMTiles
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(io(&path))?;
        Ok(count)
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
    fn exports_to_two_formats_of_one_name_use_different_temporary_files() {
        let pm = temp_path(Path::new("out/city.pmtiles"));
        let mb = temp_path(Path::new("out/city.mbtiles"));
        assert_eq!(pm, Path::new("out/city.pmtiles.export-tmp"));
        assert_eq!(mb, Path::new("out/city.mbtiles.export-tmp"));
        assert_eq!(temp_path(Path::new("city")), Path::new("city.export-tmp"));
    }
}
