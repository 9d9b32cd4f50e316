//! The keyboard is always recoverable: the owner takes it back with their escape key
//! (then `t`) whenever a watcher holds it, and a watcher that holds it loses it when its
//! connection closes or when it has not read what it was sent for [`STALL_LIMIT`]. Each is
//! a participant record: `reclaim` (by the owner, naming the watcher) and `lost`.
//!
//! [`Wheel`] is the owner's side of it: their escape key and the watch on the holder;
//! the hub records and tells everyone when the keyboard changes hands.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::ownerkeys::OwnerKeys;

/// A watcher that holds the keyboard and has not read for this long loses it: far longer
/// than any pause of a working terminal over a slow link, short enough that an owner
/// locked out by a dead or stopped watcher is not kept waiting.
pub const STALL_LIMIT: Duration = Duration::from_secs(30);
/// How often the keyboard holder's unread bytes are looked at.
pub const STALL_SAMPLE: Duration = Duration::from_secs(1);

/// Whether a reader has stopped reading, from samples of what it has not read yet: it
/// read when that dropped to nothing or shrank since the sample before.
#[derive(Debug, Default)]
pub struct Stall {
    last: Option<usize>,
    since: Option<Instant>,
}

impl Stall {
    /// Take a sample; true once nothing has been read for [`STALL_LIMIT`].
    pub fn sample(&mut self, unread: usize, now: Instant) -> bool {
        let read = unread == 0 || self.last.is_some_and(|l| unread < l);
        self.last = Some(unread);
        if read {
            self.since = None;
            return false;
        }
        let since = *self.since.get_or_insert(now);
        now.duration_since(since) >= STALL_LIMIT
    }
}

/// The owner's side of the keyboard: their escape key, and the watch on the holder.
#[derive(Debug)]
pub struct Wheel {
    /// The owner's keys, read for their commands (session/ownerkeys.rs).
    pub keys: OwnerKeys,
    pub(super) escape: u8,
    /// The owner may take the keyboard back (policy `operator_drives_alone` off).
    pub(super) allowed: bool,
    stall: Stall,
    next_sample: Option<Instant>,
}

impl Wheel {
    pub fn new(escape: u8, allowed: bool) -> Wheel {
        Wheel {
            keys: OwnerKeys::new(escape),
            escape,
            allowed,
            stall: Stall::default(),
            next_sample: None,
        }
    }

    /// How the owner gets the keyboard back, for notices.
    pub fn how(&self) -> String {
        if self.allowed {
            format!(
                "Take it back with {} t",
                crate::live::keys::key_name(self.escape)
            )
        } else {
            "Only they can hand it back (policy: operator_drives_alone)".into()
        }
    }

    /// No holder any more: start watching afresh.
    pub fn reset(&mut self) {
        self.keys.reset();
        self.stall = Stall::default();
        self.next_sample = None;
    }

    /// A new holder: the owner's escape state and the stall watch start afresh.
    pub fn taken(&mut self, now: Instant) {
        self.reset();
        self.next_sample = Some(now + STALL_SAMPLE);
    }

    /// Whether the holder is to be looked at now; the next look is then due later.
    pub fn sample_due(&mut self, now: Instant) -> bool {
        if self.next_sample.is_some_and(|t| now < t) {
            return false;
        }
        self.next_sample = Some(now + STALL_SAMPLE);
        true
    }

    /// Whether the holder, on `stream`, has not read for [`STALL_LIMIT`].
    pub fn stalled(&mut self, stream: &std::os::unix::net::UnixStream, now: Instant) -> bool {
        self.stall.sample(unread(stream), now)
    }

    /// When the hub must wake to look at the holder again.
    pub fn next_sample(&self) -> Option<Instant> {
        self.next_sample
    }
}

/// Bytes written to a Unix stream socket that its peer has not read yet.
fn unread(stream: &std::os::unix::net::UnixStream) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCOUTQ (TIOCOUTQ) writes one int into `n`, which outlives the call; the fd is open
    // for as long as `stream` is borrowed.
    let r = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    if r == 0 { n.max(0) as usize } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_that_reads_never_stalls() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        for i in 0..100u64 {
            let unread = if i % 2 == 0 { 5000 } else { 100 };
            assert!(!s.sample(unread, t0 + Duration::from_secs(i)));
        }
        assert!(!s.sample(0, t0 + Duration::from_secs(200)));
    }

    #[test]
    fn a_reader_that_stops_stalls_after_the_limit() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        assert!(!s.sample(10, t0));
        assert!(!s.sample(10, t0 + STALL_LIMIT - Duration::from_millis(1)));
        assert!(s.sample(4000, t0 + STALL_LIMIT));
        // It reads again: the count starts over.
        let t1 = t0 + STALL_LIMIT + Duration::from_secs(1);
        assert!(!s.sample(3000, t1));
        assert!(!s.sample(3000, t1 + Duration::from_secs(1)));
        assert!(!s.sample(3000, t1 + STALL_LIMIT));
        assert!(s.sample(3000, t1 + Duration::from_secs(1) + STALL_LIMIT));
    }

    #[test]
    fn nothing_unread_is_never_a_stall() {
        let t0 = Instant::now();
        let mut s = Stall::default();
        assert!(!s.sample(0, t0));
        assert!(!s.sample(0, t0 + 10 * STALL_LIMIT));
    }

    #[test]
    fn the_owner_is_told_how_to_take_the_keyboard_back() {
        assert_eq!(Wheel::new(0x07, true).how(), "Take it back with Ctrl-g t");
        let w = Wheel::new(0x1d, false);
        assert!(w.how().contains("operator_drives_alone"), "{}", w.how());
    }
}
