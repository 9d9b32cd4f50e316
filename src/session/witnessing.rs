//! The syslog witness, the session's side: the log's head after enough output or time and
//! after every participant event, and a marker for the log when messages could not be
//! sent. It owns when the head was last sent; the hub records the marker it returns.

use std::time::Instant;

use crate::log::record::Body;
use crate::log::writer::LogWriter;
use crate::witness::syslog::{HEAD_BYTES, HEAD_EVERY, Syslog};

/// What the session sends its syslog witness, and when it last did.
pub struct Witness {
    syslog: Option<Syslog>,
    session_id: String,
    /// When the head was last witnessed, and output since.
    at: Instant,
    bytes: u64,
    /// Syslog messages lost, as last recorded in the log.
    missed: u64,
}

impl Witness {
    pub fn new(syslog: Option<Syslog>, session_id: String, start: Instant) -> Witness {
        Witness {
            syslog,
            session_id,
            at: start,
            bytes: 0,
            missed: 0,
        }
    }

    /// After output is recorded: witness the head if enough time or output has passed.
    /// A marker to record when messages were lost since the last one.
    pub fn output(&mut self, len: usize, writer: &LogWriter) -> Option<Body> {
        self.syslog.as_ref()?;
        self.bytes += len as u64;
        if self.bytes >= HEAD_BYTES || self.at.elapsed() >= HEAD_EVERY {
            return self.witness(writer, "head", &[], "head");
        }
        None
    }

    /// After a participant event is recorded; a marker to record as [`Witness::output`].
    pub fn event(&mut self, event: &str, who: &str, writer: &LogWriter) -> Option<Body> {
        self.syslog.as_ref()?;
        let extra = [("event", event.to_string()), ("who", who.to_string())];
        self.witness(writer, "event", &extra, &format!("{who} {event}"))
    }

    fn witness(
        &mut self,
        writer: &LogWriter,
        msgid: &str,
        extra: &[(&str, String)],
        what: &str,
    ) -> Option<Body> {
        let s = self.syslog.clone()?;
        let (seq, head) = (writer.records().saturating_sub(1), writer.head());
        s.head(
            &self.session_id,
            msgid,
            seq,
            &head,
            extra,
            &format!("session {} {what} at seq {seq}", self.session_id),
        );
        self.at = Instant::now();
        self.bytes = 0;
        let missed = s.missed();
        if missed > self.missed {
            self.missed = missed;
            let text = format!("syslog witness: {missed} message(s) could not be sent so far");
            return Some(Body::Marker {
                by: "breakglass".into(),
                text,
            });
        }
        None
    }
}
