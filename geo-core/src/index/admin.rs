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
    grid: CellGrid,
}

/// A uniform grid over all parts: for each cell, the parts that may hold a point of it,
/// each flagged when the whole cell lies inside the part (no edge crosses the cell), so most
/// points need no point-in-polygon test at all.
#[derive(Debug, Clone, Default)]
struct CellGrid {
    min: [f64; 2],
    cell_deg: f64,
    nx: usize,
    ny: usize,
    /// CSR: entries of cell `c` are `entries[offsets[c]..offsets[c + 1]]`.
    offsets: Vec<u32>,
    /// Part index, with [`INSIDE`] set when the cell is wholly inside the part.
    entries: Vec<u32>,
}

/// Flag bit of [`CellGrid::entries`]: the cell lies wholly inside the part.
const INSIDE: u32 = 1 << 31;

impl CellGrid {
    fn cell_of(&self, x: f64, y: f64) -> Option<usize> {
        let cx = ((x - self.min[0]) / self.cell_deg).floor();
        let cy = ((y - self.min[1]) / self.cell_deg).floor();
        if cx < 0.0 || cy < 0.0 || cx >= self.nx as f64 || cy >= self.ny as f64 {
            return None;
        }
        Some(cy as usize * self.nx + cx as usize)
    }

    fn build(parts: &[Part], rects: &[[f64; 4]]) -> Self {
        if parts.is_empty() {
            return Self::default();
        }
        let mut min = [f64::INFINITY; 2];
        let mut max = [f64::NEG_INFINITY; 2];
        for r in rects {
            min = [min[0].min(r[0]), min[1].min(r[1])];
            max = [max[0].max(r[2]), max[1].max(r[3])];
        }
        // about sixteen cells per polygon part, at most four million cells
        let area = ((max[0] - min[0]) * (max[1] - min[1])).max(1e-12);
        let cells = (16 * parts.len()).clamp(1, 4_000_000) as f64;
        let cell_deg = (area / cells).sqrt().max(1e-9);
        let nx = ((max[0] - min[0]) / cell_deg).floor() as usize + 1;
        let ny = ((max[1] - min[1]) / cell_deg).floor() as usize + 1;
        let mut grid = Self {
            min,
            cell_deg,
            nx,
            ny,
            offsets: Vec::new(),
            entries: Vec::new(),
        };
        let mut per_cell: Vec<Vec<u32>> = vec![Vec::new(); nx * ny];
        let range = |lo: f64, hi: f64, origin: f64, n: usize| {
            let a = (((lo - origin) / cell_deg).floor().max(0.0) as usize).min(n - 1);
            let b = (((hi - origin) / cell_deg).floor().max(0.0) as usize).min(n - 1);
            a..=b
        };
        let mut crossed: Vec<bool> = Vec::new();
        for (pi, (part, r)) in parts.iter().zip(rects).enumerate() {
            let (xs, ys) = (range(r[0], r[2], min[0], nx), range(r[1], r[3], min[1], ny));
            let (w, x0, y0) = (xs.end() - xs.start() + 1, *xs.start(), *ys.start());
            crossed.clear();
            crossed.resize(w * (ys.end() - ys.start() + 1), false);
            // every cell an edge's bounding box touches may be crossed by it (conservative)
            for (a, b) in part.polygon.edges() {
                for cy in range(a.y.min(b.y), a.y.max(b.y), min[1], ny) {
                    for cx in range(a.x.min(b.x), a.x.max(b.x), min[0], nx) {
                        crossed[(cy - y0) * w + (cx - x0)] = true;
                    }
                }
            }
            for cy in ys.clone() {
                for cx in xs.clone() {
                    let cell = cy * nx + cx;
                    if crossed[(cy - y0) * w + (cx - x0)] {
                        per_cell[cell].push(pi as u32);
                    } else {
                        // no edge meets the cell: its centre tells for all of it
                        let centre = Coord {
                            x: min[0] + (cx as f64 + 0.5) * cell_deg,
                            y: min[1] + (cy as f64 + 0.5) * cell_deg,
                        };
                        if part.polygon.position(centre) == CoordPos::Inside {
                            per_cell[cell].push(pi as u32 | INSIDE);
                        }
                    }
                }
            }
        }
        grid.offsets.reserve(per_cell.len() + 1);
        grid.offsets.push(0);
        for list in per_cell {
            grid.entries.extend(list);
            grid.offsets
                .push(u32::try_from(grid.entries.len()).expect("grid fits u32"));
        }
        grid
    }
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
        let rects: Vec<[f64; 4]> = entries
            .iter()
            .map(|e| {
                let env = rstar::RTreeObject::envelope(e.geom());
                let (lo, hi) = (env.lower(), env.upper());
                [lo[0], lo[1], hi[0], hi[1]]
            })
            .collect();
        let grid = CellGrid::build(&parts, &rects);
        Self {
            tree: RTree::bulk_load(entries),
            parts,
            units,
            grid,
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
        let mut holding: Vec<(u32, bool)> = Vec::with_capacity(8);
        let mut candidates: Vec<u32> = Vec::with_capacity(16);
        match self.grid.cell_of(lon, lat) {
            Some(cell) => {
                let (a, b) = (
                    self.grid.offsets[cell] as usize,
                    self.grid.offsets[cell + 1] as usize,
                );
                candidates.extend_from_slice(&self.grid.entries[a..b]);
            }
            None => candidates.extend(self.tree.locate_all_at_point(&[lon, lat]).map(|e| e.data)),
        }
        for entry in candidates {
            let part = &self.parts[(entry & !INSIDE) as usize];
            let position = if entry & INSIDE != 0 {
                CoordPos::Inside
            } else {
                part.polygon.position(coord)
            };
            let on_boundary = match position {
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
