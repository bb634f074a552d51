//! Temporary files renamed into place, so that a failed export leaves nothing behind.

use std::fs;
use std::path::{Path, PathBuf};

use super::ExportError;

/// A file being written: `.NAME.PID.export.tmp` beside the target until [`Self::commit`].
/// Dropped without committing, it removes the temporary file.
#[derive(Debug)]
pub(crate) struct TempTarget {
    pub(crate) tmp: PathBuf,
    target: PathBuf,
    done: bool,
}

impl TempTarget {
    /// A temporary path for `target` (its directory is created when missing).
    pub(crate) fn new(target: &Path) -> Result<Self, ExportError> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| ExportError::io(&dir, e))?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export");
        let tmp = dir.join(format!(".{name}.{}.export.tmp", std::process::id()));
        let _ = fs::remove_file(&tmp);
        Ok(Self {
            tmp,
            target: target.to_path_buf(),
            done: false,
        })
    }

    /// Writes `bytes` to the temporary file (synced).
    pub(crate) fn write_all(&self, bytes: &[u8]) -> Result<(), ExportError> {
        use std::io::Write;
        let mut f = fs::File::create(&self.tmp).map_err(|e| ExportError::io(&self.tmp, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| ExportError::io(&self.tmp, e))
    }

    /// Renames the temporary file over the target.
    pub(crate) fn commit(mut self) -> Result<(), ExportError> {
        fs::rename(&self.tmp, &self.target).map_err(|e| ExportError::io(&self.target, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for TempTarget {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes each `(path, bytes)` to its temporary file, then renames them all into place:
/// nothing is renamed unless every file was written.
pub(crate) fn write_all_then_rename(files: &[(PathBuf, Vec<u8>)]) -> Result<(), ExportError> {
    let mut temps = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let t = TempTarget::new(path)?;
        t.write_all(bytes)?;
        temps.push(t);
    }
    for t in temps {
        t.commit()?;
    }
    Ok(())
}
