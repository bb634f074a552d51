//! Accounts in `accounts.sqlite` (WAL, so a running server and `civmap user …` can share it).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    now_ms, AccountsError, AuditEntry, AuditQuery, AuditRecord, NewUser, Role, Session, User,
};

const SCHEMA: &str = include_str!("../../migrations/accounts.sqlite.sql");
/// The survey register's tables (added later; applied on every open, so older files gain
/// them the first time a newer civmap opens them).
const REGISTER_SCHEMA: &str = include_str!("../../migrations/survey_register.sqlite.sql");
/// The doorplate alias table (added later; applied on every open like the register's).
const ALIAS_SCHEMA: &str = include_str!("../../migrations/doorplate_aliases.sqlite.sql");
/// The what-if scenario table (added later; applied on every open like the register's).
const SCENARIO_SCHEMA: &str = include_str!("../../migrations/scenarios.sqlite.sql");
/// The place-name tables (added later; applied on every open like the register's).
const NAMES_SCHEMA: &str = include_str!("../../migrations/names.sqlite.sql");
/// The division history's tables (added later; applied on every open like the register's).
const HISTORY_SCHEMA: &str = include_str!("../../migrations/history.sqlite.sql");
/// The change proposals' tables (applied on every open like the register's).
const PROPOSALS_SCHEMA: &str = include_str!("../../migrations/proposals.sqlite.sql");

/// How long a write waits for the other process's transaction before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct SqliteAccounts {
    conn: Arc<Mutex<Connection>>,
    shown: String,
}

pub(crate) fn err(shown: &str, at: &str, e: impl std::fmt::Display) -> AccountsError {
    AccountsError::Store {
        store: shown.to_owned(),
        message: format!("{at}: {e}"),
    }
}

fn role_of(shown: &str, s: &str) -> Result<Role, AccountsError> {
    s.parse().map_err(|_| {
        err(
            shown,
            "read users",
            format!("stored role {s:?} is not a role"),
        )
    })
}

fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

pub(crate) fn insert_audit(
    tx: &rusqlite::Transaction<'_>,
    a: &AuditRecord,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO audit (at_ms, who, action, target, before, after, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![now_ms(), a.who, a.action, a.target, json_text(&a.before), json_text(&a.after), a.client],
    )?;
    Ok(tx.last_insert_rowid())
}

fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({"name": u.name, "role": u.role, "district": u.district})
}

fn read_user(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, Option<String>, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

impl SqliteAccounts {
    pub(super) fn open(path: &Path) -> Result<Self, AccountsError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| err(&shown, "create directory", e))?;
        }
        let conn = Connection::open(path).map_err(|e| err(&shown, "open", e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| err(&shown, "busy_timeout", e))?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(|e| err(&shown, "foreign_keys", e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| err(&shown, "create tables", e))?;
        conn.execute_batch(REGISTER_SCHEMA)
            .map_err(|e| err(&shown, "create register tables", e))?;
        conn.execute_batch(ALIAS_SCHEMA)
            .map_err(|e| err(&shown, "create doorplate alias table", e))?;
        conn.execute_batch(SCENARIO_SCHEMA)
            .map_err(|e| err(&shown, "create scenario table", e))?;
        conn.execute_batch(NAMES_SCHEMA)
            .map_err(|e| err(&shown, "create place-name tables", e))?;
        conn.execute_batch(HISTORY_SCHEMA)
            .map_err(|e| err(&shown, "create history tables", e))?;
        conn.execute_batch(PROPOSALS_SCHEMA)
            .map_err(|e| err(&shown, "create proposal tables", e))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            shown,
        })
    }

    pub(crate) fn shown(&self) -> String {
        self.shown.clone()
    }

    /// Runs `f` on the connection on a blocking thread.
    pub(crate) async fn with<T: Send + 'static, E: From<AccountsError> + Send + 'static>(
        &self,
        at: &'static str,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let conn = self.conn.clone();
        let shown = self.shown.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| err(&shown, at, e))?
    }

    /// Runs `f` in an IMMEDIATE transaction (the write lock is taken at BEGIN, so two
    /// processes never deadlock upgrading a read lock) and commits.
    pub(crate) async fn write<T: Send + 'static, E: From<AccountsError> + Send + 'static>(
        &self,
        at: &'static str,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &str) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E> {
        let shown = self.shown.clone();
        self.with(at, move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| err(&shown, at, e))?;
            let out = f(&tx, &shown)?;
            tx.commit().map_err(|e| err(&shown, at, e))?;
            Ok(out)
        })
        .await
    }

    pub(super) async fn add_user(
        &self,
        u: NewUser,
        audit: AuditRecord,
    ) -> Result<User, AccountsError> {
        self.write("add user", move |tx, shown| {
            let exists: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)", [&u.name], |r| r.get(0))
                .map_err(|e| err(shown, "add user", e))?;
            if exists {
                return Err(AccountsError::Exists(u.name));
            }
            let user = User {
                name: u.name.clone(),
                role: u.role,
                district: u.district.clone(),
                created_ms: now_ms(),
            };
            tx.execute(
                "INSERT INTO users (name, role, district, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.name, u.role.as_str(), u.district, u.password_hash, user.created_ms],
            )
            .map_err(|e| err(shown, "add user", e))?;
            insert_audit(tx, &audit.after(user_json(&user))).map_err(|e| err(shown, "audit", e))?;
            Ok(user)
        })
        .await
    }

    pub(super) async fn remove_user(
        &self,
        name: &str,
        audit: AuditRecord,
    ) -> Result<User, AccountsError> {
        let name = name.to_owned();
        self.write("remove user", move |tx, shown| {
            let row = tx
                .query_row(
                    "SELECT name, role, district, created_ms FROM users WHERE name = ?1",
                    [&name],
                    read_user,
                )
                .optional()
                .map_err(|e| err(shown, "remove user", e))?;
            let Some((n, role, district, created_ms)) = row else {
                return Err(AccountsError::NoUser(name));
            };
            let user = User {
                name: n,
                role: role_of(shown, &role)?,
                district,
                created_ms,
            };
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&name])
                .map_err(|e| err(shown, "remove sessions", e))?;
            tx.execute("DELETE FROM users WHERE name = ?1", [&name])
                .map_err(|e| err(shown, "remove user", e))?;
            insert_audit(tx, &audit.before(user_json(&user)))
                .map_err(|e| err(shown, "audit", e))?;
            Ok(user)
        })
        .await
    }

    pub(super) async fn set_password(
        &self,
        name: &str,
        hash: String,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        let name = name.to_owned();
        self.write("set password", move |tx, shown| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                    params![name, hash],
                )
                .map_err(|e| err(shown, "set password", e))?;
            if n == 0 {
                return Err(AccountsError::NoUser(name));
            }
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&name])
                .map_err(|e| err(shown, "end sessions", e))?;
            insert_audit(tx, &audit).map_err(|e| err(shown, "audit", e))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn users(&self) -> Result<Vec<User>, AccountsError> {
        let shown = self.shown.clone();
        self.with("list users", move |c| {
            let mut st = c
                .prepare("SELECT name, role, district, created_ms FROM users ORDER BY name")
                .map_err(|e| err(&shown, "list users", e))?;
            let rows = st
                .query_map([], read_user)
                .map_err(|e| err(&shown, "list users", e))?;
            let mut out = Vec::new();
            for r in rows {
                let (name, role, district, created_ms) =
                    r.map_err(|e| err(&shown, "list users", e))?;
                out.push(User {
                    name,
                    role: role_of(&shown, &role)?,
                    district,
                    created_ms,
                });
            }
            Ok(out)
        })
        .await
    }

    pub(super) async fn credentials(
        &self,
        name: &str,
    ) -> Result<Option<(User, String)>, AccountsError> {
        let name = name.to_owned();
        let shown = self.shown.clone();
        self.with("read user", move |c| {
            let row = c
                .query_row(
                    "SELECT name, role, district, created_ms, password_hash FROM users WHERE name = ?1",
                    [&name],
                    |r| Ok((read_user(r)?, r.get::<_, String>(4)?)),
                )
                .optional()
                .map_err(|e| err(&shown, "read user", e))?;
            row.map(|((name, role, district, created_ms), hash)| {
                Ok((
                    User {
                        name,
                        role: role_of(&shown, &role)?,
                        district,
                        created_ms,
                    },
                    hash,
                ))
            })
            .transpose()
        })
        .await
    }

    pub(super) async fn create_session(
        &self,
        token: [u8; 32],
        user: &str,
        expires_ms: i64,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        let user = user.to_owned();
        self.write("create session", move |tx, shown| {
            let now = now_ms();
            // Expired sessions go with each login: the table holds live ones only.
            tx.execute("DELETE FROM sessions WHERE expires_ms <= ?1", [now])
                .map_err(|e| err(shown, "expire sessions", e))?;
            tx.execute(
                "INSERT INTO sessions (token_sha256, user_name, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                params![token.as_slice(), user, now, expires_ms],
            )
            .map_err(|e| err(shown, "create session", e))?;
            insert_audit(tx, &audit).map_err(|e| err(shown, "audit", e))?;
            Ok(())
        })
        .await
    }

    pub(super) async fn session(
        &self,
        token: [u8; 32],
        now: i64,
    ) -> Result<Option<Session>, AccountsError> {
        let shown = self.shown.clone();
        self.with("read session", move |c| {
            let row = c
                .query_row(
                    "SELECT u.name, u.role, u.district, u.created_ms, s.expires_ms
                       FROM sessions s JOIN users u ON u.name = s.user_name
                      WHERE s.token_sha256 = ?1 AND s.expires_ms > ?2",
                    params![token.as_slice(), now],
                    |r| Ok((read_user(r)?, r.get::<_, i64>(4)?)),
                )
                .optional()
                .map_err(|e| err(&shown, "read session", e))?;
            row.map(|((name, role, district, created_ms), expires_ms)| {
                Ok(Session {
                    user: User {
                        name,
                        role: role_of(&shown, &role)?,
                        district,
                        created_ms,
                    },
                    expires_ms,
                })
            })
            .transpose()
        })
        .await
    }

    pub(super) async fn end_session(
        &self,
        token: [u8; 32],
        audit: AuditRecord,
    ) -> Result<bool, AccountsError> {
        self.write("end session", move |tx, shown| {
            let n = tx
                .execute(
                    "DELETE FROM sessions WHERE token_sha256 = ?1",
                    [token.as_slice()],
                )
                .map_err(|e| err(shown, "end session", e))?;
            if n > 0 {
                insert_audit(tx, &audit).map_err(|e| err(shown, "audit", e))?;
            }
            Ok(n > 0)
        })
        .await
    }

    pub(super) async fn audit(&self, audit: AuditRecord) -> Result<i64, AccountsError> {
        self.write("audit", move |tx, shown| {
            insert_audit(tx, &audit).map_err(|e| err(shown, "audit", e))
        })
        .await
    }

    pub(super) async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, AccountsError> {
        let q = q.clone();
        let shown = self.shown.clone();
        self.with("read audit", move |c| {
            let mut st = c
                .prepare(
                    "SELECT id, at_ms, who, action, target, before, after, client FROM audit
                      WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR who = ?2)
                        AND (?3 IS NULL OR substr(action, 1, length(?3)) = ?3)
                      ORDER BY id DESC LIMIT ?4",
                )
                .map_err(|e| err(&shown, "read audit", e))?;
            let rows = st
                .query_map(params![q.before_id, q.who, q.action_prefix, q.limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                })
                .map_err(|e| err(&shown, "read audit", e))?;
            let parse = |s: Option<String>| -> Result<Option<serde_json::Value>, AccountsError> {
                s.map(|s| serde_json::from_str(&s).map_err(|e| err(&shown, "read audit", e)))
                    .transpose()
            };
            let mut out = Vec::new();
            for r in rows {
                let (id, at_ms, who, action, target, before, after, client) =
                    r.map_err(|e| err(&shown, "read audit", e))?;
                out.push(AuditEntry {
                    id,
                    at_ms,
                    record: AuditRecord {
                        who,
                        action,
                        target,
                        before: parse(before)?,
                        after: parse(after)?,
                        client,
                    },
                });
            }
            Ok(out)
        })
        .await
    }
}
