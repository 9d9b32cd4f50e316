//! How the hub sleeps, and how it reads the owner's keystrokes.
//!
//! The hub sleeps in poll(2) on two file descriptors: its bell, an eventfd that every
//! producer rings after it sends an event (PTY output, signals, the child's exit, watchers)
//! and every writer thread rings when it has taken a chunk off its queue; and the owner's
//! stdin, which the hub reads itself. A keystroke thus wakes the hub directly, as it would
//! wake script(1), with no thread in between: one thread hand-off fewer on every key.

use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{SendError, Sender};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::eventfd::{EfdFlags, EventFd};

use super::events::Event;

/// Bytes read from the owner's terminal at once.
const INPUT_READ: usize = 4096;

/// The hub's doorbell: an eventfd, shared by everyone who may need to wake it.
#[derive(Clone)]
pub struct Bell(Arc<EventFd>);

impl Bell {
    pub fn new() -> std::io::Result<Bell> {
        let fd = EventFd::from_flags(EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC)?;
        Ok(Bell(Arc::new(fd)))
    }

    /// Wake the hub (or make its next sleep return at once).
    pub fn ring(&self) {
        // A full counter (2^64 - 2 rings unanswered) already wakes the hub: ignore it.
        let _ = self.0.write(1);
    }

    /// Answer every ring so far.
    fn quiet(&self) {
        let _ = self.0.read();
    }
}

/// A channel's sender that rings the bell after each event.
#[derive(Clone)]
pub struct Tx {
    tx: Sender<Event>,
    bell: Bell,
}

impl Tx {
    pub fn new(tx: Sender<Event>, bell: Bell) -> Tx {
        Tx { tx, bell }
    }

    /// Send (waiting for room in a full channel), then ring.
    pub fn send(&self, ev: Event) -> Result<(), SendError<Event>> {
        self.tx.send(ev)?;
        self.bell.ring();
        Ok(())
    }
}

/// What ended a sleep.
#[derive(Debug, PartialEq, Eq)]
pub enum Woke {
    /// The owner's stdin has keystrokes (or its end) to read.
    Keys,
    /// The bell rang, the time was up, or a signal came: look at the channels.
    Other,
}

/// Sleep until the bell rings, stdin is readable (if `keys`), or `timeout` has passed.
pub fn sleep(bell: &Bell, keys: bool, timeout: Duration) -> Woke {
    let stdin = std::io::stdin();
    let mut fds = vec![PollFd::new(bell.0.as_fd(), PollFlags::POLLIN)];
    if keys {
        fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
    }
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
    let polled = matches!(poll(&mut fds, timeout), Ok(n) if n > 0);
    let ready = |i: usize| {
        polled
            && fds
                .get(i)
                .and_then(|f| f.revents())
                .is_some_and(|r| !r.is_empty())
    };
    if ready(0) {
        bell.quiet();
    }
    if ready(1) { Woke::Keys } else { Woke::Other }
}

/// Whether stdin has keystrokes (or its end) to read right now.
pub fn keys_waiting() -> bool {
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}

/// Read what the owner typed, once stdin is readable: keystrokes, or the end of the input
/// (`open` becomes false). None if there was nothing after all.
pub fn read_keys(open: &mut bool) -> Option<Event> {
    // Straight from fd 0: std's buffered stdin could keep keys where poll(2) cannot see
    // them.
    let mut buf = [0u8; INPUT_READ];
    match nix::unistd::read(std::io::stdin().as_fd(), &mut buf) {
        Ok(0) => {}
        Ok(n) => return Some(Event::Input(buf[..n].to_vec(), Instant::now())),
        Err(Errno::EINTR | Errno::EAGAIN) => return None,
        Err(_) => {}
    }
    *open = false;
    Some(Event::InputEnd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_ends_the_sleep_and_is_answered() {
        let bell = Bell::new().unwrap();
        let t = Instant::now();
        assert_eq!(sleep(&bell, false, Duration::from_millis(50)), Woke::Other);
        assert!(
            t.elapsed() >= Duration::from_millis(45),
            "slept the whole timeout"
        );
        let other = bell.clone();
        let ringer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.ring();
        });
        let t = Instant::now();
        assert_eq!(sleep(&bell, false, Duration::from_secs(10)), Woke::Other);
        assert!(t.elapsed() < Duration::from_secs(5));
        ringer.join().unwrap();
        // Answered: the next sleep lasts its timeout again.
        let t = Instant::now();
        sleep(&bell, false, Duration::from_millis(30));
        assert!(t.elapsed() >= Duration::from_millis(25));
    }

    #[test]
    fn a_sent_event_rings() {
        let bell = Bell::new().unwrap();
        let (tx, rx) = crossbeam_channel::bounded(4);
        Tx::new(tx, bell.clone()).send(Event::OutputEnd).unwrap();
        let t = Instant::now();
        assert_eq!(sleep(&bell, false, Duration::from_secs(10)), Woke::Other);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(matches!(rx.try_recv(), Ok(Event::OutputEnd)));
    }
}
