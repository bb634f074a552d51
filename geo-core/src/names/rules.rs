//! The rule set as data: clauses, word lists with exceptions, the generic-term dictionary,
//! reading overrides, the dialect table. Parsed by the caller (serde), checked by
//! [`NameRules::validate`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::NamesError;

/// A whole rule set (see `data/names/rules.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRules {
    /// Version of the file's layout.
    #[serde(default)]
    pub version: u32,
    /// Clause id → its citation, e.g. `《地名管理条例》(2022) 第九条 …`.
    pub clauses: BTreeMap<String, String>,
    /// Word lists (grand, foreign): a name containing a word breaks the rule unless an
    /// exception phrase containing that word also occurs in it.
    #[serde(default)]
    pub word_rules: Vec<WordRule>,
    /// Transliteration heuristic (runs of characters typical of transliterated names).
    #[serde(default)]
    pub transliteration: Option<TransliterationRule>,
    /// Numbers, symbols and Latin letters.
    #[serde(default)]
    pub odd: Option<OddRule>,
    /// Two generic terms stacked at the end of a name.
    #[serde(default)]
    pub stacked: Option<StackedRule>,
    /// Size thresholds of generic terms, applied where building data exists.
    #[serde(default)]
    pub sizes: Vec<SizeRule>,
    /// Clause id of the same-name rule.
    pub duplicate_clause: String,
    /// Clause id of the same-sound rule.
    pub homophone_clause: String,
    /// Clause id of the romanisation lint.
    pub english_clause: String,
    /// The generic-term (通名) dictionary: romanisation and classes.
    pub generic_terms: Vec<GenericTerm>,
    /// Terms after which a numeral is an ordinal written in digits (`一巷` → `1 Xiang`).
    #[serde(default)]
    pub ordinal_before: Vec<String>,
    /// Reading overrides of polyphones: word → toneless syllables separated by spaces
    /// (`朝晖` → `zhao hui`).
    #[serde(default)]
    pub readings: BTreeMap<String, String>,
    /// Syllable spellings heard alike in local speech (homophones beyond Putonghua).
    #[serde(default)]
    pub dialect: Vec<DialectRule>,
    /// Committee suffixes of the division list, stripped to get the place name
    /// (`观山村委会` → `观山村`).
    #[serde(default)]
    pub committee_suffixes: Vec<CommitteeSuffix>,
}

/// A word-list rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordRule {
    /// Rule id reported in findings (`grand`, `foreign`).
    pub rule: String,
    /// Clause id.
    pub clause: String,
    /// What a hit means, shown before the word.
    pub detail: String,
    /// The words.
    pub words: Vec<String>,
    /// Phrases that make a contained word acceptable (`国际机场` for `国际`).
    #[serde(default)]
    pub exceptions: Vec<String>,
}

/// A run of `min_run` or more characters from `characters` reads as a transliteration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransliterationRule {
    /// Rule id reported.
    pub rule: String,
    /// Clause id.
    pub clause: String,
    /// The characters typical of transliterations (斯, 尼, 亚 …).
    pub characters: String,
    /// Shortest run that counts.
    pub min_run: usize,
    /// Names (or phrases) exempted.
    #[serde(default)]
    pub exceptions: Vec<String>,
}

/// Pure numbers, symbols and Latin letters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OddRule {
    /// Rule id reported.
    pub rule: String,
    /// Clause id.
    pub clause: String,
    /// Symbols that make a name odd (`·`, `-` …).
    pub symbols: String,
    /// Number-only proper names that are accepted (commemorative dates: `五一`, `八一`).
    #[serde(default)]
    pub number_exceptions: Vec<String>,
}

/// Stacked generic terms (`花园小区`, `大厦广场`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackedRule {
    /// Rule id reported.
    pub rule: String,
    /// Clause id.
    pub clause: String,
    /// Groups of generic classes: two terms whose classes fall in one group may not
    /// stack (`[["road"], ["building", "residential"]]`).
    pub groups: Vec<Vec<GenericClass>>,
    /// Names exempted.
    #[serde(default)]
    pub exceptions: Vec<String>,
}

/// A generic term's minimum building size: met by the height or the floor count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeRule {
    /// The generic term, e.g. `大厦`.
    pub generic: String,
    /// Minimum height, metres.
    pub min_height_m: f64,
    /// Minimum floors above ground.
    pub min_floors: u32,
    /// Clause id.
    pub clause: String,
}

/// What a generic term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenericClass {
    /// Administrative units (区, 街道, 社区, 村 …).
    Admin,
    /// Roads and streets.
    Road,
    /// Bridges (`石桥路` is a road named after a bridge, not a stacked name).
    Bridge,
    /// Buildings.
    Building,
    /// Residential estates.
    Residential,
    /// Facilities.
    Facility,
    /// Natural features.
    Natural,
}

/// A generic term (通名) and its romanised form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericTerm {
    /// Chinese, e.g. `街道`.
    pub zh: String,
    /// Romanised, capitalised, e.g. `Jiedao`.
    pub pinyin: String,
    /// What it names.
    pub class: GenericClass,
}

/// Where a dialect spelling applies within a syllable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DialectAt {
    /// The syllable's start (`zh` → `z`).
    Initial,
    /// The syllable's end (`ing` → `in`).
    Final,
}

/// One spelling merged in local speech.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectRule {
    /// Putonghua spelling.
    pub from: String,
    /// The spelling it merges with.
    pub to: String,
    /// Where it applies.
    pub at: DialectAt,
}

/// A committee suffix of the division list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitteeSuffix {
    /// The suffix, e.g. `村委会`.
    pub suffix: String,
    /// What stays of it unless the name already ends so (`村`).
    pub keep: String,
}

impl NameRules {
    /// Checks that every rule cites a defined clause, that no list holds an empty entry
    /// and that every reading override has one syllable per character.
    ///
    /// ```
    /// use civmap_geo_core::names::NameRules;
    /// let rules: NameRules = serde_json::from_str(r#"{"clauses": {},
    ///   "generic_terms": [], "duplicate_clause": "x", "homophone_clause": "x",
    ///   "english_clause": "x"}"#).unwrap();
    /// let err = rules.validate().unwrap_err();
    /// assert!(err.to_string().contains("clause `x`"));
    /// ```
    pub fn validate(&self) -> Result<(), NamesError> {
        let clause = |rule: String, id: &str| {
            if self.clauses.contains_key(id) {
                Ok(())
            } else {
                Err(NamesError::UnknownClause {
                    rule,
                    clause: id.to_owned(),
                })
            }
        };
        let non_empty = |field: String, items: &[String]| match items
            .iter()
            .position(|s| s.trim().is_empty())
        {
            Some(i) => Err(bad(format!("{field}[{i}]"), "empty entry")),
            None => Ok(()),
        };
        clause("duplicate_clause".into(), &self.duplicate_clause)?;
        clause("homophone_clause".into(), &self.homophone_clause)?;
        clause("english_clause".into(), &self.english_clause)?;
        for (i, w) in self.word_rules.iter().enumerate() {
            clause(format!("word_rules[{i}]"), &w.clause)?;
            non_empty(format!("word_rules[{i}].words"), &w.words)?;
            non_empty(format!("word_rules[{i}].exceptions"), &w.exceptions)?;
        }
        if let Some(t) = &self.transliteration {
            clause("transliteration".into(), &t.clause)?;
            if t.min_run < 2 {
                return Err(bad("transliteration.min_run".into(), "must be at least 2"));
            }
        }
        if let Some(o) = &self.odd {
            clause("odd".into(), &o.clause)?;
        }
        if let Some(s) = &self.stacked {
            clause("stacked".into(), &s.clause)?;
        }
        for (i, s) in self.sizes.iter().enumerate() {
            clause(format!("sizes[{i}]"), &s.clause)?;
            if !self.generic_terms.iter().any(|g| g.zh == s.generic) {
                return Err(bad(
                    format!("sizes[{i}].generic"),
                    format!("`{}` is not in generic_terms", s.generic),
                ));
            }
        }
        for (i, g) in self.generic_terms.iter().enumerate() {
            if g.zh.is_empty() || g.pinyin.is_empty() {
                return Err(bad(format!("generic_terms[{i}]"), "empty zh or pinyin"));
            }
        }
        non_empty("ordinal_before".into(), &self.ordinal_before)?;
        for (word, syllables) in &self.readings {
            let n = syllables.split_whitespace().count();
            if n != word.chars().count() {
                return Err(bad(
                    format!("readings.{word}"),
                    format!(
                        "`{syllables}` has {n} syllables for {} characters",
                        word.chars().count()
                    ),
                ));
            }
        }
        for (i, c) in self.committee_suffixes.iter().enumerate() {
            if c.suffix.is_empty() {
                return Err(bad(format!("committee_suffixes[{i}].suffix"), "empty"));
            }
        }
        Ok(())
    }

    /// The citation of a clause id (the id itself if undefined; [`Self::validate`]
    /// rules that out).
    pub fn citation(&self, id: &str) -> String {
        self.clauses
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

fn bad(field: String, message: impl Into<String>) -> NamesError {
    NamesError::BadRules {
        field,
        message: message.into(),
    }
}
