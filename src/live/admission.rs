//! Limits on clients that have not said who they are and what they want yet.
//!
//! Anyone who can reach the socket can open connections and say nothing, or say a hello
//! one byte at a time. Before admission a connection gets: [`HELLO_TIMEOUT`] for its whole
//! hello (not per read), at most [`MAX_HELLO`] bytes buffered, and one of [`MAX_PENDING`]
//! places, at most [`MAX_PENDING_PER_UID`] of them per user. A new connection over either
//! cap closes the oldest waiting one (of the same user first), so a flood of silent
//! connections costs the session a bounded amount of memory and threads, and a watcher
//! who says hello at once still gets in. When the process runs out of file descriptors,
//! the accept loop sleeps [`ACCEPT_BACKOFF`] instead of spinning on `EMFILE`.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::protocol::{self, Frame, MAX_MARKER};

pub use super::protocol::HELLO_TIMEOUT;

/// Most bytes a hello may take, header included: the JSON of a hello whose marker text
/// is [`MAX_MARKER`] bytes, every one escaped as `\u00XX` (6 bytes), with room to spare.
pub const MAX_HELLO: usize = 6 * MAX_MARKER + 1024;

/// Most connections waiting to say hello. Each holds a thread and up to [`MAX_HELLO`]
/// bytes: 64 × 25 KiB is 1.6 MiB at most, whatever a client does.
pub const MAX_PENDING: usize = 64;

/// Most waiting connections of one user, so one user's flood closes their own
/// connections before anyone else's.
pub const MAX_PENDING_PER_UID: usize = 16;

/// How long the accept loop sleeps when the process is out of file descriptors (or the
/// kernel of buffers): enough for timeouts to free some, short enough to go unnoticed.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Whether an accept error means "out of resources, wait" rather than "this one failed".
pub fn must_back_off(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Which waiting connection to close to make room for one more of `uid`, given the
/// uids of those waiting, oldest first: the oldest of the same user if they hold
/// [`MAX_PENDING_PER_UID`], else the oldest of all if [`MAX_PENDING`] are waiting.
pub fn evict(waiting: &[u32], uid: u32) -> Option<usize> {
    if waiting.iter().filter(|&&u| u == uid).count() >= MAX_PENDING_PER_UID {
        return waiting.iter().position(|&u| u == uid);
    }
    (waiting.len() >= MAX_PENDING).then_some(0)
}

/// The connections waiting to say hello.
#[derive(Default)]
pub struct Pending {
    waiting: Mutex<VecDeque<(u64, u32, UnixStream)>>,
    next: std::sync::atomic::AtomicU64,
}

/// A place among the waiting; leaving it (admitted, refused, gone) frees it.
pub struct Ticket<'a> {
    pending: &'a Pending,
    id: u64,
}

impl Pending {
    /// Take a place for a connection of `uid`, closing the one [`evict`] picks.
    pub fn enter(&self, uid: u32, stream: &UnixStream) -> io::Result<Ticket<'_>> {
        let clone = stream.try_clone()?;
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut w = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let uids: Vec<u32> = w.iter().map(|e| e.1).collect();
        if let Some(i) = evict(&uids, uid)
            && let Some((_, _, old)) = w.remove(i)
        {
            let _ = old.shutdown(std::net::Shutdown::Both);
        }
        w.push_back((id, uid, clone));
        Ok(Ticket { pending: self, id })
    }

    /// How many connections are waiting.
    pub fn len(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut w = self
            .pending
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        w.retain(|e| e.0 != self.id);
    }
}

/// Read the first frame within `timeout` in all and [`MAX_HELLO`] bytes; None if the
/// client is too slow, says too much, or breaks the framing. Reads no byte past it.
pub fn read_hello(stream: &mut UnixStream, timeout: Duration) -> Option<Frame> {
    let deadline = Instant::now() + timeout;
    let mut head = [0u8; 4];
    fill(stream, &mut head, deadline)?;
    let len = u32::from_be_bytes(head) as usize;
    if len == 0 || len + head.len() > MAX_HELLO {
        return None;
    }
    let mut body = vec![0u8; len];
    fill(stream, &mut body, deadline)?;
    let mut whole = head.to_vec();
    whole.append(&mut body);
    protocol::decode_all(&whole).ok()?.0.into_iter().next()
}

/// Fill `buf` from `stream` before `deadline`.
fn fill(stream: &mut UnixStream, buf: &mut [u8], deadline: Instant) -> Option<()> {
    let mut at = 0;
    while at < buf.len() {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        match stream.read(&mut buf[at..]) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => return None,
            Ok(n) => at += n,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::protocol::kind;
    use std::io::Write;

    #[test]
    fn a_flood_of_one_user_closes_their_own_oldest_first() {
        let mut waiting = vec![7; MAX_PENDING_PER_UID];
        assert_eq!(evict(&waiting, 7), Some(0));
        assert_eq!(evict(&waiting, 8), None, "another user still gets a place");
        waiting.insert(0, 8);
        assert_eq!(evict(&waiting, 7), Some(1), "not the other user's");
    }

    #[test]
    fn many_users_are_capped_in_all() {
        let waiting: Vec<u32> = (0..MAX_PENDING as u32).collect();
        assert_eq!(evict(&waiting, 1000), Some(0));
        assert_eq!(evict(&waiting[1..], 1000), None);
    }

    #[test]
    fn out_of_descriptors_backs_off() {
        assert!(must_back_off(&io::Error::from_raw_os_error(libc::EMFILE)));
        assert!(must_back_off(&io::Error::from_raw_os_error(libc::ENFILE)));
        assert!(!must_back_off(&io::Error::from_raw_os_error(
            libc::ECONNABORTED
        )));
    }

    #[test]
    fn hello_has_one_deadline_for_all_its_reads() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let t = std::thread::spawn(move || {
            // A byte every 40 ms: each read is quick, the whole is not.
            for byte in [0u8, 0, 0, 9, kind::HELLO, b'{', b'}', b' ', b' '] {
                if b.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        let start = Instant::now();
        assert!(read_hello(&mut a, Duration::from_millis(150)).is_none());
        assert!(start.elapsed() < Duration::from_millis(400));
        drop(a);
        t.join().unwrap();
    }

    #[test]
    fn hello_is_read_whole_and_size_capped() {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        protocol::write_frame(&mut b, kind::HELLO, br#"{"v":1,"mode":"watch"}"#).unwrap();
        let f = read_hello(&mut a, Duration::from_secs(5)).unwrap();
        assert_eq!(f.kind, kind::HELLO);
        b.write_all(&((MAX_HELLO as u32).to_be_bytes())).unwrap();
        b.write_all(&[kind::HELLO]).unwrap();
        assert!(read_hello(&mut a, Duration::from_secs(5)).is_none());
    }

    #[test]
    fn pending_places_are_freed_and_evicted() {
        let p = Pending::default();
        let pairs: Vec<_> = (0..MAX_PENDING_PER_UID + 1)
            .map(|_| UnixStream::pair().unwrap())
            .collect();
        let mut tickets = Vec::new();
        for (a, _) in &pairs {
            tickets.push(p.enter(5, a).unwrap());
        }
        assert_eq!(p.len(), MAX_PENDING_PER_UID);
        let mut first = &pairs[0].1;
        let mut byte = [0u8; 1];
        assert_eq!(
            first.read(&mut byte).unwrap(),
            0,
            "the oldest was closed to make room"
        );
        tickets.clear();
        assert!(p.is_empty());
    }
}
