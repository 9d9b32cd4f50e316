//! The child and how a session ends: [`Child`] owns the PTY and the child's process, the
//! session's size, the child's exit, and breakglass's ending of it (a hangup, then a kill
//! after a grace). At the end of the time limit, a program on the alternate screen gets a
//! longer grace between its hangup and the kill ([`ttl::ALT_SCREEN_GRACE`]), time for vim
//! to write its swap file. Signals to breakglass ask for a resize, a hangup or the end
//! ([`asked`]).

use std::fs::File;
use std::process::ExitStatus;
use std::time::Instant;

use super::ttl;
use super::{pty, term};
use crate::log::vocab::Cause;

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

/// The child the session runs, and its end: its PTY and process, its size, how it
/// exited, and why and when breakglass ends it.
pub struct Child {
    pub master: File,
    pid: i32,
    /// The session's size (columns, rows).
    pub size: (u16, u16),
    pub status: Option<ExitStatus>,
    /// When the child exited (its output may still be coming).
    pub exited_at: Option<Instant>,
    pub ending: Option<Ending>,
    /// When the child is killed if it has not gone after its hangup.
    pub kill_at: Option<Instant>,
}

impl Child {
    pub fn new(master: File, pid: i32, size: (u16, u16)) -> Child {
        Child {
            master,
            pid,
            size,
            status: None,
            exited_at: None,
            ending: None,
            kill_at: None,
        }
    }

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

    /// Kill the child's session if the hub gave up on it (used by `end`).
    pub fn hard_kill(&self) {
        pty::signal_session(&self.master, self.pid, libc::SIGKILL);
    }

    /// Kill the child now if its grace after the hangup is over.
    pub fn kill_if_due(&mut self) {
        if let Some(k) = self.kill_at
            && self.status.is_none()
            && Instant::now() >= k
        {
            self.hard_kill();
            self.kill_at = None;
        }
    }

    /// The child exited.
    pub fn exited(&mut self, status: Option<ExitStatus>) {
        self.status = status;
        self.exited_at = Some(Instant::now());
    }

    /// Whether the child has exited or is being ended: its input goes nowhere.
    pub fn over(&self) -> bool {
        self.status.is_some() || self.ending.is_some()
    }

    /// Make `size` the PTY's.
    pub fn resize(&mut self, size: (u16, u16)) {
        self.size = size;
        let _ = pty::resize(&self.master, size.0, size.1);
    }
}

/// What a signal to breakglass asks of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The owner's terminal changed size.
    Resize,
    /// The owner's terminal hung up.
    Hangup,
    End,
    Nothing,
}

/// What signal `sig` asks for (the other handled signals are ignored).
pub fn asked(sig: i32) -> Asked {
    match sig {
        libc::SIGWINCH => Asked::Resize,
        libc::SIGHUP => Asked::Hangup,
        libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => Asked::End,
        _ => Asked::Nothing,
    }
}
