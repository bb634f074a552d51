//! Live changes: the database tells us what changed, we forward it.
//!
//! Why keys only: NOTIFY payloads are capped at 8000 bytes and a community polygon is
//! bigger, so the triggers send `{"table","op","id"}` and the receiver reads the row back
//! with [`PgStore::facility`](super::PgStore::facility) and friends — which also means it
//! sees the committed row, not what the trigger saw.
//!
//! Latency: PostgreSQL delivers a notification when the writing transaction commits; on a
//! local or LAN connection it reaches [`listen`]'s channel within a few milliseconds (the
//! tests require under one second, end to end). Notifications sent while nobody listens are
//! lost; that is why the first message after `LISTEN` takes effect is always
//! [`Change::Reload`]: a receiver that (re)connects re-reads everything once and is then
//! kept current. A connection that dies is noticed at once when the server closes it, and
//! within about [`PING_EVERY`] + [`PING_TIMEOUT`] when the network silently drops it
//! (a periodic `SELECT 1`, plus TCP keepalives).

use std::time::Duration;

use futures_util::{stream, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::errors;
use super::target::Target;
use super::CHANNEL;
use crate::DataError;

/// How often a quiet listener checks that its connection is alive.
pub const PING_EVERY: Duration = Duration::from_secs(10);
/// How long that check may take before the connection counts as lost.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A layer with change notifications: one of [`Layer::RECORDS`] (the layer registry).
pub use civmap_geo_core::Layer as ChangeTable;

/// The PostGIS table of a layer in schema `civmap` (the network has three: nodes, roads
/// and edges; this names the edges).
pub fn table_name(layer: ChangeTable) -> &'static str {
    match layer {
        ChangeTable::Admin => "admin_units",
        ChangeTable::Facilities => "facilities",
        ChangeTable::Doorplates => "doorplates",
        ChangeTable::Landmarks => "landmarks",
        ChangeTable::Network => "network_edges",
    }
}

/// The record layer whose table this is (`None` for other tables).
fn from_table_name(name: &str) -> Option<ChangeTable> {
    ChangeTable::RECORDS
        .into_iter()
        .find(|l| table_name(*l) == name)
}

/// One change to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A row was inserted or updated: read it back by key and put it in place.
    Upsert {
        /// The layer.
        table: ChangeTable,
        /// Its key (code or id).
        key: String,
    },
    /// A row with this key is gone.
    Delete {
        /// The layer.
        table: ChangeTable,
        /// Its key (code or id).
        key: String,
    },
    /// Anything may have changed (a push, a TRUNCATE, a (re)connect): load everything.
    Reload,
    /// An approved name (payload `{"op":"names"}`, sent by the approval's transaction):
    /// re-read the name registry, so that every replica answers the old name as a former
    /// one — a road's rename changes no served row, so no row trigger says it.
    Names,
}

#[derive(Deserialize)]
struct Payload {
    table: Option<String>,
    op: String,
    id: Option<String>,
}

impl Change {
    /// Parses a `civmap_changes` payload. Payloads it does not understand — someone's
    /// hand-made NOTIFY, a future format — become [`Change::Reload`]: slow but never stale.
    pub fn parse(payload: &str) -> Change {
        let Ok(p) = serde_json::from_str::<Payload>(payload) else {
            return Change::Reload;
        };
        let table = p.table.as_deref().and_then(from_table_name);
        match (p.op.to_ascii_uppercase().as_str(), table, p.id) {
            ("INSERT" | "UPDATE", Some(table), Some(key)) => Change::Upsert { table, key },
            ("DELETE", Some(table), Some(key)) => Change::Delete { table, key },
            ("NAMES", None, None) => Change::Names,
            _ => Change::Reload,
        }
    }
}

/// Listens for changes on its own connection and forwards them to `tx`, in commit order.
///
/// Returns `Ok(())` when `tx`'s receiver is dropped, and `Err` when the connection cannot
/// be opened or is lost (the caller reconnects, with backoff, and reloads on the
/// [`Change::Reload`] that every new listener sends first).
pub async fn listen(url: &str, tx: mpsc::Sender<Change>) -> Result<(), DataError> {
    let target = Target::parse(url)?;
    let mut config = target.config.clone();
    config
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10));
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| errors::db(&target, "listen: connect", e))?;

    // The connection's messages: notifications go to `notes`; its end (error or EOF)
    // ends the stream.
    let (notes_tx, mut notes) = mpsc::unbounded_channel::<String>();
    let mut conn_task = tokio::spawn(async move {
        let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notes_tx.send(n.payload().to_owned()).is_err() {
                        return Ok(());
                    }
                }
                Ok(_) => {} // notices
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let lost = |why: String| DataError::Io {
        path: target.shown.clone().into(),
        source: std::io::Error::new(std::io::ErrorKind::ConnectionAborted, why),
    };

    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| errors::db(&target, "listen: LISTEN", e))?;
        if tx.send(Change::Reload).await.is_err() {
            return Ok(());
        }
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                note = notes.recv() => match note {
                    Some(payload) => {
                        if tx.send(Change::parse(&payload)).await.is_err() {
                            return Ok(());
                        }
                    }
                    None => {
                        // The connection task ended: say why.
                        let why = match (&mut conn_task).await {
                            Ok(Err(e)) => format!("listen: connection lost: {e}"),
                            _ => "listen: connection closed by the server".to_owned(),
                        };
                        return Err(lost(why));
                    }
                },
                _ = tx.closed() => return Ok(()),
                _ = ping.tick() => {
                    match tokio::time::timeout(PING_TIMEOUT, client.simple_query("SELECT 1")).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return Err(lost(format!("listen: connection lost: {e}"))),
                        Err(_) => return Err(lost(format!(
                            "listen: the server did not answer a ping within {PING_TIMEOUT:?}"
                        ))),
                    }
                }
            }
        }
    }
    .await;
    conn_task.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_become_changes() {
        assert_eq!(
            Change::parse(r#"{"table" : "facilities", "op" : "UPDATE", "id" : "f1"}"#),
            Change::Upsert {
                table: ChangeTable::Facilities,
                key: "f1".into()
            }
        );
        assert_eq!(
            Change::parse(r#"{"table":"admin_units","op":"DELETE","id":"330106000000"}"#),
            Change::Delete {
                table: ChangeTable::Admin,
                key: "330106000000".into()
            }
        );
        assert_eq!(Change::parse(r#"{"op":"reload"}"#), Change::Reload);
        assert_eq!(
            Change::parse(r#"{"table":"doorplates","op":"TRUNCATE"}"#),
            Change::Reload
        );
        assert_eq!(Change::parse("hello"), Change::Reload);
        assert_eq!(Change::parse(r#"{"op":"names"}"#), Change::Names);
        // a names payload naming a table is not one this version sent
        assert_eq!(
            Change::parse(r#"{"op":"names","table":"doorplates"}"#),
            Change::Reload
        );
    }
}
