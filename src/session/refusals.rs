//! Refused clients, told about without letting one flood the screen (pure).
//!
//! Every refusal is recorded in the log, but the owner and the watchers get at most one
//! notice per user per [`NOTICE_EVERY`]: the first refusal at once, and the ones after it
//! in that window as a count on the next notice about that user.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// At most one notice of refusals per user this often: a flood of connections must not
/// bury the session's screen in notices, and one per 10 s still says it goes on.
pub const NOTICE_EVERY: Duration = Duration::from_secs(10);

/// Most users whose refusals are counted apart; past it the oldest entry is forgotten
/// (its next refusal is told at once), so the table stays small whatever happens.
const MAX_TRACKED: usize = 1024;

/// Per user: when they were last told about, and refusals since then not told.
#[derive(Debug, Default)]
pub struct Refusals {
    by_uid: HashMap<u32, (Instant, u64)>,
}

impl Refusals {
    /// A refusal of `uid` at `now`: the number of refusals to tell about now (this one
    /// and those held back since the last notice), or None to hold it back.
    pub fn refused(&mut self, uid: u32, now: Instant) -> Option<u64> {
        match self.by_uid.get_mut(&uid) {
            Some((last, held)) if now.duration_since(*last) < NOTICE_EVERY => {
                *held += 1;
                None
            }
            Some((last, held)) => {
                let n = *held + 1;
                *last = now;
                *held = 0;
                Some(n)
            }
            None => {
                if self.by_uid.len() >= MAX_TRACKED
                    && let Some(oldest) = self.by_uid.iter().min_by_key(|e| e.1.0).map(|e| *e.0)
                {
                    self.by_uid.remove(&oldest);
                }
                self.by_uid.insert(uid, (now, 0));
                Some(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_notice_per_user_per_window_with_a_count() {
        let t0 = Instant::now();
        let mut r = Refusals::default();
        assert_eq!(r.refused(7, t0), Some(1));
        for i in 1..50 {
            assert_eq!(r.refused(7, t0 + Duration::from_millis(i * 100)), None);
        }
        assert_eq!(r.refused(8, t0), Some(1), "another user is told apart");
        assert_eq!(
            r.refused(7, t0 + NOTICE_EVERY),
            Some(50),
            "49 held + this one"
        );
        assert_eq!(r.refused(7, t0 + NOTICE_EVERY * 3), Some(1));
    }

    #[test]
    fn the_table_stays_small() {
        let t0 = Instant::now();
        let mut r = Refusals::default();
        for uid in 0..(MAX_TRACKED as u32 * 2) {
            assert_eq!(
                r.refused(uid, t0 + Duration::from_micros(uid.into())),
                Some(1)
            );
        }
        assert!(r.by_uid.len() <= MAX_TRACKED);
    }
}
