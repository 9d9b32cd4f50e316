//! What the hub does for the live socket's clients: joins, leaves, refusals and markers,
//! a watcher's keys and commands, who holds the keyboard (taken, handed back, reclaimed
//! by the owner, lost by a holder that closed or stalled), fresh screens, and
//! `breakglass extend`. Each is a participant record first, then the notices; the
//! audience (session/watchers.rs) and the time limit (session/extend.rs) decide.

use std::sync::Arc;
use std::time::Instant;

use super::super::extend::{Judged, Request, extend_record};
use super::super::watchers::{DROPPED, joined_as, participant};
use super::super::wheel::STALL_LIMIT;
use super::{Ending, Hub};
use crate::live::acl::{Access, Peer};
use crate::live::{FromWatcher, ToWatcher, WatcherHandle, WatcherId};
use crate::log::record::Body;
use crate::log::vocab::Event;
use crate::safe;
use crate::session::login_name;

impl Hub {
    pub(super) fn on_join(&mut self, h: WatcherHandle) {
        let body = participant(Event::Join, &h.peer, Some(joined_as(&h)));
        if !self.record_now(body) {
            return;
        }
        let (id, name, operate_now) = (h.id, h.peer.name.clone(), h.operate_now);
        let what = if h.access == Access::Operate {
            "operator"
        } else {
            "watcher"
        };
        let upto = self.log.writer.len();
        self.audience.join(h, upto);
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

    pub(super) fn on_denied(&mut self, peer: Peer, mode: &str) {
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

    pub(super) fn on_mark(&mut self, who: &str, text: &str) {
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

    pub(super) fn on_left(&mut self, id: WatcherId) {
        let held = self.audience.drives(id);
        if held {
            self.holder_gone(id);
        }
        let Some(w) = self.audience.leave(id) else {
            return;
        };
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

    pub(super) fn on_resync(&mut self, id: WatcherId) {
        let upto = self.log.writer.len();
        self.audience.resync(id, self.last_output, upto);
    }

    /// Fresh screens for the watchers that waited for the output to pause.
    pub(super) fn grant_resyncs(&mut self) {
        let upto = self.log.writer.len();
        self.audience.grant_resyncs(self.last_output, upto);
    }

    pub(super) fn on_watcher(&mut self, id: WatcherId, msg: FromWatcher) {
        let Some((peer, access)) = self.audience.peer(id) else {
            return;
        };
        match msg {
            FromWatcher::Input(bytes) if self.audience.drives(id) && self.pty_has_room() => {
                self.on_input(&peer.name, bytes, Instant::now())
            }
            FromWatcher::Input(_) if self.audience.drives(id) => self.audience.tell(
                id,
                "the session is not reading its input: your keys were not sent",
            ),
            FromWatcher::Input(_) | FromWatcher::Detach | FromWatcher::Resize(..) => {}
            FromWatcher::Take if access == Access::Operate => self.take(id),
            FromWatcher::Return if self.audience.drives(id) => self.give_back(id),
            FromWatcher::Kill if access == Access::Operate => {
                if self.record_now(participant(Event::Kill, &peer, None)) {
                    self.announce(&format!("{} ended the session", peer.name));
                }
                self.end(Ending::Killed);
            }
            FromWatcher::Take | FromWatcher::Kill => self
                .audience
                .tell(id, "only root and the operators may do that"),
            FromWatcher::Return => {}
            FromWatcher::Mark(text) => self.on_mark(&peer.name, &text),
        }
    }

    fn take(&mut self, id: WatcherId) {
        let Some((peer, _)) = self.audience.peer(id) else {
            return;
        };
        if self.audience.drives(id)
            || !self.record_now(participant(Event::Take, &peer, Some(Access::Operate)))
        {
            return;
        }
        self.audience.give_wheel(id);
        // The new state first: a client that shows the notice knows who drives, so keys
        // its user types on reading it are sent.
        self.state_changed();
        self.notice(&format!(
            "{} has taken the keyboard: your keys are not sent until they hand it back",
            peer.name
        ));
        self.audience
            .tell_others(id, &format!("{} has taken the keyboard", peer.name));
    }

    fn give_back(&mut self, id: WatcherId) {
        let Some((peer, _)) = self.audience.peer(id) else {
            return;
        };
        if self.record_now(participant(Event::Return, &peer, None)) {
            self.audience.wheel = None;
            self.state_changed();
            self.announce(&format!(
                "{} handed the keyboard back to {}",
                peer.name,
                login_name()
            ));
        }
    }

    /// The owner asked for the keyboard back (escape key, then `t`).
    pub(super) fn owner_reclaims(&mut self) {
        let Some(id) = self.audience.wheel else {
            return;
        };
        if !self.audience.wheel_watch.allowed {
            let how = self.audience.wheel_watch.how();
            self.notice(&how);
            return;
        }
        let owner = login_name();
        self.lose_wheel(
            id,
            Event::Reclaim,
            &format!("{owner} took the keyboard back"),
        );
    }

    /// The holder's connection closed while it held the keyboard.
    fn holder_gone(&mut self, id: WatcherId) {
        let (name, owner) = (self.audience.driver(), login_name());
        self.lose_wheel(
            id,
            Event::Lost,
            &format!("{name}'s connection closed: the keyboard is back with {owner}"),
        );
    }

    /// Take the keyboard from a holder that has not read for [`STALL_LIMIT`].
    pub(super) fn watch_wheel(&mut self, now: Instant) {
        if let Some((id, name)) = self.audience.stalled_holder(now) {
            let owner = login_name();
            self.lose_wheel(
                id,
                Event::Lost,
                &format!(
                    "{name} has not read the session for {} s: the keyboard is back with {owner}",
                    STALL_LIMIT.as_secs()
                ),
            );
        }
    }

    /// Record that watcher `id` no longer holds the keyboard (`event`), then tell everyone.
    fn lose_wheel(&mut self, id: WatcherId, event: Event, text: &str) {
        let Some((peer, _)) = self.audience.peer(id) else {
            return;
        };
        if !self.record_now(participant(event, &peer, None)) {
            return;
        }
        self.audience.drop_wheel();
        self.announce(text);
        self.state_changed();
    }

    pub(super) fn on_extend(&mut self, req: Request) {
        let answer = self.extend(&req);
        let _ = req.reply.try_send(answer);
    }

    /// Judge, record and make an extension; the reply to the asker.
    fn extend(&mut self, req: &Request) -> Result<String, String> {
        let limit = match self.limit.judge(req, self.child.over()) {
            Judged::Extend(limit) => limit,
            Judged::Refuse(why) => return Err(why),
            Judged::Deny(why) => {
                self.on_denied(req.peer.clone(), "extend");
                return Err(why);
            }
        };
        if !self.record_now(extend_record(req, limit)) {
            return Err("the session could not record the extension, so it was not made".into());
        }
        let (told, reply) = self.limit.extend(limit, req);
        self.announce(&told);
        // The final warning's title goes: the end is no longer a minute away.
        self.state_changed();
        Ok(reply)
    }
}
