//! New codes per the NBS structure: 12 digits, 2 province + 2 city + 2 county +
//! 3 township + 3 village. A new community takes the next 3-digit village number after the
//! highest in use in its township; a new township the next township number in its county.
//! Numbers are never reused while a higher one is free, so a retired code does not come
//! back at once.

use std::collections::HashSet;

use super::ProposalError;
use crate::{AdminCode, AdminLevel};

/// The next free code for a child of `parent` (a township's community or a county's
/// township), given the codes in use.
///
/// ```
/// use civmap_geo_core::proposal::codes::next_child_code;
/// use civmap_geo_core::AdminCode;
/// let c = |s: &str| AdminCode::parse(s).unwrap();
/// let taken = [c("330106001000"), c("330106001001"), c("330106001007")];
/// let next = next_child_code(&c("330106001000"), taken.iter(), "community").unwrap();
/// assert_eq!(next.as_str(), "330106001008");
/// let township = next_child_code(&c("330106000000"), taken.iter(), "unit").unwrap();
/// assert_eq!(township.as_str(), "330106002000");
/// ```
pub fn next_child_code<'a>(
    parent: &AdminCode,
    taken: impl IntoIterator<Item = &'a AdminCode>,
    field: &'static str,
) -> Result<AdminCode, ProposalError> {
    let (prefix_len, suffix) = match parent.level_hint() {
        AdminLevel::Township => (9, ""),
        AdminLevel::District => (6, "000"),
        _ => {
            return Err(ProposalError::invalid(
                field,
                format!("{parent} has no numbered children (only counties and townships do)"),
            ))
        }
    };
    let prefix = &parent.as_str()[..prefix_len];
    let used: HashSet<u32> = taken
        .into_iter()
        .filter(|c| c.as_str().starts_with(prefix) && c.as_str().ends_with(suffix))
        .filter_map(|c| c.as_str()[prefix_len..prefix_len + 3].parse().ok())
        .filter(|&n| n > 0)
        .collect();
    let highest = used.iter().copied().max().unwrap_or(0);
    let n = if highest < 999 {
        highest + 1
    } else {
        (1..=999)
            .find(|n| !used.contains(n))
            .ok_or_else(|| ProposalError::NoFreeCode {
                field,
                parent: parent.clone(),
            })?
    };
    let code = format!("{prefix}{n:03}{suffix}");
    Ok(AdminCode::parse(&code).expect("12 digits by construction"))
}

/// The code a unit of `level` gets under `parent`, with `taken` growing as codes are handed
/// out (several children recoded at once).
pub(crate) fn allocate(
    parent: &AdminCode,
    taken: &mut Vec<AdminCode>,
    field: &'static str,
) -> Result<AdminCode, ProposalError> {
    let code = next_child_code(parent, taken.iter(), field)?;
    taken.push(code.clone());
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> AdminCode {
        AdminCode::parse(s).unwrap()
    }

    #[test]
    fn the_first_child_is_number_one_and_a_full_range_reuses_the_lowest_gap() {
        let none: [AdminCode; 0] = [];
        assert_eq!(
            next_child_code(&c("330106001000"), none.iter(), "x")
                .unwrap()
                .as_str(),
            "330106001001"
        );
        let mut taken: Vec<AdminCode> = (1..=999)
            .filter(|n| *n != 5)
            .map(|n| c(&format!("330106001{n:03}")))
            .collect();
        assert_eq!(
            allocate(&c("330106001000"), &mut taken, "x")
                .unwrap()
                .as_str(),
            "330106001005"
        );
        assert!(matches!(
            allocate(&c("330106001000"), &mut taken, "x"),
            Err(ProposalError::NoFreeCode { field: "x", .. })
        ));
    }

    #[test]
    fn other_townships_codes_do_not_count() {
        let taken = [c("330106002050"), c("330105001090")];
        assert_eq!(
            next_child_code(&c("330106001000"), taken.iter(), "x")
                .unwrap()
                .as_str(),
            "330106001001"
        );
    }

    #[test]
    fn a_community_has_no_numbered_children() {
        let none: [AdminCode; 0] = [];
        let e = next_child_code(&c("330106001001"), none.iter(), "unit").unwrap_err();
        assert_eq!(e.field(), "unit");
    }
}
