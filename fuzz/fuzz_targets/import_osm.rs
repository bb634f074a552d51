//! `cargo +nightly fuzz run import_osm`: see `civmap_fuzz_harness::import_osm` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| civmap_fuzz_harness::import_osm(data));
