//! The register's input rules, each error naming the field at fault.

use civmap_geo_core::survey::markers::MarkerKind;

use super::{invalid, RegisterError};
use crate::accounts::now_ms;

/// Longitudes the register accepts: China's extent (73.5°E–135.1°E) with a margin.
pub const CHINA_LON_DEG: (f64, f64) = (73.0, 136.0);
/// Latitudes the register accepts: China's extent (3.8°N–53.6°N) with a margin.
pub const CHINA_LAT_DEG: (f64, f64) = (3.0, 54.0);
/// Longest boundary-line id.
pub const MAX_LINE_CHARS: usize = 80;
/// Longest free text (reasons, notes, inspector names).
pub const MAX_TEXT_CHARS: usize = 2000;

/// Checks a marker number against its type code.
///
/// The rule (after GB/T 17796's register practice, where a number names the line and the
/// marker's place on it and carries the type code, e.g. `330106-330105-003A`): 2–40 ASCII
/// letters, digits and `-`, starting with a letter or digit and **ending with the type
/// code** `A`, `B`, `C`, `D`, `E` or `Q` (upper case) equal to `kind`.
///
/// ```
/// use civmap_data::register::check_number;
/// use civmap_geo_core::survey::markers::MarkerKind;
/// assert!(check_number("330106-330105-003A", MarkerKind::A).is_ok());
/// assert!(check_number("330106-330105-003A", MarkerKind::B).is_err());
/// assert!(check_number("003 A", MarkerKind::A).is_err());
/// ```
pub fn check_number(number: &str, kind: MarkerKind) -> Result<(), RegisterError> {
    let shape = (2..=40).contains(&number.len())
        && number.starts_with(|c: char| c.is_ascii_alphanumeric())
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !shape {
        return Err(invalid(
            "number",
            format!(
                "{number:?}: 2–40 ASCII letters, digits or '-', starting with a letter or digit and ending with the type code"
            ),
        ));
    }
    if !number.ends_with(kind.as_str()) {
        return Err(invalid(
            "number",
            format!("{number:?} must end with its type code {kind} (the kind given)"),
        ));
    }
    Ok(())
}

/// Checks a boundary-line id's form: 1–[`MAX_LINE_CHARS`] characters, no control
/// characters. (Whether the line exists is the caller's question: see the server's line
/// catalog hook.)
pub fn check_line(line: &str) -> Result<(), RegisterError> {
    if line.trim().is_empty()
        || line.chars().count() > MAX_LINE_CHARS
        || line.chars().any(char::is_control)
    {
        return Err(invalid(
            "line",
            format!("{line:?}: a boundary line id of 1–{MAX_LINE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Checks a CGCS2000 position: finite and inside China's extent
/// ([`CHINA_LON_DEG`], [`CHINA_LAT_DEG`]).
///
/// ```
/// use civmap_data::register::check_position;
/// assert!(check_position(120.1, 30.2).is_ok());
/// assert!(check_position(30.2, 120.1).is_err()); // swapped
/// ```
pub fn check_position(lon: f64, lat: f64) -> Result<(), RegisterError> {
    if !lon.is_finite() || lon < CHINA_LON_DEG.0 || lon > CHINA_LON_DEG.1 {
        return Err(invalid(
            "lon",
            format!(
                "{lon} is not a longitude in China ({}–{}°E)",
                CHINA_LON_DEG.0, CHINA_LON_DEG.1
            ),
        ));
    }
    if !lat.is_finite() || lat < CHINA_LAT_DEG.0 || lat > CHINA_LAT_DEG.1 {
        return Err(invalid(
            "lat",
            format!(
                "{lat} is not a latitude in China ({}–{}°N)",
                CHINA_LAT_DEG.0, CHINA_LAT_DEG.1
            ),
        ));
    }
    Ok(())
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks a calendar day written `YYYY-MM-DD` (years 1900–9999).
///
/// ```
/// use civmap_data::register::check_date;
/// assert!(check_date("date", "2024-02-29").is_ok());
/// assert!(check_date("date", "2023-02-29").is_err());
/// assert!(check_date("date", "2024-2-1").is_err());
/// ```
pub fn check_date(field: &'static str, s: &str) -> Result<(), RegisterError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && {
            let y: i64 = s[0..4].parse().unwrap_or(0);
            let m: i64 = s[5..7].parse().unwrap_or(0);
            let d: i64 = s[8..10].parse().unwrap_or(0);
            y >= 1900 && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
        };
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("{s:?} is not a day written YYYY-MM-DD"),
        ))
    }
}

/// The calendar day `(year, month, day)` of a count of days since 1970-01-01
/// (proleptic Gregorian; Howard Hinnant's `civil_from_days`).
///
/// ```
/// use civmap_data::register::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(19_782), (2024, 2, 29));
/// ```
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Today in China (UTC+8), `YYYY-MM-DD`: the day a surveyor in Hangzhou writes on a form.
pub fn today_in_china() -> String {
    let (y, m, d) = civil_from_days((now_ms() + 8 * 3_600_000).div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Checks a required free text: not blank, at most [`MAX_TEXT_CHARS`] characters.
pub(super) fn check_text(field: &'static str, s: &str) -> Result<(), RegisterError> {
    if s.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            field,
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_valid_day() {
        let t = today_in_china();
        check_date("today", &t).unwrap();
        assert!(t.as_str() >= "2025-01-01");
    }

    #[test]
    fn every_number_rule_names_the_number() {
        for (n, k) in [
            ("A", MarkerKind::A),
            ("-12A", MarkerKind::A),
            ("12 A", MarkerKind::A),
            ("12a", MarkerKind::A),
            ("12B", MarkerKind::A),
            ("1".repeat(41).as_str(), MarkerKind::A),
        ] {
            match check_number(n, k) {
                Err(RegisterError::Invalid { field, .. }) => assert_eq!(field, "number", "{n}"),
                other => panic!("{n}: {other:?}"),
            }
        }
        check_number("Q1-2Q", MarkerKind::Q).unwrap();
    }
}
