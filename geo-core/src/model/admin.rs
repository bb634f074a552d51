use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::ModelError;

/// A 12-digit statistical division code (NBS 统计用区划代码), e.g. `330106000000` for 西湖区.
///
/// The first 6 digits are the GB/T 2260 county code, the next 3 the township, the last 3
/// the community or village.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AdminCode(String);

impl AdminCode {
    /// Parses a code of exactly 12 ASCII digits.
    ///
    /// ```
    /// # use civmap_geo_core::AdminCode;
    /// assert!(AdminCode::parse("330100000000").is_ok());
    /// assert!(AdminCode::parse("3301").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        let t = s.trim();
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(t.to_owned()))
        } else {
            Err(ModelError::BadAdminCode(s.to_owned()))
        }
    }

    /// The code as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit county (district) part.
    pub fn district_prefix(&self) -> &str {
        &self.0[..6]
    }

    /// The level the code's zero pattern suggests (`…000000` district, `…000` township).
    pub fn level_hint(&self) -> AdminLevel {
        let s = self.0.as_bytes();
        if &s[4..] == b"00000000" {
            AdminLevel::City
        } else if &s[6..] == b"000000" {
            AdminLevel::District
        } else if &s[9..] == b"000" {
            AdminLevel::Township
        } else {
            AdminLevel::Community
        }
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AdminCode {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AdminCode> for String {
    fn from(c: AdminCode) -> String {
        c.0
    }
}

/// The administrative level of a unit, from the city down to the community or village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminLevel {
    /// 市 — the city (杭州市).
    City,
    /// 区/县/县级市 — the 13 county-level units.
    District,
    /// 街道/镇/乡 — streets (subdistricts), towns and townships.
    Township,
    /// 社区/村 — communities and villages.
    Community,
}

impl AdminLevel {
    /// All levels, top down.
    pub const ALL: [AdminLevel; 4] = [Self::City, Self::District, Self::Township, Self::Community];

    /// The API name of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
            Self::Township => "township",
            Self::Community => "community",
        }
    }

    /// Parses an API level name; NBS's `village` is accepted for `community`.
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        match s.trim() {
            "city" => Ok(Self::City),
            "district" | "county" => Ok(Self::District),
            "township" | "street" | "town" => Ok(Self::Township),
            "community" | "village" => Ok(Self::Community),
            other => Err(ModelError::BadAdminLevel(other.to_owned())),
        }
    }
}

impl fmt::Display for AdminLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One administrative unit: the city, a district, a township/street or a community/village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    /// 12-digit statistical code.
    pub code: AdminCode,
    /// Official Chinese name, e.g. `北山街道`.
    pub name: String,
    /// Level in the hierarchy.
    pub level: AdminLevel,
    /// The parent unit's code (`None` for the city, or a unit imported without one).
    pub parent: Option<AdminCode>,
    /// Finer kind from the source, e.g. `subdistrict`, `town`, `village`, `urban_district`.
    pub kind: String,
    /// Boundary in WGS84 degrees.
    pub geometry: MultiPolygon<f64>,
    /// Resident population (2020 census or its synthetic breakdown).
    pub population: u64,
    /// Residents aged 60 and over.
    pub elderly: u64,
    /// Whether the geometry or figures are generated rather than published.
    pub synthetic: bool,
}
