//! The clean-up list: every name of the city checked, with duplicates and homophones
//! within each record's scope, and how many records each hit affects.

use std::collections::BTreeMap;

use serde::Serialize;

use super::check::{NameChecker, NameSubject};
use super::duplicates::{duplicate_groups, DuplicateRule, ScopedName};
use super::{Finding, NameKind};

/// One named record of the city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRecord {
    /// Its code or id (a unit's code, a facility's id, a road's name with its district).
    pub key: String,
    /// What it names.
    pub kind: NameKind,
    /// The name.
    pub name: String,
    /// The scope its name must be unique in (e.g. the parent township's code); `None`:
    /// not checked for duplicates.
    pub scope: Option<String>,
    /// Records that carry this name, by layer (`doorplates`: 120 …): what a rename touches.
    pub affects: BTreeMap<String, u64>,
}

impl NameRecord {
    /// An admin unit's name, unique within its parent; `None` for the city (no peers).
    pub fn of_unit(u: &crate::AdminUnit) -> Option<Self> {
        Some(Self {
            key: u.code.as_str().to_owned(),
            kind: NameKind::of_level(u.level)?,
            name: u.name.clone(),
            scope: u.parent.as_ref().map(|p| p.as_str().to_owned()),
            affects: BTreeMap::new(),
        })
    }

    /// A road's name (key `road/<name>`), unique within `scope` if given.
    pub fn of_road(name: &str, scope: Option<String>) -> Self {
        Self {
            key: format!("road/{name}"),
            kind: NameKind::Road,
            name: name.to_owned(),
            scope,
            affects: BTreeMap::new(),
        }
    }

    /// A facility's name (the name rules only: facilities are not compared).
    pub fn of_facility(f: &crate::Facility) -> Self {
        Self {
            key: f.id.clone(),
            kind: NameKind::Facility,
            name: f.name.clone(),
            scope: None,
            affects: BTreeMap::new(),
        }
    }
}

/// A record with findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupEntry {
    /// The record's key.
    pub key: String,
    /// What it names.
    pub kind: NameKind,
    /// The name.
    pub name: String,
    /// The rules it breaks.
    pub findings: Vec<Finding>,
    /// Records that carry the name, by layer.
    pub affects: BTreeMap<String, u64>,
}

/// The clean-up list of a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupList {
    /// Names checked.
    pub checked: usize,
    /// Records with at least one finding, in input order.
    pub entries: Vec<CleanupEntry>,
    /// Findings per rule.
    pub by_rule: BTreeMap<String, usize>,
}

/// Checks every record: the name-only rules, then duplicates and homophones among the
/// records of the same kind and scope.
///
/// ```
/// # use std::collections::BTreeMap;
/// # use civmap_geo_core::names::{check_batch, NameChecker, NameKind, NameRecord, NameRules};
/// # let rules: NameRules = serde_json::from_str(r#"{"clauses": {"c": "c"},
/// #   "generic_terms": [{"zh": "路", "pinyin": "Lu", "class": "road"}],
/// #   "duplicate_clause": "c", "homophone_clause": "c", "english_clause": "c"}"#).unwrap();
/// let checker = NameChecker::new(&rules).unwrap();
/// let road = |key: &str, name: &str| NameRecord { key: key.into(), kind: NameKind::Road,
///     name: name.into(), scope: Some("330106".into()), affects: BTreeMap::new() };
/// let list = check_batch(&checker, &[road("a", "文三路"), road("b", "文三路"), road("c", "学院路")]);
/// assert_eq!(list.checked, 3);
/// assert_eq!(list.entries.len(), 2);
/// assert_eq!(list.by_rule["duplicate"], 2);
/// ```
pub fn check_batch(checker: &NameChecker, records: &[NameRecord]) -> CleanupList {
    let mut findings: Vec<Vec<Finding>> = records
        .iter()
        .map(|r| checker.check(&NameSubject::new(&r.name, r.kind)))
        .collect();
    let scoped: Vec<ScopedName> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.scope.as_ref().map(|s| ScopedName {
                code: i.to_string(),
                name: r.name.clone(),
                scope: format!("{}:{s}", r.kind.as_str()),
            })
        })
        .collect();
    let rules = checker.rules();
    for g in duplicate_groups(&scoped, checker.romanizer()) {
        let members: Vec<usize> = g.codes.iter().filter_map(|c| c.parse().ok()).collect();
        for &m in &members {
            let others: Vec<&str> = members
                .iter()
                .filter(|&&o| o != m)
                .map(|&o| records[o].key.as_str())
                .collect();
            let (rule, clause, what) = match g.rule {
                DuplicateRule::Duplicate => ("duplicate", &rules.duplicate_clause, "same name as"),
                DuplicateRule::Homophone if g.dialect => (
                    "homophone",
                    &rules.homophone_clause,
                    "alike in local speech with",
                ),
                DuplicateRule::Homophone => {
                    ("homophone", &rules.homophone_clause, "same pinyin as")
                }
            };
            findings[m].push(Finding {
                rule: rule.into(),
                detail: format!("'{}' ({}): {what} {}", g.name, g.pinyin, others.join(", ")),
                clause: rules.citation(clause),
            });
        }
    }
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut entries = Vec::new();
    for (r, f) in records.iter().zip(findings) {
        if f.is_empty() {
            continue;
        }
        for x in &f {
            *by_rule.entry(x.rule.clone()).or_default() += 1;
        }
        entries.push(CleanupEntry {
            key: r.key.clone(),
            kind: r.kind,
            name: r.name.clone(),
            findings: f,
            affects: r.affects.clone(),
        });
    }
    CleanupList {
        checked: records.len(),
        entries,
        by_rule,
    }
}
