//! Which database we talk to, as it may be shown: the URL with its password replaced by
//! `***`, for Debug output, logs and every error message — and the time limits every
//! connection civmap opens carries ([`DbTimeouts`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use crate::DataError;

/// The time limits of civmap's database work, set on every connection it opens.
///
/// Why: a database that hangs (a lock held by someone's open psql transaction, a
/// statement stuck on a slow disk, a host that drops packets) must not hang the server
/// with it. Each wait becomes a [`DataError::DbTimeout`] naming the database, the server
/// keeps answering from memory, and the follower reconnects. The server enforces the
/// first three itself (they are sent as `options=-c …` at connect, before any user
/// `options` in the URL, which therefore still win).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbTimeouts {
    /// `statement_timeout` of ordinary statements: reading one changed row, migrations.
    /// 30 s is ~1,000 times what they take; only a stuck statement gets near it.
    pub statement: Duration,
    /// `lock_timeout`: how long a statement waits for a table or row lock (say, behind an
    /// editor's open transaction) before failing instead of queueing forever.
    pub lock: Duration,
    /// `idle_in_transaction_session_timeout`: a transaction of ours left idle (a client
    /// that died between statements) is ended by the server, releasing its locks.
    pub idle_in_transaction: Duration,
    /// `statement_timeout` (set with `SET LOCAL` inside their transaction) of the bulk
    /// statements of `push` and `load`: a whole-city COPY takes seconds, more on a slow
    /// server, so these get minutes.
    pub bulk_statement: Duration,
    /// How long opening a connection may take (TCP, TLS-less handshake, authentication).
    pub connect: Duration,
    /// How long a call waits for the store's one connection while another call uses it
    /// (a whole-city load holds it for seconds).
    pub client_wait: Duration,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(30),
            lock: Duration::from_secs(10),
            idle_in_transaction: Duration::from_secs(60),
            bulk_statement: Duration::from_secs(600),
            connect: Duration::from_secs(10),
            client_wait: Duration::from_secs(60),
        }
    }
}

/// Milliseconds for a Postgres setting (at least 1: 0 would mean "no limit").
pub(crate) fn pg_ms(d: Duration) -> u128 {
    d.as_millis().max(1)
}

/// A parsed connection string and its redacted form.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: Config,
    /// `postgres://user:***@host:port/db`.
    pub(crate) shown: String,
    /// The limits set on its connections.
    pub(crate) timeouts: DbTimeouts,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Target {
    /// Parses a `postgres://` URL or a `key=value` connection string, with the default
    /// [`DbTimeouts`].
    pub(crate) fn parse(url: &str) -> Result<Self, DataError> {
        Self::parse_with(url, DbTimeouts::default())
    }

    /// Parses `url` and sets `timeouts` on its connections: the connect timeout (unless
    /// the URL sets `connect_timeout`) and the server-side limits as startup options.
    pub(crate) fn parse_with(url: &str, timeouts: DbTimeouts) -> Result<Self, DataError> {
        let mut config = Config::from_str(url).map_err(|e| {
            DataError::invalid(
                redact(url),
                "database URL",
                None,
                format!("cannot parse the connection string: {e}"),
            )
        })?;
        let shown = shown(&config);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(timeouts.connect);
        }
        let mut options = format!(
            "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
            pg_ms(timeouts.statement),
            pg_ms(timeouts.lock),
            pg_ms(timeouts.idle_in_transaction)
        );
        if let Some(theirs) = config.get_options() {
            options.push(' ');
            options.push_str(theirs);
        }
        config.options(options);
        Ok(Self {
            config,
            shown,
            timeouts,
        })
    }
}

fn shown(c: &Config) -> String {
    let user = c.get_user().unwrap_or("");
    let password = if c.get_password().is_some() {
        ":***"
    } else {
        ""
    };
    let at = if user.is_empty() && password.is_empty() {
        ""
    } else {
        "@"
    };
    let ports = c.get_ports();
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(p) => format!("{host}:{p}"),
                None => host,
            }
        })
        .collect();
    format!(
        "postgres://{user}{password}{at}{}/{}",
        hosts.join(","),
        c.get_dbname().unwrap_or("")
    )
}

/// Redacts a connection string that could not be parsed: the password of a URL
/// (`scheme://user:PASSWORD@…`) and any `password=…` pair.
pub(crate) fn redact(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        if let Some(at) = rest.rfind('@') {
            let userinfo = &rest[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
        return url.to_owned();
    }
    url.split_whitespace()
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let t = Target::parse("postgres://civ:s3cret@db.example:5433/civmap").unwrap();
        assert_eq!(t.to_string(), "postgres://civ:***@db.example:5433/civmap");
        assert_eq!(
            format!("{t:?}"),
            "postgres://civ:***@db.example:5433/civmap"
        );
        let t = Target::parse("host=localhost user=u password=s3cret dbname=d").unwrap();
        assert!(!t.to_string().contains("s3cret"));
        assert_eq!(
            redact("postgres://civ:s3cret@db/civmap?x=1"),
            "postgres://civ:***@db/civmap?x=1"
        );
        assert_eq!(redact("user=u password=s3cret"), "user=u password=***");
        let e = Target::parse("postgres://civ:s3cret@db:notaport/civmap").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn every_connection_carries_the_limits_and_the_url_may_override_them() {
        let t = Target::parse("postgres://civ@db/civmap").unwrap();
        let d = DbTimeouts::default();
        assert_eq!(t.config.get_connect_timeout(), Some(&d.connect));
        assert_eq!(
            t.config.get_options(),
            Some("-c statement_timeout=30000 -c lock_timeout=10000 -c idle_in_transaction_session_timeout=60000")
        );
        // The URL's own settings come after ours, so Postgres applies them last.
        let t = Target::parse(
            "postgres://civ@db/civmap?connect_timeout=3&options=-c%20statement_timeout%3D5000",
        )
        .unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        let options = t.config.get_options().unwrap();
        assert!(
            options.ends_with("-c statement_timeout=5000")
                && options.starts_with("-c statement_timeout=30000"),
            "{options}"
        );
    }
}
