//! Prints what the synthetic city generator makes: `cargo run --release -p civmap-data --example city_stats -- [SCALE]`.
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::{AdminLevel, FacilityCategory};
use std::time::Instant;

fn main() {
    let scale = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let t = Instant::now();
    let ds = generate(
        &GeneratorConfig {
            scale,
            ..Default::default()
        },
        &mut |s| eprintln!("{:>7.2}s {s}", t.elapsed().as_secs_f64()),
    )
    .expect("generate");
    eprintln!("{:>7.2}s done", t.elapsed().as_secs_f64());
    for l in AdminLevel::ALL {
        let n = ds.admin_at_level(l).count();
        let p: u64 = ds.admin_at_level(l).map(|u| u.population).sum();
        let e: u64 = ds.admin_at_level(l).map(|u| u.elderly).sum();
        println!("{l:10} {n:5} units  population {p:>9}  elderly {e:>8}");
    }
    {
        use geo::{Area, BooleanOps};
        let districts: Vec<_> = ds.admin_at_level(AdminLevel::District).collect();
        let mut worst: f64 = 0.0;
        for d in &districts {
            let kids: Vec<_> = ds
                .admin
                .iter()
                .filter(|u| u.parent.as_ref() == Some(&d.code))
                .collect();
            let sum: f64 = kids.iter().map(|k| k.geometry.unsigned_area()).sum();
            let rel = (sum / d.geometry.unsigned_area() - 1.0).abs();
            worst = worst.max(rel);
            let mut ov: f64 = 0.0;
            for i in 0..kids.len() {
                for j in i + 1..kids.len() {
                    ov += kids[i]
                        .geometry
                        .intersection(&kids[j].geometry)
                        .unsigned_area();
                }
            }
            if ov > 1e-12 {
                println!("overlap in {}: {ov:e} deg2", d.name);
            }
        }
        println!("worst relative area mismatch township-sum vs district: {worst:e}");
    }
    let net = &ds.network;
    println!(
        "network: {} nodes, {} edges, {} intersections, {} components, {:.0} km, {} roads",
        net.nodes.len(),
        net.edges.len(),
        net.intersection_count(),
        net.component_count(),
        net.total_length_m() / 1000.0,
        net.road_names.len()
    );
    // the synthetic bridges (named …合成桥N), with both ends
    for e in net
        .edges
        .iter()
        .filter(|e| net.road_name(e).is_some_and(|n| n.contains("合成桥")))
    {
        let (a, b) = (net.nodes[e.from as usize], net.nodes[e.to as usize]);
        println!(
            "  bridge {:12} ({:.4}, {:.4}) – ({:.4}, {:.4}) {:.0} m",
            net.road_name(e).unwrap_or_default(),
            a.x,
            a.y,
            b.x,
            b.y,
            e.length_m
        );
    }
    let res: u64 = ds.doorplates.iter().map(|d| u64::from(d.residents)).sum();
    println!("doorplates: {} (residents {res})", ds.doorplates.len());
    for c in FacilityCategory::ALL {
        println!(
            "  {:28} {}",
            c.id(),
            ds.facilities.iter().filter(|f| f.category == *c).count()
        );
    }
}
