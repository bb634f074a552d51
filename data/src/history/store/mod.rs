//! The stored division history: the editions as imported, and the history built from them
//! (units with stable ids, dated versions, successions, the cases left to a person).
//!
//! Kept in the accounts store — `accounts.sqlite` of a data or state directory
//! (`history.sqlite.sql`) or PostGIS (migration `0006_history.sql`) — so that an import or
//! a confirmation commits **in one transaction with its audit row**. An import
//! ([`HistoryStore::import`]) appends one edition, rebuilds the history over every stored
//! edition with the stored decisions applied ([`History::build_with_decisions`]; unit ids
//! are stable: the build folds the editions in order, so the units of earlier editions keep
//! their ids), refuses to commit a history
//! that fails [`History::check`] (and, in PostGIS, the database's own constraint
//! triggers), and rewrites units, versions, successions and ambiguities. Nothing is
//! half-written on any failure.
//!
//! A person's decision on an ambiguity ([`HistoryStore::confirm`]) is recorded, the history
//! rebuilt with every confirmed decision applied and rewritten, and the audit row added, in
//! one transaction: a decision that cannot be applied (its case no longer listed, two
//! decisions choosing one unit, a history failing its checks) is refused with nothing
//! written. Decided cases stay listed with their decision; [`HistoryStore::ambiguities`]
//! with `open_only` lists the others. Cases that a decision resolves by consequence (the
//! chosen vanished unit's own "ended without successor") are no longer listed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), civmap_data::history::store::HistoryStoreError> {
//! use civmap_data::accounts::{AccountStore, AuditRecord};
//! use civmap_data::history::store::read_import;
//! use civmap_geo_core::history::Date;
//! let store = AccountStore::open_dir(std::path::Path::new("state"))?;
//! let file = read_import(
//!     std::path::Path::new("nbs2020.csv"),
//!     "NBS2020",
//!     Date::parse("2020-06-30").unwrap(),
//! )?;
//! let done = store
//!     .history()
//!     .import(file, AuditRecord::new("cli:li", "history.import", "edition:NBS2020"))
//!     .await?;
//! println!("{} units", done.units);
//! # Ok(()) }
//! ```

mod pg;
mod sqlite;

use std::collections::HashMap;
use std::path::Path;

use civmap_geo_core::history::{
    Ambiguity, AmbiguityKind, CaseKey, Choice, Date, Decisions, Edition, EventKind, History,
    HistoryError, IntegrityError, Unit,
};
use civmap_geo_core::AdminCode;
use serde::Serialize;

use crate::accounts::{AccountsError, AuditRecord};
use crate::register::Backend;
use crate::DataError;

/// What went wrong importing, reading or confirming the stored history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryStoreError {
    /// The store failed or cannot be reached (nothing changed).
    #[error(transparent)]
    Store(#[from] AccountsError),
    /// The file cannot be read or has a bad row (names the file, line and column).
    #[error(transparent)]
    File(#[from] DataError),
    /// The edition id is not a short identifier such as `NBS2020`.
    #[error("--edition {id:?}: {message}")]
    EditionId {
        /// What was given.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// An edition of that id is stored already.
    #[error("--edition {0}: an edition of that id is stored already")]
    EditionExists(String),
    /// Editions are appended in order: each must be dated after the last stored one.
    #[error("--date {date}: edition {edition} must be dated after the last stored edition, {last} ({last_date})")]
    NotAfterLast {
        /// The new edition.
        edition: String,
        /// Its day.
        date: Date,
        /// The last stored edition.
        last: String,
        /// Its day.
        last_date: Date,
    },
    /// The stored editions and the new one do not build into a history.
    #[error("the history cannot be built: {0}")]
    Build(#[from] HistoryError),
    /// A stored or new decision cannot be applied (its case is no longer listed, another
    /// decision chose the same unit, or the history would fail its checks); nothing was
    /// written.
    #[error("refused: ambiguity {id}: {error}")]
    Decision {
        /// The stored ambiguity the refused decision answers.
        id: i64,
        /// Why, naming the case and the choice.
        error: HistoryError,
    },
    /// The built history fails its integrity checks; nothing was written.
    #[error("refused: the history would fail {} integrity check(s), first: {}", .problems.len(), .problems.first().map(ToString::to_string).unwrap_or_default())]
    Integrity {
        /// Every failure.
        problems: Vec<IntegrityError>,
    },
    /// No ambiguity of that id.
    #[error("no ambiguity {0}")]
    UnknownAmbiguity(i64),
    /// The choice is not one of the case's candidates, nor `as-recorded`.
    #[error("--choice {choice:?}: ambiguity {id} takes one of: {}", .allowed.join(", "))]
    BadChoice {
        /// The ambiguity.
        id: i64,
        /// What was given.
        choice: String,
        /// The choices it takes.
        allowed: Vec<String>,
    },
}

type Res<T> = Result<T, HistoryStoreError>;

/// The choice that accepts what the build recorded.
pub const AS_RECORDED: &str = "as-recorded";

/// One edition read for import, each row with its line in the file.
#[derive(Debug, Clone)]
pub struct EditionFile {
    /// The edition.
    pub edition: Edition,
    /// The file's line of each row (same order as `edition.rows`).
    pub lines: Vec<u32>,
    /// The file, as named in messages.
    pub source: String,
}

/// Checks an edition id: 1–32 ASCII letters, digits, `_ . -`, starting with a letter.
///
/// ```
/// use civmap_data::history::store::check_edition_id;
/// assert!(check_edition_id("NBS2020").is_ok());
/// assert!(check_edition_id("2020").is_err());
/// assert!(check_edition_id("NBS 2020").is_err());
/// ```
pub fn check_edition_id(id: &str) -> Res<()> {
    let bad = |message: &str| {
        Err(HistoryStoreError::EditionId {
            id: id.to_owned(),
            message: message.to_owned(),
        })
    };
    let first_ok = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if id.is_empty() || id.len() > 32 {
        return bad("must be 1 to 32 characters, e.g. NBS2020");
    }
    if !first_ok {
        return bad("must start with a letter, e.g. NBS2020");
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        return bad("may hold only ASCII letters, digits, '_', '.' and '-'");
    }
    Ok(())
}

/// Reads and checks an edition file for import: the columns of
/// [`read_division_rows`](super::read_division_rows), no code twice, every parent below the
/// city present; errors name the file and the line.
pub fn read_import(path: &Path, id: &str, date: Date) -> Res<EditionFile> {
    check_edition_id(id)?;
    let source = path.display().to_string();
    let edition = super::read_edition_file(path, id, date)?;
    check_rows(source, edition)
}

/// [`read_import`] over text already read (`source` names it in messages).
pub fn read_import_text(source: &str, text: &str, id: &str, date: Date) -> Res<EditionFile> {
    check_edition_id(id)?;
    let edition = super::read_edition(source, text.as_bytes(), id, date)?;
    check_rows(source.to_owned(), edition)
}

/// Line numbers as the reader counts them (header on line 1), then the row checks.
fn check_rows(source: String, edition: Edition) -> Res<EditionFile> {
    let lines: Vec<u32> = (0..edition.rows.len()).map(|i| i as u32 + 2).collect();
    let mut first: HashMap<&str, u32> = HashMap::with_capacity(edition.rows.len());
    for (r, &line) in edition.rows.iter().zip(&lines) {
        if let Some(before) = first.insert(r.code.as_str(), line) {
            return Err(DataError::invalid(
                &source,
                format!("line {line}"),
                Some("code12"),
                format!("{} appears again (first on line {before})", r.code),
            )
            .into());
        }
    }
    for (r, &line) in edition.rows.iter().zip(&lines) {
        let top = r.level == civmap_geo_core::AdminLevel::City;
        if !top && !first.contains_key(r.parent.as_str()) {
            return Err(DataError::invalid(
                &source,
                format!("line {line}"),
                Some("parent_code12"),
                format!(
                    "{} ({}) names parent {}, which is not in the file",
                    r.code, r.name, r.parent
                ),
            )
            .into());
        }
    }
    Ok(EditionFile {
        edition,
        lines,
        source,
    })
}

/// A stored edition, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEdition {
    /// Its id.
    pub id: String,
    /// Its cut-off day.
    pub date: Date,
    /// Rows imported.
    pub rows: usize,
    /// The file it came from.
    pub source_file: String,
    /// Who imported it.
    pub imported_by: String,
}

/// A succession link as stored: `from` ended on `date` and `to` took (part of) it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Succession {
    /// The predecessor's unit id.
    pub from_unit: u32,
    /// The successor's unit id.
    pub to_unit: u32,
    /// `merged` or `split`.
    pub event: EventKind,
    /// The day of the event.
    pub date: Date,
}

/// A case the build would not decide, with a person's decision once made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAmbiguity {
    /// Its id (for `civmap history confirm`).
    pub id: i64,
    /// The case.
    pub ambiguity: Ambiguity,
    /// `open` or `confirmed`.
    pub status: String,
    /// The decision: a candidate code, or [`AS_RECORDED`].
    pub choice: Option<String>,
    /// The person's note.
    pub note: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    /// The edition added.
    pub edition: String,
    /// Editions stored now.
    pub editions: usize,
    /// Its rows.
    pub rows: usize,
    /// Units of the rebuilt history.
    pub units: usize,
    /// Their versions.
    pub versions: usize,
    /// Succession links.
    pub successions: usize,
    /// Cases left to a person (all editions).
    pub ambiguities: usize,
}

/// Row counts of the history tables (for checks and reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    /// `history_editions`.
    pub editions: usize,
    /// `history_edition_rows`.
    pub edition_rows: usize,
    /// `history_units`.
    pub units: usize,
    /// `history_unit_versions`.
    pub versions: usize,
    /// `history_successions`.
    pub successions: usize,
    /// `history_ambiguities`.
    pub ambiguities: usize,
}

/// The succession links of a history, each with the event that ended its predecessor.
pub fn successions_of(history: &History) -> Vec<Succession> {
    let mut out = Vec::new();
    for u in history.units() {
        for &to in &u.superseded_by {
            let ended = history
                .events_of(u.id)
                .filter(|e| matches!(e.kind, EventKind::Merged | EventKind::Split))
                .last();
            let (event, date) = match ended {
                Some(e) => (e.kind, e.date),
                // a link without its event: dated by the predecessor's end (check() catches
                // links the build cannot explain)
                None => (
                    EventKind::Merged,
                    u.valid_to().unwrap_or(u.latest().valid_from),
                ),
            };
            out.push(Succession {
                from_unit: u.id.0,
                to_unit: to.0,
                event,
                date,
            });
        }
    }
    out
}

/// What one import will write: the history over the stored editions and the new one.
#[derive(Debug)]
pub(crate) struct Rebuilt {
    pub history: History,
    pub ambiguities: Vec<Ambiguity>,
    pub successions: Vec<Succession>,
}

/// Appends `new` to the stored editions (oldest first), builds the history with the
/// `confirmed` decisions and checks it.
pub(crate) fn rebuild(
    stored: Vec<Edition>,
    new: &Edition,
    confirmed: &[StoredAmbiguity],
) -> Res<Rebuilt> {
    if stored.iter().any(|e| e.id == new.id) {
        return Err(HistoryStoreError::EditionExists(new.id.clone()));
    }
    if let Some(last) = stored.last().filter(|l| l.date >= new.date) {
        return Err(HistoryStoreError::NotAfterLast {
            edition: new.id.clone(),
            date: new.date,
            last: last.id.clone(),
            last_date: last.date,
        });
    }
    let mut all = stored;
    all.push(new.clone());
    rebuild_all(all, confirmed)
}

/// The decisions of the `confirmed` ambiguities, by case.
fn decisions_of(confirmed: &[StoredAmbiguity]) -> Res<Decisions> {
    confirmed
        .iter()
        .filter_map(|s| s.choice.as_deref().map(|c| (s, c)))
        .map(|(s, c)| {
            let choice = match c {
                AS_RECORDED => Choice::AsRecorded,
                code => Choice::Candidate(stored(
                    "history_ambiguities",
                    &format!("choice of ambiguity {}", s.id),
                    AdminCode::parse(code),
                )?),
            };
            Ok((CaseKey::of(&s.ambiguity), choice))
        })
        .collect()
}

/// The stored ambiguity a refused decision answers, as a store error.
fn refused(error: HistoryError, confirmed: &[StoredAmbiguity]) -> HistoryStoreError {
    let case = match &error {
        HistoryError::StaleDecision { case, .. }
        | HistoryError::ChoiceNotCandidate { case, .. }
        | HistoryError::DecisionConflict { case, .. }
        | HistoryError::DecisionBreaksIntegrity { case, .. } => case,
        _ => return HistoryStoreError::Build(error),
    };
    match confirmed
        .iter()
        .find(|s| CaseKey::of(&s.ambiguity) == *case)
    {
        Some(s) => HistoryStoreError::Decision { id: s.id, error },
        None => HistoryStoreError::Build(error),
    }
}

/// Builds the history over `editions` (oldest first) with the `confirmed` decisions
/// applied, and checks it.
pub(crate) fn rebuild_all(editions: Vec<Edition>, confirmed: &[StoredAmbiguity]) -> Res<Rebuilt> {
    let decisions = decisions_of(confirmed)?;
    let (history, ambiguities) =
        History::build_with_decisions(editions, &decisions).map_err(|e| refused(e, confirmed))?;
    let problems = history.check();
    if !problems.is_empty() {
        return Err(HistoryStoreError::Integrity { problems });
    }
    let successions = successions_of(&history);
    Ok(Rebuilt {
        history,
        ambiguities,
        successions,
    })
}

/// The choices an ambiguity takes: its candidates' codes, or [`AS_RECORDED`].
fn allowed_choices(a: &Ambiguity) -> Vec<String> {
    a.candidates
        .iter()
        .map(|c| c.as_str().to_owned())
        .chain([AS_RECORDED.to_owned()])
        .collect()
}

/// The rows of one stored edition, grouped back (rows arrive ordered by edition seq, line).
pub(crate) fn group_editions(
    heads: Vec<(String, Date)>,
    rows: Vec<(String, civmap_geo_core::history::DivisionRow)>,
) -> Vec<Edition> {
    let mut by_id: HashMap<String, Vec<civmap_geo_core::history::DivisionRow>> = HashMap::new();
    for (e, r) in rows {
        by_id.entry(e).or_default().push(r);
    }
    heads
        .into_iter()
        .map(|(id, date)| Edition {
            rows: by_id.remove(&id).unwrap_or_default(),
            id,
            date,
        })
        .collect()
}

/// A stored value the tables' CHECKs keep valid, read back.
pub(crate) fn stored<T, E: std::fmt::Display>(
    shown: &str,
    what: &str,
    r: Result<T, E>,
) -> Result<T, AccountsError> {
    r.map_err(|e| AccountsError::Store {
        store: shown.to_owned(),
        message: format!("read history: stored {what}: {e}"),
    })
}

/// The division history kept in one accounts store.
#[derive(Debug, Clone)]
pub struct HistoryStore(Backend);

impl HistoryStore {
    pub(crate) fn new(b: Backend) -> Self {
        Self(b)
    }

    /// Appends an edition and rewrites the history built over every stored edition, with
    /// `audit` (its `after` set to the outcome), in one transaction. Refuses an id already
    /// stored, a day not after the last edition's, editions that do not build, and a
    /// history failing [`History::check`]; then nothing is written.
    pub async fn import(&self, file: EditionFile, audit: AuditRecord) -> Res<ImportOutcome> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::import(s, file, audit).await,
            Backend::Pg(s) => pg::import(s, file, audit).await,
        }
    }

    /// The stored editions with their rows, oldest first.
    pub async fn editions(&self) -> Res<Vec<Edition>> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::editions(s).await,
            Backend::Pg(s) => pg::editions(s).await,
        }
    }

    /// The stored editions as listed (no rows), oldest first.
    pub async fn edition_list(&self) -> Res<Vec<StoredEdition>> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::edition_list(s).await,
            Backend::Pg(s) => pg::edition_list(s).await,
        }
    }

    /// The history built from the stored editions with the confirmed decisions applied,
    /// `None` when none is stored.
    pub async fn load(&self) -> Res<Option<History>> {
        let editions = self.editions().await?;
        if editions.is_empty() {
            return Ok(None);
        }
        let confirmed: Vec<StoredAmbiguity> = self
            .ambiguities(false)
            .await?
            .into_iter()
            .filter(|a| a.choice.is_some())
            .collect();
        let decisions = decisions_of(&confirmed)?;
        let built = History::build_with_decisions(editions, &decisions);
        Ok(Some(built.map_err(|e| refused(e, &confirmed))?.0))
    }

    /// The stored units with their versions (succession links filled in), by id.
    pub async fn units(&self) -> Res<Vec<Unit>> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::units(s).await,
            Backend::Pg(s) => pg::units(s).await,
        }
    }

    /// The stored succession links.
    pub async fn successions(&self) -> Res<Vec<Succession>> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::successions(s).await,
            Backend::Pg(s) => pg::successions(s).await,
        }
    }

    /// The stored ambiguities, by id; only the open ones when `open_only`.
    pub async fn ambiguities(&self, open_only: bool) -> Res<Vec<StoredAmbiguity>> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::ambiguities(s, open_only).await,
            Backend::Pg(s) => pg::ambiguities(s, open_only).await,
        }
    }

    /// Records a person's decision on ambiguity `id` (a candidate code, or [`AS_RECORDED`]),
    /// rebuilds and rewrites the history with every confirmed decision applied, and adds
    /// `audit` (before and after set), in one transaction. A decision may be changed by
    /// confirming again; the audit log keeps each. Refused with nothing written: a choice
    /// that is not a candidate ([`HistoryStoreError::BadChoice`]) and a decision that cannot
    /// be applied ([`HistoryStoreError::Decision`], naming the case and the choice).
    pub async fn confirm(
        &self,
        id: i64,
        choice: &str,
        note: Option<String>,
        audit: AuditRecord,
    ) -> Res<StoredAmbiguity> {
        let choice = choice.trim().to_owned();
        match &self.0 {
            Backend::Sqlite(s) => sqlite::confirm(s, id, choice, note, audit).await,
            Backend::Pg(s) => pg::confirm(s, id, choice, note, audit).await,
        }
    }

    /// Row counts of the history tables.
    pub async fn counts(&self) -> Res<TableCounts> {
        match &self.0 {
            Backend::Sqlite(s) => sqlite::counts(s).await,
            Backend::Pg(s) => pg::counts(s).await,
        }
    }
}

/// Checks a decision against the case and builds the stored record.
pub(crate) fn decide(
    mut a: StoredAmbiguity,
    choice: String,
    note: Option<String>,
    who: &str,
) -> Res<StoredAmbiguity> {
    let allowed = allowed_choices(&a.ambiguity);
    if !allowed.contains(&choice) {
        return Err(HistoryStoreError::BadChoice {
            id: a.id,
            choice,
            allowed,
        });
    }
    a.status = "confirmed".into();
    a.choice = Some(choice);
    a.note = note;
    a.decided_by = Some(who.to_owned());
    Ok(a)
}

/// The audit record of an import, with its outcome.
pub(crate) fn outcome_of(file: &EditionFile, r: &Rebuilt, editions: usize) -> ImportOutcome {
    ImportOutcome {
        edition: file.edition.id.clone(),
        editions,
        rows: file.edition.rows.len(),
        units: r.history.units().len(),
        versions: r.history.units().iter().map(|u| u.versions.len()).sum(),
        successions: r.successions.len(),
        ambiguities: r.ambiguities.len(),
    }
}

/// An ambiguity's JSON for the audit log.
pub(crate) fn ambiguity_json(a: &StoredAmbiguity) -> serde_json::Value {
    serde_json::to_value(a).unwrap_or(serde_json::Value::Null)
}

/// Puts succession links from `links` on the units (both sides).
pub(crate) fn link(units: &mut [Unit], links: &[Succession]) {
    for s in links {
        if let Some(u) = units.get_mut(s.from_unit as usize) {
            u.superseded_by
                .push(civmap_geo_core::history::UnitId(s.to_unit));
        }
        if let Some(u) = units.get_mut(s.to_unit as usize) {
            u.supersedes
                .push(civmap_geo_core::history::UnitId(s.from_unit));
        }
    }
}

#[cfg(test)]
mod tests;

/// The stored name of an ambiguity kind.
pub(crate) fn kind_str(k: AmbiguityKind) -> &'static str {
    match k {
        AmbiguityKind::SeveralCandidates => "several_candidates",
        AmbiguityKind::SameNameElsewhere => "same_name_elsewhere",
        AmbiguityKind::EndedWithoutSuccessor => "ended_without_successor",
    }
}

/// An ambiguity kind read back.
pub(crate) fn parse_kind(s: &str) -> Result<AmbiguityKind, String> {
    [
        AmbiguityKind::SeveralCandidates,
        AmbiguityKind::SameNameElsewhere,
        AmbiguityKind::EndedWithoutSuccessor,
    ]
    .into_iter()
    .find(|k| kind_str(*k) == s)
    .ok_or_else(|| format!("{s:?} is not an ambiguity kind"))
}

/// A succession event read back (`merged` or `split`).
pub(crate) fn parse_event(s: &str) -> Result<EventKind, String> {
    match s {
        "merged" => Ok(EventKind::Merged),
        "split" => Ok(EventKind::Split),
        other => Err(format!("{other:?} is not a succession event")),
    }
}
