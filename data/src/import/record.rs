//! One input record's attributes, whatever the format: GeoJSON properties, a CSV row, an
//! OGR feature's fields. Typed getters turn a wrong value into an error that names the file,
//! the record and the field.

use civmap_geo_core::AdminCode;
use serde_json::{Map, Value};

use crate::DataError;

/// The attributes of one record and where it sits in its file.
#[derive(Debug)]
pub(super) struct Record<'a> {
    /// File name, for errors.
    pub file: &'a str,
    /// Where: `feature 3`, `feature 3 (id "a-1")`, `line 12`.
    pub at: String,
    /// Attribute values by name.
    pub props: &'a Map<String, Value>,
    /// Values come as text (CSV): numbers and booleans are parsed from strings.
    pub text: bool,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Record<'_> {
    /// An error about `field` of this record.
    pub fn err(&self, field: &str, message: impl Into<String>) -> DataError {
        DataError::invalid(self.file, &self.at, Some(field), message)
    }

    /// The value of `key`, treating null (and an empty CSV cell) as absent.
    fn get(&self, key: &str) -> Option<&Value> {
        match self.props.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if self.text && s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string.
    pub fn string(&self, key: &str) -> Result<Option<String>, DataError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(v) => Err(self.err(
                key,
                format!("expected a string, found {} ({v})", type_name(v)),
            )),
        }
    }

    /// A string that must be present and not empty.
    pub fn required_string(&self, key: &str) -> Result<String, DataError> {
        match self.string(key)? {
            None => Err(self.err(key, "missing (required)")),
            Some(s) if s.is_empty() => Err(self.err(key, "must not be empty")),
            Some(s) => Ok(s),
        }
    }

    /// An identifier given as a string or an integer, as a string.
    pub fn id_string(&self, key: &str) -> Result<Option<String>, DataError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(self.err(key, "must not be empty"))
            }
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            Some(v) => Err(self.err(
                key,
                format!(
                    "expected a string or an integer, found {} ({v})",
                    type_name(v)
                ),
            )),
        }
    }

    /// An optional non-negative integer.
    pub fn u64(&self, key: &str) -> Result<Option<u64>, DataError> {
        let bad = |shown: &dyn std::fmt::Display| {
            self.err(
                key,
                format!("expected a non-negative integer, found {shown}"),
            )
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(u) => Ok(Some(u)),
                // 12.0 from a tool that writes every number as a float is still 12.
                None => match n.as_f64() {
                    Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 => {
                        Ok(Some(f as u64))
                    }
                    _ => Err(bad(n)),
                },
            },
            Some(Value::String(s)) if self.text => s
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| bad(&format!("{s:?}"))),
            Some(v) => Err(bad(&format!("{} ({v})", type_name(v)))),
        }
    }

    /// An optional non-negative integer that fits 32 bits.
    pub fn u32(&self, key: &str) -> Result<Option<u32>, DataError> {
        match self.u64(key)? {
            None => Ok(None),
            Some(v) => u32::try_from(v)
                .map(Some)
                .map_err(|_| self.err(key, format!("{v} is too large (at most {})", u32::MAX))),
        }
    }

    /// An optional boolean (`true`/`false`; in text also `1`/`0`, `yes`/`no`).
    pub fn bool(&self, key: &str) -> Result<Option<bool>, DataError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => {
                Ok(Some(n.as_u64() == Some(1)))
            }
            Some(Value::String(s)) if self.text => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "y" | "t" => Ok(Some(true)),
                "false" | "0" | "no" | "n" | "f" => Ok(Some(false)),
                _ => Err(self.err(key, format!("expected true or false, found {s:?}"))),
            },
            Some(v) => Err(self.err(
                key,
                format!("expected true or false, found {} ({v})", type_name(v)),
            )),
        }
    }

    /// An optional 12-digit statistical division code.
    pub fn code(&self, key: &str) -> Result<Option<AdminCode>, DataError> {
        let raw = match self.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            Some(v) => {
                return Err(self.err(
                    key,
                    format!(
                        "expected a 12-digit statistical division code, found {} ({v})",
                        type_name(v)
                    ),
                ))
            }
        };
        AdminCode::parse(&raw).map(Some).map_err(|_| {
            self.err(
                key,
                format!("expected a 12-digit statistical division code, found {raw:?}"),
            )
        })
    }
}
