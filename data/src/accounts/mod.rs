//! Accounts: users, login sessions and the audit log, kept where the city's data is kept —
//! `accounts.sqlite` in a data directory, or tables `civmap.users`, `civmap.sessions` and
//! `civmap.audit` in PostGIS (migration `0002_accounts.sql`).
//!
//! The store keeps what the server must not: no password (an argon2id PHC string made by
//! the caller), no token (its SHA-256). Every write takes an [`AuditRecord`] and commits it
//! **in the same transaction** as the change, so the log cannot miss a change that
//! happened nor record one that did not. The log is append-only in both stores: triggers
//! refuse UPDATE, DELETE (and TRUNCATE in PostgreSQL), and nothing here offers them.
//!
//! Why SQLite for a data directory: the CLI (`civmap user add`) and a running server write
//! the same accounts from two processes, and SQLite gives both real transactions and
//! locking (WAL, busy timeout), where a JSON file would need both re-invented. It is
//! already in the build for MBTiles.
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::accounts::AccountsError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord, NewUser, Role};
//! let store = AccountStore::open_dir(std::path::Path::new("city"))?;
//! let hash = "$argon2id$v=19$m=19456,t=2,p=1$…".to_owned(); // made by the caller
//! let user = NewUser { name: "li".into(), role: Role::Planner, district: None, password_hash: hash };
//! store.add_user(user, AuditRecord::new("cli:root", "user.add", "user:li")).await?;
//! # Ok(()) }
//! ```

pub(crate) mod pg;
pub(crate) mod sqlite;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a signed-in user may do; anonymous callers are `public` and have no record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Own what-if scenarios and siting runs; exports.
    Planner,
    /// Edits of boundaries, markers, names and doorplate positions (optionally one district).
    Surveyor,
    /// Users and the audit log.
    Admin,
}

impl Role {
    /// Every stored role.
    pub const ALL: [Role; 3] = [Role::Planner, Role::Surveyor, Role::Admin];

    /// The name used in the API, the CLI and the stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Planner => "planner",
            Role::Surveyor => "surveyor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccountsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| AccountsError::Invalid {
                field: "role",
                message: format!("{s:?} is not a role (planner, surveyor, admin)"),
            })
    }
}

/// A stored user, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Login name: ASCII letters, digits and `_ . @ -`, 1–64 characters.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// A surveyor limited to one district: its 12-digit code.
    pub district: Option<String>,
    /// When the user was created, Unix milliseconds.
    pub created_ms: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name (see [`check_name`]).
    pub name: String,
    /// Role.
    pub role: Role,
    /// District code for a limited surveyor.
    pub district: Option<String>,
    /// The argon2id PHC string (`$argon2id$…`).
    pub password_hash: String,
}

/// One audit row to write, with the change it records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Who: a user name, `cli:<os user>` for the command line, or `anonymous`.
    pub who: String,
    /// What, as `noun.verb`: `user.add`, `auth.login`, `scenario.create`, `export.csv`, …
    pub action: String,
    /// What it was done to, as `kind:id` (`user:li`, `scenario:s3`, `coverage:/api/v1/gaps`).
    pub target: String,
    /// The record before the change (absent for creations).
    pub before: Option<serde_json::Value>,
    /// The record after the change (absent for deletions).
    pub after: Option<serde_json::Value>,
    /// The client's address, for requests over HTTP.
    pub client: Option<String>,
}

impl AuditRecord {
    /// A row with no before/after and no client address.
    pub fn new(
        who: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self {
            who: who.into(),
            action: action.into(),
            target: target.into(),
            before: None,
            after: None,
            client: None,
        }
    }

    /// With the record before the change.
    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }

    /// With the record after the change.
    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }

    /// With the client address.
    pub fn client(mut self, addr: Option<String>) -> Self {
        self.client = addr;
        self
    }
}

/// A written audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Sequence number, increasing with time.
    pub id: i64,
    /// When, Unix milliseconds.
    pub at_ms: i64,
    /// The row as written.
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// Which audit rows to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only rows with an id below this (paging backwards).
    pub before_id: Option<i64>,
    /// Only this user's rows.
    pub who: Option<String>,
    /// Only rows whose action starts with this (e.g. `user.` or `scenario.create`).
    pub action_prefix: Option<String>,
    /// At most this many rows.
    pub limit: u32,
}

/// A live login session, found by its token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user, as stored now (a role change applies at once).
    pub user: User,
    /// When the session ends, Unix milliseconds.
    pub expires_ms: i64,
}

/// Why an accounts operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The store failed or cannot be reached (names the store; passwords redacted).
    #[error("{store}: {message}")]
    Store {
        /// `…/accounts.sqlite` or the redacted database URL.
        store: String,
        /// What failed.
        message: String,
    },
    /// A value breaks a rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A user of that name exists.
    #[error("user {0:?} already exists")]
    Exists(String),
    /// No user of that name.
    #[error("no user {0:?}")]
    NoUser(String),
}

/// Checks a login name: 1–64 ASCII letters, digits, `_`, `.`, `@` or `-`, starting with a
/// letter or digit (names appear in audit targets and URLs, so no spaces or `:`).
pub fn check_name(name: &str) -> Result<(), AccountsError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountsError::Invalid {
            field: "name",
            message: format!(
                "{name:?}: 1–64 ASCII letters, digits, '_', '.', '@' or '-', starting with a letter or digit"
            ),
        })
    }
}

fn check_new_user(u: &NewUser) -> Result<(), AccountsError> {
    check_name(&u.name)?;
    if let Some(d) = &u.district {
        if d.len() != 12 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountsError::Invalid {
                field: "district",
                message: format!("{d:?} is not a 12-digit division code"),
            });
        }
        if u.role != Role::Surveyor {
            return Err(AccountsError::Invalid {
                field: "district",
                message: format!("only a surveyor is limited to a district, not a {}", u.role),
            });
        }
    }
    if !u.password_hash.starts_with("$argon2id$") {
        return Err(AccountsError::Invalid {
            field: "password_hash",
            message: "not an argon2id PHC string".into(),
        });
    }
    Ok(())
}

/// The accounts of one civmap installation.
#[derive(Debug)]
pub enum AccountStore {
    /// `accounts.sqlite` in a data (or state) directory.
    Dir(sqlite::SqliteAccounts),
    /// Tables in PostGIS.
    Postgres(Box<pg::PgAccounts>),
}

/// The accounts file inside a data directory.
pub const ACCOUNTS_FILE: &str = "accounts.sqlite";

impl AccountStore {
    /// Opens (creating if needed) `dir/accounts.sqlite`.
    pub fn open_dir(dir: &Path) -> Result<Self, AccountsError> {
        Ok(Self::Dir(sqlite::SqliteAccounts::open(
            &dir.join(ACCOUNTS_FILE),
        )?))
    }

    /// A store in memory, lost at exit (tests and throwaway servers).
    pub fn in_memory() -> Result<Self, AccountsError> {
        Ok(Self::Dir(sqlite::SqliteAccounts::open(Path::new(
            ":memory:",
        ))?))
    }

    /// Connects to PostGIS and applies the migrations (idempotent).
    pub async fn connect_pg(url: &str) -> Result<Self, AccountsError> {
        Ok(Self::Postgres(Box::new(
            pg::PgAccounts::connect(url).await?,
        )))
    }

    /// The survey register (markers, their history, validation exceptions) kept in this
    /// store, sharing its connection so that a register write and its audit row commit in
    /// one transaction.
    pub fn register(&self) -> crate::register::SurveyRegister {
        match self {
            Self::Dir(s) => crate::register::SurveyRegister::sqlite(s.clone()),
            Self::Postgres(s) => crate::register::SurveyRegister::pg(s.as_ref().clone()),
        }
    }

    /// The doorplate alias table (renumbered and merged ids) kept in this store, sharing
    /// its connection so that an alias and its audit row commit in one transaction.
    pub fn doorplate_aliases(&self) -> crate::doorplate_aliases::DoorplateAliases {
        match self {
            Self::Dir(s) => crate::doorplate_aliases::DoorplateAliases::new(
                crate::register::Backend::Sqlite(s.clone()),
            ),
            Self::Postgres(s) => crate::doorplate_aliases::DoorplateAliases::new(
                crate::register::Backend::Pg(Box::new(s.as_ref().clone())),
            ),
        }
    }

    /// The planners' what-if scenarios kept in this store, sharing its connection so that
    /// a scenario and its audit row commit in one transaction.
    pub fn scenarios(&self) -> crate::scenarios::ScenarioStore {
        match self {
            Self::Dir(s) => {
                crate::scenarios::ScenarioStore::new(crate::register::Backend::Sqlite(s.clone()))
            }
            Self::Postgres(s) => crate::scenarios::ScenarioStore::new(
                crate::register::Backend::Pg(Box::new(s.as_ref().clone())),
            ),
        }
    }

    /// The place-name tables (approved names, applications, reviews, announcements, the
    /// heritage list) kept in this store, sharing its connection so that every write and
    /// its audit row commit in one transaction.
    pub fn place_names(&self) -> crate::place_names::PlaceNames {
        match self {
            Self::Dir(s) => {
                crate::place_names::PlaceNames::new(crate::register::Backend::Sqlite(s.clone()))
            }
            Self::Postgres(s) => crate::place_names::PlaceNames::new(crate::register::Backend::Pg(
                Box::new(s.as_ref().clone()),
            )),
        }
    }

    /// The division history (editions, units, successions, ambiguities) kept in this
    /// store, sharing its connection so that an import or a confirmation and its audit row
    /// commit in one transaction.
    pub fn history(&self) -> crate::history::store::HistoryStore {
        crate::history::store::HistoryStore::new(match self {
            Self::Dir(s) => crate::register::Backend::Sqlite(s.clone()),
            Self::Postgres(s) => crate::register::Backend::Pg(Box::new(s.as_ref().clone())),
        })
    }

    /// The change proposals kept in this store, sharing its connection so that a proposal,
    /// its decision (and, with PostGIS, the data change an approval makes) commit with
    /// their audit rows in one transaction.
    pub fn proposals(&self) -> crate::proposals::ProposalStore {
        crate::proposals::ProposalStore::new(match self {
            Self::Dir(s) => crate::register::Backend::Sqlite(s.clone()),
            Self::Postgres(s) => crate::register::Backend::Pg(Box::new(s.as_ref().clone())),
        })
    }

    /// Where the accounts live (path or redacted URL), for messages.
    pub fn shown(&self) -> String {
        match self {
            Self::Dir(s) => s.shown(),
            Self::Postgres(s) => s.shown(),
        }
    }

    /// Creates a user and its audit row (`after` is set to the user) in one transaction.
    pub async fn add_user(&self, user: NewUser, audit: AuditRecord) -> Result<User, AccountsError> {
        check_new_user(&user)?;
        match self {
            Self::Dir(s) => s.add_user(user, audit).await,
            Self::Postgres(s) => s.add_user(user, audit).await,
        }
    }

    /// Removes a user, its sessions, and writes the audit row (`before` is set to the
    /// user); `Err(NoUser)` if there is none.
    pub async fn remove_user(&self, name: &str, audit: AuditRecord) -> Result<User, AccountsError> {
        match self {
            Self::Dir(s) => s.remove_user(name, audit).await,
            Self::Postgres(s) => s.remove_user(name, audit).await,
        }
    }

    /// Replaces a user's password hash and ends their sessions, with the audit row.
    pub async fn set_password(
        &self,
        name: &str,
        password_hash: String,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        match self {
            Self::Dir(s) => s.set_password(name, password_hash, audit).await,
            Self::Postgres(s) => s.set_password(name, password_hash, audit).await,
        }
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, AccountsError> {
        match self {
            Self::Dir(s) => s.users().await,
            Self::Postgres(s) => s.users().await,
        }
    }

    /// A user and their password hash, for a login.
    pub async fn credentials(&self, name: &str) -> Result<Option<(User, String)>, AccountsError> {
        match self {
            Self::Dir(s) => s.credentials(name).await,
            Self::Postgres(s) => s.credentials(name).await,
        }
    }

    /// Stores a session for `user` (a successful login) with its audit row.
    pub async fn create_session(
        &self,
        token_sha256: [u8; 32],
        user: &str,
        expires_ms: i64,
        audit: AuditRecord,
    ) -> Result<(), AccountsError> {
        match self {
            Self::Dir(s) => {
                s.create_session(token_sha256, user, expires_ms, audit)
                    .await
            }
            Self::Postgres(s) => {
                s.create_session(token_sha256, user, expires_ms, audit)
                    .await
            }
        }
    }

    /// The live session of a token hash at `now_ms`: none if unknown, expired, or its user
    /// was removed.
    pub async fn session(
        &self,
        token_sha256: [u8; 32],
        now_ms: i64,
    ) -> Result<Option<Session>, AccountsError> {
        match self {
            Self::Dir(s) => s.session(token_sha256, now_ms).await,
            Self::Postgres(s) => s.session(token_sha256, now_ms).await,
        }
    }

    /// Ends a session (sign-out) with its audit row; false if it was not there.
    pub async fn end_session(
        &self,
        token_sha256: [u8; 32],
        audit: AuditRecord,
    ) -> Result<bool, AccountsError> {
        match self {
            Self::Dir(s) => s.end_session(token_sha256, audit).await,
            Self::Postgres(s) => s.end_session(token_sha256, audit).await,
        }
    }

    /// Writes one audit row on its own (for changes held outside this store, such as
    /// in-memory scenarios, and for exports): call it before making the change, and make
    /// the change only if it succeeded.
    pub async fn audit(&self, audit: AuditRecord) -> Result<i64, AccountsError> {
        match self {
            Self::Dir(s) => s.audit(audit).await,
            Self::Postgres(s) => s.audit(audit).await,
        }
    }

    /// Audit rows, newest first.
    pub async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, AccountsError> {
        match self {
            Self::Dir(s) => s.audit_log(q).await,
            Self::Postgres(s) => s.audit_log(q).await,
        }
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
