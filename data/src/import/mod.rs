//! Importers: GeoJSON, CSV, OSM PBF and (feature `gdal`) any OGR vector format.
//!
//! Every importer turns its input into the same model records and reports what it read,
//! what it kept and why it skipped the rest ([`ImportSummary`]). Input that breaks a rule of
//! the model is an error naming the file, the place (`feature 3`, `line 12`, `blob 2`) and
//! the field, so that the user can fix the file without guessing; nothing is half-imported.
//! Coordinates pass through [`crate::crs`] and are checked before and after conversion.
//!
//! ```no_run
//! use civmap_data::crs::InputCrs;
//! use civmap_data::import::{import_file, ImportFormat, ImportLayer};
//! let imported = import_file(
//!     ImportFormat::Geojson,
//!     "facilities.geojson".as_ref(),
//!     Some(ImportLayer::Facilities),
//!     &InputCrs::Gcj02,
//!     &mut |_done, _total| {},
//! )?;
//! println!("{}", imported.summary);
//! # Ok::<(), civmap_data::DataError>(())
//! ```

mod coords;
mod csv;
#[cfg(feature = "gdal")]
mod gdal;
mod geojson;
pub mod geopackage;
mod layers;
mod osm;
mod record;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use civmap_geo_core::{AdminUnit, Doorplate, Facility, Landmark, WalkNetwork};

use crate::crs::InputCrs;
use crate::DataError;

/// The input format of `civmap import FORMAT FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportFormat {
    /// A GeoJSON FeatureCollection (one layer per file).
    Geojson,
    /// CSV with a header row and `lon`/`lat` columns (point layers only).
    Csv,
    /// An OpenStreetMap PBF extract: walking network, named POIs and mapped facilities.
    Osm,
    /// Any OGR vector format (Shapefile, GeoPackage, …); needs the `gdal` feature.
    Gdal,
}

impl ImportFormat {
    /// Every format, in CLI order.
    pub const ALL: [ImportFormat; 4] = [Self::Geojson, Self::Csv, Self::Osm, Self::Gdal];

    /// The CLI name, e.g. `geojson`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Geojson => "geojson",
            Self::Csv => "csv",
            Self::Osm => "osm",
            Self::Gdal => "gdal",
        }
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportFormat {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == t)
            .ok_or_else(|| {
                DataError::invalid(
                    "<command line>",
                    "format",
                    None,
                    format!("unknown import format {s:?}; expected one of geojson, csv, osm, gdal"),
                )
            })
    }
}

/// The layer a file holds (`--layer`): the one layer registry of geo-core.
pub use civmap_geo_core::Layer as ImportLayer;

/// What an import read, kept and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Input records read (features, CSV rows, or OSM nodes + ways).
    pub read: usize,
    /// Records imported (facilities, doorplates, landmarks, admin units, network edges).
    pub imported: usize,
    /// Records (or OSM way segments) left out, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Further counts by kind, for the summary line: `nodes`, `ways`, `network nodes`, ….
    pub counts: BTreeMap<String, usize>,
}

impl ImportSummary {
    /// Counts one skipped record under `reason`.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_owned()).or_default() += 1;
    }

    /// Total skipped, over all reasons.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "read {} records, imported {}", self.read, self.imported)?;
        if !self.counts.is_empty() {
            let parts: Vec<String> = self
                .counts
                .iter()
                .map(|(k, v)| format!("{v} {k}"))
                .collect();
            write!(f, " ({})", parts.join(", "))?;
        }
        if self.skipped.is_empty() {
            write!(f, "; nothing skipped.")
        } else {
            let parts: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, v)| format!("{v} × {k}"))
                .collect();
            write!(
                f,
                "; skipped {}: {}.",
                self.skipped_total(),
                parts.join("; ")
            )
        }
    }
}

/// The records of one import, in WGS84.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Administrative units.
    pub admin: Vec<AdminUnit>,
    /// Facilities.
    pub facilities: Vec<Facility>,
    /// Doorplates.
    pub doorplates: Vec<Doorplate>,
    /// Landmarks.
    pub landmarks: Vec<Landmark>,
    /// The walking network, when the input had one (OSM).
    pub network: Option<WalkNetwork>,
    /// What was read, kept and skipped.
    pub summary: ImportSummary,
}

/// Imports one file.
///
/// `layer` says what a GeoJSON, CSV or GDAL file holds (required there); for OSM it narrows
/// the output (`None` = network and POIs). `crs` is the CRS the coordinates are given in; OSM
/// is always WGS84. `progress(done, total)` is called as the import advances, in features for
/// GeoJSON and GDAL and in bytes for CSV and OSM.
pub fn import_file(
    format: ImportFormat,
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    match format {
        ImportFormat::Geojson => geojson::import(path, layer, crs, progress),
        ImportFormat::Csv => csv::import(path, layer, crs, progress),
        ImportFormat::Osm => osm::import(path, layer, crs, progress),
        ImportFormat::Gdal => import_gdal(path, layer, crs, progress),
    }
}

/// Imports the contents of one file already in memory, as [`import_file`] does the file;
/// `name` is how errors name it. Serves callers that hold the bytes (an upload, a fuzz
/// target) without a temporary file. GDAL reads only from files, so `Gdal` is refused.
pub fn import_bytes(
    format: ImportFormat,
    name: &str,
    bytes: &[u8],
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    match format {
        ImportFormat::Geojson => geojson::import_bytes(name, bytes, layer, crs, progress),
        ImportFormat::Csv => csv::import_bytes(name, bytes, layer, crs, progress),
        ImportFormat::Osm => osm::import_bytes(name, bytes, layer, crs, progress),
        ImportFormat::Gdal => Err(DataError::invalid(
            name,
            "file",
            None,
            "GDAL import reads from a file, not from memory",
        )),
    }
}

#[cfg(feature = "gdal")]
fn import_gdal(
    path: &Path,
    layer: Option<ImportLayer>,
    crs: &InputCrs,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    gdal::import(path, layer, crs, progress)
}

#[cfg(not(feature = "gdal"))]
fn import_gdal(
    path: &Path,
    _layer: Option<ImportLayer>,
    _crs: &InputCrs,
    _progress: &mut dyn FnMut(u64, u64),
) -> Result<Imported, DataError> {
    Err(DataError::invalid(
        file_name(path),
        "file",
        None,
        "GDAL import needs civmap built with --features gdal",
    ))
}

/// The file name as errors show it.
fn file_name(path: &Path) -> String {
    path.display().to_string()
}

/// The `--layer` a file-per-layer format needs.
fn required_layer(
    file: &str,
    format: ImportFormat,
    layer: Option<ImportLayer>,
) -> Result<ImportLayer, DataError> {
    layer.ok_or_else(|| {
        DataError::invalid(
            file,
            "file",
            None,
            format!(
                "{format} import needs --layer: one of admin, facilities, doorplates, landmarks (a {format} file holds one layer)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_layers_parse_from_their_cli_names() {
        for f in ImportFormat::ALL {
            assert_eq!(f.as_str().parse::<ImportFormat>().unwrap(), f);
        }
        for l in ImportLayer::ALL {
            assert_eq!(l.id().parse::<ImportLayer>().unwrap(), l);
        }
        let e = "roads".parse::<ImportLayer>().unwrap_err().to_string();
        assert!(e.contains("roads") && e.contains("doorplates"), "{e}");
    }

    #[test]
    fn summary_reads_as_one_paragraph() {
        let mut s = ImportSummary {
            read: 10,
            imported: 8,
            ..Default::default()
        };
        s.skip("way references node missing from file");
        s.skip("way references node missing from file");
        let text = s.to_string();
        assert_eq!(
            text,
            "read 10 records, imported 8; skipped 2: 2 × way references node missing from file."
        );
    }
}
