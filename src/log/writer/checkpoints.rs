//! The signed side of the log writer: the signer, when the next `s` checkpoint is due,
//! writing it, and the genesis hash the ledger's start line records.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use super::LogWriter;
use crate::log::chain::Hash;
use crate::log::record::Body;
#[cfg(test)]
use crate::log::record::End;
use crate::log::seal::Seal;
use crate::sign::Signer;

impl LogWriter {
    /// Hash of the genesis line (what the ledger's start line records).
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// The signer of this log, if it is signed.
    pub fn signer(&self) -> Option<Arc<Signer>> {
        self.signer.clone()
    }

    /// When the next checkpoint must be written at the latest (None: nothing waits).
    pub fn next_checkpoint(&self) -> Option<Instant> {
        self.signer.as_ref().and(self.cadence.deadline())
    }

    /// Whether a checkpoint is due now.
    pub fn checkpoint_due(&self, now: Instant) -> bool {
        self.signer.is_some() && self.cadence.due(now)
    }

    /// Write an `s` checkpoint now if the log is signed and something is not yet covered.
    pub fn checkpoint(&mut self, t: u64) -> io::Result<()> {
        match &self.signer {
            Some(s) if self.cadence.deadline().is_some() => {
                let pending = Seal::pending(s.id());
                self.append(t, Body::Checkpoint(pending))
            }
            _ => Ok(()),
        }
    }
}

/// An end record of a program that exited with 0, for tests elsewhere (the writer fills
/// in the counts).
#[cfg(test)]
pub fn test_end() -> End {
    let line = format!(
        r#"{{"seq":0,"t":0,"k":"x","prev":"{}","cause":"exit","exit":0,"signal":null,"records":0,"bytes_in":0,"bytes_out":0,"ended":"2026-01-01T00:00:01Z"}}"#,
        "0".repeat(64)
    );
    match crate::log::parse::decode(line.as_bytes()).map(|r| r.body) {
        Ok(Body::End(x)) => x,
        other => unreachable!("an end record: {other:?}"),
    }
}
