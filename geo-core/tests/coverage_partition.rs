//! The oracle of partitioned batch jobs: on random cities cut into districts, the rows each
//! district's partition (with its halo) computes are exactly the whole city's rows.

use civmap_geo_core::coverage::{
    partition, partition_districts, units_in_district, CoverageEngine, CoverageMode, UnitCoverage,
    WalkProfile,
};
use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, Facility, FacilityCategory, WalkNetwork,
};
use geo::{coord, MultiPolygon, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 40; // nodes per side, ~100 m apart: a 4 km square

fn lon(i: f64) -> f64 {
    120.10 + 0.001 * i
}

fn lat(j: f64) -> f64 {
    30.20 + 0.0009 * j
}

fn unit(code: &str, level: AdminLevel, parent: Option<&str>) -> AdminUnit {
    AdminUnit {
        code: AdminCode::parse(code).unwrap(),
        name: code.into(),
        level,
        parent: parent.map(|p| AdminCode::parse(p).unwrap()),
        kind: String::new(),
        geometry: MultiPolygon(vec![]),
        population: 0,
        elderly: 0,
        synthetic: true,
    }
}

/// Four districts in vertical bands, two townships each (north/south), one community per
/// township; a jittered grid with missing links; facilities of two categories, some off
/// the network.
fn random_city(seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut network = WalkNetwork::default();
    for j in 0..N {
        for i in 0..N {
            network.add_node(coord! {
                x: lon(i as f64) + rng.gen_range(-0.0002..0.0002),
                y: lat(j as f64) + rng.gen_range(-0.0002..0.0002),
            });
        }
    }
    let id = |i: usize, j: usize| (j * N + i) as u32;
    for j in 0..N {
        for i in 0..N {
            if i + 1 < N && rng.gen_bool(0.8) {
                network.add_edge(id(i, j), id(i + 1, j), None);
            }
            if j + 1 < N && rng.gen_bool(0.8) {
                network.add_edge(id(i, j), id(i, j + 1), None);
            }
        }
    }
    let mut admin = vec![unit("330100000000", AdminLevel::City, None)];
    for d in 0..4 {
        let district = format!("3301{:02}000000", d + 1);
        admin.push(unit(&district, AdminLevel::District, Some("330100000000")));
        for t in 0..2 {
            let township = format!("3301{:02}{:03}000", d + 1, t + 1);
            admin.push(unit(&township, AdminLevel::Township, Some(&district)));
            let community = format!("3301{:02}{:03}001", d + 1, t + 1);
            admin.push(unit(&community, AdminLevel::Community, Some(&township)));
        }
    }
    let extent = N as f64 - 1.0;
    let doorplates = (0..4000u64)
        .map(|k| {
            let (x, y) = (rng.gen_range(0.0..extent), rng.gen_range(0.0..extent));
            let d = (x / extent * 4.0).floor().min(3.0) as usize + 1;
            let t = if y < extent / 2.0 { 1 } else { 2 };
            Doorplate {
                id: k,
                road: "路".into(),
                number: k as u32,
                location: Point::new(lon(x), lat(y)),
                residents: 1 + (k % 5) as u32,
                elderly: (k % 3) as u32,
                community: Some(AdminCode::parse(&format!("3301{d:02}{t:03}001")).unwrap()),
                synthetic: true,
            }
        })
        .collect();
    let facilities = (0..60)
        .map(|k| {
            let (x, y) = (
                rng.gen_range(-1.0..extent + 1.0),
                rng.gen_range(-1.0..extent + 1.0),
            );
            Facility {
                id: format!("f{k}"),
                name: format!("f{k}"),
                category: if k % 2 == 0 {
                    FacilityCategory::ElderCanteen
                } else {
                    FacilityCategory::HomeCareCentre
                },
                location: Point::new(lon(x), lat(y)),
                address: String::new(),
                admin_code: None,
                attributes: Default::default(),
                synthetic: true,
            }
        })
        .collect();
    Dataset {
        admin,
        facilities,
        doorplates,
        network,
        ..Dataset::default()
    }
}

fn rows(
    d: &Dataset,
    category: FacilityCategory,
    minutes: f64,
    level: AdminLevel,
) -> Vec<UnitCoverage> {
    let sources: Vec<(u32, f64, f64)> = d
        .facilities
        .iter()
        .enumerate()
        .filter(|(_, f)| f.category == category)
        .map(|(i, f)| (i as u32, f.location.x(), f.location.y()))
        .collect();
    let engine = CoverageEngine::new(d);
    let r = engine
        .coverage(
            &sources,
            minutes,
            &WalkProfile::standard(),
            CoverageMode::Walk,
        )
        .unwrap();
    engine.report(&r, Some(level)).units
}

#[test]
fn coverage_partition_rows_equal_the_whole_city_rows() {
    for seed in [1, 2, 3] {
        let city = random_city(seed);
        let districts = partition_districts(&city);
        assert_eq!(districts.len(), 4);
        for category in [
            FacilityCategory::ElderCanteen,
            FacilityCategory::HomeCareCentre,
        ] {
            for minutes in [5.0, 15.0] {
                for level in [
                    AdminLevel::Township,
                    AdminLevel::Community,
                    AdminLevel::District,
                ] {
                    let want = rows(&city, category, minutes, level);
                    let mut got: Vec<UnitCoverage> = Vec::new();
                    let budget_m = WalkProfile::standard().distance_m(minutes);
                    for d in &districts {
                        let part = partition(&city, d, budget_m);
                        assert!(part.network.edges.len() < city.network.edges.len());
                        let mine = units_in_district(&city, d);
                        got.extend(
                            rows(&part, category, minutes, level)
                                .into_iter()
                                .filter(|u| mine.contains(&u.code)),
                        );
                    }
                    let key = |u: &UnitCoverage| u.code.as_str().to_owned();
                    let mut want = want;
                    want.sort_by_key(key);
                    got.sort_by_key(key);
                    assert!(want.iter().any(|u| u.covered_population > 0));
                    assert!(want.iter().any(|u| u.covered_population < u.population));
                    assert_eq!(
                        got, want,
                        "seed {seed} {category:?} {minutes} min {level:?}"
                    );
                }
            }
        }
    }
}

/// The halo matters: with none, the partitions miss facilities across a district border.
#[test]
fn coverage_partition_without_a_halo_is_wrong() {
    let city = random_city(1);
    let want = rows(
        &city,
        FacilityCategory::ElderCanteen,
        15.0,
        AdminLevel::Township,
    );
    let mut got = Vec::new();
    for d in &partition_districts(&city) {
        let mine = units_in_district(&city, d);
        got.extend(
            rows(
                &partition(&city, d, 0.0),
                FacilityCategory::ElderCanteen,
                15.0,
                AdminLevel::Township,
            )
            .into_iter()
            .filter(|u| mine.contains(&u.code)),
        );
    }
    got.sort_by_key(|u| u.code.as_str().to_owned());
    let mut want = want;
    want.sort_by_key(|u| u.code.as_str().to_owned());
    assert_ne!(got, want);
}
