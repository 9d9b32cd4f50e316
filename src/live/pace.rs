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

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::scan::{Scanner, Seen, Skim, is_reset};
use super::tail::Tail;

/// Output bytes per second a watcher is sent as they are. A person reads a few hundred
/// bytes a second; a full redraw of a 300x100 terminal in colour is about 100 KiB.
pub const WATCH_RATE: u64 = 1024 * 1024;
/// How much a watcher may be sent at once before pacing starts (a long `ls -l`, a redraw).
pub const WATCH_BURST: u64 = 256 * 1024;
/// How often a skipping watcher gets a catch-up frame: 20 screens a second.
pub const FRAME_EVERY: Duration = Duration::from_millis(50);
/// The newest output kept for catch-up frames: a screenful of the longest lines a terminal
/// shows (500 columns x 200 rows is 100 KB) fits with room to spare.
pub const TAIL: u64 = 256 * 1024;
/// Colour changes kept from before the tail (since the last reset); more means a resync.
const MAX_CARRY: usize = 4 * 1024;

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
#[derive(Debug, Default)]
pub struct Tracker {
    offset: u64,
    lfs: u64,
    scanner: Scanner,
    tail: Tail,
    /// Everything from here on is plain.
    clean_from: u64,
    /// The scroll region is not the whole screen / left-right margins are on.
    margins_set: bool,
    lr_margins: bool,
    /// Colour changes in the tail: offset and length.
    colours: VecDeque<(u64, u8)>,
    /// Colour changes from before the tail, since the last reset before it.
    carry: Vec<(u64, Vec<u8>)>,
    /// Colour changes at or before this offset were dropped from the carry.
    carry_lost: Option<u64>,
    /// Watchers are attached: keep the tail, count lines, note colours. Without them
    /// only escape sequences are parsed (for the margins), at memchr speed.
    watching: bool,
}

impl Tracker {
    /// A tracker from the first byte of the session, following sequences only.
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Start or stop following everything (when the first watcher joins, the last leaves).
    pub fn set_watching(&mut self, on: bool) {
        if on != self.watching {
            self.watching = on;
            self.tail = Tail::at(self.offset);
            self.forget_before(self.offset);
        }
    }

    /// The terminal was resized: lines skipped before this do not count after it.
    pub fn resized(&mut self) {
        self.forget_before(self.offset);
    }

    /// Output before `end` cannot be fast-forwarded over.
    fn forget_before(&mut self, end: u64) {
        self.clean_from = end;
        self.colours.clear();
        self.carry.clear();
        self.carry_lost = None;
    }

    /// The stream as it is now.
    pub fn mark(&self) -> Mark {
        Mark {
            offset: self.offset,
            lfs: self.lfs,
            ground: self.scanner.in_ground(),
        }
    }

    /// Follow one chunk of output (shared with the watchers, not copied).
    pub fn push(&mut self, chunk: &Arc<Vec<u8>>) {
        let base = self.offset;
        self.offset += chunk.len() as u64;
        let skim = if self.watching {
            self.tail.push(chunk);
            self.lfs += memchr::memchr_iter(b'\n', chunk).count() as u64;
            Skim::Controls
        } else {
            Skim::Sequences
        };
        let mut events = std::mem::take(&mut self.scanner);
        events.scan(chunk, base, skim, &mut |seen| self.on_seen(seen));
        self.scanner = events;
        if self.watching {
            let point = self.tail.trim_point(TAIL);
            if point > self.tail.start() {
                self.trim(point);
            }
        }
    }

    fn on_seen(&mut self, seen: Seen) {
        match seen {
            Seen::NotPlain(end) => self.forget_before(end),
            Seen::Margins { full } => self.margins_set = !full,
            Seen::LeftRight { on } => self.lr_margins = on,
            Seen::Reset => (self.margins_set, self.lr_margins) = (false, false),
            Seen::Colour { start, len } if self.watching => {
                if start < self.tail.start() {
                    self.forget_before(start + u64::from(len));
                } else {
                    self.colours.push_back((start, len));
                }
            }
            Seen::Colour { .. } => {}
        }
    }

    /// Drop the tail before `point`; colour changes leaving it go to the carry.
    fn trim(&mut self, point: u64) {
        while let Some(&(off, len)) = self.colours.front() {
            if off >= point {
                break;
            }
            self.colours.pop_front();
            let mut seq = Vec::with_capacity(len.into());
            self.tail.copy(off, off + u64::from(len), &mut seq);
            if is_reset(&seq) {
                self.carry.clear();
            }
            self.carry.push((off, seq));
            if self.carry.iter().map(|(_, s)| s.len()).sum::<usize>() > MAX_CARRY {
                self.carry_lost = Some(off);
                self.carry.clear();
            }
        }
        self.tail.trim_to(point);
    }

    /// The newest point between sequences (None if the open sequence began before the tail).
    fn ground(&self) -> Option<Mark> {
        let Some(open) = self.scanner.open_since() else {
            return Some(self.mark());
        };
        if open < self.tail.start() {
            return None;
        }
        Some(Mark {
            offset: open,
            lfs: self.lfs - self.tail.count_lfs(open, self.offset),
            ground: true,
        })
    }

    /// What brings a watcher that has all output before `from` up to date on a screen of
    /// `rows` rows: a fast-forward frame, or the newest bytes as they are if they are all
    /// in the tail and fewer; else nothing exact exists.
    pub fn catch_up(&self, from: Mark, rows: u16) -> CatchUp {
        if from.offset >= self.offset {
            return CatchUp::Caught;
        }
        let ff = self.fast_forward(from, rows);
        let raw_len = self.offset - from.offset;
        if from.offset >= self.tail.start()
            && ff.as_ref().is_none_or(|(f, _)| raw_len <= f.len() as u64)
        {
            // Up to the newest point between sequences when there is one after `from`, so
            // that the next frame can fast-forward from there.
            let to = self
                .ground()
                .filter(|g| g.offset > from.offset)
                .unwrap_or_else(|| self.mark());
            let mut bytes = Vec::with_capacity((to.offset - from.offset) as usize);
            self.tail.copy(from.offset, to.offset, &mut bytes);
            return CatchUp::Frame { bytes, to };
        }
        match ff {
            Some((bytes, to)) => CatchUp::Frame { bytes, to },
            None => CatchUp::Lost,
        }
    }

    /// The fast-forward frame to the newest point between sequences, if one is exact.
    fn fast_forward(&self, from: Mark, rows: u16) -> Option<(Vec<u8>, Mark)> {
        let lost = self.carry_lost.is_some_and(|l| from.offset <= l);
        if !from.ground || from.offset < self.clean_from || lost {
            return None;
        }
        if self.margins_set || self.lr_margins {
            return None;
        }
        let end = self.ground()?;
        let rows = u64::from(rows.max(1));
        let since = self.tail.start().max(from.offset);
        // From the newest line back: the latest CR LF with a full screen of lines after it.
        let p = self
            .tail
            .lfs_back(since, end.offset)
            .enumerate()
            .find(|&(after, lf)| {
                after as u64 >= rows && lf > since && self.tail.byte(lf - 1) == Some(b'\r')
            });
        let (after, lf) = p?;
        let p = lf + 1;
        // The skipped part must itself scroll a full screen, so the cursor is on the
        // bottom row at `p` for the owner as it will be for the watcher.
        if end.lfs.saturating_sub(after as u64 + from.lfs) < rows {
            return None;
        }
        let mut out = b"\r\n".repeat(rows as usize);
        let mut colours: Vec<Vec<u8>> = Vec::new();
        let tail_colours = self
            .colours
            .iter()
            .filter(|(off, _)| *off >= from.offset && *off < p)
            .map(|&(off, len)| {
                let mut s = Vec::with_capacity(len.into());
                self.tail.copy(off, off + u64::from(len), &mut s);
                s
            });
        let carried = self.carry.iter().filter(|(off, _)| *off >= from.offset);
        for s in carried.map(|(_, s)| s.clone()).chain(tail_colours) {
            if is_reset(&s) {
                colours.clear();
            }
            colours.push(s);
        }
        colours.iter().for_each(|s| out.extend_from_slice(s));
        self.tail.copy(p, end.offset, &mut out);
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
    /// skips from `mark` (the stream before the chunk) until a catch-up frame. A chunk
    /// that begins inside an escape sequence always goes (on credit): a skip must start
    /// between sequences for a fast-forward to be exact.
    pub fn admit(&mut self, n: usize, mark: Mark, now: Instant) -> bool {
        if self.skip.is_some() {
            return false;
        }
        self.refill(now);
        if self.credit >= n as u64 || !mark.ground {
            self.credit = self.credit.saturating_sub(n as u64);
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
