//! The log side of the hub: the writer, the first error that stopped it, masked input
//! dropped or sealed on its way in (session/sealing.rs), and the `s` checkpoint when one
//! is due by time (the writer itself adds one after enough bytes), so an idle session is
//! signed as well as a busy one. A write that fails says so ([`Written::Broke`]); the hub
//! then ends the session.

use std::time::{Duration, Instant};

use super::sealing::Masking;
use super::secret::Piece;
use crate::log::writer::LogWriter;

/// What became of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The log failed before: nothing more is written.
    Down,
    /// The log failed now: the session must end.
    Broke,
}

/// The session's log, as the hub writes it.
pub struct Recorder {
    pub writer: LogWriter,
    start: Instant,
    /// The log could not be written: why.
    pub error: Option<String>,
    /// Masked input dropped to its length or sealed.
    masking: Masking,
}

impl Recorder {
    pub fn new(writer: LogWriter, start: Instant, masking: Masking) -> Recorder {
        Recorder {
            writer,
            start,
            error: None,
            masking,
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// Record at `at`, unless the log failed before.
    pub fn record(
        &mut self,
        f: impl FnOnce(&mut LogWriter, u64) -> std::io::Result<()>,
        at: Instant,
    ) -> Written {
        if self.error.is_some() {
            return Written::Down;
        }
        let t = self.micros(at);
        match f(&mut self.writer, t) {
            Ok(()) => Written::Done,
            Err(e) => {
                self.error = Some(e.to_string());
                Written::Broke
            }
        }
    }

    /// Record input `by` typed, already split into clear and secret pieces; masked bytes
    /// may wait for the end of their line.
    pub fn input(&mut self, by: &str, pieces: Vec<Piece>, at: Instant) -> Written {
        let records = match self.masking.records(by, pieces) {
            Ok(r) => r,
            Err(e) => return self.fail_masking(e),
        };
        for (who, data) in records {
            match self.record(|w, t| w.input(t, &who, data), at) {
                Written::Done => {}
                other => return other,
            }
        }
        Written::Done
    }

    /// Record masked input still waiting to be sealed (the session is over).
    pub fn flush_sealed(&mut self) -> Written {
        match self.masking.flush() {
            Ok(Some((who, data))) => self.record(|w, t| w.input(t, &who, data), Instant::now()),
            Ok(None) => Written::Done,
            Err(e) => self.fail_masking(e),
        }
    }

    /// Sealing failed: the input cannot be recorded, so the session ends.
    fn fail_masking(&mut self, e: std::io::Error) -> Written {
        self.error = Some(format!("cannot seal masked input: {e}"));
        Written::Broke
    }

    /// Write a checkpoint if one is due now.
    pub fn sign_if_due(&mut self) -> Written {
        if self.writer.next_checkpoint().is_none() {
            return Written::Done;
        }
        let now = Instant::now();
        if self.writer.checkpoint_due(now) {
            return self.record(|w, t| w.checkpoint(t), now);
        }
        Written::Done
    }

    /// How long the loop may sleep before a checkpoint is due (None: none waits).
    pub fn until_checkpoint(&self, now: Instant) -> Option<Duration> {
        self.writer
            .next_checkpoint()
            .map(|d| d.saturating_duration_since(now))
    }
}
