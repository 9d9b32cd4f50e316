//! Masking of secret input: what is typed at a password prompt never reaches the log.
//!
//! Input is secret while the PTY is in canonical mode with echo off (getpass, `read -s`;
//! raw mode, which ssh, editors and pagers use for everything, does not count), or right
//! after output that ends in a password prompt (how a prompt on the far side of ssh is
//! seen). Secret input runs up to the next Enter (or Ctrl-C / Ctrl-D) and is recorded as
//! its length only (or sealed, src/session/sealing.rs); the Enter itself is recorded
//! normally. Keys read one at a time with echo off and the rest of the cooked terminal
//! kept (`read -s -n 11`, a getch password reader) are secret key by key, while the PTY
//! stays in that mode; see [`TtyMode`].

use regex::Regex;

use crate::escapes::strip_escapes;

/// How much recent output is kept to look for a prompt. Prompts are short; this also
/// bounds the work per output chunk.
const PROMPT_TAIL: usize = 512;

/// Bytes that end secret input.
const ENDS_SECRET: &[u8] = b"\r\n\x03\x04";

/// What the PTY's terminal modes say about the input read now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyMode {
    /// Nothing secret about the mode.
    Open,
    /// Canonical with echo off: a line is read without echo (getpass, `read -s`).
    SecretLine,
    /// Echo off, one key at a time, with signals, CR-to-NL and erase echo kept as a
    /// cooked terminal has them (`read -s -n`). Line editors and full-screen programs
    /// change more: readline and curses turn CR-to-NL off, less and top erase echo, ssh
    /// and vim signals.
    SecretKeys,
}

/// The terminal flags [`classify`] looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct TtyFlags {
    pub icanon: bool,
    pub echo: bool,
    pub isig: bool,
    pub icrnl: bool,
    pub echoe: bool,
}

/// Whether the PTY's modes say a secret is being read.
pub fn classify(f: TtyFlags) -> TtyMode {
    match f {
        TtyFlags { echo: true, .. } => TtyMode::Open,
        TtyFlags { icanon: true, .. } => TtyMode::SecretLine,
        TtyFlags {
            isig: true,
            icrnl: true,
            echoe: true,
            ..
        } => TtyMode::SecretKeys,
        _ => TtyMode::Open,
    }
}

/// A piece of input, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Clear(Vec<u8>),
    Secret(Vec<u8>),
}

/// Tracks prompts and masks the input that answers them.
pub struct SecretFilter {
    prompt: Option<Regex>,
    tail: Vec<u8>,
    /// The tail ends in a prompt; None: not looked at since the last output. The prompt
    /// is looked for when input comes (or held input asks), not on every output chunk:
    /// a flood of output costs a copy into the tail, never a regex search.
    prompt_seen: Option<bool>,
    masking: bool,
}

impl SecretFilter {
    /// `prompt` None turns masking off (`--record-secrets`).
    pub fn new(prompt: Option<Regex>) -> Self {
        SecretFilter {
            prompt,
            tail: Vec::new(),
            prompt_seen: Some(false),
            masking: false,
        }
    }

    /// Whether masking is on at all.
    pub fn enabled(&self) -> bool {
        self.prompt.is_some()
    }

    /// Whether a line of secret input is being typed, or a prompt asks for one.
    pub fn expecting_secret(&mut self) -> bool {
        self.masking || self.prompt_seen()
    }

    /// Whether the output so far ends in a prompt.
    fn prompt_seen(&mut self) -> bool {
        if let Some(seen) = self.prompt_seen {
            return seen;
        }
        let seen = self.prompt.as_ref().is_some_and(|re| {
            let text = strip_escapes(&self.tail);
            re.is_match(&String::from_utf8_lossy(&text))
        });
        self.prompt_seen = Some(seen);
        seen
    }

    /// Keep the end of session output, where a prompt is looked for when input comes.
    pub fn on_output(&mut self, bytes: &[u8]) {
        if self.prompt.is_none() {
            return;
        }
        if bytes.len() >= PROMPT_TAIL {
            self.tail.clear();
            self.tail
                .extend_from_slice(&bytes[bytes.len() - PROMPT_TAIL..]);
        } else {
            self.tail.extend_from_slice(bytes);
            let extra = self.tail.len().saturating_sub(PROMPT_TAIL);
            self.tail.drain(..extra);
        }
        self.prompt_seen = None;
    }

    /// Split input into clear and secret pieces. `mode` is what the PTY's modes are now.
    pub fn on_input(&mut self, bytes: &[u8], mode: TtyMode) -> Vec<Piece> {
        if !self.enabled() {
            return vec![Piece::Clear(bytes.to_vec())];
        }
        let mut out: Vec<Piece> = Vec::new();
        let mut push = |p: Piece| match (out.last_mut(), p) {
            (Some(Piece::Clear(a)), Piece::Clear(b)) => a.extend(b),
            (Some(Piece::Secret(a)), Piece::Secret(b)) => a.extend(b),
            (_, p) => out.push(p),
        };
        let no_echo = mode == TtyMode::SecretLine;
        for &b in bytes {
            // Keys read one at a time without echo: each is secret, only while the mode
            // lasts; Enter, Ctrl-C and Ctrl-D are recorded as they are everywhere.
            if mode == TtyMode::SecretKeys && !self.masking {
                push(if ENDS_SECRET.contains(&b) {
                    Piece::Clear(vec![b])
                } else {
                    Piece::Secret(vec![b])
                });
                continue;
            }
            if !self.masking && (no_echo || self.prompt_seen()) {
                self.masking = true;
            }
            if self.masking && ENDS_SECRET.contains(&b) {
                self.masking = false;
                self.prompt_seen = Some(false);
                self.tail.clear();
                push(Piece::Clear(vec![b]));
            } else if self.masking {
                push(Piece::Secret(vec![b]));
            } else {
                push(Piece::Clear(vec![b]));
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "secret_tests.rs"]
mod tests;
