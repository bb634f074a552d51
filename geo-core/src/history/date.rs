//! A calendar day: editions are dated by their cut-off day, versions by the days they hold.
//!
//! The history only ever compares and prints days, so a small exact type does the job
//! without pulling a calendar crate into the core.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::HistoryError;

/// A day of the Gregorian calendar, written `YYYY-MM-DD` (years 1000–9999).
///
/// Days order as time does:
///
/// ```
/// use civmap_geo_core::history::Date;
/// let cut_off = Date::parse("2020-06-30").unwrap();
/// assert!(cut_off < Date::parse("2020-12-31").unwrap());
/// assert_eq!(cut_off.to_string(), "2020-06-30");
/// assert!(Date::parse("2021-02-29").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    // field order is the sort order
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The day `year-month-day`, if the calendar has it.
    ///
    /// ```
    /// use civmap_geo_core::history::Date;
    /// assert!(Date::new(2024, 2, 29).is_ok());
    /// assert!(Date::new(2023, 2, 29).is_err());
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, HistoryError> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if (1000..=9999).contains(&year) && day >= 1 && day <= days_in_month {
            Ok(Self { year, month, day })
        } else {
            Err(HistoryError::BadDate {
                input: format!("{year:04}-{month:02}-{day:02}"),
            })
        }
    }

    /// Parses `YYYY-MM-DD` (surrounding spaces ignored).
    ///
    /// ```
    /// use civmap_geo_core::history::Date;
    /// assert_eq!(Date::parse(" 2021-10-31 ").unwrap().year(), 2021);
    /// assert!(Date::parse("2021/10/31").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, HistoryError> {
        let bad = || HistoryError::BadDate {
            input: s.to_owned(),
        };
        let t = s.trim();
        let b = t.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let digits = |r: std::ops::Range<usize>| -> Result<u16, HistoryError> {
            let part = &t[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        Self::new(year, month as u8, day as u8).map_err(|_| bad())
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = HistoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Date {
    type Error = HistoryError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(Date::new(2000, 2, 29).is_ok());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2020, 13, 1).is_err());
        assert!(Date::new(2020, 4, 31).is_err());
    }

    #[test]
    fn days_sort_by_year_then_month_then_day() {
        let a = Date::parse("2019-12-31").unwrap();
        let b = Date::parse("2020-01-01").unwrap();
        assert!(a < b);
    }

    #[test]
    fn malformed_days_name_the_input() {
        let err = Date::parse("2020-6-30").unwrap_err();
        assert!(err.to_string().contains("2020-6-30"), "{err}");
        assert!(Date::parse("20a0-06-30").is_err());
        assert!(Date::parse("+020-06-30").is_err());
    }
}
