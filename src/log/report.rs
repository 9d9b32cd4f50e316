//! What a verification finds: the verdict, the first bad record, the last good head, and
//! the witnesses (hashes seen elsewhere) it was checked against.

use std::collections::BTreeMap;

use super::chain::Hash;
use super::record::{End, Genesis};
use crate::error::Exit;

/// The verdicts of FORMAT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Verified,
    Interrupted,
    Unverifiable,
    Tampered,
}

impl Verdict {
    /// The exit status of `verify` for this verdict.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Verified => Exit::Success,
            Verdict::Tampered => Exit::Negative,
            Verdict::Interrupted => Exit::Interrupted,
            Verdict::Unverifiable => Exit::Unverifiable,
        }
        .code()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "VERIFIED",
            Verdict::Tampered => "TAMPERED",
            Verdict::Interrupted => "INTERRUPTED",
            Verdict::Unverifiable => "UNVERIFIABLE",
        }
    }
}

/// The first bad record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    /// The `seq` the line claims, when it could be read.
    pub seq: Option<u64>,
    /// Byte offset where the line starts.
    pub offset: u64,
    pub expected: String,
    pub found: String,
}

/// What a log proved.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub verdict: Option<Verdict>,
    /// Complete, good lines.
    pub records: u64,
    /// Hash of the last good line.
    pub head: Option<Hash>,
    pub genesis: Option<Genesis>,
    /// Hash of line 0 and its `prev` (the ledger head it was chained to).
    pub genesis_hash: Option<Hash>,
    pub genesis_prev: Option<Hash>,
    pub end: Option<End>,
    pub problem: Option<Problem>,
    /// Length of an incomplete final fragment, if any.
    pub fragment: Option<u64>,
    /// `t` of the last good line, in microseconds.
    pub last_t: u64,
    /// Seqs confirmed by a witness (hash agreed).
    pub witnessed: Vec<u64>,
    /// Masked input, counted for reviewers.
    pub masked: MaskedCount,
    /// The signatures found.
    pub seals: Seals,
}

/// How much input was masked: lines (a run of masked input records ends at the next
/// input in clear), bytes, and how many of the lines were sealed rather than dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaskedCount {
    pub lines: u64,
    pub bytes: u64,
    pub sealed: u64,
    /// The last input record was masked (the next masked one continues its line).
    open: bool,
}

impl MaskedCount {
    /// Count one input record.
    pub fn input(&mut self, data: &super::record::Data) {
        let Some((n, sealed)) = data.masked() else {
            self.open = false;
            return;
        };
        if !self.open {
            self.lines += 1;
            self.sealed += u64::from(sealed);
        }
        self.open = true;
        self.bytes += n;
    }

    /// `2 lines, 19 B sealed`, `1 line, 7 B dropped`, `-` when nothing was masked.
    pub fn short(&self) -> String {
        if self.lines == 0 {
            return "-".into();
        }
        let how = match (self.sealed, self.lines - self.sealed) {
            (_, 0) => "sealed",
            (0, _) => "dropped",
            _ => "partly sealed",
        };
        let unit = if self.lines == 1 { "line" } else { "lines" };
        format!("{} {unit}, {} B {how}", self.lines, self.bytes)
    }
}

#[cfg(test)]
mod masked_tests {
    use super::*;
    use crate::log::record::Data;

    #[test]
    fn masked_records_in_a_row_are_one_line() {
        let mut m = MaskedCount::default();
        assert_eq!(m.short(), "-");
        for d in [
            Data::Redacted(1),
            Data::Redacted(2),
            Data::Text("\r".into()),
            Data::Sealed {
                len: 5,
                blob: vec![],
            },
        ] {
            m.input(&d);
        }
        assert_eq!((m.lines, m.bytes, m.sealed), (2, 8, 1));
        assert_eq!(m.short(), "2 lines, 8 B partly sealed");
    }
}

/// What the signatures of a log say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seals {
    /// The name of the key that signed (all signatures of a log are by one key).
    pub key: Option<String>,
    /// Seq of the last line a signature covers (through the chain, every line before it).
    pub upto: Option<u64>,
    /// Number of signatures.
    pub count: u64,
    /// Whether they were checked against a trusted public key (else only read).
    pub checked: bool,
    /// The end record carries a signature.
    pub end_signed: bool,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        self.verdict.unwrap_or(Verdict::Unverifiable)
    }
}

/// A hash some witness saw at a `seq`, and who that witness is.
#[derive(Debug, Clone)]
pub struct Witness {
    pub hash: Hash,
    pub source: String,
}

/// Hashes witnesses saw, by `seq`; several witnesses may vouch for the same line.
pub type Witnesses = BTreeMap<u64, Vec<Witness>>;
