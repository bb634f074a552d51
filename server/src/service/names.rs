//! Place names (issue 16): the check of one name against the shipped rule set
//! (`data/names/rules.json`) and the names in use in its scope, the same and same-sounding
//! names by scope, and the city's clean-up list over every unit, road and facility with the
//! records each hit affects.
//!
//! Roads carry no unit: a road is in the units holding its doorplates' communities (a road
//! without doorplates is in none, and is checked for the name rules only).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use civmap_geo_core::names::{
    check_batch, duplicate_groups, BuildingSize, DuplicateGroup, Finding, NameChecker, NameKind,
    NameRecord, NameSubject, NamesError, ScopePeer, ScopedName,
};
use civmap_geo_core::{AdminCode, AdminLevel, Dataset};
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::data::DataService;
use crate::service::ServiceError;

/// The checker over the shipped rules, built once.
static CHECKER: LazyLock<Result<NameChecker, String>> = LazyLock::new(|| {
    let rules = civmap_data::names::rules().map_err(|e| e.to_string())?;
    NameChecker::new(&rules).map_err(|e| e.to_string())
});

/// The checker over the shipped rules (a 500 naming why if they do not load).
pub fn checker() -> Result<&'static NameChecker, ServiceError> {
    CHECKER.as_ref().map_err(ServiceError::internal)
}

/// Name errors are about the `name` or `kind` parameter.
impl From<NamesError> for ServiceError {
    fn from(e: NamesError) -> Self {
        match &e {
            NamesError::UnknownKind(_) => Self::invalid("kind", e.to_string()),
            NamesError::UnknownClause { .. } | NamesError::BadRules { .. } => Self::internal(e),
            _ => Self::invalid("name", e.to_string()),
        }
    }
}

/// One rule a name breaks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingBody {
    /// `grand`, `foreign`, `odd`, `stacked`, `size`, `duplicate`, `homophone` or `english`.
    pub rule: String,
    /// What was found.
    pub detail: String,
    /// The clause the rule comes from.
    pub clause: String,
}

impl From<Finding> for FindingBody {
    fn from(f: Finding) -> Self {
        Self {
            rule: f.rule,
            detail: f.detail,
            clause: f.clause,
        }
    }
}

/// `GET /api/v1/names/check`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NameCheckAnswer {
    /// The name checked.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// The rules it breaks (empty: a clean name).
    pub findings: Vec<FindingBody>,
    /// GB/T 16159 map form (`Wensan Lu`); `null` when the name has characters that are not
    /// romanised (letters, symbols).
    pub romanized: Option<String>,
    /// Sign form, capitals (`WENSAN LU`).
    pub sign: Option<String>,
    /// The proper name (专名).
    pub proper: Option<String>,
    /// The generic term (通名), if any.
    pub generic: Option<String>,
    /// The scope compared against (a unit code), if any.
    pub scope: Option<String>,
    /// Names in use in the scope that were compared.
    pub compared: usize,
}

/// Names that clash within one scope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicateGroupBody {
    /// `duplicate` (the same name) or `homophone` (different characters, one sound).
    pub rule: String,
    /// The name; homophones: the distinct names joined by ` / `.
    pub name: String,
    /// The code of the unit the names must be unique in.
    pub scope: String,
    /// Toneless pinyin, syllables joined by `-`.
    pub pinyin: String,
    /// Alike only under the dialect table (zh/z, ch/c, sh/s, -ng/-n).
    pub dialect: bool,
    /// The records: unit codes, or `road/<name>` for roads.
    pub codes: Vec<String>,
}

impl From<DuplicateGroup> for DuplicateGroupBody {
    fn from(g: DuplicateGroup) -> Self {
        Self {
            rule: match g.rule {
                civmap_geo_core::names::DuplicateRule::Duplicate => "duplicate".into(),
                civmap_geo_core::names::DuplicateRule::Homophone => "homophone".into(),
            },
            name: g.name,
            scope: g.scope,
            pinyin: g.pinyin,
            dialect: g.dialect,
            codes: g.codes,
        }
    }
}

/// `GET /api/v1/names/duplicates`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DuplicatesAnswer {
    /// The names compared: `district`, `township`, `community` or `road`.
    pub level: String,
    /// The scope asked for (a code or a level).
    pub scope: String,
    /// Names compared.
    pub names: usize,
    /// The clashes, by scope, rule and name.
    pub groups: Vec<DuplicateGroupBody>,
}

/// A record of the clean-up list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CleanupEntryBody {
    /// A unit code, `road/<name>` or a facility id.
    pub key: String,
    /// `district`, `township`, `community`, `road` or `facility`.
    pub kind: String,
    /// The name.
    pub name: String,
    /// The rules it breaks.
    pub findings: Vec<FindingBody>,
    /// Records carrying the name that a rename touches, by layer (`doorplates`,
    /// `facilities`).
    pub affects: BTreeMap<String, u64>,
}

/// `GET /api/v1/names/cleanup`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CleanupAnswer {
    /// Names checked.
    pub checked: usize,
    /// Findings per rule.
    pub by_rule: BTreeMap<String, usize>,
    /// The records with findings.
    pub entries: Vec<CleanupEntryBody>,
}

/// The names compared by `GET /api/v1/names/duplicates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedLayer {
    /// Admin units of one level.
    Units(AdminLevel),
    /// Roads.
    Roads,
}

impl NamedLayer {
    /// `district`, `township`, `community` or `road`.
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        match s {
            "road" => Ok(Self::Roads),
            _ => match AdminLevel::parse(s) {
                Ok(AdminLevel::City) | Err(_) => Err(ServiceError::invalid(
                    "level",
                    format!("`{s}`: expected district, township, community or road"),
                )),
                Ok(l) => Ok(Self::Units(l)),
            },
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Units(l) => l.as_str(),
            Self::Roads => "road",
        }
    }

    /// The finest scope level that still holds several of these names.
    fn finest_scope(self) -> AdminLevel {
        match self {
            Self::Units(AdminLevel::Community) | Self::Roads => AdminLevel::Township,
            Self::Units(AdminLevel::Township) => AdminLevel::District,
            Self::Units(_) => AdminLevel::City,
        }
    }
}

/// Where names must be unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Within one unit.
    Unit(AdminCode),
    /// Within each unit of a level.
    EachOf(AdminLevel),
}

impl Scope {
    /// A 12-digit code or a level name.
    pub fn parse(s: &str) -> Result<Self, ServiceError> {
        if s.chars().all(|c| c.is_ascii_digit()) {
            return AdminCode::parse(s)
                .map(Self::Unit)
                .map_err(|e| ServiceError::invalid("scope", e.to_string()));
        }
        AdminLevel::parse(s).map(Self::EachOf).map_err(|_| {
            ServiceError::invalid(
                "scope",
                format!(
                    "`{s}`: expected a 12-digit unit code or a level (city, district, township)"
                ),
            )
        })
    }
}

/// A check request.
#[derive(Debug, Clone)]
pub struct CheckRequest<'a> {
    /// The name.
    pub name: &'a str,
    /// Its kind.
    pub kind: NameKind,
    /// Compare with the names of its kind in use in this unit.
    pub scope: Option<AdminCode>,
    /// The building's size, if known.
    pub building: Option<BuildingSize>,
    /// An existing English or pinyin name to lint.
    pub english: Option<&'a str>,
}

/// Each unit's parent and level, and the units of each road.
struct Frame<'d> {
    parent: HashMap<&'d AdminCode, &'d AdminCode>,
    level: HashMap<&'d AdminCode, AdminLevel>,
}

impl<'d> Frame<'d> {
    fn of(d: &'d Dataset) -> Self {
        Self {
            parent: d
                .admin
                .iter()
                .filter_map(|u| u.parent.as_ref().map(|p| (&u.code, p)))
                .collect(),
            level: d.admin.iter().map(|u| (&u.code, u.level)).collect(),
        }
    }

    /// The unit at `level` holding `code` (itself when at that level).
    fn ancestor_at(&self, code: &AdminCode, level: AdminLevel) -> Option<&'d AdminCode> {
        let (mut at, mut l) = self.level.get_key_value(code).map(|(k, l)| (*k, *l))?;
        for _ in 0..8 {
            if l == level {
                return Some(at);
            }
            if l < level {
                return None;
            }
            at = self.parent.get(at)?;
            l = *self.level.get(at)?;
        }
        None
    }

    /// Every unit holding `code`, itself included.
    fn chain(&self, code: &'d AdminCode) -> Vec<&'d AdminCode> {
        let mut out = vec![code];
        let mut at = code;
        while let Some(p) = self.parent.get(at) {
            if out.len() > 8 {
                break;
            }
            out.push(p);
            at = p;
        }
        out
    }

    fn level_of(&self, code: &AdminCode) -> Result<AdminLevel, ServiceError> {
        self.level
            .get(code)
            .copied()
            .ok_or_else(|| ServiceError::NotFound(format!("no admin unit with code {code}")))
    }
}

/// Each road name's doorplate count per community.
fn road_communities(d: &Dataset) -> BTreeMap<&str, HashMap<&AdminCode, u64>> {
    let mut out: BTreeMap<&str, HashMap<&AdminCode, u64>> = BTreeMap::new();
    for p in &d.doorplates {
        if let Some(c) = &p.community {
            *out.entry(p.road.as_str())
                .or_default()
                .entry(c)
                .or_default() += 1;
        }
    }
    out
}

impl DataService {
    /// Checks one name; with a scope, also against the names of its kind in use there.
    pub fn check_name(&self, req: &CheckRequest<'_>) -> Result<NameCheckAnswer, ServiceError> {
        NameChecker::validate_name(req.name)?;
        let checker = checker()?;
        let live = self.read();
        let d = live.data.data();
        let peers: Vec<(String, String)> = match &req.scope {
            None => Vec::new(),
            Some(scope) => scope_peers(d, req.kind, scope)?,
        };
        let peer_refs: Vec<ScopePeer<'_>> = peers
            .iter()
            .map(|(code, name)| ScopePeer { code, name })
            .collect();
        let subject = NameSubject {
            name: req.name,
            kind: req.kind,
            building: req.building,
            english: req.english,
        };
        let findings = checker.check_in_scope(&subject, &peer_refs);
        let romanized = checker.romanizer().romanize(req.name).ok();
        Ok(NameCheckAnswer {
            name: req.name.to_owned(),
            kind: req.kind.as_str().to_owned(),
            findings: findings.into_iter().map(FindingBody::from).collect(),
            sign: romanized.as_ref().map(|r| r.sign_form.clone()),
            proper: romanized.as_ref().map(|r| r.proper.clone()),
            generic: romanized.as_ref().and_then(|r| r.generic.clone()),
            romanized: romanized.map(|r| r.map_form),
            scope: req.scope.as_ref().map(|s| s.as_str().to_owned()),
            compared: peer_refs.len(),
        })
    }

    /// The same and same-sounding names of a layer within a scope.
    pub fn name_duplicates(
        &self,
        layer: NamedLayer,
        scope: &Scope,
    ) -> Result<DuplicatesAnswer, ServiceError> {
        let checker = checker()?;
        let live = self.read();
        let d = live.data.data();
        let frame = Frame::of(d);
        let scope_level = match scope {
            Scope::Unit(code) => frame.level_of(code)?,
            Scope::EachOf(l) => *l,
        };
        if scope_level > layer.finest_scope() {
            return Err(ServiceError::out_of_range(
                "scope",
                format!(
                    "{} names are compared within a {} or a larger unit, not a {scope_level}",
                    layer.as_str(),
                    layer.finest_scope()
                ),
            ));
        }
        let within = |code: &AdminCode| -> bool {
            match scope {
                Scope::Unit(s) => s == code,
                Scope::EachOf(_) => true,
            }
        };
        let mut names: Vec<ScopedName> = Vec::new();
        match layer {
            NamedLayer::Units(level) => {
                for u in d.admin_at_level(level) {
                    if let Some(a) = frame
                        .ancestor_at(&u.code, scope_level)
                        .filter(|a| within(a))
                    {
                        names.push(ScopedName {
                            code: u.code.as_str().to_owned(),
                            name: u.name.clone(),
                            scope: a.as_str().to_owned(),
                        });
                    }
                }
            }
            NamedLayer::Roads => {
                for (road, communities) in road_communities(d) {
                    let scopes: BTreeSet<&AdminCode> = communities
                        .keys()
                        .filter_map(|c| frame.ancestor_at(c, scope_level))
                        .filter(|a| within(a))
                        .collect();
                    names.extend(scopes.into_iter().map(|a| ScopedName {
                        code: format!("road/{road}"),
                        name: road.to_owned(),
                        scope: a.as_str().to_owned(),
                    }));
                }
            }
        }
        let groups = duplicate_groups(&names, checker.romanizer());
        Ok(DuplicatesAnswer {
            level: layer.as_str().to_owned(),
            scope: match scope {
                Scope::Unit(c) => c.as_str().to_owned(),
                Scope::EachOf(l) => l.as_str().to_owned(),
            },
            names: names.len(),
            groups: groups.into_iter().map(DuplicateGroupBody::from).collect(),
        })
    }

    /// The clean-up list: every unit (duplicates within its parent), road (within its
    /// district) and facility (name rules only) with findings, and what a rename touches.
    pub fn name_cleanup(&self, kind: Option<NameKind>) -> Result<CleanupAnswer, ServiceError> {
        let checker = checker()?;
        let live = self.read();
        let d = live.data.data();
        let records: Vec<NameRecord> = cleanup_records(d)
            .into_iter()
            .filter(|r| kind.is_none_or(|k| k == r.kind))
            .collect();
        let list = check_batch(checker, &records);
        Ok(CleanupAnswer {
            checked: list.checked,
            by_rule: list.by_rule,
            entries: list
                .entries
                .into_iter()
                .map(|e| CleanupEntryBody {
                    key: e.key,
                    kind: e.kind.as_str().to_owned(),
                    name: e.name,
                    findings: e.findings.into_iter().map(FindingBody::from).collect(),
                    affects: e.affects,
                })
                .collect(),
        })
    }
}

/// The names of `kind` in use within `scope`, as (code, name).
fn scope_peers(
    d: &Dataset,
    kind: NameKind,
    scope: &AdminCode,
) -> Result<Vec<(String, String)>, ServiceError> {
    let frame = Frame::of(d);
    let scope_level = frame.level_of(scope)?;
    let inside = |code: &AdminCode| frame.ancestor_at(code, scope_level) == Some(scope);
    let unit_level = match kind {
        NameKind::District => Some(AdminLevel::District),
        NameKind::Township => Some(AdminLevel::Township),
        NameKind::Community => Some(AdminLevel::Community),
        _ => None,
    };
    if let Some(level) = unit_level {
        if level <= scope_level {
            return Err(ServiceError::out_of_range(
                "scope",
                format!("a {level} name is compared within a larger unit, not a {scope_level}"),
            ));
        }
        return Ok(d
            .admin_at_level(level)
            .filter(|u| inside(&u.code))
            .map(|u| (u.code.as_str().to_owned(), u.name.clone()))
            .collect());
    }
    Ok(match kind {
        NameKind::Road => road_communities(d)
            .into_iter()
            .filter(|(_, cs)| cs.keys().any(|c| inside(c)))
            .map(|(road, _)| (format!("road/{road}"), road.to_owned()))
            .collect(),
        NameKind::Facility | NameKind::Building | NameKind::Residential => d
            .facilities
            .iter()
            .filter(|f| f.admin_code.as_ref().is_some_and(inside))
            .map(|f| (f.id.clone(), f.name.clone()))
            .collect(),
        _ => Vec::new(),
    })
}

/// Every named record of the data, with its scope and what a rename touches.
fn cleanup_records(d: &Dataset) -> Vec<NameRecord> {
    let frame = Frame::of(d);
    let mut doorplates: HashMap<&AdminCode, u64> = HashMap::new();
    for p in &d.doorplates {
        if let Some(c) = &p.community {
            for a in frame.chain(c) {
                *doorplates.entry(a).or_default() += 1;
            }
        }
    }
    let mut facilities: HashMap<&AdminCode, u64> = HashMap::new();
    for f in &d.facilities {
        if let Some(c) = &f.admin_code {
            for a in frame.chain(c) {
                *facilities.entry(a).or_default() += 1;
            }
        }
    }
    let mut out = Vec::with_capacity(d.admin.len() + d.facilities.len());
    for u in &d.admin {
        let Some(mut r) = NameRecord::of_unit(u) else {
            continue;
        };
        let count = |m: &HashMap<&AdminCode, u64>| m.get(&u.code).copied().unwrap_or(0);
        r.affects = BTreeMap::from([
            ("doorplates".to_owned(), count(&doorplates)),
            ("facilities".to_owned(), count(&facilities)),
        ]);
        out.push(r);
    }
    let roads = road_communities(d);
    for name in &d.network.road_names {
        let communities = roads.get(name.as_str());
        // the district holding most of the road's doorplates
        let mut by_district: HashMap<&AdminCode, u64> = HashMap::new();
        for (c, n) in communities.into_iter().flatten() {
            if let Some(a) = frame.ancestor_at(c, AdminLevel::District) {
                *by_district.entry(a).or_default() += n;
            }
        }
        let district = by_district
            .iter()
            .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)));
        let mut r = NameRecord::of_road(name, district.map(|(c, _)| c.as_str().to_owned()));
        let plates = communities.map_or(0, |cs| cs.values().sum());
        r.affects = BTreeMap::from([("doorplates".to_owned(), plates)]);
        out.push(r);
    }
    out.extend(d.facilities.iter().map(NameRecord::of_facility));
    out
}
