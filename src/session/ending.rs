//! How the hub ends a session, and the events that lead there: the time limit, signals to
//! breakglass, and resizes (which also arrive as a signal).
//!
//! Time-limit notices go to the owner and every watcher and say the end as a clock time.
//! The last one rings the bell and sets the title too, so a full-screen program cannot
//! hide it; at the end, a program on the alternate screen gets a longer grace between its
//! hangup and the kill ([`ttl::ALT_SCREEN_GRACE`]), time for vim to write its swap file.

use std::time::Instant;

use super::hub::Hub;
use super::ttl::{self, Due};
use super::{pty, term};
use crate::live::ToWatcher;
use crate::log::record::Body;
use crate::log::vocab::Cause;
use crate::time::clock;

/// Why the session ended, when breakglass ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Ttl,
    Killed,
    Hangup,
    Error,
}

impl Ending {
    pub fn cause(self) -> Cause {
        match self {
            Ending::Ttl => Cause::Ttl,
            Ending::Killed => Cause::Killed,
            Ending::Hangup => Cause::Hangup,
            Ending::Error => Cause::Error,
        }
    }
}

/// When the log cannot be written, the child gets a hangup and this long to go.
const ERROR_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

impl Hub {
    /// End the session: hang up the child, and kill it if it is still there after a grace.
    pub fn end(&mut self, why: Ending) {
        if self.ending.is_some() {
            // A second request: do not wait any more.
            if self.status.is_none() {
                self.hard_kill();
            }
            return;
        }
        self.ending = Some(why);
        if self.status.is_none() {
            pty::signal_session(&self.master, self.pid, libc::SIGHUP);
            let grace = match why {
                Ending::Error => ERROR_GRACE,
                Ending::Ttl if term::on_alternate_screen() => ttl::ALT_SCREEN_GRACE,
                _ => ttl::KILL_GRACE,
            };
            self.kill_at = Some(Instant::now() + grace);
        }
    }

    pub(super) fn on_resize(&mut self) {
        if !self.audience.owner.here() {
            return; // the terminal breakglass started on is not the session's any more
        }
        let Some(term) = term::window_size(0).or_else(|| term::window_size(1)) else {
            return;
        };
        let size = self.row_resized(term);
        self.resize_to(size);
    }

    /// Make `size` the session's: the PTY, the watchers and the log.
    pub(super) fn resize_to(&mut self, size: (u16, u16)) {
        if size == self.size {
            return;
        }
        // Frames on the old size first, then the new size for everyone.
        self.audience.pace(self.size.1, Instant::now(), true);
        self.audience.tracker.resized();
        self.size = size;
        let _ = pty::resize(&self.master, size.0, size.1);
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

    pub(super) fn on_signal(&mut self, sig: i32) {
        match sig {
            libc::SIGWINCH => self.on_resize(),
            libc::SIGHUP => self.terminal_gone(),
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => self.end(Ending::Killed),
            _ => {} // the other handled signals are ignored
        }
    }

    pub(super) fn on_ttl(&mut self) {
        let elapsed = self.start.elapsed();
        while let Some(due) = self.ttl.due(elapsed) {
            let limit = clock::short(self.ttl.limit());
            let text = match due {
                Due::Notice(left) if self.ttl.last_given() => format!(
                    "time limit {limit}: this session ends at {}. Save your work now; for more time: breakglass extend {} DURATION",
                    self.end_words(ttl::told(left)),
                    self.session_id
                ),
                Due::Notice(left) => format!(
                    "time limit {limit}: this session ends at {}; for more time: breakglass extend {} DURATION",
                    self.end_words(ttl::told(left)),
                    self.session_id
                ),
                Due::Expire if term::on_alternate_screen() => format!(
                    "time limit of {limit} reached at {}: ending the session; the full-screen program is told to hang up and has {} to save before it is killed",
                    clock::hhmm(jiff::Timestamp::now(), &clock::local()),
                    clock::short(ttl::ALT_SCREEN_GRACE)
                ),
                Due::Expire => format!(
                    "time limit of {limit} reached at {}: ending the session",
                    clock::hhmm(jiff::Timestamp::now(), &clock::local())
                ),
            };
            self.announce(&text);
            if let Due::Notice(left) = due
                && self.ttl.last_given()
            {
                self.final_warning(left);
            }
            let marker = Body::Marker {
                by: "breakglass".into(),
                text: text.clone(),
            };
            self.record(|w, t| w.append(t, marker), Instant::now());
            if due == Due::Expire {
                self.end(Ending::Ttl);
            }
        }
    }

    /// The last notice before the end, impossible to miss inside a full-screen program:
    /// the bell, and the title says it too (until an extension or a change of watchers
    /// sets it back).
    fn final_warning(&mut self, left: std::time::Duration) {
        self.show(b"\x07");
        let title = format!(
            "{} \u{b7} ENDS AT {}: save your work",
            self.audience.title,
            self.end_words(ttl::told(left))
        );
        self.set_title(&title);
    }
}
