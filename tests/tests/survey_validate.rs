//! The topology validator on the default city and on a damaged copy of it (issue 14).
//!
//! The default city reports nothing. The damaged copy has, each in its own district so that
//! their consequences stay apart: two overlaps between neighbouring townships (a vertex
//! inserted in one township's shared edge, pushed 3 m and 8 m into the neighbour), two gaps
//! (pulled back 0.6 m and 5 m), a sliver (pushed 0.2 m: narrower than the 0.5 m sliver
//! width) and a community translated into a community of another township. Every
//! consequence is counted: an overlap or sliver between townships leaves the pushing
//! township's bump uncovered by its communities; a gap between townships leaves the district
//! uncovered and the community along the edge beyond its township; the moved community
//! overlaps the community it lands in, lies wholly outside its township, and leaves a gap
//! among its former neighbours that is also a hole in its township. Widths of the thin
//! triangles are checked against their inscribed circles computed from the construction.

use std::sync::OnceLock;

use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::crs::GaussKruger;
use civmap_geo_core::survey::validate::{ValidateOptions, Validator};
use civmap_geo_core::survey::{Finding, Rule};
use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit};
use geo::{Area, BoundingRect, Centroid, Contains, Coord, Distance, Euclidean, MapCoords, Rect};

fn city() -> &'static Vec<AdminUnit> {
    static CITY: OnceLock<Vec<AdminUnit>> = OnceLock::new();
    CITY.get_or_init(|| {
        let (ds, _) = default_city(
            Some(&default_cache_dir()),
            &GeneratorConfig::default(),
            &mut |_| {},
        )
        .expect("default city");
        ds.admin
    })
}

const SNAP_DEG: f64 = 1e-7;

fn close(a: Coord<f64>, b: Coord<f64>) -> bool {
    (a.x - b.x).hypot(a.y - b.y) <= SNAP_DEG
}

fn ring(u: &AdminUnit) -> Vec<Coord<f64>> {
    let mut r = u.geometry.0[0].exterior().0.clone();
    r.pop();
    r
}

/// Whether `u` has the edge (a, b) or (b, a), as consecutive vertices.
fn has_edge(u: &AdminUnit, r: &Rect<f64>, a: Coord<f64>, b: Coord<f64>) -> bool {
    let inside = |c: Coord<f64>| {
        c.x >= r.min().x - SNAP_DEG
            && c.x <= r.max().x + SNAP_DEG
            && c.y >= r.min().y - SNAP_DEG
            && c.y <= r.max().y + SNAP_DEG
    };
    if !inside(a) || !inside(b) {
        return false;
    }
    u.geometry.0.iter().any(|p| {
        p.exterior().lines().any(|l| {
            (close(l.start, a) && close(l.end, b)) || (close(l.start, b) && close(l.end, a))
        })
    })
}

/// A township edge shared with a sibling, ≥ 100 m long, inside one community of each side,
/// in a district not yet used: `(township index, vertex index, neighbour, community)`.
fn pick_edge(
    units: &[AdminUnit],
    used_districts: &mut Vec<AdminCode>,
) -> (usize, usize, usize, usize) {
    let gk = GaussKruger::hangzhou();
    let boxes: Vec<Rect<f64>> = units
        .iter()
        .map(|u| u.geometry.bounding_rect().unwrap())
        .collect();
    for (ti, t) in units.iter().enumerate() {
        if t.level != AdminLevel::Township || t.geometry.0.len() != 1 {
            continue;
        }
        let d = t.parent.clone().unwrap();
        if used_districts.contains(&d) {
            continue;
        }
        let r = ring(t);
        for k in 0..r.len() {
            let (a, b) = (r[k], r[(k + 1) % r.len()]);
            let (ga, gb) = (gk.forward(a), gk.forward(b));
            if (ga.x - gb.x).hypot(ga.y - gb.y) < 100.0 {
                continue;
            }
            let sharing: Vec<usize> = units
                .iter()
                .enumerate()
                .filter(|(j, u)| {
                    *j != ti && u.level == AdminLevel::Township && has_edge(u, &boxes[*j], a, b)
                })
                .map(|(j, _)| j)
                .collect();
            let [n] = sharing[..] else { continue };
            if units[n].parent.as_ref() != Some(&d) {
                continue;
            }
            let comms: Vec<usize> = units
                .iter()
                .enumerate()
                .filter(|(j, u)| {
                    u.level == AdminLevel::Community
                        && u.parent.as_ref() == Some(&t.code)
                        && has_edge(u, &boxes[*j], a, b)
                })
                .map(|(j, _)| j)
                .collect();
            let [c] = comms[..] else { continue };
            used_districts.push(d);
            return (ti, k, n, c);
        }
    }
    panic!("no township edge left to damage");
}

/// Inserts a vertex at the middle of edge `k` of township `ti`, `push_m` along the outward
/// normal (negative: inward). Returns the expected (area, width) of the triangle.
fn bend_edge(units: &mut [AdminUnit], ti: usize, k: usize, push_m: f64) -> (f64, f64) {
    let gk = GaussKruger::hangzhou();
    let r = ring(&units[ti]);
    let (a, b) = (gk.forward(r[k]), gk.forward(r[(k + 1) % r.len()]));
    let ccw = r
        .iter()
        .zip(r.iter().cycle().skip(1))
        .map(|(p, q)| p.x * q.y - q.x * p.y)
        .sum::<f64>()
        > 0.0;
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = dx.hypot(dy);
    let normal = if ccw {
        (dy / len, -dx / len)
    } else {
        (-dy / len, dx / len)
    };
    let m = Coord {
        x: (a.x + b.x) / 2.0 + normal.0 * push_m,
        y: (a.y + b.y) / 2.0 + normal.1 * push_m,
    };
    let poly = &mut units[ti].geometry.0[0];
    poly.exterior_mut(|ls| ls.0.insert(k + 1, gk.inverse(m)));
    let h = push_m.abs();
    let area = len * h / 2.0;
    let s = (len + 2.0 * (len * len / 4.0 + h * h).sqrt()) / 2.0;
    (area, 2.0 * area / s)
}

type Key = (Rule, Vec<String>);

fn key(f: &Finding) -> Key {
    (f.rule, f.codes.iter().map(|c| c.to_string()).collect())
}

fn codes(units: &[AdminUnit], idx: &[usize]) -> Vec<String> {
    let mut v: Vec<String> = idx.iter().map(|&i| units[i].code.to_string()).collect();
    v.sort();
    v
}

fn code(units: &[AdminUnit], i: usize) -> String {
    units[i].code.to_string()
}

fn parent_index(units: &[AdminUnit], i: usize) -> usize {
    let p = units[i].parent.as_ref().unwrap();
    units.iter().position(|u| &u.code == p).unwrap()
}

#[test]
fn the_default_city_has_no_findings() {
    let units = city();
    assert_eq!(units.len(), 3530);
    let v = Validator::new(units, ValidateOptions::default());
    let found = v.validate(&AdminLevel::ALL);
    assert!(found.is_empty(), "{:#?}", &found[..found.len().min(5)]);
}

struct Expect {
    key: Key,
    area_m2: Option<f64>,
    width_m: Option<(f64, f64)>,
}

fn expect(key: Key, area_m2: Option<f64>, width_m: Option<(f64, f64)>) -> Expect {
    Expect {
        key,
        area_m2,
        width_m,
    }
}

#[test]
fn a_damaged_copy_is_found_exactly() {
    let mut units = city().clone();
    let mut used = Vec::new();
    let mut want: Vec<Expect> = Vec::new();
    // (a) overlaps, (b) gaps, (c) a sliver between townships
    for (push, rule) in [
        (3.0, Rule::Overlap),
        (8.0, Rule::Overlap),
        (-0.6, Rule::Gap),
        (-5.0, Rule::Gap),
        (0.2, Rule::Sliver),
    ] {
        let (ti, k, n, c) = pick_edge(&units, &mut used);
        let (area, width) = bend_edge(&mut units, ti, k, push);
        // the inscribed circle of a thin triangle is a little narrower than its height: 2%
        let tol = (0.05_f64).max(width * 0.02);
        want.push(expect(
            (rule, codes(&units, &[ti, n])),
            Some(area),
            Some((width, tol)),
        ));
        if push > 0.0 {
            // the bump is the township's, but none of its communities'
            want.push(expect(
                (Rule::ChildrenDoNotCoverParent, vec![code(&units, ti)]),
                Some(area),
                None,
            ));
        } else {
            let d = parent_index(&units, ti);
            want.push(expect(
                (Rule::ChildrenDoNotCoverParent, vec![code(&units, d)]),
                Some(area),
                None,
            ));
            want.push(expect(
                (
                    Rule::ChildOutsideParent,
                    vec![code(&units, c), code(&units, ti)],
                ),
                Some(area),
                None,
            ));
        }
    }
    // (d) a community moved into a community of a neighbouring township
    let (ci, di) = (|| {
        for (ci, c) in units.iter().enumerate() {
            if c.level != AdminLevel::Community || c.geometry.0.len() != 1 {
                continue;
            }
            let ta = parent_index(&units, ci);
            if used.contains(units[ta].parent.as_ref().unwrap()) {
                continue;
            }
            for (di, d) in units.iter().enumerate() {
                if d.level != AdminLevel::Community || d.parent.as_ref() == Some(&units[ta].code) {
                    continue;
                }
                let tb = parent_index(&units, di);
                if units[tb].parent != units[ta].parent {
                    continue;
                }
                let to = d.geometry.centroid().unwrap();
                let from = c.geometry.centroid().unwrap();
                let moved = c.geometry.map_coords(|p| Coord {
                    x: p.x + to.x() - from.x(),
                    y: p.y + to.y() - from.y(),
                });
                if d.geometry.contains(&moved) && Euclidean.distance(&moved, &c.geometry) > 1e-4 {
                    return (ci, di);
                }
            }
        }
        panic!("no community to move");
    })();
    let original = units[ci].geometry.clone();
    let to = units[di].geometry.centroid().unwrap();
    let from = original.centroid().unwrap();
    units[ci].geometry = original.map_coords(|p| Coord {
        x: p.x + to.x() - from.x(),
        y: p.y + to.y() - from.y(),
    });
    let ta = parent_index(&units, ci);
    let gk = GaussKruger::hangzhou();
    let c_area = original.map_coords(|p| gk.forward(p)).unsigned_area();
    let around: Vec<usize> = units
        .iter()
        .enumerate()
        .filter(|(j, u)| {
            *j != ci
                && u.level == AdminLevel::Community
                // brute force: a neighbour holds some point strictly inside one of the
                // community's edges (sampled at tenths; a corner-only contact holds none,
                // and an edge shared only in part still holds some sample)
                && original.0[0].exterior().lines().any(|l| {
                    (1..10).any(|k| {
                        let t = f64::from(k) / 10.0;
                        let m = geo::Point::new(
                            l.start.x + t * (l.end.x - l.start.x),
                            l.start.y + t * (l.end.y - l.start.y),
                        );
                        Euclidean.distance(&u.geometry, &m) <= SNAP_DEG
                    })
                })
        })
        .map(|(j, _)| j)
        .collect();
    want.push(expect(
        (Rule::Overlap, codes(&units, &[ci, di])),
        Some(c_area),
        None,
    ));
    want.push(expect(
        (Rule::Gap, codes(&units, &around)),
        Some(c_area),
        None,
    ));
    want.push(expect(
        (
            Rule::ChildOutsideParent,
            vec![code(&units, ci), code(&units, ta)],
        ),
        Some(c_area),
        None,
    ));
    want.push(expect(
        (Rule::ChildrenDoNotCoverParent, vec![code(&units, ta)]),
        Some(c_area),
        None,
    ));

    let v = Validator::new(&units, ValidateOptions::default());
    let found = v.validate(&AdminLevel::ALL);
    let mut got: Vec<Key> = found.iter().map(key).collect();
    got.sort();
    let mut wanted: Vec<Key> = want.iter().map(|e| e.key.clone()).collect();
    wanted.sort();
    assert_eq!(got, wanted, "{found:#?}");
    for e in &want {
        let f = found.iter().find(|f| key(f) == e.key).unwrap();
        if let Some(a) = e.area_m2 {
            let got = f.area_m2.unwrap();
            assert!((got / a - 1.0).abs() < 0.02, "area {got} vs {a}: {f:?}");
        }
        if let Some((w, tol)) = e.width_m {
            let got = f.width_m.unwrap();
            assert!((got - w).abs() <= tol, "width {got} vs {w} ± {tol}: {f:?}");
        }
        assert!(!f.detail.is_empty());
    }
    // the narrow gap is the 0.6 m one
    let narrow = found
        .iter()
        .filter(|f| f.rule == Rule::Gap)
        .map(|f| f.width_m.unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!((narrow - 0.6).abs() < 0.05, "{narrow}");
}

#[test]
fn a_window_after_one_edit_finds_that_edit() {
    let mut units = city().clone();
    let mut v = Validator::new(&units, ValidateOptions::default());
    let (ti, k, n, c) = pick_edge(&units, &mut Vec::new());
    let (_, width) = bend_edge(&mut units, ti, k, -0.6);
    v.update(units[ti].clone());
    let window: Rect<f64> = units[ti].geometry.bounding_rect().unwrap();
    let found = v.validate_window(window, &AdminLevel::ALL);
    let mut got: Vec<Key> = found.iter().map(key).collect();
    got.sort();
    let d = parent_index(&units, ti);
    let mut wanted = vec![
        (Rule::Gap, codes(&units, &[ti, n])),
        (
            Rule::ChildOutsideParent,
            vec![code(&units, c), code(&units, ti)],
        ),
        (Rule::ChildrenDoNotCoverParent, vec![code(&units, d)]),
    ];
    wanted.sort();
    assert_eq!(got, wanted, "{found:#?}");
    let gap = found.iter().find(|f| f.rule == Rule::Gap).unwrap();
    assert!((gap.width_m.unwrap() - width).abs() < 0.05);
    // and putting it back makes the window clean again
    v.update(city()[ti].clone());
    assert!(v.validate_window(window, &AdminLevel::ALL).is_empty());
}
