//! Oracle tests: every index query against a brute-force scan of the same seeded dataset.
//! Same records, same order, distances equal within 1e-6 m (both sides measure with
//! [`geodesic_distance_m`], itself tested against Karney's algorithm).

use std::sync::OnceLock;

use civmap_geo_core::index::{geodesic_distance_m, Hit, PointIndex, SpatialIndex};
use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, Facility, FacilityAttributes,
    FacilityCategory, Landmark,
};
use geo::coordinate_position::CoordPos;
use geo::{coord, polygon, CoordinatePosition, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const QUERIES: usize = 2_000;
const FACILITIES: usize = 20_000;
const LON: (f64, f64) = (118.3, 120.8);
const LAT: (f64, f64) = (29.1, 30.6);

// ---------------------------------------------------------------- the dataset

/// The admin grid: a city square of 1° × 1° at (119, 29.5); 2 × 2 districts of 0.5°;
/// each district 2 × 2 townships of 0.25°; each township two triangles split by the
/// diagonal from its south-west to its north-east corner. All coordinates are dyadic, so
/// points on shared edges and vertices are exactly representable.
const CITY_LON: f64 = 119.0;
const CITY_LAT: f64 = 29.5;
const TOWNSHIP_DEG: f64 = 0.25;

fn square(x0: f64, y0: f64, size: f64) -> Polygon<f64> {
    polygon![(x: x0, y: y0), (x: x0 + size, y: y0), (x: x0 + size, y: y0 + size), (x: x0, y: y0 + size), (x: x0, y: y0)]
}

fn unit(
    code: String,
    level: AdminLevel,
    parent: Option<&str>,
    geometry: MultiPolygon<f64>,
) -> AdminUnit {
    AdminUnit {
        code: AdminCode::parse(&code).unwrap(),
        name: code.clone(),
        level,
        parent: parent.map(|p| AdminCode::parse(p).unwrap()),
        kind: String::new(),
        geometry,
        population: 0,
        elderly: 0,
        synthetic: true,
    }
}

fn district_code(row: usize, col: usize) -> String {
    format!("3301{:02}000000", 1 + 2 * row + col)
}

fn township_code(row: usize, col: usize) -> String {
    let d = district_code(row / 2, col / 2);
    format!("{}{:03}000", &d[..6], 1 + 2 * (row % 2) + (col % 2))
}

/// Community 1 is the south-east triangle of its township, 2 the north-west one.
fn community_code(row: usize, col: usize, c: usize) -> String {
    format!("{}{:03}", &township_code(row, col)[..9], c)
}

fn admin_units() -> Vec<AdminUnit> {
    let mut units = vec![unit(
        "330100000000".into(),
        AdminLevel::City,
        None,
        square(CITY_LON, CITY_LAT, 1.0).into(),
    )];
    for row in 0..2 {
        for col in 0..2 {
            let (x0, y0) = (CITY_LON + 0.5 * col as f64, CITY_LAT + 0.5 * row as f64);
            // The last district comes as two rectangles sharing an edge: a multi-part unit.
            let geometry = if (row, col) == (1, 1) {
                MultiPolygon(vec![
                    polygon![(x: x0, y: y0), (x: x0 + 0.5, y: y0), (x: x0 + 0.5, y: y0 + 0.25), (x: x0, y: y0 + 0.25), (x: x0, y: y0)],
                    polygon![(x: x0, y: y0 + 0.25), (x: x0 + 0.5, y: y0 + 0.25), (x: x0 + 0.5, y: y0 + 0.5), (x: x0, y: y0 + 0.5), (x: x0, y: y0 + 0.25)],
                ])
            } else {
                square(x0, y0, 0.5).into()
            };
            units.push(unit(
                district_code(row, col),
                AdminLevel::District,
                Some("330100000000"),
                geometry,
            ));
        }
    }
    for row in 0..4 {
        for col in 0..4 {
            let (x0, y0) = (
                CITY_LON + TOWNSHIP_DEG * col as f64,
                CITY_LAT + TOWNSHIP_DEG * row as f64,
            );
            let s = TOWNSHIP_DEG;
            let district = district_code(row / 2, col / 2);
            let township = township_code(row, col);
            units.push(unit(
                township.clone(),
                AdminLevel::Township,
                Some(&district),
                square(x0, y0, s).into(),
            ));
            let south_east = polygon![(x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0)];
            let north_west = polygon![(x: x0, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s), (x: x0, y: y0)];
            units.push(unit(
                community_code(row, col, 1),
                AdminLevel::Community,
                Some(&township),
                south_east.into(),
            ));
            units.push(unit(
                community_code(row, col, 2),
                AdminLevel::Community,
                Some(&township),
                north_west.into(),
            ));
        }
    }
    // Shuffle-free but not sorted by level: the index must not rely on dataset order.
    units.reverse();
    units
}

fn facility(i: usize, category: FacilityCategory, lon: f64, lat: f64) -> Facility {
    Facility {
        id: format!("f{i}"),
        name: format!("facility {i}"),
        category,
        location: Point::new(lon, lat),
        address: String::new(),
        admin_code: None,
        attributes: FacilityAttributes::default(),
        synthetic: true,
    }
}

fn random_point(rng: &mut ChaCha8Rng) -> (f64, f64) {
    (rng.gen_range(LON.0..LON.1), rng.gen_range(LAT.0..LAT.1))
}

/// 20,000 facilities over Hangzhou's box with random categories. About one in ten repeats
/// the position of an earlier facility (some of them several times) to make exact ties.
fn dataset() -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(20_240_611);
        let cats = FacilityCategory::ALL;
        let mut facilities: Vec<Facility> = Vec::with_capacity(FACILITIES);
        for i in 0..FACILITIES {
            let category = cats[rng.gen_range(0..cats.len())];
            let (lon, lat) = if i > 0 && rng.gen_bool(0.1) {
                let p = facilities[rng.gen_range(0..i)].location;
                (p.x(), p.y())
            } else {
                random_point(&mut rng)
            };
            facilities.push(facility(i, category, lon, lat));
        }
        let doorplates = (0..5_000)
            .map(|i| {
                let (lon, lat) = random_point(&mut rng);
                Doorplate {
                    id: i,
                    road: "文三路".into(),
                    number: i as u32,
                    location: Point::new(lon, lat),
                    residents: 1,
                    elderly: 0,
                    community: None,
                    synthetic: true,
                }
            })
            .collect();
        let landmarks = (0..1_000)
            .map(|i| {
                let (lon, lat) = random_point(&mut rng);
                Landmark {
                    id: format!("l{i}"),
                    name: format!("landmark {i}"),
                    kind: "amenity=school".into(),
                    location: Point::new(lon, lat),
                    synthetic: true,
                }
            })
            .collect();
        Dataset {
            admin: admin_units(),
            facilities,
            doorplates,
            landmarks,
            ..Dataset::default()
        }
    })
}

fn index() -> &'static SpatialIndex {
    static INDEX: OnceLock<SpatialIndex> = OnceLock::new();
    INDEX.get_or_init(|| SpatialIndex::build(dataset()))
}

// ---------------------------------------------------------------- brute force

fn locations() -> Vec<(FacilityCategory, Point<f64>)> {
    dataset()
        .facilities
        .iter()
        .map(|f| (f.category, f.location))
        .collect()
}

fn keeps(filter: Option<&[FacilityCategory]>, c: FacilityCategory) -> bool {
    filter.is_none_or(|cats| cats.contains(&c))
}

/// Every kept record with its geodesic distance, ordered by (distance, record).
fn all_by_distance(
    points: &[(FacilityCategory, Point<f64>)],
    q: Point<f64>,
    filter: Option<&[FacilityCategory]>,
) -> Vec<Hit> {
    let mut hits: Vec<Hit> = points
        .iter()
        .enumerate()
        .filter(|(_, (c, _))| keeps(filter, *c))
        .map(|(i, (_, p))| (i as u32, geodesic_distance_m(q, *p)))
        .collect();
    hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    hits
}

fn assert_same_hits(got: &[Hit], want: &[Hit], what: &str) {
    let ids = |h: &[Hit]| h.iter().map(|h| h.0).collect::<Vec<_>>();
    assert_eq!(ids(got), ids(want), "{what}: records or order differ");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.1 - w.1).abs() <= 1e-6,
            "{what}: record {} at {} m, brute force {} m",
            g.0,
            g.1,
            w.1
        );
    }
}

/// A random category filter: None, one category, several (with a repeat), or none at all.
fn random_filter(rng: &mut ChaCha8Rng) -> Option<Vec<FacilityCategory>> {
    let cats = FacilityCategory::ALL;
    match rng.gen_range(0..10) {
        0..=3 => None,
        4..=6 => Some(vec![cats[rng.gen_range(0..cats.len())]]),
        7..=8 => {
            let n = rng.gen_range(2..5);
            let mut v: Vec<_> = (0..n).map(|_| cats[rng.gen_range(0..cats.len())]).collect();
            v.push(v[0]);
            Some(v)
        }
        _ => Some(vec![]),
    }
}

/// A query point: anywhere in (and a little around) the data box, or exactly on a record.
fn random_query(rng: &mut ChaCha8Rng) -> Point<f64> {
    if rng.gen_bool(0.2) {
        let f = &dataset().facilities;
        f[rng.gen_range(0..f.len())].location
    } else {
        Point::new(
            rng.gen_range(LON.0 - 0.2..LON.1 + 0.2),
            rng.gen_range(LAT.0 - 0.2..LAT.1 + 0.2),
        )
    }
}

// ---------------------------------------------------------------- point layers

#[test]
fn facility_bbox_matches_a_brute_force_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let points = locations();
    for _ in 0..QUERIES {
        let (a, b) = (random_query(&mut rng), random_query(&mut rng));
        let (min_lon, max_lon) = (a.x().min(b.x()), a.x().max(b.x()));
        let (min_lat, max_lat) = (a.y().min(b.y()), a.y().max(b.y()));
        let filter = random_filter(&mut rng);
        let got = index()
            .facilities()
            .bbox(min_lon, min_lat, max_lon, max_lat, filter.as_deref())
            .unwrap();
        let want: Vec<u32> = points
            .iter()
            .enumerate()
            .filter(|(_, (c, p))| {
                keeps(filter.as_deref(), *c)
                    && (min_lon..=max_lon).contains(&p.x())
                    && (min_lat..=max_lat).contains(&p.y())
            })
            .map(|(i, _)| i as u32)
            .collect();
        assert_eq!(
            got, want,
            "bbox ({min_lon}, {min_lat}, {max_lon}, {max_lat}) {filter:?}"
        );
    }
}

#[test]
fn facility_within_matches_a_brute_force_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let points = locations();
    for i in 0..QUERIES {
        let q = random_query(&mut rng);
        let filter = random_filter(&mut rng);
        let radius_m = match i % 4 {
            0 => 0.0,
            1 => rng.gen_range(0.0..1_000.0),
            2 => rng.gen_range(1_000.0..50_000.0),
            _ => rng.gen_range(50_000.0..1_000_000.0),
        };
        let got = index()
            .facilities()
            .within(q.x(), q.y(), radius_m, filter.as_deref())
            .unwrap();
        let mut want = all_by_distance(&points, q, filter.as_deref());
        want.retain(|h| h.1 <= radius_m);
        assert_same_hits(
            &got,
            &want,
            &format!("within({q:?}, {radius_m}, {filter:?})"),
        );
    }
}

#[test]
fn facility_nearest_matches_a_brute_force_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let points = locations();
    for i in 0..QUERIES {
        let q = random_query(&mut rng);
        let filter = random_filter(&mut rng);
        let k = match i % 10 {
            0 => rng.gen_range(1..3_000),
            _ => rng.gen_range(1..=20),
        };
        let got = index()
            .facilities()
            .nearest(q.x(), q.y(), k, filter.as_deref())
            .unwrap();
        let mut want = all_by_distance(&points, q, filter.as_deref());
        want.truncate(k);
        assert_same_hits(&got, &want, &format!("nearest({q:?}, {k}, {filter:?})"));
    }
}

fn check_point_layer(layer: &PointIndex, points: &[Point<f64>], seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tagged: Vec<_> = points
        .iter()
        .map(|p| (FacilityCategory::ElderCanteen, *p))
        .collect();
    for _ in 0..QUERIES / 4 {
        let q = random_query(&mut rng);
        let by_distance = all_by_distance(&tagged, q, None);
        let k = rng.gen_range(1..=30);
        assert_same_hits(
            &layer.nearest(q.x(), q.y(), k).unwrap(),
            &by_distance[..k],
            "nearest",
        );
        let radius_m = rng.gen_range(0.0..5_000.0);
        let within: Vec<Hit> = by_distance
            .iter()
            .copied()
            .filter(|h| h.1 <= radius_m)
            .collect();
        assert_same_hits(
            &layer.within(q.x(), q.y(), radius_m).unwrap(),
            &within,
            "within",
        );
        let (x, y) = (q.x() - 0.05, q.y() - 0.05);
        let want: Vec<u32> = (0..points.len() as u32)
            .filter(|&i| {
                let p = points[i as usize];
                (x..=q.x()).contains(&p.x()) && (y..=q.y()).contains(&p.y())
            })
            .collect();
        assert_eq!(layer.bbox(x, y, q.x(), q.y()).unwrap(), want);
    }
}

#[test]
fn doorplate_and_landmark_queries_match_a_brute_force_scan() {
    let d = dataset();
    let doorplates: Vec<_> = d.doorplates.iter().map(|x| x.location).collect();
    let landmarks: Vec<_> = d.landmarks.iter().map(|x| x.location).collect();
    assert_eq!(index().doorplates().len(), doorplates.len());
    assert_eq!(index().landmarks().len(), landmarks.len());
    check_point_layer(index().doorplates(), &doorplates, 4);
    check_point_layer(index().landmarks(), &landmarks, 5);
}

#[test]
fn nearest_breaks_ties_between_duplicate_points_by_record_index() {
    // Five facilities at one spot, recorded out of order among others.
    let spot = (120.15, 30.27);
    let mut facilities = vec![facility(0, FacilityCategory::ElderCanteen, 120.2, 30.3)];
    for i in 1..=5 {
        facilities.push(facility(i, FacilityCategory::ElderCanteen, spot.0, spot.1));
    }
    facilities.push(facility(6, FacilityCategory::ElderCanteen, 120.1501, 30.27));
    let index = SpatialIndex::build(&Dataset {
        facilities,
        ..Dataset::default()
    });
    for k in 1..=5 {
        let got = index.facilities().nearest(spot.0, spot.1, k, None).unwrap();
        assert_eq!(got, (1..=k as u32).map(|i| (i, 0.0)).collect::<Vec<_>>());
    }
    // From a little way off the five are still tied with each other.
    let got = index
        .facilities()
        .nearest(120.1499, 30.2701, 3, None)
        .unwrap();
    assert_eq!(got.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(got.windows(2).all(|w| w[0].1 == w[1].1));
    let within = index
        .facilities()
        .within(spot.0, spot.1, 0.0, None)
        .unwrap();
    assert_eq!(
        within.iter().map(|h| h.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
}

#[test]
fn within_includes_a_point_exactly_at_the_radius() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let facilities = &dataset().facilities;
    for _ in 0..200 {
        let q = random_query(&mut rng);
        let target = rng.gen_range(0..facilities.len());
        let radius_m = geodesic_distance_m(q, facilities[target].location);
        let got = index()
            .facilities()
            .within(q.x(), q.y(), radius_m, None)
            .unwrap();
        assert!(got.iter().any(|h| h.0 == target as u32 && h.1 == radius_m));
    }
}

/// Sparse points over the whole globe: large radii, polar caps and the antimeridian.
#[test]
fn queries_near_the_poles_and_the_antimeridian_match_a_brute_force_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut pts: Vec<Point<f64>> = (0..3_000)
        .map(|_| {
            Point::new(
                rng.gen_range(-180.0..=180.0),
                rng.gen_range(-1.0f64..=1.0).asin().to_degrees(),
            )
        })
        .collect();
    for _ in 0..500 {
        // Crowd the caps and the antimeridian.
        let lat = rng.gen_range(80.0..=90.0) * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        pts.push(Point::new(rng.gen_range(-180.0..=180.0), lat));
        let lon = if rng.gen_bool(0.5) {
            rng.gen_range(179.0..=180.0)
        } else {
            rng.gen_range(-180.0..=-179.0)
        };
        pts.push(Point::new(lon, rng.gen_range(-70.0..70.0)));
    }
    let layer = PointIndex::bulk_load(
        pts.iter()
            .enumerate()
            .map(|(i, p)| (i as u32, [p.x(), p.y()])),
    );
    let tagged: Vec<_> = pts
        .iter()
        .map(|p| (FacilityCategory::ElderCanteen, *p))
        .collect();
    for i in 0..QUERIES / 4 {
        let q = match i % 3 {
            0 => Point::new(
                rng.gen_range(-180.0..=180.0),
                rng.gen_range(85.0..=90.0) * if i % 2 == 0 { 1.0 } else { -1.0 },
            ),
            1 => Point::new(
                if i % 2 == 0 {
                    180.0
                } else {
                    rng.gen_range(-180.0..-179.5)
                },
                rng.gen_range(-60.0..60.0),
            ),
            _ => Point::new(rng.gen_range(-180.0..=180.0), rng.gen_range(-90.0..=90.0)),
        };
        let by_distance = all_by_distance(&tagged, q, None);
        let k = rng.gen_range(1..=25);
        assert_same_hits(
            &layer.nearest(q.x(), q.y(), k).unwrap(),
            &by_distance[..k],
            &format!("nearest({q:?}, {k})"),
        );
        let radius_m = rng.gen_range(0.0..1_000_000.0);
        let within: Vec<Hit> = by_distance
            .iter()
            .copied()
            .filter(|h| h.1 <= radius_m)
            .collect();
        assert_same_hits(
            &layer.within(q.x(), q.y(), radius_m).unwrap(),
            &within,
            &format!("within({q:?}, {radius_m})"),
        );
    }
}

// ---------------------------------------------------------------- admin chain

/// Brute force: scan every unit; per level keep the closed polygons holding the point and
/// pick by (on the boundary only, parent is not the unit chosen above, code, record).
fn brute_admin_chain(units: &[AdminUnit], lon: f64, lat: f64) -> Vec<u32> {
    let c = coord! { x: lon, y: lat };
    let mut chain: Vec<u32> = Vec::new();
    let mut above: Option<&AdminCode> = None;
    for level in AdminLevel::ALL {
        let mut best: Option<(bool, bool, &AdminCode, u32)> = None;
        for (i, u) in units.iter().enumerate().filter(|(_, u)| u.level == level) {
            let positions: Vec<CoordPos> = u
                .geometry
                .iter()
                .map(|p| p.coordinate_position(&c))
                .collect();
            let on_edge = if positions.contains(&CoordPos::Inside) {
                false
            } else if positions.contains(&CoordPos::OnBoundary) {
                true
            } else {
                continue;
            };
            let orphan = above.is_some() && u.parent.as_ref() != above;
            let key = (on_edge, orphan, &u.code, i as u32);
            if best.is_none_or(|k| key < k) {
                best = Some(key);
            }
        }
        if let Some((_, _, _, i)) = best {
            chain.push(i);
            above = Some(&units[i as usize].code);
        }
    }
    chain
}

/// A point on the admin grid: random, on a grid line, on a vertex, or on a diagonal.
fn random_admin_query(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let grid = |rng: &mut ChaCha8Rng, base: f64| base + TOWNSHIP_DEG * rng.gen_range(0..=4) as f64;
    let anywhere = |rng: &mut ChaCha8Rng| (rng.gen_range(118.9..120.1), rng.gen_range(29.4..30.6));
    match rng.gen_range(0..5) {
        0 | 1 => anywhere(rng),
        2 => {
            let (x, y) = anywhere(rng);
            if rng.gen_bool(0.5) {
                (grid(rng, CITY_LON), y)
            } else {
                (x, grid(rng, CITY_LAT))
            }
        }
        3 => (grid(rng, CITY_LON), grid(rng, CITY_LAT)),
        _ => {
            let (x0, y0) = (
                grid(rng, CITY_LON).min(119.75),
                grid(rng, CITY_LAT).min(30.25),
            );
            let t = TOWNSHIP_DEG * rng.gen_range(0..=64) as f64 / 64.0;
            (x0 + t, y0 + t)
        }
    }
}

#[test]
fn admin_chain_matches_a_brute_force_scan() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let units = &dataset().admin;
    for _ in 0..QUERIES {
        let (lon, lat) = random_admin_query(&mut rng);
        let got = index().admin_chain(lon, lat).unwrap();
        assert_eq!(
            got,
            brute_admin_chain(units, lon, lat),
            "admin_chain({lon}, {lat})"
        );
    }
}

/// The grid cells (one, or two on a line) that hold `v` on a grid of `n` cells of `size`.
fn cells(v: f64, origin: f64, size: f64, n: usize) -> Vec<usize> {
    let t = (v - origin) / size;
    let f = t.floor();
    let mut out = Vec::new();
    if t == f && f >= 1.0 && f <= n as f64 {
        out.push(f as usize - 1);
    }
    if f >= 0.0 && f < n as f64 {
        out.push(f as usize);
    }
    out
}

/// The chain the border rule predicts, by arithmetic on the grid alone (no geometry code).
fn expected_chain(lon: f64, lat: f64) -> Vec<String> {
    let (cols, rows) = (
        cells(lon, CITY_LON, TOWNSHIP_DEG, 4),
        cells(lat, CITY_LAT, TOWNSHIP_DEG, 4),
    );
    if cols.is_empty() || rows.is_empty() {
        return vec![];
    }
    // Lowest district code = lowest row, then lowest column.
    let (dr, dc) = (
        rows.iter().min().unwrap() / 2,
        cols.iter().min().unwrap() / 2,
    );
    // Lowest township code inside that district.
    let tr = *rows.iter().filter(|r| *r / 2 == dr).min().unwrap();
    let tc = *cols.iter().filter(|c| *c / 2 == dc).min().unwrap();
    let (u, v) = (
        lon - (CITY_LON + TOWNSHIP_DEG * tc as f64),
        lat - (CITY_LAT + TOWNSHIP_DEG * tr as f64),
    );
    let community = if v <= u { 1 } else { 2 };
    vec![
        "330100000000".into(),
        district_code(dr, dc),
        township_code(tr, tc),
        community_code(tr, tc, community),
    ]
}

#[test]
fn admin_chain_puts_border_and_vertex_points_in_the_lowest_coded_unit_per_level() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let units = &dataset().admin;
    let mut on_lines = 0;
    for _ in 0..QUERIES {
        let (lon, lat) = random_admin_query(&mut rng);
        let got: Vec<String> = index()
            .admin_chain(lon, lat)
            .unwrap()
            .into_iter()
            .map(|i| units[i as usize].code.to_string())
            .collect();
        assert_eq!(got, expected_chain(lon, lat), "admin_chain({lon}, {lat})");
        on_lines += usize::from(
            cells(lon, CITY_LON, TOWNSHIP_DEG, 4).len() == 2
                || cells(lat, CITY_LAT, TOWNSHIP_DEG, 4).len() == 2,
        );
    }
    assert!(
        on_lines > QUERIES / 4,
        "the sample must hit shared borders often"
    );
}

#[test]
fn admin_chain_gives_one_unit_per_level_from_city_down() {
    let units = &dataset().admin;
    // The centre vertex touches 4 districts, 4 townships and 6 communities.
    for (lon, lat) in [
        (119.5, 30.0),
        (119.25, 29.75),
        (119.125, 29.625),
        (119.0, 29.5),
        (120.0, 30.5),
        (119.75, 30.0),
    ] {
        let chain = index().admin_chain(lon, lat).unwrap();
        let levels: Vec<AdminLevel> = chain.iter().map(|&i| units[i as usize].level).collect();
        assert_eq!(levels, AdminLevel::ALL, "({lon}, {lat})");
        for pair in chain.windows(2) {
            assert_eq!(
                units[pair[1] as usize].parent.as_ref(),
                Some(&units[pair[0] as usize].code)
            );
        }
    }
    assert_eq!(
        index()
            .admin_chain(119.5, 30.0)
            .unwrap()
            .iter()
            .map(|&i| units[i as usize].code.as_str())
            .collect::<Vec<_>>(),
        [
            "330100000000",
            "330101000000",
            "330101004000",
            "330101004001"
        ]
    );
}

#[test]
fn admin_chain_is_empty_outside_the_city() {
    for (lon, lat) in [
        (118.99, 30.0),
        (120.0000001, 30.0),
        (119.5, 30.5000001),
        (-120.0, -30.0),
    ] {
        assert!(
            index().admin_chain(lon, lat).unwrap().is_empty(),
            "({lon}, {lat})"
        );
    }
}

#[test]
fn nearest_within_matches_a_brute_force_scan_inside_and_far_outside() {
    let d = dataset();
    let layer = index().doorplates();
    let pts: Vec<Point> = d.doorplates.iter().map(|x| x.location).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(1205);
    let (x0, y0) = (pts[0].x(), pts[0].y());
    for i in 0..200 {
        // near the data, a few km off, and far away (Shanghai-like distances, 0,0)
        let q = match i % 4 {
            0 => Point::new(
                x0 + rng.gen_range(-0.05..0.05),
                y0 + rng.gen_range(-0.05..0.05),
            ),
            1 => Point::new(x0 + rng.gen_range(-0.5..0.5), y0 + rng.gen_range(-0.5..0.5)),
            2 => Point::new(x0 + rng.gen_range(1.0..2.0), y0 + rng.gen_range(-1.0..1.0)),
            _ => Point::new(rng.gen_range(-180.0..180.0), rng.gen_range(-80.0..80.0)),
        };
        for max_m in [50.0, 1000.0, 20_000.0] {
            let want = pts
                .iter()
                .enumerate()
                .map(|(r, p)| (r as u32, geodesic_distance_m(q, *p)))
                .filter(|h| h.1 <= max_m)
                .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let got = layer.nearest_within(q.x(), q.y(), max_m).unwrap();
            match (got, want) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    assert!((g.1 - w.1).abs() < 1e-3, "{q:?} {max_m}: {g:?} vs {w:?}");
                }
                other => panic!("{q:?} {max_m}: {other:?}"),
            }
        }
    }
    assert!(layer.nearest_within(200.0, 0.0, 10.0).is_err());
}
