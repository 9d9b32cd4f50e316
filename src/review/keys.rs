//! Typed lines: the input records of a session turned back into what each person typed,
//! line by line. Shared by `export --format keys`, the timeline and `grep`.
//!
//! Each typist (`by`) has a line of their own. A line ends at Enter (CR or LF; the LF of
//! a CR LF pair ends nothing), and also at Ctrl-C and Ctrl-D, which end a line for a shell
//! as they end masked input (src/session/secret.rs). Backspace (DEL or BS) takes back the
//! last key. Other control keys are shown by name (`^U`, `<TAB>`), keys that send escape
//! sequences by name (`<Up>`, `<C-Left>`, `<F5>`, `<M-b>`), and masked input as
//! `[redacted N bytes]`. Cursor movement and completion are shown, not applied: the line
//! is what was typed, which is not always what the program ran.
//!
//! An escape sequence is read within one input record only: a terminal sends a key's
//! sequence in one write, and a lone ESC followed later by a key (as in vi) stays two keys.

use std::collections::BTreeMap;

use super::{control_name, masked_label};
use crate::log::record::Data;

/// Longest line kept, in keys. A paste of a whole file without a newline is still shown,
/// in lines of this many keys, so memory stays bounded whatever is pasted.
pub const MAX_LINE_KEYS: usize = 16 * 1024;

/// One key, or a run of masked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// A named key or control character, e.g. `^C`, `<Up>`.
    Named(String),
    /// Masked secret input: its length in bytes, and whether it was sealed (kept,
    /// encrypted to the auditors) or dropped.
    Masked {
        len: u64,
        sealed: bool,
    },
}

/// A line as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    /// When the line ended (its Enter), or its last key if it never did; microseconds.
    pub t: u64,
    /// When its first key was typed.
    pub t_first: u64,
    /// Who typed it, as the log says (`owner` or a login name).
    pub by: String,
    pub keys: Vec<Key>,
}

impl KeyLine {
    /// The line for a reader: named keys and `[sealed N bytes]` / `[redacted N bytes]`
    /// spelled out.
    pub fn shown(&self) -> String {
        self.render(masked_label)
    }

    /// Masked bytes in this line, and whether any of them were sealed.
    pub fn masked(&self) -> Option<(u64, bool)> {
        self.keys.iter().fold(None, |acc, k| match (acc, k) {
            (acc, Key::Masked { len, sealed }) => {
                let (n, s) = acc.unwrap_or((0, false));
                Some((n + len, s || *sealed))
            }
            (acc, _) => acc,
        })
    }

    /// The line to search: masked input is one U+FFFD, so that neither it nor the words of
    /// its placeholder match anything but a pattern that matches any character.
    pub fn searchable(&self) -> String {
        self.render(|_, _| "\u{fffd}".to_string())
    }

    fn render(&self, masked: impl Fn(u64, bool) -> String) -> String {
        let mut s = String::new();
        for k in &self.keys {
            match k {
                Key::Char(c) if crate::safe::is_unsafe(*c) => s.push_str(&control_name(*c)),
                Key::Char(c) => s.push(*c),
                Key::Named(n) => s.push_str(&crate::safe::text(n)),
                Key::Masked { len, sealed } => s.push_str(&masked(*len, *sealed)),
            }
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A typist's line in progress.
#[derive(Debug, Default)]
struct Open {
    keys: Vec<Key>,
    t_first: u64,
    t_last: u64,
    after_cr: bool,
}

/// Reassembles typed lines from input records.
#[derive(Debug, Default)]
pub struct Keys {
    open: BTreeMap<String, Open>,
}

impl Keys {
    pub fn new() -> Keys {
        Keys::default()
    }

    /// Feed one input record; returns the lines it ended.
    pub fn input(&mut self, t: u64, by: &str, data: &Data) -> Vec<KeyLine> {
        let open = self.open.entry(by.to_string()).or_default();
        let mut done = Vec::new();
        let mut end = |open: &mut Open, t: u64| {
            done.push(KeyLine {
                t,
                t_first: open.t_first,
                by: by.to_string(),
                keys: std::mem::take(&mut open.keys),
            });
        };
        let bytes = match data {
            Data::Redacted(_) | Data::Sealed { .. } => {
                let (len, sealed) = data.masked().unwrap_or_default();
                open.after_cr = false;
                push(open, t, Key::Masked { len, sealed });
                return done;
            }
            Data::Text(s) => s.as_bytes(),
            Data::Bytes(b) => b,
        };
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let after_cr = std::mem::replace(&mut open.after_cr, b == b'\r');
            let mut step = 1;
            match b {
                b'\n' if after_cr => {}
                b'\r' | b'\n' => {
                    open.t_last = t;
                    end(open, t);
                }
                0x03 | 0x04 => {
                    push(open, t, Key::Named(control_name(char::from(b))));
                    end(open, t);
                }
                0x7f | 0x08 => {
                    open.keys.pop();
                    open.t_last = t;
                }
                0x1b => {
                    let (key, n) = escape(&bytes[i..]);
                    if let Some(key) = key {
                        push(open, t, key);
                    }
                    step = n;
                }
                _ => {
                    let (c, n) = next_char(&bytes[i..]);
                    let key = match c {
                        Some(c) if c.is_control() => Key::Named(control_name(c)),
                        Some(c) => Key::Char(c),
                        None => Key::Named(format!("\\x{b:02x}")),
                    };
                    push(open, t, key);
                    step = n;
                }
            }
            i += step;
            if open.keys.len() >= MAX_LINE_KEYS {
                end(open, t);
            }
        }
        done
    }

    /// The lines never ended (the session ended mid-line), oldest last key first.
    pub fn finish(self) -> Vec<KeyLine> {
        let mut out: Vec<KeyLine> = self
            .open
            .into_iter()
            .filter(|(_, o)| !o.keys.is_empty())
            .map(|(by, o)| KeyLine {
                t: o.t_last,
                t_first: o.t_first,
                by,
                keys: o.keys,
            })
            .collect();
        out.sort_by_key(|l| l.t);
        out
    }
}

fn push(open: &mut Open, t: u64, key: Key) {
    if open.keys.is_empty() {
        open.t_first = t;
    }
    open.t_last = t;
    // Masked input typed key by key reads as one run: `[sealed 25 bytes]`.
    if let (
        Some(Key::Masked { len, sealed }),
        Key::Masked {
            len: more,
            sealed: s,
        },
    ) = (open.keys.last_mut(), &key)
        && *sealed == *s
    {
        *len += more;
        return;
    }
    open.keys.push(key);
}

/// The UTF-8 character at the start of `b` and its length, or None for an invalid byte.
fn next_char(b: &[u8]) -> (Option<char>, usize) {
    let len = match b[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return (None, 1),
    };
    match b.get(..len).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => (s.chars().next(), len),
        None => (None, 1),
    }
}

/// A key sent as an escape sequence at the start of `b` (which begins with ESC): its name
/// (None for bracketed-paste brackets, which are dropped) and how many bytes it took.
fn escape(b: &[u8]) -> (Option<Key>, usize) {
    let named = |s: String| Some(Key::Named(s));
    match b.get(1) {
        None | Some(0x1b) => (named("<ESC>".into()), 1),
        Some(b'[') => {
            let body = &b[2..];
            let Some(end) = body.iter().position(|c| (0x40..=0x7e).contains(c)) else {
                return (named(format!("<ESC>{}", lossy(&b[1..]))), b.len());
            };
            let (params, fin) = (&body[..end], body[end]);
            let key =
                csi_key(params, fin).unwrap_or_else(|| format!("<ESC>[{}", lossy(&body[..=end])));
            let paste = fin == b'~' && (params == b"200" || params == b"201");
            ((!paste).then_some(Key::Named(key)), end + 3)
        }
        Some(b'O') if b.len() > 2 => {
            let key =
                ss3_key(b[2]).map_or_else(|| format!("<ESC>O{}", lossy(&b[2..3])), String::from);
            (named(key), 3)
        }
        Some(_) => {
            let (c, n) = next_char(&b[1..]);
            match c {
                Some(c) if !c.is_control() => (named(format!("<M-{c}>")), 1 + n),
                _ => (named("<ESC>".into()), 1),
            }
        }
    }
}

fn lossy(b: &[u8]) -> String {
    super::visible(&String::from_utf8_lossy(b))
}

/// Keys of the SS3 form (`ESC O x`), sent in application cursor mode.
fn ss3_key(c: u8) -> Option<&'static str> {
    Some(match c {
        b'A' => "<Up>",
        b'B' => "<Down>",
        b'C' => "<Right>",
        b'D' => "<Left>",
        b'H' => "<Home>",
        b'F' => "<End>",
        b'P' => "<F1>",
        b'Q' => "<F2>",
        b'R' => "<F3>",
        b'S' => "<F4>",
        _ => return None,
    })
}

/// Keys of the CSI form: `ESC [ A`, `ESC [ 1 ; 5 C` (with modifiers), `ESC [ 3 ~`.
fn csi_key(params: &[u8], fin: u8) -> Option<String> {
    let params = std::str::from_utf8(params).ok()?;
    let mut parts = params.split(';');
    let first = parts.next().unwrap_or("");
    let modifier = match parts.next() {
        None => "",
        Some(m) => match m {
            "2" => "S-",
            "3" => "M-",
            "4" => "M-S-",
            "5" => "C-",
            "6" => "C-S-",
            "7" => "C-M-",
            "8" => "C-M-S-",
            _ => return None,
        },
    };
    if parts.next().is_some() {
        return None;
    }
    let name = match (fin, first) {
        (b'~', n) => match n {
            "1" | "7" => "Home",
            "2" => "Insert",
            "3" => "Delete",
            "4" | "8" => "End",
            "5" => "PageUp",
            "6" => "PageDown",
            "15" => "F5",
            "17" => "F6",
            "18" => "F7",
            "19" => "F8",
            "20" => "F9",
            "21" => "F10",
            "23" => "F11",
            "24" => "F12",
            _ => return None,
        },
        (_, "" | "1") => ss3_key(fin)?.trim_matches(|c| c == '<' || c == '>'),
        _ => return None,
    };
    Some(format!("<{modifier}{name}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Data {
        Data::Text(s.into())
    }

    fn shown(lines: &[KeyLine]) -> Vec<String> {
        lines.iter().map(KeyLine::shown).collect()
    }

    #[test]
    fn lines_end_at_enter_and_backspace_takes_back() {
        let mut k = Keys::new();
        assert!(k.input(1, "owner", &text("sl\x7f\x7fl")).is_empty());
        let got = k.input(2, "owner", &text("s -la\r"));
        assert_eq!(shown(&got), ["ls -la"]);
        assert_eq!((got[0].t_first, got[0].t), (1, 2));
        // CR LF is one Enter; a lone LF is one too.
        assert_eq!(shown(&k.input(3, "owner", &text("a\r\nb\n"))), ["a", "b"]);
        assert_eq!(shown(&k.input(4, "owner", &text("\r"))), [""]);
    }

    #[test]
    fn typists_have_their_own_lines() {
        let mut k = Keys::new();
        k.input(1, "owner", &text("ech"));
        assert_eq!(shown(&k.input(2, "bob", &text("uptime\r"))), ["uptime"]);
        let done = k.input(3, "owner", &text("o hi\r"));
        assert_eq!(
            (done[0].by.as_str(), done[0].shown()),
            ("owner", "echo hi".into())
        );
        k.input(4, "bob", &text("unfinished"));
        let rest = k.finish();
        assert_eq!(shown(&rest), ["unfinished"]);
        assert_eq!(rest[0].t, 4);
    }

    #[test]
    fn control_keys_and_escape_sequences_are_named() {
        let mut k = Keys::new();
        let got = k.input(
            1,
            "owner",
            &text("ls\t\x15x\x1b[A\x1b[1;5D\x1bOP\x1b[3~\x1bb\x1b\x1b[99z\x03"),
        );
        assert_eq!(
            shown(&got),
            ["ls<TAB>^Ux<Up><C-Left><F1><Delete><M-b><ESC><ESC>[99z^C"]
        );
        // A lone ESC in its own record stays ESC; bracketed paste markers are dropped.
        k.input(2, "owner", &text("\x1b"));
        let got = k.input(3, "owner", &text(":wq\x1b[200~pasted\x1b[201~\r"));
        assert_eq!(shown(&got), ["<ESC>:wqpasted"]);
        // Bytes that are not UTF-8 are shown as hex.
        let got = k.input(4, "owner", &Data::Bytes(vec![b'a', 0xff, b'\r']));
        assert_eq!(shown(&got), ["a\\xff"]);
    }

    #[test]
    fn redacted_input_is_shown_by_length_and_never_searchable() {
        let mut k = Keys::new();
        k.input(1, "owner", &Data::Redacted(7));
        let got = k.input(2, "owner", &text("\r"));
        assert_eq!(shown(&got), ["[redacted 7 bytes]"]);
        assert_eq!(got[0].searchable(), "\u{fffd}");
    }

    #[test]
    fn masked_keys_in_a_row_read_as_one_run_sealed_or_redacted() {
        let mut k = Keys::new();
        let sealed = |n| Data::Sealed {
            len: n,
            blob: vec![],
        };
        k.input(1, "owner", &text("su"));
        k.input(2, "owner", &sealed(3));
        k.input(3, "owner", &sealed(22));
        k.input(4, "owner", &Data::Redacted(2));
        let got = k.input(5, "owner", &text("\r"));
        assert_eq!(shown(&got), ["su[sealed 25 bytes][redacted 2 bytes]"]);
        assert_eq!(got[0].masked(), Some((27, true)));
        assert_eq!(got[0].searchable(), "su\u{fffd}\u{fffd}");
    }

    #[test]
    fn a_huge_paste_is_cut_into_bounded_lines() {
        let mut k = Keys::new();
        let got = k.input(1, "owner", &text(&"x".repeat(MAX_LINE_KEYS * 2 + 5)));
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|l| l.keys.len() == MAX_LINE_KEYS));
        assert_eq!(k.finish()[0].keys.len(), 5);
    }
}
