//! The topology validator: OGC validity, overlaps, gaps, slivers and nesting of the
//! administrative units, every level in one pass.
//!
//! # How it works
//!
//! Every unit is projected once to a CGCS2000 3° Gauss–Krüger zone (metres), its rings are
//! oriented (exteriors counter-clockwise, holes clockwise), vertices closer than
//! [`ValidateOptions::snap_m`] are merged, and a vertex lying within that distance of another
//! ring's segment is inserted into it (T-junctions), as `tiles/src/topology.rs` does for the
//! shared arcs. Each ring is then a cycle of *edges* between vertex ids.
//!
//! A level tiles its frame exactly when, edge by edge, the sum of its units' boundaries
//! equals the frame's boundary. So an edge of a unit is *clean* when
//!
//! - exactly one other unit of the level walks it the other way (a shared border), or
//! - no unit of the level walks it the other way and it lies, in the same direction, on the
//!   frame's outer border (an edge of the parent level that no parent walks the other way);
//!
//! and an edge of the frame's outer border is clean when exactly one unit of the level walks
//! it. Nesting is the same test per parent: a child's edge lies on its parent's edge or is
//! shared with a sibling, and each of the parent's edges is walked by exactly one child.
//! Only where edges are not clean does the validator run boolean operations (geo's
//! `BooleanOps`), clipped to the bounding box of each cluster of dirty edges; a clean
//! dataset costs hash look-ups only.
//!
//! # Tolerance
//!
//! The snapping tolerance defaults to 3 mm ([`DEFAULT_SNAP_M`]), GEOS/JTS coverage
//! validation's default snap distance (extent / 10⁸) for Hangzhou's ≈300 km extent. The
//! default data's neighbours agree to ~1e-9° (0.1 mm). A piece (overlap, gap, uncovered or
//! outside part) whose width is at most twice the tolerance is tolerance noise and is not
//! reported.
//!
//! # Rules and measures
//!
//! - `invalid_polygon`: geo's OGC validation of the unit's own (unsnapped) geometry; codes
//!   = the unit.
//! - `overlap`: ground covered by two units of one level; one finding per pair, geometry the
//!   overlap polygon(s); codes = the pair, sorted.
//! - `gap`: ground inside the level's frame (the parent level's union) covered by no unit of
//!   the level; one finding per connected piece; codes = the units of the level sharing a
//!   stretch of its boundary (more than 10 snapping tolerances long, so not a unit that
//!   touches it only at a corner or junction), sorted. A level without a parent level present has no frame, so no gaps.
//! - `sliver`: a piece of an overlap or gap, or a polygon of a unit, that is *narrow and
//!   long*: width below [`ValidateOptions::sliver_width_m`] and elongation
//!   `area_m2 / width_m²` at least [`ValidateOptions::sliver_min_elongation`] (a thin
//!   triangle of base *b* and height *h* has elongation ≈ *b* / 2*h*). A sliver piece is
//!   reported once, as `sliver` (its detail says whether it is an overlap, a gap or a unit
//!   part), not also as `overlap` or `gap`: the width says it is a digitising artefact
//!   rather than a disputed area. Codes as for the overlap or gap, or the unit.
//! - `child_outside_parent`: the part of a child beyond its parent; one finding per child;
//!   codes = `[child, parent]`.
//! - `children_do_not_cover_parent`: the part of a parent that none of its children covers;
//!   one finding per parent; codes = `[parent]`. A child moved away shows up as both a `gap`
//!   of its level and this rule for its parent: one is the level's coverage, the other the
//!   hierarchy, and surveyors fix them with different people.
//!
//! Width is the diameter of the largest inscribed circle (JTS's gap width), found with
//! [`super::width`] (polylabel, or erosion for elongated pieces) in Gauss–Krüger metres; area is on the CGCS2000 ellipsoid (geographiclib,
//! a = 6378137 m, 1/f = 298.257222101). Geometries are returned in WGS84 degrees
//! (CGCS2000 and WGS84 coordinates differ by a few centimetres at most, see `crs`).

use std::collections::{HashMap, HashSet};

use geo::{
    Area, BooleanOps, BoundingRect, Coord, Distance, Euclidean, Line, LineString, MultiPolygon,
    Point, Polygon, Rect, Validation,
};
use geographiclib_rs::{Geodesic, PolygonArea, Winding};

use super::width::{inscribed_diameter, perimeter};
use rstar::primitives::GeomWithData;
use rstar::{Envelope, RTree, AABB};

use super::report::{Finding, Rule};
use crate::crs::{GaussKruger, CGCS2000_INVERSE_FLATTENING, CGCS2000_SEMI_MAJOR_AXIS_M};
use crate::{AdminCode, AdminLevel, AdminUnit};

/// The district (one of `districts`) that owns a unit's validation work when a run is
/// split by district ([`Validator::validate_owned`]): the district whose 6-digit prefix
/// the code has, else (the city, a code of no listed district) the lowest listed one.
/// `None` only when `districts` is empty.
///
/// ```
/// use civmap_geo_core::survey::validate::owning_district;
/// use civmap_geo_core::AdminCode;
/// let d: Vec<AdminCode> = ["330102000000", "330105000000"].iter().map(|c| AdminCode::parse(c).unwrap()).collect();
/// let town = AdminCode::parse("330105014000").unwrap();
/// assert_eq!(owning_district(&town, &d), Some(&d[1]));
/// let city = AdminCode::parse("330100000000").unwrap();
/// assert_eq!(owning_district(&city, &d), Some(&d[0]));
/// ```
pub fn owning_district<'a>(code: &AdminCode, districts: &'a [AdminCode]) -> Option<&'a AdminCode> {
    districts
        .iter()
        .find(|d| d.district_prefix() == code.district_prefix())
        .or_else(|| districts.iter().min())
}

/// The default snapping tolerance: GEOS coverage validation's extent / 10⁸ for Hangzhou.
pub const DEFAULT_SNAP_M: f64 = 0.003;

/// Settings of a validation run.
///
/// ```
/// use civmap_geo_core::survey::validate::ValidateOptions;
/// let o = ValidateOptions::default();
/// assert_eq!(o.snap_m, 0.003);
/// assert!(o.sliver_width_m < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidateOptions {
    /// Vertices closer than this are one vertex, and a vertex this close to a segment lies
    /// on it (metres). Pieces no wider than twice this are not reported.
    pub snap_m: f64,
    /// A piece narrower than this (inscribed-circle diameter, metres) may be a sliver.
    pub sliver_width_m: f64,
    /// …if its `area_m2 / width_m²` is at least this.
    pub sliver_min_elongation: f64,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self {
            snap_m: DEFAULT_SNAP_M,
            sliver_width_m: 0.5,
            sliver_min_elongation: 10.0,
        }
    }
}

type VertexTree = RTree<GeomWithData<[f64; 2], u32>>;
type UnitTree = RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, u32>>;
/// Polygons → rings (exterior first) → vertex ids (no closing repeat).
type IdRings = Vec<Vec<Vec<u32>>>;

/// One unit as the validator sees it.
#[derive(Debug, Clone)]
struct Entry {
    unit: AdminUnit,
    /// Snapped rings before T-junction splitting (kept to re-split after an edit).
    base: IdRings,
    /// Snapped and split rings.
    rings: IdRings,
    /// `rings` as a planar multipolygon (GK metres), what boolean operations run on.
    shape: MultiPolygon<f64>,
    bbox: [[f64; 2]; 2],
    /// Removed by an update (its slot is kept so indexes stay stable).
    removed: bool,
}

/// The topology validator over a set of administrative units, built once.
///
/// ```
/// use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
/// use civmap_geo_core::survey::Rule;
/// use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
/// use geo::{polygon, MultiPolygon};
/// let unit = |code: &str, level, parent: Option<&str>, poly| AdminUnit {
///     code: AdminCode::parse(code).unwrap(), name: code.into(), level,
///     parent: parent.map(|p| AdminCode::parse(p).unwrap()), kind: String::new(),
///     geometry: MultiPolygon(vec![poly]), population: 0, elderly: 0, synthetic: true,
/// };
/// let city = polygon![(x: 120.0, y: 30.0), (x: 120.02, y: 30.0), (x: 120.02, y: 30.01), (x: 120.0, y: 30.01)];
/// let a = polygon![(x: 120.0, y: 30.0), (x: 120.01, y: 30.0), (x: 120.01, y: 30.01), (x: 120.0, y: 30.01)];
/// // b reaches 0.001° (≈96 m) into a
/// let b = polygon![(x: 120.009, y: 30.0), (x: 120.02, y: 30.0), (x: 120.02, y: 30.01), (x: 120.009, y: 30.01)];
/// let units = [
///     unit("330100000000", AdminLevel::City, None, city),
///     unit("330102000000", AdminLevel::District, Some("330100000000"), a),
///     unit("330103000000", AdminLevel::District, Some("330100000000"), b),
/// ];
/// let v = Validator::new(&units, ValidateOptions::default());
/// let found = v.validate(&[AdminLevel::District]);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].rule, Rule::Overlap);
/// assert!((found[0].width_m.unwrap() - 96.4).abs() < 1.0);
/// ```
#[derive(Debug, Clone)]
pub struct Validator {
    options: ValidateOptions,
    gk: GaussKruger,
    entries: Vec<Entry>,
    by_code: HashMap<AdminCode, u32>,
    /// Snapped vertices in GK metres (what shapes and measures use).
    vertices: Vec<Coord<f64>>,
    /// The same vertices in the topology plane (what snapping and T-junctions use).
    plane_vertices: Vec<Coord<f64>>,
    plane: TopologyPlane,
    grid: HashMap<(i64, i64), Vec<u32>>,
    vertex_tree: VertexTree,
    /// Directed edge → the units walking it.
    edges: HashMap<(u32, u32), Vec<u32>>,
    unit_tree: UnitTree,
    levels_present: HashSet<AdminLevel>,
}

/// The level whose union is a level's frame, and whose units are its units' parents.
fn parent_level(level: AdminLevel) -> Option<AdminLevel> {
    match level {
        AdminLevel::City => None,
        AdminLevel::District => Some(AdminLevel::City),
        AdminLevel::Township => Some(AdminLevel::District),
        AdminLevel::Community => Some(AdminLevel::Township),
    }
}

fn unit_rect(
    bbox: [[f64; 2]; 2],
    i: u32,
) -> GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, u32> {
    GeomWithData::new(
        rstar::primitives::Rectangle::from_corners(bbox[0], bbox[1]),
        i,
    )
}

/// A local equirectangular plane (metres east and north of a centre): straight lines in it
/// are straight in longitude/latitude, as the data's edges are (GIS edges between two
/// vertices are straight in the coordinates stored, and civmap's generator cuts townships in
/// such a plane), so a T-junction found here is on the segment in the data's own terms. A
/// Gauss–Krüger chord bows away from it (4 cm over 2 km at 30°N), too much for a 3 mm
/// tolerance. Its scale error over the city stays under 2%.
#[derive(Debug, Clone, Copy)]
struct TopologyPlane {
    lon0: f64,
    lat0: f64,
    m_per_deg_lon: f64,
    m_per_deg_lat: f64,
}

impl TopologyPlane {
    fn new(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        let a = CGCS2000_SEMI_MAJOR_AXIS_M;
        let f = 1.0 / CGCS2000_INVERSE_FLATTENING;
        let e2 = f * (2.0 - f);
        let w = (1.0 - e2 * phi.sin().powi(2)).sqrt();
        Self {
            lon0,
            lat0,
            m_per_deg_lon: a / w * phi.cos() * std::f64::consts::PI / 180.0,
            m_per_deg_lat: a * (1.0 - e2) / w.powi(3) * std::f64::consts::PI / 180.0,
        }
    }

    fn to_plane(self, ll: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (ll.x - self.lon0) * self.m_per_deg_lon,
            y: (ll.y - self.lat0) * self.m_per_deg_lat,
        }
    }

    fn to_lon_lat(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.m_per_deg_lon + self.lon0,
            y: c.y / self.m_per_deg_lat + self.lat0,
        }
    }
}

fn ring_signed_area(pts: &[Coord<f64>]) -> f64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

impl Validator {
    /// Projects, snaps and indexes `units` (every level; the city too, as the districts'
    /// frame).
    pub fn new(units: &[AdminUnit], options: ValidateOptions) -> Self {
        let (sum, n) = units
            .iter()
            .flat_map(|u| u.geometry.0.iter().flat_map(|p| p.exterior().0.iter()))
            .fold((0.0, 0usize), |(s, n), c| (s + c.x, n + 1));
        let cm = if n == 0 {
            120.0
        } else {
            (sum / n as f64 / 3.0).round() * 3.0
        };
        let gk = u32::try_from(cm as i64)
            .ok()
            .and_then(|c| GaussKruger::cgcs2000_3deg(c).ok())
            .unwrap_or_else(GaussKruger::hangzhou);
        let lat_sum: f64 = units
            .iter()
            .flat_map(|u| u.geometry.0.iter().flat_map(|p| p.exterior().0.iter()))
            .map(|c| c.y)
            .sum();
        let plane = TopologyPlane::new(
            if n == 0 { 120.0 } else { sum / n as f64 },
            if n == 0 { 30.0 } else { lat_sum / n as f64 },
        );
        let mut v = Self {
            options,
            gk,
            entries: Vec::with_capacity(units.len()),
            by_code: HashMap::with_capacity(units.len()),
            vertices: Vec::new(),
            plane_vertices: Vec::new(),
            plane,
            grid: HashMap::new(),
            vertex_tree: RTree::new(),
            edges: HashMap::new(),
            unit_tree: RTree::new(),
            levels_present: HashSet::new(),
        };
        for u in units {
            let base = v.snap_unit(u);
            let i = v.entries.len() as u32;
            v.by_code.insert(u.code.clone(), i);
            v.levels_present.insert(u.level);
            v.entries.push(Entry {
                unit: u.clone(),
                base,
                rings: Vec::new(),
                shape: MultiPolygon(Vec::new()),
                bbox: [[0.0; 2]; 2],
                removed: false,
            });
        }
        v.vertex_tree = RTree::bulk_load(
            v.plane_vertices
                .iter()
                .enumerate()
                .map(|(i, c)| GeomWithData::new([c.x, c.y], i as u32))
                .collect(),
        );
        for i in 0..v.entries.len() as u32 {
            v.split_and_index(i);
        }
        v.unit_tree = RTree::bulk_load(
            v.entries
                .iter()
                .enumerate()
                .map(|(i, e)| unit_rect(e.bbox, i as u32))
                .collect(),
        );
        v
    }

    /// Replaces the unit with the same code by `unit` (or adds it), re-snapping it and the
    /// units around it, so that [`Validator::validate_window`] over the edit sees the new
    /// geometry. Costs milliseconds, not a rebuild.
    pub fn update(&mut self, unit: AdminUnit) {
        let i = match self.by_code.get(&unit.code) {
            Some(&i) => {
                self.unindex(i);
                let old = unit_rect(self.entries[i as usize].bbox, i);
                self.unit_tree.remove(&old);
                i
            }
            None => {
                let i = self.entries.len() as u32;
                self.by_code.insert(unit.code.clone(), i);
                self.entries.push(Entry {
                    unit: unit.clone(),
                    base: Vec::new(),
                    rings: Vec::new(),
                    shape: MultiPolygon(Vec::new()),
                    bbox: [[0.0; 2]; 2],
                    removed: false,
                });
                i
            }
        };
        self.levels_present.insert(unit.level);
        let first_new = self.vertices.len();
        let base = self.snap_unit(&unit);
        for (k, c) in self.plane_vertices[first_new..].iter().enumerate() {
            self.vertex_tree
                .insert(GeomWithData::new([c.x, c.y], (first_new + k) as u32));
        }
        {
            let e = &mut self.entries[i as usize];
            e.unit = unit;
            e.base = base;
            e.removed = false;
        }
        self.split_and_index(i);
        self.unit_tree
            .insert(unit_rect(self.entries[i as usize].bbox, i));
        // neighbours may now have one of the new vertices on a segment
        if first_new < self.vertices.len() {
            let new_box = self.plane_vertices[first_new..].iter().fold(
                [[f64::INFINITY; 2], [f64::NEG_INFINITY; 2]],
                |b, c| {
                    [
                        [b[0][0].min(c.x), b[0][1].min(c.y)],
                        [b[1][0].max(c.x), b[1][1].max(c.y)],
                    ]
                },
            );
            let s = self.options.snap_m;
            let env = AABB::from_corners(
                [new_box[0][0] - s, new_box[0][1] - s],
                [new_box[1][0] + s, new_box[1][1] + s],
            );
            let lo = self.gk.forward(self.plane.to_lon_lat(Coord {
                x: env.lower()[0],
                y: env.lower()[1],
            }));
            let hi = self.gk.forward(self.plane.to_lon_lat(Coord {
                x: env.upper()[0],
                y: env.upper()[1],
            }));
            // GK and the plane differ by a rotation of at most a degree or two: pad by 1%
            let pad = 0.01 * ((hi.x - lo.x).abs() + (hi.y - lo.y).abs()) + 1.0;
            let env = AABB::from_corners(
                [lo.x.min(hi.x) - pad, lo.y.min(hi.y) - pad],
                [lo.x.max(hi.x) + pad, lo.y.max(hi.y) + pad],
            );
            let near: Vec<u32> = self
                .unit_tree
                .locate_in_envelope_intersecting(&env)
                .map(|r| r.data)
                .filter(|&j| j != i)
                .collect();
            for j in near {
                self.unindex(j);
                self.split_and_index(j);
            }
        }
    }

    /// Every finding of the given levels (validity, overlaps, gaps, slivers, and nesting of
    /// each level's units in their parents).
    pub fn validate(&self, levels: &[AdminLevel]) -> Vec<Finding> {
        self.run(None, levels, &|_| true)
    }

    /// The findings of [`Self::validate`] that `owns` claims, computing only those: each
    /// piece of work belongs to one unit — a unit's own checks and its part beyond its
    /// parent to the unit, an overlap to the lower code of its pair, a cluster of gaps to
    /// the lowest code of the units around it, what a parent's children leave uncovered to
    /// the parent. Every run finds the same work, so runs whose `owns` split the codes
    /// between them (say, by district, one per process of a batch job) find together
    /// exactly what one [`Self::validate`] finds, each finding once.
    ///
    /// ```
    /// use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
    /// use civmap_geo_core::{AdminLevel, AdminUnit};
    /// let units: Vec<AdminUnit> = Vec::new();
    /// let v = Validator::new(&units, ValidateOptions::default());
    /// let mine = v.validate_owned(&AdminLevel::ALL, &|code| code.district_prefix() == "330102");
    /// assert!(mine.is_empty());
    /// ```
    pub fn validate_owned(
        &self,
        levels: &[AdminLevel],
        owns: &dyn Fn(&AdminCode) -> bool,
    ) -> Vec<Finding> {
        self.run(None, levels, owns)
    }

    /// The findings of the given levels that involve units touching `bbox_wgs84` (degrees):
    /// after an edit ([`Validator::update`]) only the window around it needs checking.
    pub fn validate_window(&self, bbox_wgs84: Rect<f64>, levels: &[AdminLevel]) -> Vec<Finding> {
        let corners = [
            bbox_wgs84.min(),
            bbox_wgs84.max(),
            Coord {
                x: bbox_wgs84.min().x,
                y: bbox_wgs84.max().y,
            },
            Coord {
                x: bbox_wgs84.max().x,
                y: bbox_wgs84.min().y,
            },
        ]
        .map(|c| self.gk.forward(c));
        let env = AABB::from_points(
            corners
                .iter()
                .map(|c| [c.x, c.y])
                .collect::<Vec<_>>()
                .iter(),
        );
        self.run(Some(env), levels, &|_| true)
    }

    /// Number of units indexed.
    pub fn unit_count(&self) -> usize {
        self.entries.iter().filter(|e| !e.removed).count()
    }

    // ---- building --------------------------------------------------------------------

    /// The id of the vertex at `ll` (degrees), merging it with one within the tolerance.
    fn snap_vertex(&mut self, ll: Coord<f64>) -> u32 {
        let c = self.plane.to_plane(ll);
        let s = self.options.snap_m;
        let cell = ((c.x / s).floor() as i64, (c.y / s).floor() as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(ids) = self.grid.get(&(cell.0 + dx, cell.1 + dy)) {
                    if let Some(&id) = ids.iter().find(|&&id| {
                        let p = self.plane_vertices[id as usize];
                        (p.x - c.x).hypot(p.y - c.y) <= s
                    }) {
                        return id;
                    }
                }
            }
        }
        let id = self.vertices.len() as u32;
        self.vertices.push(self.gk.forward(ll));
        self.plane_vertices.push(c);
        self.grid.entry(cell).or_default().push(id);
        id
    }

    fn snap_unit(&mut self, u: &AdminUnit) -> IdRings {
        let mut polys = Vec::new();
        for p in &u.geometry.0 {
            let mut rings = Vec::new();
            for (k, r) in std::iter::once(p.exterior())
                .chain(p.interiors())
                .enumerate()
            {
                let mut pts: Vec<Coord<f64>> = r.0.clone();
                if pts.len() > 1 && pts[0] == pts[pts.len() - 1] {
                    pts.pop();
                }
                let area = ring_signed_area(&pts); // degrees: same sign as in metres
                if (k == 0) != (area > 0.0) {
                    pts.reverse();
                }
                let mut ids: Vec<u32> = Vec::with_capacity(pts.len());
                for c in pts {
                    let id = self.snap_vertex(c);
                    if ids.last() != Some(&id) {
                        ids.push(id);
                    }
                }
                while ids.len() > 1 && ids[0] == ids[ids.len() - 1] {
                    ids.pop();
                }
                if ids.len() >= 3 {
                    rings.push(ids);
                } else if k == 0 {
                    break;
                }
            }
            if !rings.is_empty() {
                polys.push(rings);
            }
        }
        polys
    }

    /// Splits unit `i`'s rings at the vertices lying on their segments, rebuilds its shape
    /// and box, and adds its edges to the index.
    fn split_and_index(&mut self, i: u32) {
        let s = self.options.snap_m;
        let mut rings: IdRings = Vec::with_capacity(self.entries[i as usize].base.len());
        for poly in &self.entries[i as usize].base {
            let mut out_poly = Vec::with_capacity(poly.len());
            for ring in poly {
                let n = ring.len();
                let mut out: Vec<u32> = Vec::with_capacity(n);
                for k in 0..n {
                    let (ia, ib) = (ring[k], ring[(k + 1) % n]);
                    out.push(ia);
                    let (a, b) = (
                        self.plane_vertices[ia as usize],
                        self.plane_vertices[ib as usize],
                    );
                    let (dx, dy) = (b.x - a.x, b.y - a.y);
                    let len2 = dx * dx + dy * dy;
                    if len2 == 0.0 {
                        continue;
                    }
                    let env = AABB::from_corners(
                        [a.x.min(b.x) - s, a.y.min(b.y) - s],
                        [a.x.max(b.x) + s, a.y.max(b.y) + s],
                    );
                    let mut on: Vec<(f64, u32)> = self
                        .vertex_tree
                        .locate_in_envelope(&env)
                        .filter_map(|p| {
                            let [px, py] = *p.geom();
                            let t = ((px - a.x) * dx + (py - a.y) * dy) / len2;
                            let d = (px - a.x - t * dx).hypot(py - a.y - t * dy);
                            (t > 0.0 && t < 1.0 && d <= s && p.data != ia && p.data != ib)
                                .then_some((t, p.data))
                        })
                        .collect();
                    on.sort_by(|x, y| x.0.total_cmp(&y.0));
                    out.extend(on.into_iter().map(|(_, id)| id));
                }
                // drop repeats and spikes
                let mut clean: Vec<u32> = Vec::with_capacity(out.len());
                for id in out {
                    if clean.last() == Some(&id) {
                        continue;
                    }
                    if clean.len() >= 2 && clean[clean.len() - 2] == id {
                        clean.pop();
                        continue;
                    }
                    clean.push(id);
                }
                while clean.len() > 1 && clean.first() == clean.last() {
                    clean.pop();
                }
                if clean.len() >= 3 {
                    out_poly.push(clean);
                }
            }
            if !out_poly.is_empty() {
                rings.push(out_poly);
            }
        }
        let to_ls = |r: &Vec<u32>| {
            let mut pts: Vec<Coord<f64>> = r.iter().map(|&id| self.vertices[id as usize]).collect();
            pts.push(pts[0]);
            LineString(pts)
        };
        let shape = MultiPolygon(
            rings
                .iter()
                .map(|p| Polygon::new(to_ls(&p[0]), p[1..].iter().map(to_ls).collect()))
                .collect(),
        );
        let bbox = shape
            .bounding_rect()
            .map(|r| [[r.min().x, r.min().y], [r.max().x, r.max().y]])
            .unwrap_or([[0.0; 2]; 2]);
        for poly in &rings {
            for ring in poly {
                let n = ring.len();
                for k in 0..n {
                    self.edges
                        .entry((ring[k], ring[(k + 1) % n]))
                        .or_default()
                        .push(i);
                }
            }
        }
        let e = &mut self.entries[i as usize];
        e.rings = rings;
        e.shape = shape;
        e.bbox = bbox;
    }

    fn unindex(&mut self, i: u32) {
        let rings = std::mem::take(&mut self.entries[i as usize].rings);
        for poly in &rings {
            for ring in poly {
                let n = ring.len();
                for k in 0..n {
                    let key = (ring[k], ring[(k + 1) % n]);
                    if let Some(v) = self.edges.get_mut(&key) {
                        v.retain(|&u| u != i);
                        if v.is_empty() {
                            self.edges.remove(&key);
                        }
                    }
                }
            }
        }
    }

    // ---- edge tests ------------------------------------------------------------------

    fn walkers(&self, a: u32, b: u32) -> &[u32] {
        self.edges.get(&(a, b)).map_or(&[], |v| v.as_slice())
    }

    fn count_level(&self, a: u32, b: u32, level: AdminLevel) -> usize {
        self.walkers(a, b)
            .iter()
            .filter(|&&u| self.entries[u as usize].unit.level == level)
            .count()
    }

    /// Whether `(a, b)` is an edge of the outer border of `level`'s union.
    fn is_frame_border(&self, a: u32, b: u32, frame: AdminLevel) -> bool {
        self.count_level(a, b, frame) == 1 && self.count_level(b, a, frame) == 0
    }

    fn level_edge_clean(&self, a: u32, b: u32, level: AdminLevel) -> bool {
        let fw = self.count_level(a, b, level);
        let bw = self.count_level(b, a, level);
        match (fw, bw) {
            (1, 1) => true,
            (1, 0) => match parent_level(level) {
                Some(p) if self.levels_present.contains(&p) => self.is_frame_border(a, b, p),
                _ => true,
            },
            _ => false,
        }
    }

    fn children_of<'a>(
        &'a self,
        a: u32,
        b: u32,
        parent: &'a AdminCode,
        level: AdminLevel,
    ) -> impl Iterator<Item = u32> + 'a {
        self.walkers(a, b).iter().copied().filter(move |&u| {
            let e = &self.entries[u as usize].unit;
            e.level == level && e.parent.as_ref() == Some(parent)
        })
    }

    fn nesting_child_edge_clean(&self, a: u32, b: u32, child: &AdminUnit, parent: u32) -> bool {
        let Some(pc) = child.parent.as_ref() else {
            return true;
        };
        let same = self.children_of(a, b, pc, child.level).count();
        let opposite = self.children_of(b, a, pc, child.level).count();
        same == 1 && (opposite == 1 || (opposite == 0 && self.walkers(a, b).contains(&parent)))
    }

    // ---- the run ---------------------------------------------------------------------

    fn units_of(&self, level: AdminLevel, env: Option<&AABB<[f64; 2]>>) -> Vec<u32> {
        match env {
            Some(w) => {
                let mut v: Vec<u32> = self
                    .unit_tree
                    .locate_in_envelope_intersecting(w)
                    .map(|r| r.data)
                    .filter(|&i| {
                        let e = &self.entries[i as usize];
                        !e.removed && e.unit.level == level
                    })
                    .collect();
                v.sort_unstable();
                v
            }
            None => (0..self.entries.len() as u32)
                .filter(|&i| {
                    let e = &self.entries[i as usize];
                    !e.removed && e.unit.level == level
                })
                .collect(),
        }
    }

    fn units_near(&self, level: AdminLevel, b: &AABB<[f64; 2]>) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .unit_tree
            .locate_in_envelope_intersecting(b)
            .map(|r| r.data)
            .filter(|&i| {
                let e = &self.entries[i as usize];
                !e.removed && e.unit.level == level
            })
            .collect();
        v.sort_unstable();
        v
    }

    fn ring_edges(&self, i: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries[i as usize]
            .rings
            .iter()
            .flatten()
            .flat_map(|r| {
                let n = r.len();
                (0..n).map(move |k| (r[k], r[(k + 1) % n]))
            })
    }

    fn run(
        &self,
        env: Option<AABB<[f64; 2]>>,
        levels: &[AdminLevel],
        owns: &dyn Fn(&AdminCode) -> bool,
    ) -> Vec<Finding> {
        let env = env.as_ref();
        let mut out = Vec::new();
        let mut levels: Vec<AdminLevel> = levels.to_vec();
        levels.sort();
        levels.dedup();
        // a level with no units at all was not loaded: nothing to cover its frame with
        levels.retain(|l| self.levels_present.contains(l));
        for &level in &levels {
            let units = self.units_of(level, env);
            self.check_units(&units, owns, &mut out);
            self.check_coverage(level, &units, env, owns, &mut out);
            self.check_nesting(level, &units, env, owns, &mut out);
        }
        out
    }

    /// `invalid_polygon` and unit-part slivers.
    fn check_units(
        &self,
        units: &[u32],
        owns: &dyn Fn(&AdminCode) -> bool,
        out: &mut Vec<Finding>,
    ) {
        for &i in units {
            let e = &self.entries[i as usize];
            if !owns(&e.unit.code) {
                continue;
            }
            let errors = e.unit.geometry.validation_errors();
            if let Some(first) = errors.first() {
                out.push(Finding {
                    rule: Rule::InvalidPolygon,
                    level: Some(e.unit.level),
                    codes: vec![e.unit.code.clone()],
                    marker: None,
                    geometry: e.unit.geometry.clone().into(),
                    area_m2: None,
                    width_m: None,
                    detail: format!(
                        "{} ({}) is not a valid polygon: {first}{}",
                        e.unit.code,
                        e.unit.name,
                        if errors.len() > 1 {
                            format!(" (and {} more problems)", errors.len() - 1)
                        } else {
                            String::new()
                        }
                    ),
                });
            }
            for p in &e.shape.0 {
                let area = p.unsigned_area();
                let perimeter = perimeter(p);
                // inscribed width ≥ 2·area/perimeter, so only these can be narrow
                if perimeter <= 0.0 || 2.0 * area / perimeter >= self.options.sliver_width_m {
                    continue;
                }
                let w = inscribed_diameter(p);
                if self.is_sliver(area, w) {
                    let mp = MultiPolygon(vec![p.clone()]);
                    let area_m2 = self.area_m2(&mp);
                    out.push(Finding {
                        rule: Rule::Sliver,
                        level: Some(e.unit.level),
                        codes: vec![e.unit.code.clone()],
                        marker: None,
                        geometry: self.to_wgs84(&mp).into(),
                        area_m2: Some(area_m2),
                        width_m: Some(w),
                        detail: format!(
                            "a part of {} ({}) is a sliver: {area_m2:.1} m², {w:.2} m wide",
                            e.unit.code, e.unit.name
                        ),
                    });
                }
            }
        }
    }

    fn is_sliver(&self, area_gk_m2: f64, width_m: f64) -> bool {
        width_m < self.options.sliver_width_m
            && width_m > 0.0
            && area_gk_m2 / (width_m * width_m) >= self.options.sliver_min_elongation
    }

    /// Overlaps, gaps and their slivers within one level.
    fn check_coverage(
        &self,
        level: AdminLevel,
        units: &[u32],
        env: Option<&AABB<[f64; 2]>>,
        owns: &dyn Fn(&AdminCode) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let frame = parent_level(level).filter(|p| self.levels_present.contains(p));
        let mut dirty_units: Vec<u32> = Vec::new();
        let mut dirty_segments: Vec<(u32, u32)> = Vec::new();
        for &i in units {
            let mut dirty = false;
            for (a, b) in self.ring_edges(i) {
                if !self.level_edge_clean(a, b, level) {
                    dirty = true;
                    dirty_segments.push((a, b));
                }
            }
            if dirty {
                dirty_units.push(i);
            }
        }
        if let Some(f) = frame {
            for p in self.units_of(f, env) {
                for (a, b) in self.ring_edges(p) {
                    if self.is_frame_border(a, b, f)
                        && !(self.count_level(a, b, level) == 1
                            && self.count_level(b, a, level) == 0)
                    {
                        dirty_segments.push((a, b));
                    }
                }
            }
        }
        // overlaps: every dirty unit against the units of the level around it
        let mut pairs: HashSet<(u32, u32)> = HashSet::new();
        for &i in &dirty_units {
            let e = &self.entries[i as usize];
            let b = AABB::from_corners(e.bbox[0], e.bbox[1]);
            for j in self.units_near(level, &b) {
                if j == i || !pairs.insert((i.min(j), i.max(j))) {
                    continue;
                }
                let (u, v) = (
                    &self.entries[i.min(j) as usize],
                    &self.entries[i.max(j) as usize],
                );
                if !owns(std::cmp::min(&u.unit.code, &v.unit.code)) {
                    continue;
                }
                let inter = u.shape.intersection(&v.shape);
                let mut codes = vec![u.unit.code.clone(), v.unit.code.clone()];
                codes.sort();
                let label = format!(
                    "{} ({}) and {} ({})",
                    u.unit.code, u.unit.name, v.unit.code, v.unit.name
                );
                self.report_pieces(inter, level, codes, "overlap", &label, Rule::Overlap, out);
            }
        }
        // gaps: the frame minus the level, around each cluster of dirty edges
        let Some(f) = frame else { return };
        for bx in self.clusters(&dirty_segments) {
            let clip = rect_poly(&bx);
            let (framing, around) = (self.units_near(f, &bx), self.units_near(level, &bx));
            let owner = around
                .iter()
                .chain(&framing)
                .map(|&u| &self.entries[u as usize].unit.code)
                .min();
            if !owner.is_some_and(owns) {
                continue;
            }
            let frame_here = union_all(
                framing
                    .iter()
                    .map(|&p| self.entries[p as usize].shape.intersection(&clip)),
            );
            if frame_here.0.is_empty() {
                continue;
            }
            let cover = union_all(
                around
                    .iter()
                    .map(|&u| self.entries[u as usize].shape.intersection(&clip)),
            );
            let gaps = frame_here.difference(&cover);
            for piece in gaps.0 {
                let Some(w) = self.piece_width(&piece) else {
                    continue;
                };
                // units sharing a stretch of the gap's boundary, not only a corner or a
                // junction point
                let min_shared_m = SHARED_BORDER_MIN_SNAPS * self.options.snap_m;
                let mut codes: Vec<AdminCode> = around
                    .iter()
                    .filter(|&&u| {
                        let shape = &self.entries[u as usize].shape;
                        shared_border_m(&piece, shape, self.options.snap_m) > min_shared_m
                    })
                    .map(|&u| self.entries[u as usize].unit.code.clone())
                    .collect();
                codes.sort();
                let names = codes
                    .iter()
                    .map(AdminCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let label = format!("between {names}");
                self.push_piece(
                    vec![(piece, w)],
                    level,
                    codes,
                    "gap",
                    &label,
                    Rule::Gap,
                    out,
                );
            }
        }
    }

    /// Children beyond their parent, and parents their children leave uncovered.
    fn check_nesting(
        &self,
        level: AdminLevel,
        units: &[u32],
        env: Option<&AABB<[f64; 2]>>,
        owns: &dyn Fn(&AdminCode) -> bool,
        out: &mut Vec<Finding>,
    ) {
        let Some(pl) = parent_level(level) else {
            return;
        };
        // parent → dirty segments
        let mut dirty: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
        for &i in units {
            let e = &self.entries[i as usize];
            let Some(&p) = e.unit.parent.as_ref().and_then(|c| self.by_code.get(c)) else {
                continue;
            };
            if self.entries[p as usize].removed || self.entries[p as usize].unit.level != pl {
                continue;
            }
            let mut child_dirty = false;
            for (a, b) in self.ring_edges(i) {
                if !self.nesting_child_edge_clean(a, b, &e.unit, p) {
                    child_dirty = true;
                    dirty.entry(p).or_default().push((a, b));
                }
            }
            if child_dirty && owns(&e.unit.code) {
                let pe = &self.entries[p as usize];
                let b = e.bbox;
                let clip = rect_poly(&AABB::from_corners(
                    [b[0][0] - 1.0, b[0][1] - 1.0],
                    [b[1][0] + 1.0, b[1][1] + 1.0],
                ));
                let outside = e.shape.difference(&pe.shape.intersection(&clip));
                let label = format!(
                    "{} ({}) beyond its parent {} ({})",
                    e.unit.code, e.unit.name, pe.unit.code, pe.unit.name
                );
                let pieces: Vec<(Polygon<f64>, f64)> = outside
                    .0
                    .into_iter()
                    .filter_map(|p| self.piece_width(&p).map(|w| (p, w)))
                    .collect();
                self.push_piece(
                    pieces,
                    level,
                    vec![e.unit.code.clone(), pe.unit.code.clone()],
                    "part",
                    &label,
                    Rule::ChildOutsideParent,
                    out,
                );
            }
        }
        for p in self.units_of(pl, env) {
            let pe = &self.entries[p as usize];
            for (a, b) in self.ring_edges(p) {
                if self.children_of(a, b, &pe.unit.code, level).count() != 1 {
                    dirty.entry(p).or_default().push((a, b));
                }
            }
        }
        let mut parents: Vec<u32> = dirty.keys().copied().collect();
        parents.sort_unstable();
        for p in parents {
            let pe = &self.entries[p as usize];
            if !owns(&pe.unit.code) {
                continue;
            }
            let mut pieces = Vec::new();
            for bx in self.clusters(&dirty[&p]) {
                let clip = rect_poly(&bx);
                let here = pe.shape.intersection(&clip);
                let children = union_all(
                    self.units_near(level, &bx)
                        .into_iter()
                        .filter(|&c| {
                            self.entries[c as usize].unit.parent.as_ref() == Some(&pe.unit.code)
                        })
                        .map(|c| self.entries[c as usize].shape.intersection(&clip)),
                );
                for piece in here.difference(&children).0 {
                    if let Some(w) = self.piece_width(&piece) {
                        pieces.push((piece, w));
                    }
                }
            }
            let label = format!(
                "{} ({}) not covered by its {level} units",
                pe.unit.code, pe.unit.name
            );
            self.push_piece(
                pieces,
                level,
                vec![pe.unit.code.clone()],
                "part",
                &label,
                Rule::ChildrenDoNotCoverParent,
                out,
            );
        }
    }

    /// Splits pieces into slivers and the rest and reports each group (overlaps, gaps).
    #[allow(clippy::too_many_arguments)]
    fn report_pieces(
        &self,
        mp: MultiPolygon<f64>,
        level: AdminLevel,
        codes: Vec<AdminCode>,
        what: &str,
        label: &str,
        rule: Rule,
        out: &mut Vec<Finding>,
    ) {
        let pieces: Vec<(Polygon<f64>, f64)> =
            mp.0.into_iter()
                .filter_map(|p| self.piece_width(&p).map(|w| (p, w)))
                .collect();
        self.push_piece(pieces, level, codes, what, label, rule, out);
    }

    /// Reports pieces under `rule`, except slivers (for overlaps and gaps), reported as
    /// `sliver`.
    #[allow(clippy::too_many_arguments)]
    fn push_piece(
        &self,
        pieces: Vec<(Polygon<f64>, f64)>,
        level: AdminLevel,
        codes: Vec<AdminCode>,
        what: &str,
        label: &str,
        rule: Rule,
        out: &mut Vec<Finding>,
    ) {
        let may_sliver = matches!(rule, Rule::Overlap | Rule::Gap);
        let (slivers, rest): (Vec<_>, Vec<_>) = pieces
            .into_iter()
            .partition(|(p, w)| may_sliver && self.is_sliver(p.unsigned_area(), *w));
        for (group, r) in [(rest, rule), (slivers, Rule::Sliver)] {
            if group.is_empty() {
                continue;
            }
            let w = group.iter().map(|x| x.1).fold(0.0, f64::max);
            let mp = MultiPolygon(group.into_iter().map(|x| x.0).collect());
            let area_m2 = self.area_m2(&mp);
            let kind = if r == Rule::Sliver {
                format!("sliver {what}")
            } else {
                what.to_owned()
            };
            out.push(Finding {
                rule: r,
                level: Some(level),
                codes: codes.clone(),
                marker: None,
                geometry: self.to_wgs84(&mp).into(),
                area_m2: Some(area_m2),
                width_m: Some(w),
                detail: format!("{level} {kind} of {area_m2:.1} m² ({w:.2} m wide): {label}"),
            });
        }
    }

    /// The width of a piece, or `None` when it is tolerance noise.
    fn piece_width(&self, p: &Polygon<f64>) -> Option<f64> {
        let noise = 2.0 * self.options.snap_m;
        let area = p.unsigned_area();
        if area < noise * noise {
            return None;
        }
        // a piece thinner than tolerance noise on average (2·area/perimeter is a strip's
        // width, a triangle's inscribed radius) is not measured
        let perimeter = perimeter(p);
        if 2.0 * area / perimeter <= noise {
            return None;
        }
        let w = inscribed_diameter(p);
        (w > noise).then_some(w)
    }

    /// Boxes (expanded by 1 m) around connected groups of segments.
    fn clusters(&self, segments: &[(u32, u32)]) -> Vec<AABB<[f64; 2]>> {
        let mut boxes: Vec<AABB<[f64; 2]>> = segments
            .iter()
            .map(|&(a, b)| {
                let (a, b) = (self.vertices[a as usize], self.vertices[b as usize]);
                AABB::from_corners(
                    [a.x.min(b.x) - 1.0, a.y.min(b.y) - 1.0],
                    [a.x.max(b.x) + 1.0, a.y.max(b.y) + 1.0],
                )
            })
            .collect();
        // merge overlapping boxes until none overlap
        loop {
            let mut merged: Vec<AABB<[f64; 2]>> = Vec::with_capacity(boxes.len());
            let mut changed = false;
            let tree: RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>> =
                RTree::bulk_load(
                    boxes
                        .iter()
                        .enumerate()
                        .map(|(i, b)| {
                            GeomWithData::new(rstar::primitives::Rectangle::from_aabb(*b), i)
                        })
                        .collect(),
                );
            let mut done = vec![false; boxes.len()];
            for i in 0..boxes.len() {
                if done[i] {
                    continue;
                }
                done[i] = true;
                let mut acc = boxes[i];
                let mut stack = vec![i];
                while let Some(k) = stack.pop() {
                    for r in tree.locate_in_envelope_intersecting(&boxes[k]) {
                        if !done[r.data] {
                            done[r.data] = true;
                            changed = true;
                            acc.merge(&boxes[r.data]);
                            stack.push(r.data);
                        }
                    }
                }
                merged.push(acc);
            }
            boxes = merged;
            if !changed {
                return boxes;
            }
        }
    }

    fn to_wgs84(&self, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        use geo::MapCoords;
        mp.map_coords(|c| self.gk.inverse(c))
    }

    /// Area on the CGCS2000 ellipsoid of a planar (GK) multipolygon.
    fn area_m2(&self, mp: &MultiPolygon<f64>) -> f64 {
        let g = Geodesic::new(
            CGCS2000_SEMI_MAJOR_AXIS_M,
            1.0 / CGCS2000_INVERSE_FLATTENING,
        );
        let ring_area = |r: &LineString<f64>| {
            let mut pa = PolygonArea::new(&g, Winding::CounterClockwise);
            let n = r.0.len().saturating_sub(1);
            for c in &r.0[..n] {
                let ll = self.gk.inverse(*c);
                pa.add_point(ll.y, ll.x);
            }
            pa.compute(false).1.abs()
        };
        mp.0.iter()
            .map(|p| ring_area(p.exterior()) - p.interiors().iter().map(ring_area).sum::<f64>())
            .sum()
    }
}

/// How much of a gap's boundary, in units of the snapping tolerance, a unit must share to
/// be named by the gap: more than a corner or a junction point, where a unit touches the
/// gap at a point that boolean operations may smear over a few tolerances.
const SHARED_BORDER_MIN_SNAPS: f64 = 10.0;

/// The length of `piece`'s boundary that lies on `shape`'s boundary with the piece on one
/// side only (planar units). A part of a piece edge lies on a shape edge when it is the
/// part under the shape edge's projection and both its ends are within `tol` of the shape
/// edge (the tolerance band of a segment is convex, so the whole part then is). Per shape
/// edge the parts are summed signed by direction, so a zero-width spike of the piece that
/// runs out along a border and back (as boolean operations leave where near-coincident
/// edges meet) cancels out, and a shape that meets the piece only at a point, or crosses
/// its boundary, shares nothing.
fn shared_border_m(piece: &Polygon<f64>, shape: &MultiPolygon<f64>, tol: f64) -> f64 {
    let Some(bx) = piece.bounding_rect() else {
        return 0.0;
    };
    let near_piece = |l: &Line<f64>| {
        l.start.x.max(l.end.x) >= bx.min().x - tol
            && l.start.x.min(l.end.x) <= bx.max().x + tol
            && l.start.y.max(l.end.y) >= bx.min().y - tol
            && l.start.y.min(l.end.y) <= bx.max().y + tol
    };
    let edges = |p: &Polygon<f64>| -> Vec<Line<f64>> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.lines())
            .filter(near_piece)
            .collect()
    };
    let piece_edges = edges(piece);
    let mut shared = 0.0;
    for s in shape.0.iter().flat_map(edges) {
        let mut along_s = 0.0;
        for g in &piece_edges {
            let (dx, dy) = (g.end.x - g.start.x, g.end.y - g.start.y);
            let len = dx.hypot(dy);
            if len == 0.0 {
                continue;
            }
            let (ux, uy) = (dx / len, dy / len);
            let along = |c: Coord<f64>| (c.x - g.start.x) * ux + (c.y - g.start.y) * uy;
            let at = |t: f64| Point::new(g.start.x + ux * t, g.start.y + uy * t);
            let (a, b) = (along(s.start), along(s.end));
            let (t0, t1) = (a.min(b).max(0.0), a.max(b).min(len));
            if t1 > t0
                && Euclidean.distance(&s, &at(t0)) <= tol
                && Euclidean.distance(&s, &at(t1)) <= tol
            {
                along_s += (t1 - t0).copysign(b - a);
            }
        }
        shared += f64::abs(along_s);
    }
    shared
}

fn rect_poly(b: &AABB<[f64; 2]>) -> Polygon<f64> {
    let (lo, hi) = (b.lower(), b.upper());
    Rect::new(Coord { x: lo[0], y: lo[1] }, Coord { x: hi[0], y: hi[1] }).to_polygon()
}

fn union_all(parts: impl Iterator<Item = MultiPolygon<f64>>) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> = parts.flat_map(|m| m.0).collect();
    if polys.is_empty() {
        return MultiPolygon(Vec::new());
    }
    geo::unary_union(&polys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn unit(code: &str, level: AdminLevel, parent: Option<&str>, poly: Polygon<f64>) -> AdminUnit {
        AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level,
            parent: parent.map(|p| AdminCode::parse(p).unwrap()),
            kind: String::new(),
            geometry: MultiPolygon(vec![poly]),
            population: 0,
            elderly: 0,
            synthetic: true,
        }
    }

    fn square(x0: f64, x1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: 30.0), (x: x1, y: 30.0), (x: x1, y: 30.01), (x: x0, y: 30.01)]
    }

    const CITY: &str = "330100000000";
    const A: &str = "330102000000";
    const B: &str = "330103000000";

    #[test]
    fn a_clean_tiling_has_no_findings_and_a_hole_is_a_gap() {
        let units = [
            unit(CITY, AdminLevel::City, None, square(120.0, 120.02)),
            unit(A, AdminLevel::District, Some(CITY), square(120.0, 120.01)),
            unit(B, AdminLevel::District, Some(CITY), square(120.01, 120.02)),
        ];
        let mut v = Validator::new(&units, ValidateOptions::default());
        let clean = v.validate(&AdminLevel::ALL);
        assert!(clean.is_empty(), "{clean:#?}");
        // b pulled back 0.0001° (≈9.6 m): a gap between a and b, and the city uncovered
        v.update(unit(
            B,
            AdminLevel::District,
            Some(CITY),
            square(120.0101, 120.02),
        ));
        let mut found: Vec<(Rule, usize)> = v
            .validate(&AdminLevel::ALL)
            .iter()
            .map(|f| (f.rule, f.codes.len()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            vec![(Rule::Gap, 2), (Rule::ChildrenDoNotCoverParent, 1)]
        );
        let gap = v.validate(&[AdminLevel::District]).remove(0);
        assert!((gap.width_m.unwrap() - 9.64).abs() < 0.1, "{gap:?}");
        // 9.64 m × 1110 m
        assert!(
            (gap.area_m2.unwrap() / 10_700.0 - 1.0).abs() < 0.01,
            "{gap:?}"
        );
    }

    #[test]
    fn a_bow_tie_is_an_invalid_polygon() {
        let bow = polygon![(x: 120.0, y: 30.0), (x: 120.01, y: 30.01), (x: 120.01, y: 30.0), (x: 120.0, y: 30.01)];
        let v = Validator::new(
            &[unit(A, AdminLevel::District, None, bow)],
            ValidateOptions::default(),
        );
        let f = v.validate(&[AdminLevel::District]);
        assert!(f.iter().any(|f| f.rule == Rule::InvalidPolygon), "{f:?}");
    }
}
