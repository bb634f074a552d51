//! The GB/T 16159 romaniser: a place name is split into its proper name (专名) and its
//! generic term (通名, from the dictionary); the proper name's syllables are written
//! together with apostrophes before `a`, `o`, `e` (`Xi'an`), the generic term apart, each
//! part capitalised (`Wensan Lu`, `Xihu Qu`, `Changqing Jiedao`). Ordinals of lanes and
//! numbering are digits (`大川淀一巷` → `Dachuandian 1 Xiang`, `第九弄` → `Di-9 Nong`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::gazetteer::chinese_numeral_value;

use super::error::NamesError;
use super::reading::{place_name, Reader};
use super::rules::{CommitteeSuffix, GenericClass, GenericTerm, NameRules};

/// A name in its romanised forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Romanized {
    /// The proper name (专名) in Chinese, e.g. `文三`.
    pub proper: String,
    /// The generic term (通名) in Chinese, e.g. `路`; `None` when the name has none.
    pub generic: Option<String>,
    /// Map form: `Wensan Lu`.
    pub map_form: String,
    /// Sign form, capitals: `WENSAN LU`.
    pub sign_form: String,
}

/// Romanises names with a rule set's generic-term dictionary and reading overrides.
#[derive(Debug, Clone)]
pub struct Romanizer {
    reader: Reader,
    /// Longest first, so that `街道` wins over `道` and `北路` over `路`.
    generics: Vec<GenericTerm>,
    ordinal_before: Vec<String>,
    committee_suffixes: Vec<CommitteeSuffix>,
}

impl Romanizer {
    /// A romaniser over `rules`, with `extra_readings` (e.g. the registry's polyphones)
    /// overriding the rule set's.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use civmap_geo_core::names::{NameRules, Romanizer};
    /// let rules: NameRules = serde_json::from_str(r#"{"clauses": {"c": "c"},
    ///   "generic_terms": [{"zh": "街道", "pinyin": "Jiedao", "class": "admin"}],
    ///   "duplicate_clause": "c", "homophone_clause": "c", "english_clause": "c"}"#).unwrap();
    /// let extra = BTreeMap::from([("长庆".to_owned(), "chang qing".to_owned())]);
    /// let r = Romanizer::new(&rules, &extra);
    /// let out = r.romanize("长庆街道").unwrap();
    /// assert_eq!(out.map_form, "Changqing Jiedao");
    /// assert_eq!(out.sign_form, "CHANGQING JIEDAO");
    /// ```
    pub fn new(rules: &NameRules, extra_readings: &BTreeMap<String, String>) -> Self {
        let mut generics = rules.generic_terms.clone();
        generics.sort_by_key(|g| std::cmp::Reverse(g.zh.chars().count()));
        Self {
            reader: Reader::from_rules(rules, extra_readings),
            generics,
            ordinal_before: rules.ordinal_before.clone(),
            committee_suffixes: rules.committee_suffixes.clone(),
        }
    }

    /// The reader (syllables and sound keys) this romaniser uses.
    pub fn reader(&self) -> &Reader {
        &self.reader
    }

    /// The place name of a committee's name (see [`place_name`]).
    pub fn place_name<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        place_name(name, &self.committee_suffixes)
    }

    /// Splits a place name into proper name and generic term: the longest dictionary term
    /// ending the name that leaves a non-empty proper name.
    pub fn split<'a>(&self, name: &'a str) -> (&'a str, Option<&GenericTerm>) {
        for g in &self.generics {
            if let Some(proper) = name.strip_suffix(g.zh.as_str()) {
                if !proper.is_empty() {
                    return (proper, Some(g));
                }
            }
        }
        (name, None)
    }

    /// The class of a name's generic term, if it has one.
    pub fn generic_class(&self, name: &str) -> Option<GenericClass> {
        self.split(name).1.map(|g| g.class)
    }

    /// Romanises a name (committee suffixes are dropped first).
    ///
    /// # Errors
    /// [`NamesError::NotRomanizable`] for characters that are neither ideographs nor
    /// digits (Latin letters, symbols), [`NamesError::EmptyName`] for an empty name.
    pub fn romanize(&self, name: &str) -> Result<Romanized, NamesError> {
        let place = self.place_name(name.trim());
        if place.is_empty() {
            return Err(NamesError::EmptyName);
        }
        let (proper, generic) = self.split(&place);
        let ordinal_end = generic.is_some_and(|g| self.ordinal_before.contains(&g.zh));
        let syllables = self.reader.syllables(proper);
        let chars: Vec<char> = proper.chars().collect();
        let mut words: Vec<String> = Vec::new();
        let mut current: Vec<&str> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let numeral_run = |from: usize| {
                let mut j = from;
                while j < chars.len() && chinese_numeral_value(&chars[j].to_string()).is_some() {
                    j += 1;
                }
                j
            };
            if chars[i] == '第' && numeral_run(i + 1) > i + 1 {
                let end = numeral_run(i + 1);
                flush(&mut current, &mut words);
                words.push(format!("Di-{}", numeral(&chars[i + 1..end])));
                i = end;
            } else if chars[i].is_ascii_digit() {
                let end = (i..chars.len())
                    .find(|&j| !chars[j].is_ascii_digit())
                    .unwrap_or(chars.len());
                flush(&mut current, &mut words);
                words.push(chars[i..end].iter().collect());
                i = end;
            } else if ordinal_end && numeral_run(i) == chars.len() {
                flush(&mut current, &mut words);
                words.push(numeral(&chars[i..]).to_string());
                i = chars.len();
            } else {
                match &syllables[i] {
                    Some(s) => current.push(s),
                    None => {
                        return Err(NamesError::NotRomanizable {
                            name: name.to_owned(),
                            ch: chars[i],
                            position: i,
                        })
                    }
                }
                i += 1;
            }
        }
        flush(&mut current, &mut words);
        if let Some(g) = generic {
            words.push(g.pinyin.clone());
        }
        let map_form = words.join(" ");
        Ok(Romanized {
            proper: proper.to_owned(),
            generic: generic.map(|g| g.zh.clone()),
            sign_form: map_form.to_uppercase(),
            map_form,
        })
    }
}

/// The value of a run of Chinese numerals (the caller has checked each character).
fn numeral(chars: &[char]) -> u32 {
    chinese_numeral_value(&chars.iter().collect::<String>()).unwrap_or(0)
}

/// Writes the syllables gathered so far as one capitalised word, with apostrophes before
/// non-initial syllables starting with `a`, `o` or `e`.
fn flush(current: &mut Vec<&str>, words: &mut Vec<String>) {
    if current.is_empty() {
        return;
    }
    let mut word = String::new();
    for (k, syl) in current.iter().enumerate() {
        if k == 0 {
            let mut cs = syl.chars();
            if let Some(f) = cs.next() {
                word.extend(f.to_uppercase());
                word.push_str(cs.as_str());
            }
        } else {
            if syl.starts_with(['a', 'o', 'e']) {
                word.push('\'');
            }
            word.push_str(syl);
        }
    }
    words.push(word);
    current.clear();
}
