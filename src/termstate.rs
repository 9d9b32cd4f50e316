//! What a session's output left a terminal in, and the bytes that put it back: followed
//! while output is shown (the owner's terminal, each watcher's) or exported (asciicast),
//! written once at the end so no ending leaves a terminal on the alternate screen, with
//! mouse reports on or the cursor hidden.

/// Scroll region reset (the cursor kept where it is), attributes reset, cursor shown,
/// every mouse and focus report off, bracketed paste off, normal cursor keys and keypad,
/// auto-wrap on, insert mode off, ASCII character set.
pub const RESTORE: &str = "\x1b7\x1b[r\x1b8\x1b[0m\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1004l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1l\x1b>\x1b[?7h\x1b[4l\x1b(B";

/// Gives back the last row that the owner's terminal kept for breakglass's status row
/// (session/statusrow.rs): the whole screen scrolls again, and the row is cleared, the
/// cursor kept where it is. Written after [`RESTORE`] on the owner's terminal only.
pub const LEAVE_STATUS_ROW: &str = "\x1b7\x1b[r\x1b[999;1H\x1b[2K\x1b8";

/// Leaves the alternate screen (restoring the cursor saved on entering it); written
/// before [`RESTORE`] only when the output left the terminal there, as leaving it
/// elsewhere may move the cursor to a stale saved place.
pub const LEAVE_ALTERNATE: &str = "\x1b[?1049l";

/// The longest private mode sequence kept across chunks of output: real ones are a few
/// modes of four digits; a longer run of digits is not one worth waiting for.
const MAX_CARRY: usize = 32;

/// Follows whether output left the terminal on the alternate screen.
#[derive(Debug, Default, Clone)]
pub struct Modes {
    alt: bool,
    /// The start of a private mode sequence cut at the end of a chunk.
    carry: Vec<u8>,
}

impl Modes {
    pub fn new() -> Modes {
        Modes::default()
    }

    /// Whether the output so far left the terminal on the alternate screen.
    pub fn alternate(&self) -> bool {
        self.alt
    }

    /// Follow one more chunk of output: private modes 1049, 1047 and 47 set (`h`) or
    /// reset (`l`) switch; a hard reset (`ESC c`) leaves. A sequence cut at the end of
    /// the chunk waits for the next.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.carry.is_empty() && memchr::memchr(0x1b, bytes).is_none() {
            return;
        }
        let joined;
        let b: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            joined = [std::mem::take(&mut self.carry).as_slice(), bytes].concat();
            &joined
        };
        let mut i = 0;
        while let Some(p) = memchr::memchr(0x1b, &b[i..]) {
            let at = i + p;
            let rest = &b[at..];
            if rest.len() < 3 && b"\x1b[?".starts_with(rest) {
                self.carry = rest.to_vec();
                return;
            }
            if rest.get(1) == Some(&b'c') {
                self.alt = false;
            }
            i = at + 1;
            if !rest.starts_with(b"\x1b[?") {
                continue;
            }
            let params = rest[3..]
                .iter()
                .position(|c| !(c.is_ascii_digit() || *c == b';'))
                .map(|n| (&rest[3..3 + n], rest[3 + n]));
            match params {
                None if rest.len() - 3 < MAX_CARRY => {
                    self.carry = rest.to_vec();
                    return;
                }
                Some((ps, fin @ (b'h' | b'l')))
                    if ps
                        .split(|c| *c == b';')
                        .any(|m| matches!(m, b"1049" | b"1047" | b"47")) =>
                {
                    self.alt = fin == b'h';
                }
                _ => {}
            }
        }
    }

    /// The bytes that restore a terminal this output was written to.
    pub fn restore(&self) -> String {
        if self.alt {
            format!("{LEAVE_ALTERNATE}{RESTORE}")
        } else {
            RESTORE.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(alt: bool, m: &mut Modes, text: &str) -> bool {
        m.alt = alt;
        m.feed(text.as_bytes());
        m.alternate()
    }

    #[test]
    fn alternate_screen_switches_are_followed() {
        let m = &mut Modes::new();
        assert!(after(false, m, "a\x1b[?1049h"));
        assert!(!after(true, m, "\x1b[?1049l"));
        assert!(after(false, m, "\x1b[?1;47h"));
        assert!(!after(true, m, "\x1bc"));
        assert!(!after(false, m, "\x1b[?25h\x1b[?1000h"));
        assert!(!after(false, m, "x\x1b["));
        assert!(after(false, m, "?1047h"), "cut between chunks");
        assert!(!after(false, m, "\x1b"));
        assert!(after(false, m, "[?1049h"));
        assert!(after(true, m, "plain text, no escape"));
    }

    #[test]
    fn the_restore_leaves_the_alternate_screen_only_when_on_it() {
        let mut m = Modes::new();
        m.feed(b"\x1b[?1049h\x1b[?1000h\x1b[?2004h\x1b[?25l");
        let r = m.restore();
        assert!(r.starts_with(LEAVE_ALTERNATE), "{r:?}");
        for seq in [
            "\x1b[r",
            "\x1b[0m",
            "\x1b[?25h",
            "\x1b[?1000l",
            "\x1b[?2004l",
            "\x1b>",
        ] {
            assert!(r.contains(seq), "{seq:?} missing from {r:?}");
        }
        m.feed(b":q\x1b[?10");
        m.feed(b"49l$ ");
        assert_eq!(m.restore(), RESTORE);
    }

    #[test]
    fn a_long_run_of_digits_is_not_carried() {
        let mut m = Modes::new();
        m.feed(format!("\x1b[?{}", "1".repeat(MAX_CARRY + 1)).as_bytes());
        m.feed(b"9h");
        assert!(!m.alternate());
    }
}
