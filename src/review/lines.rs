//! Output as lines of plain text, for `grep`: the bytes of `o` records joined across
//! records, split at LF, escape sequences and CRs removed (by the same
//! [`strip_escapes`] that looks for password prompts), backspace applied as a shell's
//! echo uses it (`\b \b` erases), other control characters dropped.
//!
//! This is a search over the stream, not a rendering: a full-screen program's cursor
//! movements are not followed. `export --format text` renders through a terminal emulator.

use crate::escapes::strip_escapes;

/// Longest line kept, in bytes before cleaning. Output that never prints a LF (a
/// full-screen program, a progress bar) is searched in pieces of this size, so memory
/// stays bounded whatever the session printed.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// A line of output and when it was complete (the `t` of the record that ended it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    pub t: u64,
    pub text: String,
}

/// Splits output into lines.
#[derive(Debug, Default)]
pub struct OutputLines {
    raw: Vec<u8>,
    t: u64,
}

impl OutputLines {
    pub fn new() -> OutputLines {
        OutputLines::default()
    }

    /// Feed the bytes of one output record; returns the lines it completed.
    pub fn push(&mut self, t: u64, bytes: &[u8]) -> Vec<OutputLine> {
        let mut out = Vec::new();
        let mut rest = bytes;
        self.t = t;
        while !rest.is_empty() {
            let room = MAX_LINE_BYTES - self.raw.len();
            match memchr::memchr(b'\n', &rest[..rest.len().min(room)]) {
                Some(i) => {
                    self.raw.extend_from_slice(&rest[..i]);
                    rest = &rest[i + 1..];
                    out.push(self.take());
                }
                None if rest.len() >= room => {
                    self.raw.extend_from_slice(&rest[..room]);
                    rest = &rest[room..];
                    out.push(self.take());
                }
                None => {
                    self.raw.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
        out
    }

    /// The last line, if the output did not end with a LF.
    pub fn finish(mut self) -> Option<OutputLine> {
        (!self.raw.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> OutputLine {
        let text = clean(&self.raw);
        self.raw.clear();
        OutputLine { t: self.t, text }
    }
}

/// One line of raw output as plain text.
pub fn clean(raw: &[u8]) -> String {
    let stripped = strip_escapes(raw);
    let mut s = String::with_capacity(stripped.len());
    for c in String::from_utf8_lossy(&stripped).chars() {
        match c {
            '\x08' => {
                s.pop();
            }
            '\t' => s.push(c),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_joined_across_records_and_cleaned() {
        let mut l = OutputLines::new();
        assert!(l.push(1, b"$ \x1b[1mec").is_empty());
        let got = l.push(2, b"ho hi\x1b[0m\r\nhi\r\n$ ");
        assert_eq!(
            got[0],
            OutputLine {
                t: 2,
                text: "$ echo hi".into()
            }
        );
        assert_eq!(got[1].text, "hi");
        assert_eq!(l.finish().unwrap().text, "$ ");
    }

    #[test]
    fn echoed_backspace_erases_and_controls_are_dropped() {
        assert_eq!(clean(b"$ sl\x08 \x08\x08 \x08ls\x07"), "$ ls");
        assert_eq!(clean(b"a\tb\x1b]0;title\x07c"), "a\tbc");
        assert_eq!(clean(b"\xff ok"), "\u{fffd} ok");
    }

    #[test]
    fn output_without_newlines_is_cut_into_bounded_lines() {
        let mut l = OutputLines::new();
        let got = l.push(1, &vec![b'x'; MAX_LINE_BYTES * 2 + 3]);
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|g| g.text.len() == MAX_LINE_BYTES));
        assert_eq!(l.finish().unwrap().text.len(), 3);
    }
}
