//! The watcher's keys: an escape key (Ctrl-] by default) followed by one command key,
//! everything else passed through (when the watcher holds the keyboard). Pure: bytes in,
//! actions out. These stay raw bytes, not crossterm's key events: what a driving watcher
//! types goes to the session exactly as typed (a parser would re-encode it), and the
//! escape key and the command letter after it are single bytes that need no parsing.

/// The default escape key, Ctrl-] (as telnet and ssh-like tools use).
pub const DEFAULT_ESCAPE: u8 = 0x1d;

/// What the watcher asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Keystrokes for the session (sent only while holding the keyboard).
    Send(Vec<u8>),
    Take,
    Return,
    Detach,
    Kill,
    Mark(String),
    Help,
    /// The past notices.
    History,
    /// Show this to the watcher (a cancellation or a mistake).
    Say(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Normal,
    Escaped,
    ConfirmKill,
    Marker(Vec<u8>),
}

/// The key state machine.
#[derive(Debug)]
pub struct Keys {
    escape: u8,
    mode: Mode,
}

impl Keys {
    pub fn new(escape: u8) -> Keys {
        Keys {
            escape,
            mode: Mode::Normal,
        }
    }

    /// Turn typed bytes into actions.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Action> {
        let mut out: Vec<Action> = Vec::new();
        let mut pass = Vec::new();
        for &b in bytes {
            let mode = std::mem::replace(&mut self.mode, Mode::Normal);
            self.mode = match mode {
                Mode::Normal if b == self.escape => Mode::Escaped,
                Mode::Normal => {
                    pass.push(b);
                    Mode::Normal
                }
                Mode::Escaped => {
                    if !pass.is_empty() {
                        out.push(Action::Send(std::mem::take(&mut pass)));
                    }
                    match b {
                        b't' => out.push(Action::Take),
                        b'r' => out.push(Action::Return),
                        b'd' | b'.' => out.push(Action::Detach),
                        b'?' => out.push(Action::Help),
                        b'h' => out.push(Action::History),
                        b'k' => {
                            self.mode = Mode::ConfirmKill;
                            continue;
                        }
                        b'm' => {
                            self.mode = Mode::Marker(Vec::new());
                            continue;
                        }
                        _ if b == self.escape => pass.push(b),
                        _ => out.push(Action::Say(
                            "unknown command key; press the escape key then ? for help",
                        )),
                    }
                    Mode::Normal
                }
                Mode::ConfirmKill => {
                    out.push(if b == b'y' || b == b'Y' {
                        Action::Kill
                    } else {
                        Action::Say("not ended")
                    });
                    Mode::Normal
                }
                Mode::Marker(mut text) => match b {
                    b'\r' | b'\n' => {
                        let t = String::from_utf8_lossy(&text).trim().to_string();
                        out.push(if t.is_empty() {
                            Action::Say("no marker added")
                        } else {
                            Action::Mark(t)
                        });
                        Mode::Normal
                    }
                    0x1b | 0x03 => {
                        out.push(Action::Say("no marker added"));
                        Mode::Normal
                    }
                    0x7f | 0x08 => {
                        crate::replay::keys::pop_char(&mut text);
                        Mode::Marker(text)
                    }
                    b if b >= 0x20 => {
                        text.push(b);
                        Mode::Marker(text)
                    }
                    _ => Mode::Marker(text),
                },
            };
        }
        if !pass.is_empty() {
            out.push(Action::Send(pass));
        }
        out
    }

    /// The question being asked, with what was typed so far, while one is open.
    pub fn prompt(&self) -> Option<String> {
        match &self.mode {
            Mode::ConfirmKill => Some("end the session for everyone? press y to confirm".into()),
            Mode::Marker(text) => Some(format!(
                "marker text (Enter adds it, Esc cancels): {}",
                String::from_utf8_lossy(text)
            )),
            Mode::Normal | Mode::Escaped => None,
        }
    }
}

/// Parse `ctrl-]`, `ctrl-a`, `^]` into the byte the key sends.
pub fn parse_escape(s: &str) -> Option<u8> {
    let lower = s.trim().to_ascii_lowercase();
    let key = lower
        .strip_prefix("ctrl-")
        .or_else(|| lower.strip_prefix("c-"))
        .or_else(|| lower.strip_prefix('^'))?;
    let mut chars = key.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    match c {
        'a'..='z' => Some(c as u8 - b'a' + 1),
        '@' | '[' | '\\' | ']' | '^' | '_' => Some(c as u8 & 0x1f),
        _ => None,
    }
}

/// How a control key is written: `Ctrl-]`.
pub fn key_name(b: u8) -> String {
    match b {
        1..=26 => format!("Ctrl-{}", (b'a' + b - 1) as char),
        0 | 27..=31 => format!("Ctrl-{}", (b | 0x40) as char),
        _ => format!("{:?}", b as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_keys_and_runs_commands() {
        let mut k = Keys::new(DEFAULT_ESCAPE);
        assert_eq!(k.feed(b"ls\r"), vec![Action::Send(b"ls\r".to_vec())]);
        assert_eq!(
            k.feed(b"a\x1dtb"),
            vec![
                Action::Send(b"a".to_vec()),
                Action::Take,
                Action::Send(b"b".to_vec())
            ]
        );
        assert_eq!(k.feed(b"\x1d"), vec![]);
        assert_eq!(
            k.feed(b"r"),
            vec![Action::Return],
            "the escape may arrive in its own read"
        );
        assert_eq!(k.feed(b"\x1d\x1d"), vec![Action::Send(vec![0x1d])]);
        assert_eq!(k.feed(b"\x1dd"), vec![Action::Detach]);
        assert_eq!(k.feed(b"\x1d?"), vec![Action::Help]);
        assert_eq!(k.feed(b"\x1dh"), vec![Action::History]);
    }

    #[test]
    fn kill_needs_confirmation() {
        let mut k = Keys::new(DEFAULT_ESCAPE);
        assert_eq!(k.feed(b"\x1dk"), vec![]);
        assert!(k.prompt().unwrap().contains("press y"));
        let a = k.feed(b"n");
        assert_eq!(a, vec![Action::Say("not ended")]);
        assert_eq!(k.prompt(), None);
        let a = k.feed(b"\x1dky");
        assert_eq!(a.last(), Some(&Action::Kill));
    }

    #[test]
    fn marker_text_with_backspace_and_cancel() {
        let mut k = Keys::new(DEFAULT_ESCAPE);
        k.feed(b"\x1dmdb fixx\x7f");
        assert!(k.prompt().unwrap().ends_with("Esc cancels): db fix"));
        let a = k.feed(b"\r");
        assert_eq!(a.last(), Some(&Action::Mark("db fix".into())));
        let a = k.feed("\x1dmcaf\u{e9}\x7f\r".as_bytes());
        assert_eq!(
            a.last(),
            Some(&Action::Mark("caf".into())),
            "backspace removes a whole character"
        );
        let a = k.feed(b"\x1dmabc\x1b");
        assert_eq!(a.last(), Some(&Action::Say("no marker added")));
        assert_eq!(k.feed(b"x"), vec![Action::Send(b"x".to_vec())]);
    }

    #[test]
    fn escape_key_names() {
        assert_eq!(parse_escape("ctrl-]"), Some(0x1d));
        assert_eq!(parse_escape("^A"), Some(1));
        assert_eq!(parse_escape("ctrl-b"), Some(2));
        assert_eq!(parse_escape("x"), None);
        assert_eq!(key_name(0x1d), "Ctrl-]");
        assert_eq!(key_name(1), "Ctrl-a");
    }
}
