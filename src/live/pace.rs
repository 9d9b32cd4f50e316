//! Pacing watchers: what a watcher is sent when the session's output outruns what anyone
//! can watch. Up to [`WATCH_RATE`] (with bursts of [`WATCH_BURST`]) a watcher is sent every
//! byte. Above it the watcher skips, and every [`FRAME_EVERY`] it is sent one catch-up frame
//! that leaves its terminal showing the screen the owner's terminal shows, without the
//! lines that scrolled past in between. The log still holds every byte.
//!
//! A catch-up frame is exact, not a likeness. The [`Tracker`] follows the output with a
//! small escape-sequence parser and knows since when it has been "plain": printable text,
//! CR, LF, TAB, BS, BEL and colour changes (SGR), with the scroll region the whole screen.
//! If a watcher skipped only plain output, then from any CR LF that is followed by a full
//! screen of lines, the screen is made of what comes after it alone: the frame is `rows`
//! CR LFs (which scroll the watcher's screen as far as the skipped lines scrolled the real
//! one), the colour changes the skipped part made, then the output from that CR LF on.
//! When the newest output is still in the tail, the frame is simply those bytes. When
//! neither holds (full-screen programs, scroll regions, binary data), the watcher is
//! resynced with an emulator snapshot instead (see `screen.rs`).
//!
//! Pure logic on bytes: the hub owns one [`Tracker`] and a [`Pace`] per watcher.

use std::time::{Duration, Instant};

/// Output bytes per second a watcher is sent as they are. A person reads a few hundred
/// bytes a second; a full redraw of a 300x100 terminal in colour is about 100 KiB.
pub const WATCH_RATE: u64 = 1024 * 1024;
/// How much a watcher may be sent at once before pacing starts (a long `ls -l`, a redraw).
pub const WATCH_BURST: u64 = 256 * 1024;
/// How often a skipping watcher gets a catch-up frame: 20 screens a second.
pub const FRAME_EVERY: Duration = Duration::from_millis(50);
/// The newest output kept for catch-up frames: a screenful of the longest lines a terminal
/// shows (500 columns x 200 rows is 100 KB) fits with room to spare.
pub const TAIL: usize = 256 * 1024;
/// The tail buffer is cut back to [`TAIL`] when it reaches this: a larger buffer moves
/// fewer bytes (one move of TAIL bytes per TRIM_AT - TAIL bytes of output).
const TRIM_AT: usize = 4 * TAIL;
/// Colour changes kept from before the tail (since the last reset); more means a resync.
const MAX_CARRY: usize = 4 * 1024;
/// Longest CSI parameter string followed (an SGR with 24-bit colours is ~40 bytes).
const MAX_PARAMS: usize = 64;

/// Where the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Ground,
    Esc,
    EscInter,
    Csi,
    Str,
    StrEsc,
}

/// A point in the output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub offset: u64,
    pub lfs: u64,
    /// The parser was between sequences here.
    pub ground: bool,
}

/// What a skipping watcher needs now.
#[derive(Debug, PartialEq, Eq)]
pub enum CatchUp {
    /// It has everything.
    Caught,
    /// Send these bytes; the watcher is then at `to`.
    Frame { bytes: Vec<u8>, to: Mark },
    /// No exact frame exists: resync it with a snapshot.
    Lost,
}

/// Follows the output: counts, the newest bytes, and since when it has been plain.
#[derive(Debug)]
pub struct Tracker {
    offset: u64,
    lfs: u64,
    tail: Vec<u8>,
    tail_start: u64,
    /// Everything from here on is plain.
    clean_from: u64,
    /// DECSTBM last set the whole screen and left/right margins are off.
    margins_full: bool,
    lr_margins: bool,
    st: St,
    seq_start: u64,
    params: Vec<u8>,
    /// The open CSI can still be a plain SGR.
    csi_sgr: bool,
    after_c2: bool,
    /// SGR sequences in the tail: offset and length.
    sgr: std::collections::VecDeque<(u64, u8)>,
    /// SGR sequences from before the tail, since the last reset before it.
    carry: Vec<(u64, Vec<u8>)>,
    /// Colour changes at or before this offset were dropped from the carry.
    carry_lost: Option<u64>,
    /// Watchers are attached: keep the tail, count lines, note colours. Without them
    /// only escape sequences are parsed (for the margins), at memchr speed.
    watching: bool,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            offset: 0,
            lfs: 0,
            tail: Vec::new(),
            tail_start: 0,
            clean_from: 0,
            margins_full: true,
            lr_margins: false,
            st: St::Ground,
            seq_start: 0,
            params: Vec::new(),
            csi_sgr: false,
            after_c2: false,
            sgr: Default::default(),
            carry: Vec::new(),
            carry_lost: None,
            watching: false,
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the 8 bytes below 0x20 or equal to 0xC2 (the lead byte of C1
/// controls): non-zero exactly when there is one, the lowest bit set marking the first.
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

/// An SGR whose first parameter is 0 (or absent) resets every attribute.
fn is_reset(params: &[u8]) -> bool {
    params
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .all(|&b| b == b'0')
}

impl Tracker {
    /// A tracker from the first byte of the session, following sequences only.
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Start or stop following everything (when the first watcher joins, the last leaves).
    pub fn set_watching(&mut self, on: bool) {
        if on == self.watching {
            return;
        }
        self.watching = on;
        self.tail = if on {
            Vec::with_capacity(TRIM_AT + 64 * 1024)
        } else {
            Vec::new()
        };
        self.tail_start = self.offset;
        self.dirty_keep_state(self.offset);
    }

    /// The terminal was resized: lines skipped before this do not count after it.
    pub fn resized(&mut self) {
        self.dirty_keep_state(self.offset);
    }

    /// The stream as it is now.
    pub fn mark(&self) -> Mark {
        Mark {
            offset: self.offset,
            lfs: self.lfs,
            ground: self.st == St::Ground && !self.after_c2,
        }
    }

    /// Follow one chunk of output.
    pub fn push(&mut self, chunk: &[u8]) {
        if !self.watching {
            return self.follow_sequences(chunk);
        }
        let base = self.offset;
        self.tail.extend_from_slice(chunk);
        self.lfs += memchr::memchr_iter(b'\n', chunk).count() as u64;
        let mut i = 0;
        while i < chunk.len() {
            if self.st == St::Ground && !self.after_c2 {
                // Text and the controls of plain output: eight bytes at a time, straight
                // to the first that needs a look, without leaving the loop for CR and LF.
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
                        Some(&b) if (b >= 0x20 && b != 0xc2) || plain_control(b) => i += 1,
                        _ => break,
                    }
                }
                if i >= chunk.len() {
                    break;
                }
            }
            self.step(chunk[i], base + i as u64);
            i += 1;
        }
        self.offset += chunk.len() as u64;
        if self.tail.len() > TRIM_AT {
            self.trim();
        }
    }

    /// Without watchers: only what can start a sequence (ESC, and 0xC2 for C1 controls)
    /// is looked at in the ground state.
    fn follow_sequences(&mut self, chunk: &[u8]) {
        let base = self.offset;
        let mut i = 0;
        while i < chunk.len() {
            if self.st == St::Ground && !self.after_c2 {
                match memchr::memchr2(0x1b, 0xc2, &chunk[i..]) {
                    Some(n) => i += n,
                    None => break,
                }
            }
            self.step(chunk[i], base + i as u64);
            i += 1;
        }
        self.offset += chunk.len() as u64;
    }

    /// A sequence that is not plain ended at `end`: everything from there on is plain again.
    fn dirty(&mut self, end: u64) {
        self.dirty_keep_state(end);
        self.st = St::Ground;
    }

    /// Forget the colour changes before `end`, from which the output counts as plain.
    fn dirty_keep_state(&mut self, end: u64) {
        self.clean_from = end;
        self.sgr.clear();
        self.carry.clear();
        self.carry_lost = None;
    }

    fn step(&mut self, b: u8, pos: u64) {
        match self.st {
            St::Ground => {
                if self.after_c2 {
                    self.after_c2 = false;
                    if (0x80..=0x9f).contains(&b) {
                        return self.dirty(pos + 1);
                    }
                }
                match b {
                    0x1b => {
                        self.st = St::Esc;
                        self.seq_start = pos;
                        self.csi_sgr = true;
                    }
                    0xc2 => self.after_c2 = true,
                    _ if b < 0x20 && !plain_control(b) => self.dirty(pos + 1),
                    _ => {}
                }
            }
            St::Esc => match b {
                // Stays a candidate SGR unless a control came between ESC and `[`.
                b'[' => {
                    self.st = St::Csi;
                    self.params.clear();
                }
                b']' | b'P' | b'X' | b'^' | b'_' => self.st = St::Str,
                0x20..=0x2f => self.st = St::EscInter,
                0x1b => {
                    self.seq_start = pos;
                    self.csi_sgr = true;
                }
                b'c' => {
                    self.margins_full = true;
                    self.lr_margins = false;
                    self.dirty(pos + 1);
                }
                0x18 | 0x1a => self.dirty(pos + 1),
                0x00..=0x1f => self.csi_sgr = false,
                _ => self.dirty(pos + 1),
            },
            St::EscInter => match b {
                0x20..=0x2f | 0x00..=0x1a | 0x1c..=0x1f => {}
                0x1b => {
                    self.dirty(pos);
                    self.st = St::Esc;
                    self.seq_start = pos;
                    self.csi_sgr = true;
                }
                _ => self.dirty(pos + 1),
            },
            St::Csi => self.csi(b, pos),
            St::Str => match b {
                0x07 | 0x18 | 0x1a => self.dirty(pos + 1),
                0x1b => self.st = St::StrEsc,
                _ => {}
            },
            St::StrEsc => {
                self.dirty(pos + 1);
                if b != b'\\' {
                    // The ESC ended the string and starts a sequence of its own.
                    self.clean_from = pos - 1;
                    self.st = St::Esc;
                    self.seq_start = pos - 1;
                    self.csi_sgr = true;
                    self.step(b, pos);
                }
            }
        }
    }

    fn csi(&mut self, b: u8, pos: u64) {
        match b {
            0x30..=0x3f => {
                if self.params.len() < MAX_PARAMS {
                    self.params.push(b);
                } else {
                    self.csi_sgr = false;
                }
                if !matches!(b, b'0'..=b'9' | b';' | b':') {
                    self.csi_sgr = false;
                }
            }
            0x20..=0x2f => self.csi_sgr = false,
            // A colour change: noted while watched if all of it is in the tail.
            b'm' if self.csi_sgr => {
                self.st = St::Ground;
                if self.watching && self.seq_start < self.tail_start {
                    self.dirty(pos + 1);
                } else if self.watching {
                    let len = (pos + 1 - self.seq_start) as u8;
                    self.sgr.push_back((self.seq_start, len));
                }
            }
            0x40..=0x7e => {
                if b == b'r' && self.csi_sgr {
                    self.margins_full = self.params.is_empty();
                }
                if (b == b'h' || b == b'l') && self.params.starts_with(b"?") {
                    let modes = self.params[1..].split(|&c| c == b';');
                    if modes.into_iter().any(|m| m == b"69") {
                        self.lr_margins = b == b'h';
                    }
                }
                self.dirty(pos + 1);
            }
            0x1b => {
                self.dirty(pos);
                self.st = St::Esc;
                self.seq_start = pos;
                self.csi_sgr = true;
            }
            0x18 | 0x1a => self.dirty(pos + 1),
            // Other controls are carried out in the middle of the sequence.
            _ => self.csi_sgr = false,
        }
    }

    /// Drop all but the newest [`TAIL`] bytes; colour changes leaving the tail go to the carry.
    fn trim(&mut self) {
        let new_start = self.offset - TAIL as u64;
        while let Some(&(off, len)) = self.sgr.front() {
            if off >= new_start {
                break;
            }
            self.sgr.pop_front();
            let at = (off - self.tail_start) as usize;
            let seq = self.tail[at..at + len as usize].to_vec();
            if is_reset(&seq[2..seq.len() - 1]) {
                self.carry.clear();
            }
            self.carry.push((off, seq));
            if self.carry.iter().map(|(_, s)| s.len()).sum::<usize>() > MAX_CARRY {
                self.carry_lost = Some(off);
                self.carry.clear();
            }
        }
        self.tail.drain(..(new_start - self.tail_start) as usize);
        self.tail_start = new_start;
    }

    /// The newest point between sequences (None if the open sequence began before the tail).
    fn ground(&self) -> Option<Mark> {
        if self.st == St::Ground {
            return Some(self.mark());
        }
        let open = self
            .tail
            .get(self.seq_start.checked_sub(self.tail_start)? as usize..)?;
        Some(Mark {
            offset: self.seq_start,
            lfs: self.lfs - memchr::memchr_iter(b'\n', open).count() as u64,
            ground: true,
        })
    }

    fn bytes(&self, from: u64, to: u64) -> &[u8] {
        &self.tail[(from - self.tail_start) as usize..(to - self.tail_start) as usize]
    }

    /// What brings a watcher that has all output before `from` up to date on a screen of
    /// `rows` rows: the newest bytes if they are all in the tail, else (or if shorter) a
    /// fast-forward frame, else nothing exact exists.
    pub fn catch_up(&self, from: Mark, rows: u16) -> CatchUp {
        if from.offset >= self.offset {
            return CatchUp::Caught;
        }
        let raw = (from.offset >= self.tail_start).then(|| CatchUp::Frame {
            bytes: self.bytes(from.offset, self.offset).to_vec(),
            to: self.mark(),
        });
        let ff = self.fast_forward(from, rows);
        match (raw, ff) {
            (Some(CatchUp::Frame { bytes: r, to: rt }), Some((f, ft))) => {
                if f.len() < r.len() {
                    CatchUp::Frame { bytes: f, to: ft }
                } else {
                    CatchUp::Frame { bytes: r, to: rt }
                }
            }
            (Some(raw), None) => raw,
            (None, Some((bytes, to))) => CatchUp::Frame { bytes, to },
            _ => CatchUp::Lost,
        }
    }

    /// The fast-forward frame to the newest point between sequences, if one is exact.
    fn fast_forward(&self, from: Mark, rows: u16) -> Option<(Vec<u8>, Mark)> {
        let lost = self.carry_lost.is_some_and(|l| from.offset <= l);
        if !from.ground || from.offset < self.clean_from || lost {
            return None;
        }
        if !self.margins_full || self.lr_margins {
            return None;
        }
        let end = self.ground()?;
        let rows = u64::from(rows.max(1));
        let window = self.bytes(self.tail_start.max(from.offset), end.offset);
        let base = end.offset - window.len() as u64;
        // From the newest line back: the latest CR LF with a full screen of lines after it.
        let mut after = 0u64;
        let mut p = None;
        for i in memchr::memrchr_iter(b'\n', window) {
            if after >= rows && i > 0 && window[i - 1] == b'\r' {
                p = Some(base + i as u64 + 1);
                break;
            }
            after += 1;
        }
        let p = p?;
        // The skipped part must itself scroll a full screen, so the cursor is on the
        // bottom row at `p` for the owner as it will be for the watcher.
        if end.lfs.saturating_sub(after + from.lfs) < rows {
            return None;
        }
        let mut out = b"\r\n".repeat(rows as usize);
        let colours = self
            .carry
            .iter()
            .filter(|(off, _)| *off >= from.offset)
            .map(|(_, s)| s.as_slice())
            .chain(
                self.sgr
                    .iter()
                    .filter(|(off, _)| *off >= from.offset && *off < p)
                    .map(|&(off, len)| self.bytes(off, off + u64::from(len))),
            );
        let mut kept: Vec<&[u8]> = Vec::new();
        for s in colours {
            if is_reset(&s[2..s.len() - 1]) {
                kept.clear();
            }
            kept.push(s);
        }
        for s in kept {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(self.bytes(p, end.offset));
        Some((out, end))
    }
}

/// One watcher's allowance, and where it is while it skips.
#[derive(Debug, Clone)]
pub struct Pace {
    credit: u64,
    at: Instant,
    skip: Option<(Mark, Instant)>,
}

impl Pace {
    pub fn new(now: Instant) -> Pace {
        Pace {
            credit: WATCH_BURST,
            at: now,
            skip: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let earned =
            now.saturating_duration_since(self.at).as_micros() as u64 * WATCH_RATE / 1_000_000;
        self.credit = (self.credit + earned).min(WATCH_BURST);
        self.at = now;
    }

    /// Whether a chunk of `n` bytes may go to the watcher as it is; if not, the watcher
    /// skips from `mark` (the stream before the chunk) until a catch-up frame.
    pub fn admit(&mut self, n: usize, mark: Mark, now: Instant) -> bool {
        if self.skip.is_some() {
            return false;
        }
        self.refill(now);
        if self.credit >= n as u64 {
            self.credit -= n as u64;
            return true;
        }
        self.skip = Some((mark, now));
        false
    }

    /// Where a skipping watcher is, if its next frame is due (or `now_anyway`).
    pub fn due(&self, now: Instant, now_anyway: bool) -> Option<Mark> {
        let (mark, framed) = self.skip?;
        (now_anyway || now >= framed + FRAME_EVERY).then_some(mark)
    }

    /// When the next frame is due, if the watcher skips.
    pub fn next_frame(&self) -> Option<Instant> {
        self.skip.map(|(_, framed)| framed + FRAME_EVERY)
    }

    /// A frame of `n` bytes took the watcher to `to`; `caught` if that is the newest output.
    pub fn sent(&mut self, n: usize, to: Mark, caught: bool, now: Instant) {
        self.refill(now);
        self.credit = self.credit.saturating_sub(n as u64);
        self.skip = (!caught).then_some((to, now));
    }

    /// The watcher is in step again (caught up, or resynced by a snapshot).
    pub fn reset(&mut self) {
        self.skip = None;
    }
}

#[cfg(test)]
#[path = "pace_tests.rs"]
mod tests;
