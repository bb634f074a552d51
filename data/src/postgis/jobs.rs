//! The queue of batch jobs in PostgreSQL (`civmap.jobs`, `civmap.job_partitions`,
//! `civmap.job_results`, from `0004_jobs.sql`): several worker processes, on one machine
//! or many, share a job by taking its partitions one at a time.
//!
//! - **Taking**: `FOR UPDATE SKIP LOCKED` picks a queued partition (or one whose lease has
//!   expired) without waiting for the rows other workers are taking, and marks it running
//!   under a lease in the same statement.
//! - **Leases**: a worker renews its lease while it computes ([`JobQueue::renew`]); a
//!   worker that dies stops renewing, and once the lease has passed the partition is taken
//!   again, its `attempts` counting up. The attempt number is the fencing token: a late
//!   [`JobQueue::finish`] or [`JobQueue::renew`] of an attempt that was taken over changes
//!   nothing.
//! - **Results** are written by the same statement that marks the partition done, so each
//!   partition's rows are in `civmap.job_results` exactly once; the merged result is a
//!   query over that table ([`JobQueue::results`], or the `civmap.job_coverage` view).
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::DataError> {
//! use std::time::Duration;
//! use civmap_data::postgis::JobQueue;
//! let q = JobQueue::connect("postgres://civmap@localhost/civmap").await?;
//! let job = q.create("coverage", &serde_json::json!({"minutes": [15]}), &["330102000000".into()]).await?;
//! while let Some(lease) = q.take(job, "host-a:4242", Duration::from_secs(30)).await? {
//!     let rows = vec![("elder_canteen/15/330102001000".to_owned(), serde_json::json!({}))];
//!     q.finish(&lease, &rows).await?;
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

use serde_json::Value;
use tokio_postgres::{Client, NoTls};

use super::errors;
use super::migrate;
use super::target::Target;
use crate::DataError;

/// One partition taken by one worker: what to compute and the lease it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    /// The job.
    pub job: i64,
    /// `coverage` or `validation`.
    pub kind: String,
    /// The job's parameters, as given to [`JobQueue::create`].
    pub params: Value,
    /// The partition (a district code).
    pub part: String,
    /// Which attempt at this partition this is (1 the first time).
    pub attempt: i32,
    /// Who holds it.
    pub worker: String,
}

/// How far a job is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobProgress {
    /// Partitions not taken yet.
    pub queued: i64,
    /// Partitions under a lease (live or expired).
    pub running: i64,
    /// Partitions done.
    pub done: i64,
    /// Partitions taken more than once (a worker died or was too slow).
    pub retaken: i64,
}

impl JobProgress {
    /// Whether every partition is done.
    pub fn finished(&self) -> bool {
        self.queued == 0 && self.running == 0
    }
}

/// A connection to the job tables (migrated on connect).
#[derive(Debug)]
pub struct JobQueue {
    client: Client,
    target: Target,
}

fn lease_s(d: Duration) -> f64 {
    d.as_secs_f64().max(0.001)
}

impl JobQueue {
    /// Connects and applies the missing migrations (the job tables among them).
    pub async fn connect(url: &str) -> Result<Self, DataError> {
        let target = Target::parse(url)?;
        let (mut client, connection) = target
            .config
            .connect(NoTls)
            .await
            .map_err(|e| errors::connect(&target, "jobs: connect", e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let tx = client
            .transaction()
            .await
            .map_err(|e| errors::db(&target, "jobs: migrate", e))?;
        migrate::apply(&tx, &target).await?;
        tx.commit()
            .await
            .map_err(|e| errors::db(&target, "jobs: migrate", e))?;
        Ok(Self { client, target })
    }

    /// Queues a job of `kind` (`coverage` or `validation`) with one partition per entry of
    /// `partitions`; returns its id.
    pub async fn create(
        &self,
        kind: &str,
        params: &Value,
        partitions: &[String],
    ) -> Result<i64, DataError> {
        let at = "jobs: create";
        let row = self
            .client
            .query_one(
                "WITH job AS (
                     INSERT INTO civmap.jobs (kind, params) VALUES ($1, $2) RETURNING id
                 ), parts AS (
                     INSERT INTO civmap.job_partitions (job_id, part)
                     SELECT job.id, p FROM job, unnest($3::text[]) AS p
                 )
                 SELECT id FROM job",
                &[&kind, params, &partitions],
            )
            .await
            .map_err(|e| errors::db(&self.target, at, e))?;
        Ok(row.get(0))
    }

    /// Takes one partition of `job` for `worker` under a lease of `lease`: a queued one,
    /// or one whose lease has expired. `None` when there is none to take now (all done, or
    /// the rest under live leases).
    pub async fn take(
        &self,
        job: i64,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Lease>, DataError> {
        let at = "jobs: take";
        let row = self
            .client
            .query_opt(
                "WITH next AS (
                     SELECT job_id, part FROM civmap.job_partitions
                     WHERE job_id = $1
                       AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
                     ORDER BY part
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED
                 )
                 UPDATE civmap.job_partitions p
                 SET state = 'running', worker = $2, attempts = p.attempts + 1,
                     lease_until = now() + make_interval(secs => $3), started_at = now()
                 FROM next, civmap.jobs j
                 WHERE p.job_id = next.job_id AND p.part = next.part AND j.id = p.job_id
                 RETURNING p.part, p.attempts, j.kind, j.params",
                &[&job, &worker, &lease_s(lease)],
            )
            .await
            .map_err(|e| errors::db(&self.target, at, e))?;
        Ok(row.map(|r| Lease {
            job,
            part: r.get(0),
            attempt: r.get(1),
            kind: r.get(2),
            params: r.get(3),
            worker: worker.to_owned(),
        }))
    }

    /// Extends a lease by `lease` from now; `false` when the partition was taken over (the
    /// worker should stop: its results would be refused).
    pub async fn renew(&self, held: &Lease, lease: Duration) -> Result<bool, DataError> {
        let n = self
            .client
            .execute(
                "UPDATE civmap.job_partitions SET lease_until = now() + make_interval(secs => $5)
                 WHERE job_id = $1 AND part = $2 AND worker = $3 AND attempts = $4
                   AND state = 'running'",
                &[
                    &held.job,
                    &held.part,
                    &held.worker,
                    &held.attempt,
                    &lease_s(lease),
                ],
            )
            .await
            .map_err(|e| errors::db(&self.target, "jobs: renew", e))?;
        Ok(n == 1)
    }

    /// Marks the partition done and stores its result rows `(key, row)`, in one statement;
    /// `false` (and nothing stored) when this attempt was taken over.
    pub async fn finish(&self, held: &Lease, rows: &[(String, Value)]) -> Result<bool, DataError> {
        let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        let values: Vec<&Value> = rows.iter().map(|(_, v)| v).collect();
        let row = self
            .client
            .query_one(
                "WITH mine AS (
                     UPDATE civmap.job_partitions
                     SET state = 'done', finished_at = now(), lease_until = NULL
                     WHERE job_id = $1 AND part = $2 AND worker = $3 AND attempts = $4
                       AND state = 'running'
                     RETURNING job_id, part
                 ), stored AS (
                     INSERT INTO civmap.job_results (job_id, part, key, body)
                     SELECT mine.job_id, mine.part, r.key, r.body
                     FROM mine, unnest($5::text[], $6::jsonb[]) AS r(key, body)
                     RETURNING 1
                 )
                 SELECT (SELECT count(*) FROM mine), (SELECT count(*) FROM stored)",
                &[
                    &held.job,
                    &held.part,
                    &held.worker,
                    &held.attempt,
                    &keys,
                    &values,
                ],
            )
            .await
            .map_err(|e| errors::db(&self.target, "jobs: finish", e))?;
        let done: i64 = row.get(0);
        if done == 1 {
            self.client
                .execute(
                    "UPDATE civmap.jobs SET finished_at = now()
                     WHERE id = $1 AND finished_at IS NULL AND NOT EXISTS (
                         SELECT 1 FROM civmap.job_partitions WHERE job_id = $1 AND state <> 'done')",
                    &[&held.job],
                )
                .await
                .map_err(|e| errors::db(&self.target, "jobs: finish job", e))?;
        }
        Ok(done == 1)
    }

    /// How far `job` is; `None` when there is no such job.
    pub async fn progress(&self, job: i64) -> Result<Option<JobProgress>, DataError> {
        let row = self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM civmap.jobs WHERE id = $1),
                        count(*) FILTER (WHERE state = 'queued'),
                        count(*) FILTER (WHERE state = 'running'),
                        count(*) FILTER (WHERE state = 'done'),
                        count(*) FILTER (WHERE attempts > 1)
                 FROM civmap.job_partitions WHERE job_id = $1",
                &[&job],
            )
            .await
            .map_err(|e| errors::db(&self.target, "jobs: progress", e))?;
        let exists: bool = row.get(0);
        Ok(exists.then(|| JobProgress {
            queued: row.get(1),
            running: row.get(2),
            done: row.get(3),
            retaken: row.get(4),
        }))
    }

    /// The kind of `job` (`coverage`, `validation`); `None` when there is no such job.
    pub async fn kind(&self, job: i64) -> Result<Option<String>, DataError> {
        let row = self
            .client
            .query_opt("SELECT kind FROM civmap.jobs WHERE id = $1", &[&job])
            .await
            .map_err(|e| errors::db(&self.target, "jobs: kind", e))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The merged result of `job`: every partition's rows `(key, row)`, by key.
    pub async fn results(&self, job: i64) -> Result<Vec<(String, Value)>, DataError> {
        let rows = self
            .client
            .query(
                "SELECT key, body FROM civmap.job_results WHERE job_id = $1 ORDER BY key",
                &[&job],
            )
            .await
            .map_err(|e| errors::db(&self.target, "jobs: results", e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
