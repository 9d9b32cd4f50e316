//! What a verification finds: the verdict, the first bad record, the last good head, and
//! the witnesses (hashes seen elsewhere) it was checked against.

use std::collections::BTreeMap;

use super::chain::Hash;
use super::record::{End, Genesis};

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
            Verdict::Verified => 0,
            Verdict::Tampered => 1,
            Verdict::Interrupted => 3,
            Verdict::Unverifiable => 4,
        }
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
    /// The signatures found.
    pub seals: Seals,
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
