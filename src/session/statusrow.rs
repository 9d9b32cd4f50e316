//! The owner's status row: breakglass keeps the last row of the owner's terminal for
//! itself. The session (PTY, log, watchers) is one row shorter than the terminal; the
//! terminal's scroll region is set to the session's rows, and the child's output is
//! followed by a small streaming filter on its way to the terminal:
//!
//! - a scroll region reset (`CSI r`, `CSI t r`) or one reaching beyond the session's rows
//!   is rewritten to end at the session's last row;
//! - absolute cursor addressing (CUP, HVP, VPA) that would land on the owned row is
//!   clamped to the session's last row;
//! - whatever may have erased the row or reset the margins (ED 0/2/3, RIS, DECSTR, an
//!   alternate screen switch; a resize, told by the hub) has the row repainted after it.
//!
//! A repaint saves the cursor (DECSC), which overwrites the child's own saved cursor. So
//! while the child has a DECSC (`ESC 7`, `CSI s`) outstanding in the current screen buffer
//! (xterm and tmux keep one saved cursor per buffer), a repaint waits until it is restored
//! (`ESC 8`, `CSI u`) or the buffer switches. A repaint also waits for the end of an
//! open string (OSC, DCS) and of a UTF-8 character cut at the end of a chunk.
//!
//! Pure logic on bytes, fed in chunks of any size: a sequence cut at the end of a chunk
//! is held back (it may need a rewrite) and sent with the next. Output without ESC in
//! the ground state passes untouched after one memchr. C1 controls are not followed
//! (terminals in UTF-8 mode do not act on them by default).

use std::borrow::Cow;

/// Below this many terminal rows there is no status row: the session would be too short.
pub const MIN_ROWS: u16 = 4;

/// The longest CSI held back across chunks: real ones are far shorter (an SGR with two
/// 24-bit colours is ~40 bytes); a longer one is passed on as it is, not followed.
const MAX_CSI: usize = 64;

/// Colours of the bar: reverse video, which every terminal has.
const BAR_SGR: &str = "\x1b[0;7m";

/// What ends a session's use of the row.
pub use crate::termstate::LEAVE_STATUS_ROW as LEAVE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Ground,
    Esc,
    /// After ESC and an intermediate byte (`ESC ( B`): the next final byte ends it.
    EscInter,
    Csi,
    /// An OSC, DCS, SOS, PM or APC string, up to ST (or BEL).
    Str,
    StrEsc,
}

/// The filter's state between chunks.
#[derive(Debug)]
pub struct RowFilter {
    /// The session's rows; the owned row is the one after them.
    rows: u16,
    cols: u16,
    /// What the row says (safe text).
    text: String,
    st: St,
    /// A sequence cut at the end of the last chunk, held back.
    held: Vec<u8>,
    alt: bool,
    /// The child has a saved cursor outstanding, in the main and the alternate buffer.
    saved: [bool; 2],
    /// The child's scroll region (1-based, inclusive); None: the whole session.
    margins: Option<(u16, u16)>,
    /// The row must be repainted as soon as that is safe.
    dirty: bool,
    /// The last byte sent ended inside a UTF-8 character.
    utf8_cut: bool,
}

impl RowFilter {
    /// A filter for a session of `cols` x `rows` (the terminal has one row more).
    pub fn new(cols: u16, rows: u16) -> RowFilter {
        RowFilter {
            rows,
            cols,
            text: String::new(),
            st: St::Ground,
            held: Vec::new(),
            alt: false,
            saved: [false; 2],
            margins: None,
            dirty: false,
            utf8_cut: false,
        }
    }

    /// The session's rows.
    pub fn rows(&self) -> u16 {
        self.rows
    }

    /// What the row should say from now on (repainted by [`RowFilter::paint`]).
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_string();
    }

    /// The first bytes on the terminal, before any output: make room for the row if the
    /// cursor is on it (a line feed scrolls the screen up when it is at the bottom, then
    /// the cursor goes back up), set the scroll region, paint the row.
    pub fn start(&mut self) -> Vec<u8> {
        let mut out = b"\n\x1b[A".to_vec();
        out.extend_from_slice(&self.repaint());
        self.dirty = false;
        out
    }

    /// The terminal is now `cols` x `rows + 1`: its margins may have been reset (tmux does
    /// on a resize), so the row is repainted, the margins with it.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.cols = cols;
        self.rows = rows;
        self.margins = None;
        self.dirty = true;
    }

    /// Repaint the row now if that is safe, else as soon as the output allows.
    pub fn paint(&mut self) -> Option<Vec<u8>> {
        self.dirty = true;
        self.paint_if_safe()
    }

    fn paint_if_safe(&mut self) -> Option<Vec<u8>> {
        let safe = self.dirty
            && matches!(self.st, St::Ground | St::Esc | St::EscInter | St::Csi)
            && !self.saved[self.alt as usize]
            && (!self.held.is_empty() || !self.utf8_cut);
        safe.then(|| {
            self.dirty = false;
            self.repaint()
        })
    }

    /// The repaint: save the cursor, set the margins again, origin mode off and ASCII,
    /// the bar on the last row cut or padded to the width, erase the rest, restore.
    fn repaint(&self) -> Vec<u8> {
        let (top, bottom) = self.margins.unwrap_or((1, self.rows));
        let width = usize::from(self.cols.saturating_sub(1));
        let text = crate::table::clip(&self.text, width);
        let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()));
        format!(
            "\x1b7\x1b[{top};{bottom}r\x1b[?6l\x1b(B\x1b[{};1H{BAR_SGR}{text}{:pad$}\x1b[0m\x1b[K\x1b8",
            self.rows + 1,
            ""
        )
        .into_bytes()
    }

    /// Follow one chunk of the child's output: the bytes to show instead (the same bytes,
    /// borrowed, when nothing needed a change).
    pub fn feed<'a>(&mut self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.st == St::Ground
            && !self.dirty
            && self.held.is_empty()
            && memchr::memchr(0x1b, bytes).is_none()
        {
            if !bytes.is_empty() {
                self.utf8_cut = utf8_cut(bytes);
            }
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(self.held.len() + bytes.len() + 64);
        out.append(&mut self.held);
        // Where the open sequence starts in `out`.
        let mut seq = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match self.st {
                St::Ground => {
                    let next = memchr::memchr(0x1b, &bytes[i..]).map_or(bytes.len(), |p| i + p);
                    out.extend_from_slice(&bytes[i..next]);
                    if next < bytes.len() {
                        seq = out.len();
                        out.push(0x1b);
                        self.st = St::Esc;
                    }
                    i = next + 1;
                    continue;
                }
                St::Esc => {
                    out.push(b);
                    self.st = match b {
                        b'[' => St::Csi,
                        b']' | b'P' | b'X' | b'^' | b'_' => St::Str,
                        0x20..=0x2f => St::EscInter,
                        0x1b => {
                            seq = out.len() - 1;
                            St::Esc
                        }
                        // A terminal carries out other controls inside the sequence and
                        // ignores DEL there: `ESC DEL 7` saves the cursor as `ESC 7` does.
                        0x00..=0x17 | 0x19 | 0x1c..=0x1f | 0x7f => St::Esc,
                        _ => {
                            self.on_esc(b, &mut out);
                            St::Ground
                        }
                    };
                }
                St::EscInter => {
                    out.push(b);
                    if (b >= 0x30 && b != 0x7f) || b == 0x18 || b == 0x1a {
                        self.st = St::Ground;
                    }
                }
                St::Csi => match b {
                    0x40..=0x7e => {
                        out.push(b);
                        self.on_csi(seq, &mut out);
                        self.st = St::Ground;
                    }
                    0x1b => {
                        seq = out.len();
                        out.push(b);
                        self.st = St::Esc;
                    }
                    0x18 | 0x1a => {
                        out.push(b);
                        self.st = St::Ground;
                    }
                    _ => {
                        out.push(b);
                        if out.len() - seq > MAX_CSI {
                            self.st = St::Ground;
                        }
                    }
                },
                St::Str => {
                    out.push(b);
                    match b {
                        0x07 | 0x18 | 0x1a => self.st = St::Ground,
                        0x1b => self.st = St::StrEsc,
                        _ => {}
                    }
                }
                St::StrEsc => {
                    if b == b'\\' {
                        out.push(b);
                        self.st = St::Ground;
                    } else {
                        // ESC ends the string and starts a new sequence.
                        seq = out.len() - 1;
                        self.st = St::Esc;
                        continue;
                    }
                }
            }
            i += 1;
        }
        if matches!(self.st, St::Esc | St::EscInter | St::Csi) {
            self.held = out.split_off(seq);
        } else if !out.is_empty() {
            self.utf8_cut = utf8_cut(&out);
        }
        if let Some(p) = self.paint_if_safe() {
            out.extend_from_slice(&p);
        }
        Cow::Owned(out)
    }

    /// A two-byte escape sequence ended with `b` (already in `out`).
    fn on_esc(&mut self, b: u8, out: &mut Vec<u8>) {
        let buf = self.alt as usize;
        match b {
            b'7' => self.saved[buf] = true,
            b'8' => self.saved[buf] = false,
            b'c' => {
                // A hard reset: the whole screen scrolls again and the cursor is home, so
                // the region is set again at once (it homes the cursor too).
                self.alt = false;
                self.saved = [false; 2];
                self.margins = None;
                self.dirty = true;
                out.extend_from_slice(format!("\x1b[1;{}r", self.rows).as_bytes());
            }
            _ => {}
        }
    }

    /// A CSI sequence starting at `seq` in `out` ended; rewrite it there if it must.
    fn on_csi(&mut self, seq: usize, out: &mut Vec<u8>) {
        let body = &out[seq + 2..];
        let (fin, body) = body.split_last().expect("a final byte");
        let fin = *fin;
        let private = body.first().copied().filter(|c| (b'<'..=b'?').contains(c));
        let inter = body.iter().any(|c| (0x20..=0x2f).contains(c));
        let params = match private {
            Some(_) => &body[1..],
            None => body,
        };
        let buf = self.alt as usize;
        let rewrite = match (private, inter, fin) {
            (None, false, b'r') => self.on_margins(params),
            (None, false, b'H' | b'f' | b'd') => self.clamp_row(params, fin),
            (None, false, b'J') => {
                if !matches!(params, b"1") {
                    self.dirty = true;
                }
                None
            }
            (None, false, b's') if params.is_empty() => {
                self.saved[buf] = true;
                None
            }
            (None, false, b'u') if params.is_empty() => {
                self.saved[buf] = false;
                None
            }
            (None, true, b'p') if body == b"!" => {
                // DECSTR: margins reset and the saved cursor forgotten; the region is
                // set again at once, around the cursor.
                self.margins = None;
                self.saved = [false; 2];
                self.dirty = true;
                Some(format!("\x1b[!p\x1b7\x1b[1;{}r\x1b8", self.rows))
            }
            (Some(b'?'), false, b'h' | b'l') => {
                self.on_private_mode(params, fin == b'h');
                None
            }
            _ => None,
        };
        if let Some(new) = rewrite {
            out.truncate(seq);
            out.extend_from_slice(new.as_bytes());
        }
    }

    /// DECSTBM: follow the child's region; rewrite one that ends beyond the session.
    fn on_margins(&mut self, params: &[u8]) -> Option<String> {
        let mut ps = numbers(params);
        let top = ps.next().flatten().filter(|t| *t > 0).unwrap_or(1);
        let asked = ps.next().flatten().filter(|b| *b > 0);
        let bottom = asked.map_or(self.rows, |b| b.min(self.rows));
        if top < bottom {
            self.margins = if (top, bottom) == (1, self.rows) {
                None
            } else {
                Some((top, bottom))
            };
        }
        (asked != Some(bottom)).then(|| format!("\x1b[{top};{bottom}r"))
    }

    /// CUP, HVP, VPA: a row beyond the session's last is clamped to it.
    fn clamp_row(&self, params: &[u8], fin: u8) -> Option<String> {
        let mut ps = numbers(params);
        let row = ps.next().flatten()?;
        if row <= self.rows {
            return None;
        }
        let rest: Vec<u8> = params.iter().skip_while(|c| **c != b';').copied().collect();
        Some(format!(
            "\x1b[{}{}{}",
            self.rows,
            String::from_utf8_lossy(&rest),
            fin as char
        ))
    }

    /// DEC private modes: an alternate screen switch (47, 1047, 1049).
    fn on_private_mode(&mut self, params: &[u8], set: bool) {
        for p in params.split(|c| *c == b';') {
            if !matches!(p, b"47" | b"1047" | b"1049") {
                continue;
            }
            if p == b"1049" {
                // 1049 saves (set) and restores (reset) the main buffer's cursor itself.
                self.saved[0] = false;
            }
            self.alt = set;
            self.dirty = true;
        }
    }
}

/// The numbers of a parameter string; None for an empty one (the default).
fn numbers(params: &[u8]) -> impl Iterator<Item = Option<u16>> + '_ {
    params.split(|c| *c == b';').map(|p| {
        (!p.is_empty() && p.iter().all(u8::is_ascii_digit)).then(|| {
            p.iter().fold(0u16, |n, d| {
                n.saturating_mul(10).saturating_add(u16::from(d - b'0'))
            })
        })
    })
}

/// Whether `bytes` end inside a UTF-8 character.
fn utf8_cut(bytes: &[u8]) -> bool {
    for (back, &b) in bytes.iter().rev().take(3).enumerate() {
        if b & 0xc0 == 0x80 {
            continue;
        }
        let len = match b {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return false,
        };
        return back + 1 < len;
    }
    false
}

#[cfg(test)]
#[path = "statusrow_tests.rs"]
mod tests;
