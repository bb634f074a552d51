//! civmap's tile layers: which records appear at which zoom with which properties — the
//! contract the web map styles against (README "Tiles"). Rendering reads the live dataset
//! and its R-trees directly, so a record edit is visible in the next tile rendered.

use std::fmt;
use std::str::FromStr;

use civmap_geo_core::index::SpatialIndex;
use civmap_geo_core::{AdminLevel, Dataset, Facility, FacilityCategory};
use geo::MultiPolygon;

use crate::clip::{clip_ring, make_valid, ClipBox};
use crate::mercator::{tile_world_box, world, world_box_lon_lat, TileTransform};
use crate::mvt::{LayerBuilder, TileGeometry, Value, EXTENT};
use crate::topology::{first_zoom, AdminTopology, WorldPolygons};
use crate::TileId;

/// Clip buffer around each tile, in tile units.
pub const BUFFER: u32 = 64;

/// Zoom from which hubs and institutions appear in `facilities`.
pub const FACILITY_INSTITUTION_ZOOM: u8 = 8;
/// Zoom from which all facilities appear.
pub const FACILITY_ALL_ZOOM: u8 = 10;
/// Zoom from which doorplates appear.
pub const DOORPLATE_ZOOM: u8 = 15;
/// Highest zoom advertised in TileJSON (clients over-zoom above it; the routes serve up to
/// [`TileId::MAX_ZOOM`]).
pub const MAX_ZOOM: u8 = 16;

/// A tile source: what `/tiles/{set}/…` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TileSet {
    /// `admin` polygons and their `admin_label` points.
    Admin,
    /// `facilities` points.
    Facilities,
    /// `doorplates` points.
    Doorplates,
    /// `coverage` service areas (needs a coverage input).
    Coverage,
    /// `gaps`, uncovered areas (needs a coverage input).
    Gaps,
    /// `admin`, `admin_label`, `facilities` and `doorplates` together.
    All,
}

impl TileSet {
    /// Every set.
    pub const ALL: [TileSet; 6] = [
        Self::Admin,
        Self::Facilities,
        Self::Doorplates,
        Self::Coverage,
        Self::Gaps,
        Self::All,
    ];

    /// The route name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Facilities => "facilities",
            Self::Doorplates => "doorplates",
            Self::Coverage => "coverage",
            Self::Gaps => "gaps",
            Self::All => "all",
        }
    }

    /// The vector layers the set's tiles hold.
    pub fn layers(self) -> &'static [LayerInfo] {
        match self {
            Self::Admin => &LAYERS[0..2],
            Self::Facilities => &LAYERS[2..3],
            Self::Doorplates => &LAYERS[3..4],
            Self::Coverage => &LAYERS[4..5],
            Self::Gaps => &LAYERS[5..6],
            Self::All => &LAYERS[0..4],
        }
    }

    /// Lowest zoom with any feature.
    pub fn min_zoom(self) -> u8 {
        self.layers().iter().map(|l| l.min_zoom).min().unwrap_or(0)
    }
}

impl fmt::Display for TileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A layer name that is not a tile set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown tile layer {0:?}: expected one of admin, facilities, doorplates, coverage, gaps, all"
)]
pub struct UnknownTileSet(pub String);

impl FromStr for TileSet {
    type Err = UnknownTileSet;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTileSet(s.to_owned()))
    }
}

/// A vector layer's name, zooms and fields, as TileJSON's `vector_layers` lists it.
#[derive(Debug, Clone, Copy)]
pub struct LayerInfo {
    /// Layer name inside the tiles.
    pub id: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// First zoom with features.
    pub min_zoom: u8,
    /// `(field, type)` with types as TileJSON names them (`String`, `Number`, `Boolean`).
    pub fields: &'static [(&'static str, &'static str)],
}

/// All layers, in the order tiles hold them.
pub const LAYERS: [LayerInfo; 6] = [
    LayerInfo {
        id: "admin",
        description: "Districts (z0+), townships (z9+) and communities (z12+), generalised per zoom with shared borders",
        min_zoom: 0,
        fields: &[
            ("code", "String"),
            ("name", "String"),
            ("level", "String"),
            ("population", "Number"),
            ("elderly", "Number"),
            ("parent", "String"),
            ("synthetic", "Boolean"),
        ],
    },
    LayerInfo {
        id: "admin_label",
        description: "One label point inside each admin unit, from the zoom its level appears",
        min_zoom: 0,
        fields: &[("code", "String"), ("name", "String"), ("level", "String")],
    },
    LayerInfo {
        id: "facilities",
        description: "Civil-affairs facilities: hubs and institutions from z8, all from z10",
        min_zoom: FACILITY_INSTITUTION_ZOOM,
        fields: &[
            ("id", "String"),
            ("name", "String"),
            ("category", "String"),
            ("admin_code", "String"),
            ("hub", "Boolean"),
            ("delivery", "Boolean"),
            ("demonstration", "Boolean"),
            ("beds", "Number"),
            ("nursing_beds", "Number"),
            ("synthetic", "Boolean"),
        ],
    },
    LayerInfo {
        id: "doorplates",
        description: "Doorplates (门牌) from z15",
        min_zoom: DOORPLATE_ZOOM,
        fields: &[
            ("id", "Number"),
            ("road", "String"),
            ("number", "Number"),
            ("label", "String"),
            ("synthetic", "Boolean"),
        ],
    },
    LayerInfo {
        id: "coverage",
        description: "Service areas of a facility category within the given walking minutes",
        min_zoom: 0,
        fields: &[
            ("category", "String"),
            ("minutes", "Number"),
            ("scenario", "String"),
        ],
    },
    LayerInfo {
        id: "gaps",
        description: "Areas outside every service area, most uncovered elderly first (counts: planners' /api/v1/coverage/gaps)",
        min_zoom: 0,
        fields: &[
            ("category", "String"),
            ("minutes", "Number"),
            ("scenario", "String"),
            ("rank", "Number"),
        ],
    },
];

/// What the point and admin layers are drawn from.
#[derive(Debug, Clone, Copy)]
pub struct TileInputs<'a> {
    /// The records.
    pub data: &'a Dataset,
    /// Their R-trees (facilities and doorplates are looked up by tile box).
    pub index: &'a SpatialIndex,
    /// The admin arc topology (generalised geometry per zoom).
    pub admin: &'a AdminTopology,
}

/// A polygon feature for the `coverage` and `gaps` layers, projected once.
#[derive(Debug, Clone)]
pub struct PolygonFeature {
    /// Feature id.
    pub id: u64,
    /// Polygons in world coordinates.
    pub polygons: WorldPolygons,
    /// World bounding box.
    pub bbox: [f64; 4],
    /// Properties.
    pub properties: Vec<(String, Value)>,
}

impl PolygonFeature {
    /// Projects WGS84 polygons.
    pub fn new(id: u64, geometry: &MultiPolygon<f64>, properties: Vec<(String, Value)>) -> Self {
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let polygons = geometry
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| {
                        let mut pts: Vec<[f64; 2]> = r.0.iter().map(|c| world(c.x, c.y)).collect();
                        if pts.len() > 1 && pts.first() == pts.last() {
                            pts.pop();
                        }
                        for p in &pts {
                            bbox = [
                                bbox[0].min(p[0]),
                                bbox[1].min(p[1]),
                                bbox[2].max(p[0]),
                                bbox[3].max(p[1]),
                            ];
                        }
                        pts
                    })
                    .collect()
            })
            .collect();
        Self {
            id,
            polygons,
            bbox,
            properties,
        }
    }
}

fn boxes_touch(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

/// Clips and quantises world polygons into tile geometry: Sutherland–Hodgman against the
/// buffered tile, rounding to the integer grid, then [`make_valid`] so every ring is
/// OGC-valid as MVT 2.1 §4.3.4.4 requires (empty polygons dropped).
pub fn tile_polygons(polys: &WorldPolygons, t: &TileTransform) -> TileGeometry {
    let clip = ClipBox::buffered(EXTENT, BUFFER);
    let mut out = Vec::with_capacity(polys.len());
    let mut buf: Vec<[f64; 2]> = Vec::new();
    for poly in polys {
        let mut rings = Vec::with_capacity(poly.len());
        for (i, ring) in poly.iter().enumerate() {
            buf.clear();
            buf.extend(ring.iter().map(|&p| t.apply(p)));
            let clipped = clip_ring(&buf, clip);
            if clipped.len() < 3 {
                if i == 0 {
                    break;
                }
                continue;
            }
            let mut q: Vec<[i32; 2]> = Vec::with_capacity(clipped.len());
            for p in &clipped {
                let p = [p[0].round() as i32, p[1].round() as i32];
                if q.last() != Some(&p) {
                    q.push(p);
                }
            }
            rings.push(q);
        }
        if !rings.is_empty() {
            out.push(rings);
        }
    }
    if out.is_empty() {
        return TileGeometry::Polygons(out);
    }
    TileGeometry::Polygons(make_valid(&out))
}

fn point_in_tile(p: [f64; 2], t: &TileTransform) -> Option<[i32; 2]> {
    let q = t.apply(p);
    ClipBox::buffered(EXTENT, BUFFER)
        .contains(q)
        .then(|| [q[0].round() as i32, q[1].round() as i32])
}

/// Stable 53-bit feature id of a string key ([`crate::hash::fnv1a_53`]), safe as a
/// JavaScript number.
pub fn string_feature_id(s: &str) -> u64 {
    crate::hash::fnv1a_53(s.as_bytes())
}

/// Renders one tile of a set; an empty vector means an empty tile. `coverage` supplies the
/// features of the `coverage`/`gaps` sets (ignored by the others).
pub fn render_tile(
    set: TileSet,
    tile: TileId,
    inputs: &TileInputs<'_>,
    coverage: &[PolygonFeature],
) -> Vec<u8> {
    let mut out = Vec::new();
    let t = TileTransform::new(tile);
    let wbox = tile_world_box(tile, BUFFER);
    for info in set.layers() {
        let layer = match info.id {
            "admin" => admin_layer(tile, &t, wbox, inputs),
            "admin_label" => admin_label_layer(tile, &t, wbox, inputs),
            "facilities" => facilities_layer(tile, &t, wbox, inputs),
            "doorplates" => doorplates_layer(tile, &t, wbox, inputs),
            name => polygon_layer(name, &t, wbox, coverage),
        };
        layer.finish_into(&mut out);
    }
    out
}

fn admin_layer(
    tile: TileId,
    t: &TileTransform,
    wbox: [f64; 4],
    inp: &TileInputs<'_>,
) -> LayerBuilder {
    let mut layer = LayerBuilder::new("admin");
    for (i, shape) in inp.admin.units().iter().enumerate() {
        if tile.z < first_zoom(shape.level) || !boxes_touch(shape.bbox, wbox) {
            continue;
        }
        let Some(u) = inp.data.admin.get(shape.record as usize) else {
            continue;
        };
        let geom = tile_polygons(inp.admin.polygons(i, tile.z), t);
        let mut props = vec![
            ("code", Value::from(u.code.as_str())),
            ("name", Value::from(u.name.as_str())),
            ("level", Value::from(u.level.as_str())),
            ("population", Value::from(u.population)),
            ("elderly", Value::from(u.elderly)),
            ("synthetic", Value::from(u.synthetic)),
        ];
        if let Some(p) = &u.parent {
            props.push(("parent", Value::from(p.as_str())));
        }
        layer.add_feature(u.code.as_str().parse().ok(), &geom, &props);
    }
    layer
}

fn admin_label_layer(
    tile: TileId,
    t: &TileTransform,
    wbox: [f64; 4],
    inp: &TileInputs<'_>,
) -> LayerBuilder {
    let mut layer = LayerBuilder::new("admin_label");
    for shape in inp.admin.units() {
        if tile.z < first_zoom(shape.level) || !boxes_touch(shape.bbox, wbox) {
            continue;
        }
        let Some(u) = inp.data.admin.get(shape.record as usize) else {
            continue;
        };
        if let Some(p) = point_in_tile(shape.label, t) {
            layer.add_feature(
                u.code.as_str().parse().ok(),
                &TileGeometry::Points(vec![p]),
                &[
                    ("code", Value::from(u.code.as_str())),
                    ("name", Value::from(u.name.as_str())),
                    ("level", Value::from(u.level.as_str())),
                ],
            );
        }
    }
    layer
}

/// True when a facility shows at zoom `z` in the `facilities` layer.
pub fn facility_visible(f: &Facility, z: u8) -> bool {
    use FacilityCategory as C;
    if z >= FACILITY_ALL_ZOOM {
        return true;
    }
    z >= FACILITY_INSTITUTION_ZOOM
        && (f.attributes.hub
            || matches!(
                f.category,
                C::ElderCareInstitution
                    | C::ChildWelfareInstitution
                    | C::FuneralService
                    | C::ReliefStation
                    | C::MarriageRegistry
            ))
}

fn lon_lat_box(wbox: [f64; 4]) -> [f64; 4] {
    world_box_lon_lat(wbox)
}

fn facilities_layer(
    tile: TileId,
    t: &TileTransform,
    wbox: [f64; 4],
    inp: &TileInputs<'_>,
) -> LayerBuilder {
    let mut layer = LayerBuilder::new("facilities");
    if tile.z < FACILITY_INSTITUTION_ZOOM {
        return layer;
    }
    let [w, s, e, n] = lon_lat_box(wbox);
    let Ok(hits) = inp.index.facilities().bbox(w, s, e, n, None) else {
        return layer;
    };
    for r in hits {
        let Some(f) = inp.data.facilities.get(r as usize) else {
            continue;
        };
        if !facility_visible(f, tile.z) {
            continue;
        }
        let Some(p) = point_in_tile(world(f.location.x(), f.location.y()), t) else {
            continue;
        };
        let a = &f.attributes;
        let mut props = vec![
            ("id", Value::from(f.id.as_str())),
            ("name", Value::from(f.name.as_str())),
            ("category", Value::from(f.category.id())),
            ("hub", Value::from(a.hub)),
            ("delivery", Value::from(a.delivery)),
            ("demonstration", Value::from(a.demonstration)),
            ("synthetic", Value::from(f.synthetic)),
        ];
        if let Some(c) = &f.admin_code {
            props.push(("admin_code", Value::from(c.as_str())));
        }
        if let Some(b) = a.beds {
            props.push(("beds", Value::from(b)));
        }
        if let Some(b) = a.nursing_beds {
            props.push(("nursing_beds", Value::from(b)));
        }
        layer.add_feature(
            Some(string_feature_id(&f.id)),
            &TileGeometry::Points(vec![p]),
            &props,
        );
    }
    layer
}

fn doorplates_layer(
    tile: TileId,
    t: &TileTransform,
    wbox: [f64; 4],
    inp: &TileInputs<'_>,
) -> LayerBuilder {
    let mut layer = LayerBuilder::new("doorplates");
    if tile.z < DOORPLATE_ZOOM {
        return layer;
    }
    let [w, s, e, n] = lon_lat_box(wbox);
    let Ok(hits) = inp.index.doorplates().bbox(w, s, e, n) else {
        return layer;
    };
    for r in hits {
        let Some(d) = inp.data.doorplates.get(r as usize) else {
            continue;
        };
        let Some(p) = point_in_tile(world(d.location.x(), d.location.y()), t) else {
            continue;
        };
        layer.add_feature(
            Some(d.id),
            &TileGeometry::Points(vec![p]),
            &[
                ("id", Value::from(d.id)),
                ("road", Value::from(d.road.as_str())),
                ("number", Value::from(d.number)),
                ("label", Value::from(d.address())),
                // No residents or elderly counts: tiles are public, and a doorplate's
                // counts are about one household (population appears for units only).
                ("synthetic", Value::from(d.synthetic)),
            ],
        );
    }
    layer
}

fn polygon_layer(
    name: &str,
    t: &TileTransform,
    wbox: [f64; 4],
    features: &[PolygonFeature],
) -> LayerBuilder {
    let mut layer = LayerBuilder::new(name);
    for f in features {
        if !boxes_touch(f.bbox, wbox) {
            continue;
        }
        let props: Vec<(&str, Value)> = f
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        layer.add_feature(Some(f.id), &tile_polygons(&f.polygons, t), &props);
    }
    layer
}

/// Levels in the `admin` layer at zoom `z`.
pub fn admin_levels_at(z: u8) -> Vec<AdminLevel> {
    [
        AdminLevel::District,
        AdminLevel::Township,
        AdminLevel::Community,
    ]
    .into_iter()
    .filter(|&l| z >= first_zoom(l))
    .collect()
}
