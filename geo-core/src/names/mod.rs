//! Place-name checks and romanisation (issue 16): the 不规范地名 rules (grand, foreign, odd,
//! stacked generic terms, generic-term size thresholds, duplicates and homophones within a
//! scope), the GB/T 16159 romaniser with a generic-term dictionary and reading overrides,
//! and the whole-city clean-up batch.
//!
//! The rules are data ([`NameRules`]): word lists with their exceptions, each rule with the
//! clause it comes from. This crate does no IO: the caller parses the rules file (the
//! server ships `data/names/rules.json`) and hands the value to [`NameChecker::new`].
//!
//! ```
//! use civmap_geo_core::names::{NameChecker, NameKind, NameRules, NameSubject};
//! let rules: NameRules = serde_json::from_str(r#"{
//!   "clauses": {"c": "some clause"},
//!   "word_rules": [{"rule": "grand", "clause": "c", "detail": "grand word",
//!                   "words": ["环球"], "exceptions": []}],
//!   "generic_terms": [{"zh": "路", "pinyin": "Lu", "class": "road"}],
//!   "duplicate_clause": "c", "homophone_clause": "c", "english_clause": "c"
//! }"#).unwrap();
//! let checker = NameChecker::new(&rules).unwrap();
//! let found = checker.check(&NameSubject::new("环球路", NameKind::Road));
//! assert_eq!(found[0].rule, "grand");
//! assert_eq!(checker.romanizer().romanize("文三路").unwrap().map_form, "Wensan Lu");
//! ```

mod batch;
mod check;
mod duplicates;
mod error;
mod reading;
mod registry;
mod romanize;
mod rules;
mod workflow;

pub use batch::{check_batch, CleanupEntry, CleanupList, NameRecord};
pub use check::{BuildingSize, NameChecker, NameSubject, ScopePeer, MAX_NAME_CHARS};
pub use duplicates::{duplicate_groups, DuplicateGroup, DuplicateRule, ScopedName};
pub use error::NamesError;
pub use reading::{place_name, Reader};
pub use registry::{
    date_of_day_number, day_number, heritage_candidates, HeritageCandidate, LangTag, NameRegistry,
    NameType, PlaceClass, PlaceKey, PlaceName, Renamed,
};
pub use romanize::{Romanized, Romanizer};
pub use rules::{
    CommitteeSuffix, DialectAt, DialectRule, GenericClass, GenericTerm, NameRules, OddRule,
    SizeRule, StackedRule, TransliterationRule, WordRule,
};
pub use workflow::{
    Application, ApplicationStatus, Review, Verdict, WorkflowError, MIN_NOTICE_DAYS,
};

use serde::Serialize;

/// What a name names: decides which generic terms and rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    /// A road, street, lane or bridge.
    Road,
    /// A community or village (居委会 / 村委会 level).
    Community,
    /// A township, town or subdistrict (街道).
    Township,
    /// A district, county or county-level city.
    District,
    /// A building (大厦, 大楼, 广场 …).
    Building,
    /// A residential estate (小区, 花园, 新村 …).
    Residential,
    /// A public facility.
    Facility,
    /// A natural feature (山, 湖, 江, 河 …).
    Natural,
}

impl NameKind {
    /// Every kind, in the order of the API documentation.
    pub const ALL: [NameKind; 8] = [
        NameKind::Road,
        NameKind::Community,
        NameKind::Township,
        NameKind::District,
        NameKind::Building,
        NameKind::Residential,
        NameKind::Facility,
        NameKind::Natural,
    ];

    /// The kind's identifier, e.g. `road`.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Road => "road",
            NameKind::Community => "community",
            NameKind::Township => "township",
            NameKind::District => "district",
            NameKind::Building => "building",
            NameKind::Residential => "residential",
            NameKind::Facility => "facility",
            NameKind::Natural => "natural",
        }
    }

    /// Parses an identifier.
    ///
    /// ```
    /// use civmap_geo_core::names::NameKind;
    /// assert_eq!(NameKind::parse("road").unwrap(), NameKind::Road);
    /// assert!(NameKind::parse("galaxy").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, NamesError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| NamesError::UnknownKind(s.to_owned()))
    }

    /// The kind of an admin unit's name at `level` (`None` for the city).
    pub fn of_level(level: crate::AdminLevel) -> Option<Self> {
        match level {
            crate::AdminLevel::City => None,
            crate::AdminLevel::District => Some(NameKind::District),
            crate::AdminLevel::Township => Some(NameKind::Township),
            crate::AdminLevel::Community => Some(NameKind::Community),
        }
    }
}

/// One rule a name breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `grand`, `foreign`, `odd`, `stacked`, `size`, `duplicate`, `homophone` or `english`.
    pub rule: String,
    /// What was found, naming the offending part (e.g. `夸大 (grand) word '环球'`).
    pub detail: String,
    /// The clause the rule comes from (its citation).
    pub clause: String,
}
