//! Everyone attached to the session ([`Audience`]): the watchers, who holds the keyboard
//! (with the owner's way back, session/wheel.rs), the owner's terminal (session/detach.rs),
//! catch-up frames and fresh screens for watchers that fell behind, and who the owner's
//! keys are dropped for. Sending to a watcher never blocks: a full queue marks it behind.
//! The hub (session/hub/socket.rs) records the participant events and says the notices.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::TrySendError;
use std::time::{Duration, Instant};

use super::refusals::Refusals;
use super::wheel::Wheel;
use crate::live::acl::{Access, Peer};
use crate::live::pace::{CatchUp, Tracker};
use crate::live::protocol::State;
use crate::live::{LiveState, ToWatcher, WatcherHandle, WatcherId};
use crate::log::record::{Body, Participant};
use crate::log::vocab::Event;

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

    /// Tell every watcher who holds the keyboard and who watches; the socket answers new
    /// clients with it too.
    pub fn publish(&self) {
        let state = State {
            wheel: self.driver(),
            watchers: self.watchers.iter().map(|w| w.peer.name.clone()).collect(),
        };
        self.live.lock().unwrap_or_else(|p| p.into_inner()).0 = state.clone();
        self.broadcast(&ToWatcher::State(Arc::new(state)));
    }

    /// A watcher whose join is recorded: its snapshot of the log `upto` its length now,
    /// and it is one of the audience.
    pub fn join(&mut self, h: WatcherHandle, upto: u64) {
        send(&h, ToWatcher::Snapshot(upto));
        self.tracker.set_watching(true);
        self.watchers.push(h);
    }

    /// Watcher `id` left: no longer one of the audience, its connection closed.
    pub fn leave(&mut self, id: WatcherId) -> Option<WatcherHandle> {
        let pos = self.watchers.iter().position(|w| w.id == id)?;
        let w = self.watchers.remove(pos);
        let _ = w.stream.shutdown(std::net::Shutdown::Both);
        if self.watchers.is_empty() {
            self.tracker.set_watching(false);
        }
        Some(w)
    }

    /// Whether watcher `id` holds the keyboard.
    pub fn drives(&self, id: WatcherId) -> bool {
        self.wheel == Some(id)
    }

    /// Who watcher `id` is and what it may do.
    pub fn peer(&self, id: WatcherId) -> Option<(Peer, Access)> {
        self.get(id).map(|w| (w.peer.clone(), w.access))
    }

    /// A notice for watcher `id` alone.
    pub fn tell(&self, id: WatcherId, text: &str) {
        if let Some(w) = self.get(id) {
            send(w, ToWatcher::Notice(Arc::from(text)));
        }
    }

    /// A notice for every watcher but `except`, who is told in its own words by its
    /// client when the keyboard comes to it.
    pub fn tell_others(&self, except: WatcherId, text: &str) {
        let item = ToWatcher::Notice(Arc::from(text));
        for w in self.watchers.iter().filter(|w| w.id != except) {
            send(w, item.clone());
        }
    }

    /// Watcher `id` asks for a fresh screen: a snapshot of the log `upto` its length
    /// now, once the output (last at `last_output`) has paused.
    pub fn resync(&mut self, id: WatcherId, last_output: Instant, upto: u64) {
        if last_output.elapsed() < RESYNC_QUIET {
            if !self.resync_wanted.contains(&id) {
                self.resync_wanted.push(id);
                let why =
                    "the output is too fast to show here: your screen catches up when it pauses";
                if let Some(w) = self.get(id) {
                    let _ = w.tx.try_send(ToWatcher::Notice(Arc::from(why)));
                }
            }
            return;
        }
        if let Some(w) = self.watchers.iter_mut().find(|w| w.id == id)
            && w.behind.load(Ordering::Acquire)
            && w.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
        {
            w.pace.reset();
            w.behind.store(false, Ordering::Release);
        }
    }

    /// Fresh screens for the watchers that waited for the output to pause.
    pub fn grant_resyncs(&mut self, last_output: Instant, upto: u64) {
        if !self.resync_wanted.is_empty() && last_output.elapsed() >= RESYNC_QUIET {
            for id in std::mem::take(&mut self.resync_wanted) {
                self.resync(id, last_output, upto);
            }
        }
    }

    /// The session is over, so its output has paused for good: a watcher still behind (a
    /// loaded machine may never have paused long enough) gets the last screen now.
    pub fn grant_resyncs_at_end(&mut self, upto: u64) {
        self.resync_wanted.clear();
        for w in &mut self.watchers {
            if w.behind.load(Ordering::Acquire) && w.tx.try_send(ToWatcher::Snapshot(upto)).is_ok()
            {
                w.pace.reset();
                w.behind.store(false, Ordering::Release);
            }
        }
    }

    /// Whether the owner's keystrokes may go to the session now; if not, they are dropped
    /// and the owner is to be told why (at most every [`REMIND_EVERY`]).
    pub fn owner_may_type(&mut self) -> Result<(), Option<String>> {
        let remind = self.reminded.is_none_or(|t| t.elapsed() >= REMIND_EVERY);
        if self.wheel.is_some() {
            if remind {
                self.reminded = Some(Instant::now());
                let who = self.driver();
                let how = self.wheel_watch.how();
                return Err(Some(format!(
                    "{who} holds the keyboard; your keys are not sent. {how}"
                )));
            }
            return Err(None);
        }
        if self.require_operator && !self.operator_attached() {
            if remind {
                self.reminded = Some(Instant::now());
                return Err(Some(DROPPED.into()));
            }
            return Err(None);
        }
        Ok(())
    }

    /// The keyboard holder, when a look at it is due and it has not read for
    /// [`STALL_LIMIT`](super::wheel::STALL_LIMIT): its id and name.
    pub fn stalled_holder(&mut self, now: Instant) -> Option<(WatcherId, String)> {
        let id = self.wheel?;
        if !self.wheel_watch.sample_due(now) {
            return None;
        }
        let w = self.watchers.iter().find(|w| w.id == id)?;
        self.wheel_watch
            .stalled(&w.stream, now)
            .then(|| (id, w.peer.name.clone()))
    }

    /// Watcher `id` holds the keyboard now (its `take` is recorded).
    pub fn give_wheel(&mut self, id: WatcherId) {
        self.wheel = Some(id);
        self.wheel_watch.taken(Instant::now());
    }

    /// The keyboard is back with the owner (a `return`, `reclaim` or `lost` is recorded).
    pub fn drop_wheel(&mut self) {
        self.wheel = None;
        self.wheel_watch.reset();
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
pub fn joined_as(w: &WatcherHandle) -> Access {
    if w.operate_now {
        Access::Operate
    } else {
        Access::Watch
    }
}

/// A watcher's participant record.
pub fn participant(event: Event, peer: &Peer, mode: Option<Access>) -> Body {
    Body::Participant(Participant {
        event: event.as_str().into(),
        who: peer.name.clone(),
        uid: Some(peer.uid),
        mode: mode.map(|m| m.as_str().to_string()),
        extension: None,
    })
}
