//! One verdict for a session, and its words, for every command that reads sessions
//! (`verify`, `ls`, `show`, `export`, `grep`, `replay`).
//!
//! [`Judge`] holds the data dir's ledger and decides, in one place, whether a file is
//! judged against it: only a file that lives in this data dir's `sessions/` is; a copy kept
//! elsewhere is judged by its own chain and the witnesses given. [`Judgement`] is the
//! result, and both its text and its JSON are made from it, so no command words a verdict
//! its own way.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::audit::{self, Checked, LedgerIndex};
use crate::log::chain::to_hex;
use crate::log::verify::{Problem, Verdict, Witnesses};
use crate::store::{SessionFile, Store};
use crate::trust::{LedgerSeals, Trust};

/// The data dir's ledger and where its sessions live: what a verdict is decided against.
pub struct Judge {
    ledger: LedgerIndex,
    /// `sessions/` of the data dir, resolved; None when the data dir does not exist.
    sessions_dir: Option<PathBuf>,
    /// The key signatures are checked against, and whether they are required.
    trust: Trust,
    /// What the ledger's signatures say.
    seals: LedgerSeals,
}

/// What the syslog file given to `verify --syslog` held for one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogSeen {
    /// This many heads of the session were found (and checked).
    Heads(usize),
    /// The file holds no witness line for this session.
    None,
}

/// A session's verdict with everything its words are made from.
#[derive(Debug)]
pub struct Judgement {
    pub checked: Checked,
    pub syslog: Option<SyslogSeen>,
    /// What the signatures prove, in words (None: nothing to say) and as JSON.
    pub signed: Option<String>,
    pub signature: serde_json::Value,
}

impl Judge {
    /// Read the ledger of `store` (a missing ledger is an empty one), trusting the data
    /// dir's own copy of the public key, if it has one (`verify --pubkey` names another).
    pub fn load(store: &Store) -> std::io::Result<Judge> {
        let key = crate::sign::find_trusted(None, None, &store.dir).unwrap_or(None);
        Judge::load_trusting(store, Trust::new(key, crate::mode::installed()))
    }

    /// Read the ledger of `store` and check its signatures with `trust`.
    pub fn load_trusting(store: &Store, trust: Trust) -> std::io::Result<Judge> {
        let (ledger, seals) = crate::trust::load_index(&store.ledger_path(), &trust)?;
        Ok(Judge {
            ledger,
            sessions_dir: store.sessions_dir().canonicalize().ok(),
            trust,
            seals,
        })
    }

    /// A judge that knows no ledger: every file is judged by its own chain.
    pub fn without_ledger() -> Judge {
        Judge {
            ledger: LedgerIndex::default(),
            sessions_dir: None,
            trust: Trust::default(),
            seals: LedgerSeals::default(),
        }
    }

    /// What the ledger's signatures say.
    pub fn seals(&self) -> &LedgerSeals {
        &self.seals
    }

    pub fn ledger(&self) -> &LedgerIndex {
        &self.ledger
    }

    /// Whether `path` is a session file of this data dir (and so must be in its ledger).
    pub fn is_here(&self, path: &Path) -> bool {
        self.sessions_dir.is_some()
            && path.parent().and_then(|p| p.canonicalize().ok()) == self.sessions_dir
    }

    /// Judge one session with the witnesses from outside given.
    pub fn judge_with(
        &self,
        sf: &SessionFile,
        extra: &Witnesses,
        progress: impl FnMut(u64),
    ) -> std::io::Result<Judgement> {
        let here = self.is_here(&sf.path);
        let ledger = here.then_some(&self.ledger);
        // The data dir's own copy of a key says nothing about a file kept elsewhere.
        let elsewhere;
        let trust = if here {
            &self.trust
        } else {
            elsewhere = self.trust.elsewhere();
            &elsewhere
        };
        let start = ledger
            .and_then(|i| i.sessions.get(&sf.id))
            .and_then(|l| l.start.as_ref())
            .map(|(e, _)| e.seq);
        let must_sign = self.seals.must_sign(trust, start);
        let make = |w| trust.verifier(w, must_sign);
        let checked = audit::check_with(sf, ledger, extra, make, progress)?;
        let (signed, signature) = crate::trust::describe(&checked.report, trust, must_sign);
        Ok(Judgement {
            checked,
            syslog: None,
            signed,
            signature,
        })
    }

    /// Judge one session against the ledger alone.
    pub fn judge(&self, sf: &SessionFile) -> std::io::Result<Judgement> {
        self.judge_with(sf, &Witnesses::new(), |_| {})
    }
}

pub fn problem_json(p: &Problem) -> serde_json::Value {
    json!({"line": p.line, "seq": p.seq, "offset": p.offset, "expected": p.expected, "found": p.found})
}

/// `line 3 (seq 2), byte offset 120: expected X, found Y`
fn problem_words(p: &Problem) -> String {
    format!(
        "line {}{}, byte offset {}: expected {}, found {}",
        p.line,
        p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default(),
        p.offset,
        p.expected,
        p.found
    )
}

impl Judgement {
    pub fn verdict(&self) -> Verdict {
        self.checked.verdict()
    }

    /// `VERIFIED`, `LIVE` (a running session, valid so far), `INTERRUPTED`, `TAMPERED`
    /// or `UNVERIFIABLE`.
    pub fn label(&self) -> &'static str {
        match (self.verdict(), self.checked.live) {
            (Verdict::Interrupted, true) => "LIVE",
            (v, _) => v.as_str(),
        }
    }

    /// The head (hash of the last good line), hex.
    pub fn head(&self) -> Option<String> {
        self.checked.report.head.map(|h| to_hex(&h))
    }

    /// The exit status of `verify` for this session.
    pub fn exit_code(&self) -> i32 {
        self.verdict().exit_code()
    }

    /// The verdict in one line: the first bad record, or who witnessed it.
    pub fn detail(&self) -> String {
        let c = &self.checked;
        let r = &c.report;
        match (r.verdict(), c.live) {
            (Verdict::Verified, _) if c.witnesses().is_empty() => {
                "unwitnessed: compare the head with the one in the ticket".to_string()
            }
            (Verdict::Verified, _) => format!(
                "chain intact, witnessed by the {}",
                c.witnesses().join(", ")
            ),
            (Verdict::Interrupted, true) => {
                format!("still running; valid so far ({} records)", r.records)
            }
            (Verdict::Interrupted, false) => format!(
                "no end record (killed or crashed); chain intact for {} records",
                r.records
            ),
            _ => match &r.problem {
                Some(p) => problem_words(p),
                None => "the ledger records an end for this session, but the log has none".into(),
            },
        }
    }

    /// What `syslog` says in words, when a syslog file was given.
    fn syslog_words(&self, file: &str) -> Option<String> {
        match self.syslog? {
            SyslogSeen::Heads(_) => None,
            SyslogSeen::None => Some(format!(
                "  no syslog witness line for this session in {file}: the syslog checked nothing here (was syslog configured for it, and does the file keep RFC 5424 structured data?)\n"
            )),
        }
    }

    /// The full report `verify` prints.
    pub fn text(&self, syslog_file: Option<&str>) -> String {
        let c = &self.checked;
        let r = &c.report;
        let head = self.head();
        let mut text = format!("{}  {}", crate::safe::text(&c.id), self.label());
        match (r.verdict(), c.live) {
            (Verdict::Verified, _) => {
                let x = r.end.as_ref().expect("verified means ended");
                let how = match (x.exit, &x.signal) {
                    (Some(code), _) => format!("exit {code}"),
                    (None, Some(s)) => crate::safe::text(s).into_owned(),
                    _ => "no status".into(),
                };
                text.push_str(&format!(
                    "  {} records, ended by {} ({how})\n  head {}\n",
                    r.records,
                    crate::safe::text(&x.cause),
                    head.clone().unwrap_or_default()
                ));
            }
            (Verdict::Interrupted, true) => text.push_str(&format!(
                "  still running: valid so far, {} records\n  head so far {}\n",
                r.records,
                head.clone().unwrap_or_default()
            )),
            (Verdict::Interrupted, false) => {
                text.push_str(&format!(
                    "  chain intact for {} records, but no end record: the session was killed or crashed\n",
                    r.records
                ));
                if let Some(f) = r.fragment {
                    text.push_str(&format!(
                        "  an incomplete last line of {f} bytes follows (cut mid-write)\n"
                    ));
                }
                if let Some(h) = &head {
                    text.push_str(&format!("  head {h}\n"));
                }
            }
            (Verdict::Tampered | Verdict::Unverifiable, _) => {
                if let Some(p) = &r.problem {
                    let seq = p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default();
                    text.push_str(&format!(
                        "\n  line {}{seq}, byte offset {}:\n    expected {}\n    found    {}\n",
                        p.line,
                        p.offset,
                        crate::safe::text(&p.expected),
                        crate::safe::text(&p.found)
                    ));
                } else if r.verdict() == Verdict::Tampered {
                    text.push_str(
                        "\n  the ledger records an end for this session, but the log has none\n",
                    );
                }
                match &head {
                    Some(h) => text.push_str(&format!(
                        "  last good head {h} after {} records\n",
                        r.records
                    )),
                    None => text.push_str("  no good record\n"),
                }
            }
        }
        let witnesses = c.witnesses();
        if matches!(r.verdict(), Verdict::Verified | Verdict::Interrupted)
            && let Some(s) = &self.signed
        {
            text.push_str(s);
        }
        if matches!(r.verdict(), Verdict::Verified | Verdict::Interrupted) {
            if witnesses.is_empty() {
                text.push_str("  (unwitnessed: nothing outside the file vouches for it; compare the head with the one in the ticket)\n");
            } else {
                for w in &witnesses {
                    match *w {
                        "ledger" => text.push_str("  witnessed by the ledger (note: whoever can write the data dir can rewrite the ledger too)\n"),
                        _ => text.push_str("  agrees with the outside witness (the witness copy or syslog lines given)\n"),
                    }
                }
            }
        }
        if let Some(words) = syslog_file.and_then(|f| self.syslog_words(&crate::safe::text(f))) {
            text.push_str(&words);
        }
        text
    }

    /// The same report as JSON.
    pub fn json(&self) -> serde_json::Value {
        let c = &self.checked;
        let r = &c.report;
        let witnesses = c.witnesses();
        let mut j = json!({
            "session": c.id,
            "file": c.path.display().to_string(),
            "verdict": self.label(),
            "live": c.live,
            "records": r.records,
            "head": self.head(),
            "fragment_bytes": r.fragment,
            "problem": r.problem.as_ref().map(problem_json),
            "witnesses": witnesses,
            "unwitnessed": witnesses.is_empty(),
            "detail": self.detail(),
            "signature": self.signature,
        });
        if let Some(s) = self.syslog {
            j["syslog_heads"] = json!(match s {
                SyslogSeen::Heads(n) => n,
                SyslogSeen::None => 0,
            });
        }
        j
    }

    /// A warning for a reader of the session's content, unless it is VERIFIED: what the
    /// verdict is and why, so nothing shown from it is taken as proven.
    pub fn warning(&self) -> Option<String> {
        let id = crate::safe::text(&self.checked.id);
        let detail = crate::safe::text(&self.detail()).into_owned();
        match self.verdict() {
            Verdict::Verified => None,
            Verdict::Tampered | Verdict::Unverifiable => Some(format!(
                "breakglass: warning: session {id} is {}: {detail}",
                self.label()
            )),
            Verdict::Interrupted => Some(format!(
                "breakglass: note: session {id} is {}: {detail}",
                self.label()
            )),
        }
    }
}
