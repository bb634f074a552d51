//! Which admin units hold a point: an R-tree over polygon envelopes narrows the candidates,
//! an exact point-in-polygon test decides, and a fixed rule settles borders so that every
//! point gets at most one unit per level — the same unit every time.

use geo::coordinate_position::CoordPos;
use geo::{BoundingRect, Coord};

use super::banded_polygon::BandedPolygon;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use crate::{AdminCode, AdminLevel, AdminUnit};

use super::error::check_point;
use super::IndexError;

/// A tree entry: the envelope of one polygon of a unit, and the index of that polygon in
/// [`AdminIndex::parts`].
type PartEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

#[derive(Debug, Clone)]
struct Part {
    unit: u32,
    polygon: BandedPolygon,
}

#[derive(Debug, Clone)]
struct UnitKey {
    level: AdminLevel,
    code: AdminCode,
    parent: Option<AdminCode>,
}

/// The admin layer's polygon index, answering "which units contain this point".
///
/// Each polygon of a unit's `MultiPolygon` gets its own envelope in the tree (Hangzhou's
/// 淳安县 is a thousand islands: one envelope per unit would cover the whole lake).
///
/// # Borders
/// [`chain`](Self::chain) returns at most one unit per level. Among the units of a level
/// whose closed polygon holds the point it picks, in order of preference:
/// 1. a unit whose interior holds the point (on a clean partition there is at most one);
/// 2. then, on a shared border or vertex, a unit whose `parent` is the unit chosen at the
///    level above (so the chain stays a chain);
/// 3. then the lowest [`AdminCode`] (and, for duplicate codes, the lowest record index).
///
/// So a point exactly on the border between two districts belongs to the district with the
/// lower code, and to that district's township and community on the border.
#[derive(Debug, Clone, Default)]
pub struct AdminIndex {
    tree: RTree<PartEntry>,
    parts: Vec<Part>,
    units: Vec<UnitKey>,
}

impl AdminIndex {
    /// Bulk-loads the envelopes of every unit's polygons. Units without geometry are kept
    /// (so record indices stay those of the layer) but can never be found.
    ///
    /// # Panics
    /// If the layer holds more than `u32::MAX` units or polygons.
    pub fn build(admin: &[AdminUnit]) -> Self {
        let mut parts = Vec::new();
        let mut entries = Vec::new();
        let mut units = Vec::with_capacity(admin.len());
        for (i, unit) in admin.iter().enumerate() {
            let i = u32::try_from(i).expect("at most u32::MAX admin units");
            units.push(UnitKey {
                level: unit.level,
                code: unit.code.clone(),
                parent: unit.parent.clone(),
            });
            for polygon in &unit.geometry {
                let Some(rect) = polygon.bounding_rect() else {
                    continue;
                };
                let part = u32::try_from(parts.len()).expect("at most u32::MAX polygons");
                let (lo, hi) = (rect.min(), rect.max());
                entries.push(GeomWithData::new(
                    Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]),
                    part,
                ));
                parts.push(Part {
                    unit: i,
                    polygon: BandedPolygon::new(polygon.clone()),
                });
            }
        }
        Self {
            tree: RTree::bulk_load(entries),
            parts,
            units,
        }
    }

    /// Number of indexed polygons.
    pub fn polygon_count(&self) -> usize {
        self.parts.len()
    }

    /// Indices (into [`Dataset::admin`](crate::Dataset::admin)) of the units holding the
    /// point, city → district → township → community, at most one per level; see
    /// [Borders](Self#borders) for points on a shared edge or vertex.
    pub fn chain(&self, lon: f64, lat: f64) -> Result<Vec<u32>, IndexError> {
        check_point("point", lon, lat)?;
        let coord = Coord { x: lon, y: lat };
        // (unit, on_boundary_only), one per unit: Inside wins over OnBoundary.
        let mut holding: Vec<(u32, bool)> = Vec::new();
        for entry in self.tree.locate_all_at_point(&[lon, lat]) {
            let part = &self.parts[entry.data as usize];
            let on_boundary = match part.polygon.position(coord) {
                CoordPos::Outside => continue,
                CoordPos::OnBoundary => true,
                CoordPos::Inside => false,
            };
            match holding.iter_mut().find(|(u, _)| *u == part.unit) {
                Some((_, b)) => *b &= on_boundary,
                None => holding.push((part.unit, on_boundary)),
            }
        }
        let mut chain = Vec::with_capacity(AdminLevel::ALL.len());
        let mut above: Option<&AdminCode> = None;
        for level in AdminLevel::ALL {
            let best = holding
                .iter()
                .filter(|(u, _)| self.units[*u as usize].level == level)
                .min_by(|(a, a_edge), (b, b_edge)| {
                    let (ka, kb) = (&self.units[*a as usize], &self.units[*b as usize]);
                    let orphan = |k: &UnitKey| above.is_some() && k.parent.as_ref() != above;
                    (a_edge, orphan(ka), &ka.code, a).cmp(&(b_edge, orphan(kb), &kb.code, b))
                });
            if let Some(&(unit, _)) = best {
                chain.push(unit);
                above = Some(&self.units[unit as usize].code);
            }
        }
        Ok(chain)
    }
}
