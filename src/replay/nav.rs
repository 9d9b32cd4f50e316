//! Where replay commands go, pure. The position is a time into the session (the clock),
//! so a seek into a pause shows the pause at that time; the screen at a time is `upto`,
//! the number of records applied (1 = the genesis only). The UI only draws the answer.

use super::index::Entry;
use crate::log::kind::Kind;

/// The time a position shows: that of its last record.
pub fn time_at(entries: &[Entry], upto: usize) -> u64 {
    upto.checked_sub(1)
        .and_then(|i| entries.get(i))
        .map_or(0, |e| e.t)
}

/// The position at time `t`: every record up to and including `t` applied.
pub fn at_time(entries: &[Entry], t: u64) -> usize {
    entries
        .partition_point(|e| e.t <= t)
        .max(1.min(entries.len()))
}

/// `,`: the screen before the last output frame shown.
pub fn step_back(entries: &[Entry], upto: usize) -> usize {
    (1..upto.min(entries.len()))
        .rev()
        .find(|&i| entries[i].kind == Kind::Output)
        .unwrap_or(1.min(entries.len()))
}

/// `.`: up to and including the next output frame.
pub fn step_forward(entries: &[Entry], upto: usize) -> usize {
    (upto..entries.len())
        .find(|&i| entries[i].kind == Kind::Output)
        .map_or(entries.len(), |i| i + 1)
}

/// Arrows and `<`/`>`: the time `secs` seconds from the clock `now`, within the session
/// (0 to the time of its last record).
pub fn seek_by(entries: &[Entry], now: u64, secs: i64) -> u64 {
    let length = entries.last().map_or(0, |e| e.t);
    let delta = secs.saturating_mul(1_000_000);
    let target = if delta < 0 {
        now.saturating_sub(delta.unsigned_abs())
    } else {
        now.saturating_add(delta as u64)
    };
    target.min(length)
}

/// `]`: the next mark at or after the position (it is shown applied).
pub fn next_mark(marks: &[usize], upto: usize) -> Option<usize> {
    marks.iter().copied().find(|&m| m >= upto)
}

/// `[`: the mark before the one the position shows.
pub fn prev_mark(marks: &[usize], upto: usize) -> Option<usize> {
    marks.iter().rev().copied().find(|&m| m + 1 < upto)
}

/// `/` then `n`: the first hit at or after the position, else the first.
pub fn first_hit_from(hits: &[usize], upto: usize) -> Option<usize> {
    hits.iter()
        .position(|&h| h + 1 >= upto)
        .or(if hits.is_empty() { None } else { Some(0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// g at 0; o at 1 s; i at 2 s; o at 3 s; m at 4 s; o at 10 s; x at 11 s.
    fn entries() -> Vec<Entry> {
        [
            (0, b'g'),
            (1, b'o'),
            (2, b'i'),
            (3, b'o'),
            (4, b'm'),
            (10, b'o'),
            (11, b'x'),
        ]
        .iter()
        .map(|&(s, kind)| Entry {
            t: s * 1_000_000,
            offset: 0,
            len: 0,
            kind: char::from(kind).to_string().parse().unwrap(),
        })
        .collect()
    }

    const S: u64 = 1_000_000;

    #[test]
    fn seek_targets() {
        let e = entries();
        assert_eq!(at_time(&e, 0), 1);
        assert_eq!(at_time(&e, 3_500_000), 4);
        assert_eq!(seek_by(&e, 3 * S, 5), 8 * S, "3 s + 5 s = 8 s");
        assert_eq!(at_time(&e, 8 * S), 5, "at 8 s the marker at 4 s is applied");
        assert_eq!(seek_by(&e, 10 * S, -5), 5 * S);
        assert_eq!(seek_by(&e, S, -30), 0, "never before the start");
        assert_eq!(seek_by(&e, S, 30), 11 * S, "never past the end");
        assert_eq!(time_at(&e, 6), 10 * S);
    }

    #[test]
    fn the_arrow_crosses_a_pause_longer_than_its_step() {
        // The first command after 19 s of nothing: five presses of 5 s reach it.
        let e: Vec<Entry> = [(0, b'g'), (19, b'o'), (30, b'x')]
            .iter()
            .map(|&(s, kind)| Entry {
                t: s * S,
                offset: 0,
                len: 0,
                kind: char::from(kind).to_string().parse().unwrap(),
            })
            .collect();
        let mut now = 0;
        let mut shown = Vec::new();
        for _ in 0..5 {
            now = seek_by(&e, now, 5);
            shown.push((now / S, at_time(&e, now)));
        }
        assert_eq!(
            shown,
            [(5, 1), (10, 1), (15, 1), (20, 2), (25, 2)],
            "each press moves the clock; the pause shows until 19 s"
        );
        assert_eq!(seek_by(&e, 22 * S, -5), 17 * S, "back into the pause");
    }

    #[test]
    fn stepping_by_frames() {
        let e = entries();
        assert_eq!(step_back(&e, 6), 5, "before the output at 10 s");
        assert_eq!(
            step_back(&e, 5),
            3,
            "from the marker: before the output at 3 s"
        );
        assert_eq!(step_back(&e, 2), 1);
        assert_eq!(step_forward(&e, 1), 2);
        assert_eq!(
            step_forward(&e, 2),
            4,
            "past the input, through the next output"
        );
        assert_eq!(step_forward(&e, 6), 7, "no more output: to the end");
        for upto in 2..=e.len() {
            assert!(
                step_forward(&e, step_back(&e, upto)) >= upto.min(step_forward(&e, 1)),
                "back then forward"
            );
        }
    }

    #[test]
    fn marks_and_hits() {
        let marks = [2, 4];
        assert_eq!(next_mark(&marks, 1), Some(2));
        assert_eq!(next_mark(&marks, 3), Some(4));
        assert_eq!(next_mark(&marks, 5), None);
        assert_eq!(
            prev_mark(&marks, 5),
            Some(2),
            "from just after the marker at 4, the one before"
        );
        assert_eq!(prev_mark(&marks, 3), None);
        assert_eq!(first_hit_from(&[1, 5], 3), Some(1));
        assert_eq!(first_hit_from(&[1, 5], 7), Some(0), "wraps to the first");
        assert_eq!(first_hit_from(&[], 1), None);
    }
}
