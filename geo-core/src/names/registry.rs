//! The name registry: every place's typed, dated names — the standard name, short forms,
//! aliases, former and colloquial names — each with its language/script tag, the approval
//! that made it and, for polyphonic characters, the reading to use.
//!
//! A place has at most one current standard name per language tag. A rename
//! ([`NameRegistry::rename`]) closes the current standard name on the day of the change and
//! keeps it as a `former` name, so that the old name still finds the place and can say
//! "renamed to X on D".
//!
//! ```
//! use civmap_geo_core::history::Date;
//! use civmap_geo_core::names::{LangTag, NameRegistry, NameType, PlaceKey, PlaceName};
//! let place = PlaceKey::parse("unit/330105014000").unwrap();
//! let mut reg = NameRegistry::default();
//! reg.insert(PlaceName::standard(place.clone(), "长庆街道")).unwrap();
//! let day = Date::parse("2026-12-01").unwrap();
//! reg.rename(&place, "长庆新街道", day, Some("杭政函〔2026〕1号")).unwrap();
//! let old = &reg.lookup("长庆街道")[0];
//! assert_eq!(old.name_type, NameType::Former);
//! assert_eq!(old.valid_to, Some(day));
//! assert_eq!(reg.current_standard(&place, &LangTag::zh_hans()).unwrap().name, "长庆新街道");
//! ```

use std::collections::HashMap;

use serde::Serialize;

use super::{NameChecker, NamesError};
use crate::history::{Date, History};
use crate::Dataset;

/// What kind of name a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameType {
    /// The approved name (标准名称).
    Standard,
    /// A short form of the standard name (简称), e.g. `西湖` for 西湖区.
    Short,
    /// Another official or accepted name (别名).
    Alias,
    /// A name no longer in use (曾用名), with the day it ended.
    Former,
    /// What people call the place (俗称).
    Colloquial,
}

impl NameType {
    /// Every type, in the order of the API documentation.
    pub const ALL: [NameType; 5] = [
        Self::Standard,
        Self::Short,
        Self::Alias,
        Self::Former,
        Self::Colloquial,
    ];

    /// The API name, e.g. `former`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Short => "short",
            Self::Alias => "alias",
            Self::Former => "former",
            Self::Colloquial => "colloquial",
        }
    }

    /// Parses an API name.
    ///
    /// ```
    /// use civmap_geo_core::names::NameType;
    /// assert_eq!(NameType::parse("former").unwrap(), NameType::Former);
    /// assert!(NameType::parse("nickname").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, NamesError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| NamesError::BadField {
                field: "name_type".into(),
                message: format!(
                    "`{s}`: expected one of standard, short, alias, former, colloquial"
                ),
            })
    }
}

/// A language/script tag (BCP 47 shape): `zh-Hans`, `zh-Latn-pinyin`, `en`, `ug`, …
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LangTag(String);

impl LangTag {
    /// Simplified Chinese characters.
    pub fn zh_hans() -> Self {
        Self("zh-Hans".into())
    }

    /// Hanyu Pinyin (GB/T 16159 map form).
    pub fn pinyin() -> Self {
        Self("zh-Latn-pinyin".into())
    }

    /// Parses a tag: a 2–3 letter language, then subtags of 2–8 letters or digits.
    ///
    /// ```
    /// use civmap_geo_core::names::LangTag;
    /// assert_eq!(LangTag::parse("zh-Latn-pinyin").unwrap().as_str(), "zh-Latn-pinyin");
    /// assert!(LangTag::parse("chinese!").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, NamesError> {
        let bad = |why: &str| NamesError::BadField {
            field: "lang".into(),
            message: format!("`{s}` is not a language tag: {why}"),
        };
        let mut parts = s.split('-');
        let lang = parts.next().unwrap_or("");
        if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(bad("the language must be 2–3 lowercase letters (zh, en)"));
        }
        for p in parts {
            if !(2..=8).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad("subtags are 2–8 letters or digits (zh-Hans)"));
            }
        }
        Ok(Self(s.to_owned()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a place is, in its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceClass {
    /// An admin unit (key: its 12-digit code).
    Unit,
    /// A road (key: its name when the registry was seeded).
    Road,
    /// A facility (key: its id).
    Facility,
    /// A landmark (key: its id).
    Landmark,
    /// A residential area (key: its id).
    Residential,
}

impl PlaceClass {
    /// Every class.
    pub const ALL: [PlaceClass; 5] = [
        Self::Unit,
        Self::Road,
        Self::Facility,
        Self::Landmark,
        Self::Residential,
    ];

    /// `unit`, `road`, `facility`, `landmark` or `residential`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::Road => "road",
            Self::Facility => "facility",
            Self::Landmark => "landmark",
            Self::Residential => "residential",
        }
    }
}

/// A place, written `class/id` (`unit/330105014000`, `road/文三路`, `facility/f12`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceKey {
    /// What it is.
    pub class: PlaceClass,
    /// Its id within the class.
    pub id: String,
}

impl PlaceKey {
    /// A key from its parts.
    pub fn new(class: PlaceClass, id: impl Into<String>) -> Self {
        Self {
            class,
            id: id.into(),
        }
    }

    /// Parses `class/id`.
    ///
    /// ```
    /// use civmap_geo_core::names::{PlaceClass, PlaceKey};
    /// let k = PlaceKey::parse("unit/330105014000").unwrap();
    /// assert_eq!(k.class, PlaceClass::Unit);
    /// assert_eq!(k.to_string(), "unit/330105014000");
    /// assert!(PlaceKey::parse("unit/12").is_err());
    /// assert!(PlaceKey::parse("planet/x").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, NamesError> {
        let bad = |message: String| NamesError::BadField {
            field: "place".into(),
            message,
        };
        let (class, id) = s.split_once('/').ok_or_else(|| {
            bad(format!(
                "`{s}`: expected class/id, e.g. unit/330105014000 or road/文三路"
            ))
        })?;
        let class = PlaceClass::ALL
            .into_iter()
            .find(|c| c.as_str() == class)
            .ok_or_else(|| {
                bad(format!(
                    "`{class}`: expected unit, road, facility, landmark or residential"
                ))
            })?;
        if id.is_empty() || id.chars().count() > 64 || id.chars().any(char::is_control) {
            return Err(bad(format!(
                "`{s}`: the id is empty, too long or has a control character"
            )));
        }
        if class == PlaceClass::Unit && crate::AdminCode::parse(id).is_err() {
            return Err(bad(format!("`{id}` is not a 12-digit unit code")));
        }
        Ok(Self::new(class, id))
    }
}

impl std::fmt::Display for PlaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.class.as_str(), self.id)
    }
}

impl Serialize for PlaceKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One name of one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceName {
    /// The place.
    pub place: PlaceKey,
    /// The name as written.
    pub name: String,
    /// Its type.
    pub name_type: NameType,
    /// Its language and script.
    pub lang: LangTag,
    /// First day in use, when known.
    pub valid_from: Option<Date>,
    /// First day no longer in use; `None` while in use.
    pub valid_to: Option<Date>,
    /// The approval that made it (e.g. `杭政函〔2021〕30号`), when known.
    pub approval_ref: Option<String>,
    /// The pinyin reading to use for polyphonic characters (e.g. `Lishui` for 丽水).
    pub reading: Option<String>,
}

impl PlaceName {
    /// A current standard name in simplified Chinese, with no dates or approval.
    pub fn standard(place: PlaceKey, name: impl Into<String>) -> Self {
        Self {
            place,
            name: name.into(),
            name_type: NameType::Standard,
            lang: LangTag::zh_hans(),
            valid_from: None,
            valid_to: None,
            approval_ref: None,
            reading: None,
        }
    }

    /// Whether the name is in use on `day` (no `valid_to`, or `valid_to` after it).
    pub fn current_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day < t)
    }
}

/// What a rename changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    /// The standard name that ended (now `former`), if the place had one.
    pub former: Option<PlaceName>,
    /// The new standard name.
    pub standard: PlaceName,
}

/// Every place's names, looked up by name and by place.
#[derive(Debug, Clone, Default)]
pub struct NameRegistry {
    names: Vec<PlaceName>,
    by_name: HashMap<String, Vec<u32>>,
    by_place: HashMap<PlaceKey, Vec<u32>>,
}

impl NameRegistry {
    /// The registry of a dataset's records: the standard name of every admin unit, road,
    /// facility and landmark as served (a generated city's facilities carry generated
    /// names: the registry holds what is served), the units' short forms (`西湖` for 西湖区),
    /// their GB/T 16159 pinyin with `checker`'s romaniser, and — from the division
    /// `history` — every earlier name of a unit that still exists, dated by the editions
    /// that show it. Nothing is made up: a name's `valid_from` is set only when the
    /// history saw it begin (after its first edition).
    pub fn seed(dataset: &Dataset, history: Option<&History>, checker: &NameChecker) -> Self {
        let mut reg = Self::default();
        for u in &dataset.admin {
            let place = PlaceKey::new(PlaceClass::Unit, u.code.as_str());
            reg.push(PlaceName::standard(place.clone(), &u.name));
            if let Ok(r) = checker.romanizer().romanize(&u.name) {
                let mut p = PlaceName::standard(place.clone(), r.map_form);
                p.lang = LangTag::pinyin();
                reg.push(p);
            }
            for short in crate::gazetteer::short_forms(&u.name) {
                let mut s = PlaceName::standard(place.clone(), short);
                s.name_type = NameType::Short;
                reg.push(s);
            }
        }
        for road in &dataset.network.road_names {
            reg.push(PlaceName::standard(
                PlaceKey::new(PlaceClass::Road, road.as_str()),
                road.as_str(),
            ));
        }
        for f in &dataset.facilities {
            reg.push(PlaceName::standard(
                PlaceKey::new(PlaceClass::Facility, f.id.as_str()),
                &f.name,
            ));
        }
        for l in &dataset.landmarks {
            reg.push(PlaceName::standard(
                PlaceKey::new(PlaceClass::Landmark, l.id.as_str()),
                &l.name,
            ));
        }
        if let Some(h) = history {
            reg.seed_history(dataset, h);
        }
        reg
    }

    /// Former names of the served units from the history, and the start day of their
    /// current names when the history saw them begin.
    fn seed_history(&mut self, dataset: &Dataset, history: &History) {
        let first_edition = history.editions().first().map(|e| e.date);
        let served: std::collections::HashSet<&str> =
            dataset.admin.iter().map(|u| u.code.as_str()).collect();
        for unit in history.units() {
            let latest = unit.latest();
            if latest.valid_to.is_some() || !served.contains(latest.code.as_str()) {
                continue;
            }
            let place = PlaceKey::new(PlaceClass::Unit, latest.code.as_str());
            for run in name_runs(unit) {
                let began = (Some(run.from) != first_edition).then_some(run.from);
                if run.to.is_none() {
                    // the current name: date it when the history saw it begin
                    if let Some(ids) = self.by_place.get(&place) {
                        for &i in ids {
                            let n = &mut self.names[i as usize];
                            if n.name_type == NameType::Standard && n.name == run.name {
                                n.valid_from = began;
                            }
                        }
                    }
                    continue;
                }
                let mut former = PlaceName::standard(place.clone(), run.name);
                former.name_type = NameType::Former;
                former.valid_from = began;
                former.valid_to = run.to;
                self.push(former);
            }
        }
    }

    fn push(&mut self, n: PlaceName) -> u32 {
        let i = self.names.len() as u32;
        self.by_name.entry(n.name.clone()).or_default().push(i);
        self.by_place.entry(n.place.clone()).or_default().push(i);
        self.names.push(n);
        i
    }

    /// Adds a name. Refused: an empty name, `valid_to` not after `valid_from`, a second
    /// current standard name for the place in the same language, and an exact duplicate.
    pub fn insert(&mut self, n: PlaceName) -> Result<(), NamesError> {
        NameChecker::validate_name(&n.name)?;
        if let (Some(f), Some(t)) = (n.valid_from, n.valid_to) {
            if t <= f {
                return Err(NamesError::BadField {
                    field: "valid_to".into(),
                    message: format!("{t} is not after valid_from {f}"),
                });
            }
        }
        if n.name_type == NameType::Standard && n.valid_to.is_none() {
            if let Some(cur) = self.current_standard(&n.place, &n.lang) {
                return Err(NamesError::BadField {
                    field: "name".into(),
                    message: format!(
                        "{} already has the standard name `{}` ({}); rename it instead",
                        n.place,
                        cur.name,
                        n.lang.as_str()
                    ),
                });
            }
        }
        if self.names_of(&n.place).any(|x| *x == n) {
            return Ok(());
        }
        self.push(n);
        Ok(())
    }

    /// Every name, in insertion order.
    pub fn all(&self) -> &[PlaceName] {
        &self.names
    }

    /// Names written exactly `name`, of any place and type.
    pub fn lookup(&self, name: &str) -> Vec<&PlaceName> {
        self.by_name
            .get(name.trim())
            .into_iter()
            .flatten()
            .map(|&i| &self.names[i as usize])
            .collect()
    }

    /// Every name of a place.
    pub fn names_of<'a>(&'a self, place: &PlaceKey) -> impl Iterator<Item = &'a PlaceName> {
        self.by_place
            .get(place)
            .into_iter()
            .flatten()
            .map(|&i| &self.names[i as usize])
    }

    /// The place's current standard name in `lang` (no `valid_to`).
    pub fn current_standard(&self, place: &PlaceKey, lang: &LangTag) -> Option<&PlaceName> {
        self.names_of(place)
            .find(|n| n.name_type == NameType::Standard && n.valid_to.is_none() && &n.lang == lang)
    }

    /// Renames a place on `day`: its current simplified-Chinese standard name ends that day
    /// and becomes `former`; `new_name` is its standard name from that day, with the
    /// approval. Its pinyin standard name, if any, ends too (the caller adds the new one).
    /// Refused: a new name equal to the current one, a day before the current name began.
    pub fn rename(
        &mut self,
        place: &PlaceKey,
        new_name: &str,
        day: Date,
        approval_ref: Option<&str>,
    ) -> Result<Renamed, NamesError> {
        NameChecker::validate_name(new_name)?;
        let current = self.current_standards(place);
        let zh = LangTag::zh_hans();
        let mut former = None;
        for &i in &current {
            let n = &self.names[i as usize];
            if n.lang == zh && n.name == new_name {
                return Err(NamesError::BadField {
                    field: "name".into(),
                    message: format!("`{new_name}` is already the standard name of {place}"),
                });
            }
            if n.valid_from.is_some_and(|f| day <= f) {
                return Err(NamesError::BadField {
                    field: "date".into(),
                    message: format!("{day} is not after the current name began ({})", n.name),
                });
            }
        }
        for i in current {
            let n = &mut self.names[i as usize];
            n.valid_to = Some(day);
            if n.lang == zh {
                n.name_type = NameType::Former;
                // re-index is not needed: name and place are unchanged
                former = Some(n.clone());
            }
        }
        let mut standard = PlaceName::standard(place.clone(), new_name);
        standard.valid_from = Some(day);
        standard.approval_ref = approval_ref.map(str::to_owned);
        self.push(standard.clone());
        Ok(Renamed { former, standard })
    }

    /// The indexes of the place's current standard names (every language).
    fn current_standards(&self, place: &PlaceKey) -> Vec<u32> {
        self.by_place
            .get(place)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let n = &self.names[i as usize];
                n.name_type == NameType::Standard && n.valid_to.is_none()
            })
            .collect()
    }

    /// Replays what approvals stored for one place over the seeded names: `standard` is
    /// its current standard name (simplified Chinese), `formers` the stored names it ended.
    /// When the served record already carries `standard` (a store that renamed the data
    /// with the approval, PostGIS), the seeded standard name only takes the stored day and
    /// approval; otherwise it ends — on the day its stored former row gives, else the day
    /// `standard` began — and `standard` follows it. Every stored former name the registry
    /// lacks is added. Returns whether the served record must be renamed to `standard`.
    ///
    /// ```
    /// use civmap_geo_core::history::Date;
    /// use civmap_geo_core::names::{NameRegistry, NameType, PlaceKey, PlaceName};
    /// let place = PlaceKey::parse("facility/f1").unwrap();
    /// let mut reg = NameRegistry::default();
    /// reg.insert(PlaceName::standard(place.clone(), "甲食堂")).unwrap();
    /// let d = |s| Date::parse(s).unwrap();
    /// let mut b = PlaceName::standard(place.clone(), "丙食堂");
    /// b.valid_from = Some(d("2026-03-01"));
    /// let mut a = PlaceName::standard(place.clone(), "甲食堂");
    /// a.name_type = NameType::Former;
    /// a.valid_to = Some(d("2026-01-01"));
    /// let mut c = PlaceName::standard(place.clone(), "乙食堂");
    /// (c.name_type, c.valid_from, c.valid_to) =
    ///     (NameType::Former, Some(d("2026-01-01")), Some(d("2026-03-01")));
    /// assert!(reg.restore(&b, &[a, c]));
    /// let names: Vec<_> = reg.names_of(&place)
    ///     .map(|n| (n.name.as_str(), n.name_type, n.valid_to.map(|t| t.to_string())))
    ///     .collect();
    /// assert_eq!(names, [
    ///     ("甲食堂", NameType::Former, Some("2026-01-01".into())),
    ///     ("丙食堂", NameType::Standard, None),
    ///     ("乙食堂", NameType::Former, Some("2026-03-01".into())),
    /// ]);
    /// // replayed again over data that has the new name: nothing to rename
    /// assert!(!reg.restore(&b, &[]));
    /// ```
    pub fn restore(&mut self, standard: &PlaceName, formers: &[PlaceName]) -> bool {
        let place = &standard.place;
        let current = self.current_standards(place);
        let same = current.iter().copied().find(|&i| {
            let n = &self.names[i as usize];
            n.lang == standard.lang && n.name == standard.name
        });
        let rename = same.is_none();
        if let Some(i) = same {
            let n = &mut self.names[i as usize];
            n.valid_from = standard.valid_from;
            n.approval_ref.clone_from(&standard.approval_ref);
            n.reading.clone_from(&standard.reading);
        } else {
            for i in current {
                let n = &mut self.names[i as usize];
                let stored = formers
                    .iter()
                    .find(|f| f.name == n.name && f.lang == n.lang);
                n.valid_to = stored.and_then(|f| f.valid_to).or(standard.valid_from);
                if n.lang == standard.lang {
                    n.name_type = NameType::Former;
                    if n.valid_from.is_none() {
                        n.valid_from = stored.and_then(|f| f.valid_from);
                    }
                }
            }
            self.push(standard.clone());
        }
        for f in formers {
            let known = self.names_of(place).any(|n| {
                n.name == f.name && n.name_type == NameType::Former && n.valid_to == f.valid_to
            });
            if !known {
                self.push(f.clone());
            }
        }
        rename
    }
}

/// A stretch of versions of one unit under one name.
struct NameRun {
    name: String,
    from: Date,
    to: Option<Date>,
}

/// The unit's names, each over its continuous versions, oldest first.
fn name_runs(unit: &crate::history::Unit) -> Vec<NameRun> {
    let mut out: Vec<NameRun> = Vec::new();
    for v in &unit.versions {
        match out.last_mut() {
            Some(r) if r.name == v.name && r.to == Some(v.valid_from) => r.to = v.valid_to,
            _ => out.push(NameRun {
                name: v.name.clone(),
                from: v.valid_from,
                to: v.valid_to,
            }),
        }
    }
    out
}

/// A name worth considering for the heritage list: in continuous use for a long time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeritageCandidate {
    /// The unit (`unit/<code>`).
    pub place: PlaceKey,
    /// Its name.
    pub name: String,
    /// First day the history sees the name in use.
    pub since: Date,
    /// Whole days of continuous use up to `until`.
    pub days: u32,
    /// Years of continuous use (`days / 365.25`).
    pub years: f64,
    /// The name was already in use in the first edition: its real use is longer.
    pub at_least: bool,
}

/// The current names of units in continuous use for at least `min_years` up to `until`
/// (by the history's editions), longest first, then by place.
///
/// ```
/// use civmap_geo_core::history::{Date, DivisionRow, Edition, History};
/// use civmap_geo_core::names::heritage_candidates;
/// use civmap_geo_core::{AdminCode, AdminLevel};
/// let row = |code: &str, level, name: &str, parent: &str| DivisionRow {
///     code: AdminCode::parse(code).unwrap(), level, name: name.into(),
///     parent: AdminCode::parse(parent).unwrap(), kind: String::new() };
/// let ed = |id: &str, day: &str, name: &str| Edition { id: id.into(),
///     date: Date::parse(day).unwrap(), rows: vec![
///         row("330100000000", AdminLevel::City, "杭州市", "330000000000"),
///         row("330106000000", AdminLevel::District, name, "330100000000")] };
/// let (h, _) = History::build(vec![ed("A", "2019-06-30", "西湖区"),
///     ed("B", "2023-06-30", "西湖区")]).unwrap();
/// let c = heritage_candidates(&h, 3.0, Date::parse("2023-06-30").unwrap());
/// let xihu = c.iter().find(|x| x.name == "西湖区").unwrap();
/// assert!(xihu.at_least && xihu.years > 3.9);
/// assert!(heritage_candidates(&h, 5.0, Date::parse("2023-06-30").unwrap()).is_empty());
/// ```
pub fn heritage_candidates(
    history: &History,
    min_years: f64,
    until: Date,
) -> Vec<HeritageCandidate> {
    let first = history.editions().first().map(|e| e.date);
    let mut out: Vec<HeritageCandidate> = history
        .units()
        .iter()
        .filter(|u| u.latest().valid_to.is_none())
        .filter_map(|u| {
            let run = name_runs(u).pop()?;
            let days = days_between(run.from, until)?;
            let years = f64::from(days) / 365.25;
            (years >= min_years).then(|| HeritageCandidate {
                place: PlaceKey::new(PlaceClass::Unit, u.latest().code.as_str()),
                name: run.name,
                since: run.from,
                days,
                years,
                at_least: Some(run.from) == first,
            })
        })
        .collect();
    out.sort_by(|a, b| b.days.cmp(&a.days).then_with(|| a.place.cmp(&b.place)));
    out
}

/// Days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
pub fn day_number(d: Date) -> i64 {
    let (y, m, dd) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dd - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The day `n` days after 1970-01-01 (the inverse of [`day_number`]); `None` outside the
/// years 1000–9999.
///
/// ```
/// use civmap_geo_core::history::Date;
/// use civmap_geo_core::names::{date_of_day_number, day_number};
/// let d = Date::parse("2024-02-29").unwrap();
/// assert_eq!(date_of_day_number(day_number(d) + 1).unwrap().to_string(), "2024-03-01");
/// ```
pub fn date_of_day_number(n: i64) -> Option<Date> {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Date::new(u16::try_from(y).ok()?, m as u8, d as u8).ok()
}

/// Whole days from `a` to `b`, `None` when `b` is before `a`.
fn days_between(a: Date, b: Date) -> Option<u32> {
    u32::try_from(day_number(b) - day_number(a)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn day_numbers_round_trip_against_a_day_by_day_walk() {
        // oracle: walk the calendar one day at a time with Date::new
        let mut d = day("1999-12-25");
        let mut n = day_number(d);
        assert_eq!(day_number(day("1970-01-01")), 0);
        for _ in 0..3000 {
            assert_eq!(date_of_day_number(n), Some(d));
            let next = Date::new(d.year(), d.month(), d.day() + 1)
                .or_else(|_| Date::new(d.year(), d.month() + 1, 1))
                .or_else(|_| Date::new(d.year() + 1, 1, 1))
                .unwrap();
            d = next;
            n += 1;
            assert_eq!(day_number(d), n);
        }
    }

    #[test]
    fn rename_keeps_the_old_name_as_former_and_refuses_nonsense() {
        let place = PlaceKey::parse("unit/330105014000").unwrap();
        let mut reg = NameRegistry::default();
        reg.insert(PlaceName::standard(place.clone(), "长庆街道"))
            .unwrap();
        let mut py = PlaceName::standard(place.clone(), "Changqing Jiedao");
        py.lang = LangTag::pinyin();
        reg.insert(py).unwrap();
        // a second current standard name is refused
        let err = reg
            .insert(PlaceName::standard(place.clone(), "别的街道"))
            .unwrap_err();
        assert!(
            err.to_string().contains("already has the standard name"),
            "{err}"
        );
        let err = reg
            .rename(&place, "长庆街道", day("2026-01-01"), None)
            .unwrap_err();
        assert!(
            err.to_string().contains("already the standard name"),
            "{err}"
        );
        let r = reg
            .rename(&place, "长庆新街道", day("2026-01-01"), Some("ref-1"))
            .unwrap();
        assert_eq!(r.former.unwrap().valid_to, Some(day("2026-01-01")));
        assert_eq!(r.standard.approval_ref.as_deref(), Some("ref-1"));
        // the pinyin name ended too; no current standard pinyin until one is added
        assert!(reg.current_standard(&place, &LangTag::pinyin()).is_none());
        assert_eq!(reg.names_of(&place).count(), 3);
        // a second rename cannot go back before the first
        let err = reg
            .rename(&place, "又一街道", day("2025-01-01"), None)
            .unwrap_err();
        assert!(err.to_string().contains("not after"), "{err}");
    }

    #[test]
    fn bad_fields_are_named() {
        for (input, field) in [("unit", "place"), ("unit/1", "place"), ("x/1", "place")] {
            let e = PlaceKey::parse(input).unwrap_err();
            assert!(e.to_string().contains(field), "{e}");
        }
        assert!(LangTag::parse("Zh").is_err());
        assert!(LangTag::parse("zh-").is_err());
        assert!(LangTag::parse("ug-Arab").is_ok());
    }
}
