//! Past shapes from today's polygons. No polygons exist for old editions, so a past unit's
//! shape is only ever taken or assembled from today's, and every answer says which:
//!
//! - [`GeometrySource::Current`]: the unit still exists and no child moved in or out of it
//!   (nor did an ended child leave its territory to a unit outside), so today's polygon is its
//!   shape then;
//! - [`GeometrySource::Reconstructed`]: the union of the shapes (current or reconstructed) of
//!   its children on that day, e.g. 下城区 in 2020 as the union of today's polygons of the
//!   townships it had then (长庆街道 is today's 330105014000);
//! - [`GeometrySource::Unknown`]: neither is possible (no polygon today, a leaf that ended).
//!   No shape is returned.

use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use super::{Date, History, HistoryError, Snapshot, UnitId};
use crate::{AdminCode, AdminUnit};

/// How a past shape was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometrySource {
    /// Today's polygon of the same, unchanged unit.
    Current,
    /// The union of its children's shapes on that day.
    Reconstructed,
    /// Not known; no shape given.
    Unknown,
}

/// A past unit's shape, tagged with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct PastGeometry {
    /// How it was obtained.
    pub source: GeometrySource,
    /// The shape (`None` when [`GeometrySource::Unknown`]).
    pub geometry: Option<MultiPolygon<f64>>,
    /// Today's codes whose polygons it was made from.
    pub from_codes: Vec<AdminCode>,
    /// Whether any of those polygons is itself synthetic ([`AdminUnit::synthetic`]).
    pub synthetic: bool,
}

impl PastGeometry {
    fn unknown() -> Self {
        Self {
            source: GeometrySource::Unknown,
            geometry: None,
            from_codes: Vec::new(),
            synthetic: false,
        }
    }
}

/// Reconstructs past shapes of a history's units from today's [`AdminUnit`] polygons.
#[derive(Debug)]
pub struct GeometryReconstructor<'a> {
    history: &'a History,
    today: HashMap<&'a str, &'a AdminUnit>,
}

impl<'a> GeometryReconstructor<'a> {
    /// Today's polygons are looked up by the codes of the history's newest edition.
    pub fn new(history: &'a History, today: &'a [AdminUnit]) -> Self {
        Self {
            history,
            today: today.iter().map(|u| (u.code.as_str(), u)).collect(),
        }
    }

    /// The shape of `unit` on `day` (`Unknown` if it did not exist that day).
    pub fn geometry_of(&self, unit: UnitId, day: Date) -> Result<PastGeometry, HistoryError> {
        let then = self.history.as_of(day)?;
        if then.by_unit(unit).is_none() {
            return Ok(PastGeometry::unknown());
        }
        Ok(self.shape(then, unit))
    }

    fn shape(&self, then: &Snapshot, unit: UnitId) -> PastGeometry {
        let today = self.history.latest();
        if let Some(now) = today.by_unit(unit) {
            if let Some(poly) = self.today.get(now.code.as_str()) {
                if self.territory_unchanged(then, today, unit) {
                    return PastGeometry {
                        source: GeometrySource::Current,
                        geometry: Some(poly.geometry.clone()),
                        from_codes: vec![now.code.clone()],
                        synthetic: poly.synthetic,
                    };
                }
            }
        }
        let children = then.children(unit);
        if children.is_empty() {
            return PastGeometry::unknown();
        }
        let mut parts = Vec::with_capacity(children.len());
        let mut from_codes = Vec::new();
        let mut synthetic = false;
        for c in children {
            let g = self.shape(then, c.unit);
            let Some(geometry) = g.geometry else {
                return PastGeometry::unknown();
            };
            parts.push(geometry);
            from_codes.extend(g.from_codes);
            synthetic |= g.synthetic;
        }
        PastGeometry {
            source: GeometrySource::Reconstructed,
            geometry: Some(geo::unary_union(parts.iter())),
            from_codes,
            synthetic,
        }
    }

    /// No child moved in or out between `then` and today, and no child that ended left
    /// territory to a unit outside.
    fn territory_unchanged(&self, then: &Snapshot, today: &Snapshot, unit: UnitId) -> bool {
        if then.date() == today.date() {
            return true;
        }
        let then_children: HashSet<UnitId> = then.children(unit).iter().map(|c| c.unit).collect();
        let moved_in = today.children(unit).iter().any(|c| {
            then.by_unit(c.unit)
                .is_some_and(|old| old.parent != Some(unit))
        });
        let left = then_children.iter().any(|&c| match today.by_unit(c) {
            Some(now) => now.parent != Some(unit),
            None => self.history.unit(c).is_some_and(|u| {
                u.superseded_by
                    .iter()
                    .any(|s| today.by_unit(*s).is_none_or(|n| n.parent != Some(unit)))
            }),
        });
        !moved_in && !left
    }
}
