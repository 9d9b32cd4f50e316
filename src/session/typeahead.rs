//! Input typed ahead of a password prompt. A paste such as `sudo -k; sudo true` Enter
//! `hunter2` Enter arrives in one read, before sudo has asked for anything: classified at
//! once, the password would be recorded in clear. So when masking is on and a burst goes
//! on after its first line end, only that first line is passed on; the rest is held until
//! the session asks for a secret (a prompt is shown, or the PTY turns echo off), then
//! passed on through the masking, or, if nothing asks within [`TYPEAHEAD_GRACE`], passed on
//! as it is. A paste of many commands is thus delayed once, by at most the grace.
//!
//! [`Typeahead`] keeps what is held; the hub decides when to hold (masking is on and no
//! secret is asked for) and passes on what it returns.

use std::time::{Duration, Instant};

/// How long input after a line end waits for a password prompt. sudo, ssh and su prompt
/// within tens of milliseconds; a busy machine gets ten times that.
pub const TYPEAHEAD_GRACE: Duration = Duration::from_millis(500);
/// Most input held: more is passed on at once, so a huge paste is not kept in memory.
const HELD_MAX: usize = 64 * 1024;

/// Input held back, by typist, in order.
#[derive(Debug)]
pub struct Held {
    since: Instant,
    parts: Vec<(String, Vec<u8>)>,
    bytes: usize,
}

impl Held {
    fn push(&mut self, by: &str, bytes: &[u8]) {
        self.bytes += bytes.len();
        match self.parts.last_mut() {
            Some((who, b)) if who == by => b.extend_from_slice(bytes),
            _ => self.parts.push((by.to_owned(), bytes.to_vec())),
        }
    }

    /// When the grace ends.
    pub fn due(&self) -> Instant {
        self.since + TYPEAHEAD_GRACE
    }
}

/// Where to cut a burst: just after its first line end (CR, LF or CR LF), when more
/// input follows it.
pub fn cut_after_line(bytes: &[u8]) -> Option<usize> {
    let i = bytes.iter().position(|b| matches!(b, b'\r' | b'\n'))?;
    let mut end = i + 1;
    if bytes[i] == b'\r' && bytes.get(end) == Some(&b'\n') {
        end += 1;
    }
    (end < bytes.len()).then_some(end)
}

/// Input held back, if any: the hub's typeahead.
#[derive(Debug, Default)]
pub struct Typeahead {
    held: Option<Held>,
}

impl Typeahead {
    /// When the grace of the held input ends (None: nothing is held).
    pub fn due(&self) -> Option<Instant> {
        self.held.as_ref().map(Held::due)
    }

    /// Input `by` typed while some is held: held after it. When too much is held, all of
    /// it is to be passed on now, in order.
    pub fn hold_more(&mut self, by: &str, bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
        let h = self.held.as_mut()?;
        h.push(by, bytes);
        if h.bytes > HELD_MAX {
            return Some(self.release());
        }
        Some(Vec::new())
    }

    /// Start holding `rest`, typed by `by` after the line just passed on.
    pub fn hold(&mut self, by: &str, rest: &[u8]) {
        let mut held = Held {
            since: Instant::now(),
            parts: Vec::new(),
            bytes: 0,
        };
        held.push(by, rest);
        self.held = Some(held);
    }

    /// All the held input, by typist in order; nothing is held after.
    pub fn release(&mut self) -> Vec<(String, Vec<u8>)> {
        self.held.take().map(|h| h.parts).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_after_the_first_line_end_only_when_more_follows() {
        assert_eq!(cut_after_line(b"sudo true\rhunter2\r"), Some(10));
        assert_eq!(cut_after_line(b"sudo true\r\nhunter2\r\n"), Some(11));
        assert_eq!(cut_after_line(b"a\nb"), Some(2));
        assert_eq!(cut_after_line(b"ls -l\r"), None);
        assert_eq!(cut_after_line(b"ls -l\r\n"), None);
        assert_eq!(cut_after_line(b"no end"), None);
    }

    #[test]
    fn held_input_keeps_order_and_typists() {
        let mut h = Held {
            since: Instant::now(),
            parts: Vec::new(),
            bytes: 0,
        };
        h.push("owner", b"pw");
        h.push("owner", b"\r");
        h.push("ops", b"x");
        h.push("owner", b"y");
        assert_eq!(h.bytes, 5);
        let want: Vec<(String, Vec<u8>)> = vec![
            ("owner".into(), b"pw\r".to_vec()),
            ("ops".into(), b"x".to_vec()),
            ("owner".into(), b"y".to_vec()),
        ];
        assert_eq!(h.parts, want);
        assert!(h.due() > h.since);
    }
}
