//! Accounts in PostGIS (`civmap.users`, `civmap.sessions`, `civmap.audit`).
//!
//! One connection, reopened on the next call after it is lost, so that a database restart
//! costs the requests made while it is down and nothing after.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::{Client, GenericClient, NoTls, Row};

use super::{AccountsError, AuditEntry, AuditQuery, AuditRecord, NewUser, Session, User};
use crate::postgis::target::Target;

/// How long a call waits for the shared connection before it gives up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Clones share the one connection (the survey register writes through it too).
#[derive(Debug, Clone)]
pub struct PgAccounts {
    pub(crate) target: Target,
    client: Arc<Mutex<Option<Client>>>,
}

pub(crate) fn err(target: &Target, at: &str, e: impl std::fmt::Display) -> AccountsError {
    AccountsError::Store {
        store: target.shown.clone(),
        message: format!("{at}: {e}"),
    }
}

pub(crate) fn db(target: &Target, at: &str, e: tokio_postgres::Error) -> AccountsError {
    match e.as_db_error() {
        Some(d) => err(target, at, format!("{} ({})", d.message(), d.code().code())),
        None => err(target, at, e),
    }
}

const USER_COLS: &str = "name, role, district, (extract(epoch from created_at) * 1000)::int8";

fn user_of(target: &Target, r: &Row, at: usize) -> Result<User, AccountsError> {
    let role: String = r.get(at + 1);
    Ok(User {
        name: r.get(at),
        role: role.parse().map_err(|_| {
            err(
                target,
                "read users",
                format!("stored role {role:?} is not a role"),
            )
        })?,
        district: r.get(at + 2),
        created_ms: r.get(at + 3),
    })
}

fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({"name": u.name, "role": u.role, "district": u.district})
}

pub(crate) async fn insert_audit(
    c: &impl GenericClient,
    target: &Target,
    a: &AuditRecord,
) -> Result<i64, AccountsError> {
    let row = c
        .query_one(
            "INSERT INTO civmap.audit (who, action, target, before, after, client)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&a.who, &a.action, &a.target, &a.before, &a.after, &a.client],
        )
        .await
        .map_err(|e| db(target, "audit", e))?;
    Ok(row.get(0))
}

impl PgAccounts {
    pub(super) async fn connect(url: &str) -> Result<Self, AccountsError> {
        let target = Target::parse(url).map_err(|e| AccountsError::Store {
            store: "database URL".into(),
            message: e.to_string(),
        })?;
        let me = Self {
            target,
            client: Arc::new(Mutex::new(None)),
        };
        // Connect and migrate now, so a bad URL or schema fails at start-up.
        let mut guard = me.client.lock().await;
        let client = guard.insert(me.open().await?);
        let tx = client
            .transaction()
            .await
            .map_err(|e| db(&me.target, "migrate", e))?;
        crate::postgis::migrate::apply(&tx, &me.target)
            .await
            .map_err(|e| err(&me.target, "migrate", e))?;
        tx.commit()
            .await
            .map_err(|e| db(&me.target, "migrate", e))?;
        drop(guard);
        Ok(me)
    }

    async fn open(&self) -> Result<Client, AccountsError> {
        let mut config = self.target.config.clone();
        config.connect_timeout(Duration::from_secs(10));
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| db(&self.target, "connect", e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
    }

    pub(super) fn shown(&self) -> String {
        self.target.shown.clone()
    }

    /// The connection, reopened if it was lost.
    pub(crate) async fn client(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<Client>>, AccountsError> {
        let mut guard = tokio::time::timeout(ACQUIRE_TIMEOUT, self.client.lock())
            .await
            .map_err(|_| {
                err(
                    &self.target,
                    "connection",
                    format!("busy for more than {ACQUIRE_TIMEOUT:?}"),
                )
            })?;
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            *guard = Some(self.open().await?);
        }
        Ok(guard)
    }

    pub(super) async fn add_user(
        &self,
        u: NewUser,
        audit: AuditRecord,
    ) -> Result<User, AccountsError> {
        let t = &self.target;
        let mut g = self.client().await?;
        let c = g.as_mut().expect("connected");
        let tx = c.transaction().await.map_err(|e| db(t, "add user", e))?;
        let row = tx
            .query_opt(
                &format!(
                    "INSERT INTO civmap.users (name, role, district, password_hash)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING {USER_COLS}"
                ),
                &[&u.name, &u.role.as_str(), &u.district, &u.password_hash],
            )
            .await
            .map_err(|e| db(t, "add user", e))?;
        let Some(row) = row else {
            return Err(AccountsError::Exists(u.name));
        };
        let user = user_of(t, &row, 0)?;
        insert_audit(&tx, t, &audit.after(user_json(&user))).await?;
        tx.commit().await.map_err(|e| db(t, "add user", e))?;
        Ok(user)
    }

    pub(super) async fn remove_user(
        &self,
        name: &str,
        audit: AuditRecord,
    ) -> Result<User, AccountsError> {
        let t = &self.target;
        let mut g = self.client().await?;
        let c = g.as_mut().expect("connected");
        let tx = c.transaction().await.map_err(|e| db(t, "remove user", e))?;
        let row = tx
            .query_opt(
                &format!("DELETE FROM civmap.users WHERE name = $1 RETURNING {USER_COLS}"),
                &[&name],
            )
            .await
            .map_err(|e| db(t, "remove user", e))?;
        let Some(row) = row else {
            return Err(AccountsError::NoUser(name.to_owned()));
        };
        let user = user_of(t, &row, 0)?;
        insert_audit(&tx, t, &audit.before(user_json(&user))).await?;
        tx.commit().await.map_err(|e| db(t, "remove user", e))?;
        Ok(user)
    }

    pub(super) async fn set_password(
        &self,
        name: &str,
        hash: String,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        let t = &self.target;
        let mut g = self.client().await?;
        let c = g.as_mut().expect("connected");
        let tx = c
            .transaction()
            .await
            .map_err(|e| db(t, "set password", e))?;
        let n = tx
            .execute(
                "UPDATE civmap.users SET password_hash = $2 WHERE name = $1",
                &[&name, &hash],
            )
            .await
            .map_err(|e| db(t, "set password", e))?;
        if n == 0 {
            return Err(AccountsError::NoUser(name.to_owned()));
        }
        tx.execute("DELETE FROM civmap.sessions WHERE user_name = $1", &[&name])
            .await
            .map_err(|e| db(t, "end sessions", e))?;
        insert_audit(&tx, t, &audit).await?;
        tx.commit().await.map_err(|e| db(t, "set password", e))
    }

    pub(super) async fn users(&self) -> Result<Vec<User>, AccountsError> {
        let t = &self.target;
        let g = self.client().await?;
        let rows = g
            .as_ref()
            .expect("connected")
            .query(
                &format!("SELECT {USER_COLS} FROM civmap.users ORDER BY name"),
                &[],
            )
            .await
            .map_err(|e| db(t, "list users", e))?;
        rows.iter().map(|r| user_of(t, r, 0)).collect()
    }

    pub(super) async fn credentials(
        &self,
        name: &str,
    ) -> Result<Option<(User, String)>, AccountsError> {
        let t = &self.target;
        let g = self.client().await?;
        let row = g
            .as_ref()
            .expect("connected")
            .query_opt(
                &format!("SELECT {USER_COLS}, password_hash FROM civmap.users WHERE name = $1"),
                &[&name],
            )
            .await
            .map_err(|e| db(t, "read user", e))?;
        row.map(|r| Ok((user_of(t, &r, 0)?, r.get(4)))).transpose()
    }

    pub(super) async fn create_session(
        &self,
        token: [u8; 32],
        user: &str,
        expires_ms: i64,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        let t = &self.target;
        let mut g = self.client().await?;
        let c = g.as_mut().expect("connected");
        let tx = c
            .transaction()
            .await
            .map_err(|e| db(t, "create session", e))?;
        tx.execute("DELETE FROM civmap.sessions WHERE expires_at <= now()", &[])
            .await
            .map_err(|e| db(t, "expire sessions", e))?;
        tx.execute(
            "INSERT INTO civmap.sessions (token_sha256, user_name, expires_at)
             VALUES ($1, $2, to_timestamp($3::int8 / 1000.0))",
            &[&token.as_slice(), &user, &expires_ms],
        )
        .await
        .map_err(|e| db(t, "create session", e))?;
        insert_audit(&tx, t, &audit).await?;
        tx.commit().await.map_err(|e| db(t, "create session", e))
    }

    pub(super) async fn session(
        &self,
        token: [u8; 32],
        now_ms: i64,
    ) -> Result<Option<Session>, AccountsError> {
        let t = &self.target;
        let g = self.client().await?;
        let row = g
            .as_ref()
            .expect("connected")
            .query_opt(
                "SELECT u.name, u.role, u.district, (extract(epoch from u.created_at) * 1000)::int8,
                        (extract(epoch from s.expires_at) * 1000)::int8
                   FROM civmap.sessions s JOIN civmap.users u ON u.name = s.user_name
                  WHERE s.token_sha256 = $1 AND s.expires_at > to_timestamp($2::int8 / 1000.0)",
                &[&token.as_slice(), &now_ms],
            )
            .await
            .map_err(|e| db(t, "read session", e))?;
        row.map(|r| {
            Ok(Session {
                user: user_of(t, &r, 0)?,
                expires_ms: r.get(4),
            })
        })
        .transpose()
    }

    pub(super) async fn end_session(
        &self,
        token: [u8; 32],
        audit: AuditRecord,
    ) -> Result<bool, AccountsError> {
        let t = &self.target;
        let mut g = self.client().await?;
        let c = g.as_mut().expect("connected");
        let tx = c.transaction().await.map_err(|e| db(t, "end session", e))?;
        let n = tx
            .execute(
                "DELETE FROM civmap.sessions WHERE token_sha256 = $1",
                &[&token.as_slice()],
            )
            .await
            .map_err(|e| db(t, "end session", e))?;
        if n > 0 {
            insert_audit(&tx, t, &audit).await?;
        }
        tx.commit().await.map_err(|e| db(t, "end session", e))?;
        Ok(n > 0)
    }

    pub(super) async fn audit(&self, audit: AuditRecord) -> Result<i64, AccountsError> {
        let g = self.client().await?;
        insert_audit(g.as_ref().expect("connected"), &self.target, &audit).await
    }

    pub(super) async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, AccountsError> {
        let t = &self.target;
        let g = self.client().await?;
        let limit = i64::from(q.limit);
        let rows = g
            .as_ref()
            .expect("connected")
            .query(
                "SELECT id, (extract(epoch from at) * 1000)::int8, who, action, target, before, after, client
                   FROM civmap.audit
                  WHERE ($1::int8 IS NULL OR id < $1) AND ($2::text IS NULL OR who = $2)
                    AND ($3::text IS NULL OR starts_with(action, $3))
                  ORDER BY id DESC LIMIT $4",
                &[&q.before_id, &q.who, &q.action_prefix, &limit],
            )
            .await
            .map_err(|e| db(t, "read audit", e))?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at_ms: r.get(1),
                record: AuditRecord {
                    who: r.get(2),
                    action: r.get(3),
                    target: r.get(4),
                    before: r.get(5),
                    after: r.get(6),
                    client: r.get(7),
                },
            })
            .collect())
    }
}
