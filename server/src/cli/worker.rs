//! `civmap worker --db URL --job ID`: one of N processes computing a batch job. It loads
//! the city once, then takes partitions from the queue (`FOR UPDATE SKIP LOCKED`), renews
//! its lease while it computes one, and stores the partition's rows with the statement
//! that marks it done. It exits when every partition is done; partitions of a worker that
//! died are taken again once their lease has expired.

use std::time::{Duration, Instant};

use civmap_data::postgis::{JobQueue, PgStore};

use super::dataset::runtime;
use crate::service::batch::CoverageJob;

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The database with the city and the job tables.
    #[arg(long)]
    db: String,
    /// The job to work on.
    #[arg(long)]
    job: i64,
    /// Lease on a partition, seconds: renewed every third of it while computing; after a
    /// crash, another worker takes the partition once it has run out.
    #[arg(long, default_value_t = 30.0, value_parser = lease_s)]
    lease_s: f64,
}

fn lease_s(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.5..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!("expected seconds in [0.5, 3600], got {s:?}")),
    }
}

/// How long an idle worker waits before asking again while others hold leases.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Works until the job is finished.
pub fn run(a: WorkerArgs) -> anyhow::Result<()> {
    let rt = runtime()?;
    let lease = Duration::from_secs_f64(a.lease_s);
    let me = format!(
        "{}:{}",
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".into()),
        std::process::id()
    );
    rt.block_on(async {
        let queue = JobQueue::connect(&a.db).await?;
        anyhow::ensure!(
            queue.progress(a.job).await?.is_some(),
            "--job {}: no such job in {}",
            a.job,
            a.db
        );
        let t = Instant::now();
        let city = std::sync::Arc::new(PgStore::connect(&a.db).await?.load().await?);
        tracing::info!("worker {me}: city loaded in {:.1} s", t.elapsed().as_secs_f64());
        let mut done = 0usize;
        loop {
            let Some(held) = queue.take(a.job, &me, lease).await? else {
                let p = queue.progress(a.job).await?.unwrap_or_default();
                if p.finished() {
                    break;
                }
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            };
            anyhow::ensure!(held.kind == "coverage", "job {}: kind {:?} is not one this worker computes", a.job, held.kind);
            let plan = CoverageJob::from_params(&held.params)?.plan()?;
            let t = Instant::now();
            let (c, part) = (city.clone(), held.part.clone());
            let mut compute = tokio::task::spawn_blocking(move || plan.partition_rows(&c, &part));
            let mut renew = tokio::time::interval(lease / 3);
            renew.tick().await;
            let rows = loop {
                tokio::select! {
                    r = &mut compute => break r??,
                    _ = renew.tick() => {
                        if !queue.renew(&held, lease).await? {
                            tracing::warn!("partition {} was taken over; its rows will be refused", held.part);
                        }
                    }
                }
            };
            if queue.finish(&held, &rows).await? {
                done += 1;
                tracing::info!(
                    "partition {} (attempt {}): {} rows in {:.2} s",
                    held.part,
                    held.attempt,
                    rows.len(),
                    t.elapsed().as_secs_f64()
                );
            } else {
                tracing::warn!("partition {} was taken over before it finished here; rows dropped", held.part);
            }
        }
        tracing::info!("worker {me}: job {} finished ({done} partitions here)", a.job);
        Ok(())
    })
}
