//! The civmap server as a library: the command line ([`cli`]), the HTTP layer ([`http`]) and
//! the [`service`] layer under both. The `civmap` binary is a thin `main` over [`cli::Cli`];
//! the library exists so that the fuzz targets (`fuzz/`) and benchmarks can drive the same
//! parsers and services the server runs.
//!
//! Layers (see `docs/architecture.md`): [`cli`] and [`http`] parse and render; both call
//! the [`service`] layer, which holds the data and computes every answer over
//! `civmap-geo-core`, `civmap-data` and `civmap-tiles`.

pub mod cli;
pub mod http;
pub mod service;
pub mod web_assets;

#[cfg(test)]
mod tests;
