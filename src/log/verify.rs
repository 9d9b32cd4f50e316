//! The verifier: walks a session log line by line and gives a verdict by docs/FORMAT.md.
//!
//! Pure over bytes: [`Verifier::line`] takes one complete line, [`Verifier::finish`] the
//! tail. [`verify_reader`] drives it over any reader in flat memory. Witnesses (the ledger,
//! a watcher's copy, syslog lines) are hashes expected at given `seq`s.

use std::collections::BTreeMap;

use super::chain::{line_hash, to_hex};
use super::lines::MAX_LINE;
use super::parse::decode;
use super::record::{Body, FORMAT_VERSION, encode};
pub use super::report::{Problem, Report, Seals, Verdict, Witness, Witnesses};
pub use super::stream::{GENESIS_START, verify_reader, verify_with};
use super::vocab::{Cause, Event, Mode};
use crate::time::is_rfc3339_utc;

/// Incremental verifier of one session log.
pub struct Verifier {
    report: Report,
    last_t: u64,
    bytes_in: u64,
    bytes_out: u64,
    scratch: Vec<u8>,
    witnesses: Witnesses,
    unverifiable: bool,
    /// The trusted key and its name, when signatures can be checked.
    trusted: Option<(ed25519_dalek::VerifyingKey, String)>,
    /// Whether the log must be signed (a key is known for where it was recorded).
    required: bool,
    /// The time limit as of the last line (the genesis's, then each `extend`'s).
    limit_s: Option<u64>,
}

mod extension;
mod sealcheck;

impl Default for Verifier {
    fn default() -> Self {
        Self::new(BTreeMap::new())
    }
}

impl Verifier {
    pub fn new(witnesses: Witnesses) -> Self {
        Verifier {
            report: Report::default(),
            last_t: 0,
            bytes_in: 0,
            bytes_out: 0,
            scratch: Vec::new(),
            witnesses,
            unverifiable: false,
            trusted: None,
            required: false,
            limit_s: None,
        }
    }

    /// Whether a problem has been found (later lines are not looked at).
    pub fn failed(&self) -> bool {
        self.report.problem.is_some()
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    fn fail(
        &mut self,
        line: u64,
        seq: Option<u64>,
        offset: u64,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) {
        self.report.problem = Some(Problem {
            line,
            seq,
            offset,
            expected: expected.into(),
            found: found.into(),
        });
    }

    /// Check one complete line (without its LF) that starts at `offset`.
    pub fn line(&mut self, bytes: &[u8], offset: u64) {
        if self.failed() {
            return;
        }
        let n = self.report.records;
        let lineno = n + 1;
        if self.report.end.is_some() {
            return self.fail(
                lineno,
                None,
                offset,
                "end of file after the `x` line",
                "another line",
            );
        }
        // The commonest line, text output in canonical form, is checked without a parser;
        // anything else (including any deviation from that form) takes the full path.
        let fast = if n > 0 {
            super::fast::output_line(bytes)
        } else {
            None
        };
        let rec = match fast {
            Some(_) => None,
            None => match decode(bytes) {
                Ok(r) => Some(r),
                Err(msg) => {
                    if n == 0 && !looks_like_genesis(bytes) {
                        self.unverifiable = true;
                        return self.fail(
                            lineno,
                            None,
                            offset,
                            "a breakglass v1 genesis line",
                            "something else",
                        );
                    }
                    return self.fail(lineno, None, offset, "a valid record", msg);
                }
            },
        };
        let (seq_n, t, prev) = match (&fast, &rec) {
            (Some(f), _) => (f.seq, f.t, f.prev),
            (None, Some(r)) => (r.seq, r.t, r.prev),
            (None, None) => unreachable!("one of the two paths gave a record"),
        };
        let seq = Some(seq_n);
        if let Some(rec) = &rec {
            self.scratch.clear();
            encode(rec, &mut self.scratch);
            if self.scratch != bytes {
                let at = self
                    .scratch
                    .iter()
                    .zip(bytes)
                    .position(|(a, b)| a != b)
                    .unwrap_or(self.scratch.len().min(bytes.len()));
                return self.fail(
                    lineno,
                    seq,
                    offset,
                    format!("the canonical encoding of the record (compact, fields in order) from column {}: {}", at + 1, snippet(&self.scratch, at)),
                    snippet(bytes, at),
                );
            }
        }
        if seq_n != n {
            return self.fail(
                lineno,
                seq,
                offset,
                format!("seq {n}"),
                format!("seq {seq_n}"),
            );
        }
        match (n, &self.report.head) {
            (0, _) => self.report.genesis_prev = Some(prev),
            (_, Some(head)) if *head != prev => {
                return self.fail(
                    lineno,
                    seq,
                    offset,
                    format!("prev {} (the hash of line {n}: that line was altered, or lines were removed or inserted here)", to_hex(head)),
                    format!("prev {}", to_hex(&prev)),
                );
            }
            _ => {}
        }
        if n == 0 && t != 0 {
            return self.fail(
                lineno,
                seq,
                offset,
                "t 0 on the genesis line",
                format!("t {t}"),
            );
        }
        if t < self.last_t {
            return self.fail(
                lineno,
                seq,
                offset,
                format!("t at least {}", self.last_t),
                format!("t {t} (time went backwards)"),
            );
        }
        let body_ok = match (&fast, &rec) {
            (Some(f), _) => self
                .bytes_out
                .checked_add(f.len)
                .map(|v| self.bytes_out = v)
                .ok_or_else(|| {
                    (
                        "byte counts that fit in 64 bits".to_string(),
                        "an overflowing count".to_string(),
                    )
                }),
            (None, Some(r)) => self.check_body(n, &r.body),
            (None, None) => Ok(()),
        };
        if let Err((expected, found)) = body_ok {
            return self.fail(lineno, seq, offset, expected, found);
        }
        let hash = line_hash(bytes);
        let seen = self
            .witnesses
            .get(&n)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some(w) = seen.iter().find(|w| w.hash != hash) {
            return self.fail(
                lineno,
                seq,
                offset,
                format!("hash {} as witnessed by {}", to_hex(&w.hash), w.source),
                format!(
                    "hash {} (the log was rewritten after the witness saw it)",
                    to_hex(&hash)
                ),
            );
        }
        if !seen.is_empty() {
            self.report.witnessed.push(n);
        }
        if let Some(r) = &rec
            && let Err((expected, found)) = self.seal(n, bytes, &r.body)
        {
            return self.fail(lineno, seq, offset, expected, found);
        }
        if n == 0 {
            self.report.genesis_hash = Some(hash);
        }
        self.last_t = t;
        self.report.last_t = t;
        self.report.head = Some(hash);
        self.report.records += 1;
        match rec.map(|r| r.body) {
            Some(Body::Genesis(g)) => self.report.genesis = Some(*g),
            Some(Body::End(x)) => self.report.end = Some(x),
            _ => {}
        }
    }

    fn check_body(&mut self, n: u64, body: &Body) -> Result<(), (String, String)> {
        let bad = |e: &str, f: String| Err((e.to_string(), f));
        match body {
            Body::Genesis(g) if n == 0 => {
                if g.v != FORMAT_VERSION {
                    self.unverifiable = true;
                    return bad("format version 1", format!("version {}", g.v));
                }
                if !super::id::is_session_id(&g.session) {
                    return bad(
                        "a session id of 12 characters from 0-9a-z without i l o u",
                        format!("session `{}`", g.session),
                    );
                }
                if !is_rfc3339_utc(&g.started) {
                    return bad(
                        "`started` as RFC 3339 UTC (ending in Z)",
                        format!("`{}`", g.started),
                    );
                }
                if !g.tool.starts_with("breakglass ") {
                    return bad(
                        "`tool` starting with `breakglass `",
                        format!("`{}`", g.tool),
                    );
                }
                self.limit_s = g.ttl_s;
            }
            Body::Genesis(_) => return bad("no second genesis line", "a `g` record".into()),
            _ if n == 0 => {
                return bad(
                    "a `g` record on line 1",
                    format!("a `{}` record", body.kind()),
                );
            }
            Body::Output(d) => {
                self.bytes_out = self.bytes_out.checked_add(d.byte_len()).ok_or_else(|| {
                    (
                        "byte counts that fit in 64 bits".to_string(),
                        "an overflowing count".to_string(),
                    )
                })?
            }
            Body::Input { data, .. } => {
                self.report.masked.input(data);
                self.bytes_in = self.bytes_in.checked_add(data.byte_len()).ok_or_else(|| {
                    (
                        "byte counts that fit in 64 bits".to_string(),
                        "an overflowing count".to_string(),
                    )
                })?
            }
            Body::Resize { .. } | Body::Marker { .. } | Body::Checkpoint(_) => {}
            Body::Participant(p) => {
                if p.event.parse::<Event>().is_err() {
                    return bad(
                        &format!("an event of {}", Event::list()),
                        format!("event `{}`", p.event),
                    );
                }
                self.limit_s = extension::check(p, self.limit_s)?;
                if let Some(m) = &p.mode
                    && m.parse::<Mode>().is_err()
                {
                    return bad(
                        &format!("mode {}", Mode::list().replace(", ", " or ")),
                        format!("mode `{m}`"),
                    );
                }
            }
            Body::End(x) => {
                if !is_rfc3339_utc(&x.ended) {
                    return bad(
                        "`ended` as RFC 3339 UTC (ending in Z)",
                        format!("`{}`", x.ended),
                    );
                }
                if x.cause.parse::<Cause>().is_err() {
                    return bad(
                        &format!("a cause of {}", Cause::list()),
                        format!("cause `{}`", x.cause),
                    );
                }
                if x.records != n + 1 {
                    return bad(
                        &format!("records {}", n + 1),
                        format!("records {}", x.records),
                    );
                }
                if (x.bytes_in, x.bytes_out) != (self.bytes_in, self.bytes_out) {
                    return bad(
                        &format!(
                            "bytes_in {} and bytes_out {}",
                            self.bytes_in, self.bytes_out
                        ),
                        format!("bytes_in {} and bytes_out {}", x.bytes_in, x.bytes_out),
                    );
                }
            }
        }
        Ok(())
    }

    /// A line longer than the limit.
    pub fn too_long(&mut self, offset: u64) {
        if !self.failed() {
            let n = self.report.records;
            self.fail(
                n + 1,
                None,
                offset,
                format!("a line of at most {MAX_LINE} bytes"),
                "a longer line",
            );
        }
    }

    /// Finish with the incomplete final fragment, if any, and give the report.
    pub fn finish(mut self, fragment: Option<(u64, u64)>) -> Report {
        if !self.failed() && !self.unverifiable {
            self.seals_complete();
        }
        if !self.failed()
            && let Some((offset, len)) = fragment
        {
            if self.report.end.is_some() {
                self.fail(
                    self.report.records + 1,
                    None,
                    offset,
                    "end of file after the `x` line",
                    format!("{len} more bytes"),
                );
            } else {
                self.report.fragment = Some(len);
            }
        }
        if !self.failed()
            && let Some((&seq, ws)) = self.witnesses.range(self.report.records..).next()
            && let Some(w) = ws.first().cloned()
        {
            self.fail(
                seq + 1,
                Some(seq),
                0,
                format!(
                    "a record with seq {seq} and hash {}, as witnessed by {}",
                    to_hex(&w.hash),
                    w.source
                ),
                format!(
                    "the log ends after {} records (it was cut after the witness saw it)",
                    self.report.records
                ),
            );
        }
        self.report.verdict = Some(if self.unverifiable {
            Verdict::Unverifiable
        } else if self.failed() {
            Verdict::Tampered
        } else if self.report.end.is_some() {
            Verdict::Verified
        } else {
            Verdict::Interrupted
        });
        self.report
    }
}

/// Whether a line that failed to decode still claims to be a v1 genesis (then it is
/// TAMPERED, not UNVERIFIABLE).
/// Not even JSON, it must begin as every genesis line does.
fn looks_like_genesis(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => {
            v.get("k").and_then(|k| k.as_str()) == Some("g")
                && v.get("v").and_then(|v| v.as_u64()) == Some(FORMAT_VERSION)
        }
        Err(_) => bytes.starts_with(GENESIS_START),
    }
}

/// A short, printable excerpt of a line around a column.
fn snippet(bytes: &[u8], at: usize) -> String {
    let end = (at + 24).min(bytes.len());
    let s = String::from_utf8_lossy(&bytes[at.min(end)..end]);
    format!("`{}`", s.escape_debug())
}
