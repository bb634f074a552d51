//! The synthetic city against the real water (issue 18): nobody lives, and nothing stands,
//! in the Qiantang, Qiandao Lake, West Lake or the Fuchun/Xin'an/Lan rivers; no street
//! crosses water except the (synthetic) bridges; walking coverage crosses the Qiantang
//! only over a bridge, taking exactly as long as the route over it; and the census totals
//! are still exact.
//!
//! The water is checked with plain `geo` predicates on the embedded WGS84 geometry, not
//! with the generator's own index, so a fault in the index cannot hide here.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use civmap_data::hangzhou::{self, WaterBody, WaterGeometry};
use civmap_data::synthetic::{generate, GeneratorConfig, LocalPlane};
use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
use civmap_geo_core::{AdminLevel, Dataset};
use geo::{
    BoundingRect, Contains, Coord, Distance, Geodesic, Intersects, Line, MultiPolygon, Point, Rect,
};

fn city() -> &'static Dataset {
    static CITY: OnceLock<Dataset> = OnceLock::new();
    CITY.get_or_init(|| {
        generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city generates")
    })
}

fn water() -> &'static Vec<WaterBody> {
    static WATER: OnceLock<Vec<WaterBody>> = OnceLock::new();
    WATER.get_or_init(|| {
        hangzhou::water_bodies(&hangzhou::frame().unwrap()).expect("embedded water parses")
    })
}

/// A water body prepared for plain, unindexed tests.
enum Test<'a> {
    Area(&'a MultiPolygon<f64>, Rect<f64>),
    Corridor(Vec<Coord<f64>>, f64),
}

fn tests() -> Vec<(&'static WaterBody, Test<'static>)> {
    let plane = LocalPlane::hangzhou();
    water()
        .iter()
        .map(|b| {
            let t = match &b.geometry {
                WaterGeometry::Area(mp) => Test::Area(mp, mp.bounding_rect().unwrap()),
                WaterGeometry::Corridor {
                    centreline,
                    width_m,
                } => Test::Corridor(
                    centreline.0.iter().map(|&c| plane.to_plane(c)).collect(),
                    width_m / 2.0,
                ),
            };
            (b, t)
        })
        .collect()
}

fn in_rect(r: &Rect<f64>, c: Coord<f64>) -> bool {
    c.x >= r.min().x && c.x <= r.max().x && c.y >= r.min().y && c.y <= r.max().y
}

fn point_seg_m(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((a.x + t * dx - p.x).powi(2) + (a.y + t * dy - p.y).powi(2)).sqrt()
}

/// The water body a WGS84 point lies in, by plain point-in-polygon / distance to the
/// centreline.
fn wet_at<'a>(tests: &'a [(&'static WaterBody, Test<'static>)], c: Coord<f64>) -> Option<&'a str> {
    let plane = LocalPlane::hangzhou();
    let p = plane.to_plane(c);
    tests.iter().find_map(|(b, t)| {
        let wet = match t {
            Test::Area(mp, r) => in_rect(r, c) && mp.contains(&Point(c)),
            Test::Corridor(line, hw) => line.windows(2).any(|s| point_seg_m(p, s[0], s[1]) < *hw),
        };
        wet.then_some(b.key.as_str())
    })
}

fn is_bridge(name: Option<&str>) -> bool {
    name.is_some_and(|n| n.contains("合成桥"))
}

#[test]
fn no_doorplate_resident_or_facility_lies_in_water() {
    let ds = city();
    let t = tests();
    let mut wet_plates: HashMap<&str, (usize, u64)> = HashMap::new();
    for d in &ds.doorplates {
        if let Some(k) = wet_at(&t, d.location.0) {
            let e = wet_plates.entry(k).or_default();
            e.0 += 1;
            e.1 += u64::from(d.residents);
        }
    }
    assert!(
        wet_plates.is_empty(),
        "doorplates (count, residents) in water: {wet_plates:?}"
    );
    let wet_facilities: Vec<&str> = ds
        .facilities
        .iter()
        .filter(|f| wet_at(&t, f.location.0).is_some())
        .map(|f| f.id.as_str())
        .collect();
    assert!(
        wet_facilities.is_empty(),
        "{} facilities in water, e.g. {:?}",
        wet_facilities.len(),
        &wet_facilities[..wet_facilities.len().min(5)]
    );
    // the city still has its people near the water: the urban banks are lived on
    let plane = LocalPlane::hangzhou();
    let near_qiantang = ds
        .doorplates
        .iter()
        .filter(|d| {
            let c = d.location.0;
            (120.17..120.25).contains(&c.x) && (30.18..30.26).contains(&c.y)
        })
        .count();
    assert!(near_qiantang > 2_000, "{near_qiantang} plates by the river");
    let _ = plane;
}

#[test]
fn no_walking_edge_crosses_water_except_the_bridges() {
    let ds = city();
    let net = &ds.network;
    let t = tests();
    let plane = LocalPlane::hangzhou();
    let mut crossing: HashMap<&str, usize> = HashMap::new();
    let mut qiantang_bridges: HashSet<&str> = HashSet::new();
    let mut bridge_names: HashSet<&str> = HashSet::new();
    for e in &net.edges {
        let (a, b) = (net.nodes[e.from as usize], net.nodes[e.to as usize]);
        let line = Line::new(a, b);
        let (pa, pb) = (plane.to_plane(a), plane.to_plane(b));
        let name = net.road_name(e);
        if is_bridge(name) {
            bridge_names.insert(name.unwrap_or_default());
        }
        for (body, test) in &t {
            let hit = match test {
                Test::Area(mp, r) => {
                    let lr = Rect::new(a, b);
                    lr.intersects(r) && line.intersects(*mp)
                }
                Test::Corridor(cl, hw) => cl.windows(2).any(|s| {
                    // a crossing comes within the half width of the centreline
                    let steps = 8;
                    (0..=steps).any(|k| {
                        let f = k as f64 / steps as f64;
                        let p = Coord {
                            x: pa.x + f * (pb.x - pa.x),
                            y: pa.y + f * (pb.y - pa.y),
                        };
                        point_seg_m(p, s[0], s[1]) < *hw
                    }) || Line::new(pa, pb).intersects(&Line::new(s[0], s[1]))
                }),
            };
            if hit {
                if is_bridge(name) {
                    if body.key == "qiantang" {
                        qiantang_bridges.insert(name.unwrap_or_default());
                    }
                } else {
                    *crossing.entry(body.key.as_str()).or_default() += 1;
                }
            }
        }
    }
    assert!(
        crossing.is_empty(),
        "walking edges over water that are not bridges: {crossing:?}"
    );
    // about a dozen crossings of the Qiantang in the city, between 之江 and 下沙
    assert!(
        (8..=14).contains(&qiantang_bridges.len()),
        "{} Qiantang bridges: {qiantang_bridges:?}",
        qiantang_bridges.len()
    );
    for e in &net.edges {
        if net
            .road_name(e)
            .is_some_and(|n| qiantang_bridges.contains(n))
        {
            let a = net.nodes[e.from as usize];
            assert!((120.10..120.42).contains(&a.x), "bridge at {a:?}");
            // a bridge is a crossing, not a causeway along the river
            assert!(e.length_m < 3_200.0, "{} m", e.length_m);
        }
    }
    assert!(bridge_names.len() <= 40, "{} bridges", bridge_names.len());
}

/// Components of the network without any bridge edge.
fn banks(ds: &Dataset) -> Vec<u32> {
    let net = &ds.network;
    let mut parent: Vec<u32> = (0..net.nodes.len() as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for e in &net.edges {
        if is_bridge(net.road_name(e)) {
            continue;
        }
        let (a, b) = (find(&mut parent, e.from), find(&mut parent, e.to));
        if a != b {
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    (0..net.nodes.len() as u32)
        .map(|v| find(&mut parent, v))
        .collect()
}

#[test]
fn coverage_reaches_the_far_bank_only_over_a_bridge_in_the_bridge_time() {
    let ds = city();
    let net = &ds.network;
    let bank = banks(ds);
    // the Qiantang bridge nearest 滨江's centre
    let target = Coord {
        x: 120.21,
        y: 30.215,
    };
    let bridges: Vec<(Coord<f64>, Coord<f64>, f64)> = net
        .edges
        .iter()
        .filter(|e| is_bridge(net.road_name(e)))
        .map(|e| {
            (
                net.nodes[e.from as usize],
                net.nodes[e.to as usize],
                e.length_m,
            )
        })
        .collect();
    let (bridge_edge, _) = net
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            net.road_name(e)
                .is_some_and(|n| n.starts_with("钱塘江合成桥"))
        })
        .map(|(i, e)| {
            let m = Coord {
                x: (net.nodes[e.from as usize].x + net.nodes[e.to as usize].x) / 2.0,
                y: (net.nodes[e.from as usize].y + net.nodes[e.to as usize].y) / 2.0,
            };
            (i, Geodesic.distance(Point(m), Point(target)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a Qiantang bridge");
    let e = &net.edges[bridge_edge];
    let (near, far) = (e.from, e.to);
    assert_ne!(
        bank[near as usize], bank[far as usize],
        "without its bridges the river separates the banks"
    );
    let (pn, pf) = (net.nodes[near as usize], net.nodes[far as usize]);
    let engine = CoverageEngine::new(ds);
    let profile = WalkProfile::standard();
    let minutes = 40.0;
    let from_near = engine
        .coverage(&[(0, pn.x, pn.y)], minutes, &profile, CoverageMode::Walk)
        .unwrap();
    let from_far = engine
        .coverage(&[(0, pf.x, pf.y)], minutes, &profile, CoverageMode::Walk)
        .unwrap();
    let speed = profile.speed_m_per_s;
    let far_bank = bank[far as usize];
    let graph_bank = |i: usize| {
        engine
            .doorplate_snap(i)
            .map(|s| bank[net.edges[s.edge as usize].from as usize])
    };
    let (mut far_covered, mut over_this_bridge) = (0, 0);
    for i in 0..ds.doorplates.len() {
        if !from_near.covered[i] || graph_bank(i) != Some(far_bank) {
            continue;
        }
        far_covered += 1;
        let t_near = f64::from(from_near.per_doorplate[i]);
        let p = ds.doorplates[i].location;
        // no walk to the far bank is shorter than the straight legs over the best bridge
        let lower_m = bridges
            .iter()
            .map(|&(a, b, len)| {
                let via = |x: Coord<f64>, y: Coord<f64>| {
                    Geodesic.distance(Point(pn), Point(x)) + len + Geodesic.distance(Point(y), p)
                };
                via(a, b).min(via(b, a))
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            t_near * speed >= lower_m - 2.0,
            "plate {i} reached in {t_near} s, but any bridge route is ≥ {lower_m} m"
        );
        // and the route over this bridge is never beaten by more than rounding …
        let t_far = f64::from(from_far.per_doorplate[i]);
        let via_this = e.length_m / speed + t_far;
        assert!(
            t_near <= via_this + 1.0,
            "plate {i}: {t_near} s, over the bridge {via_this} s"
        );
        // … and is the route taken where it is the shortest
        if (t_near - via_this).abs() <= 1.0 {
            over_this_bridge += 1;
        }
    }
    assert!(
        far_covered > 50,
        "{far_covered} far-bank plates within {minutes} min"
    );
    assert!(
        over_this_bridge * 10 >= far_covered * 9,
        "{over_this_bridge} of {far_covered} far-bank plates reached over the nearest bridge"
    );
    // 15 minutes (900 m) is not enough to cross a 1 km river from its bank
    if e.length_m > 950.0 {
        let short = engine
            .coverage(&[(0, pn.x, pn.y)], 15.0, &profile, CoverageMode::Walk)
            .unwrap();
        let leaked = (0..ds.doorplates.len())
            .filter(|&i| short.covered[i] && graph_bank(i) == Some(far_bank))
            .count();
        assert_eq!(leaked, 0, "15-minute coverage leaked over the river");
    }
}

#[test]
fn census_totals_are_still_exact_with_water() {
    let ds = city();
    let frame = hangzhou::frame().unwrap();
    let community_district: HashMap<&str, &str> = {
        let parent: HashMap<&str, &str> = ds
            .admin
            .iter()
            .filter_map(|u| Some((u.code.as_str(), u.parent.as_ref()?.as_str())))
            .collect();
        ds.admin_at_level(AdminLevel::Community)
            .map(|c| (c.code.as_str(), parent[parent[c.code.as_str()]]))
            .collect()
    };
    let mut by_district: HashMap<&str, (u64, u64)> = HashMap::new();
    for d in &ds.doorplates {
        let e = by_district
            .entry(community_district[d.community.as_ref().unwrap().as_str()])
            .or_default();
        e.0 += u64::from(d.residents);
        e.1 += u64::from(d.elderly);
    }
    for real in &frame.districts {
        assert_eq!(
            by_district[real.code.as_str()].0,
            real.population,
            "{} residents at its doorplates",
            real.name
        );
    }
    let elderly: u64 = by_district.values().map(|v| v.1).sum();
    assert_eq!(elderly, frame.elderly_total);
}

#[test]
fn a_cached_city_of_the_generator_before_water_is_not_served() {
    use civmap_data::store::{default_city, write_snapshot, DefaultCitySource, SNAPSHOT_FORMAT};
    use civmap_data::synthetic::{DEFAULT_SEED, GENERATOR_VERSION};
    // version 2 is the first that respects water; the cache key carries the version
    const _: () = assert!(GENERATOR_VERSION >= 2);
    let dir = tempfile::tempdir().unwrap();
    let cfg = GeneratorConfig::default();
    let mut old = Dataset::default();
    old.meta.name = "the city of generator 1, with people in the river".into();
    for v in 1..GENERATOR_VERSION {
        let name = format!("hangzhou-g{v}-f{SNAPSHOT_FORMAT}-seed{DEFAULT_SEED}-x1.civmap");
        write_snapshot(&dir.path().join(name), &old).unwrap();
    }
    let (ds, source) = default_city(Some(dir.path()), &cfg, &mut |_| {}).unwrap();
    assert_eq!(source, DefaultCitySource::Generated);
    assert!(
        &ds == city(),
        "the water-respecting city, not the old snapshot"
    );
    let (again, source) = default_city(Some(dir.path()), &cfg, &mut |_| {}).unwrap();
    assert_eq!(source, DefaultCitySource::Cache);
    assert!(&again == city());
}
