//! Reading from a hot standby without reading the past: a standby refuses `LISTEN`, so a
//! replica listens on the primary and reads from its standby, and before it reads the row a
//! notification names it waits until the standby has replayed the primary's WAL up to the
//! position the primary had reached when the notification arrived
//! (`pg_current_wal_lsn()` on the primary ≤ `pg_last_wal_replay_lsn()` on the standby).
//! A notification is delivered after its transaction commits, so that position is at or
//! after the commit record: once the standby has replayed it, the row is there.
//!
//! ```
//! use civmap_data::postgis::WalLsn;
//! let at_notify: WalLsn = "16/B374D848".parse().unwrap();
//! let replayed: WalLsn = "16/B374D900".parse().unwrap();
//! assert!(replayed >= at_notify);
//! assert_eq!(at_notify.to_string(), "16/B374D848");
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use super::{errors, PgStore};
use crate::DataError;

/// How often [`PgStore::wait_replayed`] asks the standby how far it has replayed.
pub const REPLAY_POLL: Duration = Duration::from_millis(5);

/// A position in PostgreSQL's write-ahead log (`pg_lsn`, shown as `HI/LO` in hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WalLsn(pub u64);

impl FromStr for WalLsn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hi, lo) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("WAL position {s:?}: expected HI/LO in hex"))?;
        let part = |p: &str| {
            u32::from_str_radix(p, 16)
                .map_err(|_| format!("WAL position {s:?}: {p:?} is not a 32-bit hex number"))
        };
        Ok(WalLsn((u64::from(part(hi)?) << 32) | u64::from(part(lo)?)))
    }
}

impl fmt::Display for WalLsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xffff_ffff)
    }
}

impl PgStore {
    /// Where this server's WAL ends now: `pg_current_wal_lsn()` on a primary. On a standby
    /// (which cannot answer that) the position it has replayed to.
    pub async fn current_wal_lsn(&self) -> Result<WalLsn, DataError> {
        let at = "current WAL position";
        let client = self.client(at).await?;
        let row = client
            .query_one(
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text
                             ELSE pg_current_wal_lsn()::text END",
                &[],
            )
            .await
            .map_err(|e| errors::db(&self.target, at, e))?;
        let text: Option<String> = row.get(0);
        self.parse_lsn(at, text.as_deref().unwrap_or("0/0"))
    }

    /// How far this server has replayed its primary's WAL; `None` when it is not a standby
    /// (a primary, or a standby since promoted), which then holds everything it has
    /// committed.
    pub async fn replay_lsn(&self) -> Result<Option<WalLsn>, DataError> {
        let at = "replayed WAL position";
        let client = self.client(at).await?;
        let row = client
            .query_one(
                "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END",
                &[],
            )
            .await
            .map_err(|e| errors::db(&self.target, at, e))?;
        let text: Option<String> = row.get(0);
        text.map(|t| self.parse_lsn(at, &t)).transpose()
    }

    /// Waits until this server (a standby) has replayed the WAL up to `lsn`, polling every
    /// [`REPLAY_POLL`]; returns at once on a server that is not a standby. After `limit`
    /// it is [`DataError::DbTimeout`] naming both positions: the standby is lagging or
    /// its replay is paused.
    pub async fn wait_replayed(&self, lsn: WalLsn, limit: Duration) -> Result<(), DataError> {
        let t = Instant::now();
        loop {
            match self.replay_lsn().await? {
                None => return Ok(()),
                Some(done) if done >= lsn => return Ok(()),
                Some(done) if t.elapsed() >= limit => {
                    return Err(DataError::DbTimeout {
                        database: self.target.shown.clone(),
                        at: "wait for replay".into(),
                        message: format!(
                            "the standby replayed WAL to {done} but not to {lsn} within {} s",
                            limit.as_secs_f64()
                        ),
                    })
                }
                Some(_) => tokio::time::sleep(REPLAY_POLL).await,
            }
        }
    }

    fn parse_lsn(&self, at: &str, text: &str) -> Result<WalLsn, DataError> {
        text.parse()
            .map_err(|e: String| DataError::invalid(self.target.shown.clone(), at, None, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_their_64_bit_value() {
        let a: WalLsn = "0/FFFFFFFF".parse().unwrap();
        let b: WalLsn = "1/0".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.0, 1 << 32);
        assert_eq!(a.to_string(), "0/FFFFFFFF");
        assert!("16".parse::<WalLsn>().unwrap_err().contains("HI/LO"));
        assert!("1/XYZ".parse::<WalLsn>().unwrap_err().contains("\"XYZ\""));
    }
}
