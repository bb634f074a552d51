//! Schema migrations, embedded in the binary and applied in order inside one transaction.
//! Each version is recorded in `civmap.schema_migrations`; a transaction-scoped advisory
//! lock makes concurrent migrators wait for each other instead of racing.

use tokio_postgres::GenericClient;

use super::errors;
use super::target::Target;
use crate::DataError;

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// Version number, recorded once applied.
    pub(crate) version: i32,
    /// The file, for error messages.
    pub(crate) name: &'static str,
    /// The SQL, idempotent on its own.
    pub(crate) sql: &'static str,
}

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_accounts.sql",
        sql: include_str!("../../migrations/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "0003_survey_register.sql",
        sql: include_str!("../../migrations/0003_survey_register.sql"),
    },
    Migration {
        version: 4,
        name: "0004_jobs.sql",
        sql: include_str!("../../migrations/0004_jobs.sql"),
    },
    Migration {
        version: 5,
        name: "0005_doorplate_aliases.sql",
        sql: include_str!("../../migrations/0005_doorplate_aliases.sql"),
    },
    Migration {
        version: 6,
        name: "0006_history.sql",
        sql: include_str!("../../migrations/0006_history.sql"),
    },
    Migration {
        version: 7,
        name: "0007_names.sql",
        sql: include_str!("../../migrations/0007_names.sql"),
    },
    Migration {
        version: 8,
        name: "0008_proposals.sql",
        sql: include_str!("../../migrations/0008_proposals.sql"),
    },
    Migration {
        version: 9,
        name: "0009_scenarios.sql",
        sql: include_str!("../../migrations/0009_scenarios.sql"),
    },
];

/// Key of the advisory lock held while migrating (`civmap` in ASCII).
const LOCK_KEY: i64 = 0x6369_766d_6170;

/// Applies the missing migrations on `client`, which must be inside a transaction.
/// Returns the versions it applied.
pub(crate) async fn apply(
    client: &impl GenericClient,
    target: &Target,
) -> Result<Vec<i32>, DataError> {
    client
        .batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({LOCK_KEY});
             CREATE SCHEMA IF NOT EXISTS civmap;
             CREATE TABLE IF NOT EXISTS civmap.schema_migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await
        .map_err(|e| errors::db(target, "migrate: schema_migrations", e))?;
    let applied: Vec<i32> = client
        .query("SELECT version FROM civmap.schema_migrations", &[])
        .await
        .map_err(|e| errors::db(target, "migrate: read schema_migrations", e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut done = Vec::new();
    for m in MIGRATIONS {
        if applied.contains(&m.version) {
            continue;
        }
        client
            .batch_execute(m.sql)
            .await
            .map_err(|e| errors::db(target, format!("migrate: {}", m.name), e))?;
        client
            .execute(
                "INSERT INTO civmap.schema_migrations (version, applied_at) VALUES ($1, now())",
                &[&m.version],
            )
            .await
            .map_err(|e| errors::db(target, format!("migrate: record {}", m.name), e))?;
        done.push(m.version);
    }
    Ok(done)
}
