//! How the hub ends a session, and the events that lead there: the time limit, signals to
//! breakglass, and resizes (which also arrive as a signal).

use std::time::Instant;

use super::hub::Hub;
use super::ttl::{self, Due};
use super::{pty, term};
use crate::live::ToWatcher;
use crate::log::record::Body;

/// Why the session ended, when breakglass ended it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Ttl,
    Killed,
    Hangup,
    Error,
}

impl Ending {
    pub fn cause(self) -> &'static str {
        match self {
            Ending::Ttl => "ttl",
            Ending::Killed => "killed",
            Ending::Hangup => "hangup",
            Ending::Error => "error",
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
            let grace = if why == Ending::Error {
                ERROR_GRACE
            } else {
                ttl::KILL_GRACE
            };
            self.kill_at = Some(Instant::now() + grace);
        }
    }

    pub(super) fn on_resize(&mut self) {
        let Some(term) = term::window_size(0).or_else(|| term::window_size(1)) else {
            return;
        };
        let size = self.row_resized(term);
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
            libc::SIGHUP => {
                self.show = false;
                self.end(Ending::Hangup);
            }
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => self.end(Ending::Killed),
            _ => {} // the other handled signals are ignored
        }
    }

    pub(super) fn on_ttl(&mut self) {
        let elapsed = self.start.elapsed();
        while let Some(due) = self.ttl.due(elapsed) {
            let text = match due {
                Due::Notice(left) => format!(
                    "this session ends in {} (time limit {}); start a new one if you need longer",
                    ttl::human(ttl::told(left)),
                    humantime::format_duration(self.ttl_limit)
                ),
                Due::Expire => format!(
                    "time limit of {} reached: ending the session",
                    humantime::format_duration(self.ttl_limit)
                ),
            };
            self.notice(&text);
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
}
