-- Batch jobs across processes: a job is cut into partitions (one district each, with a
-- halo as wide as the walking budget), queued here; `civmap worker` processes take one at a
-- time with FOR UPDATE SKIP LOCKED under a lease, and write its result rows in the same
-- statement that marks it done, so a partition's rows are there once or not at all.
-- A worker that dies stops renewing its lease; once `lease_until` has passed, another
-- worker takes the partition again (`attempts` + 1), and the dead worker's late finish,
-- which names the old attempt, changes nothing.

CREATE TABLE IF NOT EXISTS civmap.jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('coverage', 'validation')),
    params      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE TABLE IF NOT EXISTS civmap.job_partitions (
    job_id      bigint NOT NULL REFERENCES civmap.jobs (id) ON DELETE CASCADE,
    part        text NOT NULL,
    state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done')),
    worker      text,
    attempts    integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    started_at  timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (job_id, part)
);

CREATE INDEX IF NOT EXISTS job_partitions_open ON civmap.job_partitions (job_id, state)
    WHERE state <> 'done';

CREATE TABLE IF NOT EXISTS civmap.job_results (
    job_id bigint NOT NULL REFERENCES civmap.jobs (id) ON DELETE CASCADE,
    part   text NOT NULL,
    key    text NOT NULL,
    body   jsonb NOT NULL,
    PRIMARY KEY (job_id, key)
);

-- The merged coverage of a job, one row per (category, minutes, unit).
CREATE OR REPLACE VIEW civmap.job_coverage AS
SELECT r.job_id,
       r.body ->> 'category'                   AS category,
       (r.body ->> 'minutes')::float8          AS minutes,
       r.body ->> 'level'                      AS level,
       r.body ->> 'code'                       AS code,
       r.body ->> 'name'                       AS name,
       (r.body ->> 'population')::int8         AS population,
       (r.body ->> 'covered_population')::int8 AS covered_population,
       (r.body ->> 'elderly')::int8            AS elderly,
       (r.body ->> 'covered_elderly')::int8    AS covered_elderly,
       r.part
FROM civmap.job_results r
JOIN civmap.jobs j ON j.id = r.job_id AND j.kind = 'coverage';
