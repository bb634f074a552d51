//! The history of the divisions: every unit with its dated versions, the events between
//! them and the succession links, built from dated editions of the division list.
//!
//! A code identifies a unit within one edition only. The history gives each unit a stable
//! [`UnitId`] that survives changes of code, name and parent, so that "长庆街道 in 2020 and
//! in 2021" is one unit with two codes, and "下城区 today" resolves to 拱墅区 with the event
//! and its date. [`History::build`] folds the editions in order with the rules documented in
//! the `infer` module (same code; same name under a related parent; created; merged, split or
//! abolished) and returns the cases it would not decide as [`Ambiguity`]s for a person;
//! [`History::build_with_decisions`] applies a person's [`Decisions`] on them.
//!
//! - [`History::as_of`]: the divisions on a day ([`Snapshot`]);
//! - [`History::changes`]: added, removed, renamed, moved and recoded units, with counts by level;
//! - [`History::successor_of`] and [`History::former_names`]: old names and codes today;
//! - [`History::check`]: integrity (circular or one-sided succession, a child outliving its
//!   parent, overlapping or broken validity);
//! - [`GeometryReconstructor`]: past shapes from today's polygons, always tagged with how
//!   they were obtained.
//!
//! Like the rest of geo-core this module does no IO: `civmap-data` reads the editions.
//!
//! ```
//! use civmap_geo_core::history::{Date, DivisionRow, Edition, EventKind, History};
//! use civmap_geo_core::{AdminCode, AdminLevel};
//! let row = |code: &str, level, name: &str, parent: &str| DivisionRow {
//!     code: AdminCode::parse(code).unwrap(), level, name: name.into(),
//!     parent: AdminCode::parse(parent).unwrap(), kind: String::new(),
//! };
//! let city = row("330100000000", AdminLevel::City, "杭州市", "330000000000");
//! let e2020 = Edition { id: "A".into(), date: Date::parse("2020-06-30")?, rows: vec![
//!     city.clone(),
//!     row("330103000000", AdminLevel::District, "下城区", "330100000000"),
//!     row("330105000000", AdminLevel::District, "拱墅区", "330100000000"),
//!     row("330103001000", AdminLevel::Township, "长庆街道", "330103000000"),
//! ]};
//! let e2021 = Edition { id: "B".into(), date: Date::parse("2021-10-31")?, rows: vec![
//!     city,
//!     row("330105000000", AdminLevel::District, "拱墅区", "330100000000"),
//!     row("330105014000", AdminLevel::Township, "长庆街道", "330105000000"),
//! ]};
//! let (history, ambiguities) = History::build(vec![e2020, e2021])?;
//! assert!(ambiguities.is_empty());
//! let old = history.as_of(Date::parse("2020-12-31")?)?;
//! assert_eq!(old.by_code("330103000000").unwrap().name, "下城区");
//! let now = &history.successor_of("下城区", history.latest().date())[0];
//! assert_eq!(now.now[0].name, "拱墅区");
//! assert_eq!(now.events[0].kind, EventKind::Merged);
//! assert!(history.check().is_empty());
//! # Ok::<(), civmap_geo_core::history::HistoryError>(())
//! ```

mod ambiguity;
mod changes;
mod date;
mod decision;
mod edition;
mod error;
mod event;
mod geometry;
mod infer;
mod integrity;
mod snapshot;
mod succession;
mod unit;

pub use ambiguity::{Ambiguity, AmbiguityKind};
pub use changes::{ChangeCounts, Changes, MovedUnit, RenamedUnit};
pub use date::Date;
pub use decision::{CaseKey, Choice, Decisions};
pub use edition::{DivisionRow, Edition, EditionInfo};
pub use error::HistoryError;
pub use event::{Event, EventKind, EventSide};
pub use geometry::{GeometryReconstructor, GeometrySource, PastGeometry};
pub use integrity::IntegrityError;
pub use snapshot::{Snapshot, SnapshotUnit};
pub use succession::{Resolution, UnitRef};
pub use unit::{Unit, UnitId, UnitVersion};

/// The dated history of the divisions (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct History {
    editions: Vec<EditionInfo>,
    units: Vec<Unit>,
    events: Vec<Event>,
    /// One per edition, same order.
    snapshots: Vec<Snapshot>,
}

impl History {
    /// Builds the history from `editions`, oldest first, and lists the cases it would not
    /// decide alone. Errors on no editions, repeated ids, dates not increasing, a code twice
    /// in one edition or a parent missing from its edition.
    pub fn build(editions: Vec<Edition>) -> Result<(History, Vec<Ambiguity>), HistoryError> {
        Self::build_with_decisions(editions, &Decisions::default())
    }

    /// [`History::build`] with a person's `decisions` applied (see [`Decisions`] for what
    /// each choice does). Returns every case found, the decided ones included
    /// ([`Decisions::decides`] tells them apart).
    ///
    /// Refuses, naming the case and the choice: a decision whose case the build no longer
    /// lists ([`HistoryError::StaleDecision`]), a choice that is not one of the case's
    /// candidates, two decisions choosing the same vanished unit, and a decision whose
    /// history fails an integrity check ([`History::check`]) that the history without the
    /// decisions passes ([`HistoryError::DecisionBreaksIntegrity`]).
    ///
    /// ```
    /// use civmap_geo_core::history::{
    ///     AmbiguityKind, CaseKey, Choice, Date, Decisions, DivisionRow, Edition, EventKind, History,
    /// };
    /// use civmap_geo_core::{AdminCode, AdminLevel};
    /// let row = |code: &str, level, name: &str, parent: &str| DivisionRow {
    ///     code: AdminCode::parse(code).unwrap(), level, name: name.into(),
    ///     parent: AdminCode::parse(parent).unwrap(), kind: String::new(),
    /// };
    /// let city = row("330100000000", AdminLevel::City, "杭州市", "330000000000");
    /// let d1 = row("330102000000", AdminLevel::District, "上城区", "330100000000");
    /// let d2 = row("330106000000", AdminLevel::District, "西湖区", "330100000000");
    /// let before = Edition { id: "A".into(), date: Date::parse("2020-06-30")?, rows: vec![
    ///     city.clone(), d1.clone(), d2.clone(),
    ///     row("330102001000", AdminLevel::Township, "湖滨街道", "330102000000"),
    /// ]};
    /// let after = Edition { id: "B".into(), date: Date::parse("2021-10-31")?, rows: vec![
    ///     city, d1, d2,
    ///     row("330106020000", AdminLevel::Township, "湖滨街道", "330106000000"),
    /// ]};
    /// let (_, cases) = History::build(vec![before.clone(), after.clone()])?;
    /// assert_eq!(cases[0].kind, AmbiguityKind::SameNameElsewhere);
    /// let decisions: Decisions =
    ///     [(CaseKey::of(&cases[0]), Choice::Candidate(cases[0].candidates[0].clone()))].into_iter().collect();
    /// let (h, cases) = History::build_with_decisions(vec![before, after], &decisions)?;
    /// assert!(cases.iter().all(|c| decisions.decides(c)));
    /// let moved = h.events().iter().find(|e| e.kind == EventKind::Moved).unwrap();
    /// assert_eq!(moved.to.as_ref().unwrap().code.as_str(), "330106020000");
    /// # Ok::<(), civmap_geo_core::history::HistoryError>(())
    /// ```
    pub fn build_with_decisions(
        editions: Vec<Edition>,
        decisions: &Decisions,
    ) -> Result<(History, Vec<Ambiguity>), HistoryError> {
        let inferred = infer::infer(&editions, decisions)?;
        if let Some((case, choice)) = decisions
            .iter()
            .find(|(k, _)| !inferred.decided.contains(*k))
        {
            return Err(HistoryError::StaleDecision {
                case: case.clone(),
                choice: choice.clone(),
            });
        }
        let infos: Vec<EditionInfo> = editions.iter().map(Edition::info).collect();
        let history = Self::from_parts(infos, inferred.units, inferred.events);
        if decisions.iter().any(|(_, c)| *c != Choice::AsRecorded) {
            decision::refuse_new_problems(&history, &editions, decisions)?;
        }
        Ok((history, inferred.ambiguities))
    }

    /// A history from stored parts, as they are: nothing is inferred or validated (ask
    /// [`History::check`]). `units[i].id` must be `UnitId(i)`; editions oldest first.
    pub fn from_parts(editions: Vec<EditionInfo>, units: Vec<Unit>, events: Vec<Event>) -> Self {
        let snapshots = editions
            .iter()
            .map(|e| Snapshot::of(&e.id, e.date, &units))
            .collect();
        Self {
            editions,
            units,
            events,
            snapshots,
        }
    }

    /// The parts, for storage or repair ([`History::from_parts`] puts them back).
    pub fn into_parts(self) -> (Vec<EditionInfo>, Vec<Unit>, Vec<Event>) {
        (self.editions, self.units, self.events)
    }

    /// The editions, oldest first.
    pub fn editions(&self) -> &[EditionInfo] {
        &self.editions
    }

    /// Every unit, by id.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The unit `id`.
    pub fn unit(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(id.0 as usize).filter(|u| u.id == id)
    }

    /// Every event, edition by edition.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events of unit `id`, oldest first.
    pub fn events_of(&self, id: UnitId) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.unit == id)
    }

    /// The newest edition's snapshot: the divisions today.
    ///
    /// # Panics
    /// On a history made by [`History::from_parts`] with no edition.
    pub fn latest(&self) -> &Snapshot {
        self.snapshots.last().expect("a history has an edition")
    }

    /// The divisions as they stood on `day`: the newest edition dated on or before it.
    pub fn as_of(&self, day: Date) -> Result<&Snapshot, HistoryError> {
        let n = self.snapshots.partition_point(|s| s.date() <= day);
        match n {
            0 => {
                let first = &self.editions[0];
                Err(HistoryError::BeforeFirstEdition {
                    date: day,
                    first: first.id.clone(),
                    first_date: first.date,
                })
            }
            n => Ok(&self.snapshots[n - 1]),
        }
    }

    /// The snapshot of edition `id`.
    pub fn edition(&self, id: &str) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.edition_id() == id)
    }

    /// An edition id (`NBS2020`) or a day (`2020-12-31`) as a snapshot, as the API's
    /// `from`/`to`/`as_of` parameters are given.
    ///
    /// ```
    /// # use civmap_geo_core::history::{Date, Edition, History};
    /// let e = |id: &str, d: &str| Edition { id: id.into(), date: Date::parse(d).unwrap(), rows: vec![] };
    /// let (h, _) = History::build(vec![e("NBS2020", "2020-06-30"), e("NBS2021", "2021-10-31")])?;
    /// assert_eq!(h.resolve("2021-01-01")?.edition_id(), "NBS2020");
    /// assert_eq!(h.resolve("NBS2021")?.date().to_string(), "2021-10-31");
    /// assert!(h.resolve("NBS1999").is_err());
    /// # Ok::<(), civmap_geo_core::history::HistoryError>(())
    /// ```
    pub fn resolve(&self, edition_or_day: &str) -> Result<&Snapshot, HistoryError> {
        let t = edition_or_day.trim();
        if let Some(s) = self.edition(t) {
            return Ok(s);
        }
        match Date::parse(t) {
            Ok(day) => self.as_of(day),
            Err(_) => Err(HistoryError::UnknownEdition {
                input: t.to_owned(),
                known: self
                    .editions
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}
