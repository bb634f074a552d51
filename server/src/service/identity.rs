//! Who is asking, and what they may do: logins, tokens, roles, and the audit log.
//!
//! - **Passwords** are hashed with argon2id (RustCrypto's `argon2`, OWASP's parameters:
//!   19 MiB, 2 passes, 1 lane) with a random salt; only the PHC string is stored.
//! - **Tokens** are 256 random bits from the OS, shown once (hex) and stored as their
//!   SHA-256, so a copy of the accounts store holds no usable token. They are opaque, not
//!   JWTs: a token must die the moment its user is removed or their password changes,
//!   which needs a lookup on every use anyway — and then the lookup *is* the check, with
//!   nothing to sign, rotate or leak. The same token is the bearer token of API clients and
//!   the value of the web map's `HttpOnly` session cookie.
//! - **Roles**: anonymous callers are `public` (read only); `planner`, `surveyor` and
//!   `admin` are stored. An admin may do what every other role may.
//! - **Audit**: every write and every export records who, when, what, on what, before,
//!   after and from where, in the same transaction as the write where the write is in the
//!   accounts store, and before the change otherwise (so no change goes unrecorded).
//! - **Login throttling**: after [`MAX_FAILURES`] failed logins for one name within
//!   [`FAILURE_WINDOW`], further attempts are refused for the rest of the window, so a
//!   password cannot be guessed at the speed of the network.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use civmap_data::accounts::{
    now_ms, AccountStore, AccountsError, AuditEntry, AuditQuery, AuditRecord, NewUser, Role, User,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::service::error::ServiceError;

/// How long a token (and session cookie) lives by default.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins for one name within [`FAILURE_WINDOW`] before logins are refused.
pub const MAX_FAILURES: u32 = 10;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Shortest password `user add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A caller that proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user as stored now.
    pub user: User,
    /// The token's SHA-256 (to end the session).
    pub token_sha256: [u8; 32],
    /// When the token expires, Unix milliseconds.
    pub expires_ms: i64,
}

impl Principal {
    /// Whether the user may act as `role` (an admin may act as any).
    pub fn has(&self, role: Role) -> bool {
        self.user.role == role || self.user.role == Role::Admin
    }

    /// The name written in audit rows.
    pub fn name(&self) -> &str {
        &self.user.name
    }
}

/// The answer to a login.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Login {
    /// The bearer token (64 hex digits). Shown once; the server keeps only its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The user's name.
    pub name: String,
    /// `planner`, `surveyor` or `admin`.
    pub role: String,
    /// The district a surveyor is limited to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// When the token expires (RFC 3339, UTC).
    pub expires_at: String,
    /// Seconds until then.
    pub expires_in_s: u64,
}

/// A user as the API shows it (no hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Login name.
    pub name: String,
    /// `planner`, `surveyor` or `admin`.
    pub role: String,
    /// The district a surveyor is limited to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// When the user was created (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            name: u.name.clone(),
            role: u.role.to_string(),
            district: u.district.clone(),
            created_at: rfc3339(u.created_ms),
        }
    }
}

/// One row of the audit log as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    /// Sequence number (newer rows have larger ids).
    pub id: i64,
    /// Who: a user name, `cli:<os user>`, or `anonymous`.
    pub who: String,
    /// When (RFC 3339, UTC, milliseconds).
    pub when: String,
    /// What, as `noun.verb` (`scenario.create`, `export.csv`, `auth.login`, …).
    pub action: String,
    /// On what, as `kind:id`.
    pub target: String,
    /// The record before the change.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// The client address.
    pub client: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            who: e.record.who,
            when: rfc3339(e.at_ms),
            action: e.record.action,
            target: e.record.target,
            before: e.record.before,
            after: e.record.after,
            client: e.record.client,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    /// Rows, newest first.
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// Logins, tokens and the audit log over one accounts store.
#[derive(Debug)]
pub struct IdentityService {
    store: AccountStore,
    token_ttl: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn store_error(e: AccountsError) -> ServiceError {
    match e {
        AccountsError::Invalid { field, message } => ServiceError::invalid(field, message),
        AccountsError::Exists(name) => {
            ServiceError::Conflict(format!("user {name:?} already exists"))
        }
        AccountsError::NoUser(name) => ServiceError::NotFound(format!("no user {name:?}")),
        AccountsError::Store { .. } => ServiceError::StoreUnavailable(e.to_string()),
    }
}

/// SHA-256 of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Hashes a password with argon2id and a random salt (about 20–50 ms of one core).
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::internal(format!("argon2: {e}")))
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, not all the same.
pub fn check_password(password: &str) -> Result<(), ServiceError> {
    let chars: Vec<char> = password.chars().collect();
    if chars.len() < MIN_PASSWORD_CHARS {
        return Err(ServiceError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars.iter().all(|c| *c == chars[0]) {
        return Err(ServiceError::invalid("password", "one character repeated"));
    }
    Ok(())
}

/// A hash to verify against when the name is unknown, so that a wrong name and a wrong
/// password take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        hash_password("civmap-decoy-password-never-matches").unwrap_or_default()
    });
    &DECOY
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Formats Unix milliseconds as RFC 3339 UTC (`2026-12-05T20:16:06.123Z`).
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civmap_data::register::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

impl IdentityService {
    /// Logins over `store`, with tokens living `token_ttl`.
    pub fn new(store: AccountStore, token_ttl: Duration) -> Self {
        Self {
            store,
            token_ttl,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The survey register kept in the same store (so its writes and their audit rows
    /// commit together).
    pub fn register(&self) -> civmap_data::register::SurveyRegister {
        self.store.register()
    }

    /// The doorplate alias table kept in the same store (so each alias and its audit row
    /// commit together).
    pub fn doorplate_aliases(&self) -> civmap_data::doorplate_aliases::DoorplateAliases {
        self.store.doorplate_aliases()
    }

    /// The planners' what-if scenarios kept in the same store (so each and its audit row
    /// commit together, and every replica on one database shares them).
    pub fn scenarios(&self) -> civmap_data::scenarios::ScenarioStore {
        self.store.scenarios()
    }

    /// The place-name tables kept in the accounts store.
    pub fn place_names(&self) -> civmap_data::place_names::PlaceNames {
        self.store.place_names()
    }

    /// The change proposals kept in the same store (so each proposal, its decision and
    /// their audit rows commit together).
    pub fn proposals(&self) -> civmap_data::proposals::ProposalStore {
        self.store.proposals()
    }

    /// An empty in-memory store (tests and throwaway servers: nobody can sign in until a
    /// user is added through [`IdentityService::add_user`]).
    pub fn in_memory() -> Self {
        let store = AccountStore::in_memory().expect("an in-memory SQLite database opens");
        Self::new(store, DEFAULT_TOKEN_TTL)
    }

    /// Where the accounts live, for logs.
    pub fn shown(&self) -> String {
        self.store.shown()
    }

    /// Creates a user with a new password (checked, then hashed), audited as `who`.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        district: Option<String>,
        password: &str,
        audit: AuditRecord,
    ) -> Result<User, ServiceError> {
        civmap_data::accounts::check_name(name).map_err(store_error)?;
        check_password(password)?;
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(ServiceError::internal)??;
        let new = NewUser {
            name: name.to_owned(),
            role,
            district,
            password_hash: hash,
        };
        self.store.add_user(new, audit).await.map_err(store_error)
    }

    /// Removes a user; their tokens stop working at once.
    pub async fn remove_user(&self, name: &str, audit: AuditRecord) -> Result<User, ServiceError> {
        self.store
            .remove_user(name, audit)
            .await
            .map_err(store_error)
    }

    /// Sets a new password; the user's tokens stop working at once.
    pub async fn set_password(
        &self,
        name: &str,
        password: &str,
        audit: AuditRecord,
    ) -> Result<(), ServiceError> {
        check_password(password)?;
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(ServiceError::internal)??;
        self.store
            .set_password(name, hash, audit)
            .await
            .map_err(store_error)
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<UserView>, ServiceError> {
        Ok(self
            .store
            .users()
            .await
            .map_err(store_error)?
            .iter()
            .map(UserView::from)
            .collect())
    }

    fn throttled(&self, name: &str) -> Option<u64> {
        let f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f.get(name).and_then(|(n, since)| {
            let left = FAILURE_WINDOW.checked_sub(since.elapsed())?;
            (*n >= MAX_FAILURES).then_some(left.as_secs().max(1))
        })
    }

    fn note_failure(&self, name: &str) {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() > 100_000 {
            f.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let e = f.entry(name.to_owned()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Checks a name and password and starts a session. A wrong name and a wrong password
    /// get the same answer, in the same time. Both outcomes are audited.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        client: Option<String>,
    ) -> Result<Login, ServiceError> {
        if let Some(retry_after_s) = self.throttled(name) {
            return Err(ServiceError::TooManyRequests {
                message: format!(
                    "too many failed logins for this name; retry in {retry_after_s} s"
                ),
                retry_after_s,
            });
        }
        let found = self.store.credentials(name).await.map_err(store_error)?;
        let phc = found
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |(_, h)| h.clone());
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify(&pw, &phc))
            .await
            .map_err(ServiceError::internal)?;
        let user = match found {
            Some((user, _)) if ok => user,
            _ => {
                self.note_failure(name);
                let target = if civmap_data::accounts::check_name(name).is_ok() {
                    format!("user:{name}")
                } else {
                    "user:?".to_owned()
                };
                self.store
                    .audit(
                        AuditRecord::new("anonymous", "auth.login_failed", target).client(client),
                    )
                    .await
                    .map_err(store_error)?;
                return Err(ServiceError::Unauthenticated(
                    "wrong name or password".into(),
                ));
            }
        };
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let expires_ms = now_ms() + self.token_ttl.as_millis() as i64;
        self.store
            .create_session(
                token_hash(&token),
                &user.name,
                expires_ms,
                AuditRecord::new(&user.name, "auth.login", format!("user:{}", user.name))
                    .client(client),
            )
            .await
            .map_err(store_error)?;
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(Login {
            token: Some(token),
            name: user.name.clone(),
            role: user.role.to_string(),
            district: user.district.clone(),
            expires_at: rfc3339(expires_ms),
            expires_in_s: self.token_ttl.as_secs(),
        })
    }

    /// The principal behind a token; `Unauthenticated` if it is unknown, expired, or its
    /// user is gone.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, ServiceError> {
        let h = token_hash(token);
        match self.store.session(h, now_ms()).await.map_err(store_error)? {
            Some(s) => Ok(Principal {
                user: s.user,
                token_sha256: h,
                expires_ms: s.expires_ms,
            }),
            None => Err(ServiceError::Unauthenticated(
                "the token is unknown or has expired; sign in again".into(),
            )),
        }
    }

    /// Ends the principal's session.
    pub async fn logout(&self, p: &Principal, client: Option<String>) -> Result<(), ServiceError> {
        self.store
            .end_session(
                p.token_sha256,
                AuditRecord::new(p.name(), "auth.logout", format!("user:{}", p.name()))
                    .client(client),
            )
            .await
            .map_err(store_error)
            .map(|_| ())
    }

    /// Writes one audit row; the caller makes its change only if this succeeded.
    pub async fn audit(&self, record: AuditRecord) -> Result<i64, ServiceError> {
        self.store.audit(record).await.map_err(store_error)
    }

    /// A page of the audit log, newest first.
    pub async fn audit_log(&self, q: AuditQuery) -> Result<AuditPage, ServiceError> {
        let limit = q.limit as usize;
        let entries: Vec<AuditView> = self
            .store
            .audit_log(&q)
            .await
            .map_err(store_error)?
            .into_iter()
            .map(AuditView::from)
            .collect();
        let next_before = (entries.len() == limit)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        Ok(AuditPage {
            entries,
            next_before,
        })
    }

    /// The login answer for an authenticated principal (`/me`), without the token.
    pub fn me(p: &Principal) -> Login {
        Login {
            token: None,
            name: p.user.name.clone(),
            role: p.user.role.to_string(),
            district: p.user.district.clone(),
            expires_at: rfc3339(p.expires_ms),
            expires_in_s: ((p.expires_ms - now_ms()).max(0) / 1000) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_796_501_766_123), "2026-12-05T20:16:06.123Z");
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse battery ", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_password("aaaaaaaaaaaa").is_err());
    }
}
