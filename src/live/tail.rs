//! The newest session output, kept for catch-up frames without copying it: the chunks the
//! PTY reader filled are shared (the same `Arc` a watcher's queue holds), and only small
//! chunks, such as keystroke echoes, are copied together so that thousands of them do
//! not pin thousands of read buffers.

use std::collections::VecDeque;
use std::sync::Arc;

/// Chunks shorter than this are copied into a buffer of the tail's own.
const SMALL: usize = 16 * 1024;
/// Size of those buffers (a read buffer's size).
const OWN_BUFFER: usize = 64 * 1024;

/// Output from `start` to `end`, in chunks.
#[derive(Debug, Default)]
pub struct Tail {
    chunks: VecDeque<(u64, Arc<Vec<u8>>)>,
    start: u64,
    end: u64,
}

impl Tail {
    /// An empty tail at stream offset `at`.
    pub fn at(at: u64) -> Tail {
        Tail {
            chunks: VecDeque::new(),
            start: at,
            end: at,
        }
    }

    pub fn start(&self) -> u64 {
        self.start
    }

    /// Add the next chunk of output.
    pub fn push(&mut self, chunk: &Arc<Vec<u8>>) {
        let at = self.end;
        self.end += chunk.len() as u64;
        if chunk.len() >= SMALL {
            self.chunks.push_back((at, Arc::clone(chunk)));
            return;
        }
        if let Some((_, last)) = self.chunks.back_mut()
            && let Some(own) = Arc::get_mut(last)
            && own.len() + chunk.len() <= own.capacity()
        {
            own.extend_from_slice(chunk);
            return;
        }
        let mut own = Vec::with_capacity(OWN_BUFFER);
        own.extend_from_slice(chunk);
        self.chunks.push_back((at, Arc::new(own)));
    }

    /// Where the tail would start after dropping the oldest chunks while at least `keep`
    /// bytes remain.
    pub fn trim_point(&self, keep: u64) -> u64 {
        let mut start = self.start;
        for (at, c) in &self.chunks {
            let next = at + c.len() as u64;
            if self.end - next < keep {
                break;
            }
            start = next;
        }
        start
    }

    /// Drop the chunks before `point` (a [`Tail::trim_point`]).
    pub fn trim_to(&mut self, point: u64) {
        while let Some((at, c)) = self.chunks.front() {
            if at + c.len() as u64 > point {
                break;
            }
            self.chunks.pop_front();
        }
        self.start = point.max(self.start);
    }

    /// The pieces of chunks that hold `from..to`, oldest first.
    fn pieces(&self, from: u64, to: u64) -> impl DoubleEndedIterator<Item = (u64, &[u8])> {
        let from = from.max(self.start);
        let to = to.min(self.end);
        self.chunks.iter().filter_map(move |(at, c)| {
            let end = at + c.len() as u64;
            if end <= from || *at >= to {
                return None;
            }
            let a = from.max(*at);
            let b = to.min(end);
            Some((a, &c[(a - at) as usize..(b - at) as usize]))
        })
    }

    /// Append the bytes `from..to` (within the tail) to `out`.
    pub fn copy(&self, from: u64, to: u64, out: &mut Vec<u8>) {
        for (_, p) in self.pieces(from, to) {
            out.extend_from_slice(p);
        }
    }

    /// The byte at `at`, if the tail holds it.
    pub fn byte(&self, at: u64) -> Option<u8> {
        self.pieces(at, at + 1).next().map(|(_, p)| p[0])
    }

    /// LF bytes in `from..to`.
    pub fn count_lfs(&self, from: u64, to: u64) -> u64 {
        self.pieces(from, to)
            .map(|(_, p)| memchr::memchr_iter(b'\n', p).count() as u64)
            .sum()
    }

    /// Offsets of the LF bytes in `from..to`, newest first.
    pub fn lfs_back(&self, from: u64, to: u64) -> impl Iterator<Item = u64> {
        self.pieces(from, to)
            .rev()
            .flat_map(|(at, p)| memchr::memrchr_iter(b'\n', p).map(move |i| at + i as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(b: &[u8]) -> Arc<Vec<u8>> {
        Arc::new(b.to_vec())
    }

    #[test]
    fn small_chunks_are_gathered_and_big_ones_shared() {
        let big = Arc::new(vec![b'x'; SMALL]);
        let mut t = Tail::at(100);
        t.push(&chunk(b"ab"));
        t.push(&chunk(b"c\n"));
        t.push(&big);
        t.push(&chunk(b"\nd"));
        assert_eq!(t.chunks.len(), 3);
        assert!(Arc::ptr_eq(&t.chunks[1].1, &big));
        let mut out = Vec::new();
        t.copy(101, 105, &mut out);
        assert_eq!(out, b"bc\nx");
        assert_eq!(t.byte(103), Some(b'\n'));
        assert_eq!(t.byte(99), None);
        let end = 104 + SMALL as u64 + 2;
        assert_eq!(t.count_lfs(100, end), 2);
        assert_eq!(t.lfs_back(100, end).collect::<Vec<_>>(), vec![end - 2, 103]);
    }

    #[test]
    fn trimming_keeps_at_least_what_was_asked_in_whole_chunks() {
        let mut t = Tail::at(0);
        for _ in 0..10 {
            t.push(&Arc::new(vec![b'y'; SMALL]));
        }
        let point = t.trim_point(3 * SMALL as u64 - 1);
        assert_eq!(point, 7 * SMALL as u64);
        t.trim_to(point);
        assert_eq!((t.start(), t.chunks.len()), (point, 3));
        let mut out = Vec::new();
        t.copy(0, u64::MAX, &mut out);
        assert_eq!(out.len(), 3 * SMALL);
    }
}
