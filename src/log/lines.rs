//! A line reader with a hard length limit, for logs of any size in flat memory.
//!
//! Yields complete lines (without LF) and, at the end, the incomplete final fragment a crash
//! can leave. A line longer than [`MAX_LINE`] is reported without being read whole; a tail
//! of NUL bytes (what some filesystems leave after a power loss) of any length is one
//! fragment.

use std::io::{self, Read};

/// The format caps a line at 1 MiB (without its LF).
pub const MAX_LINE: usize = 1024 * 1024;

/// How much of a final fragment is kept, to tell a cut log from some other file.
pub const FRAGMENT_HEAD: usize = 64;

/// Read size; large reads keep the verifier near the disk's speed.
const READ_CHUNK: usize = 256 * 1024;

/// One item of a log.
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A complete line and the byte offset where it starts.
    Line(&'a [u8], u64),
    /// A line that goes past [`MAX_LINE`] without an LF.
    TooLong(u64),
    /// Bytes after the last LF: (offset, length, its first bytes, up to [`FRAGMENT_HEAD`]).
    Fragment(u64, u64, Vec<u8>),
}

/// Splits a reader into [`Item`]s.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
    done: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; MAX_LINE + READ_CHUNK + 1],
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end < self.buf.len() && !self.eof {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next item, or None at the end.
    #[allow(clippy::should_implement_trait)] // items borrow the reader's buffer
    pub fn next(&mut self) -> io::Result<Option<Item<'_>>> {
        if self.done {
            return Ok(None);
        }
        let mut searched = 0;
        loop {
            let window = &self.buf[self.start + searched..self.end];
            if let Some(i) = memchr::memchr(b'\n', window) {
                let line_end = self.start + searched + i;
                let len = line_end - self.start;
                if len > MAX_LINE {
                    self.done = true;
                    return Ok(Some(Item::TooLong(self.offset)));
                }
                let at = self.offset;
                let s = self.start;
                self.start = line_end + 1;
                self.offset += len as u64 + 1;
                return Ok(Some(Item::Line(&self.buf[s..line_end], at)));
            }
            searched = self.end - self.start;
            if searched > MAX_LINE {
                return self.oversized();
            }
            if self.eof {
                self.done = true;
                if searched == 0 {
                    return Ok(None);
                }
                let head = self.buf[self.start..self.end.min(self.start + FRAGMENT_HEAD)].to_vec();
                let at = self.offset;
                self.offset += searched as u64;
                return Ok(Some(Item::Fragment(at, searched as u64, head)));
            }
            let before = self.end - self.start;
            self.fill()?;
            searched = before;
        }
    }

    /// Past the limit without an LF: what a power loss can leave (at most a line's worth of
    /// data, then NUL bytes to the end of the file) is a fragment; anything else is an
    /// over-long line.
    fn oversized(&mut self) -> io::Result<Option<Item<'_>>> {
        self.done = true;
        let at = self.offset;
        let window = &self.buf[self.start..self.end];
        let data_len = window.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        if data_len > MAX_LINE {
            return Ok(Some(Item::TooLong(at)));
        }
        let head = window[..window.len().min(FRAGMENT_HEAD)].to_vec();
        let mut len = window.len() as u64;
        self.start = self.end;
        while !self.eof {
            self.fill()?;
            let chunk = &self.buf[self.start..self.end];
            if chunk.iter().any(|&b| b != 0) {
                return Ok(Some(Item::TooLong(at)));
            }
            len += chunk.len() as u64;
            self.start = self.end;
        }
        self.offset += len;
        Ok(Some(Item::Fragment(at, len, head)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(data: &[u8]) -> Vec<String> {
        let mut r = LineReader::new(data);
        let mut out = Vec::new();
        while let Some(it) = r.next().unwrap() {
            out.push(match it {
                Item::Line(l, at) => format!("L{at}:{}", String::from_utf8_lossy(l)),
                Item::TooLong(at) => format!("T{at}"),
                Item::Fragment(at, n, head) => {
                    format!("F{at}:{n}:{}", head.iter().all(|&b| b == 0))
                }
            });
        }
        out
    }

    #[test]
    fn lines_and_fragment() {
        assert_eq!(items(b"a\nbc\nde"), ["L0:a", "L2:bc", "F5:2:false"]);
        assert_eq!(items(b"a\n\0\0"), ["L0:a", "F2:2:true"]);
        assert!(items(b"").is_empty());
    }

    #[test]
    fn long_lines_are_refused_but_long_nul_tails_are_fragments() {
        let mut v = b"ok\n".to_vec();
        v.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        v.push(b'\n');
        assert_eq!(items(&v), ["L0:ok", "T3"]);
        let mut n = b"ok\n".to_vec();
        n.extend(std::iter::repeat_n(0u8, 3 * MAX_LINE));
        assert_eq!(
            items(&n),
            ["L0:ok".to_string(), format!("F3:{}:true", 3 * MAX_LINE)]
        );
        let mut exact = vec![b'y'; MAX_LINE];
        exact.push(b'\n');
        assert_eq!(items(&exact).len(), 1);
        assert!(items(&exact)[0].starts_with("L0:"));
    }
}
