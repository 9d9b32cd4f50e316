//! Which session output is "plain": a small escape-sequence parser that reports what a
//! catch-up frame (see `pace.rs`) must know about, and nothing else. Plain output is
//! printable text, CR, LF, TAB, BS, BEL and colour changes (SGR); every other control or
//! sequence is reported as the end of a stretch of output that is not plain, and the
//! scroll-region and left/right-margin settings are followed. C1 controls (U+0080..U+009F
//! in UTF-8) act as their ESC forms do, in any state, as a terminal decoding UTF-8 does.
//!
//! Pure logic on bytes, fed in pieces of any size: its state carries over between them.

/// Longest CSI parameter string followed (an SGR with two 24-bit colours is ~40 bytes).
const MAX_PARAMS: usize = 64;

/// What the scanner saw, with stream offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Output that is not plain ended at this offset.
    NotPlain(u64),
    /// A colour change (a whole `ESC [ ... m`) at `start`, `len` bytes long.
    Colour { start: u64, len: u8 },
    /// The scroll region was set: to the whole screen, or not.
    Margins { full: bool },
    /// Left/right margins (DECLRMM) turned on or off.
    LeftRight { on: bool },
    /// A full reset (RIS): margins are the whole screen again.
    Reset,
}

/// How the ground state is skimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skim {
    /// Look at every control character (to find the end of plain output).
    Controls,
    /// Look only at what starts a sequence: ESC, and 0xC2 for C1 controls.
    Sequences,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Ground,
    Esc,
    EscInter,
    Csi,
    Str,
    StrEsc,
}

/// The parser's state between pieces.
#[derive(Debug)]
pub struct Scanner {
    st: St,
    /// Where the open sequence began.
    seq_start: u64,
    params: Vec<u8>,
    /// The open sequence can still be a colour change.
    sgr: bool,
    /// The open CSI has no private marker and no intermediate byte (so far): what its
    /// final byte means is the plain one (`r` sets the scroll region). Controls carried
    /// out inside it do not change that.
    plain_csi: bool,
    /// The open CSI's parameters were longer than [`MAX_PARAMS`]: `params` holds a part.
    overflow: bool,
    /// The open string is an OSC, which BEL ends too (DCS, SOS, PM and APC end only at ST).
    osc: bool,
    /// The last byte was 0xC2: the next may make a C1 control.
    after_c2: bool,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            st: St::Ground,
            seq_start: 0,
            params: Vec::new(),
            sgr: false,
            plain_csi: false,
            overflow: false,
            osc: false,
            after_c2: false,
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the 8 bytes below 0x20 or equal to 0xC2: non-zero exactly when
/// there is one, the lowest bit set marking the first (bits above it may be spurious).
fn look_mask(x: u64) -> u64 {
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    let v = x ^ (ONES * 0xC2);
    let c2 = v.wrapping_sub(ONES) & !v & HIGHS;
    below_space | c2
}

/// Controls that plain output may hold: they move the cursor within lines or down.
fn plain_control(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | b'\t' | 0x08 | 0x07)
}

/// Whether a byte needs no look in the ground state.
fn plain_byte(b: u8) -> bool {
    (b >= 0x20 && b != 0xc2) || plain_control(b)
}

/// An SGR whose first parameter is 0 (or absent) resets every attribute. One with
/// sub-parameters (`:`) anywhere is not taken for a reset: terminals read those in
/// different ways, and replaying a colour change too many is harmless.
pub fn is_reset(sgr: &[u8]) -> bool {
    let params = sgr.get(2..sgr.len().saturating_sub(1)).unwrap_or_default();
    !params.contains(&b':')
        && params
            .iter()
            .take_while(|&&b| b != b';')
            .all(|&b| b == b'0')
}

impl Scanner {
    /// Between sequences (and not after a lone 0xC2).
    pub fn in_ground(&self) -> bool {
        self.st == St::Ground && !self.after_c2
    }

    /// Where the open sequence began, if one is open.
    pub fn open_since(&self) -> Option<u64> {
        (self.st != St::Ground).then_some(self.seq_start)
    }

    /// Scan `chunk`, which starts at stream offset `base`.
    pub fn scan(&mut self, chunk: &[u8], base: u64, skim: Skim, seen: &mut impl FnMut(Seen)) {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_ground() {
                i = match skim {
                    Skim::Controls => {
                        i = skip_plain(chunk, i);
                        // Controls that are not plain, up to the next sequence, make one
                        // stretch that is not plain, ending after the last of them.
                        if chunk.get(i).is_some_and(|&b| b != 0x1b && b != 0xc2) {
                            let next = memchr::memchr2(0x1b, 0xc2, &chunk[i..])
                                .map_or(chunk.len(), |n| i + n);
                            let last = chunk[i..next].iter().rposition(|&c| !plain_byte(c));
                            self.not_plain(base + (i + last.unwrap_or(0)) as u64 + 1, seen);
                            i = next;
                            continue;
                        }
                        i
                    }
                    Skim::Sequences => {
                        memchr::memchr2(0x1b, 0xc2, &chunk[i..]).map_or(chunk.len(), |n| i + n)
                    }
                };
                if i >= chunk.len() {
                    break;
                }
            }
            self.step(chunk[i], base + i as u64, seen);
            i += 1;
        }
    }

    /// A sequence that is not plain ended at `end`.
    fn not_plain(&mut self, end: u64, seen: &mut impl FnMut(Seen)) {
        self.st = St::Ground;
        seen(Seen::NotPlain(end));
    }

    fn open(&mut self, pos: u64) {
        self.st = St::Esc;
        self.seq_start = pos;
        self.sgr = true;
    }

    fn step(&mut self, b: u8, pos: u64, seen: &mut impl FnMut(Seen)) {
        // A C1 control (U+0080..U+009F, 0xC2 and one byte in UTF-8) acts in every state.
        if std::mem::take(&mut self.after_c2) && (0x80..=0x9f).contains(&b) {
            return self.c1(b, pos - 1, seen);
        }
        if b == 0xc2 {
            // In a sequence it is also a byte the sequence cannot hold.
            self.after_c2 = true;
            if self.st == St::Ground {
                return;
            }
        }
        match self.st {
            St::Ground => match b {
                0x1b => self.open(pos),
                _ if !plain_byte(b) => self.not_plain(pos + 1, seen),
                _ => {}
            },
            St::Esc => match b {
                // Stays a candidate colour change unless a control came before the `[`.
                b'[' => {
                    self.st = St::Csi;
                    self.params.clear();
                    self.plain_csi = true;
                    self.overflow = false;
                }
                b']' | b'P' | b'X' | b'^' | b'_' => {
                    self.st = St::Str;
                    self.osc = b == b']';
                }
                0x20..=0x2f => self.st = St::EscInter,
                0x1b => self.open(pos),
                b'c' => {
                    seen(Seen::Reset);
                    self.not_plain(pos + 1, seen);
                }
                0x18 | 0x1a => self.not_plain(pos + 1, seen),
                0x00..=0x1f => self.control_inside(pos, seen),
                // DEL is ignored in a sequence, as a terminal does (it does not end it).
                0x7f => self.sgr = false,
                _ => self.not_plain(pos + 1, seen),
            },
            St::EscInter => match b {
                0x1b => {
                    self.not_plain(pos, seen);
                    self.open(pos);
                }
                0x00..=0x1f => self.control_inside(pos, seen),
                0x20..=0x2f | 0x7f => {}
                _ => self.not_plain(pos + 1, seen),
            },
            St::Csi => self.csi(b, pos, seen),
            St::Str => match b {
                0x07 if self.osc => self.not_plain(pos + 1, seen),
                0x18 | 0x1a => self.not_plain(pos + 1, seen),
                0x1b => self.st = St::StrEsc,
                _ => {}
            },
            St::StrEsc => {
                if b == b'\\' {
                    self.not_plain(pos + 1, seen);
                } else {
                    // The ESC ended the string and starts a sequence of its own.
                    self.not_plain(pos - 1, seen);
                    self.open(pos - 1);
                    self.step(b, pos, seen);
                }
            }
        }
    }

    /// The C1 control `b`, whose 0xC2 was at `start`: it cuts off any open sequence, as
    /// ESC does. CSI, DCS, SOS, OSC, PM and APC start a sequence like their ESC forms (a
    /// C1 CSI is never taken for a colour change); ST and the rest are done at once.
    fn c1(&mut self, b: u8, start: u64, seen: &mut impl FnMut(Seen)) {
        if !matches!(b, 0x90 | 0x98 | 0x9b | 0x9d | 0x9e | 0x9f) {
            return self.not_plain(start + 2, seen);
        }
        if self.st != St::Ground {
            self.not_plain(start, seen);
        }
        self.seq_start = start;
        match b {
            0x9b => {
                self.st = St::Csi;
                self.params.clear();
                self.sgr = false;
                self.plain_csi = true;
                self.overflow = false;
            }
            _ => {
                self.st = St::Str;
                self.osc = b == 0x9d;
            }
        }
    }

    fn csi(&mut self, b: u8, pos: u64, seen: &mut impl FnMut(Seen)) {
        match b {
            0x30..=0x3f => {
                if self.params.len() < MAX_PARAMS {
                    self.params.push(b);
                } else {
                    self.sgr = false;
                    self.overflow = true;
                }
                if !matches!(b, b'0'..=b'9' | b';' | b':') {
                    self.sgr = false;
                    self.plain_csi = false;
                }
            }
            0x20..=0x2f => {
                self.sgr = false;
                self.plain_csi = false;
            }
            b'm' if self.sgr => {
                self.st = St::Ground;
                let len = (pos + 1 - self.seq_start) as u8; // at most 3 + MAX_PARAMS
                seen(Seen::Colour {
                    start: self.seq_start,
                    len,
                });
            }
            0x40..=0x7e => {
                // Where a part of the parameters is unknown, assume the worst: margins
                // that are not the whole screen, left/right margins turned on.
                if b == b'r' && self.plain_csi {
                    seen(Seen::Margins {
                        full: self.params.is_empty() && !self.overflow,
                    });
                }
                if matches!(b, b'h' | b'l') && self.params.first() == Some(&b'?') {
                    let mut modes = self.params[1..].split(|&c| c == b';');
                    if modes.any(|m| m == b"69") {
                        seen(Seen::LeftRight { on: b == b'h' });
                    } else if self.overflow && b == b'h' {
                        seen(Seen::LeftRight { on: true });
                    }
                }
                self.not_plain(pos + 1, seen);
            }
            0x1b => {
                self.not_plain(pos, seen);
                self.open(pos);
            }
            0x18 | 0x1a => self.not_plain(pos + 1, seen),
            0x00..=0x1f => self.control_inside(pos, seen),
            _ => self.sgr = false,
        }
    }

    /// A control in the middle of an escape sequence: the terminal carries it out there
    /// and the sequence goes on. Whatever it did (a line feed, a shift to G1 with SO) the
    /// output up to it is not plain, even when the sequence is later cut off by an ESC.
    fn control_inside(&mut self, pos: u64, seen: &mut impl FnMut(Seen)) {
        self.sgr = false;
        seen(Seen::NotPlain(pos + 1));
    }
}

/// From `i`, the first byte of `chunk` that is not plain text or a plain control: eight
/// bytes at a time, straight to the first that needs a look.
fn skip_plain(chunk: &[u8], mut i: usize) -> usize {
    loop {
        if let Some(w) = chunk.get(i..i + 8) {
            let mask = look_mask(u64::from_le_bytes(w.try_into().expect("8 bytes")));
            if mask == 0 {
                i += 8;
                continue;
            }
            i += (mask.trailing_zeros() / 8) as usize;
        }
        match chunk.get(i) {
            Some(&b) if plain_byte(b) => i += 1,
            _ => return i,
        }
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
