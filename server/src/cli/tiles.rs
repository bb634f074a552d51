//! `civmap tiles export`: the whole pyramid into one PMTiles or MBTiles file.

use std::path::PathBuf;

use clap::{CommandFactory, ValueEnum};

use super::dataset::load;
use super::{progress, CityArgs};

/// Archive formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ArchiveFormat {
    /// PMTiles v3.
    Pmtiles,
    /// MBTiles 1.3 (SQLite).
    Mbtiles,
}

/// Tile sets that can be exported (coverage and gaps depend on a query).
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportSet {
    All,
    Admin,
    Facilities,
    Doorplates,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Archive format.
    #[arg(long, value_enum)]
    format: ArchiveFormat,
    /// Highest zoom.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(0..=22))]
    maxzoom: u8,
    /// Lowest zoom.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=22))]
    minzoom: u8,
    /// Tile set.
    #[arg(long, value_enum, default_value_t = ExportSet::All)]
    layer: ExportSet,
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
}

/// Renders and writes the archive.
pub fn export(a: ExportArgs) -> anyhow::Result<()> {
    use civmap_tiles::export::{export, ExportFormat, ExportOptions};
    use civmap_tiles::TileSet;
    if a.minzoom > a.maxzoom {
        super::Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("--minzoom {} is above --maxzoom {}", a.minzoom, a.maxzoom),
            )
            .exit();
    }
    let ds = load(a.data.as_deref(), &a.city)?;
    let live = civmap_geo_core::live::IndexedDataset::new(ds);
    let topo = civmap_tiles::AdminTopology::build(&live.data().admin);
    let inputs = civmap_tiles::TileInputs {
        data: live.data(),
        index: live.index(),
        admin: &topo,
    };
    let opts = ExportOptions {
        set: match a.layer {
            ExportSet::All => TileSet::All,
            ExportSet::Admin => TileSet::Admin,
            ExportSet::Facilities => TileSet::Facilities,
            ExportSet::Doorplates => TileSet::Doorplates,
        },
        min_zoom: a.minzoom,
        max_zoom: a.maxzoom,
        bounds: crate::service::tiles::data_bounds(&live.data().admin),
        format: match a.format {
            ArchiveFormat::Pmtiles => ExportFormat::PmTiles,
            ArchiveFormat::Mbtiles => ExportFormat::MbTiles,
        },
        threads: usize::from(a.threads),
    };
    let bar = progress::bar("tiles [{bar:30}] {pos}/{len} {percent:>3}% {elapsed} (eta {eta})");
    let summary = export(&inputs, &opts, &a.output, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    println!(
        "wrote {}: {} tiles ({} distinct) of {} covering z{}-z{}, {:.1} MB in {:.1} s",
        a.output.display(),
        summary.tiles_written,
        summary.tile_contents,
        summary.tiles_considered,
        a.minzoom,
        a.maxzoom,
        summary.file_bytes as f64 / 1e6,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}
