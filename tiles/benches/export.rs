//! Exporting a pyramid of the default city: `admin` z0–z12 over the whole city (about 1,700
//! tiles) to PMTiles and to MBTiles, on two rendering threads — the path `civmap tiles
//! export` takes, minus loading the city.

use civmap_data::store::{default_cache_dir, default_city};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::live::IndexedDataset;
use civmap_tiles::export::{export, ExportFormat, ExportOptions};
use civmap_tiles::{AdminTopology, TileInputs, TileSet};
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
    let dir = std::env::temp_dir().join(format!("civmap-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut group = c.benchmark_group("export admin z0-z12");
    group.sample_size(10);
    for (name, format) in [
        ("pmtiles", ExportFormat::PmTiles),
        ("mbtiles", ExportFormat::MbTiles),
    ] {
        let opts = ExportOptions {
            set: TileSet::Admin,
            min_zoom: 0,
            max_zoom: 12,
            bounds: [118.34, 29.18, 120.72, 30.57],
            format,
            threads: 2,
        };
        let path = dir.join(format!("city.{name}"));
        group.bench_function(name, |b| {
            b.iter(|| export(&inputs, &opts, &path, &mut |_, _| {}).expect("export"))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
