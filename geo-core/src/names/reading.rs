//! How a name is read: toneless syllables with polyphone overrides, sound keys for the
//! same-sound rule (Putonghua and the dialect table), and the place name inside a
//! committee's name.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use pinyin::ToPinyin;

use super::rules::{CommitteeSuffix, DialectAt, DialectRule, NameRules};

/// Reads names: each ideograph's most common toneless reading, except where a reading
/// override (the registry's polyphones: `朝晖` → `zhao hui`) covers it.
///
/// ```
/// use std::collections::BTreeMap;
/// use civmap_geo_core::names::Reader;
/// let overrides = BTreeMap::from([("朝晖".to_owned(), "zhao hui".to_owned())]);
/// let reader = Reader::new(&overrides, &[]);
/// assert_eq!(reader.syllables("朝晖路"), vec![Some("zhao".into()), Some("hui".into()), Some("lu".into())]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Reader {
    overrides: HashMap<String, Vec<String>>,
    longest_override: usize,
    dialect: Vec<DialectRule>,
}

impl Reader {
    /// A reader with these overrides (word → syllables separated by spaces) and dialect
    /// spellings.
    pub fn new(overrides: &BTreeMap<String, String>, dialect: &[DialectRule]) -> Self {
        let overrides: HashMap<String, Vec<String>> = overrides
            .iter()
            .map(|(w, s)| {
                (
                    w.clone(),
                    s.split_whitespace().map(str::to_lowercase).collect(),
                )
            })
            .collect();
        let longest_override = overrides
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        Self {
            overrides,
            longest_override,
            dialect: dialect.to_vec(),
        }
    }

    /// The rule set's overrides and dialect, with `extra` overrides (e.g. from the
    /// registry) taking precedence.
    pub fn from_rules(rules: &NameRules, extra: &BTreeMap<String, String>) -> Self {
        let mut all = rules.readings.clone();
        all.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        Self::new(&all, &rules.dialect)
    }

    /// One entry per character: its toneless reading, `None` for a character with none
    /// (digits, letters, symbols).
    pub fn syllables(&self, name: &str) -> Vec<Option<String>> {
        let chars: Vec<char> = name.chars().collect();
        let mut out: Vec<Option<String>> = Vec::with_capacity(chars.len());
        let mut i = 0;
        let mut word = String::new();
        'chars: while i < chars.len() {
            let longest = self.longest_override.min(chars.len() - i);
            for len in (1..=longest).rev() {
                word.clear();
                word.extend(&chars[i..i + len]);
                if let Some(syl) = self.overrides.get(&word) {
                    if syl.len() == len {
                        out.extend(syl.iter().map(|s| Some(s.clone())));
                        i += len;
                        continue 'chars;
                    }
                }
            }
            out.push(chars[i].to_pinyin().map(|p| p.plain().to_owned()));
            i += 1;
        }
        out
    }

    /// The Putonghua sound key of a name (`劳村` → `lao-cun`): toneless syllables joined
    /// by `-`, other characters kept.
    pub fn sound_key(&self, name: &str) -> String {
        self.key(name, false)
    }

    /// The sound key after the dialect table (`zh` → `z`, `ing` → `in` …).
    pub fn dialect_key(&self, name: &str) -> String {
        self.key(name, true)
    }

    fn key(&self, name: &str, dialect: bool) -> String {
        let mut out = String::with_capacity(name.len() * 2);
        for (i, (c, syl)) in name.chars().zip(self.syllables(name)).enumerate() {
            if i > 0 {
                out.push('-');
            }
            match syl {
                Some(s) if dialect => out.push_str(&self.fold(&s)),
                Some(s) => out.push_str(&s),
                None => out.push(c),
            }
        }
        out
    }

    fn fold(&self, syllable: &str) -> String {
        let mut s = syllable.to_owned();
        for r in &self.dialect {
            match r.at {
                DialectAt::Initial => {
                    if let Some(rest) = s.strip_prefix(r.from.as_str()) {
                        s = format!("{}{rest}", r.to);
                    }
                }
                DialectAt::Final => {
                    if let Some(rest) = s.strip_suffix(r.from.as_str()) {
                        s = format!("{rest}{}", r.to);
                    }
                }
            }
        }
        s
    }
}

/// The place name inside a committee's name: `观山村委会` → `观山村`, `外源村村委会` →
/// `外源村`, `劳村居委会` → `劳村`; other names unchanged.
///
/// ```
/// use civmap_geo_core::names::{place_name, CommitteeSuffix};
/// let s = [CommitteeSuffix { suffix: "村委会".into(), keep: "村".into() }];
/// assert_eq!(place_name("观山村委会", &s), "观山村");
/// assert_eq!(place_name("外源村村委会", &s), "外源村");
/// assert_eq!(place_name("文三路", &s), "文三路");
/// ```
pub fn place_name<'a>(name: &'a str, suffixes: &[CommitteeSuffix]) -> Cow<'a, str> {
    for s in suffixes {
        if let Some(rest) = name.strip_suffix(s.suffix.as_str()) {
            if rest.is_empty() {
                continue;
            }
            return if rest.ends_with(s.keep.as_str()) {
                Cow::Borrowed(rest)
            } else {
                Cow::Owned(format!("{rest}{}", s.keep))
            };
        }
    }
    Cow::Borrowed(name)
}
