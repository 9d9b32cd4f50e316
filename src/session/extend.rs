//! `breakglass extend`: the session's side. Who may move the time limit later and how far
//! (pure: [`decide`]), and the hub recording the extension, re-arming its notices and
//! telling everyone. The limit lives in one place, the hub's [`Ttl`](super::ttl::Ttl);
//! [`Hub::ttl_limit`] and [`Hub::ends_at`] read it for anything that shows the end.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::hub::Hub;
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

impl Hub {
    /// The current time limit, counted from the start.
    pub fn ttl_limit(&self) -> Duration {
        self.ttl.limit()
    }

    /// When the session ends by its time limit, on the wall clock.
    pub fn ends_at(&self) -> Timestamp {
        let left = self.ttl.limit().saturating_sub(self.start.elapsed());
        clock::after(Timestamp::now(), left)
    }

    /// "14:32 (in 5m)", with what is left as `left` says (a notice says its own time).
    pub(super) fn end_words(&self, left: Duration) -> String {
        let end = clock::after(Timestamp::now(), left);
        format!(
            "{} (in {})",
            clock::hhmm(end, &clock::local()),
            clock::left(left)
        )
    }

    pub(super) fn on_extend(&mut self, req: Request) {
        let answer = self.extend(&req);
        let _ = req.reply.try_send(answer);
    }

    fn extend(&mut self, req: &Request) -> Result<String, String> {
        if self.ending.is_some() || self.status.is_some() {
            return Err("the session is ending; it can no longer be extended".into());
        }
        if req.asked.elapsed() > ANSWER_WAIT {
            return Err("the session was too busy to answer in time; nothing was changed".into());
        }
        let now = Now {
            limit: self.ttl.limit(),
            elapsed: self.start.elapsed(),
            wall: Timestamp::now(),
        };
        if let Err(why) = allowed(req.owner, req.operator, self.extend_rules) {
            self.on_denied(req.peer.clone(), "extend");
            return Err(why);
        }
        let limit = new_limit(req.by, self.extend_rules, now, &clock::local())?;
        let body = Body::Participant(Participant {
            event: "extend".into(),
            who: req.peer.name.clone(),
            uid: Some(req.peer.uid),
            mode: None,
            extension: Some(Extension {
                ttl_s: limit.as_secs(),
                by_s: req.by.as_secs(),
            }),
        });
        if !self.record_now(body) {
            return Err("the session could not record the extension, so it was not made".into());
        }
        self.ttl.extend(limit, self.start.elapsed());
        let ends = self.end_words(limit.saturating_sub(self.start.elapsed()));
        let to = clock::hhmm(self.ends_at(), &clock::local());
        self.announce(&format!(
            "{} extended the session to {to} (+{}): it now ends at {ends}",
            req.peer.name,
            clock::short(req.by)
        ));
        // The final warning's title goes: the end is no longer a minute away.
        self.state_changed();
        Ok(format!(
            "extended by {}: the session now ends at {ends}",
            clock::short(req.by)
        ))
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
