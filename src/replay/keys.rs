//! Replay key bindings, pure: key events from crossterm's reader in, commands out, with
//! the two prompts (`g` go to a time, `/` search) handled here too. The terminal's key
//! sequences (arrows, Esc, a key typed with Alt) are crossterm's to parse; this only maps.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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

#[derive(Debug, Default)]
enum Mode {
    #[default]
    Keys,
    Typing {
        label: &'static str,
        text: String,
        search: bool,
    },
}

/// The key state machine.
#[derive(Debug, Default)]
pub struct Keys {
    mode: Mode,
}

/// The prompt `g` opens.
const GO_TO: &str = "go to (12:30): ";
/// The prompt `/` opens.
const SEARCH: &str = "search: ";

impl Keys {
    /// Turn one key event into commands.
    pub fn key(&mut self, k: KeyEvent) -> Vec<Command> {
        if k.kind == KeyEventKind::Release {
            return Vec::new();
        }
        // A key typed right after Esc arrives as that key with Alt: the Esc key, then the
        // key (Esc never swallows the key after it).
        if k.modifiers.contains(KeyModifiers::ALT)
            && let KeyCode::Char(_) = k.code
        {
            let mut out = self.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
            out.extend(self.key(KeyEvent::new(k.code, k.modifiers - KeyModifiers::ALT)));
            return out;
        }
        if let Mode::Typing { .. } = self.mode {
            return self.typing(k);
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let plain = !k
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let cmd = match k.code {
            KeyCode::Esc => Command::Dismiss,
            KeyCode::Char('c') if ctrl => Command::Quit,
            KeyCode::Left if k.modifiers == KeyModifiers::SHIFT => Command::Seek(-LONG_SEEK),
            KeyCode::Right if k.modifiers == KeyModifiers::SHIFT => Command::Seek(LONG_SEEK),
            KeyCode::Left if k.modifiers.is_empty() => Command::Seek(-SHORT_SEEK),
            KeyCode::Right if k.modifiers.is_empty() => Command::Seek(SHORT_SEEK),
            KeyCode::Char(c) if plain => match c {
                ' ' => Command::TogglePause,
                '.' => Command::StepForward,
                ',' => Command::StepBack,
                '<' => Command::Seek(-LONG_SEEK),
                '>' => Command::Seek(LONG_SEEK),
                '[' => Command::PrevMark,
                ']' => Command::NextMark,
                'n' => Command::NextHit,
                'N' => Command::PrevHit,
                '+' | '=' => Command::Faster,
                '-' | '_' => Command::Slower,
                'i' => Command::ToggleWho,
                's' => Command::ToggleStatus,
                '?' | 'h' => Command::Help,
                'q' => Command::Quit,
                'g' => self.open(GO_TO, false),
                '/' => self.open(SEARCH, true),
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        vec![cmd]
    }

    fn open(&mut self, label: &'static str, search: bool) -> Command {
        self.mode = Mode::Typing {
            label,
            text: String::new(),
            search,
        };
        Command::Prompt(label.into())
    }

    /// A key while a prompt is open: text, Backspace, Enter, or Esc (or Ctrl-C) to close.
    fn typing(&mut self, k: KeyEvent) -> Vec<Command> {
        let Mode::Typing {
            label,
            text,
            search,
        } = &mut self.mode
        else {
            return Vec::new();
        };
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            // In raw mode Enter is CR; LF arrives as Ctrl-J, and Ctrl-M is CR as well.
            KeyCode::Enter | KeyCode::Char('j' | 'm') if ctrl || k.code == KeyCode::Enter => {
                let t = std::mem::take(text);
                let done = if *search {
                    Command::Search(t)
                } else {
                    Command::GoTo(t)
                };
                self.mode = Mode::Keys;
                vec![Command::Prompt(String::new()), done]
            }
            KeyCode::Esc | KeyCode::Char('c') if ctrl || k.code == KeyCode::Esc => {
                self.mode = Mode::Keys;
                vec![Command::Prompt(String::new())]
            }
            // Backspace is DEL; BS (0x08) arrives as Ctrl-H.
            KeyCode::Backspace | KeyCode::Char('h') if ctrl || k.code == KeyCode::Backspace => {
                text.pop();
                vec![Command::Prompt(format!("{label}{text}"))]
            }
            KeyCode::Char(c) if !ctrl => {
                text.push(c);
                vec![Command::Prompt(format!("{label}{text}"))]
            }
            _ => Vec::new(),
        }
    }
}

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

    fn ch(c: char) -> KeyEvent {
        let m = if c.is_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        KeyEvent::new(KeyCode::Char(c), m)
    }

    fn code(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    fn typed(k: &mut Keys, text: &str) -> Vec<Command> {
        text.chars().flat_map(|c| k.key(ch(c))).collect()
    }

    #[test]
    fn single_keys() {
        let mut k = Keys::default();
        assert_eq!(
            typed(&mut k, " .,<>[]nN+-=_ishq?"),
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
                Command::Faster,
                Command::Slower,
                Command::ToggleWho,
                Command::ToggleStatus,
                Command::Help,
                Command::Quit,
                Command::Help,
            ]
        );
        assert_eq!(typed(&mut k, "xZ"), vec![], "unbound keys do nothing");
        assert_eq!(
            k.key(code(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            vec![Command::Quit]
        );
        assert_eq!(
            k.key(code(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            vec![],
            "Ctrl with a letter is not the letter"
        );
    }

    #[test]
    fn arrows_and_their_modifiers() {
        let mut k = Keys::default();
        let none = KeyModifiers::NONE;
        assert_eq!(k.key(code(KeyCode::Left, none)), vec![Command::Seek(-5)]);
        assert_eq!(k.key(code(KeyCode::Right, none)), vec![Command::Seek(5)]);
        let shift = KeyModifiers::SHIFT;
        assert_eq!(k.key(code(KeyCode::Left, shift)), vec![Command::Seek(-30)]);
        assert_eq!(k.key(code(KeyCode::Right, shift)), vec![Command::Seek(30)]);
        for m in [KeyModifiers::CONTROL, KeyModifiers::ALT] {
            assert_eq!(k.key(code(KeyCode::Right, m)), vec![], "{m:?}: unbound");
        }
        assert_eq!(k.key(code(KeyCode::Up, none)), vec![], "unbound");
        let mut release = code(KeyCode::Left, none);
        release.kind = KeyEventKind::Release;
        assert_eq!(k.key(release), vec![], "a release is not a press");
    }

    #[test]
    fn esc_alone_does_not_swallow_the_next_key() {
        let mut k = Keys::default();
        let esc = code(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(k.key(esc), vec![Command::Dismiss]);
        assert_eq!(k.key(ch('q')), vec![Command::Quit], "Esc then q quits");
        assert_eq!(
            k.key(code(KeyCode::Char('q'), KeyModifiers::ALT)),
            vec![Command::Dismiss, Command::Quit],
            "Esc and q read at once (Alt-q): both"
        );
        assert_eq!(
            k.key(code(KeyCode::Char('['), KeyModifiers::ALT)),
            vec![Command::Dismiss, Command::PrevMark]
        );
    }

    #[test]
    fn prompts() {
        let mut k = Keys::default();
        let none = KeyModifiers::NONE;
        let enter = code(KeyCode::Enter, none);
        let bs = code(KeyCode::Backspace, none);
        assert_eq!(k.key(ch('g')), vec![Command::Prompt(GO_TO.into())]);
        typed(&mut k, "12:3x");
        assert_eq!(
            k.key(bs),
            vec![Command::Prompt(format!("{GO_TO}12:3"))],
            "the prompt shows what is typed"
        );
        typed(&mut k, "0");
        assert_eq!(
            k.key(enter),
            vec![
                Command::Prompt(String::new()),
                Command::GoTo("12:30".into())
            ]
        );
        typed(&mut k, "/rm -rf q");
        let c = k.key(code(KeyCode::Char('j'), KeyModifiers::CONTROL));
        assert_eq!(
            c.last(),
            Some(&Command::Search("rm -rf q".into())),
            "q is text in a prompt; LF (Ctrl-J) ends it as Enter does"
        );
        typed(&mut k, "/caf\u{e9}\u{e9}");
        k.key(code(KeyCode::Char('h'), KeyModifiers::CONTROL));
        assert_eq!(
            k.key(enter).last(),
            Some(&Command::Search("caf\u{e9}".into())),
            "Ctrl-H is backspace too, a character at a time"
        );
        typed(&mut k, "/abc");
        assert_eq!(
            k.key(code(KeyCode::Esc, none)),
            vec![Command::Prompt(String::new())],
            "Esc cancels the prompt"
        );
        assert_eq!(k.key(ch('q')), vec![Command::Quit], "keys work again");
        typed(&mut k, "/abc");
        assert_eq!(
            k.key(code(KeyCode::Char('q'), KeyModifiers::ALT)),
            vec![Command::Prompt(String::new()), Command::Quit],
            "Esc and q at once: cancel, then quit"
        );
        typed(&mut k, "g1");
        assert_eq!(
            k.key(code(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            vec![Command::Prompt(String::new())],
            "Ctrl-C closes a prompt"
        );
    }

    #[test]
    fn pop_char_removes_a_whole_character() {
        let mut t = "a\u{e9}".as_bytes().to_vec();
        pop_char(&mut t);
        assert_eq!(t, b"a");
    }
}
