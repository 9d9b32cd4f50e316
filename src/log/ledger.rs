//! The ledger: one chained file per data dir that records the start and end of every
//! session, so deleting, replacing or editing a whole session shows.
//!
//! Lines follow the session-log rules (one write, LF last, same hash `H`). Fields, in order:
//! `seq`, `at`, `k` (`start`|`end`), `session`, `file`, `prev`, then `genesis` (start) or
//! `head` and `records` (end), and on a signed line `key` and `sig` (log/seal.rs). Appends
//! happen under an exclusive `flock` on the ledger.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Deserialize;

use super::chain::{self, Hash, ZERO_HASH, line_hash};
use super::json::push_str;
use super::lines::{Item, LineReader};
use super::seal::{self, Seal};
use super::verify::Problem;
use crate::sign::Signer;

mod sealed;

/// How far back from the end the last ledger line is looked for; ledger lines are a few
/// hundred bytes, so this is generous.
const TAIL_WINDOW: u64 = 64 * 1024;

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub start: bool,
    pub session: String,
    pub file: String,
    pub prev: Hash,
    /// `genesis` of a start line; `head` of an end line.
    pub hash: Hash,
    /// `records` of an end line.
    pub records: Option<u64>,
}

impl Entry {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{{\"seq\":{},\"at\":", self.seq).as_bytes());
        push_str(out, &self.at);
        out.extend_from_slice(if self.start {
            b",\"k\":\"start\",\"session\":"
        } else {
            b",\"k\":\"end\",\"session\":"
        });
        push_str(out, &self.session);
        out.extend_from_slice(b",\"file\":");
        push_str(out, &self.file);
        out.extend_from_slice(format!(",\"prev\":\"{}\"", chain::to_hex(&self.prev)).as_bytes());
        if self.start {
            out.extend_from_slice(
                format!(",\"genesis\":\"{}\"}}", chain::to_hex(&self.hash)).as_bytes(),
            );
        } else {
            out.extend_from_slice(
                format!(
                    ",\"head\":\"{}\",\"records\":{}}}",
                    chain::to_hex(&self.hash),
                    self.records.unwrap_or(0)
                )
                .as_bytes(),
            );
        }
    }

    /// Strict decode: valid JSON, known fields once each, canonical bytes. A signed
    /// line's seal is dropped here (see [`Entry::decode_sealed`]).
    pub fn decode(line: &[u8]) -> Result<Entry, String> {
        Self::decode_sealed(line).map(|(e, _)| e)
    }

    /// Strict decode of a line that may be signed.
    pub fn decode_sealed(line: &[u8]) -> Result<(Entry, Option<Seal>), String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            seq: u64,
            at: String,
            k: String,
            session: String,
            file: String,
            prev: String,
            genesis: Option<String>,
            head: Option<String>,
            records: Option<u64>,
            key: Option<String>,
            sig: Option<String>,
        }
        let raw: Raw =
            serde_json::from_slice(line).map_err(|e| format!("not a valid ledger line: {e}"))?;
        let hex = |s: &str| {
            chain::from_hex(s).ok_or_else(|| format!("`{s}` is not 64 lowercase hex digits"))
        };
        let start = match raw.k.as_str() {
            "start" => true,
            "end" => false,
            k => return Err(format!("unknown ledger kind `{k}`")),
        };
        let hash = match (start, &raw.genesis, &raw.head) {
            (true, Some(g), None) => hex(g)?,
            (false, None, Some(h)) => hex(h)?,
            _ => {
                return Err(
                    "a start line needs `genesis`, an end line `head` and `records`".into(),
                );
            }
        };
        if raw.file != format!("sessions/{}.jsonl", raw.session) {
            return Err(format!(
                "`file` is `{}`, not sessions/{}.jsonl",
                raw.file, raw.session
            ));
        }
        if !crate::time::is_rfc3339_utc(&raw.at) {
            return Err(format!("`at` is `{}`, not RFC 3339 UTC", raw.at));
        }
        let sealed = seal::from_fields(raw.key.clone(), raw.sig.clone(), false)?;
        let e = Entry {
            seq: raw.seq,
            at: raw.at,
            start,
            session: raw.session,
            file: raw.file,
            prev: hex(&raw.prev)?,
            hash,
            records: raw.records,
        };
        let mut again = Vec::new();
        e.encode_sealed(sealed.as_ref(), &mut again);
        if again != line {
            return Err("ledger line is not in canonical form".into());
        }
        Ok((e, sealed))
    }
}

/// An open, exclusively locked ledger. The lock is released on drop.
pub struct Ledger {
    file: File,
    next_seq: u64,
    head: Hash,
    signer: Option<std::sync::Arc<Signer>>,
}

impl Ledger {
    /// Open (creating with `mode`) and lock the ledger, and find its head.
    pub fn lock(path: &Path, mode: u32) -> io::Result<Ledger> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(mode)
            .open(path)?;
        if mode & 0o070 != 0 && file.metadata()?.len() == 0 {
            // Shared: every member of the group appends; the umask may have taken g+w away.
            let _ = file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
        }
        // flock(2): held until the file is closed, also when the process dies.
        file.lock()?;
        let (next_seq, head) = read_tail(&mut file)?;
        Ok(Ledger {
            file,
            next_seq,
            head,
            signer: None,
        })
    }

    /// The ledger head: what the next session's genesis chains to.
    pub fn head(&self) -> Hash {
        self.head
    }

    /// Append one line (its `seq` and `prev` are filled in here), signed if a signer is set.
    pub fn append(&mut self, mut entry: Entry) -> io::Result<()> {
        entry.seq = self.next_seq;
        entry.prev = self.head;
        let mut line = Vec::with_capacity(500);
        let pending = self.signer.as_ref().map(|s| Seal::pending(s.id()));
        entry.encode_sealed(pending.as_ref(), &mut line);
        if let Some(s) = &self.signer {
            seal::fill(&mut line, seal::LEDGER_DOMAIN, |m| s.sign(m));
        }
        let hash = line_hash(&line);
        line.push(b'\n');
        let len = self.file.seek(SeekFrom::End(0))?;
        match self.file.write(&line) {
            Ok(n) if n == line.len() => {}
            Ok(_) => {
                let _ = self.file.set_len(len);
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "short write to the ledger",
                ));
            }
            Err(e) => {
                let _ = self.file.set_len(len);
                return Err(e);
            }
        }
        self.file.sync_data()?;
        self.next_seq += 1;
        self.head = hash;
        Ok(())
    }
}

/// Find the next seq and the head; cut an incomplete last line a crash left behind.
fn read_tail(file: &mut File) -> io::Result<(u64, Hash)> {
    let len = file.seek(SeekFrom::End(0))?;
    // Find the last LF, reading backwards: a crash can leave a fragment, and a power loss
    // a NUL tail of any length, after it.
    let mut end = len;
    let last_lf = loop {
        if end == 0 {
            break None;
        }
        let from = end.saturating_sub(TAIL_WINDOW);
        let mut buf = vec![0u8; (end - from) as usize];
        file.read_exact_at(&mut buf, from)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            break Some(from + i as u64);
        }
        if buf.iter().any(|&b| b != 0) && len - from > TAIL_WINDOW {
            return Err(damaged("no complete line at its end"));
        }
        end = from;
    };
    let Some(last_lf) = last_lf else {
        // Nothing whole was ever written.
        file.set_len(0)?;
        return Ok((0, ZERO_HASH));
    };
    if last_lf + 1 != len {
        file.set_len(last_lf + 1)?;
    }
    let from = last_lf.saturating_sub(TAIL_WINDOW);
    let mut buf = vec![0u8; (last_lf - from) as usize];
    file.read_exact_at(&mut buf, from)?;
    let start = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if start == 0 && from > 0 {
        return Err(damaged("its last line is too long"));
    }
    let line = &buf[start..];
    let entry = Entry::decode(line).map_err(|e| damaged(&e))?;
    Ok((entry.seq + 1, line_hash(line)))
}

fn damaged(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the ledger is damaged ({why}); run `breakglass verify --all` to see where"),
    )
}

/// The result of walking a ledger.
#[derive(Debug, Default)]
pub struct LedgerReport {
    /// Good entries in order, each with the ledger head just before it.
    pub entries: Vec<(Entry, Hash)>,
    /// The seal of each entry, in the same order (None: an unsigned line).
    pub seals: Vec<Option<Seal>>,
    pub problem: Option<Problem>,
    pub head: Option<Hash>,
}

/// Verify a ledger's own chain and collect its entries.
pub fn verify_ledger<R: Read>(r: R) -> io::Result<LedgerReport> {
    let mut lines = LineReader::new(r);
    let mut rep = LedgerReport::default();
    let mut head = ZERO_HASH;
    let mut n = 0u64;
    // Per session: (has a start line, has an end line).
    let mut seen: std::collections::HashMap<String, (bool, bool)> =
        std::collections::HashMap::new();
    while let Some(item) = lines.next()? {
        let fail = |offset, seq, expected: String, found: String| Problem {
            line: n + 1,
            seq,
            offset,
            expected,
            found,
        };
        match item {
            Item::Line(l, at) => match Entry::decode_sealed(l) {
                Err(e) => rep.problem = Some(fail(at, None, "a valid ledger line".into(), e)),
                Ok((e, _)) if e.seq != n => {
                    rep.problem = Some(fail(
                        at,
                        Some(e.seq),
                        format!("seq {n}"),
                        format!("seq {}", e.seq),
                    ))
                }
                Ok((e, _)) if e.prev != head => {
                    rep.problem = Some(fail(
                        at,
                        Some(e.seq),
                        format!("prev {}", chain::to_hex(&head)),
                        format!("prev {}", chain::to_hex(&e.prev)),
                    ))
                }
                Ok((e, _)) if !order_ok(&mut seen, &e) => {
                    let what = if e.start {
                        "a second start line"
                    } else {
                        "an end line without a start, or a second one"
                    };
                    rep.problem = Some(fail(
                        at,
                        Some(e.seq),
                        format!("one start and one end line for session {}", e.session),
                        what.into(),
                    ))
                }
                Ok((e, sealed)) => {
                    let before = head;
                    head = line_hash(l);
                    rep.entries.push((e, before));
                    rep.seals.push(sealed);
                    rep.head = Some(head);
                }
            },
            Item::TooLong(at) => {
                rep.problem = Some(fail(
                    at,
                    None,
                    "a ledger line".into(),
                    "an over-long line".into(),
                ))
            }
            // A crash while appending; the next append cuts it.
            Item::Fragment(..) => {}
        }
        if rep.problem.is_some() {
            break;
        }
        n += 1;
    }
    Ok(rep)
}

/// Record a ledger entry for its session; false if it is out of order.
fn order_ok(seen: &mut std::collections::HashMap<String, (bool, bool)>, e: &Entry) -> bool {
    let s = seen.entry(e.session.clone()).or_default();
    match (e.start, *s) {
        (true, (false, false)) => s.0 = true,
        (false, (true, false)) => s.1 = true,
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(start: bool) -> Entry {
        Entry {
            seq: 0,
            at: "2026-01-01T00:00:00Z".into(),
            start,
            session: "abc".into(),
            file: "sessions/abc.jsonl".into(),
            prev: ZERO_HASH,
            hash: [7; 32],
            records: if start { None } else { Some(3) },
        }
    }

    #[test]
    fn entries_round_trip_and_are_strict() {
        for e in [entry(true), entry(false)] {
            let mut l = Vec::new();
            e.encode(&mut l);
            assert_eq!(Entry::decode(&l).unwrap(), e);
            let spaced = String::from_utf8(l).unwrap().replacen(",", ", ", 1);
            assert!(Entry::decode(spaced.as_bytes()).is_err());
        }
    }

    #[test]
    fn lock_append_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ledger.jsonl");
        {
            let mut l = Ledger::lock(&p, 0o600).unwrap();
            assert_eq!(l.head(), ZERO_HASH);
            l.append(entry(true)).unwrap();
            l.append(entry(false)).unwrap();
        }
        // A crash mid-append leaves a fragment, a power loss a NUL tail; the next lock
        // cuts either back to the last whole line.
        let big_nul_tail = vec![0u8; 3 * TAIL_WINDOW as usize];
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(&big_nul_tail)
            .unwrap();
        let l = Ledger::lock(&p, 0o600).unwrap();
        assert_eq!(l.next_seq, 2);
        drop(l);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"seq\":2,")
            .unwrap();
        let l = Ledger::lock(&p, 0o600).unwrap();
        assert_eq!(l.next_seq, 2);
        drop(l);
        let rep = verify_ledger(File::open(&p).unwrap()).unwrap();
        assert!(rep.problem.is_none(), "{:?}", rep.problem);
        assert_eq!(rep.entries.len(), 2);
        assert_eq!(
            rep.entries[1].1,
            line_hash(&{
                let mut v = Vec::new();
                let mut e = entry(true);
                e.seq = 0;
                e.encode(&mut v);
                v
            })
        );
    }
}
