//! A fast path for the verifier: the commonest line by far, an `o` record holding text,
//! recognised directly in its canonical form without a JSON parser and without encoding
//! it again. Any line it does not recognise exactly goes the full way (parse, re-encode,
//! compare), which also gives the precise error; so this can only speed verification up,
//! never change a verdict.

use super::chain::{Hash, from_hex};
use super::kind::Kind;
use super::plain::plain_prefix;

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

/// The value of a lower-case hex digit.
fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The decoded length of a JSON string body if it is escaped exactly as the canonical
/// form escapes (serde_json's, see docs/FORMAT.md), else None.
fn canonical_string(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?;
    let mut len = 0u64;
    let mut i = 0;
    while i < b.len() {
        let plain = plain_prefix(&b[i..]);
        i += plain;
        len += plain as u64;
        let Some(&c) = b.get(i) else { break };
        // Not plain: a quote or control character unescaped, or an escape.
        if c != b'\\' {
            return None;
        }
        match *b.get(i + 1)? {
            b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
            b'u' => {
                let v = match *b.get(i + 2..i + 6)? {
                    [b'0', b'0', hi, lo] => lower_hex(hi)? << 4 | lower_hex(lo)?,
                    _ => return None,
                };
                // Only control characters without a short escape are written \u00XX.
                if v >= 0x20 || matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                    return None;
                }
                i += 6;
            }
            _ => return None,
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
    let rest = rest.strip_prefix(b",\"k\":\"")?;
    let rest = rest.strip_prefix(&[Kind::Output.letter()])?;
    let rest = rest.strip_prefix(b"\",\"prev\":\"")?;
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
