//! The session's time limit and `breakglass extend`, the session's side. [`Limit`] keeps
//! the limit in one place (a [`Ttl`]): the notices before the end and their words, when
//! it ends on the wall clock ([`Limit::ends_at`], for anything that shows the end), and
//! an extension judged (pure: who may, [`allowed`], and how far, [`new_limit`]) and made,
//! re-arming the notices. The hub records the `extend` event and tells everyone.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::term;
use super::ttl::{self, Due, Ttl};
use crate::log::record::{Body, Extension, Participant};
use crate::time::clock;

pub use crate::live::extend::{ANSWER_WAIT, REPLY_WAIT, Request, ask};

/// The policy an extension is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// `max_ttl`: the longest the limit may be, counted from the start.
    pub max: Duration,
    /// `extend_requires_operator`: the owner may not extend, only an operator.
    pub operator_only: bool,
}

/// Where the session stands when asked: its limit, how long it has run, and the wall
/// clock now (for the words).
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub limit: Duration,
    pub elapsed: Duration,
    pub wall: Timestamp,
}

impl Now {
    fn at(&self, limit: Duration) -> Timestamp {
        clock::after(self.wall, limit.saturating_sub(self.elapsed))
    }
}

/// Whether the asker may extend at all, or a one-line reason why not.
pub fn allowed(owner: bool, operator: bool, rules: Rules) -> Result<(), String> {
    if rules.operator_only && owner {
        return Err(
            "only an operator may extend this session (the policy sets extend_requires_operator): ask one to run breakglass extend"
                .into(),
        );
    }
    if !owner && !operator {
        return Err(
            "only the session's owner and its operators may extend it; you may watch it".into(),
        );
    }
    Ok(())
}

/// The new limit, or a one-line reason for refusing. An extension past `max` is refused
/// whole, never cut down to fit: the asker is told the latest end allowed.
pub fn new_limit(by: Duration, rules: Rules, now: Now, tz: &TimeZone) -> Result<Duration, String> {
    let limit = now.limit.saturating_add(by);
    if limit > rules.max {
        let latest = clock::hhmm(now.at(rules.max), tz);
        let room = rules.max.saturating_sub(now.limit);
        let more = if room.is_zero() {
            "it already ends then".to_string()
        } else {
            format!("extend by {} at most", clock::short(room))
        };
        return Err(format!(
            "+{} would end the session at {}, past its longest time limit of {} (max_ttl) from the start: the latest end allowed is {latest}; {more}",
            clock::short(by),
            clock::hhmm(now.at(limit), tz),
            clock::short(rules.max),
        ));
    }
    Ok(limit)
}

/// The record of an extension to `limit` (from the start), as `req` asked.
pub fn extend_record(req: &Request, limit: Duration) -> Body {
    Body::Participant(Participant {
        event: "extend".into(),
        who: req.peer.name.clone(),
        uid: Some(req.peer.uid),
        mode: None,
        extension: Some(Extension {
            ttl_s: limit.as_secs(),
            by_s: req.by.as_secs(),
        }),
    })
}

/// "14:32 (in 5m)", with what is left as `left` says (a notice says its own time).
pub fn end_words(left: Duration) -> String {
    let end = clock::after(Timestamp::now(), left);
    format!(
        "{} (in {})",
        clock::hhmm(end, &clock::local()),
        clock::left(left)
    )
}

/// What a request to extend comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Judged {
    /// Move the limit to this, from the start (once recorded).
    Extend(Duration),
    /// Refused: the session is ending, too busy, or past `max_ttl`.
    Refuse(String),
    /// Refused because of who asked: a `deny` to record as well.
    Deny(String),
}

/// A time-limit notice or the end, due now.
#[derive(Debug)]
pub struct Notice {
    /// What everyone is told (and the marker says).
    pub text: String,
    /// The last notice before the end: the owner is warned as well, this long before.
    pub last: Option<Duration>,
    /// The time is up: the session ends.
    pub expire: bool,
}

/// The session's time limit, the one place it is kept, and what may move it.
pub struct Limit {
    ttl: Ttl,
    rules: Rules,
    start: Instant,
    session_id: String,
}

impl Limit {
    pub fn new(limit: Duration, rules: Rules, start: Instant, session_id: String) -> Limit {
        Limit {
            ttl: Ttl::new(limit),
            rules,
            start,
            session_id,
        }
    }

    /// The current time limit, counted from the start.
    pub fn limit(&self) -> Duration {
        self.ttl.limit()
    }

    /// When the session ends by its time limit, on the wall clock.
    pub fn ends_at(&self) -> Timestamp {
        let left = self.ttl.limit().saturating_sub(self.start.elapsed());
        clock::after(Timestamp::now(), left)
    }

    /// How long until the next notice or the end.
    pub fn until_next(&self) -> Option<Duration> {
        self.ttl.until_next(self.start.elapsed())
    }

    /// The next notice (or the end) due at `elapsed`; call until it returns None.
    pub fn due(&mut self, elapsed: Duration) -> Option<Notice> {
        let due = self.ttl.due(elapsed)?;
        let limit = clock::short(self.ttl.limit());
        let text = match due {
            Due::Notice(left) if self.ttl.last_given() => format!(
                "time limit {limit}: this session ends at {}. Save your work now; for more time: breakglass extend {} DURATION",
                end_words(ttl::told(left)),
                self.session_id
            ),
            Due::Notice(left) => format!(
                "time limit {limit}: this session ends at {}; for more time: breakglass extend {} DURATION",
                end_words(ttl::told(left)),
                self.session_id
            ),
            Due::Expire if term::on_alternate_screen() => format!(
                "time limit of {limit} reached at {}: ending the session; the full-screen program is told to hang up and has {} to save before it is killed",
                clock::hhmm(Timestamp::now(), &clock::local()),
                clock::short(ttl::ALT_SCREEN_GRACE)
            ),
            Due::Expire => format!(
                "time limit of {limit} reached at {}: ending the session",
                clock::hhmm(Timestamp::now(), &clock::local())
            ),
        };
        let last = match due {
            Due::Notice(left) if self.ttl.last_given() => Some(left),
            _ => None,
        };
        Some(Notice {
            text,
            last,
            expire: due == Due::Expire,
        })
    }

    /// Judge `req`; `over`: the session is already ending.
    pub fn judge(&self, req: &Request, over: bool) -> Judged {
        if over {
            return Judged::Refuse("the session is ending; it can no longer be extended".into());
        }
        if req.asked.elapsed() > ANSWER_WAIT {
            return Judged::Refuse(
                "the session was too busy to answer in time; nothing was changed".into(),
            );
        }
        let now = Now {
            limit: self.ttl.limit(),
            elapsed: self.start.elapsed(),
            wall: Timestamp::now(),
        };
        if let Err(why) = allowed(req.owner, req.operator, self.rules) {
            return Judged::Deny(why);
        }
        match new_limit(req.by, self.rules, now, &clock::local()) {
            Ok(limit) => Judged::Extend(limit),
            Err(why) => Judged::Refuse(why),
        }
    }

    /// Move the limit to `limit` as recorded for `req`: what everyone is told, and the
    /// reply to the asker.
    pub fn extend(&mut self, limit: Duration, req: &Request) -> (String, String) {
        self.ttl.extend(limit, self.start.elapsed());
        let ends = end_words(limit.saturating_sub(self.start.elapsed()));
        let to = clock::hhmm(self.ends_at(), &clock::local());
        let told = format!(
            "{} extended the session to {to} (+{}): it now ends at {ends}",
            req.peer.name,
            clock::short(req.by)
        );
        let reply = format!(
            "extended by {}: the session now ends at {ends}",
            clock::short(req.by)
        );
        (told, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn now() -> Now {
        Now {
            limit: 60 * MIN,
            elapsed: 55 * MIN,
            wall: "2026-11-30T14:27:00Z".parse().unwrap(),
        }
    }

    const RULES: Rules = Rules {
        max: Duration::from_secs(2 * 3600),
        operator_only: false,
    };

    #[test]
    fn the_owner_and_operators_extend_within_max_ttl() {
        let tz = TimeZone::UTC;
        assert_eq!(new_limit(30 * MIN, RULES, now(), &tz), Ok(90 * MIN));
        assert_eq!(new_limit(60 * MIN, RULES, now(), &tz), Ok(120 * MIN));
    }

    #[test]
    fn a_watcher_or_an_owner_under_operator_only_is_refused() {
        let e = allowed(false, false, RULES).unwrap_err();
        assert!(
            e.contains("only the session's owner and its operators"),
            "{e}"
        );
        let strict = Rules {
            operator_only: true,
            ..RULES
        };
        let e = allowed(true, false, strict).unwrap_err();
        assert!(e.contains("extend_requires_operator"), "{e}");
        let e = allowed(true, true, strict).unwrap_err();
        assert!(
            e.contains("only an operator"),
            "the owner, even listed: {e}"
        );
        assert_eq!(allowed(false, true, strict), Ok(()));
        assert_eq!(allowed(true, false, RULES), Ok(()));
    }

    #[test]
    fn past_max_ttl_is_refused_whole_with_the_latest_end() {
        let tz = TimeZone::UTC;
        // Started 13:32, ends 14:32, max 2h: the latest end is 15:32.
        let e = new_limit(90 * MIN, RULES, now(), &tz).unwrap_err();
        assert_eq!(
            e,
            "+1h30m would end the session at 16:02, past its longest time limit of 2h (max_ttl) from the start: the latest end allowed is 15:32; extend by 1h at most"
        );
        let full = Now {
            limit: 120 * MIN,
            ..now()
        };
        let e = new_limit(MIN, RULES, full, &tz).unwrap_err();
        assert!(
            e.ends_with("the latest end allowed is 15:32; it already ends then"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        // A client may ask for any number of seconds: refused, without a panic.
        let e = new_limit(Duration::from_secs(u64::MAX), RULES, now(), &tz).unwrap_err();
        assert!(e.contains("the latest end allowed is 15:32"), "{e}");
    }
}
