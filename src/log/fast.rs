//! A fast path for the verifier: the commonest line by far, an `o` record holding text,
//! recognised directly in its canonical form without a JSON parser and without encoding
//! it again. Any line it does not recognise exactly goes the full way (parse, re-encode,
//! compare), which also gives the precise error; so this can only speed verification up,
//! never change a verdict.

use super::chain::{Hash, from_hex};

/// What the fast path reads off a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    pub seq: u64,
    pub t: u64,
    pub prev: Hash,
    /// Length of the decoded text in bytes.
    pub len: u64,
}

/// A non-negative integer in canonical form (no sign, no leading zero) and what follows.
fn number(b: &[u8]) -> Option<(u64, &[u8])> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || (digits > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in &b[..digits] {
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some((n, &b[digits..]))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes in `x` is a control character (< 0x20), `"` or `\`.
fn needs_a_look(x: u64) -> bool {
    look_mask(x) != 0
}

/// The high bit of each of the 8 bytes (little-endian) that is a control character
/// (< 0x20), `"` or `\`, by the "has a zero byte" and "has a byte less than n" bit tricks.
/// Non-zero exactly when one is; the lowest bit set marks the first such byte (bits above
/// it may be set for bytes that are not).
pub(crate) fn look_mask(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    below_space | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')))
}

/// The decoded length of a JSON string body if it is escaped exactly as the canonical
/// form escapes (serde_json's, see docs/FORMAT.md), else None.
fn canonical_string(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?;
    let mut len = 0u64;
    let mut i = 0;
    while i < b.len() {
        // Eight plain bytes at a time: no control character, quote or backslash among them.
        if let Some(chunk) = b.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if !needs_a_look(x) {
                i += 8;
                len += 8;
                continue;
            }
        }
        match b[i] {
            b'"' | 0x00..=0x1f => return None,
            b'\\' => {
                match *b.get(i + 1)? {
                    b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = b.get(i + 2..i + 6)?;
                        if hex[0] != b'0'
                            || hex[1] != b'0'
                            || !hex[2..]
                                .iter()
                                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
                        {
                            return None;
                        }
                        let v =
                            u8::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()?;
                        // Only control characters without a short escape are written \u00XX.
                        if v >= 0x20 || matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                            return None;
                        }
                        i += 6;
                    }
                    _ => return None,
                }
            }
            _ => i += 1,
        }
        len += 1;
    }
    // Every byte not part of an escape counted once: UTF-8 sequences count as their bytes.
    Some(len)
}

/// Recognise `{"seq":N,"t":N,"k":"o","prev":"HEX","d":"TEXT"}` exactly.
pub fn output_line(line: &[u8]) -> Option<Output> {
    let rest = line.strip_prefix(b"{\"seq\":")?;
    let (seq, rest) = number(rest)?;
    let rest = rest.strip_prefix(b",\"t\":")?;
    let (t, rest) = number(rest)?;
    let rest = rest.strip_prefix(b",\"k\":\"o\",\"prev\":\"")?;
    let prev = from_hex(std::str::from_utf8(rest.get(..64)?).ok()?)?;
    let body = rest[64..]
        .strip_prefix(b"\",\"d\":\"")?
        .strip_suffix(b"\"}")?;
    let len = canonical_string(body)?;
    Some(Output { seq, t, prev, len })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::{Body, Data, Record, encode};

    fn line(text: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode(
            &Record {
                seq: 12,
                t: 3456,
                prev: ZERO_HASH,
                body: Body::Output(Data::Text(text.into())),
            },
            &mut v,
        );
        v
    }

    #[test]
    fn recognises_every_canonical_text_line() {
        for text in [
            "",
            "plain",
            "a\r\nb\tc",
            "\u{1b}[1mbold\u{1b}[0m",
            "quote \" back \\ slash /",
            "é€𝄞",
            "\u{0}\u{b}\u{7f}",
        ] {
            let l = line(text);
            let o = output_line(&l)
                .unwrap_or_else(|| panic!("not recognised: {}", String::from_utf8_lossy(&l)));
            assert_eq!(
                o,
                Output {
                    seq: 12,
                    t: 3456,
                    prev: ZERO_HASH,
                    len: text.len() as u64
                }
            );
        }
    }

    #[test]
    fn the_eight_byte_test_misses_nothing() {
        for special in [0u8, 0x1f, b'"', b'\\'] {
            for at in 0..8 {
                let mut b = *b"abcdefgh";
                b[at] = special;
                assert!(needs_a_look(u64::from_le_bytes(b)), "{special:#x} at {at}");
            }
        }
        assert!(!needs_a_look(u64::from_le_bytes(*b"plain \x7f!")));
        assert!(!needs_a_look(u64::from_le_bytes([
            0xe2, 0x82, 0xac, 0x20, 0x7f, 0xff, 0x80, 0x21
        ])));
        assert!(!needs_a_look(u64::from_le_bytes(*b"        ")));
    }

    #[test]
    fn anything_else_goes_the_full_way() {
        let good = String::from_utf8(line("ab")).unwrap();
        for bad in [
            good.replace("\"seq\":12", "\"seq\":012"),
            good.replace("\"seq\":12", "\"seq\":-12"),
            good.replace(",\"t\"", ", \"t\""),
            good.replace("ab", "\\u0041b"),
            good.replace("ab", "a\\/b"),
            good.replace("ab", "a\\u000Ab"),
            good.replace("ab", "a\\u000ab"),
            good.replace("ab", "a\"b"),
            good.replace("ab", "a\u{1}b"),
            good.replace("\"}", "\",\"x\":1}"),
            good.replace(&"0".repeat(64), &"A".repeat(64)),
            good.replace("\"k\":\"o\"", "\"k\":\"i\""),
            format!("{good} "),
        ] {
            assert_eq!(output_line(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(output_line(b"{\"seq\":99999999999999999999,\"t\":1"), None);
        let mut invalid = line("ab");
        let at = invalid.len() - 3;
        invalid[at] = 0xff;
        assert_eq!(output_line(&invalid), None, "invalid UTF-8");
    }
}
