//! The command line as types: every subcommand, flag, format and layer is a clap type, so
//! bad usage is refused by clap with exit status 2 and a message naming the argument.
//! Each command's body lives in its own module and calls the same services as the HTTP
//! routes.

mod coverage;
mod dataset;
mod db;
mod doorplates;
mod export;
mod generate;
mod history;
mod import;
mod job;
mod progress;
mod serve;
mod tiles;
pub(crate) mod user;
mod validate;
mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;

use civmap_data::crs::InputCrs;
use civmap_data::synthetic::DEFAULT_SEED;
use civmap_geo_core::{AdminLevel, FacilityCategory, Layer};
use clap::{Parser, Subcommand, ValueEnum};

/// `civmap`: serve Hangzhou's civil-affairs map, import data, generate the synthetic city.
#[derive(Debug, Parser)]
#[command(
    name = "civmap",
    version,
    about = "Hangzhou civil-affairs planning and place names: map, coverage, gazetteer"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the embedded Hangzhou default, a data directory, or PostGIS.
    Serve(serve::ServeArgs),
    /// Import a file into a data directory (atomic: all or nothing).
    Import(import::ImportArgs),
    /// PostGIS: write every layer to a database.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Coverage of a facility category, per administrative unit.
    Coverage {
        #[command(subcommand)]
        command: CoverageCommand,
    },
    /// Vector tiles: export the pyramid to a file.
    Tiles {
        #[command(subcommand)]
        command: TilesCommand,
    },
    /// Export a layer (admin units, boundaries, markers, validation errors) as GeoPackage,
    /// Shapefile, GeoJSON or CSV in EPSG:4490 or a CGCS2000 Gauss-Kruger zone.
    Export(export::ExportArgs),
    /// Write the synthetic Hangzhou city into a data directory (e.g. at a larger scale).
    Generate(generate::GenerateArgs),
    /// The topology validator: overlaps, gaps, slivers, nesting, markers (exit 1 if invalid).
    Validate(validate::ValidateArgs),
    /// Digital doorplates: the numbering check.
    Doorplates {
        #[command(subcommand)]
        command: DoorplatesCommand,
    },
    /// The division history: import dated editions of the division list, list and
    /// confirm the cases left to a person.
    History {
        #[command(subcommand)]
        command: history::HistoryCommand,
    },
    /// Users and their roles (planner, surveyor, admin).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Batch jobs in PostgreSQL, computed by `civmap worker` processes.
    Job {
        #[command(subcommand)]
        command: job::JobCommand,
    },
    /// Work on a batch job: one of N processes (any machine that reaches the database).
    Worker(worker::WorkerArgs),
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Write all layers (the default city, or --data DIR) to PostGIS, in one transaction.
    Push(db::PushArgs),
}

#[derive(Debug, Subcommand)]
enum CoverageCommand {
    /// Who lives within M minutes of category C, per unit of level L, to stdout.
    Report(coverage::ReportArgs),
}

#[derive(Debug, Subcommand)]
enum DoorplatesCommand {
    /// Odd/even by side, sequence, duplicates and gaps per road segment, to stdout.
    Check(doorplates::CheckArgs),
}

#[derive(Debug, Subcommand)]
enum TilesCommand {
    /// Render the tiles of the whole city (default data, or --data DIR) into one file.
    Export(tiles::ExportArgs),
}

/// Which city to work on when no data directory is given.
#[derive(Debug, Clone, clap::Args)]
pub struct CityArgs {
    /// Seed of the synthetic city.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Density multiplier of the synthetic city (streets, doorplates, facilities).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    scale: u32,
    /// Where to cache the generated city (default: $CIVMAP_CACHE_DIR or ~/.cache/civmap).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the cache.
    #[arg(long)]
    no_cache: bool,
}

/// Input file formats of `civmap import`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormatArg {
    /// A GeoJSON FeatureCollection.
    Geojson,
    /// CSV with lon/lat columns.
    Csv,
    /// An OpenStreetMap PBF extract.
    Osm,
    /// Any OGR vector format (needs the `gdal` feature).
    Gdal,
}

/// Parsers clap calls, so that a bad value is a usage error (exit 2) naming the flag.
pub(crate) mod parse {
    use super::*;

    /// A facility category id.
    pub fn category(s: &str) -> Result<FacilityCategory, String> {
        s.parse().map_err(|_| {
            format!(
                "unknown category {s:?}; one of: {}",
                FacilityCategory::ids().join(", ")
            )
        })
    }

    /// An admin level.
    pub fn level(s: &str) -> Result<AdminLevel, String> {
        AdminLevel::parse(s).map_err(|e| e.to_string())
    }

    /// A layer of the registry.
    pub fn layer(s: &str) -> Result<Layer, String> {
        s.parse()
            .map_err(|e: civmap_geo_core::ModelError| e.to_string())
    }

    /// An input CRS.
    pub fn crs(s: &str) -> Result<InputCrs, String> {
        InputCrs::parse(s).map_err(|e| e.to_string())
    }

    /// Minutes in (0, 120].
    pub fn minutes(s: &str) -> Result<f64, String> {
        use crate::service::coverage::MAX_MINUTES;
        let m: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("expected a number, got {s:?}"))?;
        if m > 0.0 && m <= MAX_MINUTES {
            Ok(m)
        } else {
            Err(format!("must be > 0 and <= {MAX_MINUTES}, got {m}"))
        }
    }

    /// The base of public page URLs: `http://` or `https://`, a host, no query.
    pub fn public_url(s: &str) -> Result<String, String> {
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or_else(|| format!("{s:?}: expected http://HOST[:PORT][/PATH] or https://…"))?;
        let host = rest.split('/').next().unwrap_or_default();
        let clean = |c: char| c.is_ascii_alphanumeric() || "-._~/:[]".contains(c);
        if host.is_empty() || !rest.chars().all(clean) {
            return Err(format!(
                "{s:?}: expected a host name and an optional port and path, nothing else"
            ));
        }
        Ok(s.trim_end_matches('/').to_owned())
    }

    /// A listen address.
    pub fn listen(s: &str) -> Result<SocketAddr, String> {
        s.parse()
            .map_err(|e| format!("{e}: expected HOST:PORT, e.g. 127.0.0.1:8080"))
    }
}

impl Cli {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(a) => serve::run(a),
            Command::Import(a) => import::run(a),
            Command::Db {
                command: DbCommand::Push(a),
            } => db::push(a),
            Command::Coverage {
                command: CoverageCommand::Report(a),
            } => coverage::report(a),
            Command::Tiles {
                command: TilesCommand::Export(a),
            } => tiles::export(a),
            Command::Export(a) => export::run(a),
            Command::Generate(a) => generate::run(a),
            Command::User { command } => user::run(command),
            Command::History { command } => history::run(command),
            Command::Job { command } => job::run(command),
            Command::Worker(a) => worker::run(a),
            Command::Doorplates {
                command: DoorplatesCommand::Check(a),
            } => doorplates::check(a),
            Command::Validate(a) => {
                if validate::run(a)? {
                    Ok(())
                } else {
                    // the report is on stdout; the exit status says "invalid"
                    std::process::exit(1)
                }
            }
        }
    }
}
