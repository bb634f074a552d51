//! Index build time and per-query latency on a synthetic city of Hangzhou's size:
//! 10k facilities, 500k doorplates, 16 districts / 192 townships / 3,072 communities
//! (grid squares with densified edges, ~100–1,600 vertices each).
//!
//! `cargo bench -p civmap-geo-core --bench index -- --quick`

use civmap_geo_core::index::SpatialIndex;
use civmap_geo_core::{
    AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, Facility, FacilityAttributes,
    FacilityCategory,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const LON: (f64, f64) = (118.3, 120.8);
const LAT: (f64, f64) = (29.1, 30.6);

/// A rectangle with `per_side` vertices on each edge.
fn dense_rect(x0: f64, y0: f64, x1: f64, y1: f64, per_side: usize) -> MultiPolygon<f64> {
    let mut ring = Vec::with_capacity(4 * per_side + 1);
    let n = per_side as f64;
    for i in 0..per_side {
        ring.push(Coord {
            x: x0 + (x1 - x0) * i as f64 / n,
            y: y0,
        });
    }
    for i in 0..per_side {
        ring.push(Coord {
            x: x1,
            y: y0 + (y1 - y0) * i as f64 / n,
        });
    }
    for i in 0..per_side {
        ring.push(Coord {
            x: x1 - (x1 - x0) * i as f64 / n,
            y: y1,
        });
    }
    for i in 0..per_side {
        ring.push(Coord {
            x: x0,
            y: y1 - (y1 - y0) * i as f64 / n,
        });
    }
    ring.push(ring[0]);
    Polygon::new(LineString(ring), vec![]).into()
}

fn unit(code: String, level: AdminLevel, geometry: MultiPolygon<f64>) -> AdminUnit {
    AdminUnit {
        code: AdminCode::parse(&code).unwrap(),
        name: code,
        level,
        parent: None,
        kind: String::new(),
        geometry,
        population: 0,
        elderly: 0,
        synthetic: true,
    }
}

/// Units on a grid: `cols × rows` cells at `level`, each edge densified.
fn grid(
    level: AdminLevel,
    cols: usize,
    rows: usize,
    per_side: usize,
    code: impl Fn(usize) -> String,
) -> Vec<AdminUnit> {
    let (w, h) = ((LON.1 - LON.0) / cols as f64, (LAT.1 - LAT.0) / rows as f64);
    let mut out = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (x0, y0) = (LON.0 + w * c as f64, LAT.0 + h * r as f64);
            out.push(unit(
                code(r * cols + c),
                level,
                dense_rect(x0, y0, x0 + w, y0 + h, per_side),
            ));
        }
    }
    out
}

fn dataset() -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut point = || Point::new(rng.gen_range(LON.0..LON.1), rng.gen_range(LAT.0..LAT.1));
    let cats = FacilityCategory::ALL;
    let facilities = (0..10_000)
        .map(|i| Facility {
            id: format!("f{i}"),
            name: String::new(),
            category: cats[i % cats.len()],
            location: point(),
            address: String::new(),
            admin_code: None,
            attributes: FacilityAttributes::default(),
            synthetic: true,
        })
        .collect();
    let doorplates = (0..500_000u64)
        .map(|i| Doorplate {
            id: i,
            road: String::new(),
            number: 1,
            location: point(),
            residents: 1,
            elderly: 0,
            community: None,
            synthetic: true,
        })
        .collect();
    let mut admin = grid(AdminLevel::City, 1, 1, 1_600, |_| "330100000000".into());
    admin.extend(grid(AdminLevel::District, 4, 4, 400, |i| {
        format!("3301{:02}000000", i + 1)
    }));
    admin.extend(grid(AdminLevel::Township, 16, 12, 100, |i| {
        format!("3301{:05}000", i + 1)
    }));
    admin.extend(grid(AdminLevel::Community, 64, 48, 25, |i| {
        format!("33019{:07}", i + 1)
    }));
    Dataset {
        admin,
        facilities,
        doorplates,
        ..Dataset::default()
    }
}

fn queries(n: usize) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|_| (rng.gen_range(LON.0..LON.1), rng.gen_range(LAT.0..LAT.1)))
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = dataset();
    let mut build = c.benchmark_group("build");
    build.sample_size(10);
    build.bench_function("spatial_index_10k_facilities_500k_doorplates", |b| {
        b.iter(|| SpatialIndex::build(black_box(&data)))
    });
    build.finish();

    let index = SpatialIndex::build(&data);
    let qs = queries(1_024);
    let mut i = 0usize;
    let mut next = move || {
        i = (i + 1) % qs.len();
        qs[i]
    };
    let canteens = Some(&[FacilityCategory::ElderCanteen][..]);
    let mut g = c.benchmark_group("query");
    g.bench_function("facility_nearest_k10", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.facilities().nearest(x, y, 10, None).unwrap()
        })
    });
    g.bench_function("facility_nearest_k10_one_category", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.facilities().nearest(x, y, 10, canteens).unwrap()
        })
    });
    g.bench_function("facility_within_1km", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.facilities().within(x, y, 1_000.0, None).unwrap()
        })
    });
    g.bench_function("facility_bbox_0.05deg", |b| {
        b.iter(|| {
            let (x, y) = next();
            index
                .facilities()
                .bbox(x, y, x + 0.05, y + 0.05, None)
                .unwrap()
        })
    });
    g.bench_function("doorplate_nearest_k10", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.doorplates().nearest(x, y, 10).unwrap()
        })
    });
    g.bench_function("doorplate_within_1km", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.doorplates().within(x, y, 1_000.0).unwrap()
        })
    });
    g.bench_function("doorplate_bbox_0.01deg", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.doorplates().bbox(x, y, x + 0.01, y + 0.01).unwrap()
        })
    });
    g.bench_function("admin_chain", |b| {
        b.iter(|| {
            let (x, y) = next();
            index.admin_chain(x, y).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
