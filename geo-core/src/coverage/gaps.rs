//! Gaps: uncovered doorplates grouped into areas a planner can point at.
//!
//! Doorplates are binned on a square grid (default 200 m, roughly a block) in a local
//! equirectangular frame at the network's mean latitude (cells are within ±1.5% of their
//! nominal size across Hangzhou's 1.5° of latitude); cells holding uncovered doorplates
//! form areas by 8-neighbour connectivity, so a gap is a patch of uncovered blocks that
//! touch at least at a corner. Each area's outline is the convex hull of its cells'
//! corners. Areas are ranked by uncovered elderly, then residents, then position.

use std::collections::{HashMap, VecDeque};

use geo::{ConvexHull, Coord, MultiPoint, Point, Polygon};

use super::{metres_per_degree, CoverageEngine, CoverageError, CoverageResult};

/// One uncovered area.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Outline: convex hull of the area's grid cells (WGS84).
    pub polygon: Polygon<f64>,
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
    /// largest uncovered elderly first.
    pub fn gaps(&self, result: &CoverageResult, cell_m: f64) -> Result<Vec<Gap>, CoverageError> {
        let grid = self.grid(cell_m)?;
        let mut cells: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (i, &c) in result.covered.iter().enumerate() {
            if !c {
                let [lon, lat] = self.lon_lat[i];
                if lon.is_finite() && lat.is_finite() {
                    cells.entry(grid.cell(lon, lat)).or_default().push(i as u32);
                }
            }
        }
        let mut keys: Vec<(i64, i64)> = cells.keys().copied().collect();
        keys.sort_unstable();
        let mut seen: HashMap<(i64, i64), ()> = HashMap::with_capacity(keys.len());
        let mut gaps = Vec::new();
        for start in keys {
            if seen.insert(start, ()).is_some() {
                continue;
            }
            let mut queue = VecDeque::from([start]);
            let mut members = Vec::new();
            let mut corners = Vec::new();
            let mut n_cells = 0;
            while let Some((i, j)) = queue.pop_front() {
                n_cells += 1;
                members.extend_from_slice(&cells[&(i, j)]);
                for (di, dj) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    corners.push(Point(grid.corner(i + di, j + dj)));
                }
                for di in -1..=1 {
                    for dj in -1..=1 {
                        let nb = (i + di, j + dj);
                        if cells.contains_key(&nb) && seen.insert(nb, ()).is_none() {
                            queue.push_back(nb);
                        }
                    }
                }
            }
            members.sort_unstable();
            gaps.push(Gap {
                polygon: MultiPoint(corners).convex_hull(),
                cells: n_cells,
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
