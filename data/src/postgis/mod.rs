//! The PostGIS store: civmap's layers as tables in schema `civmap`, so that they can be
//! edited where GIS people already work (QGIS, psql) and served live.
//!
//! Why a database at all, when a snapshot file loads faster: several editors, and edits
//! that reach a running server without a restart. The design follows from that:
//! - [`PgStore::push`] replaces everything in **one transaction** (binary COPY, ~10⁶ rows
//!   in seconds): readers see the old city or the new one, and a failed push changes
//!   nothing;
//! - [`PgStore::load`] reads everything back in one consistent snapshot, losslessly
//!   (`push(ds)` then `load()` gives `ds`: WKB carries every f64 bit for bit, and a hidden
//!   `ord` column keeps the dataset's order), and checks every value: a row that breaks the
//!   model is an error naming its table, key and column;
//! - triggers NOTIFY every row change by key; [`listen`] turns them into [`Change`]s and
//!   [`PgStore::facility`] & co. read the changed rows back.
//!
//! The schema is in `data/migrations/*.sql`, embedded and applied by [`PgStore::migrate`]
//! (and by every push). Database URLs are shown with the password as `***`, everywhere.
//!
//! Every connection carries time limits ([`DbTimeouts`]: statement, lock, idle
//! transaction, connect, and the wait for the store's connection); running out of one is
//! [`DataError::DbTimeout`] naming the database, and the transaction it happened in is
//! rolled back, so nothing is half-written.
//!
//! SQL is never built from user values: every value is a bind parameter (or a COPY row),
//! and the table and column names spliced into statements come from constants of this
//! module (`TABLES`, the `*_SELECT` lists) — the tables of the
//! [`Layer`](civmap_geo_core::Layer) registry — never from input.
//!
//! ```no_run
//! # async fn demo(ds: civmap_geo_core::Dataset) -> Result<(), civmap_data::DataError> {
//! use civmap_data::postgis::{listen, Change, PgStore};
//! let url = "postgres://civmap:secret@localhost/civmap";
//! let mut store = PgStore::connect(url).await?;
//! let summary = store.push(&ds, &mut |layer, done, total| eprintln!("{layer} {done}/{total}")).await?;
//! assert_eq!(store.load().await?, ds);
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! tokio::spawn(async move { listen(url, tx).await });
//! while let Some(change) = rx.recv().await {
//!     if let Change::Upsert { key, .. } = change {
//!         let _facility = store.facility(&key).await?;
//!     }
//! }
//! # Ok(()) }
//! ```

mod errors;
mod jobs;
mod listen;
mod load;
pub(crate) mod migrate;
mod push;
mod replication;
pub(crate) mod target;
pub(crate) mod wkb;

use std::fmt;

use civmap_geo_core::{AdminUnit, Dataset, Doorplate, Facility, Landmark};
use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::{Client, NoTls};

pub use jobs::{JobProgress, JobQueue, Lease};
pub use listen::{listen, table_name, Change, ChangeTable, PING_EVERY, PING_TIMEOUT};
pub use push::PushSummary;
pub use replication::{WalLsn, REPLAY_POLL};
pub use target::DbTimeouts;

use crate::DataError;
use target::Target;

/// The NOTIFY channel of the change triggers.
pub const CHANNEL: &str = "civmap_changes";

/// The schema versions this build knows, oldest first (see `civmap.schema_migrations`).
pub fn schema_versions() -> Vec<i32> {
    migrate::MIGRATIONS.iter().map(|m| m.version).collect()
}

/// A connection to a civmap PostGIS database.
///
/// Calls on one store run one at a time (the connection is behind a lock); open a second
/// store for concurrent work. Plain TCP or Unix sockets only: no TLS (`sslmode=require`
/// fails to connect).
pub struct PgStore {
    client: Mutex<Client>,
    target: Target,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.target.shown)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/db` or `key=value` form)
    /// with the default [`DbTimeouts`] and spawns the connection's task on the current
    /// tokio runtime.
    pub async fn connect(url: &str) -> Result<PgStore, DataError> {
        Self::connect_with(url, DbTimeouts::default()).await
    }

    /// [`Self::connect`] with other time limits.
    pub async fn connect_with(url: &str, timeouts: DbTimeouts) -> Result<PgStore, DataError> {
        let target = Target::parse_with(url, timeouts)?;
        let (client, connection) = target
            .config
            .connect(NoTls)
            .await
            .map_err(|e| errors::connect(&target, "connect", e))?;
        // When the connection fails, the client's next call fails with "connection
        // closed", which the callers turn into an error naming this database.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(PgStore {
            client: Mutex::new(client),
            target,
        })
    }

    /// The database URL with the password redacted.
    pub fn url(&self) -> &str {
        &self.target.shown
    }

    /// The store's connection, once the call using it is done; [`DataError::DbTimeout`]
    /// after [`DbTimeouts::client_wait`].
    async fn client(&self, at: &str) -> Result<MutexGuard<'_, Client>, DataError> {
        let wait = self.target.timeouts.client_wait;
        tokio::time::timeout(wait, self.client.lock())
            .await
            .map_err(|_| DataError::DbTimeout {
                database: self.target.shown.clone(),
                at: at.to_owned(),
                message: format!(
                    "waited {} s for the store's connection, which another call still uses",
                    wait.as_secs_f64()
                ),
            })
    }

    /// Creates or upgrades the schema (idempotent; concurrent callers wait for each other).
    pub async fn migrate(&self) -> Result<(), DataError> {
        let mut client = self.client("migrate").await?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| errors::db(&self.target, "migrate: begin", e))?;
        migrate::apply(&tx, &self.target).await?;
        tx.commit()
            .await
            .map_err(|e| errors::db(&self.target, "migrate: commit", e))
    }

    /// Replaces every civmap table's contents with `ds`, in one transaction (migrations
    /// included); `progress(layer, rows_done, rows_total)` follows along. On error nothing
    /// has changed. Listeners get one [`Change::Reload`] at commit, no per-row changes.
    pub async fn push(
        &mut self,
        ds: &Dataset,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<PushSummary, DataError> {
        let audit = crate::accounts::AuditRecord::new("civmap-data", "db.push", "db:civmap");
        self.push_audited(ds, audit, progress).await
    }

    /// [`PgStore::push`] with the audit row to write in the push's transaction (the pushed
    /// counts are added to its `after` object as `counts`).
    pub async fn push_audited(
        &mut self,
        ds: &Dataset,
        audit: crate::accounts::AuditRecord,
        progress: &mut dyn FnMut(&str, u64, u64),
    ) -> Result<PushSummary, DataError> {
        push::push(self.client.get_mut(), &self.target, ds, &audit, progress).await
    }

    /// Reads every layer back, from one consistent snapshot.
    pub async fn load(&self) -> Result<Dataset, DataError> {
        load::load(&mut *self.client("load").await?, &self.target).await
    }

    /// The facility with this id, if any.
    pub async fn facility(&self, id: &str) -> Result<Option<Facility>, DataError> {
        load::facility_by_id(&*self.client("read facility").await?, &self.target, id).await
    }

    /// The doorplate with this id, if any.
    pub async fn doorplate(&self, id: u64) -> Result<Option<Doorplate>, DataError> {
        load::doorplate_by_id(&*self.client("read doorplate").await?, &self.target, id).await
    }

    /// The admin unit with this 12-digit code, if any.
    pub async fn admin_unit(&self, code: &str) -> Result<Option<AdminUnit>, DataError> {
        load::admin_unit_by_code(&*self.client("read admin unit").await?, &self.target, code).await
    }

    /// The landmark with this id, if any.
    pub async fn landmark(&self, id: &str) -> Result<Option<Landmark>, DataError> {
        load::landmark_by_id(&*self.client("read landmark").await?, &self.target, id).await
    }
}
