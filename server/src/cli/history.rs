//! `civmap history …`: the stored division history of a data directory, of PostGIS, or of
//! the embedded default's state directory — import one edition, list the editions and the
//! cases left to a person, record a person's decision (the stored history is rebuilt with
//! every decision applied). Every change is audited as `cli:<OS user>` in the same
//! transaction.

use std::path::PathBuf;
use std::time::Instant;

use civmap_data::accounts::AuditRecord;
use civmap_data::history::store::{read_import, AS_RECORDED};
use civmap_geo_core::history::Date;

use super::dataset::runtime;
use super::user::{cli_who, AccountsArgs};

#[derive(Debug, clap::Subcommand)]
pub enum HistoryCommand {
    /// Append one edition of the division list (CSV: code12, level, name, parent_code12,
    /// kind) and rebuild the history over every stored edition, all or nothing.
    Import(ImportArgs),
    /// List the stored editions, oldest first.
    Editions(ListArgs),
    /// List the cases the build would not decide (open ones; `--all` with decisions).
    Ambiguities(AmbiguitiesArgs),
    /// Record a person's decision on one case and rebuild the stored history with it
    /// (audited, all or nothing).
    Confirm(ConfirmArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The edition's CSV file.
    file: PathBuf,
    /// The edition's id: a letter, then letters, digits, `_ . -` (e.g. NBS2020).
    #[arg(long)]
    edition: String,
    /// The edition's cut-off day, YYYY-MM-DD; after the last stored edition's.
    #[arg(long, value_parser = parse_date)]
    date: Date,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// JSON instead of tab-separated text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct AmbiguitiesArgs {
    /// Also the confirmed cases, with their decisions.
    #[arg(long)]
    all: bool,
    /// JSON instead of tab-separated text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    at: AccountsArgs,
}

#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    /// The case's id (from `civmap history ambiguities`).
    id: i64,
    /// One of the case's candidate codes, or `as-recorded` to accept what the build did.
    #[arg(long)]
    choice: String,
    /// Why (kept with the decision and in the audit log).
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    at: AccountsArgs,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).map_err(|e| e.to_string())
}

/// Runs a `history` command.
pub fn run(cmd: HistoryCommand) -> anyhow::Result<()> {
    let rt = runtime()?;
    rt.block_on(async move {
        match cmd {
            HistoryCommand::Import(a) => {
                let file = read_import(&a.file, &a.edition, a.date)?;
                let store = a.at.open().await?;
                let t = Instant::now();
                let audit = AuditRecord::new(
                    cli_who(),
                    "history.import",
                    format!("edition:{}", a.edition),
                );
                let o = store.history().import(file, audit).await?;
                eprintln!(
                    "imported {} ({} rows) into {} in {:.2} s: {} editions, {} units, {} versions, {} successions, {} ambiguities",
                    o.edition,
                    o.rows,
                    store.shown(),
                    t.elapsed().as_secs_f64(),
                    o.editions,
                    o.units,
                    o.versions,
                    o.successions,
                    o.ambiguities
                );
            }
            HistoryCommand::Editions(a) => {
                let list = a.at.open().await?.history().edition_list().await?;
                if a.json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else {
                    for e in list {
                        println!("{}\t{}\t{}\t{}", e.id, e.date, e.rows, e.source_file);
                    }
                }
            }
            HistoryCommand::Ambiguities(a) => {
                let list = a.at.open().await?.history().ambiguities(!a.all).await?;
                if a.json {
                    println!("{}", serde_json::to_string_pretty(&list)?);
                } else {
                    for s in list {
                        let x = &s.ambiguity;
                        let candidates: Vec<&str> =
                            x.candidates.iter().map(|c| c.as_str()).collect();
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\tcandidates: {}\trecorded: {}\t{}",
                            s.id,
                            x.edition,
                            serde_json::to_value(x.kind)?.as_str().unwrap_or("?"),
                            x.level.as_str(),
                            x.code,
                            x.name,
                            candidates.join(","),
                            x.recorded,
                            s.choice.as_deref().map_or("open".into(), |c| format!(
                                "confirmed: {c} by {}",
                                s.decided_by.as_deref().unwrap_or("?")
                            ))
                        );
                    }
                }
            }
            HistoryCommand::Confirm(a) => {
                let store = a.at.open().await?;
                let audit =
                    AuditRecord::new(cli_who(), "history.confirm", format!("ambiguity:{}", a.id));
                let s = store
                    .history()
                    .confirm(a.id, &a.choice, a.note, audit)
                    .await?;
                let open = store.history().ambiguities(true).await?.len();
                eprintln!(
                    "ambiguity {} ({} {}) confirmed: {}; the stored history was rebuilt with it (audited); {open} case(s) left open; a running server serves it from its next start",
                    s.id,
                    s.ambiguity.code,
                    s.ambiguity.name,
                    s.choice.as_deref().unwrap_or(AS_RECORDED),
                );
            }
        }
        anyhow::Ok(())
    })
}
