//! Database failures as [`DataError`]s. The "file" of an error is the redacted database
//! URL; server errors (a CHECK, a type) become [`DataError::Invalid`] naming what the
//! server named (table, column, constraint, COPY line → record key); lost connections and
//! other transport failures become [`DataError::Io`].

use tokio_postgres::error::SqlState;

use super::target::Target;
use crate::DataError;

/// Maps a failure to connect: a connect timeout is [`DataError::DbTimeout`].
pub(crate) fn connect(target: &Target, at: &str, e: tokio_postgres::Error) -> DataError {
    let timed_out = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
    if timed_out {
        DataError::DbTimeout {
            database: target.shown.clone(),
            at: at.to_owned(),
            message: match target.config.get_connect_timeout() {
                Some(limit) => format!("no connection within {} s", limit.as_secs_f64()),
                None => "the connection attempt timed out".to_owned(),
            },
        }
    } else {
        db(target, at, e)
    }
}

/// Maps a tokio-postgres error met while doing `at` (e.g. `push facilities`).
pub(crate) fn db(target: &Target, at: impl Into<String>, e: tokio_postgres::Error) -> DataError {
    let at = at.into();
    match e.as_db_error() {
        // The server stopped us at one of the limits every civmap session sets
        // (`DbTimeouts`): query_canceled (statement_timeout, or an operator's cancel),
        // lock_not_available (lock_timeout), idle_in_transaction_session_timeout.
        Some(d)
            if [
                SqlState::QUERY_CANCELED,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
            ]
            .contains(d.code()) =>
        {
            DataError::DbTimeout {
                database: target.shown.clone(),
                at,
                message: format!("{} ({})", d.message(), d.code().code()),
            }
        }
        Some(d) => {
            let mut message = format!("{} ({})", d.message(), d.code().code());
            if let Some(detail) = d.detail() {
                message.push_str(": ");
                message.push_str(&shorten(detail, 300));
            }
            if let Some(c) = d.constraint() {
                message.push_str(&format!(" [constraint {c}]"));
            }
            if let Some(w) = d.where_() {
                message.push_str(&format!(" [{}]", shorten(w, 200)));
            }
            let at = match d.table() {
                Some(t) if !at.contains(t) => format!("{at} (table {t})"),
                _ => at,
            };
            DataError::Invalid {
                file: target.shown.clone(),
                at,
                field: d.column().map(str::to_owned),
                message,
            }
        }
        None => DataError::Io {
            path: target.shown.clone().into(),
            source: std::io::Error::other(format!("{at}: {e}")),
        },
    }
}

/// A stored row that breaks the model.
pub(crate) fn row(
    target: &Target,
    table: &str,
    key_column: &str,
    key: &str,
    column: &str,
    message: impl Into<String>,
) -> DataError {
    DataError::Invalid {
        file: target.shown.clone(),
        at: format!("civmap.{table} {key_column} {key:?}"),
        field: Some(column.to_owned()),
        message: message.into(),
    }
}

/// A record that cannot be written (a value the column type cannot hold).
pub(crate) fn record(layer: &str, key: &str, field: &str, message: impl Into<String>) -> DataError {
    DataError::Invalid {
        file: "dataset".into(),
        at: format!("{layer} {key}"),
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn shorten(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max_chars).collect();
        t.push('…');
        t
    }
}

/// The 1-based line of a COPY in a server error's context (`COPY facilities, line 3`).
pub(crate) fn copy_line(e: &tokio_postgres::Error) -> Option<usize> {
    let w = e.as_db_error()?.where_()?;
    let rest = &w[w.find(", line ")? + 7..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
