//! The verifier's signature rules (docs/FORMAT.md, "Signed records"): every `s` line and
//! signed `x` line is checked against the trusted key; all are by one key; a log signed
//! from its start ends signed; and a log that must be signed (a key is known for where it
//! was recorded) has a signature at all.

use super::Verifier;
use crate::log::record::{Body, End};
use crate::log::seal::{self, SESSION_DOMAIN};

type Mismatch = (String, String);

impl Verifier {
    /// Check signatures against `key` (its name beside it), and require them if `required`.
    pub fn with_seals(
        mut self,
        key: Option<(ed25519_dalek::VerifyingKey, String)>,
        required: bool,
    ) -> Self {
        self.trusted = key;
        self.required = required;
        self
    }
    /// Check the signature a record carries, if any, and note what it covers.
    pub(super) fn seal(&mut self, n: u64, line: &[u8], body: &Body) -> Result<(), Mismatch> {
        let (s, end) = match body {
            Body::Checkpoint(s) => (s, false),
            Body::End(End { seal: Some(s), .. }) => (s, true),
            _ => return Ok(()),
        };
        if let Some((key, id)) = &self.trusted {
            seal::check(SESSION_DOMAIN, line, s, key)
                .map_err(|e| (format!("a valid signature by {id}"), e.to_string()))?;
        } else if let Some(k) = &self.report.seals.key
            && *k != s.key
        {
            return Err((
                format!("signatures by one key ({k})"),
                format!("a signature by {}", s.key),
            ));
        }
        let seals = &mut self.report.seals;
        seals.key.get_or_insert_with(|| s.key.clone());
        seals.upto = Some(n);
        seals.count += 1;
        seals.checked = self.trusted.is_some();
        seals.end_signed |= end;
        Ok(())
    }

    /// At the end of the log: is it signed as far as it must be?
    pub(super) fn seals_complete(&mut self) {
        let records = self.report.records;
        let signed = self.report.seals.count > 0;
        let key = self
            .trusted
            .as_ref()
            .map(|(_, id)| id.clone())
            .or_else(|| self.report.seals.key.clone())
            .unwrap_or_else(|| "the data dir's key".into());
        if self.report.end.is_some() && !self.report.seals.end_signed && (signed || self.required) {
            let why = if signed {
                "a log signed from its start ends signed"
            } else {
                "sessions recorded where this key is known are signed"
            };
            self.fail(
                records,
                Some(records - 1),
                0,
                format!("the end record signed by {key} ({why})"),
                "an end record without a signature (signatures stripped, or the end rewritten)",
            );
        } else if self.report.end.is_none() && !signed && self.required && records >= 2 {
            self.fail(
                2,
                Some(1),
                0,
                format!("a signature checkpoint by {key} at seq 1 (sessions recorded where this key is known are signed from their start)"),
                "no signature in the log (signatures stripped, or written without the key)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::log::chain::ZERO_HASH;
    use crate::log::record::Genesis;
    use crate::log::verify::{Verdict, Verifier, Witnesses, verify_with};
    use crate::log::writer::LogWriter;
    use crate::sign::Signer;

    fn signer(seed: u8) -> Arc<Signer> {
        Arc::new(Signer::new(ed25519_dalek::SigningKey::from_bytes(
            &[seed; 32],
        )))
    }

    /// A log written by the real writer, signed by `s` (or not), ended or not.
    fn log(s: Option<Arc<Signer>>, ended: bool) -> Vec<u8> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l.jsonl");
        let f = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&p)
            .unwrap();
        let g = Genesis {
            v: 1,
            session: "aaaaaaaaaaaa".into(),
            started: "2026-01-01T00:00:00Z".into(),
            tool: "breakglass 0".into(),
            ..Genesis::default()
        };
        let mut w = LogWriter::create_signed(f, g, ZERO_HASH, s).unwrap();
        w.output(5, b"hello").unwrap();
        if ended {
            w.finish(9, crate::log::writer::test_end()).unwrap();
        }
        drop(w);
        std::fs::read(p).unwrap()
    }

    fn check(bytes: &[u8], key: Option<&Signer>, required: bool) -> crate::log::verify::Report {
        let key = key.map(|s| (s.verifying_key(), s.id().to_string()));
        let v = Verifier::new(Witnesses::new()).with_seals(key, required);
        verify_with(bytes, v, |_| {}).unwrap()
    }

    #[test]
    fn a_signed_log_is_signed_to_its_end_and_checked() {
        let s = signer(1);
        let bytes = log(Some(s.clone()), true);
        let r = check(&bytes, Some(&s), true);
        assert_eq!(r.verdict(), Verdict::Verified, "{:?}", r.problem);
        assert_eq!(r.seals.upto, Some(r.records - 1));
        assert!(r.seals.checked && r.seals.end_signed);
        assert_eq!(r.seals.count, 2);
        // Without a key: read, not checked.
        let r = check(&bytes, None, false);
        assert_eq!(r.verdict(), Verdict::Verified);
        assert!(!r.seals.checked);
    }

    #[test]
    fn another_key_and_a_changed_byte_are_tampered_at_their_seq() {
        let s = signer(1);
        let bytes = log(Some(s.clone()), true);
        let r = check(&bytes, Some(&signer(2)), true);
        assert_eq!(r.verdict(), Verdict::Tampered);
        assert_eq!(r.problem.as_ref().unwrap().seq, Some(1));
        // The end's exit status changed and its own hash no longer matters: the signature
        // over it fails.
        let text = String::from_utf8(bytes)
            .unwrap()
            .replace("\"exit\":0", "\"exit\":1");
        let r = check(text.as_bytes(), Some(&s), true);
        assert_eq!(r.verdict(), Verdict::Tampered);
        assert_eq!(r.problem.as_ref().unwrap().seq, Some(3));
        assert!(r.problem.unwrap().found.contains("does not match"));
    }

    #[test]
    fn a_log_that_must_be_signed_and_is_not_is_tampered() {
        let r = check(&log(None, true), Some(&signer(1)), true);
        assert_eq!(r.verdict(), Verdict::Tampered);
        assert!(r.problem.unwrap().found.contains("without a signature"));
        let r = check(&log(None, false), Some(&signer(1)), true);
        assert_eq!(r.verdict(), Verdict::Tampered);
        assert_eq!(r.problem.unwrap().seq, Some(1));
        // Not required: as before.
        assert_eq!(
            check(&log(None, true), None, false).verdict(),
            Verdict::Verified
        );
        let r = check(&log(None, false), None, false);
        assert_eq!(r.verdict(), Verdict::Interrupted);
    }

    #[test]
    fn a_killed_signed_log_is_signed_to_its_checkpoint() {
        let s = signer(1);
        let r = check(&log(Some(s.clone()), false), Some(&s), true);
        assert_eq!(r.verdict(), Verdict::Interrupted);
        assert_eq!(r.seals.upto, Some(1));
        assert!(!r.seals.end_signed);
    }
}
