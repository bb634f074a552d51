//! Checking one name: the word lists (grand, foreign), the transliteration heuristic, odd
//! names (numbers, symbols, Latin letters), stacked generic terms, generic-term size
//! thresholds, the romanisation of an existing English name, and — given the names
//! already in its scope — duplicates and homophones.

use std::collections::{BTreeMap, HashSet};

use super::duplicates::sound_match;
use super::error::NamesError;
use super::romanize::Romanizer;
use super::rules::NameRules;
use super::{Finding, NameKind};

/// Longest name checked, characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What is known of a building's size (for the generic-term thresholds).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BuildingSize {
    /// Height, metres.
    pub height_m: Option<f64>,
    /// Floors above ground.
    pub floors: Option<u32>,
}

/// A name to check.
#[derive(Debug, Clone, PartialEq)]
pub struct NameSubject<'a> {
    /// The name, e.g. `文三路` or a committee's name such as `观山村委会`.
    pub name: &'a str,
    /// What it names.
    pub kind: NameKind,
    /// The building's size, where building data exists.
    pub building: Option<BuildingSize>,
    /// An existing English or pinyin name to lint against the rule-book form.
    pub english: Option<&'a str>,
}

impl<'a> NameSubject<'a> {
    /// A name of a kind, with no building data and no English name.
    pub fn new(name: &'a str, kind: NameKind) -> Self {
        Self {
            name,
            kind,
            building: None,
            english: None,
        }
    }
}

/// A name already in use in the scope of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopePeer<'a> {
    /// The record's code or id.
    pub code: &'a str,
    /// Its name.
    pub name: &'a str,
}

/// Checks names against a rule set.
#[derive(Debug, Clone)]
pub struct NameChecker {
    rules: NameRules,
    romanizer: Romanizer,
    transliteration_chars: HashSet<char>,
    symbols: HashSet<char>,
}

impl NameChecker {
    /// A checker over a validated copy of `rules` (see [`NameRules::validate`]).
    pub fn new(rules: &NameRules) -> Result<Self, NamesError> {
        Self::with_readings(rules, &BTreeMap::new())
    }

    /// [`Self::new`] with extra reading overrides (the registry's polyphones).
    pub fn with_readings(
        rules: &NameRules,
        extra_readings: &BTreeMap<String, String>,
    ) -> Result<Self, NamesError> {
        rules.validate()?;
        Ok(Self {
            romanizer: Romanizer::new(rules, extra_readings),
            transliteration_chars: rules
                .transliteration
                .as_ref()
                .map(|t| t.characters.chars().collect())
                .unwrap_or_default(),
            symbols: rules
                .odd
                .as_ref()
                .map(|o| o.symbols.chars().collect())
                .unwrap_or_default(),
            rules: rules.clone(),
        })
    }

    /// The romaniser of this rule set.
    pub fn romanizer(&self) -> &Romanizer {
        &self.romanizer
    }

    /// The rule set.
    pub fn rules(&self) -> &NameRules {
        &self.rules
    }

    /// Refuses empty, over-long and control-character names.
    pub fn validate_name(name: &str) -> Result<(), NamesError> {
        if name.trim().is_empty() {
            return Err(NamesError::EmptyName);
        }
        let chars = name.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(NamesError::NameTooLong {
                chars,
                max: MAX_NAME_CHARS,
            });
        }
        if let Some((position, c)) = name.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(NamesError::ControlCharacter {
                position,
                code: c as u32,
            });
        }
        Ok(())
    }

    /// The rules that need only the name (no scope): grand, foreign, odd, stacked, size,
    /// english.
    ///
    /// ```
    /// # use civmap_geo_core::names::{NameChecker, NameKind, NameRules, NameSubject};
    /// # let rules: NameRules = serde_json::from_str(r#"{"clauses": {"c": "c"},
    /// #   "odd": {"rule": "odd", "clause": "c", "symbols": "·"},
    /// #   "generic_terms": [], "duplicate_clause": "c", "homophone_clause": "c",
    /// #   "english_clause": "c"}"#).unwrap();
    /// let checker = NameChecker::new(&rules).unwrap();
    /// let found = checker.check(&NameSubject::new("星·城", NameKind::Residential));
    /// assert_eq!(found[0].rule, "odd");
    /// assert!(checker.check(&NameSubject::new("星城", NameKind::Residential)).is_empty());
    /// ```
    pub fn check(&self, subject: &NameSubject<'_>) -> Vec<Finding> {
        let place = self.romanizer.place_name(subject.name.trim());
        let mut out = Vec::new();
        self.word_rules(&place, &mut out);
        self.transliteration(&place, &mut out);
        self.odd(&place, &mut out);
        self.stacked(&place, &mut out);
        self.size(&place, subject.building, &mut out);
        if let Some(en) = subject.english {
            self.english(&place, en, &mut out);
        }
        out
    }

    /// [`Self::check`] plus duplicates and homophones among `peers` (the names in use in
    /// the subject's scope, e.g. the communities of its township).
    pub fn check_in_scope(
        &self,
        subject: &NameSubject<'_>,
        peers: &[ScopePeer<'_>],
    ) -> Vec<Finding> {
        let mut out = self.check(subject);
        let place = self.romanizer.place_name(subject.name.trim());
        let reader = self.romanizer.reader();
        let (plain, dialect) = (reader.sound_key(&place), reader.dialect_key(&place));
        let mut same: Vec<&str> = Vec::new();
        let mut alike: Vec<String> = Vec::new();
        for p in peers {
            let other = self.romanizer.place_name(p.name.trim());
            if other == place {
                same.push(p.code);
            } else if let Some(how) = sound_match(reader, &plain, &dialect, &other) {
                alike.push(format!("{other} ({}, {how})", p.code));
            }
        }
        if !same.is_empty() {
            out.push(Finding {
                rule: "duplicate".into(),
                detail: format!("'{place}' is already the name of {}", same.join(", ")),
                clause: self.rules.citation(&self.rules.duplicate_clause),
            });
        }
        if !alike.is_empty() {
            out.push(Finding {
                rule: "homophone".into(),
                detail: format!("'{place}' ({plain}) sounds like {}", alike.join("; ")),
                clause: self.rules.citation(&self.rules.homophone_clause),
            });
        }
        out
    }

    fn word_rules(&self, place: &str, out: &mut Vec<Finding>) {
        for r in &self.rules.word_rules {
            for w in &r.words {
                let excepted = r
                    .exceptions
                    .iter()
                    .any(|e| e.contains(w.as_str()) && place.contains(e.as_str()));
                if place.contains(w.as_str()) && !excepted {
                    out.push(Finding {
                        rule: r.rule.clone(),
                        detail: format!("{} '{w}'", r.detail),
                        clause: self.rules.citation(&r.clause),
                    });
                }
            }
        }
    }

    fn transliteration(&self, place: &str, out: &mut Vec<Finding>) {
        let Some(t) = &self.rules.transliteration else {
            return;
        };
        if t.exceptions.iter().any(|e| place.contains(e.as_str())) {
            return;
        }
        let chars: Vec<char> = place.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let start = i;
            while i < chars.len() && self.transliteration_chars.contains(&chars[i]) {
                i += 1;
            }
            if i - start >= t.min_run {
                let run: String = chars[start..i].iter().collect();
                let listed = out
                    .iter()
                    .any(|f| f.rule == t.rule && f.detail.contains(&run));
                if !listed {
                    out.push(Finding {
                        rule: t.rule.clone(),
                        detail: format!("'{run}' reads as a transliterated foreign name"),
                        clause: self.rules.citation(&t.clause),
                    });
                }
            }
            i = i.max(start + 1);
        }
    }

    fn odd(&self, place: &str, out: &mut Vec<Finding>) {
        let Some(o) = &self.rules.odd else {
            return;
        };
        let mut push = |detail: String| {
            out.push(Finding {
                rule: o.rule.clone(),
                detail,
                clause: self.rules.citation(&o.clause),
            })
        };
        let chars: Vec<char> = place.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_alphabetic() {
                let end = (i..chars.len())
                    .find(|&j| !chars[j].is_ascii_alphabetic())
                    .unwrap_or(chars.len());
                let run: String = chars[i..end].iter().collect();
                push(format!(
                    "Latin letters '{run}' (meaningless letters in a Chinese name)"
                ));
                i = end;
                continue;
            }
            if self.symbols.contains(&c) {
                push(format!("symbol '{c}' at character {i}"));
            } else if !(c.is_ascii_digit() || pinyin::ToPinyin::to_pinyin(&c).is_some()) {
                push(format!(
                    "character '{c}' (U+{:04X}) at {i} is not Chinese",
                    c as u32
                ));
            }
            i += 1;
        }
        let (proper, _) = self.romanizer.split(place);
        let proper = proper.strip_suffix('号').unwrap_or(proper);
        let only_number = !proper.is_empty()
            && proper.chars().all(|c| {
                c.is_ascii_digit()
                    || crate::gazetteer::chinese_numeral_value(&c.to_string()).is_some()
            });
        if only_number && !o.number_exceptions.iter().any(|e| e == proper) {
            push(format!("the proper name '{proper}' is only a number"));
        }
    }

    fn stacked(&self, place: &str, out: &mut Vec<Finding>) {
        let Some(s) = &self.rules.stacked else {
            return;
        };
        if s.exceptions.iter().any(|e| e == place) {
            return;
        }
        let (proper, Some(outer)) = self.romanizer.split(place) else {
            return;
        };
        let (_, Some(inner)) = self.romanizer.split(proper) else {
            return;
        };
        let same_group = s
            .groups
            .iter()
            .any(|g| g.contains(&outer.class) && g.contains(&inner.class));
        if same_group {
            out.push(Finding {
                rule: s.rule.clone(),
                detail: format!("generic terms '{}' and '{}' stacked", inner.zh, outer.zh),
                clause: self.rules.citation(&s.clause),
            });
        }
    }

    fn size(&self, place: &str, building: Option<BuildingSize>, out: &mut Vec<Finding>) {
        let Some(b) = building else {
            return;
        };
        let Some(generic) = self.romanizer.split(place).1 else {
            return;
        };
        for r in self.rules.sizes.iter().filter(|r| r.generic == generic.zh) {
            let tall = b.height_m.is_some_and(|h| h >= r.min_height_m);
            let many = b.floors.is_some_and(|f| f >= r.min_floors);
            let known = b.height_m.is_some() || b.floors.is_some();
            if known && !tall && !many {
                let height = b
                    .height_m
                    .map_or("unknown height".into(), |h| format!("{h} m"));
                let floors = b
                    .floors
                    .map_or("unknown floors".into(), |f| format!("{f} floors"));
                out.push(Finding {
                    rule: "size".into(),
                    detail: format!(
                        "a {} needs at least {} m or {} floors; this building: {height}, {floors}",
                        r.generic, r.min_height_m, r.min_floors
                    ),
                    clause: self.rules.citation(&r.clause),
                });
            }
        }
    }

    fn english(&self, place: &str, english: &str, out: &mut Vec<Finding>) {
        let Ok(r) = self.romanizer.romanize(place) else {
            return;
        };
        if english.trim() == r.map_form || english.trim() == r.sign_form {
            return;
        }
        let fold = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let detail = if fold(english) == fold(&r.map_form) {
            format!(
                "'{english}' differs from the rule-book form '{}' in spacing, apostrophes or capitals",
                r.map_form
            )
        } else {
            format!("'{english}' is not the rule-book form '{}'", r.map_form)
        };
        out.push(Finding {
            rule: "english".into(),
            detail,
            clause: self.rules.citation(&self.rules.english_clause),
        });
    }
}
