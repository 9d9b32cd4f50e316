//! The owner's terminal gone and back. When the terminal of an interactive session goes
//! away (its input ends or fails, a write to it fails, SIGHUP: a dropped ssh to the
//! bastion), the session is not ended: it is *detached*, recorded as a `detach`
//! participant event, and held for the config's `grace` while the child runs on and its
//! output is recorded. `breakglass attach` by the same user makes a socket client the
//! owner's terminal again (`attach`); when that client goes, the session is detached
//! again with a new grace period. A grace period that runs out ends the session as
//! `hangup`, as a zero grace does at once.
//!
//! The [`Presence`] (src/live/presence.rs) is shared with the live socket, which claims it for an attach so that
//! only a detached session is attached, and by one client at a time; the hub holds the
//! attached client itself ([`Owner::client`]) and sends it what the owner's terminal
//! would show. [`Owner`] keeps the presence, the grace deadline and the client; the hub
//! (session/hub/owner.rs) records `detach` and `attach` and tells everyone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::watchers::{RESYNC_QUIET, send};
use crate::live::{ToWatcher, WatcherHandle, WatcherId};
use crate::log::record::{Body, Participant};
use crate::time::clock;

pub use crate::live::presence::{Presence, Refused, Slot, claim, detached_until, release};

/// What the watchers are told when the owner's terminal goes.
pub fn gone_words(user: &str, until: jiff::Timestamp) -> String {
    format!(
        "{user}'s terminal is gone; the session is held until {} for `breakglass attach`",
        clock::hhmm(until, &clock::local())
    )
}

/// The hub's side of the owner's terminal.
#[derive(Debug, Default)]
pub struct Owner {
    /// How long a detached session waits; zero ends it at once.
    pub grace: Duration,
    pub slot: Slot,
    /// When the session ends if nobody attaches.
    pub deadline: Option<Instant>,
    /// The attached client, if any.
    pub client: Option<WatcherHandle>,
    /// The attached client fell behind and waits for a fresh screen.
    resync: bool,
    /// A write to the owner's terminal failed.
    pub lost: bool,
}

impl Owner {
    pub fn new(grace: Duration, slot: Slot) -> Owner {
        Owner {
            grace,
            slot,
            ..Owner::default()
        }
    }

    /// Whether the terminal the session started on is still its owner's terminal.
    pub fn here(&self) -> bool {
        self.presence() == Presence::Here
    }

    pub fn presence(&self) -> Presence {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, p: Presence) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }

    /// Whether `id` is the attached client.
    pub fn is(&self, id: WatcherId) -> bool {
        self.client.as_ref().is_some_and(|c| c.id == id)
    }

    /// The owner's terminal went away: held from now for the grace period, until the
    /// wall-clock time returned.
    pub fn detach(&mut self) -> jiff::Timestamp {
        let grace = self.grace;
        self.deadline = Some(Instant::now() + grace);
        let until = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from(grace).unwrap_or_default())
            .unwrap_or_else(|_| jiff::Timestamp::now());
        self.set(Presence::Detached { until });
        until
    }

    /// An attach was recorded: the session is no longer waiting for one.
    pub fn attach(&mut self) {
        self.deadline = None;
        self.set(Presence::Attached);
    }

    /// The attaching client, `h`, becomes the owner's terminal, from a snapshot of the
    /// log `upto` its length now.
    pub fn attached(&mut self, h: WatcherHandle, upto: u64) {
        send(&h, ToWatcher::Snapshot(upto));
        self.client = Some(h);
        self.resync = false;
    }

    /// The attached client is gone (or goes now).
    pub fn left(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The attached client drained its queue after falling behind.
    pub fn want_resync(&mut self) {
        self.resync = true;
    }

    /// Show `bytes` on the attached client, if there is one.
    pub fn show(&self, bytes: &[u8]) {
        if let Some(c) = &self.client {
            send(c, ToWatcher::Output(Arc::new(bytes.to_vec())));
        }
    }

    /// Whether a failed write to the owner's terminal was seen since last asked.
    pub fn take_lost(&mut self) -> bool {
        std::mem::take(&mut self.lost)
    }

    /// A fresh screen for an attached client that waits for one, once the output (last
    /// at `last_output`) has paused: a snapshot of the log `upto` its length now.
    pub fn resync_if_quiet(&mut self, last_output: Instant, upto: u64) {
        if self.resync
            && last_output.elapsed() >= RESYNC_QUIET
            && let Some(c) = &self.client
            && c.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
        {
            self.resync = false;
            c.behind.store(false, std::sync::atomic::Ordering::Release);
        }
    }

    /// Whether the grace period ran out by `now` with nobody attached (asked once).
    pub fn expired(&mut self, now: Instant) -> bool {
        if self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            return true;
        }
        false
    }

    /// When the loop must wake for the owner's terminal at the latest.
    pub fn due(&self, last_output: Instant) -> Option<Instant> {
        let resync = self.resync.then(|| last_output + RESYNC_QUIET);
        [self.deadline, resync].into_iter().flatten().min()
    }

    /// Send the attached client the session's last frame.
    pub fn end(&self, item: &ToWatcher) {
        if let Some(c) = &self.client {
            send(c, item.clone());
            if c.behind.load(std::sync::atomic::Ordering::Acquire) {
                let _ = c.stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

/// The owner's own participant record (`detach`, `attach`).
pub fn owner_event(event: &str) -> Body {
    Body::Participant(Participant {
        event: event.into(),
        who: super::login_name(),
        uid: Some(nix::unistd::getuid().as_raw()),
        mode: None,
        extension: None,
    })
}

/// Keep a terminal that hung up from stopping or killing breakglass: terminal writes and
/// settings from a process the terminal no longer knows must fail, not stop it.
pub fn ignore_terminal_signals() {
    for sig in [libc::SIGTTOU, libc::SIGTTIN, libc::SIGPIPE] {
        // SAFETY: setting a signal disposition to SIG_IGN involves no handler code.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_detached_session_is_claimed_and_only_once() {
        let slot = Slot::default();
        assert_eq!(claim(&slot), Err(Refused::OwnerHere));
        let until = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        *slot.lock().unwrap() = Presence::Detached { until };
        assert_eq!(
            detached_until(&slot).as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
        let was = claim(&slot).unwrap();
        assert_eq!(claim(&slot), Err(Refused::Taken));
        assert_eq!(detached_until(&slot), None);
        release(&slot, was);
        assert_eq!(*slot.lock().unwrap(), Presence::Detached { until });
        assert!(claim(&slot).is_ok());
    }

    #[test]
    fn release_leaves_what_the_hub_set_since() {
        let slot = Slot::default();
        let until = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        *slot.lock().unwrap() = Presence::Detached { until };
        let was = claim(&slot).unwrap();
        let later = jiff::Timestamp::from_second(1_800_000_300).unwrap();
        *slot.lock().unwrap() = Presence::Detached { until: later };
        release(&slot, was);
        assert_eq!(*slot.lock().unwrap(), Presence::Detached { until: later });
    }

    #[test]
    fn watchers_are_told_until_when() {
        let until = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let words = gone_words("alice", until);
        assert!(words.starts_with("alice's terminal is gone; the session is held until "));
        assert!(words.ends_with(" for `breakglass attach`"));
        assert_eq!(clock::hhmm(until, &clock::local()).len(), 5);
    }
}
