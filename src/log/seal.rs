//! Signatures inside records: the `key` and `sig` fields that end an `s` checkpoint, a
//! signed `x` line and a signed ledger line, and the exact bytes they sign.
//!
//! A sealed line ends with `,"key":"ed25519:<16 hex>","sig":"<128 hex>"}`. The signature
//! is Ed25519 over a domain prefix followed by the line's bytes up to (not including) the
//! `,"sig":"` that starts its last field, so it covers the record's `prev` (and through it
//! every line before) and the key's name. Pure: no keys are read here, see `crate::sign`.

use ed25519_dalek::{Signature, VerifyingKey};

/// Domain prefix of a session-log signature (an `s` line or a signed `x` line).
pub const SESSION_DOMAIN: &[u8] = b"breakglass-v1 session signature\n";
/// Domain prefix of a ledger-line signature: a session's signature can never pass for a
/// ledger line's, nor the other way round.
pub const LEDGER_DOMAIN: &[u8] = b"breakglass-v1 ledger signature\n";

/// The name of a key in a record: `ed25519:` and 16 lowercase hex digits.
pub const KEY_PREFIX: &str = "ed25519:";
/// Hex digits of the key's SHA-256 kept in its name: 64 bits name a key unambiguously
/// among the few a site has; the signature itself is checked against the whole key.
pub const KEY_ID_HEX: usize = 16;

/// Length of an Ed25519 signature in bytes.
pub const SIG_LEN: usize = 64;
/// What starts the last field of a sealed line.
const SIG_FIELD: &[u8] = b",\"sig\":\"";
/// Bytes of a sealed line from its `,"sig":"` to the end: the field, 128 hex digits, `"}`.
pub const SIG_TAIL: usize = SIG_FIELD.len() + 2 * SIG_LEN + 2;

/// The signature fields of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// The signing key's name ([`key_id`]).
    pub key: String,
    pub sig: [u8; SIG_LEN],
}

impl Seal {
    /// A seal whose signature is not made yet: encode the line with it, then [`fill`].
    pub fn pending(key: &str) -> Seal {
        Seal {
            key: key.to_string(),
            sig: [0; SIG_LEN],
        }
    }
}

/// The name of a public key: `ed25519:` + the first 16 hex digits of SHA-256(key bytes).
pub fn key_id(key: &VerifyingKey) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    format!("{KEY_PREFIX}{}", &hex::encode(digest)[..KEY_ID_HEX])
}

/// Whether `s` is spelled as a key name.
pub fn is_key_id(s: &str) -> bool {
    s.strip_prefix(KEY_PREFIX).is_some_and(|h| {
        h.len() == KEY_ID_HEX && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Parse the `sig` field: 128 lowercase hex digits.
pub fn sig_from_hex(s: &str) -> Option<[u8; SIG_LEN]> {
    if s.len() != 2 * SIG_LEN || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0; SIG_LEN];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// The seal of a decoded line from its `key` and `sig` fields: both or neither (both
/// when `required`), each spelled as the format says.
pub fn from_fields(
    key: Option<String>,
    sig: Option<String>,
    required: bool,
) -> Result<Option<Seal>, String> {
    match (key, sig) {
        (None, None) if !required => Ok(None),
        (Some(key), Some(sig)) => {
            if !is_key_id(&key) {
                return Err(format!(
                    "`key` is `{key}`, not ed25519: and 16 lowercase hex digits"
                ));
            }
            let sig = sig_from_hex(&sig)
                .ok_or_else(|| "`sig` is not 128 lowercase hex digits".to_string())?;
            Ok(Some(Seal { key, sig }))
        }
        _ => Err("a signed line needs both `key` and `sig`".into()),
    }
}

/// Append `,"key":"..","sig":".."` (before the closing brace of a record).
pub fn push(out: &mut Vec<u8>, seal: &Seal) {
    out.extend_from_slice(b",\"key\":");
    super::json::push_str(out, &seal.key);
    out.extend_from_slice(SIG_FIELD);
    let start = out.len();
    out.resize(start + 2 * SIG_LEN, 0);
    hex::encode_to_slice(seal.sig, &mut out[start..]).expect("128 bytes for 64");
    out.push(b'"');
}

/// The part of a sealed line that its signature covers (without the domain), or None if
/// the line does not end with a `sig` field.
pub fn signed_part(line: &[u8]) -> Option<&[u8]> {
    let cut = line.len().checked_sub(SIG_TAIL)?;
    line[cut..].starts_with(SIG_FIELD).then(|| &line[..cut])
}

/// The message an Ed25519 signature is made over: the domain, then the signed part.
pub fn message(domain: &[u8], line: &[u8]) -> Option<Vec<u8>> {
    let part = signed_part(line)?;
    let mut m = Vec::with_capacity(domain.len() + part.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(part);
    Some(m)
}

/// Sign a line encoded with a [`Seal::pending`]: its signature hex is written in place.
pub fn fill(line: &mut [u8], domain: &[u8], sign: impl FnOnce(&[u8]) -> [u8; SIG_LEN]) {
    let msg = message(domain, line).expect("a line encoded with a seal");
    let sig = sign(&msg);
    let at = line.len() - 2 * SIG_LEN - 2;
    hex::encode_to_slice(sig, &mut line[at..at + 2 * SIG_LEN]).expect("128 bytes for 64");
}

/// Why a seal does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("a signature by {found}, not by the trusted key {expected}")]
    OtherKey { expected: String, found: String },
    #[error(
        "a signature by {0} that does not match the record (the record, or a line before it, was changed after signing)"
    )]
    Bad(String),
}

/// Check a sealed line against a trusted key (verify_strict: no malleable or weak-key
/// signatures).
pub fn check(domain: &[u8], line: &[u8], seal: &Seal, key: &VerifyingKey) -> Result<(), SealError> {
    let id = key_id(key);
    if seal.key != id {
        return Err(SealError::OtherKey {
            expected: id,
            found: seal.key.clone(),
        });
    }
    let msg = message(domain, line).ok_or_else(|| SealError::Bad(id.clone()))?;
    key.verify_strict(&msg, &Signature::from_bytes(&seal.sig))
        .map_err(|_| SealError::Bad(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn keypair(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn sealed_line(k: &SigningKey, domain: &[u8]) -> Vec<u8> {
        let mut line = b"{\"seq\":1,\"t\":0,\"k\":\"s\",\"prev\":\"00\"".to_vec();
        push(&mut line, &Seal::pending(&key_id(&k.verifying_key())));
        line.push(b'}');
        fill(&mut line, domain, |m| k.sign(m).to_bytes());
        line
    }

    #[test]
    fn a_filled_seal_checks_and_any_change_breaks_it() {
        let k = keypair(1);
        let line = sealed_line(&k, SESSION_DOMAIN);
        assert!(line.ends_with(b"\"}"));
        let hex_sig = &line[line.len() - 130..line.len() - 2];
        let seal = Seal {
            key: key_id(&k.verifying_key()),
            sig: sig_from_hex(std::str::from_utf8(hex_sig).unwrap()).unwrap(),
        };
        assert_eq!(
            check(SESSION_DOMAIN, &line, &seal, &k.verifying_key()),
            Ok(())
        );
        // Another domain, another byte, another key: all refused.
        assert!(check(LEDGER_DOMAIN, &line, &seal, &k.verifying_key()).is_err());
        let mut edited = line.clone();
        edited[8] = b'2';
        assert!(matches!(
            check(SESSION_DOMAIN, &edited, &seal, &k.verifying_key()),
            Err(SealError::Bad(_))
        ));
        let other = keypair(2).verifying_key();
        assert!(matches!(
            check(SESSION_DOMAIN, &line, &seal, &other),
            Err(SealError::OtherKey { .. })
        ));
    }

    #[test]
    fn the_signed_part_stops_before_the_sig_field() {
        let k = keypair(3);
        let line = sealed_line(&k, SESSION_DOMAIN);
        let part = signed_part(&line).unwrap();
        let tail = format!("\"key\":\"{}\"", key_id(&k.verifying_key()));
        assert!(part.ends_with(tail.as_bytes()));
        assert_eq!(line.len() - part.len(), SIG_TAIL);
        assert_eq!(signed_part(b"{\"seq\":1}"), None);
    }

    #[test]
    fn key_ids_and_sig_hex_are_strict() {
        let id = key_id(&keypair(4).verifying_key());
        assert!(is_key_id(&id), "{id}");
        assert_eq!(id.len(), KEY_PREFIX.len() + KEY_ID_HEX);
        assert!(!is_key_id(&id.to_uppercase()));
        assert!(!is_key_id("ed25519:123"));
        assert!(sig_from_hex(&"ab".repeat(64)).is_some());
        assert!(sig_from_hex(&"AB".repeat(64)).is_none());
        assert!(sig_from_hex(&"ab".repeat(63)).is_none());
    }
}
