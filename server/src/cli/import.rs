//! `civmap import FORMAT FILE`: one file into a data directory, all or nothing.

use std::path::PathBuf;
use std::time::Instant;

use civmap_data::crs::InputCrs;
use civmap_data::import::{import_file, ImportFormat};
use civmap_data::store::DataDir;
use civmap_geo_core::Layer;

use super::{progress, ImportFormatArg};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The input format.
    #[arg(value_enum)]
    format: ImportFormatArg,
    /// The input file.
    file: PathBuf,
    /// What the file holds: admin, facilities, doorplates, landmarks or network.
    #[arg(long, value_parser = super::parse::layer)]
    layer: Option<Layer>,
    /// CRS of the input: wgs84 (default), cgcs2000, gcj02, bd09 or EPSG:N (needs the proj feature).
    #[arg(long, default_value = "wgs84", value_parser = super::parse::crs)]
    crs: InputCrs,
    /// The data directory to import into (created if missing).
    #[arg(long)]
    data: PathBuf,
}

impl From<ImportFormatArg> for ImportFormat {
    fn from(f: ImportFormatArg) -> Self {
        match f {
            ImportFormatArg::Geojson => Self::Geojson,
            ImportFormatArg::Csv => Self::Csv,
            ImportFormatArg::Osm => Self::Osm,
            ImportFormatArg::Gdal => Self::Gdal,
        }
    }
}

/// Imports and prints what the directory now holds.
pub fn run(a: ImportArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let bar = progress::bar("{spinner} {msg} [{bar:30}] {percent:>3}% {elapsed}");
    bar.set_message(format!("reading {}", a.file.display()));
    let imported = import_file(
        a.format.into(),
        &a.file,
        a.layer,
        &a.crs,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    let summary = imported.summary.to_string();
    let net = imported
        .network
        .as_ref()
        .map(|n| (n.nodes.len(), n.edges.len(), n.intersection_count()));
    let ds = DataDir::new(&a.data).apply_import(imported, &a.file.display().to_string())?;
    println!("{summary}");
    if let Some((nodes, edges, inter)) = net {
        println!("walking network: {nodes} nodes, {edges} edges, {inter} intersections");
    }
    let c = ds.counts();
    println!(
        "{} now holds {} admin units, {} facilities, {} doorplates, {} landmarks, {} network nodes ({:.1} s)",
        a.data.display(),
        c.admin,
        c.facilities,
        c.doorplates,
        c.landmarks,
        c.network_nodes,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
