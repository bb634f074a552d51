use thiserror::Error;

/// Why a gazetteer query was refused. Every variant names the parameter (`q`) so that the
/// server can turn it into a clear 400.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GazetteerError {
    /// The query is empty or only whitespace.
    #[error("parameter `q` is empty: type a place name, address, pinyin, English name or code")]
    EmptyQuery,
    /// The query is longer than [`MAX_QUERY_CHARS`](super::MAX_QUERY_CHARS) characters.
    #[error("parameter `q` is too long: {chars} characters, at most {max} are allowed")]
    QueryTooLong {
        /// Characters in the query (or a lower bound when it is very long).
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The query contains a control character (e.g. NUL, newline, escape).
    #[error(
        "parameter `q` contains control character U+{code:04X} at character {position}: \
         remove it"
    )]
    ControlCharacter {
        /// 0-based character position.
        position: usize,
        /// The code point.
        code: u32,
    },
    /// A `kind` filter that is not one of the gazetteer's kinds.
    #[error("unknown kind `{0}`: expected one of admin, road, facility, doorplate, landmark")]
    UnknownKind(String),
    /// A live edit addressed a record past the end (see
    /// [`PlaceEdit`](super::PlaceEdit)): the edits and the records are out of step.
    #[error("live edit of {kind} record {record}: there is no such record")]
    NoSuchRecord {
        /// `facility`, `landmark` or `doorplate`.
        kind: &'static str,
        /// The record index.
        record: u32,
    },
}
