//! Data directories and snapshots. A data directory holds one snapshot file,
//! `dataset.civmap` (a magic header, a format version, then the bincode-encoded
//! [`Dataset`]). Writes go to a temporary file in the same directory, are synced, then
//! renamed over the old one: a reader sees the old dataset or the new one, never half of
//! one, and a failed import leaves the old one in place. A writer killed mid-write (SIGKILL,
//! power cut) leaves its temporary file behind; the next write or load of that directory
//! removes it (see [`remove_stale_temps`]).

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

/// The directory of `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The file name of `path` as the temporary files beside it spell it.
fn temp_stem(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("snapshot")
}

/// Removes the temporary files (`.NAME.PID.tmp`) that writers of `path` which no longer run
/// left beside it: a writer killed between creating its temporary file and the rename
/// leaves one, as large as a snapshot, that nothing else would ever remove. A file of a
/// writer that still runs is left alone (its rename would otherwise fail); where there is
/// no `/proc` to tell, nothing is removed. Failures are ignored: this only frees space.
pub fn remove_stale_temps(path: &Path) {
    let prefix = format!(".{}.", temp_stem(path));
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && process_gone(pid) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Syncs a directory after a rename in it, so that the rename itself survives a power cut
/// (the file's bytes were synced before). Best effort: some filesystems refuse to sync a
/// directory, and the new file is in place either way.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether no process `pid` runs (false when it cannot be told: no procfs).
fn process_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

/// Writes a snapshot atomically (temp file, fsync, rename), first removing temporary files
/// that killed writers left.
pub fn write_snapshot(path: &Path, ds: &Dataset) -> Result<(), DataError> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    remove_stale_temps(path);
    let tmp = dir.join(format!(".{}.{}.tmp", temp_stem(path), std::process::id()));
    let result = (|| {
        let f = fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let mut w = BufWriter::new(f);
        w.write_all(MAGIC).map_err(|e| DataError::io(&tmp, e))?;
        w.write_all(&SNAPSHOT_FORMAT.to_le_bytes())
            .map_err(|e| DataError::io(&tmp, e))?;
        // a write that fails (a full disk) is an IO error, not a bad snapshot
        bincode::serialize_into(&mut w, ds).map_err(|e| match *e {
            bincode::ErrorKind::Io(io) => DataError::io(&tmp, io),
            other => DataError::BadSnapshot {
                path: tmp.clone(),
                message: other.to_string(),
            },
        })?;
        let f = w
            .into_inner()
            .map_err(|e| DataError::io(&tmp, e.into_error()))?;
        f.sync_all().map_err(|e| DataError::io(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))?;
        sync_dir(dir);
        Ok(())
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

    /// Loads the dataset; an error if there is none. Removes temporary files that killed
    /// writers left (a directory that is only served would otherwise keep them forever).
    pub fn load(&self) -> Result<Dataset, DataError> {
        remove_stale_temps(&self.snapshot_path());
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

    #[test]
    fn a_write_removes_temporary_files_of_dead_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        // a process that has exited: its PID names a writer that was killed
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".dataset.civmap.{dead}.tmp"));
        // PID 1 runs as long as the system does: a writer still at work
        let live = dir.path().join(".dataset.civmap.1.tmp");
        let other = dir.path().join(".other.civmap.99999999.tmp");
        for f in [&stale, &live, &other] {
            fs::write(f, b"half a snapshot").unwrap();
        }
        data.save(&Dataset::default()).unwrap();
        assert!(
            !stale.exists(),
            "the dead writer's temporary file is removed"
        );
        assert!(live.exists(), "a running writer's file is left alone");
        assert!(other.exists(), "another file's temporaries are not touched");
        fs::write(&stale, b"half a snapshot").unwrap();
        assert_eq!(data.load().unwrap(), Dataset::default());
        assert!(!stale.exists(), "a load removes it too");
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
