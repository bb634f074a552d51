//! Property tests of the MVT encoder: whatever points, polygons and typed properties go in,
//! a protobuf decoder written here from the spec (not sharing code with the encoder) reads
//! back the same feature ids, property values and point positions, polygons keep their
//! areas, exterior rings come out with positive area and holes negative, and no command
//! repeats a point.

use civmap_tiles::mvt::{LayerBuilder, TileGeometry, Value};
use proptest::prelude::*;

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// (field, wire type, payload) of one message.
fn fields(b: &[u8]) -> Vec<(u64, u64, Vec<u8>, u64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i);
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                let v = varint(b, &mut i);
                out.push((field, wire, Vec::new(), v));
            }
            1 => {
                out.push((field, wire, b[i..i + 8].to_vec(), 0));
                i += 8;
            }
            2 => {
                let n = varint(b, &mut i) as usize;
                out.push((field, wire, b[i..i + n].to_vec(), 0));
                i += n;
            }
            w => panic!("unexpected wire type {w}"),
        }
    }
    out
}

fn packed(b: &[u8]) -> Vec<u32> {
    let mut i = 0;
    let mut v = Vec::new();
    while i < b.len() {
        v.push(varint(b, &mut i) as u32);
    }
    v
}

#[derive(Debug, Default)]
struct Feature {
    id: Option<u64>,
    tags: Vec<u32>,
    kind: u64,
    geometry: Vec<u32>,
}

#[derive(Debug)]
struct Layer {
    name: String,
    version: u64,
    extent: u64,
    keys: Vec<String>,
    values: Vec<Value>,
    features: Vec<Feature>,
}

fn decode(tile: &[u8]) -> Vec<Layer> {
    fields(tile)
        .into_iter()
        .map(|(f, _, layer, _)| {
            assert_eq!(f, 3);
            let mut l = Layer {
                name: String::new(),
                version: 1,
                extent: 4096,
                keys: vec![],
                values: vec![],
                features: vec![],
            };
            for (f, _, bytes, v) in fields(&layer) {
                match f {
                    15 => l.version = v,
                    1 => l.name = String::from_utf8(bytes).unwrap(),
                    5 => l.extent = v,
                    3 => l.keys.push(String::from_utf8(bytes).unwrap()),
                    4 => {
                        let vf = fields(&bytes);
                        assert_eq!(vf.len(), 1, "a value holds exactly one field");
                        let (f, _, b, v) = &vf[0];
                        l.values.push(match f {
                            1 => Value::String(String::from_utf8(b.clone()).unwrap()),
                            3 => Value::Double(f64::from_le_bytes(b[..8].try_into().unwrap())),
                            5 => Value::UInt(*v),
                            6 => Value::SInt(((v >> 1) as i64) ^ -((v & 1) as i64)),
                            7 => Value::Bool(*v != 0),
                            other => panic!("value field {other}"),
                        });
                    }
                    2 => {
                        let mut feat = Feature::default();
                        for (f, _, b, v) in fields(&bytes) {
                            match f {
                                1 => feat.id = Some(v),
                                2 => feat.tags = packed(&b),
                                3 => feat.kind = v,
                                4 => feat.geometry = packed(&b),
                                other => panic!("feature field {other}"),
                            }
                        }
                        l.features.push(feat);
                    }
                    other => panic!("layer field {other}"),
                }
            }
            l
        })
        .collect()
}

/// Geometry commands to parts (rings or point lists), checking command rules.
fn parts(cmds: &[u32], polygon: bool) -> Vec<Vec<[i64; 2]>> {
    let unzig = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
    let (mut x, mut y) = (0i64, 0i64);
    let mut out: Vec<Vec<[i64; 2]>> = Vec::new();
    let mut i = 0;
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
        i += 1;
        match id {
            1 => {
                if polygon {
                    assert_eq!(count, 1, "polygon MoveTo count");
                }
                for _ in 0..count {
                    x += unzig(cmds[i]);
                    y += unzig(cmds[i + 1]);
                    i += 2;
                    if polygon || out.is_empty() {
                        out.push(vec![[x, y]]);
                    } else {
                        out[0].push([x, y]);
                    }
                }
            }
            2 => {
                assert!(count >= 1);
                for _ in 0..count {
                    let (dx, dy) = (unzig(cmds[i]), unzig(cmds[i + 1]));
                    assert!(dx != 0 || dy != 0, "zero-length LineTo");
                    x += dx;
                    y += dy;
                    i += 2;
                    out.last_mut().unwrap().push([x, y]);
                }
            }
            7 => assert_eq!(count, 1),
            other => panic!("command {other}"),
        }
    }
    out
}

fn area2(r: &[[i64; 2]]) -> i64 {
    let n = r.len();
    (0..n)
        .map(|i| r[i][0] * r[(i + 1) % n][1] - r[(i + 1) % n][0] * r[i][1])
        .sum()
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z0-9文三路号]{0,12}".prop_map(Value::String),
        any::<u64>().prop_map(Value::UInt),
        (i64::MIN..0i64).prop_map(Value::SInt),
        any::<f64>()
            .prop_filter("not NaN", |d| !d.is_nan())
            .prop_map(Value::Double),
        any::<bool>().prop_map(Value::Bool),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn points_and_properties_round_trip(
        features in prop::collection::vec(
            (
                prop::option::of(any::<u64>()),
                prop::collection::vec((-64i32..4160, -64i32..4160), 1..5),
                prop::collection::vec(("[a-e]{1,3}", value()), 0..6),
            ),
            1..20,
        )
    ) {
        let mut layer = LayerBuilder::new("points");
        for (id, pts, props) in &features {
            let mut seen = std::collections::HashSet::new();
            let props: Vec<(&str, Value)> = props.iter().filter(|(k, _)| seen.insert(k.clone())).map(|(k, v)| (k.as_str(), v.clone())).collect();
            let pts: Vec<[i32; 2]> = pts.iter().map(|&(x, y)| [x, y]).collect();
            prop_assert!(layer.add_feature(*id, &TileGeometry::Points(pts), &props));
        }
        let mut tile = Vec::new();
        layer.finish_into(&mut tile);
        let layers = decode(&tile);
        prop_assert_eq!(layers.len(), 1);
        let l = &layers[0];
        prop_assert_eq!(&l.name, "points");
        prop_assert_eq!(l.version, 2);
        prop_assert_eq!(l.extent, 4096);
        prop_assert_eq!(l.features.len(), features.len());
        for (f, (id, pts, props)) in l.features.iter().zip(&features) {
            prop_assert_eq!(f.id, *id);
            prop_assert_eq!(f.kind, 1);
            let got = parts(&f.geometry, false);
            let want: Vec<[i64; 2]> = pts.iter().map(|&(x, y)| [i64::from(x), i64::from(y)]).collect();
            prop_assert_eq!(&got[0], &want);
            let mut seen = std::collections::HashSet::new();
            let want_props: Vec<(&String, &Value)> = props.iter().filter(|(k, _)| seen.insert(k.clone())).map(|(k, v)| (k, v)).collect();
            prop_assert_eq!(f.tags.len(), want_props.len() * 2);
            for (pair, (k, v)) in f.tags.chunks(2).zip(want_props) {
                prop_assert_eq!(&l.keys[pair[0] as usize], k);
                let got = &l.values[pair[1] as usize];
                match (got, v) {
                    (Value::Double(a), Value::Double(b)) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                    _ => prop_assert_eq!(got, v),
                }
            }
        }
    }

    #[test]
    fn polygons_keep_their_area_with_exteriors_positive_and_holes_negative(
        cx in 200i32..3800, cy in 200i32..3800, r in 3i32..150, n in 3usize..24,
        flip in any::<bool>(), hole in any::<bool>(), jitter in prop::collection::vec(0.6f64..1.0, 24),
    ) {
        // a star-shaped ring around (cx, cy), in either winding, with an optional hole
        let mut ring: Vec<[i32; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let rr = f64::from(r) * jitter[i] * 4.0;
                [cx + (rr * a.cos()).round() as i32, cy + (rr * a.sin()).round() as i32]
            })
            .collect();
        if flip { ring.reverse(); }
        let mut rings = vec![ring.clone()];
        if hole {
            rings.push(vec![[cx - 1, cy - 1], [cx + 1, cy - 1], [cx + 1, cy + 1], [cx - 1, cy + 1]]);
        }
        let mut layer = LayerBuilder::new("polys");
        let added = layer.add_feature(Some(1), &TileGeometry::Polygons(vec![rings.clone()]), &[]);
        let expected: i64 = {
            let a: Vec<[i64; 2]> = ring.iter().map(|p| [i64::from(p[0]), i64::from(p[1])]).collect();
            area2(&a).abs()
        };
        let mut tile = Vec::new();
        layer.finish_into(&mut tile);
        if !added {
            prop_assert_eq!(expected, 0);
            prop_assert!(tile.is_empty());
            return Ok(());
        }
        let l = &decode(&tile)[0];
        let f = &l.features[0];
        prop_assert_eq!(f.kind, 3);
        let got = parts(&f.geometry, true);
        prop_assert!(area2(&got[0]) > 0, "exterior must be positive");
        prop_assert_eq!(area2(&got[0]), expected);
        for h in &got[1..] {
            prop_assert!(area2(h) < 0, "holes must be negative");
            prop_assert_eq!(area2(h), -8);
        }
        for p in &got {
            prop_assert!(p.len() >= 3);
        }
    }
}
