//! The place-name rule set shipped with civmap (`data/names/rules.json`, compiled in):
//! word lists with exceptions, the generic-term dictionary, reading overrides of
//! Hangzhou polyphones and the dialect table, each rule with the clause it comes from.

use civmap_geo_core::names::NameRules;

use crate::DataError;

const RULES_JSON: &str = include_str!("../names/rules.json");

/// The shipped rule set, parsed and validated.
///
/// ```
/// let rules = civmap_data::names::rules().unwrap();
/// assert!(rules.generic_terms.iter().any(|g| g.zh == "街道" && g.pinyin == "Jiedao"));
/// ```
pub fn rules() -> Result<NameRules, DataError> {
    parse_rules(RULES_JSON, "<embedded>/names/rules.json")
}

/// Parses and validates a rule set in the layout of `data/names/rules.json`; `file`
/// names it in errors.
pub fn parse_rules(json: &str, file: &str) -> Result<NameRules, DataError> {
    let rules: NameRules = serde_json::from_str(json).map_err(|e| {
        DataError::invalid(
            file,
            format!("line {} column {}", e.line(), e.column()),
            None,
            e.to_string(),
        )
    })?;
    rules
        .validate()
        .map_err(|e| DataError::invalid(file, "rule set", None, e.to_string()))?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_parse_and_bad_ones_are_named() {
        let rules = rules().unwrap();
        assert!(rules.word_rules.iter().any(|w| w.rule == "grand"));
        let err = parse_rules("{\"clauses\": 1}", "x.json").unwrap_err();
        assert!(err.to_string().contains("x.json"), "{err}");
        let bad_clause = RULES_JSON.replace(
            "\"duplicate_clause\": \"regulation_2022_art9\"",
            "\"duplicate_clause\": \"nowhere\"",
        );
        let err = parse_rules(&bad_clause, "y.json").unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }
}
