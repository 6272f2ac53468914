//! Stable, dependency-free hashing for derived ids and fingerprints.
//!
//! `std`'s hasher is not guaranteed stable across Rust releases, and ids derived
//! from the input must be identical between two replays on any toolchain, so we
//! use FNV-1a (64 bit), which is tiny and fully specified.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over the parts, with a separator byte between them so that
/// `["ab", "c"]` and `["a", "bc"]` differ.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h = OFFSET;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(PRIME);
        }
        for b in part.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    }
    h
}

/// The 16-hex-digit form used in ids (`sig-…`, `inc-…`) and fingerprints.
pub fn short_hex(parts: &[&str]) -> String {
    format!("{:016x}", fnv1a(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_separator() {
        // FNV-1a 64 of "a" is a published test vector.
        assert_eq!(fnv1a(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        assert_eq!(short_hex(&["x"]).len(), 16);
    }
}
