//! The session's time limit: notices before the end, then the end itself, and a limit
//! moved later by `breakglass extend`. Pure timing.

use std::time::Duration;

/// Notices go out this long before the end (longest first).
pub const NOTICES: [Duration; 2] = [Duration::from_secs(5 * 60), Duration::from_secs(60)];

/// After the hangup at the end, a child that is still alive this long later is killed.
pub const KILL_GRACE: Duration = Duration::from_secs(5);

/// The grace instead of [`KILL_GRACE`] when the session's screen is on the alternate
/// screen: a full-screen program such as vim, told to hang up, writes its swap file before
/// it goes, which on a loaded machine or a slow disk can take more than a few seconds.
pub const ALT_SCREEN_GRACE: Duration = Duration::from_secs(10);

/// What is due now.
#[derive(Debug, PartialEq, Eq)]
pub enum Due {
    /// Warn that this much time is left (the truth, even after a late wakeup).
    Notice(Duration),
    /// The time is up.
    Expire,
}

/// Tracks which notices were given.
#[derive(Debug)]
pub struct Ttl {
    limit: Duration,
    next_notice: usize,
    expired: bool,
}

/// The first notice still to give when `left` is left: notices that would already be
/// due (the session starts, or is extended, with less than their time left) are skipped.
fn first_notice(left: Duration) -> usize {
    NOTICES.iter().take_while(|n| **n >= left).count()
}

impl Ttl {
    pub fn new(limit: Duration) -> Self {
        Ttl {
            limit,
            next_notice: first_notice(limit),
            expired: false,
        }
    }

    /// The time limit, counted from the start.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Move the end to `limit` (from the start) at `elapsed`: notices already given are
    /// due again before the new end. Nothing changes once expired (the session is ending).
    pub fn extend(&mut self, limit: Duration, elapsed: Duration) -> bool {
        if self.expired || limit <= elapsed {
            return false;
        }
        self.limit = limit;
        self.next_notice = first_notice(limit - elapsed);
        true
    }

    /// Whether the notice just given was the last one before the end.
    pub fn last_given(&self) -> bool {
        !self.expired && self.next_notice >= NOTICES.len()
    }

    /// What is due at `elapsed` (call until it returns None).
    pub fn due(&mut self, elapsed: Duration) -> Option<Due> {
        if self.expired {
            return None;
        }
        if elapsed >= self.limit {
            self.expired = true;
            self.next_notice = NOTICES.len();
            return Some(Due::Expire);
        }
        let left = self.limit - elapsed;
        if NOTICES.get(self.next_notice).is_some_and(|n| left <= *n) {
            // Skip any later notice that is also already due.
            while NOTICES.get(self.next_notice).is_some_and(|m| left <= *m) {
                self.next_notice += 1;
            }
            return Some(Due::Notice(left));
        }
        None
    }

    /// How long from `elapsed` until something is next due (None once expired).
    pub fn until_next(&self, elapsed: Duration) -> Option<Duration> {
        if self.expired {
            return None;
        }
        let at = NOTICES
            .get(self.next_notice)
            .map_or(self.limit, |n| self.limit.saturating_sub(*n));
        Some(at.saturating_sub(elapsed))
    }
}

/// A notice given this much after its time (a busy machine wakes the hub late) still
/// says the time it stands for: the one-minute notice says one minute.
pub const NOTICE_SLACK: Duration = Duration::from_secs(5);

/// The time left a notice says: its own (5 minutes, 1 minute) when it is given within
/// [`NOTICE_SLACK`] of it, else the truth (rounded by [`crate::time::clock::left`]).
pub fn told(left: Duration) -> Duration {
    NOTICES
        .into_iter()
        .find(|n| left <= *n && *n - left <= NOTICE_SLACK)
        .unwrap_or(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn notices_then_expiry() {
        let mut t = Ttl::new(30 * MIN);
        assert_eq!(t.until_next(Duration::ZERO), Some(25 * MIN));
        assert_eq!(t.due(24 * MIN), None);
        assert_eq!(t.due(25 * MIN), Some(Due::Notice(5 * MIN)));
        assert_eq!(t.due(25 * MIN), None);
        assert_eq!(t.until_next(25 * MIN), Some(4 * MIN));
        assert_eq!(t.due(29 * MIN), Some(Due::Notice(MIN)));
        assert_eq!(t.until_next(29 * MIN), Some(MIN));
        assert_eq!(t.due(30 * MIN), Some(Due::Expire));
        assert_eq!(t.due(31 * MIN), None);
        assert_eq!(t.until_next(31 * MIN), None);
    }

    #[test]
    fn short_limits_skip_notices_that_cannot_apply() {
        let mut t = Ttl::new(3 * MIN);
        assert_eq!(t.until_next(Duration::ZERO), Some(2 * MIN));
        assert_eq!(t.due(2 * MIN), Some(Due::Notice(MIN)));
        let mut s = Ttl::new(Duration::from_secs(2));
        assert_eq!(s.until_next(Duration::ZERO), Some(Duration::from_secs(2)));
        assert_eq!(s.due(Duration::from_secs(2)), Some(Due::Expire));
    }

    #[test]
    fn a_late_wakeup_gives_one_notice_not_two() {
        let mut t = Ttl::new(30 * MIN);
        assert_eq!(
            t.due(29 * MIN + Duration::from_secs(30)),
            Some(Due::Notice(Duration::from_secs(30)))
        );
        assert_eq!(t.due(29 * MIN + Duration::from_secs(31)), None);
    }

    #[test]
    fn an_extension_re_arms_the_notices_given() {
        let mut t = Ttl::new(30 * MIN);
        assert_eq!(t.due(25 * MIN), Some(Due::Notice(5 * MIN)));
        assert!(!t.last_given());
        assert_eq!(t.due(29 * MIN), Some(Due::Notice(MIN)));
        assert!(t.last_given());
        // 29 minutes in, 30 more: both notices come again before the new end.
        assert!(t.extend(60 * MIN, 29 * MIN));
        assert_eq!(t.limit(), 60 * MIN);
        assert_eq!(t.due(29 * MIN), None);
        assert_eq!(t.until_next(29 * MIN), Some(26 * MIN));
        assert_eq!(t.due(55 * MIN), Some(Due::Notice(5 * MIN)));
        assert_eq!(t.due(59 * MIN), Some(Due::Notice(MIN)));
        assert_eq!(t.due(59 * MIN + MIN / 2), None);
        assert_eq!(t.due(60 * MIN), Some(Due::Expire));
    }

    #[test]
    fn an_extension_to_less_than_a_notice_skips_it() {
        let mut t = Ttl::new(30 * MIN);
        assert_eq!(t.due(29 * MIN), Some(Due::Notice(MIN)));
        // Three minutes left after it: the five-minute notice cannot apply, the last does.
        assert!(t.extend(32 * MIN, 29 * MIN));
        assert_eq!(t.until_next(29 * MIN), Some(2 * MIN));
        assert_eq!(t.due(31 * MIN), Some(Due::Notice(MIN)));
        assert_eq!(t.due(32 * MIN), Some(Due::Expire));
    }

    #[test]
    fn an_expired_limit_is_not_extended() {
        let mut t = Ttl::new(2 * MIN);
        assert_eq!(t.due(2 * MIN), Some(Due::Expire));
        assert!(!t.extend(10 * MIN, 2 * MIN));
        assert_eq!(t.limit(), 2 * MIN);
        assert_eq!(t.due(3 * MIN), None);
        let mut u = Ttl::new(2 * MIN);
        assert!(!u.extend(MIN, 90 * MIN / 60), "a new end already past");
    }

    #[test]
    fn a_notice_a_little_late_says_its_own_time() {
        assert_eq!(told(MIN - Duration::from_millis(1600)), MIN);
        assert_eq!(told(5 * MIN - Duration::from_secs(4)), 5 * MIN);
        assert_eq!(told(Duration::from_secs(30)), Duration::from_secs(30));
        assert_eq!(
            crate::time::clock::left(told(MIN - Duration::from_secs(3))),
            "1m"
        );
    }
}
