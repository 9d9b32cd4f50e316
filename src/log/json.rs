//! JSON strings in the log's canonical spelling, which is serde_json's: `\"`, `\\`, the
//! short forms `\b \f \n \r \t`, `\u00xx` (lower-case hex) for other controls, and every
//! other character as it is. This is the hot path of recording text output, so runs of
//! bytes that need no escape are found 16 at a time (log/plain.rs) and copied whole.

use super::plain::plain_prefix;

/// Append a JSON string with serde_json's escaping (the canonical one): `\"`, `\\`, the
/// short forms `\b \f \n \r \t`, `\u00xx` (lower-case hex) for other controls, and
/// everything else as it is.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut i = 0;
    loop {
        let plain = plain_prefix(&b[i..]);
        out.extend_from_slice(&b[i..i + plain]);
        i += plain;
        let Some(&c) = b.get(i) else { break };
        push_escaped(out, c);
        i += 1;
    }
    out.push(b'"');
}

/// One byte of a JSON string, escaped if it must be.
#[inline]
fn push_escaped(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match c {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        0x00..=0x1f => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(c >> 4)],
            HEX[usize::from(c & 15)],
        ]),
        _ => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é\u{7f}\u{2028}😀 \\\"end");
        let mut cases = vec![all.clone(), String::new(), "plain".into()];
        for cut in 0..all.len() {
            if all.is_char_boundary(cut) {
                cases.push(format!("{}{}", &all[cut..], &all[..cut]));
            }
        }
        for s in cases {
            let mut ours = Vec::new();
            push_str(&mut ours, &s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&s).unwrap()
            );
        }
    }
}
