//! `civmap user …`: the accounts of a data directory, of PostGIS, or of the embedded
//! default's state directory. Every change is audited as `cli:<OS user>`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use civmap_data::accounts::{AccountStore, AuditRecord, Role};

use super::dataset::runtime;
use crate::service::identity::{IdentityService, DEFAULT_TOKEN_TTL};

/// Where the accounts live: `--db`, `--data`, or the state directory of the embedded
/// default (`--state`, `$CIVMAP_STATE_DIR`, `$XDG_STATE_HOME/civmap` or
/// `~/.local/state/civmap`).
#[derive(Debug, Clone, clap::Args)]
pub struct AccountsArgs {
    /// The accounts of this data directory (`DIR/accounts.sqlite`).
    #[arg(long, conflicts_with_all = ["db", "state"])]
    pub data: Option<PathBuf>,
    /// The accounts in PostGIS (`civmap.users`, `civmap.audit`).
    #[arg(long, conflicts_with = "state")]
    pub db: Option<String>,
    /// The state directory of the embedded default.
    #[arg(long)]
    pub state: Option<PathBuf>,
}

/// The state directory of the embedded default (no `--data`, no `--db`).
pub fn default_state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CIVMAP_STATE_DIR") {
        return d.into();
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(d).join("civmap");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/state/civmap"),
        None => PathBuf::from("civmap-state"),
    }
}

impl AccountsArgs {
    /// Opens the accounts store these flags name.
    pub async fn open(&self) -> anyhow::Result<AccountStore> {
        Ok(match (&self.db, &self.data, &self.state) {
            (Some(url), _, _) => AccountStore::connect_pg(url).await?,
            (None, Some(dir), _) => AccountStore::open_dir(dir)?,
            (None, None, state) => {
                AccountStore::open_dir(&state.clone().unwrap_or_else(default_state_dir))?
            }
        })
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (one line).
    Add(AddArgs),
    /// Remove a user; their tokens stop working at once.
    Remove(NameArgs),
    /// Set a user's password (from stdin); their tokens stop working at once.
    Passwd(PasswdArgs),
    /// List the users.
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Login name: 1–64 ASCII letters, digits, `_ . @ -`.
    name: String,
    /// What the user may do.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// For a surveyor: the 12-digit code of the one district they may edit.
    #[arg(long)]
    district: Option<String>,
    /// Read the password from stdin (the only way: never from the command line, which
    /// other users of the machine can read in `ps`).
    #[arg(long, required = true)]
    password_stdin: bool,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct PasswdArgs {
    /// The user.
    name: String,
    /// Read the new password from stdin.
    #[arg(long, required = true)]
    password_stdin: bool,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct NameArgs {
    /// The user.
    name: String,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    at: AccountsArgs,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: civmap_data::accounts::AccountsError| e.to_string())
}

/// `cli:<OS user>`, the `who` of changes made from the command line.
fn cli_who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("password (one line, at least 10 characters):");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("--password-stdin: cannot read stdin")?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!pw.is_empty(), "--password-stdin: stdin held no password");
    Ok(pw)
}

async fn service(at: &AccountsArgs) -> anyhow::Result<IdentityService> {
    let store = at.open().await?;
    Ok(IdentityService::new(store, DEFAULT_TOKEN_TTL))
}

/// Runs a `user` command.
pub fn run(cmd: UserCommand) -> anyhow::Result<()> {
    let rt = runtime()?;
    rt.block_on(async move {
        match cmd {
            UserCommand::Add(a) => {
                let pw = read_password()?;
                let id = service(&a.at).await?;
                let record = AuditRecord::new(cli_who(), "user.add", format!("user:{}", a.name));
                let u = id
                    .add_user(&a.name, a.role, a.district, &pw, record)
                    .await?;
                eprintln!("added {} ({}) to {}", u.name, u.role, id.shown());
            }
            UserCommand::Remove(a) => {
                let id = service(&a.at).await?;
                let record = AuditRecord::new(cli_who(), "user.remove", format!("user:{}", a.name));
                id.remove_user(&a.name, record).await?;
                eprintln!("removed {} from {}", a.name, id.shown());
            }
            UserCommand::Passwd(a) => {
                let pw = read_password()?;
                let id = service(&a.at).await?;
                let record = AuditRecord::new(cli_who(), "user.passwd", format!("user:{}", a.name));
                id.set_password(&a.name, &pw, record).await?;
                eprintln!("set the password of {} in {}", a.name, id.shown());
            }
            UserCommand::List(a) => {
                let id = service(&a.at).await?;
                for u in id.users().await? {
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.name,
                        u.role,
                        u.district.as_deref().unwrap_or("-"),
                        u.created_at
                    );
                }
            }
        }
        anyhow::Ok(())
    })
}

/// Token lifetime flag value (hours) as a duration.
pub fn token_ttl(hours: u32) -> Duration {
    Duration::from_secs(u64::from(hours) * 3600)
}
