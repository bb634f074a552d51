//! `cargo +nightly fuzz run import_csv`: see `civmap_fuzz_harness::import_csv` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| civmap_fuzz_harness::import_csv(data));
