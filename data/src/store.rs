//! Data directories and snapshots. A data directory holds one snapshot file,
//! `dataset.civmap` (a magic header, a format version, then the bincode-encoded
//! [`Dataset`]). Writes go to a temporary file in the same directory, are synced, then
//! renamed over the old one: a reader sees the old dataset or the new one, never half of
//! one, and a failed import leaves the old one in place.

use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use civmap_geo_core::Dataset;

use crate::import::Imported;
use crate::DataError;

const MAGIC: &[u8; 8] = b"CIVMAP\x00\x01";
/// Version of the snapshot encoding; bumped when the model changes shape.
pub const SNAPSHOT_FORMAT: u32 = 1;
/// The snapshot file inside a data directory.
pub const SNAPSHOT_FILE: &str = "dataset.civmap";

/// Writes a snapshot atomically (temp file, fsync, rename).
pub fn write_snapshot(path: &Path, ds: &Dataset) -> Result<(), DataError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("snapshot"),
        std::process::id()
    ));
    let result = (|| {
        let f = fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        w.write_all(MAGIC).map_err(|e| DataError::io(&tmp, e))?;
        w.write_all(&SNAPSHOT_FORMAT.to_le_bytes())
            .map_err(|e| DataError::io(&tmp, e))?;
        bincode::serialize_into(&mut w, ds).map_err(|e| DataError::BadSnapshot {
            path: tmp.clone(),
            message: e.to_string(),
        })?;
        let f = w
            .into_inner()
            .map_err(|e| DataError::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| DataError::io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads a snapshot written by [`write_snapshot`].
pub fn read_snapshot(path: &Path) -> Result<Dataset, DataError> {
    let f = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut head = [0u8; 12];
    r.read_exact(&mut head)
        .map_err(|_| DataError::BadSnapshot {
            path: path.into(),
            message: "too short to be a civmap snapshot".into(),
        })?;
    if &head[..8] != MAGIC {
        return Err(DataError::BadSnapshot {
            path: path.into(),
            message: "not a civmap snapshot (bad magic)".into(),
        });
    }
    let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if version != SNAPSHOT_FORMAT {
        return Err(DataError::BadSnapshot {
            path: path.into(),
            message: format!("snapshot format {version}, this civmap reads {SNAPSHOT_FORMAT}: re-import or regenerate"),
        });
    }
    bincode::deserialize_from(r).map_err(|e| DataError::BadSnapshot {
        path: path.into(),
        message: e.to_string(),
    })
}

/// A directory that `civmap import` writes and `civmap serve --data` serves.
#[derive(Debug, Clone)]
pub struct DataDir {
    path: PathBuf,
}

impl DataDir {
    /// The data directory at `path` (not created until saved).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The snapshot file's path.
    pub fn snapshot_path(&self) -> PathBuf {
        self.path.join(SNAPSHOT_FILE)
    }

    /// Whether the directory holds a dataset.
    pub fn exists(&self) -> bool {
        self.snapshot_path().is_file()
    }

    /// Loads the dataset; an error if there is none.
    pub fn load(&self) -> Result<Dataset, DataError> {
        if !self.exists() {
            return Err(DataError::BadSnapshot {
                path: self.snapshot_path(),
                message: "no dataset here: run `civmap import … --data DIR` first".into(),
            });
        }
        read_snapshot(&self.snapshot_path())
    }

    /// Loads the dataset, or an empty one if the directory has none yet.
    pub fn load_or_empty(&self) -> Result<Dataset, DataError> {
        if self.exists() {
            self.load()
        } else {
            Ok(Dataset::default())
        }
    }

    /// Saves atomically.
    pub fn save(&self, ds: &Dataset) -> Result<(), DataError> {
        write_snapshot(&self.snapshot_path(), ds)
    }

    /// Loads, merges an import, and saves — all or nothing: on any error nothing on disk
    /// changes.
    pub fn apply_import(&self, imported: Imported, source: &str) -> Result<Dataset, DataError> {
        let mut ds = self.load_or_empty()?;
        merge(&mut ds, imported, source)?;
        self.save(&ds)?;
        Ok(ds)
    }
}

/// Merges imported records into a dataset: ids and codes must not collide with records
/// already there (the error names the first collision); an imported network is appended
/// beside any existing one.
pub fn merge(ds: &mut Dataset, imported: Imported, source: &str) -> Result<(), DataError> {
    use std::collections::HashSet;
    let dup = |kind: &str, id: &str| {
        DataError::invalid(
            source,
            format!("{kind} {id}"),
            Some("id"),
            format!("{kind} id {id:?} is already in the data directory"),
        )
    };
    let codes: HashSet<&str> = ds.admin.iter().map(|u| u.code.as_str()).collect();
    if let Some(u) = imported
        .admin
        .iter()
        .find(|u| codes.contains(u.code.as_str()))
    {
        return Err(dup("admin unit", u.code.as_str()));
    }
    let ids: HashSet<&str> = ds.facilities.iter().map(|f| f.id.as_str()).collect();
    if let Some(f) = imported
        .facilities
        .iter()
        .find(|f| ids.contains(f.id.as_str()))
    {
        return Err(dup("facility", &f.id));
    }
    let ids: HashSet<u64> = ds.doorplates.iter().map(|d| d.id).collect();
    if let Some(d) = imported.doorplates.iter().find(|d| ids.contains(&d.id)) {
        return Err(dup("doorplate", &d.id.to_string()));
    }
    let ids: HashSet<&str> = ds.landmarks.iter().map(|l| l.id.as_str()).collect();
    if let Some(l) = imported
        .landmarks
        .iter()
        .find(|l| ids.contains(l.id.as_str()))
    {
        return Err(dup("landmark", &l.id));
    }
    ds.admin.extend(imported.admin);
    ds.facilities.extend(imported.facilities);
    ds.doorplates.extend(imported.doorplates);
    ds.landmarks.extend(imported.landmarks);
    if let Some(net) = imported.network {
        let node_offset = ds.network.nodes.len() as u32;
        let road_offset = ds.network.road_names.len() as u32;
        ds.network.nodes.extend(net.nodes);
        ds.network.road_names.extend(net.road_names);
        ds.network.edges.extend(net.edges.into_iter().map(|mut e| {
            e.from += node_offset;
            e.to += node_offset;
            e.road = e.road.map(|r| r + road_offset);
            e
        }));
        ds.network.synthetic |= net.synthetic;
    }
    if !ds.meta.attribution.iter().any(|a| a.contains(source)) {
        ds.meta.attribution.push(format!("Imported: {source}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let mut ds = Dataset::default();
        ds.meta.name = "t".into();
        let p = dir.path().join("x.civmap");
        write_snapshot(&p, &ds).unwrap();
        assert_eq!(read_snapshot(&p).unwrap(), ds);
        fs::write(&p, b"hello world, not a snapshot").unwrap();
        let err = read_snapshot(&p).unwrap_err().to_string();
        assert!(err.contains("x.civmap") && err.contains("magic"), "{err}");
    }
}

/// Where the default city's snapshot is cached: `$CIVMAP_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/civmap`, else `$HOME/.cache/civmap`, else the system temp dir.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CIVMAP_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("civmap");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("civmap");
    }
    std::env::temp_dir().join("civmap")
}

/// Where the default city came from at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultCitySource {
    /// Generated now (and cached for next time).
    Generated,
    /// Read from the cached snapshot.
    Cache,
}

/// The embedded default city: read from the cache if a snapshot of this generator version,
/// seed and scale is there, else generated and cached (a cache that cannot be written is
/// not an error: the city is still served).
pub fn default_city(
    cache_dir: Option<&Path>,
    cfg: &crate::synthetic::GeneratorConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<(Dataset, DefaultCitySource), DataError> {
    let name = format!(
        "hangzhou-g{}-f{}-seed{}-x{}.civmap",
        crate::synthetic::GENERATOR_VERSION,
        SNAPSHOT_FORMAT,
        cfg.seed,
        cfg.scale
    );
    let path = cache_dir.map(|d| d.join(name));
    if let Some(p) = &path {
        if p.is_file() {
            match read_snapshot(p) {
                Ok(ds) => return Ok((ds, DefaultCitySource::Cache)),
                Err(e) => progress(&format!("ignoring unreadable cache ({e}); regenerating")),
            }
        }
    }
    let ds = crate::synthetic::generate(cfg, progress)?;
    if let Some(p) = &path {
        if let Err(e) = write_snapshot(p, &ds) {
            progress(&format!(
                "could not cache the city ({e}); serving it anyway"
            ));
        }
    }
    Ok((ds, DefaultCitySource::Generated))
}
