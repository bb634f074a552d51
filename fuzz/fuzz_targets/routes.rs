//! `cargo +nightly fuzz run routes`: see `civmap_fuzz_harness::routes` for what it drives and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(
    // builds the township's server once, outside the first input's time limit
    init: {
        civmap_fuzz_harness::server();
    },
    |data: &[u8]| civmap_fuzz_harness::routes(data)
);
