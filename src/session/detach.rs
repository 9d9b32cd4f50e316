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
//! would show.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hub::{Ending, Hub, Inputs};
use super::watchers::{RESYNC_QUIET, send};
use crate::live::{FromWatcher, ToWatcher, WatcherHandle, WatcherId};
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

    fn presence(&self) -> Presence {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, p: Presence) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }

    /// Whether `id` is the attached client.
    pub fn is(&self, id: WatcherId) -> bool {
        self.client.as_ref().is_some_and(|c| c.id == id)
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

fn owner_event(event: &str) -> Body {
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
fn ignore_terminal_signals() {
    for sig in [libc::SIGTTOU, libc::SIGTTIN, libc::SIGPIPE] {
        // SAFETY: setting a signal disposition to SIG_IGN involves no handler code.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

impl Hub {
    /// The owner's terminal went away: detach, or end the session as before when it is
    /// not interactive or has no grace period.
    pub(super) fn terminal_gone(&mut self) {
        self.show = false;
        if !self.interactive || self.audience.owner.grace.is_zero() {
            self.end(Ending::Hangup);
            return;
        }
        if self.ending.is_some() || self.audience.owner.presence() != Presence::Here {
            return;
        }
        ignore_terminal_signals();
        self.detach();
    }

    /// Record the detach and hold the session for the grace period.
    fn detach(&mut self) {
        if !self.record_now(owner_event("detach")) {
            return;
        }
        let grace = self.audience.owner.grace;
        self.audience.owner.deadline = Some(Instant::now() + grace);
        let until = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from(grace).unwrap_or_default())
            .unwrap_or_else(|_| jiff::Timestamp::now());
        self.audience.owner.set(Presence::Detached { until });
        // The status row was the gone terminal's: an attached terminal is the session's
        // whole size, and breakglass's words reach it in its title.
        self.owner.row = None;
        self.owner.place = super::ownerrow::Place::Title;
        super::term::status_row(false);
        self.announce(&gone_words(&super::login_name(), until));
    }

    /// `breakglass attach`: the client becomes the owner's terminal.
    pub(super) fn on_attach(&mut self, h: WatcherHandle) {
        let size = h.attach.unwrap_or(self.size);
        if self.ending.is_some() || !self.record_now(owner_event("attach")) {
            let _ = h.stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        self.audience.owner.deadline = None;
        self.audience.owner.set(Presence::Attached);
        self.resize_to(crate::size::clamp(size.0, size.1));
        send(&h, ToWatcher::Snapshot(self.writer.len()));
        self.audience.owner.client = Some(h);
        self.audience.owner.resync = false;
        self.announce(&format!(
            "{} attached to the session again from another terminal",
            super::login_name()
        ));
    }

    /// What the attached client sends.
    pub(super) fn on_attached(&mut self, msg: FromWatcher) {
        match msg {
            FromWatcher::Input(b) if self.pty_has_room() => self.on_owner_input(b, Instant::now()),
            FromWatcher::Input(_) => {
                self.notice("the session is not reading its input: your keys were not sent")
            }
            FromWatcher::Resize(c, r) => self.resize_to(crate::size::clamp(c, r)),
            FromWatcher::Mark(text) => self.on_mark(&super::login_name(), &text),
            _ => {}
        }
    }

    /// The attached client is gone: detached again, with a new grace period.
    pub(super) fn attached_left(&mut self) {
        if let Some(c) = self.audience.owner.client.take() {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        if self.ending.is_none() {
            self.detach();
        }
    }

    /// The attached client drained its queue after falling behind.
    pub(super) fn attached_resync(&mut self) {
        self.audience.owner.resync = true;
    }

    /// Show `bytes` on the attached client, if there is one.
    pub(super) fn to_attached(&self, bytes: &[u8]) {
        if let Some(c) = &self.audience.owner.client {
            send(c, ToWatcher::Output(Arc::new(bytes.to_vec())));
        }
    }

    /// Once per turn of the loop: stop reading a terminal that is gone, give the attached
    /// client its fresh screen, end the session when the grace period is over.
    pub(super) fn tend_owner(&mut self, rx: &mut Inputs) {
        // A failed write alone ends nothing (as before: the output is still recorded); it
        // detaches only where a terminal that goes away does.
        let owner = &mut self.audience.owner;
        if std::mem::take(&mut owner.lost) && self.interactive && !owner.grace.is_zero() {
            self.terminal_gone();
        }
        let owner = &mut self.audience.owner;
        if owner.presence() != Presence::Here {
            rx.stdin_open = false;
        }
        if owner.resync && self.last_output.elapsed() >= RESYNC_QUIET {
            let upto = self.writer.len();
            if let Some(c) = &owner.client
                && c.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
            {
                owner.resync = false;
                c.behind.store(false, std::sync::atomic::Ordering::Release);
            }
        }
        if let Some(d) = owner.deadline
            && Instant::now() >= d
            && self.ending.is_none()
        {
            owner.deadline = None;
            let text = format!(
                "nobody attached within {}: ending the session",
                humantime::format_duration(owner.grace)
            );
            self.announce(&text);
            let marker = Body::Marker {
                by: "breakglass".into(),
                text,
            };
            self.record_now(marker);
            self.end(Ending::Hangup);
        }
    }

    /// When the loop must wake for the owner's terminal at the latest.
    pub(super) fn owner_due(&self) -> Option<Instant> {
        let o = &self.audience.owner;
        let resync = o.resync.then(|| self.last_output + RESYNC_QUIET);
        [o.deadline, resync].into_iter().flatten().min()
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
