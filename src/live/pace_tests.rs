//! Catch-up frames checked against a terminal emulator: a watcher's terminal that got
//! the frames must equal the terminal that got every byte.

use super::*;

use std::sync::Arc;

const COLS: usize = 40;
const ROWS: u16 = 8;

fn term() -> avt::Terminal {
    avt::Terminal::new(COLS, ROWS as usize).unwrap()
}

fn feed(t: &mut avt::Terminal, b: &[u8]) {
    t.feed(String::from_utf8_lossy(b).as_ref());
}

/// The screen, colours, cursor and pen, as the emulator would recreate them.
fn state(t: &avt::Terminal) -> String {
    t.dump()
}

/// Output in reads of at most 64 KiB, as the PTY reader makes them.
fn push(t: &mut Tracker, b: &[u8]) {
    for piece in b.chunks(64 * 1024) {
        t.push(&Arc::new(piece.to_vec()));
    }
}

fn watched() -> Tracker {
    let mut t = Tracker::new();
    t.set_watching(true);
    t
}

/// Tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Output like a log dump or a build: lines of text, some long, with colours.
fn plain(rng: &mut Rng, lines: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..lines {
        match rng.below(10) {
            0 => out.extend_from_slice(b"\x1b[1;31mERROR\x1b[0m "),
            1 => out.extend_from_slice(b"\x1b[32m"),
            2 => out.extend_from_slice(b"\x1b[m"),
            3 => out.extend_from_slice(b"\x1b[38;2;10;200;30;48;5;17m"),
            4 => out.extend_from_slice(b"\tcol\x08x\x07 "),
            _ => {}
        }
        let len = if rng.below(8) == 0 { 70 } else { 25 };
        for i in 0..len {
            out.push(b'a' + ((n + i) % 26) as u8);
        }
        out.extend_from_slice("é\r\n".as_bytes());
    }
    out
}

/// Feeds `stream` in `chunk`-sized pieces to the real terminal and the tracker; the
/// watcher gets the first `verbatim` bytes, then one catch-up at the end.
fn skip_and_catch_up(stream: &[u8], chunk: usize, verbatim: usize) -> (String, String, bool) {
    let (mut real, mut watcher) = (term(), term());
    let mut t = watched();
    let mut from = None;
    for piece in stream.chunks(chunk) {
        feed(&mut real, piece);
        if t.mark().offset < verbatim as u64 {
            feed(&mut watcher, piece);
        } else if from.is_none() {
            from = Some(t.mark());
        }
        t.push(&Arc::new(piece.to_vec()));
    }
    let from = from.unwrap_or(t.mark());
    match t.catch_up(from, ROWS) {
        CatchUp::Caught => {}
        CatchUp::Frame { bytes, to } => {
            assert_eq!(
                to.offset,
                stream.len() as u64,
                "a frame at the end goes to the end"
            );
            feed(&mut watcher, &bytes)
        }
        CatchUp::Lost => return (state(&real), state(&watcher), false),
    }
    (state(&real), state(&watcher), true)
}

#[test]
fn plain_text_fast_forwards_exactly() {
    let stream = plain(&mut Rng(7), 40_000);
    assert!(stream.len() > 4 * TAIL as usize);
    let (real, watcher, ok) = skip_and_catch_up(&stream, 4096, 8192);
    assert!(ok);
    assert_eq!(real, watcher);
}

#[test]
fn the_frame_is_a_screenful_not_the_skipped_bytes() {
    let stream = plain(&mut Rng(8), 40_000);
    let mut t = watched();
    let from = t.mark();
    push(&mut t, &stream);
    let CatchUp::Frame { bytes, .. } = t.catch_up(from, ROWS) else {
        panic!("no frame")
    };
    assert!(bytes.len() < 4096, "frame of {} bytes", bytes.len());
}

#[test]
fn small_skips_are_sent_as_they_were() {
    let stream = b"one\r\n\x1b[2J\x1b[Htwo".to_vec();
    let mut t = watched();
    push(&mut t, b"zero\r\n");
    let from = t.mark();
    push(&mut t, &stream);
    assert_eq!(
        t.catch_up(from, ROWS),
        CatchUp::Frame {
            bytes: stream,
            to: t.mark()
        }
    );
    assert_eq!(t.catch_up(t.mark(), ROWS), CatchUp::Caught);
}

#[test]
fn random_plain_streams_in_random_chunks() {
    let mut exact = 0;
    for seed in 1..40 {
        let mut rng = Rng(seed);
        let lines = 200 + rng.below(30_000) as usize;
        let stream = plain(&mut rng, lines);
        let chunk = 1 + rng.below(70_000) as usize;
        let verbatim = rng.below(stream.len() as u64) as usize;
        let (real, watcher, ok) = skip_and_catch_up(&stream, chunk, verbatim);
        if ok {
            assert_eq!(
                real, watcher,
                "seed {seed}, chunk {chunk}, verbatim {verbatim}"
            );
            exact += 1;
        }
    }
    // Only a skip that starts inside an SGR sequence has no exact frame.
    assert!(exact >= 30, "{exact} of 39 caught up");
}

#[test]
fn anything_but_plain_output_in_the_skipped_part_means_a_resync() {
    for dirty in [
        &b"\x1b[5;1H"[..],     // cursor position
        b"\x1b[2;6r",          // scroll region
        b"\x1b]0;title\x07",   // title
        b"\x1b[?1049h",        // alternate screen
        b"\x1b7",              // save cursor
        b"\x0e",               // shift out
        "\u{9b}2J".as_bytes(), // C1 CSI
    ] {
        let mut rng = Rng(3);
        let mut stream = plain(&mut rng, 30_000);
        stream.extend_from_slice(dirty);
        stream.extend(plain(&mut rng, 30_000));
        let (_, _, ok) = skip_and_catch_up(&stream, 8192, 100);
        assert!(!ok, "{dirty:?} must not be skipped");
    }
}

#[test]
fn after_a_sequence_plain_output_can_be_skipped_again() {
    let mut rng = Rng(4);
    let mut stream = b"\x1b]0;title\x07\x1b[5;1H\x1b[2;6r\x1b[r".to_vec();
    let verbatim = stream.len();
    stream.extend(plain(&mut rng, 30_000));
    let (real, watcher, ok) = skip_and_catch_up(&stream, 1000, verbatim);
    assert!(ok);
    assert_eq!(real, watcher);
}

#[test]
fn a_scroll_region_left_set_stops_fast_forward() {
    let mut rng = Rng(5);
    let mut stream = b"\x1b[2;6r".to_vec();
    let verbatim = stream.len();
    stream.extend(plain(&mut rng, 30_000));
    let (_, _, ok) = skip_and_catch_up(&stream, 1000, verbatim);
    assert!(!ok);
}

#[test]
fn colours_set_long_before_the_tail_carry_over() {
    let mut stream = b"x\r\n\x1b[1m\x1b[44m".to_vec();
    stream.extend(b"plain line without colour changes\r\n".repeat(40_000));
    assert!(
        stream.len() > 4 * TAIL as usize,
        "long enough to be trimmed"
    );
    let (real, watcher, ok) = skip_and_catch_up(&stream, 4096, 2);
    assert!(ok);
    assert_eq!(real, watcher);
    assert!(
        real.contains("44"),
        "the dump keeps the background: {real:?}"
    );
}

#[test]
fn a_skip_that_starts_inside_a_sequence_is_resynced_unless_it_is_short() {
    let mut stream = b"\x1b[3".to_vec();
    let verbatim = stream.len();
    stream.extend_from_slice(b"1m");
    stream.extend(plain(&mut Rng(6), 30_000));
    let (_, _, ok) = skip_and_catch_up(&stream, 3, verbatim);
    assert!(!ok);
}

#[test]
fn a_frame_as_it_was_stops_before_an_open_sequence() {
    let mut t = watched();
    push(&mut t, b"a\r\n");
    let from = t.mark();
    push(&mut t, b"b\r\nc\x1b[3");
    let CatchUp::Frame { bytes, to } = t.catch_up(from, ROWS) else {
        panic!("no frame");
    };
    assert_eq!(
        (bytes.as_slice(), to.offset, to.ground),
        (&b"b\r\nc"[..], 7, true)
    );
    push(&mut t, b"1mred\r\n");
    let CatchUp::Frame { bytes, .. } = t.catch_up(to, ROWS) else {
        panic!("no frame");
    };
    assert_eq!(bytes, b"\x1b[31mred\r\n");
}

#[test]
fn pace_admits_a_burst_then_skips_and_frames_every_interval() {
    let t0 = Instant::now();
    let mut p = Pace::new(t0);
    let m = |offset| Mark {
        offset,
        lfs: 0,
        ground: true,
    };
    assert!(p.admit(WATCH_BURST as usize, m(0), t0));
    assert!(!p.admit(1, m(WATCH_BURST), t0));
    assert_eq!(p.due(t0, false), None);
    assert_eq!(p.due(t0, true), Some(m(WATCH_BURST)));
    assert_eq!(p.next_frame(), Some(t0 + FRAME_EVERY));
    let t1 = t0 + FRAME_EVERY;
    assert_eq!(p.due(t1, false), Some(m(WATCH_BURST)));
    p.sent(100, m(5000), true, t1);
    assert_eq!(p.next_frame(), None);
    // 50 ms earn 50 KiB at 1 MiB/s (less the 100-byte frame).
    assert!(p.admit(52_000, m(5000), t1));
    // A chunk that starts inside a sequence goes anyway: skips start between sequences.
    let inside = Mark {
        ground: false,
        ..m(57_000)
    };
    assert!(p.admit(1024, inside, t1));
    assert!(!p.admit(1024, m(58_024), t1));
}

#[test]
fn margins_set_before_anyone_watched_are_known_when_they_join() {
    let mut rng = Rng(10);
    let mut t = Tracker::new();
    push(&mut t, b"\x1b[2;");
    push(&mut t, b"6r some text\r\n");
    t.set_watching(true);
    let from = t.mark();
    push(&mut t, &plain(&mut rng, 30_000));
    assert_eq!(t.catch_up(from, ROWS), CatchUp::Lost);
    // Reset by the program: fast forward works again.
    push(&mut t, b"\x1b[r");
    let from = t.mark();
    push(&mut t, &plain(&mut rng, 30_000));
    assert!(matches!(t.catch_up(from, ROWS), CatchUp::Frame { .. }));
}

#[test]
fn a_tracker_joined_inside_a_colour_change_resyncs_until_it_ends() {
    let mut t = Tracker::new();
    push(&mut t, b"\x1b[3");
    t.set_watching(true);
    let inside = t.mark();
    assert!(!inside.ground);
    push(&mut t, b"1m");
    let after = t.mark();
    let body = plain(&mut Rng(11), 30_000);
    push(&mut t, &body);
    assert_eq!(t.catch_up(inside, ROWS), CatchUp::Lost);
    assert!(matches!(t.catch_up(after, ROWS), CatchUp::Frame { .. }));
}
