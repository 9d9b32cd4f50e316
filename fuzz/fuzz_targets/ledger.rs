//! The ledger is untrusted input: whoever can write the data dir can write it.
//!
//! Checks, for arbitrary bytes:
//! - `log::ledger::verify_ledger` never panics, and its report does not depend on how
//!   the reader splits the bytes;
//! - the entries it accepts form a chain: `seq` 0, 1, 2, …, each `prev` the hash of the
//!   line before (zeros first), and the last one's hash is the reported head;
//! - `log::ledger::Entry::decode` never panics on any line, and what it accepts encodes
//!   back to exactly that line and decodes again to the same entry.

#![no_main]

use std::io::{self, Read};

use breakglass::log::chain::{ZERO_HASH, line_hash};
use breakglass::log::ledger::{Entry, verify_ledger};
use libfuzzer_sys::fuzz_target;

/// Short reads of 1 to 8 bytes, with an `Interrupted` error now and then.
struct Choppy<'a> {
    data: &'a [u8],
    i: usize,
}

impl Read for Choppy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.i += 1;
        if self.i % 5 == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = (self.i % 8 + 1).min(buf.len());
        self.data.read(&mut buf[..n])
    }
}

fuzz_target!(|data: &[u8]| {
    let rep = verify_ledger(data).expect("reading from a slice cannot fail");
    let split = verify_ledger(Choppy { data, i: 0 }).expect("Interrupted is retried");
    assert_eq!(
        format!("{rep:?}"),
        format!("{split:?}"),
        "the ledger's verdict depends on how it was read"
    );

    let mut head = ZERO_HASH;
    for (i, (entry, before)) in rep.entries.iter().enumerate() {
        assert_eq!(entry.seq, i as u64);
        assert_eq!(*before, head);
        assert_eq!(entry.prev, head);
        let mut line = Vec::new();
        entry.encode(&mut line);
        head = line_hash(&line);
    }
    if !rep.entries.is_empty() {
        assert_eq!(rep.head, Some(head));
    }

    for line in data.split(|&b| b == b'\n') {
        if let Ok(entry) = Entry::decode(line) {
            let mut again = Vec::new();
            entry.encode(&mut again);
            assert_eq!(again, line, "decode accepted a line that is not canonical");
            assert_eq!(Entry::decode(&again), Ok(entry));
        }
    }
});
