//! What the hub does for the owner's terminal and the child: output shown and keys passed
//! on (through the typeahead hold and the masking), the owner's escape-key commands and
//! status row, the terminal gone and a `breakglass attach` back, signals and resizes,
//! and the time limit's notices and end. The parts decide; this records, shows and tells.

use std::time::{Duration, Instant};

use super::super::detach::{self, Presence, gone_words};
use super::super::ending::{Asked, Ending, asked};
use super::super::extend::end_words;
use super::super::ownerkeys::Command;
use super::super::secret::TtyMode;
use super::super::{pty, term, ttl};
use super::{ECHO_WATCH, Hub, Inputs};
use crate::live::{FromWatcher, ToWatcher, WatcherHandle};
use crate::log::record::Body;
use crate::session::login_name;

impl Hub {
    pub(super) fn on_output(&mut self, bytes: Vec<u8>, at: Instant) {
        self.last_output = Instant::now();
        self.echo_watch = None;
        if self.record(|w, t| w.output(t, &bytes), at) {
            if let Some(marker) = self.witness.output(bytes.len(), &self.log.writer) {
                self.record_now(marker);
            }
            self.secrets.on_output(&bytes);
            self.show_output(&bytes);
            self.audience.output(bytes, Instant::now());
        }
    }

    /// Show the child's output, through the status row's filter when there is a row.
    fn show_output(&mut self, bytes: &[u8]) {
        let shown = self.owner.filter(bytes);
        self.show(&shown);
    }

    /// The owner typed: send it unless a watcher holds the keyboard or an operator is
    /// required and absent.
    pub(super) fn on_owner_input(&mut self, bytes: Vec<u8>, at: Instant) {
        // Piped input is read for the escape key only while a watcher holds the keyboard,
        // as the owner's keys are not sent then anyway.
        let bytes = if self.interactive || self.audience.wheel.is_some() {
            let keys = self.audience.wheel_watch.keys.read(&bytes);
            for c in keys.commands {
                self.owner_command(c);
            }
            keys.pass
        } else {
            bytes
        };
        if !bytes.is_empty() && self.owner_may_type() {
            self.on_input("owner", bytes, at);
        }
    }

    /// Whether the owner's keys may go to the session now; if not, they are dropped and
    /// the owner is told why.
    fn owner_may_type(&mut self) -> bool {
        match self.audience.owner_may_type() {
            Ok(()) => true,
            Err(told) => {
                if let Some(text) = told {
                    self.notice(&text);
                }
                false
            }
        }
    }

    /// Act on what the owner asked for with their escape key.
    fn owner_command(&mut self, c: Command) {
        if c == Command::Take {
            self.owner_reclaims();
            return;
        }
        let facts = self.facts();
        self.owner.command(c, &facts);
        self.status_changed();
    }

    /// Input that reached breakglass: passed on now, or partly held (session/typeahead.rs).
    pub(super) fn on_input(&mut self, by: &str, bytes: Vec<u8>, at: Instant) {
        if let Some(now) = self.typeahead.hold_more(by, &bytes) {
            for (who, b) in now {
                self.pass_input(&who, b, Instant::now());
            }
            return;
        }
        if self.secrets.enabled()
            && !self.secrets.expecting_secret()
            && let Some(cut) = super::super::typeahead::cut_after_line(&bytes)
        {
            self.pass_input(by, bytes[..cut].to_vec(), at);
            self.typeahead.hold(by, &bytes[cut..]);
            return;
        }
        self.pass_input(by, bytes, at);
    }

    /// Pass held input on once the session asks for a secret or the grace is over.
    pub(super) fn check_held(&mut self) {
        let Some(due) = self.typeahead.due() else {
            return;
        };
        let asked =
            self.secrets.expecting_secret() || pty::tty_mode(&self.child.master) != TtyMode::Open;
        if asked || Instant::now() >= due {
            // When a secret was asked for, through the hold again (its first line is the
            // secret, what follows may answer the next prompt); else all of it.
            for (by, bytes) in self.typeahead.release() {
                if asked {
                    self.on_input(&by, bytes, Instant::now());
                } else {
                    self.pass_input(&by, bytes, Instant::now());
                }
            }
        }
    }

    /// Record input (masking secrets) and pass it to the PTY.
    fn pass_input(&mut self, by: &str, bytes: Vec<u8>, at: Instant) {
        if self.child.over() {
            return;
        }
        if let Some(&last) = bytes.last() {
            self.open_line = !matches!(last, b'\r' | b'\n' | 0x04);
        }
        let mode = if self.secrets.enabled() {
            pty::tty_mode(&self.child.master)
        } else {
            TtyMode::Open
        };
        let pieces = self.secrets.on_input(&bytes, mode);
        let written = self.log.input(by, pieces, at);
        if !self.wrote(written) {
            return;
        }
        // There is room: input is only taken while the PTY queue has some.
        let _ = self.to_pty.send(&bytes);
        self.echo_watch = Some(Instant::now() + ECHO_WATCH);
    }

    /// The first bytes on the owner's terminal, of `term` size: the status row, when it
    /// has one.
    pub(super) fn start_row(&mut self, term: (u16, u16)) {
        let facts = self.facts();
        if let Some(bytes) = self.owner.start_row(term, &facts) {
            self.show(&bytes);
        }
    }

    /// The shown notice has had its time.
    pub(super) fn status_tick(&mut self, now: Instant) {
        if self.owner.tick(now) {
            self.status_changed();
        }
    }

    /// The owner's terminal went away: detach, or end the session as before when it is
    /// not interactive or has no grace period.
    pub(super) fn terminal_gone(&mut self) {
        self.show = false;
        if !self.interactive || self.audience.owner.grace.is_zero() {
            self.end(Ending::Hangup);
            return;
        }
        if self.child.ending.is_some() || self.audience.owner.presence() != Presence::Here {
            return;
        }
        detach::ignore_terminal_signals();
        self.detach();
    }

    /// Record the detach and hold the session for the grace period.
    fn detach(&mut self) {
        if !self.record_now(detach::owner_event("detach")) {
            return;
        }
        let until = self.audience.owner.detach();
        self.owner.to_title();
        self.announce(&gone_words(&login_name(), until));
    }

    /// `breakglass attach`: the client becomes the owner's terminal.
    pub(super) fn on_attach(&mut self, h: WatcherHandle) {
        let size = h.attach.unwrap_or(self.child.size);
        if self.child.ending.is_some() || !self.record_now(detach::owner_event("attach")) {
            let _ = h.stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        self.audience.owner.attach();
        self.resize_to(crate::size::clamp(size.0, size.1));
        let upto = self.log.writer.len();
        self.audience.owner.attached(h, upto);
        self.announce(&format!(
            "{} attached to the session again from another terminal",
            login_name()
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
            FromWatcher::Mark(text) => self.on_mark(&login_name(), &text),
            _ => {}
        }
    }

    /// The attached client is gone: detached again, with a new grace period.
    pub(super) fn attached_left(&mut self) {
        self.audience.owner.left();
        if self.child.ending.is_none() {
            self.detach();
        }
    }

    /// Once per turn of the loop: stop reading a terminal that is gone, give the attached
    /// client its fresh screen, end the session when the grace period is over.
    pub(super) fn tend_owner(&mut self, rx: &mut Inputs) {
        // A failed write alone ends nothing (as before: the output is still recorded); it
        // detaches only where a terminal that goes away does.
        if self.audience.owner.take_lost()
            && self.interactive
            && !self.audience.owner.grace.is_zero()
        {
            self.terminal_gone();
        }
        if self.audience.owner.presence() != Presence::Here {
            rx.stdin_open = false;
        }
        let upto = self.log.writer.len();
        self.audience.owner.resync_if_quiet(self.last_output, upto);
        if self.child.ending.is_none() && self.audience.owner.expired(Instant::now()) {
            let text = format!(
                "nobody attached within {}: ending the session",
                humantime::format_duration(self.audience.owner.grace)
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

    pub(super) fn on_signal(&mut self, sig: i32) {
        match asked(sig) {
            Asked::Resize => self.on_resize(),
            Asked::Hangup => self.terminal_gone(),
            Asked::End => self.end(Ending::Killed),
            Asked::Nothing => {}
        }
    }

    fn on_resize(&mut self) {
        if !self.audience.owner.here() {
            return; // the terminal breakglass started on is not the session's any more
        }
        let Some(term) = term::window_size(0).or_else(|| term::window_size(1)) else {
            return;
        };
        let facts = self.facts();
        let (size, bytes) = self.owner.resized(term, &facts);
        if let Some(bytes) = bytes {
            self.show(&bytes);
        }
        self.resize_to(size);
    }

    /// Make `size` the session's: the PTY, the watchers and the log.
    fn resize_to(&mut self, size: (u16, u16)) {
        if size == self.child.size {
            return;
        }
        // Frames on the old size first, then the new size for everyone.
        self.audience.pace(self.child.size.1, Instant::now(), true);
        self.audience.tracker.resized();
        self.child.resize(size);
        self.audience.broadcast(&ToWatcher::Resize(size.0, size.1));
        self.record(
            |w, t| {
                w.append(
                    t,
                    Body::Resize {
                        cols: size.0,
                        rows: size.1,
                    },
                )
            },
            Instant::now(),
        );
    }

    /// Time-limit notices go to the owner and every watcher and say the end as a clock
    /// time; the last one warns the owner harder; at the limit, the session ends.
    pub(super) fn on_ttl(&mut self) {
        let elapsed = self.start.elapsed();
        while let Some(notice) = self.limit.due(elapsed) {
            self.announce(&notice.text);
            if let Some(left) = notice.last {
                self.final_warning(left);
            }
            let marker = Body::Marker {
                by: "breakglass".into(),
                text: notice.text,
            };
            self.record(|w, t| w.append(t, marker), Instant::now());
            if notice.expire {
                self.end(Ending::Ttl);
            }
        }
    }

    /// The last notice before the end, impossible to miss inside a full-screen program:
    /// the bell, and the title says it too (until an extension or a change of watchers
    /// sets it back).
    fn final_warning(&mut self, left: Duration) {
        self.show(b"\x07");
        let title = format!(
            "{} \u{b7} ENDS AT {}: save your work",
            self.audience.title,
            end_words(ttl::told(left))
        );
        self.set_title(&title);
    }
}
