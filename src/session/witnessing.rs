//! The hub's side of the syslog witness: the head after enough output or time, every
//! participant event, and a marker in the log when messages could not be sent.

use std::time::Instant;

use super::hub::Hub;
use crate::log::record::Body;
use crate::witness::syslog::{HEAD_BYTES, HEAD_EVERY};

impl Hub {
    /// After output is recorded: witness the head if enough time or output has passed.
    pub(super) fn witness_output(&mut self, len: usize) {
        if self.syslog.is_none() {
            return;
        }
        self.witness_bytes += len as u64;
        if self.witness_bytes >= HEAD_BYTES || self.witnessed_at.elapsed() >= HEAD_EVERY {
            self.witness("head", &[], "head");
        }
    }

    /// After a participant event is recorded.
    pub(super) fn witness_event(&mut self, event: &str, who: &str) {
        if self.syslog.is_some() {
            let extra = [("event", event.to_string()), ("who", who.to_string())];
            self.witness("event", &extra, &format!("{who} {event}"));
        }
    }

    fn witness(&mut self, msgid: &str, extra: &[(&str, String)], what: &str) {
        let Some(s) = self.syslog.clone() else { return };
        let (seq, head) = (self.writer.records().saturating_sub(1), self.writer.head());
        s.head(
            &self.session_id,
            msgid,
            seq,
            &head,
            extra,
            &format!("session {} {what} at seq {seq}", self.session_id),
        );
        self.witnessed_at = Instant::now();
        self.witness_bytes = 0;
        let missed = s.missed();
        if missed > self.syslog_missed {
            self.syslog_missed = missed;
            let text = format!("syslog witness: {missed} message(s) could not be sent so far");
            self.record_now(Body::Marker {
                by: "breakglass".into(),
                text,
            });
        }
    }
}
