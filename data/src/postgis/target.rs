//! Which database we talk to, as it may be shown: the URL with its password replaced by
//! `***`, for Debug output, logs and every error message.

use std::fmt;
use std::str::FromStr;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use crate::DataError;

/// A parsed connection string and its redacted form.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: Config,
    /// `postgres://user:***@host:port/db`.
    pub(crate) shown: String,
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
    /// Parses a `postgres://` URL or a `key=value` connection string.
    pub(crate) fn parse(url: &str) -> Result<Self, DataError> {
        let config = Config::from_str(url).map_err(|e| {
            DataError::invalid(
                redact(url),
                "database URL",
                None,
                format!("cannot parse the connection string: {e}"),
            )
        })?;
        let shown = shown(&config);
        Ok(Self { config, shown })
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
}
