//! Input typed ahead of a password prompt. A paste such as `sudo -k; sudo true` Enter
//! `hunter2` Enter arrives in one read, before sudo has asked for anything: classified at
//! once, the password would be recorded in clear. So when masking is on and a burst goes
//! on after its first line end, only that first line is passed on; the rest is held until
//! the session asks for a secret (a prompt is shown, or the PTY turns echo off), then
//! passed on through the masking, or, if nothing asks within [`TYPEAHEAD_GRACE`], passed on
//! as it is. A paste of many commands is thus delayed once, by at most the grace.

use std::time::{Duration, Instant};

use super::hub::Hub;
use super::pty;
use super::secret::TtyMode;

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

impl Hub {
    /// Input that reached breakglass: passed on now, or partly held (see the module).
    pub(super) fn on_input(&mut self, by: &str, bytes: Vec<u8>, at: Instant) {
        if let Some(h) = &mut self.held {
            h.push(by, &bytes);
            if h.bytes > HELD_MAX {
                self.release_typeahead(false);
            }
            return;
        }
        if self.secrets.enabled()
            && !self.secrets.expecting_secret()
            && let Some(cut) = cut_after_line(&bytes)
        {
            self.pass_input(by, bytes[..cut].to_vec(), at);
            let mut held = Held {
                since: Instant::now(),
                parts: Vec::new(),
                bytes: 0,
            };
            held.push(by, &bytes[cut..]);
            self.held = Some(held);
            return;
        }
        self.pass_input(by, bytes, at);
    }

    /// Pass held input on once the session asks for a secret or the grace is over.
    pub(super) fn check_held(&mut self) {
        let Some(h) = &self.held else { return };
        let asked = self.secrets.expecting_secret() || pty::tty_mode(&self.master) != TtyMode::Open;
        if asked {
            self.release_typeahead(true);
        } else if Instant::now() >= h.due() {
            self.release_typeahead(false);
        }
    }

    /// Pass the held input on: through the hold again when a secret was asked for (its
    /// first line is the secret, what follows may answer the next prompt), else all of it.
    fn release_typeahead(&mut self, asked: bool) {
        let Some(h) = self.held.take() else { return };
        for (by, bytes) in h.parts {
            if asked {
                self.on_input(&by, bytes, Instant::now());
            } else {
                self.pass_input(&by, bytes, Instant::now());
            }
        }
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
