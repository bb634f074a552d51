//! The one non-cryptographic hash civmap uses for identifiers that must stay the same across
//! builds, platforms and Rust versions: 64-bit FNV-1a.
//!
//! Tile and web-asset ETags, string feature ids and the export's count of distinct tiles
//! are derived from it, so clients' cached validators and feature-state keys survive a
//! rebuild — which `std`'s `DefaultHasher` (randomly keyed, unspecified algorithm) does not
//! promise. FNV-1a is a few lines, has no dependency and is fast on the short inputs it gets
//! (ids, one tile); it is not collision-resistant against an adversary, so it only names
//! content the server produced itself.

/// FNV-1a 64-bit offset basis.
const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a of `bytes` (the published test vectors hold).
///
/// ```
/// use civmap_tiles::hash::fnv1a_64;
/// assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
/// assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
/// ```
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// [`fnv1a_64`] masked to 53 bits, so the value is exact as a JavaScript number (MVT
/// feature ids of string keys, which MapLibre's feature state reads as numbers).
///
/// ```
/// use civmap_tiles::hash::{fnv1a_53, fnv1a_64};
/// assert_eq!(fnv1a_53(b"a"), fnv1a_64(b"a") & ((1 << 53) - 1));
/// assert!(fnv1a_53(b"any key") < 1 << 53);
/// ```
pub fn fnv1a_53(bytes: &[u8]) -> u64 {
    fnv1a_64(bytes) & ((1 << 53) - 1)
}
