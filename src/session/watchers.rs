//! The hub's side of watching: who is attached, who holds the keyboard, and the
//! participant records and notices for every join, leave, take, return, kill, refusal
//! and marker. Sending to a watcher never blocks: a full queue marks it behind.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::TrySendError;
use std::time::{Duration, Instant};

use super::hub::{Ending, Hub};
use super::pty;
use super::refusals::Refusals;
use super::wheel::Wheel;
use crate::live::acl::{Access, Peer};
use crate::live::pace::{CatchUp, Tracker};
use crate::live::protocol::State;
use crate::live::{FromWatcher, LiveState, ToWatcher, WatcherHandle, WatcherId};
use crate::log::record::{Body, Participant};
use crate::log::vocab::Event;
use crate::safe;

/// What the owner of a `require_operator` session is told when they type while no operator
/// watches: one rule, before the start and after an operator leaves.
pub const DROPPED: &str = "no operator is watching: your keys are dropped, not sent; type them again once an operator joins (breakglass watch --operate)";
/// A watcher that fell behind gets its fresh screen once the output has paused this long:
/// output that cannot be fast-forwarded (binary data, full-screen programs) only reaches
/// a screen through the emulator, which plays ~36 MB/s, and must not race a flood.
pub const RESYNC_QUIET: Duration = Duration::from_millis(200);
/// The owner is reminded that their keys are not sent at most this often.
pub(super) const REMIND_EVERY: Duration = Duration::from_secs(5);

/// Everyone attached to the session, and the keyboard.
pub struct Audience {
    pub watchers: Vec<WatcherHandle>,
    /// The watcher holding the keyboard; None: the owner.
    pub wheel: Option<WatcherId>,
    pub live: LiveState,
    /// Drop the owner's input while no operator is attached (see [`DROPPED`]).
    pub require_operator: bool,
    pub reminded: Option<Instant>,
    /// The terminal title without the watcher count.
    pub title: String,
    /// Follows the output for catch-up frames (fully only while someone watches).
    pub tracker: Tracker,
    /// Watchers that fell behind and wait for the output to pause to get a fresh screen.
    pub resync_wanted: Vec<WatcherId>,
    /// The owner's way back to the keyboard, and the watch on its holder.
    pub wheel_watch: Wheel,
    /// Refused clients, for notices at most once per user per 10 s.
    pub refusals: Refusals,
    /// The owner's terminal: here, detached, or a `breakglass attach` client.
    pub owner: super::detach::Owner,
}

impl Audience {
    pub fn new(live: LiveState, require_operator: bool, title: String, wheel: Wheel) -> Audience {
        Audience {
            watchers: Vec::new(),
            wheel: None,
            live,
            require_operator,
            reminded: None,
            title,
            tracker: Tracker::new(),
            resync_wanted: Vec::new(),
            wheel_watch: wheel,
            refusals: Refusals::default(),
            owner: super::detach::Owner::default(),
        }
    }

    fn get(&self, id: WatcherId) -> Option<&WatcherHandle> {
        self.watchers.iter().find(|w| w.id == id)
    }

    /// Whether someone watches who joined to operate (`watch --operate`); a plain `watch`
    /// does not count, whoever joins with it, and its join record says `watch`.
    pub fn operator_attached(&self) -> bool {
        self.watchers.iter().any(|w| w.operate_now)
    }

    /// Who holds the keyboard, by name.
    pub fn driver(&self) -> String {
        self.wheel
            .and_then(|id| self.get(id))
            .map_or_else(|| "owner".into(), |w| w.peer.name.clone())
    }

    /// Queue an item for every watcher that keeps up; mark the others behind.
    pub fn broadcast(&self, item: &ToWatcher) {
        for w in &self.watchers {
            send(w, item.clone());
        }
    }

    /// Output: to every watcher within its pace; the others skip until their next frame.
    pub fn output(&mut self, bytes: Vec<u8>, now: Instant) {
        let mark = self.tracker.mark();
        let chunk = Arc::new(bytes);
        self.tracker.push(&chunk);
        for w in &mut self.watchers {
            if w.pace.admit(chunk.len(), mark, now) {
                send(w, ToWatcher::Output(Arc::clone(&chunk)));
            }
        }
    }

    /// Send the catch-up frames that are due (all of them with `all`), on a screen of
    /// `rows`. A watcher for whom no exact frame exists is resynced with a snapshot.
    pub fn pace(&mut self, rows: u16, now: Instant, all: bool) {
        for w in &mut self.watchers {
            let Some(from) = w.pace.due(now, all) else {
                continue;
            };
            match self.tracker.catch_up(from, rows) {
                CatchUp::Caught => w.pace.reset(),
                CatchUp::Frame { bytes, to } => {
                    let caught = to.offset == self.tracker.mark().offset;
                    w.pace.sent(bytes.len(), to, caught, now);
                    send(w, ToWatcher::Output(Arc::new(bytes)));
                }
                CatchUp::Lost => {
                    w.pace.reset();
                    w.behind.store(true, Ordering::Release);
                }
            }
        }
    }

    /// When the next catch-up frame is due.
    pub fn next_frame(&self) -> Option<Instant> {
        self.watchers
            .iter()
            .filter_map(|w| w.pace.next_frame())
            .min()
    }
}

pub(super) fn send(w: &WatcherHandle, item: ToWatcher) {
    if w.behind.load(Ordering::Acquire) {
        return;
    }
    if let Err(TrySendError::Full(_)) = w.tx.try_send(item) {
        w.behind.store(true, Ordering::Release);
    }
}

/// The mode a watcher joined in (`watch --operate` or plain `watch`), as its join and
/// leave records say; it is what counts for `require_operator`, not what it may do.
fn joined_as(w: &WatcherHandle) -> Access {
    if w.operate_now {
        Access::Operate
    } else {
        Access::Watch
    }
}

fn participant(event: Event, peer: &Peer, mode: Option<Access>) -> Body {
    Body::Participant(Participant {
        event: event.as_str().into(),
        who: peer.name.clone(),
        uid: Some(peer.uid),
        mode: mode.map(|m| m.as_str().to_string()),
        extension: None,
    })
}

impl Hub {
    /// A line for the owner and every watcher.
    pub fn announce(&mut self, text: &str) {
        self.notice(text);
        let text = safe::text(text);
        self.audience
            .broadcast(&ToWatcher::Notice(Arc::from(&*text)));
    }

    /// Tell everyone who holds the keyboard and who watches; update the title.
    pub fn state_changed(&mut self) {
        let state = State {
            wheel: self.audience.driver(),
            watchers: self
                .audience
                .watchers
                .iter()
                .map(|w| w.peer.name.clone())
                .collect(),
        };
        self.audience
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0 = state.clone();
        self.audience.broadcast(&ToWatcher::State(Arc::new(state)));
        self.status_changed();
    }

    pub fn on_join(&mut self, h: WatcherHandle) {
        let body = participant(Event::Join, &h.peer, Some(joined_as(&h)));
        if !self.record_now(body) {
            return;
        }
        let upto = self.writer.len();
        send(&h, ToWatcher::Snapshot(upto));
        self.audience.tracker.set_watching(true);
        let (id, name, operate_now) = (h.id, h.peer.name.clone(), h.operate_now);
        let what = if h.access == Access::Operate {
            "operator"
        } else {
            "watcher"
        };
        self.audience.watchers.push(h);
        self.announce(&format!("{name} is now watching this session ({what})"));
        self.state_changed();
        if operate_now {
            self.take(id);
        } else if self.audience.require_operator && !self.audience.operator_attached() {
            self.notice(&format!(
                "{name} watches but did not join to operate: your keys are still dropped until an operator joins (breakglass watch --operate)"
            ));
        }
    }

    pub fn on_denied(&mut self, peer: Peer, mode: &str) {
        // What was asked for, when it is a way of watching (`attach` and `extend` are not).
        let access = mode.parse::<Access>().ok();
        self.record_now(participant(Event::Deny, &peer, access));
        let Some(n) = self.audience.refusals.refused(peer.uid, Instant::now()) else {
            return;
        };
        let times = match n {
            1 => String::new(),
            n => format!(" ({n} times since the last notice)"),
        };
        self.announce(&format!(
            "{} (uid {}) tried to {} this session and was refused{times}",
            safe::text(&peer.name),
            peer.uid,
            safe::text(mode)
        ));
    }

    pub fn on_mark(&mut self, who: &str, text: &str) {
        let body = Body::Marker {
            by: who.to_string(),
            text: text.to_string(),
        };
        if self.record_now(body) {
            self.announce(&format!(
                "marker by {}: {}",
                safe::text(who),
                safe::text(text)
            ));
        }
    }

    pub fn on_left(&mut self, id: WatcherId) {
        let held = self.audience.wheel == Some(id);
        if held {
            self.holder_gone(id);
        }
        let Some(pos) = self.audience.watchers.iter().position(|w| w.id == id) else {
            return;
        };
        let w = self.audience.watchers.remove(pos);
        let _ = w.stream.shutdown(std::net::Shutdown::Both);
        if self.audience.watchers.is_empty() {
            self.audience.tracker.set_watching(false);
        }
        self.record_now(participant(Event::Leave, &w.peer, Some(joined_as(&w))));
        let left = format!("{} stopped watching", w.peer.name);
        if held {
            // The owner was just told the holder's connection closed: that notice stays
            // on their status row rather than give way to this one at once.
            self.audience
                .broadcast(&ToWatcher::Notice(Arc::from(&*safe::text(&left))));
        } else {
            self.announce(&left);
        }
        if w.operate_now && self.audience.require_operator && !self.audience.operator_attached() {
            self.notice(DROPPED);
        }
        self.state_changed();
    }

    pub fn on_resync(&mut self, id: WatcherId) {
        if self.last_output.elapsed() < RESYNC_QUIET {
            if !self.audience.resync_wanted.contains(&id) {
                self.audience.resync_wanted.push(id);
                let why =
                    "the output is too fast to show here: your screen catches up when it pauses";
                if let Some(w) = self.audience.get(id) {
                    let _ = w.tx.try_send(ToWatcher::Notice(Arc::from(why)));
                }
            }
            return;
        }
        let upto = self.writer.len();
        if let Some(w) = self.audience.watchers.iter_mut().find(|w| w.id == id)
            && w.behind.load(Ordering::Acquire)
            && w.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
        {
            w.pace.reset();
            w.behind.store(false, Ordering::Release);
        }
    }

    /// Fresh screens for the watchers that waited for the output to pause.
    pub fn grant_resyncs(&mut self) {
        if !self.audience.resync_wanted.is_empty() && self.last_output.elapsed() >= RESYNC_QUIET {
            for id in std::mem::take(&mut self.audience.resync_wanted) {
                self.on_resync(id);
            }
        }
    }

    /// The session is over, so its output has paused for good: a watcher still behind (a
    /// loaded machine may never have paused long enough) gets the last screen now.
    pub fn grant_resyncs_at_end(&mut self) {
        self.audience.resync_wanted.clear();
        let upto = self.writer.len();
        for w in &mut self.audience.watchers {
            if w.behind.load(Ordering::Acquire) && w.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
            {
                w.pace.reset();
                w.behind.store(false, Ordering::Release);
            }
        }
    }

    pub fn on_watcher(&mut self, id: WatcherId, msg: FromWatcher) {
        let Some(w) = self.audience.get(id) else {
            return;
        };
        let (peer, access) = (w.peer.clone(), w.access);
        match msg {
            FromWatcher::Input(bytes) if self.audience.wheel == Some(id) && self.pty_has_room() => {
                self.on_input(&peer.name, bytes, Instant::now())
            }
            FromWatcher::Input(_) if self.audience.wheel == Some(id) => {
                let busy = "the session is not reading its input: your keys were not sent";
                let _ = self
                    .audience
                    .get(id)
                    .map(|w| send(w, ToWatcher::Notice(Arc::from(busy))));
            }
            FromWatcher::Input(_) | FromWatcher::Detach | FromWatcher::Resize(..) => {}
            FromWatcher::Take if access == Access::Operate => self.take(id),
            FromWatcher::Return if self.audience.wheel == Some(id) => self.give_back(id),
            FromWatcher::Kill if access == Access::Operate => {
                if self.record_now(participant(Event::Kill, &peer, None)) {
                    self.announce(&format!("{} ended the session", peer.name));
                }
                self.end(Ending::Killed);
            }
            FromWatcher::Take | FromWatcher::Kill => {
                let _ = self.audience.get(id).map(|w| {
                    send(
                        w,
                        ToWatcher::Notice(Arc::from("only root and the operators may do that")),
                    )
                });
            }
            FromWatcher::Return => {}
            FromWatcher::Mark(text) => self.on_mark(&peer.name, &text),
        }
    }

    fn take(&mut self, id: WatcherId) {
        let Some(w) = self.audience.get(id) else {
            return;
        };
        let peer = w.peer.clone();
        if self.audience.wheel == Some(id)
            || !self.record_now(participant(Event::Take, &peer, Some(Access::Operate)))
        {
            return;
        }
        self.audience.wheel = Some(id);
        self.wheel_taken();
        // The new state first: a client that shows the notice knows who drives, so keys
        // its user types on reading it are sent.
        self.state_changed();
        self.notice(&format!(
            "{} has taken the keyboard: your keys are not sent until they hand it back",
            peer.name
        ));
        self.tell_others(id, &format!("{} has taken the keyboard", peer.name));
    }

    fn give_back(&mut self, id: WatcherId) {
        let Some(w) = self.audience.get(id) else {
            return;
        };
        let peer = w.peer.clone();
        if self.record_now(participant(Event::Return, &peer, None)) {
            self.audience.wheel = None;
            self.state_changed();
            self.announce(&format!(
                "{} handed the keyboard back to {}",
                peer.name,
                super::login_name()
            ));
        }
    }

    /// Whether the owner's keystrokes may go to the session now; if not, they are dropped and the owner is told why.
    pub fn owner_may_type(&mut self) -> bool {
        let remind = self
            .audience
            .reminded
            .is_none_or(|t| t.elapsed() >= REMIND_EVERY);
        if self.audience.wheel.is_some() {
            if remind {
                self.audience.reminded = Some(Instant::now());
                let who = self.audience.driver();
                let how = self.audience.wheel_watch.how();
                self.notice(&format!(
                    "{who} holds the keyboard; your keys are not sent. {how}"
                ));
            }
            return false;
        }
        if self.audience.require_operator && !self.audience.operator_attached() {
            if remind {
                self.audience.reminded = Some(Instant::now());
                self.notice(DROPPED);
            }
            return false;
        }
        true
    }

    /// Kill the child's session if the hub gave up on it (used by `end`).
    pub fn hard_kill(&self) {
        pty::signal_session(&self.master, self.pid, libc::SIGKILL);
    }
}
