//! The hub's side of signing: an `s` checkpoint when one is due by time (the writer itself
//! adds one after enough bytes), so an idle session is signed as well as a busy one.

use std::time::{Duration, Instant};

use super::hub::Hub;

impl Hub {
    /// Write a checkpoint if one is due now.
    pub(super) fn sign_if_due(&mut self) {
        if self.writer.next_checkpoint().is_none() {
            return;
        }
        let now = Instant::now();
        if self.writer.checkpoint_due(now) {
            self.record(|w, t| w.checkpoint(t), now);
        }
    }

    /// How long the loop may sleep before a checkpoint is due (None: none waits).
    pub(super) fn until_checkpoint(&self, now: Instant) -> Option<Duration> {
        self.writer
            .next_checkpoint()
            .map(|d| d.saturating_duration_since(now))
    }
}
