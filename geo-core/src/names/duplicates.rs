//! Same and same-sounding names within a scope (communities of one township, roads of one
//! district): exact place names, then toneless pinyin, then pinyin after the dialect table.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::reading::Reader;
use super::romanize::Romanizer;

/// A name with its record code and the scope it must be unique in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedName {
    /// The record's code or id.
    pub code: String,
    /// Its name (committee suffixes are dropped before comparing).
    pub name: String,
    /// The scope key, e.g. the township's code.
    pub scope: String,
}

/// Why names are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateRule {
    /// The same place name.
    Duplicate,
    /// Different characters, the same sound.
    Homophone,
}

/// Names that clash within one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    /// `duplicate` or `homophone`.
    pub rule: DuplicateRule,
    /// The place name; for homophones the distinct names joined by ` / `.
    pub name: String,
    /// The scope key.
    pub scope: String,
    /// Toneless pinyin of the (first) name, syllables joined by `-`.
    pub pinyin: String,
    /// Whether the names sound alike only under the dialect table.
    pub dialect: bool,
    /// The records' codes, sorted.
    pub codes: Vec<String>,
}

/// How `other` sounds like a name with keys `plain` and `dialect`: `same pinyin`, `alike
/// in local speech`, or `None`.
pub(crate) fn sound_match(
    reader: &Reader,
    plain: &str,
    dialect: &str,
    other: &str,
) -> Option<&'static str> {
    if reader.sound_key(other) == plain {
        Some("same pinyin")
    } else if reader.dialect_key(other) == dialect {
        Some("alike in local speech")
    } else {
        None
    }
}

/// The clashes among `names`: one `duplicate` group per place name used by two or more
/// records of one scope, one `homophone` group per sound shared by two or more distinct
/// place names of one scope. Sorted by scope, rule and name.
///
/// ```
/// use std::collections::BTreeMap;
/// use civmap_geo_core::names::{duplicate_groups, DuplicateRule, NameRules, Romanizer, ScopedName};
/// let rules: NameRules = serde_json::from_str(r#"{"clauses": {"c": "c"},
///   "generic_terms": [], "duplicate_clause": "c", "homophone_clause": "c",
///   "english_clause": "c"}"#).unwrap();
/// let r = Romanizer::new(&rules, &BTreeMap::new());
/// let n = |code: &str, name: &str| ScopedName { code: code.into(), name: name.into(), scope: "t1".into() };
/// let groups = duplicate_groups(&[n("1", "劳村"), n("2", "劳村"), n("3", "老村"), n("4", "新村")], &r);
/// assert_eq!(groups.len(), 2);
/// assert_eq!(groups[0].rule, DuplicateRule::Duplicate);
/// assert_eq!(groups[1].rule, DuplicateRule::Homophone);
/// assert_eq!(groups[1].codes, ["1", "2", "3"]);
/// ```
pub fn duplicate_groups(names: &[ScopedName], romanizer: &Romanizer) -> Vec<DuplicateGroup> {
    let reader = romanizer.reader();
    // scope → place name → codes
    let mut by_name: BTreeMap<&str, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for n in names {
        let place = romanizer.place_name(n.name.trim()).into_owned();
        by_name
            .entry(n.scope.as_str())
            .or_default()
            .entry(place)
            .or_default()
            .push(n.code.as_str());
    }
    let mut out = Vec::new();
    for (scope, places) in &by_name {
        let mut by_plain: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut by_dialect: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (place, codes) in places {
            if codes.len() > 1 {
                out.push(group(
                    DuplicateRule::Duplicate,
                    scope,
                    place,
                    reader,
                    false,
                    codes,
                ));
            }
            by_plain
                .entry(reader.sound_key(place))
                .or_default()
                .push(place.as_str());
            by_dialect
                .entry(reader.dialect_key(place))
                .or_default()
                .push(place.as_str());
        }
        let mut grouped: BTreeSet<Vec<&str>> = BTreeSet::new();
        for (members, dialect) in by_plain
            .into_values()
            .map(|m| (m, false))
            .chain(by_dialect.into_values().map(|m| (m, true)))
        {
            if members.len() < 2 || !grouped.insert(members.clone()) {
                continue;
            }
            let codes: Vec<&str> = members.iter().flat_map(|p| places[*p].clone()).collect();
            let name = members.join(" / ");
            let mut g = group(
                DuplicateRule::Homophone,
                scope,
                &name,
                reader,
                dialect,
                &codes,
            );
            g.pinyin = reader.sound_key(members[0]);
            out.push(g);
        }
    }
    out.sort_by(|a, b| (&a.scope, a.rule, &a.name).cmp(&(&b.scope, b.rule, &b.name)));
    out
}

fn group(
    rule: DuplicateRule,
    scope: &str,
    name: &str,
    reader: &Reader,
    dialect: bool,
    codes: &[&str],
) -> DuplicateGroup {
    let mut codes: Vec<String> = codes.iter().map(|c| (*c).to_owned()).collect();
    codes.sort();
    DuplicateGroup {
        rule,
        name: name.to_owned(),
        scope: scope.to_owned(),
        pinyin: reader.sound_key(name),
        dialect,
        codes,
    }
}
