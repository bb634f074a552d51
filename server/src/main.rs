//! `civmap`: serve Hangzhou's civil-affairs map, import data, generate the synthetic city.
//!
//! Exit status: 0 on success, 2 on bad usage, 1 on failure with a one-line reason on stderr.

mod api;
mod coverage_service;
mod follow;
mod geojson_out;
mod state;
mod tiles_api;
mod web_assets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat, ImportLayer};
use civmap_data::postgis::PgStore;
use civmap_data::store::{default_cache_dir, default_city, DataDir};
use civmap_data::synthetic::{generate, GeneratorConfig, DEFAULT_SEED};
use clap::{Parser, Subcommand};

use crate::state::{AppState, StoreKind};

#[derive(Debug, Parser)]
#[command(
    name = "civmap",
    version,
    about = "Hangzhou civil-affairs planning and place names: map, coverage, gazetteer"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the embedded Hangzhou default, a data directory, or PostGIS.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Serve this data directory (written by `civmap import` or `civmap generate`).
        #[arg(long, conflicts_with = "db")]
        data: Option<PathBuf>,
        /// Serve from PostGIS (`postgres://user:password@host:port/db`), following edits live.
        #[arg(long)]
        db: Option<String>,
        /// Memory for cached vector tiles, in MiB (0 turns the tile cache off).
        #[arg(long, default_value_t = tiles_api::DEFAULT_CACHE_MB)]
        tile_cache_mb: usize,
        #[command(flatten)]
        city: CityArgs,
    },
    /// Import a file into a data directory (atomic: all or nothing).
    Import {
        /// geojson, csv, osm or gdal.
        format: String,
        /// The input file.
        file: PathBuf,
        /// What the file holds: admin, facilities, doorplates, landmarks, network.
        #[arg(long)]
        layer: Option<String>,
        /// CRS of the input: wgs84 (default), cgcs2000, gcj02, bd09 or EPSG:N (needs the proj feature).
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// The data directory to import into (created if missing).
        #[arg(long)]
        data: PathBuf,
    },
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
    /// Write the synthetic Hangzhou city into a data directory (e.g. at a larger scale).
    Generate {
        /// The data directory to write.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        city: CityArgs,
    },
}

#[derive(Debug, Subcommand)]
enum CoverageCommand {
    /// Who lives within M minutes of category C, per unit of level L, to stdout.
    Report {
        /// Facility category, e.g. elder_canteen.
        #[arg(long, value_parser = parse_category)]
        category: civmap_geo_core::FacilityCategory,
        /// Time limit in minutes (0 < M <= 120).
        #[arg(long, default_value_t = 15.0, value_parser = parse_minutes)]
        minutes: f64,
        /// city, district, township or community.
        #[arg(long, default_value = "township", value_parser = parse_level)]
        level: civmap_geo_core::AdminLevel,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
        format: ReportFormat,
        /// walk (along the network) or straight (geodesic circle).
        #[arg(long, value_enum, default_value_t = ReportMode::Walk)]
        mode: ReportMode,
        /// standard (1.0 m/s) or elderly (0.8 m/s).
        #[arg(long, value_enum, default_value_t = ReportProfile::Standard)]
        profile: ReportProfile,
        /// Report on this data directory instead of the default city.
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        city: CityArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Csv,
    Geojson,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportMode {
    Walk,
    Straight,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportProfile {
    Standard,
    Elderly,
}

fn parse_category(s: &str) -> Result<civmap_geo_core::FacilityCategory, String> {
    s.parse().map_err(|_| {
        format!(
            "unknown category {s:?}; one of: {}",
            civmap_geo_core::FacilityCategory::ids().join(", ")
        )
    })
}

fn parse_level(s: &str) -> Result<civmap_geo_core::AdminLevel, String> {
    civmap_geo_core::AdminLevel::parse(s).map_err(|e| e.to_string())
}

fn parse_minutes(s: &str) -> Result<f64, String> {
    let m: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, got {s:?}"))?;
    if m > 0.0 && m <= api::coverage::MAX_MINUTES {
        Ok(m)
    } else {
        Err(format!(
            "must be > 0 and <= {}, got {m}",
            api::coverage::MAX_MINUTES
        ))
    }
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Write all layers (the default city, or --data DIR) to PostGIS, in one transaction.
    Push {
        /// The database, e.g. postgres://postgres@127.0.0.1:5432/civmap.
        #[arg(long)]
        url: String,
        /// Push this data directory instead of the default city.
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        city: CityArgs,
    },
}

#[derive(Debug, Subcommand)]
enum TilesCommand {
    /// Render the tiles of the whole city (default data, or --data DIR) into one file.
    Export {
        /// pmtiles (PMTiles v3) or mbtiles (SQLite).
        #[arg(long, value_parser = ["pmtiles", "mbtiles"])]
        format: String,
        /// Highest zoom.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(0..=22))]
        maxzoom: u8,
        /// Lowest zoom.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=22))]
        minzoom: u8,
        /// Tile set: all, admin, facilities or doorplates.
        #[arg(long, default_value = "all", value_parser = ["all", "admin", "facilities", "doorplates"])]
        layer: String,
        /// Output file (written atomically).
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Rendering threads.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: u16,
        /// Export this data directory instead of the default city.
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        city: CityArgs,
    },
}

#[derive(Debug, clap::Args)]
struct CityArgs {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "civmap=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("civmap: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            data,
            db,
            tile_cache_mb,
            city,
        } => serve(listen, data, db, tile_cache_mb, &city),
        Command::Db {
            command: DbCommand::Push { url, data, city },
        } => db_push(&url, data, &city),
        Command::Coverage {
            command:
                CoverageCommand::Report {
                    category,
                    minutes,
                    level,
                    format,
                    mode,
                    profile,
                    data,
                    city,
                },
        } => coverage_report(
            category,
            minutes,
            level,
            format,
            mode,
            profile,
            data.as_deref(),
            &city,
        ),
        Command::Import {
            format,
            file,
            layer,
            crs,
            data,
        } => import(&format, &file, layer.as_deref(), &crs, &data),
        Command::Tiles {
            command:
                TilesCommand::Export {
                    format,
                    maxzoom,
                    minzoom,
                    layer,
                    output,
                    threads,
                    data,
                    city,
                },
        } => tiles_export(
            &format,
            minzoom,
            maxzoom,
            &layer,
            &output,
            usize::from(threads),
            data,
            &city,
        ),
        Command::Generate { data, city } => {
            let t = Instant::now();
            let ds = generate(
                &GeneratorConfig {
                    seed: city.seed,
                    scale: city.scale,
                },
                &mut |s| tracing::info!("{s}"),
            )?;
            DataDir::new(&data).save(&ds)?;
            let c = ds.counts();
            println!(
                "wrote {}: {} admin units, {} facilities, {} doorplates, {} nodes, {} edges in {:.1} s",
                data.display(),
                c.admin,
                c.facilities,
                c.doorplates,
                c.network_nodes,
                c.network_edges,
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// The default city (cached) or a data directory.
fn local_dataset(
    data: Option<&std::path::Path>,
    city: &CityArgs,
) -> anyhow::Result<civmap_geo_core::Dataset> {
    match data {
        Some(dir) => Ok(DataDir::new(dir).load()?),
        None => {
            let t = Instant::now();
            let cache =
                (!city.no_cache).then(|| city.cache_dir.clone().unwrap_or_else(default_cache_dir));
            let cfg = GeneratorConfig {
                seed: city.seed,
                scale: city.scale,
            };
            let (ds, source) =
                default_city(cache.as_deref(), &cfg, &mut |s| tracing::info!("{s}"))?;
            tracing::info!(
                "default city {:?} in {:.2} s",
                source,
                t.elapsed().as_secs_f64()
            );
            Ok(ds)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn db_push(url: &str, data: Option<PathBuf>, city: &CityArgs) -> anyhow::Result<()> {
    let ds = local_dataset(data.as_deref(), city)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:12} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = runtime()?.block_on(async {
        let mut store = PgStore::connect(url).await?;
        store
            .push(&ds, &mut |layer, done, total| {
                bar.set_message(layer.to_owned());
                bar.set_length(total);
                bar.set_position(done);
            })
            .await
    })?;
    bar.finish_and_clear();
    let c = summary.counts;
    println!(
        "pushed {} admin units, {} facilities, {} doorplates, {} landmarks, {} network nodes, {} edges in {:.1} s",
        c.admin, c.facilities, c.doorplates, c.landmarks, c.network_nodes, c.network_edges,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn tiles_export(
    format: &str,
    minzoom: u8,
    maxzoom: u8,
    layer: &str,
    output: &std::path::Path,
    threads: usize,
    data: Option<PathBuf>,
    city: &CityArgs,
) -> anyhow::Result<()> {
    use civmap_tiles::export::{export, ExportFormat, ExportOptions};
    if minzoom > maxzoom {
        eprintln!("civmap: --minzoom {minzoom} is above --maxzoom {maxzoom}");
        std::process::exit(2);
    }
    let ds = local_dataset(data.as_deref(), city)?;
    let live = civmap_geo_core::live::IndexedDataset::new(ds);
    let topo = civmap_tiles::AdminTopology::build(&live.data().admin);
    let inputs = civmap_tiles::TileInputs {
        data: live.data(),
        index: live.index(),
        admin: &topo,
    };
    let opts = ExportOptions {
        set: layer.parse().context("--layer")?,
        min_zoom: minzoom,
        max_zoom: maxzoom,
        bounds: tiles_api::data_bounds(&live.data().admin),
        format: if format == "mbtiles" {
            ExportFormat::MbTiles
        } else {
            ExportFormat::PmTiles
        },
        threads,
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "tiles [{bar:30}] {pos}/{len} {percent:>3}% {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = export(&inputs, &opts, output, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    println!(
        "wrote {}: {} tiles ({} distinct) of {} covering z{}-z{}, {:.1} MB in {:.1} s",
        output.display(),
        summary.tiles_written,
        summary.tile_contents,
        summary.tiles_considered,
        minzoom,
        maxzoom,
        summary.file_bytes as f64 / 1e6,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}

/// How long `serve --db` waits for the first load from PostGIS.
const FIRST_LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

fn serve(
    listen: SocketAddr,
    data: Option<PathBuf>,
    db: Option<String>,
    tile_cache_mb: usize,
    city: &CityArgs,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let rt = runtime()?;
    let state = match &db {
        Some(url) => {
            // Listen first, then load (the follower's first message is a full reload), so
            // no edit can fall between the load and LISTEN; serve once that load is in.
            rt.block_on(PgStore::connect(url))?;
            let state = Arc::new(AppState::new(Default::default(), StoreKind::Postgis));
            rt.spawn(follow::follow(state.clone(), url.clone()));
            rt.block_on(async {
                tokio::time::timeout(FIRST_LOAD_TIMEOUT, state.first_load.notified()).await
            })
            .map_err(|_| anyhow::anyhow!("--db: no data loaded within {FIRST_LOAD_TIMEOUT:?}"))?;
            state
        }
        None if data.is_some() => Arc::new(AppState::new(
            local_dataset(data.as_deref(), city)?,
            StoreKind::DataDir,
        )),
        None => Arc::new(AppState::new(
            local_dataset(None, city)?,
            StoreKind::Embedded,
        )),
    };
    state.tiles.set_cache_bytes(tile_cache_mb << 20);
    let counts = state.read().data.data().counts();
    let app = api::router(state.clone());
    rt.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("--listen {listen}: cannot bind"))?;
        // listening: build the coverage engine in the background (coverage routes wait for it)
        coverage_service::start_build(&state);
        tracing::info!(
            "serving {} admin units, {} facilities, {} doorplates, {} network nodes on http://{} (ready in {:.2} s)",
            counts.admin,
            counts.facilities,
            counts.doorplates,
            counts.network_nodes,
            listener.local_addr()?,
            t.elapsed().as_secs_f64()
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

/// `civmap coverage report`: the same numbers as `GET /api/v1/coverage`, as CSV or GeoJSON.
#[allow(clippy::too_many_arguments)]
fn coverage_report(
    category: civmap_geo_core::FacilityCategory,
    minutes: f64,
    level: civmap_geo_core::AdminLevel,
    format: ReportFormat,
    mode: ReportMode,
    profile: ReportProfile,
    data: Option<&std::path::Path>,
    city: &CityArgs,
) -> anyhow::Result<()> {
    use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
    use std::io::{IsTerminal, Write};
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_message("loading data");
    let ds = local_dataset(data, city)?;
    bar.set_message("building the coverage engine (snapping doorplates)");
    let engine = CoverageEngine::new(&ds);
    bar.set_message("computing coverage");
    let q = api::coverage::CoverageQuery {
        category,
        minutes,
        mode: match mode {
            ReportMode::Walk => CoverageMode::Walk,
            ReportMode::Straight => CoverageMode::Straight,
        },
        profile: match profile {
            ReportProfile::Standard => WalkProfile::standard(),
            ReportProfile::Elderly => WalkProfile::elderly(),
        },
        scenario: None,
    };
    let sources = api::coverage::base_sources(&ds, category);
    let result = engine.coverage(&sources, minutes, &q.profile, q.mode)?;
    let report = engine.report(&result, Some(level));
    bar.finish_and_clear();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let body = api::coverage::report_json(&report, &q, level);
    match format {
        ReportFormat::Csv => {
            let cols = [
                "code",
                "name",
                "level",
                "population",
                "covered_population",
                "elderly",
                "covered_elderly",
                "share_elderly",
                "share_population",
            ];
            writeln!(out, "{}", cols.join(","))?;
            for u in body["units"].as_array().into_iter().flatten() {
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| match &u[*c] {
                        serde_json::Value::String(s) => csv_field(s),
                        v => v.to_string(),
                    })
                    .collect();
                writeln!(out, "{}", row.join(","))?;
            }
        }
        ReportFormat::Geojson => {
            let geometry: std::collections::HashMap<&str, serde_json::Value> = ds
                .admin
                .iter()
                .filter(|u| u.level == level)
                .map(|u| {
                    (
                        u.code.as_str(),
                        geojson_out::admin_feature(u)["geometry"].clone(),
                    )
                })
                .collect();
            let features: Vec<serde_json::Value> = body["units"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| {
                    let code = u["code"].as_str().unwrap_or_default();
                    let mut props = u.clone();
                    props["synthetic"] =
                        serde_json::json!(ds.doorplates.iter().any(|d| d.synthetic));
                    serde_json::json!({"type": "Feature",
                        "geometry": geometry.get(code).cloned().unwrap_or(serde_json::Value::Null),
                        "properties": props})
                })
                .collect();
            let mut fc = serde_json::json!({"type": "FeatureCollection", "features": features});
            for k in ["category", "minutes", "mode", "profile", "level", "total"] {
                fc[k] = body[k].clone();
            }
            serde_json::to_writer(&mut out, &fc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn import(
    format: &str,
    file: &std::path::Path,
    layer: Option<&str>,
    crs: &str,
    data: &std::path::Path,
) -> anyhow::Result<()> {
    let format: ImportFormat = format.parse().context("FORMAT")?;
    let layer: Option<ImportLayer> = layer.map(str::parse).transpose().context("--layer")?;
    let crs = InputCrs::parse(crs)?;
    let t = Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {percent:>3}% {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(format!("reading {}", file.display()));
    let imported = import_file(format, file, layer, &crs, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let summary = imported.summary.to_string();
    let net = imported
        .network
        .as_ref()
        .map(|n| (n.nodes.len(), n.edges.len(), n.intersection_count()));
    let dir = DataDir::new(data);
    let ds = dir.apply_import(imported, &file.display().to_string())?;
    println!("{summary}");
    if let Some((nodes, edges, inter)) = net {
        println!("walking network: {nodes} nodes, {edges} edges, {inter} intersections");
    }
    let c = ds.counts();
    println!(
        "{} now holds {} admin units, {} facilities, {} doorplates, {} landmarks, {} network nodes ({:.1} s)",
        data.display(),
        c.admin,
        c.facilities,
        c.doorplates,
        c.landmarks,
        c.network_nodes,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
