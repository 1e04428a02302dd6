//! Random streams and the few distributions the generators need.
//!
//! Each purpose (a team's changes, a service's incidents, ...) gets its own ChaCha8 stream
//! derived from the seed and a label, so adding data in one place never reshuffles another.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) type DemoRng = ChaCha8Rng;

/// A stream for `seed` and a label made of `parts` (FNV-1a over the parts, then SplitMix64).
pub(crate) fn stream(seed: u64, parts: &[&str]) -> DemoRng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut z = seed ^ h;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

/// A standard normal variate (Box-Muller).
pub(crate) fn normal(rng: &mut DemoRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with the given median and shape (sigma of the underlying normal).
pub(crate) fn lognormal(rng: &mut DemoRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Log-normal duration in seconds, from a median in minutes.
pub(crate) fn minutes(rng: &mut DemoRng, median_min: f64, sigma: f64) -> i64 {
    (lognormal(rng, median_min, sigma) * 60.0).round().max(1.0) as i64
}

/// Poisson count (Knuth for small means, a rounded normal above 30).
pub(crate) fn poisson(rng: &mut DemoRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.random::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

pub(crate) fn chance(rng: &mut DemoRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

pub(crate) fn between(rng: &mut DemoRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

pub(crate) fn pick<'a, T>(rng: &mut DemoRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Index drawn with the given weights (which need not sum to one).
pub(crate) fn weighted(rng: &mut DemoRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A 40-character hex commit SHA written into `out`.
pub(crate) fn sha(rng: &mut DemoRng, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.clear();
    for _ in 0..5 {
        let mut v = rng.next_u64();
        for _ in 0..8 {
            out.push(HEX[(v & 0xf) as usize] as char);
            v >>= 4;
        }
    }
}

/// A stable pseudonym such as `dev-7f3a` or `oncall-51c2`: never a real name.
pub(crate) fn pseudonym(prefix: &str, team: &str, n: u32) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in team.bytes().chain(n.to_le_bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{prefix}-{:04x}", h & 0xffff)
}
