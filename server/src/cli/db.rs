//! `civmap db push`: every layer into PostGIS in one transaction.

use std::path::PathBuf;

use civmap_data::accounts::AuditRecord;
use civmap_data::postgis::PgStore;

use super::dataset::{load, runtime};
use super::{progress, CityArgs};

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The database, e.g. postgres://postgres@127.0.0.1:5432/civmap.
    #[arg(long)]
    url: String,
    /// Push this data directory instead of the default city.
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    city: CityArgs,
}

/// Pushes and prints the counts.
pub fn push(a: PushArgs) -> anyhow::Result<()> {
    let ds = load(a.data.as_deref(), &a.city)?;
    let bar = progress::bar("{msg:12} [{bar:30}] {pos}/{len} {elapsed}");
    let summary = runtime()?.block_on(async {
        let mut store = PgStore::connect(&a.url).await?;
        let source = a.data.as_deref().map_or_else(
            || "the default city".to_owned(),
            |d| d.display().to_string(),
        );
        let audit = AuditRecord::new(
            super::user::cli_who(),
            "db.push",
            format!("db:{}", store.url()),
        )
        .after(serde_json::json!({"source": source}));
        store
            .push_audited(&ds, audit, &mut |layer, done, total| {
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
