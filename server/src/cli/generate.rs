//! `civmap generate`: the synthetic city into a data directory.

use std::path::PathBuf;
use std::time::Instant;

use civmap_data::store::DataDir;
use civmap_data::synthetic::generate;

use super::CityArgs;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The data directory to write.
    #[arg(long)]
    data: PathBuf,
    #[command(flatten)]
    city: CityArgs,
}

/// Generates, writes and prints the counts.
pub fn run(a: GenerateArgs) -> anyhow::Result<()> {
    let t = Instant::now();
    let ds = generate(&a.city.generator(), &mut |s| tracing::info!("{s}"))?;
    DataDir::new(&a.data).save(&ds)?;
    let c = ds.counts();
    println!(
        "wrote {}: {} admin units, {} facilities, {} doorplates, {} nodes, {} edges in {:.1} s",
        a.data.display(),
        c.admin,
        c.facilities,
        c.doorplates,
        c.network_nodes,
        c.network_edges,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
