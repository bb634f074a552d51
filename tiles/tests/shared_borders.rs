//! Shared borders survive generalisation: at z6–z12 the simplified townships of each
//! district tile it without gaps or overlaps (their areas sum to the simplified district's,
//! and neighbours intersect in no more than a sliver of float noise), on the real Hangzhou
//! boundaries. Simplifying each polygon on its own fails the same check (the control case),
//! so the check can tell the two apart.

use std::collections::HashMap;

use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::{AdminLevel, Dataset};
use civmap_tiles::topology::{tolerance_world, AdminTopology};
use geo::{Area, BooleanOps, BoundingRect, Intersects, MultiPolygon, Simplify};

fn city() -> Dataset {
    default_city(
        Some(&default_cache_dir()),
        &GeneratorConfig::default(),
        &mut |_| {},
    )
    .expect("default city")
    .0
}

fn area(mp: &MultiPolygon<f64>) -> f64 {
    mp.unsigned_area()
}

/// (worst relative |Σ children − parent| over parents, worst relative pairwise overlap)
fn border_errors(
    ds: &Dataset,
    geom: &dyn Fn(usize) -> MultiPolygon<f64>,
    parent_level: AdminLevel,
) -> (f64, f64) {
    let index_of: HashMap<&str, usize> = ds
        .admin
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.as_str(), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, u) in ds.admin.iter().enumerate() {
        if let Some(p) = &u.parent {
            if let Some(&pi) = index_of.get(p.as_str()) {
                if ds.admin[pi].level == parent_level {
                    children.entry(pi).or_default().push(i);
                }
            }
        }
    }
    let (mut worst_sum, mut worst_overlap) = (0.0f64, 0.0f64);
    for (p, kids) in &children {
        let parent = geom(*p);
        let pa = area(&parent);
        if pa == 0.0 {
            continue;
        }
        let geoms: Vec<MultiPolygon<f64>> = kids.iter().map(|&k| geom(k)).collect();
        let sum: f64 = geoms.iter().map(area).sum();
        worst_sum = worst_sum.max((sum - pa).abs() / pa);
        for i in 0..geoms.len() {
            for j in i + 1..geoms.len() {
                let (Some(a), Some(b)) = (geoms[i].bounding_rect(), geoms[j].bounding_rect())
                else {
                    continue;
                };
                if !a.intersects(&b) {
                    continue;
                }
                let inter = area(&geoms[i].intersection(&geoms[j]));
                worst_overlap = worst_overlap.max(inter / pa);
            }
        }
    }
    (worst_sum, worst_overlap)
}

#[test]
fn simplified_townships_tile_their_districts_without_gaps_or_overlaps_at_z6_to_z12() {
    let ds = city();
    let topo = AdminTopology::build(&ds.admin);
    let unit_of: HashMap<u32, usize> = topo
        .units()
        .iter()
        .enumerate()
        .map(|(i, u)| (u.record, i))
        .collect();
    println!(
        "{} arcs, {} vertices over {} units",
        topo.arc_count(),
        topo.vertex_count(),
        topo.units().len()
    );
    // the partition itself: exact at full detail
    let (full_sum, full_overlap) = border_errors(
        &ds,
        &|r| topo.multipolygon(unit_of[&(r as u32)], 22),
        AdminLevel::District,
    );
    println!("full detail: sum {full_sum:.2e}, overlap {full_overlap:.2e}");
    assert!(full_sum < 1e-9 && full_overlap < 1e-9);
    for z in 6u8..=12 {
        let (sum, overlap) = border_errors(
            &ds,
            &|r| topo.multipolygon(unit_of[&(r as u32)], z),
            AdminLevel::District,
        );
        println!("z{z} shared arcs: sum {sum:.2e}, overlap {overlap:.2e}");
        assert!(
            sum < 1e-9,
            "z{z}: children's areas differ from the parent's by {sum:.2e}"
        );
        assert!(overlap < 1e-9, "z{z}: neighbours overlap by {overlap:.2e}");
    }
    // control: per-feature simplification tears the borders apart
    let z = 8u8;
    let (sum, overlap) = border_errors(
        &ds,
        &|r| {
            topo.multipolygon(unit_of[&(r as u32)], 22)
                .simplify(tolerance_world(z))
        },
        AdminLevel::District,
    );
    println!("z{z} per-feature control: sum {sum:.2e}, overlap {overlap:.2e}");
    assert!(
        sum > 1e-4 || overlap > 1e-4,
        "the control should show gaps or overlaps"
    );
}

#[test]
fn simplified_communities_tile_their_townships_at_z10_and_z12() {
    let ds = city();
    let topo = AdminTopology::build(&ds.admin);
    let unit_of: HashMap<u32, usize> = topo
        .units()
        .iter()
        .enumerate()
        .map(|(i, u)| (u.record, i))
        .collect();
    for z in [10u8, 12] {
        let (sum, overlap) = border_errors(
            &ds,
            &|r| topo.multipolygon(unit_of[&(r as u32)], z),
            AdminLevel::Township,
        );
        println!("z{z} communities: sum {sum:.2e}, overlap {overlap:.2e}");
        assert!(
            sum < 1e-9 && overlap < 1e-9,
            "z{z}: sum {sum:.2e} overlap {overlap:.2e}"
        );
    }
}
