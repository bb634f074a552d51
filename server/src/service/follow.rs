//! Following a PostGIS store: edits made in the database (QGIS, psql, another civmap) reach
//! the running server through LISTEN/NOTIFY and update the in-memory indexes one record at a
//! time. When the database goes away the server keeps answering from memory, `/health` says
//! `degraded`, and it reconnects with exponential backoff (0.25 s doubling to 5 s); every
//! (re)connection starts with a full reload, so edits made while it was away are not lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use civmap_data::postgis::{listen, Change, ChangeTable, PgStore, PING_EVERY, PING_TIMEOUT};
use civmap_data::DataError;
use civmap_geo_core::live::EditOutcome;
use civmap_geo_core::AdminCode;
use tokio::sync::mpsc;

use crate::service::coverage::DataChange;
use crate::service::data::{refresh_gazetteer, LiveData};
use crate::service::SharedState;

/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Longest wait for the standby to replay a change the primary notified; beyond it the
/// standby counts as away (degraded) and the follower reconnects and reloads.
pub const REPLAY_WAIT: Duration = Duration::from_secs(30);

/// Where a follower reads and where it listens.
///
/// One database: both are `read`. A primary with a hot standby (which refuses `LISTEN`):
/// listen on the primary (`notify`), read from the standby (`read`), and before reading
/// what a notification names, wait until the standby has replayed the primary's WAL up to
/// where it was when the notification arrived — else the read would see the old row.
///
/// ```
/// use civmap_server::service::follow::FollowFrom;
/// let f = FollowFrom::new("postgres://standby/civmap", Some("postgres://primary/civmap"));
/// assert_eq!(f.listen_url(), "postgres://primary/civmap");
/// // the same URL twice is one database: no replay wait
/// assert!(FollowFrom::new("postgres://p/c", Some("postgres://p/c")).notify.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowFrom {
    /// Where rows are read (the standby, or the one database).
    pub read: String,
    /// Where notifications come from and WAL positions are taken, when not `read`.
    pub notify: Option<String>,
}

impl FollowFrom {
    /// `read`, and `notify` when it is another database.
    pub fn new(read: &str, notify: Option<&str>) -> Self {
        Self {
            read: read.to_owned(),
            notify: notify.filter(|n| *n != read).map(str::to_owned),
        }
    }

    /// The database to LISTEN on.
    pub fn listen_url(&self) -> &str {
        self.notify.as_deref().unwrap_or(&self.read)
    }
}

/// The follower's connections: the one it reads from, and the primary it takes WAL
/// positions from (only with a standby).
struct Readers {
    store: PgStore,
    primary: Option<PgStore>,
}

impl Readers {
    async fn connect(from: &FollowFrom) -> Result<Self, DataError> {
        let store = PgStore::connect(&from.read).await?;
        let primary = match &from.notify {
            Some(url) => Some(PgStore::connect(url).await?),
            None => None,
        };
        Ok(Self { store, primary })
    }

    /// Returns once the store holds everything the primary had committed when this was
    /// called (at once without a standby).
    async fn catch_up(&self) -> Result<(), DataError> {
        if let Some(primary) = &self.primary {
            let lsn = primary.current_wal_lsn().await?;
            self.store.wait_replayed(lsn, REPLAY_WAIT).await?;
        }
        Ok(())
    }

    /// Whether both databases still answer (the listener pings the primary; this pings
    /// the store, which nothing else touches while no change arrives).
    async fn ping(&self) -> Result<(), DataError> {
        match tokio::time::timeout(PING_TIMEOUT, self.store.replay_lsn()).await {
            Ok(r) => r.map(|_| ()),
            Err(_) => Err(DataError::DbTimeout {
                database: self.store.url().to_owned(),
                at: "ping".into(),
                message: format!("no answer within {PING_TIMEOUT:?}"),
            }),
        }
    }
}

/// Runs forever: listens, applies changes, reconnects.
pub async fn follow(state: SharedState, from: FollowFrom) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let (tx, mut rx) = mpsc::channel::<Change>(4096);
        let listen_url = from.listen_url().to_owned();
        let listener = tokio::spawn(async move { listen(&listen_url, tx).await });
        let mut readers: Option<Readers> = None;
        let mut failure: Option<String> = None;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            let change = tokio::select! {
                change = rx.recv() => match change {
                    Some(c) => c,
                    None => break,
                },
                _ = ping.tick() => {
                    if let Some(r) = &readers {
                        if let Err(e) = r.ping().await {
                            failure = Some(e.to_string());
                            break;
                        }
                    }
                    continue;
                }
            };
            if readers.is_none() {
                match Readers::connect(&from).await {
                    Ok(r) => readers = Some(r),
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            let Some(r) = &readers else { break };
            let applied = match r.catch_up().await {
                Ok(()) => apply(&state, &r.store, &change).await,
                Err(e) => Err(e),
            };
            match applied {
                Ok(()) => {
                    if !matches!(change, Change::Names) {
                        state.coverage.note_change(coverage_change(&change));
                    }
                    if matches!(change, Change::Reload) {
                        state.data.first_load.notify_one();
                        if !state.data.store_up.swap(true, Ordering::Relaxed) {
                            tracing::info!("database {} is back; data reloaded", r.store.url());
                        }
                    }
                    backoff = Duration::from_millis(250);
                }
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        listener.abort();
        let why = match listener.await {
            Ok(Err(e)) => e.to_string(),
            _ => failure.unwrap_or_else(|| "listener stopped".into()),
        };
        if state.data.store_up.swap(false, Ordering::Relaxed) {
            tracing::warn!("database unreachable, serving what is in memory (degraded): {why}");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// What a change means for the coverage engine: doorplates, admin units and reloads
/// rebuild it; facility and landmark edits only invalidate cached results.
fn coverage_change(change: &Change) -> DataChange {
    match change {
        Change::Upsert { table, .. } | Change::Delete { table, .. }
            if matches!(table, ChangeTable::Facilities | ChangeTable::Landmarks) =>
        {
            DataChange::Facilities
        }
        _ => DataChange::Structure,
    }
}

/// Applies one change to the live data.
async fn apply(state: &SharedState, store: &PgStore, change: &Change) -> Result<(), DataError> {
    match change {
        Change::Names => {
            // the served rows came with their own notifications; this brings the names
            if let Err(e) = state.names.refresh().await {
                tracing::warn!("names approved elsewhere not re-read: {e}");
            }
        }
        Change::Reload => {
            let ds = store.load().await?;
            // with the registry's names and the proposals' former names, as at start
            let fresh = LiveData::with_aliases(ds, &state.data.gazetteer_aliases());
            *state.data.write() = fresh;
            state.tiles.reload(state.data.read().data.data());
        }
        Change::Upsert { table, key } | Change::Delete { table, key } => {
            let deleted = matches!(change, Change::Delete { .. });
            let tiles_before =
                crate::service::tiles::record_bounds(&state.data.read(), *table, key);
            let outcome = match table {
                ChangeTable::Facilities => {
                    let row = if deleted {
                        None
                    } else {
                        store.facility(key).await?
                    };
                    let mut live = state.data.write();
                    match row {
                        Some(f) => live.upsert_facility(f),
                        None => live.delete_facility(key),
                    }
                }
                ChangeTable::Doorplates => {
                    let id: u64 = key.parse().map_err(|_| {
                        DataError::invalid(
                            "civmap.doorplates",
                            format!("id {key}"),
                            Some("id"),
                            "not a number",
                        )
                    })?;
                    let row = if deleted {
                        None
                    } else {
                        store.doorplate(id).await?
                    };
                    let mut live = state.data.write();
                    match row {
                        Some(d) => live.upsert_doorplate(d),
                        None => live.delete_doorplate(id),
                    }
                }
                ChangeTable::Landmarks => {
                    let row = if deleted {
                        None
                    } else {
                        store.landmark(key).await?
                    };
                    let mut live = state.data.write();
                    match row {
                        Some(l) => live.upsert_landmark(l),
                        None => live.delete_landmark(key),
                    }
                }
                ChangeTable::Admin => {
                    let row = if deleted {
                        None
                    } else {
                        store.admin_unit(key).await?
                    };
                    let mut live = state.data.write();
                    match row {
                        Some(u) => live.upsert_admin(u),
                        None => match AdminCode::parse(key) {
                            Ok(code) => live.delete_admin(&code),
                            Err(_) => EditOutcome::NotFound,
                        },
                    }
                }
                _ => EditOutcome::NotFound,
            };
            tracing::debug!(
                "{} {key}: {outcome:?}",
                civmap_data::postgis::table_name(*table)
            );
            // admin edits (and long runs of edits) rebuild the gazetteer in the background
            refresh_gazetteer(&state.data);
            state
                .tiles
                .record_changed(&state.data, *table, key, tiles_before);
        }
        _ => {}
    }
    Ok(())
}
