//! Waiting on what a test needs, never for a fixed time: the terminal drained after the
//! binary exits, an amount of output, raw mode, a session with no client attached, a
//! connection the session closes.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use breakglass::log::record::Body;

use super::{DEADLINE, Env, Pty, fds_and_threads, procs, same_termios, wait_record};

/// Numbers the end-of-output marks of [`Pty::wait`], so each is unique.
static DRAIN_MARK: AtomicU32 = AtomicU32::new(0);

impl Pty {
    /// Wait until at least `n` bytes were shown.
    pub fn expect_len(&self, n: usize) {
        let start = Instant::now();
        while self.output_len() < n {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {n} bytes of output, got {}",
                self.output_len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Wait until the reader has everything written to the terminal so far: write a mark
    /// to the terminal ourselves, after the rest in the same queue, wait for it to be read,
    /// and take it out again.
    pub(super) fn drain(&mut self) {
        let n = DRAIN_MARK.fetch_add(1, Ordering::Relaxed);
        let mark = format!("<drained {} {n}>", std::process::id()).into_bytes();
        if File::from(self.slave.try_clone().unwrap())
            .write_all(&mark)
            .is_err()
        {
            return;
        }
        let start = Instant::now();
        loop {
            {
                let mut out = self.out.lock().unwrap();
                if let Some(at) = out.windows(mark.len()).rposition(|w| w == mark) {
                    out.drain(at..at + mark.len());
                    return;
                }
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the terminal's output never drained"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait until the binary has put the terminal in raw mode: keys typed before that are
    /// turned into other keys by the terminal (Enter into a LF) or echoed by it.
    pub fn wait_raw(&self) {
        let start = Instant::now();
        while same_termios(&self.original, &self.termios_now()) {
            assert!(
                start.elapsed() < DEADLINE,
                "the terminal never went raw; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The fds and threads of a session with no client attached, after one came and went
/// (it starts threads that stay): wait for its leave record and its threads to end.
pub fn baseline_after_a_client(env: &Env, pid: i32) -> (usize, usize) {
    wait_record(
        &env.log(),
        "leave",
        |b| matches!(b, Body::Participant(p) if p.event == "leave"),
    );
    procs::wait_no_threads_named(pid, procs::CLIENT_THREADS);
    fds_and_threads(pid)
}

/// Read a live client's frames until the session closes the connection; fails if it is
/// still open after the stream's read timeout ([`live_client`] sets [`DEADLINE`]).
pub fn read_until_closed(s: &mut std::os::unix::net::UnixStream) {
    loop {
        match breakglass::live::protocol::read_frame(s) {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(e) => {
                assert!(
                    !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                    "the session kept the connection open: {e}"
                );
                return;
            }
        }
    }
}
