//! Where the hub's events come from and which it takes next: two channels (control and
//! output), the bell their senders ring, and the owner's stdin, which the hub reads
//! itself. Keystrokes go first, output only while the display has room, and after a
//! keystroke the hub looks for its echo a moment before it sleeps.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::super::bell::{self, Bell, Woke};
use super::super::events::Event;

/// While the display or the PTY has no room, the loop looks again this often.
const ROOM_POLL: Duration = Duration::from_millis(5);

/// Where the hub's events come from: two channels, the bell their senders ring, and the
/// owner's stdin.
pub struct Inputs {
    pub control: Receiver<Event>,
    pub output: Receiver<Event>,
    pub bell: Bell,
    pub output_closed: bool,
    /// Stdin has not reached its end.
    pub stdin_open: bool,
}

impl Inputs {
    pub fn new(control: Receiver<Event>, output: Receiver<Event>, bell: Bell) -> Inputs {
        Inputs {
            control,
            output,
            bell,
            output_closed: false,
            stdin_open: true,
        }
    }

    /// The next event: control events always; output only while the display has room and
    /// keystrokes only while the PTY has room. Until `echo_until`, look again without
    /// sleeping; then sleep at most `wait`. None on a timeout.
    pub(super) fn next(
        &mut self,
        display_room: bool,
        pty_room: bool,
        echo_until: Option<Instant>,
        wait: impl FnOnce() -> Duration,
    ) -> Option<Event> {
        let keys = pty_room && self.stdin_open;
        // Keystrokes first: a flood of output must not hold up a Ctrl-C.
        if keys && !self.output.is_empty() && bell::keys_waiting() {
            return bell::read_keys(&mut self.stdin_open);
        }
        if let Some(ev) = self.poll_once(display_room) {
            return Some(ev);
        }
        if let Some(until) = echo_until {
            while Instant::now() < until {
                if let Some(ev) = self.poll_once(display_room) {
                    return Some(ev);
                }
                std::thread::yield_now();
            }
        }
        let mut wait = wait();
        if !display_room || !pty_room {
            // The writer threads ring when they take a chunk; this is only a safety net.
            wait = wait.min(ROOM_POLL);
        }
        match bell::sleep(&self.bell, keys, wait) {
            Woke::Keys => bell::read_keys(&mut self.stdin_open),
            Woke::Other => None,
        }
    }

    /// An event that is already waiting, without blocking: control first, then output if
    /// there is room for it.
    fn poll_once(&mut self, display_room: bool) -> Option<Event> {
        if let Ok(ev) = self.control.try_recv() {
            return Some(ev);
        }
        if display_room && !self.output_closed {
            return take_from(&self.output, &mut self.output_closed);
        }
        None
    }
}

/// One event from `from` if it has one; notes in `closed` that it is gone.
fn take_from(from: &Receiver<Event>, closed: &mut bool) -> Option<Event> {
    match from.try_recv() {
        Ok(ev) => Some(ev),
        Err(e) => {
            *closed = e.is_disconnected();
            None
        }
    }
}
