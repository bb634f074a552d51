//! The synthetic city against the promises of docs/data.md: exact partitions, exact census
//! sums, a connected walking network of the promised size, doorplates that add up, and
//! facility counts from the plan.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use civmap_data::hangzhou;
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::{AdminLevel, AdminUnit, Dataset, FacilityCategory as Cat};
use geo::{Area, BooleanOps, BoundingRect, Contains, InteriorPoint, Intersects};

fn city() -> &'static Dataset {
    static CITY: OnceLock<Dataset> = OnceLock::new();
    CITY.get_or_init(|| {
        generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city generates")
    })
}

fn children<'a>(ds: &'a Dataset, parent: &AdminUnit) -> Vec<&'a AdminUnit> {
    ds.admin
        .iter()
        .filter(|u| u.parent.as_ref() == Some(&parent.code))
        .collect()
}

/// Checks that `kids` tile `parent`: areas add up and no two overlap (beyond rounding).
fn assert_partition(parent: &AdminUnit, kids: &[&AdminUnit]) {
    let area = parent.geometry.unsigned_area();
    let sum: f64 = kids.iter().map(|k| k.geometry.unsigned_area()).sum();
    assert!(
        (sum / area - 1.0).abs() < 1e-7,
        "{}: children cover {sum} of {area}",
        parent.name
    );
    let mut overlap = 0.0;
    for (i, a) in kids.iter().enumerate() {
        let ra = a.geometry.bounding_rect().unwrap();
        for b in &kids[i + 1..] {
            if ra.intersects(&b.geometry.bounding_rect().unwrap()) {
                overlap += a.geometry.intersection(&b.geometry).unsigned_area();
            }
        }
    }
    assert!(
        overlap / area < 1e-7,
        "{}: children overlap by {overlap} of {area}",
        parent.name
    );
    for k in kids {
        let p = k.geometry.interior_point().unwrap();
        assert!(
            parent.geometry.contains(&p) || parent.geometry.intersects(&p),
            "{} lies outside {}",
            k.name,
            parent.name
        );
    }
}

#[test]
fn every_real_unit_is_there_with_its_real_code_and_name() {
    let ds = city();
    let f = hangzhou::frame().unwrap();
    assert_eq!(ds.admin_at_level(AdminLevel::City).count(), 1);
    assert_eq!(ds.admin_at_level(AdminLevel::District).count(), 13);
    assert_eq!(ds.admin_at_level(AdminLevel::Township).count(), 196);
    assert_eq!(ds.admin_at_level(AdminLevel::Community).count(), 3320);
    let names: HashMap<&str, &str> = ds
        .admin
        .iter()
        .map(|u| (u.code.as_str(), u.name.as_str()))
        .collect();
    for row in f.townships.iter().chain(&f.communities) {
        assert_eq!(names.get(row.code.as_str()), Some(&row.name.as_str()));
    }
    assert!(ds
        .admin
        .iter()
        .filter(|u| u.level >= AdminLevel::Township)
        .all(|u| u.synthetic));
}

#[test]
fn townships_partition_each_district_exactly() {
    let ds = city();
    for d in ds.admin_at_level(AdminLevel::District) {
        let kids = children(ds, d);
        assert!(!kids.is_empty());
        assert_partition(d, &kids);
    }
}

#[test]
fn communities_partition_each_township_exactly() {
    let ds = city();
    for t in ds.admin_at_level(AdminLevel::Township) {
        let kids = children(ds, t);
        assert!(!kids.is_empty(), "{} has no communities", t.name);
        assert_partition(t, &kids);
    }
}

#[test]
fn urban_communities_are_smaller_than_rural_villages() {
    let ds = city();
    let median_area = |kind: &str| {
        let mut a: Vec<f64> = ds
            .admin_at_level(AdminLevel::Community)
            .filter(|u| u.kind == kind)
            .map(|u| u.geometry.unsigned_area())
            .collect();
        a.sort_by(f64::total_cmp);
        a[a.len() / 2]
    };
    assert!(median_area("village") > 5.0 * median_area("community"));
}

#[test]
fn population_sums_exactly_to_the_census_and_elderly_to_the_city_total() {
    let ds = city();
    let f = hangzhou::frame().unwrap();
    for d in &f.districts {
        let sum: u64 = ds
            .admin_at_level(AdminLevel::Community)
            .filter(|u| u.code.district_prefix() == d.code.district_prefix())
            .map(|u| u.population)
            .sum();
        assert_eq!(sum, d.population, "{}", d.name);
    }
    let elderly: u64 = ds
        .admin_at_level(AdminLevel::Community)
        .map(|u| u.elderly)
        .sum();
    assert_eq!(elderly, 2_013_297);
    assert!(ds.admin.iter().all(|u| u.elderly <= u.population));
    // each level's totals equal the sum of its children
    for u in ds.admin.iter().filter(|u| u.level < AdminLevel::Community) {
        let kids = children(ds, u);
        assert_eq!(
            kids.iter().map(|k| k.population).sum::<u64>(),
            u.population,
            "{}",
            u.name
        );
        assert_eq!(
            kids.iter().map(|k| k.elderly).sum::<u64>(),
            u.elderly,
            "{}",
            u.name
        );
    }
}

#[test]
fn rural_counties_are_older_than_the_urban_core() {
    let ds = city();
    let share = |name: &str| {
        let d = ds.admin.iter().find(|u| u.name == name).unwrap();
        d.elderly as f64 / d.population as f64
    };
    for county in ["淳安县", "建德市", "桐庐县"] {
        for core in ["上城区", "拱墅区", "滨江区"] {
            assert!(share(county) > share(core) + 0.03, "{county} vs {core}");
        }
    }
}

#[test]
fn walking_network_is_large_connected_and_dense_in_the_core() {
    let ds = city();
    let net = &ds.network;
    net.validate().unwrap();
    assert!(
        net.intersection_count() >= 150_000,
        "{} intersections",
        net.intersection_count()
    );
    assert_eq!(
        net.component_count(),
        1,
        "the whole city's network is one component"
    );
    // blocks of ~100-250 m in the urban core, longer in the hills
    let mut core: Vec<f64> = Vec::new();
    let mut rural: Vec<f64> = Vec::new();
    for e in net.edges.iter().filter(|e| net.road_name(e).is_some()) {
        let a = net.nodes[e.from as usize];
        if (a.x - 120.165).abs() < 0.03 && (a.y - 30.275).abs() < 0.03 {
            core.push(e.length_m);
        } else if a.x < 119.3 {
            rural.push(e.length_m);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mc, mr) = (median(&mut core), median(&mut rural));
    assert!((80.0..=250.0).contains(&mc), "core block {mc} m");
    assert!(mr > 1.5 * mc, "rural {mr} m vs core {mc} m");
}

#[test]
fn doorplates_add_up_to_each_community_and_are_numbered_by_side() {
    let ds = city();
    assert!((450_000..=550_000).contains(&ds.doorplates.len()));
    let mut res: HashMap<&str, (u64, u64)> = HashMap::new();
    for d in &ds.doorplates {
        assert!(d.elderly <= d.residents);
        assert!(d.synthetic);
        let e = res
            .entry(d.community.as_ref().unwrap().as_str())
            .or_default();
        e.0 += u64::from(d.residents);
        e.1 += u64::from(d.elderly);
    }
    for c in ds.admin_at_level(AdminLevel::Community) {
        assert_eq!(
            res.get(c.code.as_str()).copied().unwrap_or_default(),
            (c.population, c.elderly),
            "{}",
            c.name
        );
    }
    let mut seen: HashSet<(&str, u32)> = HashSet::new();
    let mut odd = 0;
    for d in &ds.doorplates {
        assert!(
            seen.insert((&d.road, d.number)),
            "{} is numbered twice",
            d.address()
        );
        odd += d.number % 2;
    }
    let odd_share = odd as f64 / ds.doorplates.len() as f64;
    assert!((0.45..0.55).contains(&odd_share), "{odd_share}");
}

#[test]
fn facility_counts_follow_the_plan_with_gaps() {
    let ds = city();
    let count = |c: Cat| ds.facilities.iter().filter(|f| f.category == c).count();
    assert!((2_200..=2_400).contains(&count(Cat::ElderCanteen)));
    assert!((2_700..=2_900).contains(&count(Cat::HomeCareCentre)));
    assert_eq!(count(Cat::ElderCareInstitution), 329);
    assert_eq!(
        ds.facilities
            .iter()
            .filter(|f| f.attributes.demonstration)
            .count(),
        214
    );
    assert!((160..=200).contains(&count(Cat::NeighbourhoodCentre)));
    let children = count(Cat::ChildrenHome);
    assert!(
        children > 3320 / 2 && children < 3320,
        "children's homes in most but not all communities: {children}"
    );
    let sws = count(Cat::SocialWorkStation);
    assert!(
        sws > 196 / 2 && sws < 196,
        "social-work stations in most townships: {sws}"
    );
    let beds: u64 = ds
        .facilities
        .iter()
        .filter_map(|f| f.attributes.beds)
        .map(u64::from)
        .sum();
    let nursing: u64 = ds
        .facilities
        .iter()
        .filter_map(|f| f.attributes.nursing_beds)
        .map(u64::from)
        .sum();
    let per_1000 = beds as f64 / 2_013.297;
    assert!(
        (per_1000 - 73.9).abs() < 0.05,
        "{per_1000} beds per 1000 elderly"
    );
    let share = nursing as f64 / beds as f64;
    assert!((0.53..0.59).contains(&share), "nursing share {share}");
    let hubs_with_delivery = ds
        .facilities
        .iter()
        .filter(|f| f.attributes.hub && f.attributes.delivery)
        .count();
    assert!(
        hubs_with_delivery > 150 && hubs_with_delivery < 196,
        "{hubs_with_delivery}"
    );
    // some communities have no meal point: coverage questions have non-trivial answers
    let with_canteen: HashSet<&str> = ds
        .facilities
        .iter()
        .filter(|f| f.category == Cat::ElderCanteen)
        .filter_map(|f| f.admin_code.as_ref().map(|c| c.as_str()))
        .collect();
    assert!(with_canteen.len() < 3320 && with_canteen.len() > 1000);
    let ids: HashSet<&str> = ds.facilities.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), ds.facilities.len());
    assert!(ds
        .facilities
        .iter()
        .all(|f| f.synthetic && !f.address.is_empty()));
}

#[test]
fn facilities_stand_in_their_community() {
    let ds = city();
    let polys: HashMap<&str, &AdminUnit> = ds.admin.iter().map(|u| (u.code.as_str(), u)).collect();
    let inside = ds
        .facilities
        .iter()
        .filter(|f| {
            polys[f.admin_code.as_ref().unwrap().as_str()]
                .geometry
                .contains(&f.location)
        })
        .count();
    // doorplates sit 6–12 m off their street, so a few fall just over a border
    assert!(
        inside as f64 / ds.facilities.len() as f64 > 0.97,
        "{inside}"
    );
}

#[test]
fn same_seed_gives_the_same_city_and_another_seed_another() {
    let again = generate(&GeneratorConfig::default(), &mut |_| {}).unwrap();
    assert!(&again == city(), "generation is deterministic");
    let other = generate(&GeneratorConfig { seed: 7, scale: 1 }, &mut |_| {}).unwrap();
    assert_ne!(other.doorplates[0].location, city().doorplates[0].location);
}

#[test]
fn scale_two_doubles_streets_doorplates_and_facilities_over_the_same_people() {
    let ds2 = generate(&GeneratorConfig { seed: 1, scale: 2 }, &mut |_| {}).unwrap();
    let ds1 = city();
    let ratio = |a: usize, b: usize| a as f64 / b as f64;
    assert!(ratio(ds2.network.nodes.len(), ds1.network.nodes.len()) > 1.6);
    assert_eq!(ds2.doorplates.len(), 2 * ds1.doorplates.len());
    assert!(ratio(ds2.facilities.len(), ds1.facilities.len()) > 1.8);
    let pop = |d: &Dataset| {
        d.admin_at_level(AdminLevel::Community)
            .map(|u| u.population)
            .sum::<u64>()
    };
    assert_eq!(pop(&ds2), pop(ds1));
}
