//! Reading a session's records in order, in flat memory, for review (replay, export,
//! grep). It reads what a verifier would accept line by line; verdicts are `verify`'s job,
//! so it simply stops at the first line that is not a record.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::lines::{Item, LineReader};
use super::parse::decode;
use super::record::Record;

/// The records of a log, with the byte offset of each line.
pub struct Records<R> {
    lines: LineReader<R>,
}

impl Records<File> {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Records::new(File::open(path)?))
    }
}

impl<R: Read> Records<R> {
    pub fn new(inner: R) -> Self {
        Records {
            lines: LineReader::new(inner),
        }
    }

    /// Bytes consumed so far (the offset just past the last line returned).
    pub fn offset(&self) -> u64 {
        self.lines.offset()
    }

    /// The next record and the offset of its line; None at the end or at a bad line.
    pub fn next_record(&mut self) -> io::Result<Option<(u64, Record)>> {
        match self.lines.next()? {
            Some(Item::Line(l, at)) => Ok(decode(l).ok().map(|r| (at, r))),
            _ => Ok(None),
        }
    }
}

impl<R: Read> Iterator for Records<R> {
    type Item = io::Result<(u64, Record)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_at_the_first_bad_line() {
        let z = "0".repeat(64);
        let text = format!(
            "{{\"seq\":1,\"t\":5,\"k\":\"r\",\"prev\":\"{z}\",\"cols\":1,\"rows\":2}}\nnot json\n{{\"seq\":1,\"t\":5,\"k\":\"r\",\"prev\":\"{z}\",\"cols\":1,\"rows\":2}}\n"
        );
        let got: Vec<_> = Records::new(text.as_bytes())
            .collect::<io::Result<_>>()
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 0);
    }
}
