//! `civmap job …`: queue a batch job in PostgreSQL, follow it, read its merged result.
//! The partitions are computed by `civmap worker` processes (see [`super::worker`]).

use civmap_data::postgis::{JobProgress, JobQueue, PgStore};
use civmap_geo_core::survey::Finding;
use civmap_geo_core::{AdminLevel, FacilityCategory};

use super::dataset::runtime;
use crate::service::batch::{CoverageJob, CoveragePlan, ValidationJob};

#[derive(Debug, clap::Subcommand)]
pub enum JobCommand {
    /// Queue a job; prints its id.
    Create {
        #[command(subcommand)]
        kind: CreateKind,
    },
    /// How far a job is: queued, running, done and retaken partitions.
    Status(JobArgs),
    /// The merged result of a finished job as CSV on stdout, sorted by category, time
    /// limit and unit code.
    Results(JobArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum CreateKind {
    /// Coverage of facility categories within time limits, per unit, one partition per
    /// district (each with a halo as wide as the walking budget).
    Coverage(CoverageJobArgs),
    /// The topology validator over the served frame (overlaps, gaps, slivers, nesting),
    /// one partition per district; `civmap job results` prints the findings as CSV.
    Validation(ValidationJobArgs),
}

#[derive(Debug, clap::Args)]
pub struct ValidationJobArgs {
    /// The database with the city (`civmap db push`) and the job tables.
    #[arg(long)]
    db: String,
    /// A level to check (repeat for several; default: every level).
    #[arg(long = "level", value_parser = super::parse::level)]
    levels: Vec<AdminLevel>,
}

#[derive(Debug, clap::Args)]
pub struct CoverageJobArgs {
    /// The database with the city (`civmap db push`) and the job tables.
    #[arg(long)]
    db: String,
    /// A facility category (repeat for several; default: every category).
    #[arg(long = "category", value_parser = super::parse::category)]
    categories: Vec<FacilityCategory>,
    /// A time limit in minutes (repeat for several).
    #[arg(long = "minutes", value_parser = super::parse::minutes, default_values_t = [15.0, 20.0])]
    minutes: Vec<f64>,
    /// district, township or community.
    #[arg(long, default_value = "township", value_parser = super::parse::level)]
    level: AdminLevel,
    /// standard (1.0 m/s) or elderly (0.8 m/s).
    #[arg(long, default_value = "standard", value_parser = ["standard", "elderly"])]
    profile: String,
}

#[derive(Debug, clap::Args)]
pub struct JobArgs {
    /// The database holding the job.
    #[arg(long)]
    db: String,
    /// The job id (`civmap job create` printed it).
    #[arg(long)]
    job: i64,
}

/// The queue and how far the job is; an error when there is no such job.
async fn open(a: &JobArgs) -> anyhow::Result<(JobQueue, JobProgress)> {
    let queue = JobQueue::connect(&a.db).await?;
    let p = queue
        .progress(a.job)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--job {}: no such job in {}", a.job, a.db))?;
    Ok((queue, p))
}

/// Runs a `civmap job` command.
pub fn run(c: JobCommand) -> anyhow::Result<()> {
    let rt = runtime()?;
    match c {
        JobCommand::Create {
            kind: CreateKind::Coverage(a),
        } => rt.block_on(async {
            let job = CoverageJob {
                categories: a.categories.iter().map(|c| c.id().to_owned()).collect(),
                minutes: a.minutes.clone(),
                level: a.level.as_str().to_owned(),
                profile: a.profile.clone(),
            };
            job.plan()?;
            let city = PgStore::connect(&a.db).await?.load().await?;
            let parts = CoveragePlan::partitions(&city);
            anyhow::ensure!(
                !parts.is_empty(),
                "--db {}: the city has no districts to partition by",
                a.db
            );
            let queue = JobQueue::connect(&a.db).await?;
            let id = queue
                .create("coverage", &serde_json::to_value(&job)?, &parts)
                .await?;
            tracing::info!("job {id}: coverage in {} partitions", parts.len());
            println!("{id}");
            Ok(())
        }),
        JobCommand::Create {
            kind: CreateKind::Validation(a),
        } => rt.block_on(async {
            let job = ValidationJob {
                levels: a.levels.iter().map(|l| l.as_str().to_owned()).collect(),
            };
            job.plan()?;
            let city = PgStore::connect(&a.db).await?.load().await?;
            let parts = CoveragePlan::partitions(&city);
            anyhow::ensure!(
                !parts.is_empty(),
                "--db {}: the city has no districts to partition by",
                a.db
            );
            let queue = JobQueue::connect(&a.db).await?;
            let id = queue
                .create("validation", &serde_json::to_value(&job)?, &parts)
                .await?;
            tracing::info!("job {id}: validation in {} partitions", parts.len());
            println!("{id}");
            Ok(())
        }),
        JobCommand::Status(a) => rt.block_on(async {
            let (_, p) = open(&a).await?;
            println!(
                "queued {} running {} done {} retaken {}{}",
                p.queued,
                p.running,
                p.done,
                p.retaken,
                if p.finished() { " (finished)" } else { "" }
            );
            Ok(())
        }),
        JobCommand::Results(a) => rt.block_on(async {
            let (queue, p) = open(&a).await?;
            anyhow::ensure!(
                p.finished(),
                "--job {}: not finished ({} queued, {} running)",
                a.job,
                p.queued,
                p.running
            );
            if queue.kind(a.job).await?.as_deref() == Some("validation") {
                return write_findings(queue.results(a.job).await?);
            }
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            out.write_record([
                "category",
                "minutes",
                "level",
                "code",
                "name",
                "population",
                "covered_population",
                "elderly",
                "covered_elderly",
            ])?;
            let mut rows = queue.results(a.job).await?;
            // by category, minutes as a number, code
            rows.sort_by(|(_, x), (_, y)| {
                let key = |v: &serde_json::Value| {
                    (
                        v["category"].as_str().unwrap_or("").to_owned(),
                        v["minutes"].as_f64().unwrap_or(0.0),
                        v["code"].as_str().unwrap_or("").to_owned(),
                    )
                };
                let (kx, ky) = (key(x), key(y));
                kx.0.cmp(&ky.0)
                    .then(kx.1.total_cmp(&ky.1))
                    .then(kx.2.cmp(&ky.2))
            });
            for (_, v) in rows {
                let s = |k: &str| match &v[k] {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.write_record([
                    s("category"),
                    s("minutes"),
                    s("level"),
                    s("code"),
                    s("name"),
                    s("population"),
                    s("covered_population"),
                    s("elderly"),
                    s("covered_elderly"),
                ])?;
            }
            out.flush()?;
            Ok(())
        }),
    }
}

/// A validation job's merged findings as CSV on stdout (rule, level, codes separated by
/// spaces, area m², width m, detail), in the order of `civmap validate`'s report: by rule,
/// level, codes and detail.
fn write_findings(rows: Vec<(String, serde_json::Value)>) -> anyhow::Result<()> {
    let mut findings = rows
        .into_iter()
        .map(|(key, body)| {
            serde_json::from_value::<Finding>(body)
                .map_err(|e| anyhow::anyhow!("job result {key}: not a finding: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    findings.sort_by(|a, b| {
        (a.rule, a.level, &a.codes, &a.detail).cmp(&(b.rule, b.level, &b.codes, &b.detail))
    });
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["rule", "level", "codes", "area_m2", "width_m", "detail"])?;
    for f in findings {
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        out.write_record([
            f.rule.as_str().to_owned(),
            f.level.map(|l| l.as_str().to_owned()).unwrap_or_default(),
            f.codes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            num(f.area_m2),
            num(f.width_m),
            f.detail,
        ])?;
    }
    out.flush()?;
    Ok(())
}
