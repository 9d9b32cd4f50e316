//! What signatures prove about a data dir: the ledger's signed lines checked against the
//! trusted key, and which sessions must be signed.
//!
//! The rules (docs/FORMAT.md, "Signed records"): from the first signed ledger line on,
//! every ledger line is signed; when a key is known for the dir, the ledger must have a
//! signed line, and every session the ledger lists from its first signed line on (or that
//! it does not list at all) must be signed itself. Sessions listed before it were recorded
//! before the key: the signed ledger lines after them vouch for their genesis and head.
//! A ledger line that breaks a rule is a ledger problem, and the index stops before it, as
//! it does at a broken link: every session from there on is then unlisted, so TAMPERED.

use crate::audit::LedgerIndex;
use crate::log::ledger::LedgerReport;
use crate::log::seal::{self, LEDGER_DOMAIN, Seal};
use crate::log::verify::{Problem, Verifier, Witnesses};
use crate::sign::Trusted;

/// What `verify` trusts and requires.
#[derive(Clone, Default)]
pub struct Trust {
    /// The public key signatures are checked against.
    pub key: Option<Trusted>,
    /// Sessions and the ledger must be signed: a key is known, or the binary runs installed.
    pub required: bool,
}

impl Trust {
    pub fn new(key: Option<Trusted>, installed: bool) -> Trust {
        let required = key.is_some() || installed;
        Trust { key, required }
    }

    /// The trust for a file that is not in the data dir: the data dir's own copy of a key
    /// says nothing about it, a key given with --pubkey or beside the config still does.
    pub fn elsewhere(&self) -> Trust {
        let key = self.key.clone().filter(|k| !k.in_data_dir);
        Trust {
            required: key.is_some() || crate::mode::installed(),
            key,
        }
    }

    /// A session verifier set up to check (and, if `must_sign`, require) signatures.
    pub fn verifier(&self, witnesses: Witnesses, must_sign: bool) -> Verifier {
        let key = self.key.as_ref().map(|t| (t.key, t.id.clone()));
        Verifier::new(witnesses).with_seals(key, must_sign)
    }
}

/// What the ledger's signatures say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LedgerSeals {
    /// Ledger seq of the first signed line.
    pub first_signed: Option<u64>,
    /// Number of signed lines, and of lines.
    pub signed: u64,
    pub lines: u64,
    pub key: Option<String>,
}

impl LedgerSeals {
    /// Whether the session whose start line has ledger seq `start` (None: not listed) must
    /// be signed itself.
    pub fn must_sign(&self, trust: &Trust, start: Option<u64>) -> bool {
        trust.required && start.is_none_or(|s| self.first_signed.is_none_or(|f| s >= f))
    }
}

/// Check the seals of a walked ledger; the first line that breaks a rule becomes its
/// problem (if it had none before it) and the report keeps only the entries before it.
pub fn check_ledger(report: &mut LedgerReport, trust: &Trust) -> LedgerSeals {
    let mut out = LedgerSeals {
        lines: report.entries.len() as u64,
        ..Default::default()
    };
    let mut bad: Option<(usize, String, String)> = None;
    for (i, ((entry, _), sealed)) in report.entries.iter().zip(&report.seals).enumerate() {
        let broken = match sealed {
            Some(s) => line_seal(entry, s, trust, out.key.as_deref()),
            None if out.first_signed.is_some() => Err((
                "a signed line (every ledger line after the first signed one is)".into(),
                "an unsigned line (its signature stripped, or the line added)".into(),
            )),
            None => Ok(()),
        };
        if let Err((expected, found)) = broken {
            bad = Some((i, expected, found));
            break;
        }
        if let Some(s) = sealed {
            out.first_signed.get_or_insert(entry.seq);
            out.key.get_or_insert_with(|| s.key.clone());
            out.signed += 1;
        }
    }
    if bad.is_none() && trust.required && out.lines > 0 && out.signed == 0 {
        let key = trust
            .key
            .as_ref()
            .map_or("the data dir's key", |k| k.id.as_str());
        bad = Some((
            0,
            format!("ledger lines signed by {key} (a key is known for this data dir)"),
            "no signed line (signatures stripped, or the ledger rewritten)".into(),
        ));
        out.signed = 0;
    }
    if let Some((i, expected, found)) = bad {
        let (entry, _) = &report.entries[i];
        let problem = Problem {
            line: entry.seq + 1,
            seq: Some(entry.seq),
            offset: 0,
            expected,
            found,
        };
        report.problem.get_or_insert(problem);
        report.entries.truncate(i);
        report.seals.truncate(i);
        report.head = None;
    }
    out
}

/// Check one ledger line's seal: by the trusted key (or, with none, by the same key as
/// the lines before), and valid over the line's canonical bytes.
fn line_seal(
    entry: &crate::log::ledger::Entry,
    s: &Seal,
    trust: &Trust,
    first_key: Option<&str>,
) -> Result<(), (String, String)> {
    match (&trust.key, first_key) {
        (Some(t), _) => {
            let mut line = Vec::new();
            entry.encode_sealed(Some(s), &mut line);
            seal::check(LEDGER_DOMAIN, &line, s, &t.key)
                .map_err(|e| (format!("a valid signature by {}", t.id), e.to_string()))
        }
        (None, Some(k)) if k != s.key => Err((
            format!("signatures by one key ({k})"),
            format!("a signature by {}", s.key),
        )),
        _ => Ok(()),
    }
}

/// Load the ledger index of a data dir and check its seals.
pub fn load_index(
    path: &std::path::Path,
    trust: &Trust,
) -> std::io::Result<(LedgerIndex, LedgerSeals)> {
    let index = LedgerIndex::load(path)?;
    if !index.exists {
        return Ok((index, LedgerSeals::default()));
    }
    let mut report = index.report;
    let seals = check_ledger(&mut report, trust);
    Ok((LedgerIndex::from_report(report), seals))
}

/// How a session's signatures read in `verify`: a line of text for a log that verified or
/// was interrupted (None: nothing to say), and the `signature` object of `--json`.
pub fn describe(
    r: &crate::log::verify::Report,
    trust: &Trust,
    must_sign: bool,
) -> (Option<String>, serde_json::Value) {
    let s = &r.seals;
    let source = trust.key.as_ref().map(|k| k.source.display().to_string());
    let key = s.key.clone().unwrap_or_default();
    let upto = s.upto.unwrap_or(0);
    let after = r.records.saturating_sub(upto + 1);
    let (status, text) = if s.count == 0 {
        if trust.key.is_some() && !must_sign {
            let t = "  unsigned: recorded before the signing key; the signed ledger lines after it vouch for its start and end";
            ("predates key", Some(t.to_string()))
        } else {
            ("unsigned", None)
        }
    } else if !s.checked {
        let t = format!(
            "  signed by {key} up to seq {upto}, not checked: no public key is known (pass --pubkey FILE)"
        );
        ("unchecked", Some(t))
    } else if s.end_signed {
        let t = format!("  signed by {key} up to seq {upto}: every record, the end included");
        ("signed", Some(t))
    } else {
        let t = format!(
            "  signed by {key} up to seq {upto}; the {after} record(s) after it are not signed (killed before its next checkpoint, or still running)"
        );
        ("signed up to a checkpoint", Some(t))
    };
    let text = text.map(|mut t| {
        if let Some(k) = &trust.key
            && s.checked
        {
            t.push_str(&format!(" (key {})", k.source.display()));
            if k.in_data_dir && !crate::mode::installed() {
                t.push_str("\n  (that key is the data dir's own copy: whoever can write the data dir can replace it, so this proves nothing against them; check with --pubkey FILE kept elsewhere)");
            }
        }
        t.push('\n');
        t
    });
    let j = serde_json::json!({
        "status": status,
        "key": s.key,
        "upto": s.upto,
        "count": s.count,
        "checked": s.checked,
        "end_signed": s.end_signed,
        "required": must_sign,
        "trusted_key": source,
    });
    (text, j)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::ledger::{Entry, Ledger, verify_ledger};
    use crate::sign::Signer;

    fn signer(seed: u8) -> Arc<Signer> {
        Arc::new(Signer::new(ed25519_dalek::SigningKey::from_bytes(
            &[seed; 32],
        )))
    }

    fn trust(s: &Signer) -> Trust {
        let key = Trusted {
            key: s.verifying_key(),
            id: s.id().to_string(),
            source: "k.pub".into(),
            in_data_dir: false,
        };
        Trust::new(Some(key), false)
    }

    /// A ledger of two sessions: the first unsigned (before the key), the second signed.
    fn ledger(signed_from: usize, s: &Arc<Signer>) -> LedgerReport {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ledger.jsonl");
        for (i, id) in ["aaaaaaaaaaaa", "bbbbbbbbbbbb"].iter().enumerate() {
            for start in [true, false] {
                let mut l = Ledger::lock(&p, 0o600).unwrap();
                l.set_signer((i >= signed_from).then(|| s.clone()));
                l.append(Entry {
                    seq: 0,
                    at: "2026-01-01T00:00:00Z".into(),
                    start,
                    session: id.to_string(),
                    file: format!("sessions/{id}.jsonl"),
                    prev: ZERO_HASH,
                    hash: [7; 32],
                    records: (!start).then_some(3),
                })
                .unwrap();
            }
        }
        verify_ledger(std::fs::File::open(p).unwrap()).unwrap()
    }

    #[test]
    fn sessions_before_the_first_signed_line_need_no_signature() {
        let s = signer(1);
        let mut r = ledger(1, &s);
        let seals = check_ledger(&mut r, &trust(&s));
        assert!(r.problem.is_none(), "{:?}", r.problem);
        assert_eq!((seals.first_signed, seals.signed), (Some(2), 2));
        assert!(!seals.must_sign(&trust(&s), Some(0)));
        assert!(seals.must_sign(&trust(&s), Some(2)));
        assert!(seals.must_sign(&trust(&s), None));
        assert!(!seals.must_sign(&Trust::default(), None));
    }

    #[test]
    fn a_ledger_with_no_signed_line_is_tampered_where_a_key_is_known() {
        let s = signer(1);
        let mut r = ledger(2, &s);
        check_ledger(&mut r, &trust(&s));
        assert!(r.problem.unwrap().found.contains("no signed line"));
        assert!(r.entries.is_empty());
        // No key known: as before.
        let mut r = ledger(2, &s);
        check_ledger(&mut r, &Trust::default());
        assert!(r.problem.is_none());
        assert_eq!(r.entries.len(), 4);
    }

    #[test]
    fn another_key_cuts_the_ledger_where_it_signs() {
        let s = signer(1);
        let mut r = ledger(1, &s);
        check_ledger(&mut r, &trust(&signer(2)));
        let p = r.problem.unwrap();
        assert_eq!(p.line, 3);
        assert!(p.found.contains("not by the trusted key"), "{}", p.found);
        assert_eq!(r.entries.len(), 2);
    }
}
