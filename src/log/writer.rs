//! The session log writer: one record per line, each line one write(2) with its LF last,
//! chained by hash, payloads split so no line nears the 1 MiB limit, flushed as it goes and
//! fsynced in the background at least every [`SYNC_INTERVAL`] and every [`SYNC_BYTES`].
//!
//! A signed log (one given a [`Signer`]) gets an `s` checkpoint right after its genesis,
//! then whenever [`Cadence`] says one is due, and its `x` line carries a signature.
//!
//! A failed or short write truncates the file back to its last whole line and is reported:
//! the caller ends the session, since a session that cannot be recorded must not go on.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::cadence::Cadence;
use super::chain::{Hash, line_hash};
use super::lines::MAX_LINE;
use super::record::{self, Body, Data, End, Genesis, Record};
use super::seal::{self, Seal};
use super::utf8::Utf8Carry;
use crate::sign::Signer;

mod checkpoints;
#[cfg(test)]
pub use checkpoints::test_end;

/// Largest payload put in one record. Worst-case JSON escaping is 6 bytes per input byte
/// (`\u00XX`), so 64 KiB of payload stays far below the 1 MiB line limit, and it matches the
/// size of one PTY read, so a full read is one record.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The log reaches the disk at least this often while a session runs.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// ...and after this much has been written, so that heavy output reaches the disk while the
/// session runs and the final fsync at its end has little left to do.
pub const SYNC_BYTES: u64 = 4 * 1024 * 1024;

/// Shared between the writer and its background syncer.
#[derive(Default)]
struct SyncState {
    dirty: AtomicBool,
    failed: AtomicBool,
    stop: AtomicBool,
    error: Mutex<Option<String>>,
}

/// Appends records to one session log.
pub struct LogWriter {
    file: File,
    len: u64,
    seq: u64,
    last_t: u64,
    head: Hash,
    bytes_in: u64,
    bytes_out: u64,
    carry: Utf8Carry,
    line: Vec<u8>,
    sync: Arc<SyncState>,
    syncer: Option<std::thread::JoinHandle<()>>,
    /// Bytes written since the syncer was last woken for them.
    unsynced: u64,
    signer: Option<Arc<Signer>>,
    cadence: Cadence,
    genesis_hash: Hash,
}

impl LogWriter {
    /// Write the genesis line (seq 0, t 0, `prev` = the ledger head) to a new, empty file.
    pub fn create(file: File, genesis: Genesis, prev: Hash) -> io::Result<Self> {
        Self::create_signed(file, genesis, prev, None)
    }

    /// [`LogWriter::create`], and with a signer, an `s` checkpoint signing the genesis at
    /// once (seq 1), so a signed session is signed from its start.
    pub fn create_signed(
        file: File,
        genesis: Genesis,
        prev: Hash,
        signer: Option<Arc<Signer>>,
    ) -> io::Result<Self> {
        let mut w = LogWriter {
            file,
            len: 0,
            seq: 0,
            last_t: 0,
            head: prev,
            bytes_in: 0,
            bytes_out: 0,
            carry: Utf8Carry::default(),
            line: Vec::with_capacity(MAX_PAYLOAD * 2),
            sync: Arc::default(),
            syncer: None,
            unsynced: 0,
            signer,
            cadence: Cadence::default(),
            genesis_hash: prev,
        };
        w.append(0, Body::Genesis(Box::new(genesis)))?;
        w.genesis_hash = w.head;
        w.checkpoint(0)?;
        w.file.sync_data()?;
        Ok(w)
    }

    /// The hash of the genesis line [`LogWriter::create`] writes for `genesis` after
    /// `prev`: known before the line is written, so the ledger can list the session first.
    pub fn hash_of_genesis(genesis: &Genesis, prev: Hash) -> Hash {
        let rec = Record {
            seq: 0,
            t: 0,
            prev,
            body: Body::Genesis(Box::new(genesis.clone())),
        };
        let mut line = Vec::new();
        record::encode(&rec, &mut line);
        line_hash(&line)
    }

    /// Start the background fsync thread.
    pub fn start_syncer(&mut self) -> io::Result<()> {
        let file = self.file.try_clone()?;
        let state = Arc::clone(&self.sync);
        let handle = std::thread::Builder::new()
            .name("log-sync".into())
            .spawn(move || {
                while !state.stop.load(Ordering::Relaxed) {
                    std::thread::park_timeout(SYNC_INTERVAL);
                    if state.dirty.swap(false, Ordering::AcqRel)
                        && let Err(e) = file.sync_data()
                    {
                        *state.error.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(e.to_string());
                        state.failed.store(true, Ordering::Release);
                        return;
                    }
                }
            })?;
        self.syncer = Some(handle);
        Ok(())
    }

    /// Hash of the last line written (the session's head so far).
    pub fn head(&self) -> Hash {
        self.head
    }

    /// Number of lines written so far.
    pub fn records(&self) -> u64 {
        self.seq
    }

    /// Bytes of input and output recorded so far.
    pub fn totals(&self) -> (u64, u64) {
        (self.bytes_in, self.bytes_out)
    }

    /// Append one record. `t` is clamped so it never goes below the previous record's.
    /// In a signed log, a checkpoint follows once enough bytes wait for one.
    pub fn append(&mut self, t: u64, body: Body) -> io::Result<()> {
        self.write_record(t, body)?;
        if self.signer.is_some() && self.cadence.bytes_due() {
            self.checkpoint(t)?;
        }
        Ok(())
    }

    fn write_record(&mut self, t: u64, body: Body) -> io::Result<()> {
        if self.sync.failed.load(Ordering::Acquire) {
            let msg = self
                .sync
                .error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            return Err(io::Error::other(format!(
                "fsync of the log failed: {}",
                msg.unwrap_or_default()
            )));
        }
        let t = t.max(self.last_t);
        let rec = Record {
            seq: self.seq,
            t,
            prev: self.head,
            body,
        };
        self.line.clear();
        record::encode(&rec, &mut self.line);
        if self.line.len() > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a record of {} bytes is over the format's line limit",
                    self.line.len()
                ),
            ));
        }
        let sealed = matches!(
            &rec.body,
            Body::Checkpoint(_) | Body::End(End { seal: Some(_), .. })
        );
        if sealed && let Some(s) = &self.signer {
            seal::fill(&mut self.line, seal::SESSION_DOMAIN, |m| s.sign(m));
        }
        let hash = line_hash(&self.line);
        self.line.push(b'\n');
        self.write_line()?;
        if self.signer.is_none() {
            // Unsigned: nothing to schedule, not even a look at the clock.
        } else if sealed {
            self.cadence.signed();
        } else {
            self.cadence
                .wrote(self.line.len() as u64, std::time::Instant::now());
        }
        match &rec.body {
            Body::Output(d) => self.bytes_out += d.byte_len(),
            Body::Input { data, .. } => self.bytes_in += data.byte_len(),
            _ => {}
        }
        self.head = hash;
        self.seq += 1;
        self.last_t = t;
        self.sync.dirty.store(true, Ordering::Release);
        self.unsynced += self.line.len() as u64;
        if self.unsynced >= SYNC_BYTES {
            self.unsynced = 0;
            if let Some(h) = &self.syncer {
                h.thread().unpark();
            }
        }
        Ok(())
    }

    /// One write(2) for the whole line; on failure, cut the file back to its last whole line.
    fn write_line(&mut self) -> io::Result<()> {
        let res = match self.file.write(&self.line) {
            Ok(n) if n == self.line.len() => Ok(()),
            // A short write means the disk filled up (or a signal came): finishing the line
            // either completes it or yields the real error, such as ENOSPC.
            Ok(n) => self.file.write_all(&self.line[n..]),
            Err(e) => Err(e),
        };
        match res {
            Ok(()) => {
                self.len += self.line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    /// Record session output, carrying split UTF-8 characters to the next call.
    pub fn output(&mut self, t: u64, bytes: &[u8]) -> io::Result<()> {
        if let Some(data) = self.carry.push(bytes) {
            self.payload(t, data, Body::Output)?;
        }
        Ok(())
    }

    /// Record input that reached the session.
    pub fn input(&mut self, t: u64, by: &str, data: Data) -> io::Result<()> {
        self.payload(t, data, |d| Body::Input {
            by: by.to_owned(),
            data: d,
        })
    }

    fn payload(&mut self, t: u64, data: Data, mk: impl Fn(Data) -> Body) -> io::Result<()> {
        for piece in split(data) {
            self.append(t, mk(piece))?;
        }
        Ok(())
    }

    /// Flush carried output, write the `x` line and fsync. `end.records`, `bytes_in` and
    /// `bytes_out` are filled in here.
    pub fn finish(&mut self, t: u64, mut end: End) -> io::Result<Hash> {
        if let Some(rest) = self.carry.finish() {
            self.payload(t, rest, Body::Output)?;
        }
        end.records = self.seq + 1;
        end.bytes_in = self.bytes_in;
        end.bytes_out = self.bytes_out;
        end.seal = self.signer.as_ref().map(|s| Seal::pending(s.id()));
        self.write_record(t, Body::End(end))?;
        self.stop_syncer();
        self.file.sync_all()?;
        Ok(self.head)
    }

    /// Length in bytes of what has been written.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Read back a range of the log (for watchers that join late).
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.file.read_at(buf, offset)
    }

    fn stop_syncer(&mut self) {
        self.sync.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.syncer.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.stop_syncer();
    }
}

/// Split a payload into pieces of at most [`MAX_PAYLOAD`] bytes, text on character bounds.
pub fn split(data: Data) -> Vec<Data> {
    match data {
        Data::Text(s) if s.len() > MAX_PAYLOAD => {
            let mut out = Vec::new();
            let mut rest = s.as_str();
            while !rest.is_empty() {
                let mut cut = rest.len().min(MAX_PAYLOAD);
                while !rest.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.push(Data::Text(rest[..cut].to_owned()));
                rest = &rest[cut..];
            }
            out
        }
        Data::Bytes(b) if b.len() > MAX_PAYLOAD => b
            .chunks(MAX_PAYLOAD)
            .map(|c| Data::Bytes(c.to_vec()))
            .collect(),
        other => vec![other],
    }
}

/// A new log at `path` with a minimal genesis of `cols` x `rows`, for tests elsewhere.
#[cfg(test)]
pub fn test_log(path: &std::path::Path, cols: u16, rows: u16) -> LogWriter {
    let f = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .read(true)
        .open(path)
        .unwrap();
    let g = Genesis {
        v: 1,
        cols,
        rows,
        session: "aaaaaaaaaaaa".into(),
        started: "2026-01-01T00:00:00Z".into(),
        tool: "breakglass 0".into(),
        ..Genesis::default()
    };
    LogWriter::create(f, g, super::chain::ZERO_HASH).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_limit_and_characters() {
        let s = "é".repeat(MAX_PAYLOAD); // 2 bytes each
        let parts = split(Data::Text(s.clone()));
        assert!(parts.iter().all(|p| p.byte_len() as usize <= MAX_PAYLOAD));
        let joined: String = parts
            .iter()
            .map(|p| match p {
                Data::Text(t) => t.as_str(),
                _ => panic!("text split into bytes"),
            })
            .collect();
        assert_eq!(joined, s);
        let b = split(Data::Bytes(vec![0xff; MAX_PAYLOAD * 2 + 1]));
        assert_eq!(b.len(), 3);
        assert_eq!(split(Data::Redacted(5)), vec![Data::Redacted(5)]);
    }
}
