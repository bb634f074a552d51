//! An edition: one dated, complete list of the divisions (e.g. NBS 2020, cut-off 2020-06-30).

use serde::{Deserialize, Serialize};

use super::Date;
use crate::{AdminCode, AdminLevel};

/// One row of a division list (NBS 统计用区划代码 table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisionRow {
    /// 12-digit code.
    pub code: AdminCode,
    /// Level (NBS `village` rows are communities).
    pub level: AdminLevel,
    /// Official name.
    pub name: String,
    /// Parent's code (the city's parent is the province, outside the list).
    pub parent: AdminCode,
    /// Finer kind: subdistrict, town, township, special_zone, community, village, …
    pub kind: String,
}

/// A dated, complete edition of the division list.
///
/// ```
/// use civmap_geo_core::history::{Date, Edition};
/// let e = Edition { id: "NBS2020".into(), date: Date::parse("2020-06-30").unwrap(), rows: vec![] };
/// assert_eq!(e.info().row_count, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    /// Short id, e.g. `NBS2020`.
    pub id: String,
    /// Cut-off day: the list describes the divisions as they stood that day.
    pub date: Date,
    /// Every unit of the edition.
    pub rows: Vec<DivisionRow>,
}

impl Edition {
    /// The edition without its rows.
    pub fn info(&self) -> EditionInfo {
        EditionInfo {
            id: self.id.clone(),
            date: self.date,
            row_count: self.rows.len(),
        }
    }
}

/// What the history keeps of an edition once its rows are folded in (`/api/v1/editions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditionInfo {
    /// Short id, e.g. `NBS2020`.
    pub id: String,
    /// Cut-off day.
    pub date: Date,
    /// Number of rows it had.
    pub row_count: usize,
}
