//! # civmap-data
//!
//! Getting data into and out of civmap:
//! - [`hangzhou`]: the real Hangzhou reference data compiled into the binary
//!   (Tianditu boundaries, NBS 2023 codes, MCA townships, 2020 census);
//! - [`history`]: reading dated editions of the division list for the history of the
//!   divisions (the five NBS editions 2019–2023 are in [`hangzhou::editions`]);
//! - [`synthetic`]: the deterministic generator that builds the synthetic city on that
//!   real frame (township and community polygons, population, walking network,
//!   doorplates, facilities);
//! - [`import`]: GeoJSON, CSV, OSM PBF and (feature `gdal`) OGR importers;
//! - [`names`]: the place-name rule set (word lists, generic terms, readings, clauses);
//! - [`crs`]: declared input CRS → WGS84 (feature `proj` for any EPSG code);
//! - [`export`]: GeoPackage, Shapefile, GeoJSON and CSV exports in CGCS2000 (EPSG:4490)
//!   or a 3° Gauss–Krüger zone (EPSG:4549), and [`wkb`] with the GeoPackage geometry blob;
//! - [`store`]: data directories and snapshots, written atomically;
//! - [`accounts`]: users, login sessions and the append-only audit log (SQLite in a data
//!   directory, tables in PostGIS);
//! - [`doorplate_aliases`]: renumbered and merged doorplate ids (same stores).
//! - [`scenarios`]: planners' what-if scenarios (same stores), so replicas share them.
//! - [`place_names`]: the name registry's approved names, naming applications, reviews,
//!   announcements and the heritage list (same stores).

pub mod accounts;
pub mod crs;
pub mod doorplate_aliases;
mod error;
pub mod export;
pub mod hangzhou;
pub mod history;
pub mod import;
pub mod names;
pub mod place_names;
pub mod postgis;
pub mod proposals;
pub mod register;
pub mod scenarios;
pub mod store;
pub mod synthetic;
pub mod wkb;

pub use error::DataError;
