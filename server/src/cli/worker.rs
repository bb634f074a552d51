//! `civmap worker --db URL --job ID`: one of N processes computing a batch job (coverage
//! or validation). It loads the city once, then takes partitions from the queue (`FOR UPDATE SKIP LOCKED`), renews
//! its lease while it computes one, and stores the partition's rows with the statement
//! that marks it done. It exits when every partition is done; partitions of a worker that
//! died are taken again once their lease has expired.

use std::time::{Duration, Instant};

use civmap_data::postgis::{JobQueue, PgStore};

use super::dataset::runtime;
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::Dataset;

use crate::service::batch::{BatchError, CoverageJob, ValidationJob};

/// What one partition computes, by the job's kind.
enum Work {
    Coverage(crate::service::batch::CoveragePlan),
    Validation(crate::service::batch::ValidationPlan),
}

impl Work {
    fn of(kind: &str, params: &serde_json::Value) -> anyhow::Result<Self> {
        Ok(match kind {
            "coverage" => Self::Coverage(CoverageJob::from_params(params)?.plan()?),
            "validation" => Self::Validation(ValidationJob::from_params(params)?.plan()?),
            other => anyhow::bail!("kind {other:?} is not one this worker computes"),
        })
    }

    /// The partition's rows; a validation job indexes the whole frame on its first
    /// partition and keeps the index for the others.
    fn rows(
        &self,
        city: &Dataset,
        frame: &std::sync::OnceLock<Validator>,
        part: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, BatchError> {
        match self {
            Self::Coverage(plan) => plan.partition_rows(city, part),
            Self::Validation(plan) => {
                let v =
                    frame.get_or_init(|| Validator::new(&city.admin, ValidateOptions::default()));
                plan.partition_rows(city, v, part)
            }
        }
    }
}

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
        let frame = std::sync::Arc::new(std::sync::OnceLock::new());
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
            let work = Work::of(&held.kind, &held.params)
                .map_err(|e| anyhow::anyhow!("job {}: {e}", a.job))?;
            let t = Instant::now();
            let (c, f, part) = (city.clone(), frame.clone(), held.part.clone());
            let mut compute = tokio::task::spawn_blocking(move || work.rows(&c, &f, &part));
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
