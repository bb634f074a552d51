//! `cargo +nightly fuzz run import_geojson`: see `civmap_fuzz_harness::import_geojson` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| civmap_fuzz_harness::import_geojson(data));
