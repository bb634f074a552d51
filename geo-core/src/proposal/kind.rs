//! The kinds of proposal.

use geo::LineString;
use serde::{Deserialize, Serialize};

use crate::AdminCode;

/// One change to the division, as a surveyor proposes it.
///
/// ```
/// use civmap_geo_core::proposal::ProposalKind;
/// use civmap_geo_core::AdminCode;
/// let k = ProposalKind::Rename {
///     unit: AdminCode::parse("330106001001").unwrap(),
///     name: "新名社区".into(),
/// };
/// assert_eq!(k.as_str(), "rename");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProposalKind {
    /// A community moves under another township; it takes the next free village number
    /// there, and both townships (and their ancestors up to the common one) are recomputed.
    Transfer {
        /// The community's current code.
        community: AdminCode,
        /// The township it moves to.
        to_township: AdminCode,
    },
    /// Units of one level and parent become one; the survivor keeps its code.
    Merge {
        /// Every unit merged, the survivor included.
        units: Vec<AdminCode>,
        /// The unit that continues.
        survivor: AdminCode,
        /// A new name for the merged unit, if any.
        #[serde(default)]
        name: Option<String>,
    },
    /// A unit is cut in two along a drawn line; the part on the line's left (walking from
    /// its first to its last point) becomes a new unit.
    Split {
        /// The unit cut.
        unit: AdminCode,
        /// The cut, WGS84 degrees; it must cross the unit from outside to outside.
        line: LineString<f64>,
        /// The new unit's name.
        new_name: String,
    },
    /// A unit takes another name.
    Rename {
        /// The unit.
        unit: AdminCode,
        /// Its new name.
        name: String,
    },
}

impl ProposalKind {
    /// The API name: `transfer`, `merge`, `split` or `rename`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => "transfer",
            Self::Merge { .. } => "merge",
            Self::Split { .. } => "split",
            Self::Rename { .. } => "rename",
        }
    }
}
