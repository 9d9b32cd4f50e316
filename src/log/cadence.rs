//! When a signed session writes its next `s` checkpoint: soon enough that no record stays
//! unsigned for long, rarely enough that signing costs nothing measurable.
//!
//! Pure: the caller says what it wrote and when; this says when a checkpoint is due.

use std::time::{Duration, Instant};

/// No record waits longer than this for a signature while the session runs: a session
/// killed without its end record is signed up to at most this long before it died.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(10);

/// ...nor behind more than this many log bytes. Every output byte is at least one log
/// byte, so this is at least one checkpoint per 8 MB of output; at the recorder's speed
/// that is several a second in a flood, each one signature (tens of microseconds).
pub const CHECKPOINT_BYTES: u64 = 8_000_000;

/// What has been written since the last signature.
#[derive(Debug, Default, Clone)]
pub struct Cadence {
    /// When the first record after the last signature was written.
    since: Option<Instant>,
    bytes: u64,
}

impl Cadence {
    /// A record of `len` bytes that no signature covers yet was written at `now`.
    pub fn wrote(&mut self, len: u64, now: Instant) {
        self.since.get_or_insert(now);
        self.bytes = self.bytes.saturating_add(len);
    }

    /// A signature now covers everything written.
    pub fn signed(&mut self) {
        *self = Cadence::default();
    }

    /// Whether enough bytes wait for a checkpoint to write one right away.
    pub fn bytes_due(&self) -> bool {
        self.bytes >= CHECKPOINT_BYTES
    }

    /// When a checkpoint must be written at the latest; None when nothing waits.
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + CHECKPOINT_EVERY)
    }

    /// Whether a checkpoint is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.bytes_due() || self.deadline().is_some_and(|d| now >= d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_waits_nothing_is_due() {
        let c = Cadence::default();
        assert_eq!(c.deadline(), None);
        assert!(!c.due(Instant::now() + CHECKPOINT_EVERY * 10));
    }

    #[test]
    fn due_after_time_counted_from_the_first_unsigned_record() {
        let t0 = Instant::now();
        let mut c = Cadence::default();
        c.wrote(10, t0);
        c.wrote(10, t0 + Duration::from_secs(9));
        assert_eq!(c.deadline(), Some(t0 + CHECKPOINT_EVERY));
        assert!(!c.due(t0 + Duration::from_secs(9)));
        assert!(c.due(t0 + CHECKPOINT_EVERY));
        c.signed();
        assert!(!c.due(t0 + CHECKPOINT_EVERY * 2));
    }

    #[test]
    fn due_after_bytes() {
        let t0 = Instant::now();
        let mut c = Cadence::default();
        c.wrote(CHECKPOINT_BYTES - 1, t0);
        assert!(!c.bytes_due());
        c.wrote(1, t0);
        assert!(c.bytes_due() && c.due(t0));
    }
}
