//! The boundary-marker (界桩) register's model, and its rule checks.
//!
//! A marker stands on a boundary line; the register (GB/T 17796's 界桩登记表 and 成果表)
//! keeps its number, line, position, type code and condition, and every joint inspection
//! keeps a dated record of what the inspector found.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The type code a marker number carries, as the register writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MarkerKind {
    /// Type code `A`.
    A,
    /// Type code `B`.
    B,
    /// Type code `C`.
    C,
    /// Type code `D`.
    D,
    /// Type code `E`.
    E,
    /// Type code `Q`.
    Q,
}

impl MarkerKind {
    /// Every type code.
    pub const ALL: [MarkerKind; 6] = [Self::A, Self::B, Self::C, Self::D, Self::E, Self::Q];

    /// The one-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::Q => "Q",
        }
    }

    /// Parses a one-letter code (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for MarkerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A marker's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerStatus {
    /// 完好.
    Intact,
    /// 损坏.
    Damaged,
    /// 移位 — found away from its registered position.
    Moved,
    /// 丢失.
    Lost,
    /// 被掩埋/遮挡.
    Obscured,
}

impl MarkerStatus {
    /// Every status.
    pub const ALL: [MarkerStatus; 5] = [
        Self::Intact,
        Self::Damaged,
        Self::Moved,
        Self::Lost,
        Self::Obscured,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intact => "intact",
            Self::Damaged => "damaged",
            Self::Moved => "moved",
            Self::Lost => "lost",
            Self::Obscured => "obscured",
        }
    }

    /// Parses an API name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for MarkerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inspection of a marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Day of the inspection, `YYYY-MM-DD`.
    pub date: String,
    /// Who inspected.
    pub inspector: String,
    /// What they found.
    pub status: MarkerStatus,
    /// Measured distance between the registered and the found position, metres.
    pub offset_m: Option<f64>,
    /// Free remarks.
    pub note: Option<String>,
}

/// One boundary marker in the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Register number, e.g. `330106-330105-003A`; numbers on one line run in sequence.
    pub number: String,
    /// The boundary line it stands on (a [`super::lines::BoundaryLine`] id).
    pub line: String,
    /// Position, CGCS2000 longitude in degrees.
    pub lon: f64,
    /// Position, CGCS2000 latitude in degrees.
    pub lat: f64,
    /// Type code.
    pub kind: MarkerKind,
    /// Current condition (the latest inspection's, or as registered).
    pub status: MarkerStatus,
    /// Inspections, oldest first.
    pub inspections: Vec<Inspection>,
}
