//! Untrusted text made safe to print.
//!
//! Every string that came from a recorded user, a live client or a file (reasons,
//! tickets, host labels, typed input, marker text, session ids from file names and the
//! ledger, signal names) passes through [`text`] or [`bytes`] before it reaches anyone's
//! terminal, except the session's own screen. A control character could otherwise move
//! the reader's cursor, rewrite what they see or set their title; a bidi control could
//! make text read in another order than it is stored.
//!
//! What is made visible, by name: C0 controls (`^C`, `<ESC>`, `<TAB>`, a lone CR as `^M`),
//! DEL (`<DEL>`), C1 controls (`<U+0085>`), the bidi controls U+061C, U+200E, U+200F,
//! U+202A..U+202E and U+2066..U+2069 (`<U+202E>`), and bytes that are not UTF-8
//! (`<0xFF>`).

use std::borrow::Cow;

/// Whether `c` changes how the text around it is laid out or ordered.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` must be shown by name rather than printed.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// How an unsafe character reads: `^C`, `<ESC>`, `<TAB>`, `<DEL>`, `<U+0085>`, `<U+202E>`.
pub fn name(c: char) -> String {
    match c {
        '\t' => "<TAB>".into(),
        '\x1b' => "<ESC>".into(),
        '\x7f' => "<DEL>".into(),
        '\0'..='\x1f' => format!("^{}", char::from(c as u8 + 0x40)),
        _ => format!("<U+{:04X}>", c as u32),
    }
}

/// `s` with every unsafe character shown by name; borrowed when nothing needed it.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&name(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes of unknown encoding made safe: UTF-8 as [`text`] shows it, every byte that is
/// not part of valid UTF-8 as `<0xNN>`.
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&text(chunk.valid()));
        for byte in chunk.invalid() {
            out.push_str(&format!("<0x{byte:02X}>"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_named() {
        assert_eq!(
            text("a\x03b\x1b[A\t\x7f\u{85}\r"),
            "a^Cb<ESC>[A<TAB><DEL><U+0085>^M"
        );
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            text("plain é 日本"),
            Cow::Borrowed("plain é 日本")
        ));
    }

    #[test]
    fn bidi_controls_are_named() {
        assert_eq!(
            text("ab\u{202E}cd\u{2066}\u{200F}\u{61C}"),
            "ab<U+202E>cd<U+2066><U+200F><U+061C>"
        );
    }

    #[test]
    fn invalid_utf8_is_named_by_byte() {
        assert_eq!(bytes(b"ok\xff\xc3(\x1b"), "ok<0xFF><0xC3>(<ESC>");
        assert_eq!(bytes("é".as_bytes()), "é");
    }
}
