use thiserror::Error;

/// Why a name rule set or a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NamesError {
    /// A rule names a clause id that the rule set's `clauses` does not define.
    #[error("rule `{rule}` cites clause `{clause}`, which `clauses` does not define")]
    UnknownClause {
        /// Where the reference is (e.g. `word_rules[0]`).
        rule: String,
        /// The missing id.
        clause: String,
    },
    /// A field of the rule set is empty or malformed.
    #[error("rule set field `{field}`: {message}")]
    BadRules {
        /// The field, e.g. `generic_terms[3].pinyin`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The name to check is empty.
    #[error("parameter `name` is empty")]
    EmptyName,
    /// The name is longer than [`MAX_NAME_CHARS`](super::MAX_NAME_CHARS).
    #[error("parameter `name` is too long: {chars} characters, at most {max}")]
    NameTooLong {
        /// Characters in the name.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The name contains a control character.
    #[error("parameter `name` contains control character U+{code:04X} at character {position}")]
    ControlCharacter {
        /// 0-based character position.
        position: usize,
        /// The code point.
        code: u32,
    },
    /// A character that has no pinyin reading (not an ideograph or a digit).
    #[error("cannot romanize `{name}`: character '{ch}' at {position} is not a Chinese character or a digit")]
    NotRomanizable {
        /// The name.
        name: String,
        /// The character.
        ch: char,
        /// 0-based character position.
        position: usize,
    },
    /// A `kind` that is not one of the name kinds.
    #[error("unknown kind `{0}`: expected one of road, community, township, district, building, residential, facility, natural")]
    UnknownKind(String),
    /// A field of a registry record or a naming application is malformed.
    #[error("parameter `{field}`: {message}")]
    BadField {
        /// The field, e.g. `place`, `lang`, `notice_days`.
        field: String,
        /// What is wrong.
        message: String,
    },
}
