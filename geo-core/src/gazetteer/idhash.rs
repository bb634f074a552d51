//! Hashing for the index's integer keys (entry ids, character bigrams, letter trigrams).
//! The standard SipHash guards against hash flooding by untrusted keys; these keys come from
//! the index itself or are folded n-grams of a length-limited query, and a multiply-rotate
//! hash (as rustc's FxHash) makes candidate counting several times faster.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hasher for small integer keys.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
}

/// A `HashMap` keyed by integers, hashed with [`IdHasher`].
pub(super) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_map_keeps_distinct_keys_apart() {
        let mut m: IdMap<u32, u32> = IdMap::default();
        for i in 0..10_000u32 {
            m.insert(i.wrapping_mul(7919), i);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get(&(42u32.wrapping_mul(7919))), Some(&42));
    }
}
