//! Following a PostGIS store: edits made in the database (QGIS, psql, another civmap) reach
//! the running server through LISTEN/NOTIFY and update the in-memory indexes one record at a
//! time. When the database goes away the server keeps answering from memory, `/health` says
//! `degraded`, and it reconnects with exponential backoff (0.25 s doubling to 5 s); every
//! (re)connection starts with a full reload, so edits made while it was away are not lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use civmap_data::postgis::{listen, Change, ChangeTable, PgStore};
use civmap_data::DataError;
use civmap_geo_core::live::EditOutcome;
use civmap_geo_core::AdminCode;
use tokio::sync::mpsc;

use crate::service::coverage::DataChange;
use crate::service::data::{refresh_gazetteer, LiveData};
use crate::service::SharedState;

/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs forever: listens, applies changes, reconnects.
pub async fn follow(state: SharedState, url: String) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let (tx, mut rx) = mpsc::channel::<Change>(4096);
        let listen_url = url.clone();
        let listener = tokio::spawn(async move { listen(&listen_url, tx).await });
        let mut store: Option<PgStore> = None;
        let mut failure: Option<String> = None;
        while let Some(change) = rx.recv().await {
            if store.is_none() {
                match PgStore::connect(&url).await {
                    Ok(s) => store = Some(s),
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            let Some(st) = &store else { break };
            match apply(&state, st, &change).await {
                Ok(()) => {
                    state.coverage.note_change(coverage_change(&change));
                    if matches!(change, Change::Reload) {
                        state.data.first_load.notify_one();
                        if !state.data.store_up.swap(true, Ordering::Relaxed) {
                            tracing::info!("database {} is back; data reloaded", st.url());
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
        Change::Reload => {
            let ds = store.load().await?;
            let fresh = LiveData::new(ds);
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
