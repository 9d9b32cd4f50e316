//! Masking of secret input: what is typed at a password prompt never reaches the log.
//!
//! Input is secret while the PTY is in canonical mode with echo off (getpass, `read -s`;
//! raw mode, which ssh, editors and pagers use for everything, does not count), or right
//! after output that ends in a password prompt (how a prompt on the far side of ssh is
//! seen). Secret input runs up to the next Enter (or Ctrl-C / Ctrl-D) and is recorded as
//! its length only; the Enter itself is recorded normally.

use regex::Regex;

/// How much recent output is kept to look for a prompt. Prompts are short; this also
/// bounds the work per output chunk.
const PROMPT_TAIL: usize = 512;

/// Bytes that end secret input.
const ENDS_SECRET: &[u8] = b"\r\n\x03\x04";

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
    prompt_seen: bool,
    masking: bool,
}

impl SecretFilter {
    /// `prompt` None turns masking off (`--record-secrets`).
    pub fn new(prompt: Option<Regex>) -> Self {
        SecretFilter {
            prompt,
            tail: Vec::new(),
            prompt_seen: false,
            masking: false,
        }
    }

    /// Whether masking is on at all.
    pub fn enabled(&self) -> bool {
        self.prompt.is_some()
    }

    /// Look at session output for a prompt.
    pub fn on_output(&mut self, bytes: &[u8]) {
        let Some(re) = &self.prompt else { return };
        if bytes.len() >= PROMPT_TAIL {
            self.tail.clear();
            self.tail
                .extend_from_slice(&bytes[bytes.len() - PROMPT_TAIL..]);
        } else {
            self.tail.extend_from_slice(bytes);
            let extra = self.tail.len().saturating_sub(PROMPT_TAIL);
            self.tail.drain(..extra);
        }
        let text = strip_escapes(&self.tail);
        self.prompt_seen = re.is_match(&String::from_utf8_lossy(&text));
    }

    /// Split input into clear and secret pieces. `no_echo` is whether the PTY is in
    /// canonical mode with echo off right now.
    pub fn on_input(&mut self, bytes: &[u8], no_echo: bool) -> Vec<Piece> {
        if !self.enabled() {
            return vec![Piece::Clear(bytes.to_vec())];
        }
        let mut out: Vec<Piece> = Vec::new();
        let mut push = |p: Piece| match (out.last_mut(), p) {
            (Some(Piece::Clear(a)), Piece::Clear(b)) => a.extend(b),
            (Some(Piece::Secret(a)), Piece::Secret(b)) => a.extend(b),
            (_, p) => out.push(p),
        };
        for &b in bytes {
            if !self.masking && (no_echo || self.prompt_seen) {
                self.masking = true;
            }
            if self.masking && ENDS_SECRET.contains(&b) {
                self.masking = false;
                self.prompt_seen = false;
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

/// Drop escape sequences (CSI, OSC, two-byte ESC) and CRs, to match prompts as shown.
pub fn strip_escapes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b if b.get(i + 1) == Some(&b'[') => {
                i += 2;
                while i < b.len() && !(0x40..=0x7e).contains(&b[i]) {
                    i += 1;
                }
                i += 1;
            }
            0x1b if b.get(i + 1) == Some(&b']') => {
                i += 2;
                while i < b.len() && b[i] != 0x07 && !(b[i] == 0x1b && b.get(i + 1) == Some(&b'\\'))
                {
                    i += 1;
                }
                i += if b.get(i) == Some(&0x1b) { 2 } else { 1 };
            }
            0x1b => i += 2,
            b'\r' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_SECRET_PROMPT;

    fn filter() -> SecretFilter {
        SecretFilter::new(Some(Regex::new(DEFAULT_SECRET_PROMPT).unwrap()))
    }

    #[test]
    fn prompt_then_password_is_masked_up_to_enter() {
        let mut f = filter();
        f.on_output(b"\x1b[0m[sudo] password for alice: \x1b[0m");
        assert_eq!(
            f.on_input(b"hunter2\rls\r", false),
            vec![
                Piece::Secret(b"hunter2".to_vec()),
                Piece::Clear(b"\rls\r".to_vec())
            ]
        );
        // Typed one key at a time, across calls.
        f.on_output(b"Password: ");
        assert_eq!(f.on_input(b"s", false), vec![Piece::Secret(b"s".to_vec())]);
        f.on_output(b"*"); // some programs echo stars: still masking
        assert_eq!(
            f.on_input(b"3\r", false),
            vec![Piece::Secret(b"3".to_vec()), Piece::Clear(b"\r".to_vec())]
        );
        assert_eq!(f.on_input(b"ls", false), vec![Piece::Clear(b"ls".to_vec())]);
    }

    #[test]
    fn echo_off_canonical_mode_masks_and_ctrl_c_ends() {
        let mut f = filter();
        f.on_output(b"$ ");
        assert_eq!(
            f.on_input(b"abc\x03", true),
            vec![
                Piece::Secret(b"abc".to_vec()),
                Piece::Clear(b"\x03".to_vec())
            ]
        );
        assert_eq!(
            f.on_input(b"abc", false),
            vec![Piece::Clear(b"abc".to_vec())]
        );
    }

    #[test]
    fn ordinary_output_does_not_mask_and_off_records_all() {
        let mut f = filter();
        f.on_output(b"password changed\r\n$ ");
        assert_eq!(
            f.on_input(b"ls\r", false),
            vec![Piece::Clear(b"ls\r".to_vec())]
        );
        let mut off = SecretFilter::new(None);
        off.on_output(b"Password: ");
        assert_eq!(
            off.on_input(b"pw\r", true),
            vec![Piece::Clear(b"pw\r".to_vec())]
        );
    }

    #[test]
    fn strips_csi_osc_and_cr() {
        assert_eq!(
            strip_escapes(b"a\x1b[31mb\x1b]0;t\x07c\x1b]2;x\x1b\\d\re"),
            b"abcde"
        );
    }
}
