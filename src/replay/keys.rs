//! Replay key bindings, pure: bytes typed by the reviewer in, commands out, with the two
//! prompts (`g` go to a time, `/` search) handled here too.

/// What the reviewer asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    TogglePause,
    StepForward,
    StepBack,
    /// Seek by this many seconds (negative: back).
    Seek(i64),
    GoTo(String),
    PrevMark,
    NextMark,
    Search(String),
    NextHit,
    PrevHit,
    Faster,
    Slower,
    ToggleWho,
    /// Hide or show the status line (a terminal of the session's size then shows it all).
    ToggleStatus,
    /// The help, a page at a time.
    Help,
    /// Esc on its own: close what the status line says.
    Dismiss,
    Quit,
    /// A prompt opened, changed or closed: show this text (empty: closed).
    Prompt(String),
}

/// Seconds an arrow key seeks; with shift (or `<`/`>`), the long step.
pub const SHORT_SEEK: i64 = 5;
pub const LONG_SEEK: i64 = 30;

#[derive(Debug)]
enum Mode {
    Keys,
    Typing {
        label: &'static str,
        /// What was typed, as bytes: a character may arrive a byte at a time.
        text: Vec<u8>,
        search: bool,
    },
}

/// The key state machine.
#[derive(Debug)]
pub struct Keys {
    mode: Mode,
    pending: Vec<u8>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys {
            mode: Mode::Keys,
            pending: Vec::new(),
        }
    }
}

/// Escape sequences of the keys replay knows.
const SEQUENCES: &[(&[u8], Command)] = &[
    (b"\x1b[1;2D", Command::Seek(-LONG_SEEK)),
    (b"\x1b[1;2C", Command::Seek(LONG_SEEK)),
    (b"\x1b[D", Command::Seek(-SHORT_SEEK)),
    (b"\x1b[C", Command::Seek(SHORT_SEEK)),
    (b"\x1bOD", Command::Seek(-SHORT_SEEK)),
    (b"\x1bOC", Command::Seek(SHORT_SEEK)),
];

impl Keys {
    /// Turn typed bytes into commands.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Command> {
        let mut out = Vec::new();
        self.pending.extend_from_slice(bytes);
        let mut i = 0;
        while i < self.pending.len() {
            let rest = &self.pending[i..];
            if let Mode::Typing {
                label,
                text,
                search,
            } = &mut self.mode
            {
                match rest[0] {
                    b'\r' | b'\n' => {
                        let t = String::from_utf8_lossy(&std::mem::take(text)).into_owned();
                        out.push(Command::Prompt(String::new()));
                        out.push(if *search {
                            Command::Search(t)
                        } else {
                            Command::GoTo(t)
                        });
                        self.mode = Mode::Keys;
                    }
                    0x1b | 0x03 => {
                        out.push(Command::Prompt(String::new()));
                        self.mode = Mode::Keys;
                    }
                    0x7f | 0x08 => {
                        pop_char(text);
                        out.push(Command::Prompt(format!(
                            "{label}{}",
                            String::from_utf8_lossy(text)
                        )));
                    }
                    c if c >= 0x20 => {
                        text.push(c);
                        out.push(Command::Prompt(format!(
                            "{label}{}",
                            String::from_utf8_lossy(text)
                        )));
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            if rest[0] == 0x1b {
                if let Some((seq, cmd)) = SEQUENCES.iter().find(|(s, _)| rest.starts_with(s)) {
                    out.push(cmd.clone());
                    i += seq.len();
                    continue;
                }
                if SEQUENCES.iter().any(|(s, _)| s.starts_with(rest)) {
                    break; // an incomplete sequence: wait for the rest
                }
                // Some other sequence: skip it whole (CSI up to its final byte, SS3 and
                // its letter). Esc before anything else is the Esc key alone: the key
                // after it is a key of its own.
                i += match rest.get(1) {
                    Some(b'[') => rest
                        .iter()
                        .skip(2)
                        .position(|b| (0x40..=0x7e).contains(b))
                        .map_or(rest.len(), |p| p + 3),
                    Some(b'O') => 3.min(rest.len()),
                    _ => {
                        out.push(Command::Dismiss);
                        1
                    }
                };
                continue;
            }
            let cmd = match rest[0] {
                b' ' => Some(Command::TogglePause),
                b'.' => Some(Command::StepForward),
                b',' => Some(Command::StepBack),
                b'<' => Some(Command::Seek(-LONG_SEEK)),
                b'>' => Some(Command::Seek(LONG_SEEK)),
                b'[' => Some(Command::PrevMark),
                b']' => Some(Command::NextMark),
                b'n' => Some(Command::NextHit),
                b'N' => Some(Command::PrevHit),
                b'+' | b'=' => Some(Command::Faster),
                b'-' | b'_' => Some(Command::Slower),
                b'i' => Some(Command::ToggleWho),
                b's' => Some(Command::ToggleStatus),
                b'?' | b'h' => Some(Command::Help),
                b'q' | 0x03 => Some(Command::Quit),
                b'g' => {
                    self.mode = Mode::Typing {
                        label: "go to (12:30): ",
                        text: Vec::new(),
                        search: false,
                    };
                    Some(Command::Prompt("go to (12:30): ".into()))
                }
                b'/' => {
                    self.mode = Mode::Typing {
                        label: "search: ",
                        text: Vec::new(),
                        search: true,
                    };
                    Some(Command::Prompt("search: ".into()))
                }
                _ => None,
            };
            out.extend(cmd);
            i += 1;
        }
        self.pending.drain(..i);
        out
    }
}

impl Keys {
    /// Whether typed bytes wait for the rest of a sequence: a lone Esc may be the Esc key,
    /// or the start of an arrow whose other bytes are on their way.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Nothing more came after [`ESC_WAIT`]: what waits was typed by a person, the Esc
    /// key then the keys after it (Esc then `[` is Esc and the previous marker).
    pub fn flush(&mut self) -> Vec<Command> {
        let waiting = std::mem::take(&mut self.pending);
        let Some((&0x1b, rest)) = waiting.split_first() else {
            return Vec::new();
        };
        let mut out = vec![Command::Dismiss];
        if let Some((&first, tail)) = rest.split_first() {
            out.extend(self.feed(&[first]));
            out.extend(self.feed(tail));
        }
        out
    }
}

/// How long a lone Esc waits for the rest of a sequence before it counts as the Esc key:
/// a terminal writes a key's sequence at once, so its bytes arrive well within this; a
/// person pressing Esc then another key takes longer.
pub const ESC_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// Remove the last character (all its UTF-8 bytes) from typed text.
pub fn pop_char(text: &mut Vec<u8>) {
    while let Some(b) = text.pop() {
        if b & 0xC0 != 0x80 {
            break; // an ASCII byte or the lead byte of the character
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_keys() {
        let mut k = Keys::default();
        assert_eq!(
            k.feed(b" .,<>[]nN+-iq"),
            vec![
                Command::TogglePause,
                Command::StepForward,
                Command::StepBack,
                Command::Seek(-30),
                Command::Seek(30),
                Command::PrevMark,
                Command::NextMark,
                Command::NextHit,
                Command::PrevHit,
                Command::Faster,
                Command::Slower,
                Command::ToggleWho,
                Command::Quit
            ]
        );
    }

    #[test]
    fn arrows_even_split_across_reads() {
        let mut k = Keys::default();
        assert_eq!(
            k.feed(b"\x1b[D\x1b[1;2C"),
            vec![Command::Seek(-5), Command::Seek(30)]
        );
        assert_eq!(k.feed(b"\x1b["), vec![]);
        assert_eq!(k.feed(b"C"), vec![Command::Seek(5)]);
        assert_eq!(
            k.feed(b"\x1b[A q"),
            vec![Command::TogglePause, Command::Quit],
            "unknown sequences are skipped"
        );
    }

    #[test]
    fn esc_alone_does_not_swallow_the_next_key() {
        let mut k = Keys::default();
        assert_eq!(k.feed(b"\x1bq"), vec![Command::Dismiss, Command::Quit]);
        assert_eq!(k.feed(b"\x1b"), vec![], "maybe the start of an arrow");
        assert!(k.waiting());
        assert_eq!(
            k.flush(),
            vec![Command::Dismiss],
            "nothing followed: the Esc key"
        );
        assert!(!k.waiting());
        assert_eq!(k.feed(b"\x1b["), vec![]);
        assert_eq!(
            k.flush(),
            vec![Command::Dismiss, Command::PrevMark],
            "Esc then [ typed by a person"
        );
        assert_eq!(k.feed(b"\x1b"), vec![]);
        assert_eq!(k.feed(b"q"), vec![Command::Dismiss, Command::Quit]);
        assert_eq!(
            k.feed(b"\x1b\x1b[C"),
            vec![Command::Dismiss, Command::Seek(5)]
        );
        assert_eq!(
            k.feed(b"\x1bOAs"),
            vec![Command::ToggleStatus],
            "SS3 skipped whole"
        );
    }

    #[test]
    fn prompts() {
        let mut k = Keys::default();
        let c = k.feed(b"g12:3x\x7f0\r");
        assert_eq!(c.last(), Some(&Command::GoTo("12:30".into())));
        let c = k.feed(b"/rm -rf\r");
        assert_eq!(c.last(), Some(&Command::Search("rm -rf".into())));
        let c = k.feed("/caf\u{e9}\u{e9}\x7f\r".as_bytes());
        assert_eq!(
            c.last(),
            Some(&Command::Search("caf\u{e9}".into())),
            "typed UTF-8, backspace removes a character"
        );
        let c = k.feed(b"/abc\x1bq");
        assert_eq!(
            c.last(),
            Some(&Command::Quit),
            "escape cancels the prompt; keys work again"
        );
    }
}
