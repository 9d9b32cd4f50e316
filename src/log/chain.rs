//! The hash chain: `H(line) = SHA-256("breakglass-v1\n" || line)`, over the exact bytes of a
//! line without its LF. Shared by the session log and the ledger.

use sha2::{Digest, Sha256};

/// Domain separation prefix, so a breakglass hash can never be confused with a plain
/// SHA-256 of the same bytes computed for some other purpose.
pub const HASH_PREFIX: &[u8] = b"breakglass-v1\n";

/// A chain hash.
pub type Hash = [u8; 32];

/// The `prev` of the first line of a chain with nothing before it.
pub const ZERO_HASH: Hash = [0u8; 32];

/// Hash one line (without its LF).
pub fn line_hash(line: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(HASH_PREFIX);
    h.update(line);
    h.finalize().into()
}

/// Lowercase hex of a hash, as it appears in `prev`, `head` and `genesis`.
pub fn to_hex(h: &Hash) -> String {
    hex::encode(h)
}

/// Parse 64 lowercase hex digits. Uppercase is refused: the format has one spelling.
pub fn from_hex(s: &str) -> Option<Hash> {
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_uses_the_prefix() {
        let plain: Hash = Sha256::digest(b"abc").into();
        assert_ne!(line_hash(b"abc"), plain);
        let mut h = Sha256::new();
        h.update(b"breakglass-v1\nabc");
        let expected: Hash = h.finalize().into();
        assert_eq!(line_hash(b"abc"), expected);
    }

    #[test]
    fn hex_round_trip_and_strictness() {
        let h = line_hash(b"x");
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex(&to_hex(&h).to_uppercase()), None);
        assert_eq!(from_hex("00"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
        assert_eq!(to_hex(&ZERO_HASH), "0".repeat(64));
    }
}
