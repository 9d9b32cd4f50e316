//! The verifier's signature rules (docs/FORMAT.md, "Signed records"): every `s` line and
//! signed `x` line is checked against the trusted key; all are by one key; a log signed
//! from its start ends signed; and a log that must be signed (a key is known for where it
//! was recorded) has a signature at all.

use super::Verifier;
use crate::log::record::{Body, End};
use crate::log::seal::{self, SESSION_DOMAIN};

type Mismatch = (String, String);

impl Verifier {
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
