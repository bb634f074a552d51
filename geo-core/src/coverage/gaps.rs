//! Gaps: uncovered doorplates grouped into areas a planner can point at.
//!
//! Doorplates are binned on a square grid (default 200 m, roughly a block) in a local
//! equirectangular frame at the network's mean latitude (cells are within ±1.5% of their
//! nominal size across Hangzhou's 1.5° of latitude); cells holding uncovered doorplates
//! form areas by 8-neighbour connectivity, so a gap is a patch of uncovered blocks that
//! touch at least at a corner. Areas never cross an administrative border at the chosen
//! level ([`CoverageEngine::gaps_by_unit`]): in the countryside uncovered blocks touch
//! from one township to the next, and one "gap" spanning half the city points a planner
//! nowhere, while a gap per township is something its street office can act on. Each
//! area's outline is the exact outline of its cells (no convex hull, which would claim
//! covered blocks between arms of the area). Areas are ranked by uncovered elderly, then
//! residents, then position.

use std::collections::{HashMap, HashSet, VecDeque};

use geo::{Coord, MultiPolygon};

use super::cancel::Cancel;
use super::service_area::cells_to_polygons;
use super::{metres_per_degree, CoverageEngine, CoverageError, CoverageResult};
use crate::AdminLevel;

/// One uncovered area.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Outline: the exact outline of the area's grid cells (WGS84); several polygons when
    /// cells touch only at corners.
    pub outline: MultiPolygon<f64>,
    /// Index (into the dataset's admin units) of the unit of the requested level the area
    /// lies in; `None` for doorplates without a known unit, or when no level was asked.
    pub unit: Option<u32>,
    /// Grid cells in the area.
    pub cells: usize,
    /// Uncovered doorplates (indices into the dataset's doorplates), ascending.
    pub doorplates: Vec<u32>,
    /// Their residents.
    pub residents: u64,
    /// Their residents aged 60+.
    pub elderly: u64,
}

/// A square grid in a local metric frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub lon0: f64,
    pub lat0: f64,
    pub kx: f64,
    pub ky: f64,
    pub cell_m: f64,
}

impl Grid {
    pub fn new(lon0: f64, lat0: f64, cell_m: f64) -> Result<Self, CoverageError> {
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(CoverageError::BadCellSize { cell_m });
        }
        let (kx, ky) = metres_per_degree(lat0);
        Ok(Self {
            lon0,
            lat0,
            kx,
            ky,
            cell_m,
        })
    }

    /// Position in cell units (fractional).
    #[inline]
    pub fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.kx / self.cell_m,
            (lat - self.lat0) * self.ky / self.cell_m,
        )
    }

    #[inline]
    pub fn cell(&self, lon: f64, lat: f64) -> (i64, i64) {
        let (x, y) = self.xy(lon, lat);
        (x.floor() as i64, y.floor() as i64)
    }

    /// Grid vertex `(i, j)` as WGS84.
    #[inline]
    pub fn corner(&self, i: i64, j: i64) -> Coord<f64> {
        Coord {
            x: self.lon0 + i as f64 * self.cell_m / self.kx,
            y: self.lat0 + j as f64 * self.cell_m / self.ky,
        }
    }
}

impl CoverageEngine {
    /// The grid frame shared by gaps and service areas: origin at the mean node position.
    pub(crate) fn grid(&self, cell_m: f64) -> Result<Grid, CoverageError> {
        let pts = if self.nodes.is_empty() {
            &self.lon_lat
        } else {
            &self.nodes
        };
        let n = pts.len().max(1) as f64;
        let lon0 = pts.iter().map(|p| p[0]).sum::<f64>() / n;
        let lat0 = pts.iter().map(|p| p[1]).sum::<f64>() / n;
        Grid::new(lon0, lat0, cell_m)
    }

    /// Uncovered doorplates grouped into areas on a `cell_m` grid (200 m suits blocks),
    /// largest uncovered elderly first. Areas may cross administrative borders; see
    /// [`Self::gaps_by_unit`] to keep them within one unit.
    pub fn gaps(&self, result: &CoverageResult, cell_m: f64) -> Result<Vec<Gap>, CoverageError> {
        self.gaps_by_unit(result, cell_m, None)
    }

    /// Like [`Self::gaps`], but an area never spans two units of `level`: each uncovered
    /// doorplate is binned by (its unit at `level`, cell), so neighbouring cells of two
    /// townships form two gaps. Doorplates without a known unit group among themselves.
    pub fn gaps_by_unit(
        &self,
        result: &CoverageResult,
        cell_m: f64,
        level: Option<AdminLevel>,
    ) -> Result<Vec<Gap>, CoverageError> {
        self.gaps_by_unit_cancellable(result, cell_m, level, &Cancel::never())
    }

    /// [`Self::gaps_by_unit`], returning [`CoverageError::Cancelled`] when `cancel` is
    /// cancelled before it is done.
    pub fn gaps_by_unit_cancellable(
        &self,
        result: &CoverageResult,
        cell_m: f64,
        level: Option<AdminLevel>,
        cancel: &Cancel,
    ) -> Result<Vec<Gap>, CoverageError> {
        self.gaps_keyed(
            result,
            cell_m,
            |i| level.map_or(u32::MAX, |l| self.rollup.unit_at(i, l)),
            cancel,
        )
    }

    /// Like [`Self::gaps_by_unit`] for units that are not the dataset's — those of a past
    /// edition, each made of some of today's units: `group_of_unit[u]` (indexed like the
    /// dataset's admin units) is the group unit `u` belongs to, `u32::MAX` for none. A
    /// doorplate belongs to the group of its community or of its nearest ancestor in one,
    /// an area never spans two groups, and [`Gap::unit`] is the group (`None`: doorplates
    /// in no group, grouped among themselves).
    ///
    /// ```
    /// # use civmap_geo_core::coverage::CoverageEngine;
    /// # fn f(engine: &CoverageEngine, r: &civmap_geo_core::coverage::CoverageResult)
    /// # -> Result<(), civmap_geo_core::coverage::CoverageError> {
    /// use civmap_geo_core::coverage::Cancel;
    /// // every unit in group 0: the gaps of one unit covering the city
    /// let groups = vec![0; engine.admin_unit_count()];
    /// let gaps = engine.gaps_by_group_cancellable(r, 200.0, &groups, &Cancel::never())?;
    /// assert!(gaps.iter().all(|g| g.unit == Some(0)));
    /// # Ok(()) }
    /// ```
    pub fn gaps_by_group_cancellable(
        &self,
        result: &CoverageResult,
        cell_m: f64,
        group_of_unit: &[u32],
        cancel: &Cancel,
    ) -> Result<Vec<Gap>, CoverageError> {
        self.gaps_keyed(
            result,
            cell_m,
            |i| self.rollup.group_of(i, group_of_unit),
            cancel,
        )
    }

    /// The admin units the engine was built over (the length of a `group_of_unit`).
    pub fn admin_unit_count(&self) -> usize {
        self.rollup.unit_count()
    }

    /// Gaps whose doorplates share a key (`key(doorplate)`, `u32::MAX`: no unit).
    fn gaps_keyed(
        &self,
        result: &CoverageResult,
        cell_m: f64,
        key: impl Fn(usize) -> u32,
        cancel: &Cancel,
    ) -> Result<Vec<Gap>, CoverageError> {
        let grid = self.grid(cell_m)?;
        let mut check = cancel.checker();
        type Key = (u32, i64, i64);
        let mut cells: HashMap<Key, Vec<u32>> = HashMap::new();
        for (i, &c) in result.covered.iter().enumerate() {
            check.tick()?;
            if !c {
                let [lon, lat] = self.lon_lat[i];
                if lon.is_finite() && lat.is_finite() {
                    let unit = key(i);
                    let (x, y) = grid.cell(lon, lat);
                    cells.entry((unit, x, y)).or_default().push(i as u32);
                }
            }
        }
        let mut keys: Vec<Key> = cells.keys().copied().collect();
        keys.sort_unstable();
        let mut seen: HashSet<Key> = HashSet::with_capacity(keys.len());
        let mut gaps = Vec::new();
        for start in keys {
            check.tick()?;
            if !seen.insert(start) {
                continue;
            }
            let unit = start.0;
            let mut queue = VecDeque::from([start]);
            let mut members = Vec::new();
            let mut area: HashSet<(i64, i64)> = HashSet::new();
            while let Some(key @ (_, i, j)) = queue.pop_front() {
                check.tick()?;
                area.insert((i, j));
                members.extend_from_slice(&cells[&key]);
                for di in -1..=1 {
                    for dj in -1..=1 {
                        let nb = (unit, i + di, j + dj);
                        if cells.contains_key(&nb) && seen.insert(nb) {
                            queue.push_back(nb);
                        }
                    }
                }
            }
            members.sort_unstable();
            gaps.push(Gap {
                outline: cells_to_polygons(&area, &grid, cancel)?,
                unit: (unit != u32::MAX).then_some(unit),
                cells: area.len(),
                residents: members
                    .iter()
                    .map(|&i| self.residents[i as usize] as u64)
                    .sum(),
                elderly: members
                    .iter()
                    .map(|&i| self.elderly[i as usize] as u64)
                    .sum(),
                doorplates: members,
            });
        }
        gaps.sort_by(|a, b| {
            b.elderly
                .cmp(&a.elderly)
                .then(b.residents.cmp(&a.residents))
                .then(a.doorplates[0].cmp(&b.doorplates[0]))
        });
        Ok(gaps)
    }
}
