//! Rendering and encoding dense tiles of the default city: a z14 `all` tile over the urban
//! core (admin polygons of three levels, labels, facilities), a z16 `all` tile with its
//! doorplates, and the z12 admin tile with every community border.

use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::live::IndexedDataset;
use civmap_tiles::{render_tile, AdminTopology, TileId, TileInputs, TileSet};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let ds = default_city(
        Some(&default_cache_dir()),
        &GeneratorConfig::default(),
        &mut |_| {},
    )
    .expect("default city")
    .0;
    let live = IndexedDataset::new(ds);
    let topo = AdminTopology::build(&live.data().admin);
    let inputs = TileInputs {
        data: live.data(),
        index: live.index(),
        admin: &topo,
    };
    for (name, set, tile) in [
        (
            "all z14 urban core",
            TileSet::All,
            TileId::containing(120.17, 30.28, 14),
        ),
        (
            "all z16 doorplates",
            TileSet::All,
            TileId::containing(120.17, 30.28, 16),
        ),
        (
            "admin z12",
            TileSet::Admin,
            TileId::containing(120.155, 30.274, 12),
        ),
    ] {
        let bytes = render_tile(set, tile, &inputs, &[]).len();
        c.bench_function(&format!("{name} ({bytes} B)"), |b| {
            b.iter(|| render_tile(set, tile, &inputs, &[]))
        });
    }
    c.bench_function("admin topology build (3529 units)", |b| {
        b.iter(|| AdminTopology::build(&live.data().admin))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
