//! Session ids, the form docs/FORMAT.md gives them (a genesis's `session`), and fresh
//! random ones.

use std::fs::File;
use std::io::Read;

/// Alphabet of session ids: lowercase, without the easily confused i, l, o, u.
const ID_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// 12 characters of 5 bits: 60 random bits, no collision in any realistic data dir.
const ID_LEN: usize = 12;

/// Whether `s` is a session id as breakglass makes them.
pub fn is_session_id(s: &str) -> bool {
    s.len() == ID_LEN && s.bytes().all(|b| ID_ALPHABET.contains(&b))
}

/// A fresh random session id.
pub fn new_id() -> std::io::Result<String> {
    let mut raw = [0u8; ID_LEN];
    File::open("/dev/urandom")?.read_exact(&mut raw)?;
    Ok(raw
        .iter()
        .map(|b| ID_ALPHABET[(b & 31) as usize] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_from_the_alphabet() {
        let a = new_id().unwrap();
        assert_eq!(a.len(), ID_LEN);
        assert!(a.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_ne!(a, new_id().unwrap());
    }

    #[test]
    fn only_the_form_is_a_session_id() {
        assert!(is_session_id("k3f9abcd0123"));
        assert!(!is_session_id("k3f9abcd012"));
        assert!(!is_session_id("k3f9abcd012i"));
    }
}
