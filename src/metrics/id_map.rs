//! Hash maps keyed by store ids. Ids are small integers chosen by SQLite, not by an attacker,
//! so the default SipHash (built to resist hash flooding) is replaced by a multiplicative hash:
//! on a year of a large organisation's deployments this removes most of the hashing cost.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Fibonacci hashing of one integer (the constant is 2^64 / golden ratio).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u64(&mut self, n: u64) {
        self.write_i64(n as i64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_i64(n as i64);
    }
}

pub type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;
pub type IdSet = HashSet<i64, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_store_and_find_ids() {
        let mut m: IdMap<&str> = IdMap::default();
        for id in -5..10_000 {
            m.insert(id, "x");
        }
        assert_eq!(m.len(), 10_005);
        assert!(m.contains_key(&-5) && m.contains_key(&9_999) && !m.contains_key(&10_000));
    }
}
