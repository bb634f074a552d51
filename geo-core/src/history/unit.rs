//! A unit's identity and its dated versions.
//!
//! A unit is what survives a change of code, name or parent: 长庆街道 of 2020 (330103001000,
//! under 下城区) and of 2021 (330105014000, under 拱墅区) is one [`Unit`] with two
//! [`UnitVersion`]s. Validity is half-open, `[valid_from, valid_to)`: a version seen first in
//! the edition of 2020-06-30 and gone from the edition of 2021-10-31 holds from 2020-06-30 up
//! to (not including) 2021-10-31. Editions only show the state on their cut-off day, so that
//! is all a version claims.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::Date;
use crate::{AdminCode, AdminLevel};

/// The stable id of a unit within a history: `u0`, `u1`, … in order of first appearance
/// (editions oldest first, rows by level then code), so the same editions give the same ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitId(pub u32);

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u{}", self.0)
    }
}

/// One state of a unit: its code, name, parent, level and kind over a span of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitVersion {
    /// 12-digit code in this version.
    pub code: AdminCode,
    /// Name in this version.
    pub name: String,
    /// Level.
    pub level: AdminLevel,
    /// Finer kind (subdistrict, town, village, …).
    pub kind: String,
    /// The parent unit (`None` for the top of the list).
    pub parent: Option<UnitId>,
    /// First day it holds (the cut-off of the first edition that shows it).
    pub valid_from: Date,
    /// First day it no longer holds; `None` while current.
    pub valid_to: Option<Date>,
}

impl UnitVersion {
    /// Whether the version holds on `day`.
    ///
    /// ```
    /// use civmap_geo_core::history::{Date, UnitVersion};
    /// use civmap_geo_core::{AdminCode, AdminLevel};
    /// let d = |s| Date::parse(s).unwrap();
    /// let v = UnitVersion {
    ///     code: AdminCode::parse("330103000000").unwrap(), name: "下城区".into(),
    ///     level: AdminLevel::District, kind: "urban_district".into(), parent: None,
    ///     valid_from: d("2019-10-31"), valid_to: Some(d("2021-10-31")),
    /// };
    /// assert!(v.holds_on(d("2020-12-31")));
    /// assert!(!v.holds_on(d("2021-10-31")));
    /// ```
    pub fn holds_on(&self, day: Date) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }
}

/// A unit with its versions (oldest first) and its succession links.
///
/// `superseded_by` lists the units that took over when this one ended (merged into one,
/// split among several); `supersedes` is the other side of the same links. Each link must be
/// recorded on both sides ([`super::History::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable id.
    pub id: UnitId,
    /// Versions, oldest first; consecutive versions meet without gap or overlap.
    pub versions: Vec<UnitVersion>,
    /// Units this one took over from.
    pub supersedes: Vec<UnitId>,
    /// Units that took over from this one when it ended.
    pub superseded_by: Vec<UnitId>,
}

impl Unit {
    /// The version that holds on `day`, if any.
    pub fn version_on(&self, day: Date) -> Option<&UnitVersion> {
        self.versions.iter().rev().find(|v| v.holds_on(day))
    }

    /// The newest version (current if the unit has not ended).
    ///
    /// # Panics
    /// If the unit has no version, which [`super::History::build`] never produces.
    pub fn latest(&self) -> &UnitVersion {
        self.versions
            .last()
            .expect("a unit has at least one version")
    }

    /// The first day the unit is known.
    pub fn valid_from(&self) -> Option<Date> {
        self.versions.first().map(|v| v.valid_from)
    }

    /// The day it ended, `None` while it lasts.
    pub fn valid_to(&self) -> Option<Date> {
        self.versions.last().and_then(|v| v.valid_to)
    }
}
