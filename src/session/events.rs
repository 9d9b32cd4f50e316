//! The threads around the hub. Producers turn one blocking source each into [`Event`]s on
//! two channels, PTY output and everything else (signals, the child's exit, watchers), and
//! ring the hub's bell (session/bell.rs); the hub reads the owner's keystrokes itself.
//! Consumers are the display (the owner's terminal) and the PTY writer, each behind a
//! bounded queue.
//!
//! The hub takes output only while the display has room, and keystrokes only while the
//! PTY writer has room: a stalled terminal or a child that reads no input slows its own
//! stream down (back-pressure, never loss) while the hub stays free for signals, the time
//! limit and watchers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::Instant;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::bell::{Bell, Tx};
use crate::live::acl::Peer;
use crate::live::inlet::{HubGone, Inlet, ToHub};
use crate::live::{FromWatcher, WatcherHandle, WatcherId};
use crate::log::writer::MAX_PAYLOAD;

/// Output reads in flight to the hub. A full queue makes the PTY reader wait, and so the
/// child: output is never dropped. 16 reads of up to 64 KiB bound the memory to 1 MiB.
pub const OUTPUT_QUEUE: usize = 16;
/// Everything else in flight: signals, the exit, watchers' requests. The hub always takes
/// these, so the queue only absorbs bursts (many watchers at once).
pub const CONTROL_QUEUE: usize = 1024;
/// Output chunks waiting for the owner's terminal; when full, the hub takes no more output.
pub const DISPLAY_QUEUE: usize = 4;
/// Input chunks waiting for the PTY; when full, the hub takes no more keystrokes.
pub const PTY_QUEUE: usize = 64;

/// One PTY read; reads that are already waiting are joined up to this size, so a busy
/// session makes few large records (the kernel hands out at most 4 KiB per read).
const READ_SIZE: usize = MAX_PAYLOAD;

/// What the hub hears about.
#[derive(Debug)]
pub enum Event {
    /// Output of the session, and when it was read.
    Output(Vec<u8>, Instant),
    /// The PTY was closed on the other side (every holder of the slave is gone).
    OutputEnd,
    /// Keystrokes of the owner.
    Input(Vec<u8>, Instant),
    /// The owner's stdin reached its end (or the terminal went away).
    InputEnd,
    /// A signal to breakglass: SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT.
    Signal(i32),
    /// The child exited.
    Exited(std::io::Result<ExitStatus>),
    /// A watcher was admitted.
    Join(Box<WatcherHandle>),
    /// Someone was refused.
    Denied { peer: Peer, mode: String },
    /// A marker from `breakglass mark`.
    Mark { peer: Peer, text: String },
    /// `breakglass extend`: move the time limit later; the answer goes back on `reply`.
    Extend(Box<crate::live::extend::Request>),
    /// A watcher asks for something.
    Watcher(WatcherId, FromWatcher),
    /// A watcher is gone.
    Left(WatcherId),
    /// A watcher that fell behind has caught up and wants a fresh screen.
    Resync(WatcherId),
}

impl From<ToHub> for Event {
    fn from(msg: ToHub) -> Event {
        match msg {
            ToHub::Join(h) => Event::Join(h),
            ToHub::Denied { peer, mode } => Event::Denied { peer, mode },
            ToHub::Mark { peer, text } => Event::Mark { peer, text },
            ToHub::Watcher(id, msg) => Event::Watcher(id, msg),
            ToHub::Left(id) => Event::Left(id),
            ToHub::Resync(id) => Event::Resync(id),
            ToHub::Extend(req) => Event::Extend(req),
        }
    }
}

/// The socket side sends on the control channel, as every other producer does.
impl Inlet for Tx {
    fn send(&self, msg: ToHub) -> Result<(), HubGone> {
        Tx::send(self, msg.into()).map_err(|_| HubGone)
    }
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
}

/// The two inbound channels of a session, and the bell their senders ring.
pub struct Inbound {
    pub output: (Tx, Receiver<Event>),
    pub control: (Tx, Receiver<Event>),
    pub bell: Bell,
}

impl Inbound {
    pub fn new() -> std::io::Result<Inbound> {
        let bell = Bell::new()?;
        let (output, output_rx) = bounded(OUTPUT_QUEUE);
        let (control, control_rx) = bounded(CONTROL_QUEUE);
        Ok(Inbound {
            output: (Tx::new(output, bell.clone()), output_rx),
            control: (Tx::new(control, bell.clone()), control_rx),
            bell,
        })
    }
}

/// Read the PTY until it closes, joining reads that are already available.
pub fn pty_reader(mut master: File, tx: Tx) -> std::io::Result<()> {
    spawn_named("pty-read", move || {
        loop {
            let mut buf = vec![0u8; READ_SIZE];
            let mut len = match master.read(&mut buf) {
                Ok(0) | Err(_) => break, // EIO on Linux once the slave side is closed
                Ok(n) => n,
            };
            while len < READ_SIZE && readable_now(&master) {
                match master.read(&mut buf[len..]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => len += n,
                }
            }
            buf.truncate(len);
            if tx.send(Event::Output(buf, Instant::now())).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::OutputEnd);
    })
}

/// Whether `f` has bytes to read right now (the PTY: output not yet read).
pub fn readable_now(f: &File) -> bool {
    let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN))
}

/// Forward the signals breakglass handles.
pub fn signal_forwarder(tx: Tx) -> std::io::Result<()> {
    // SIGXFSZ is ignored, so a log past the file size limit fails to write (EFBIG) and
    // ends the session cleanly; the child gets the default back before it starts.
    // SAFETY: setting a signal disposition to SIG_IGN involves no handler code.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let mut signals = signal_hook::iterator::Signals::new(HANDLED_SIGNALS)?;
    spawn_named("signals", move || {
        for sig in signals.forever() {
            if tx.send(Event::Signal(sig)).is_err() {
                return;
            }
        }
    })
}

/// Signals that would otherwise end breakglass without closing its log or restoring the
/// terminal. WINCH resizes; TERM, INT, QUIT and HUP end the session; the rest are ignored.
pub const HANDLED_SIGNALS: [i32; 10] = [
    libc::SIGWINCH,
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
];

/// Wait for the child.
pub fn child_waiter(mut child: Child, tx: Tx) -> std::io::Result<()> {
    spawn_named("child-wait", move || {
        let _ = tx.send(Event::Exited(child.wait()));
    })
}

/// A writer thread: writes what its queue brings to `out` until the queue closes or a
/// write fails. The display's (the owner's terminal) and the PTY's; a stalled terminal or
/// a child that reads no input blocks only its own. The handle tells when all is written.
pub fn writer(
    name: &str,
    mut out: File,
    rx: Receiver<Vec<u8>>,
    pending: Arc<AtomicUsize>,
    bell: Bell,
) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new().name(name.into()).spawn(move || {
        for bytes in rx {
            // There is room in the queue now: a hub waiting for it wakes.
            bell.ring();
            let ok = out.write_all(&bytes).is_ok();
            pending.fetch_sub(1, Ordering::AcqRel);
            if !ok {
                return;
            }
        }
    })
}

/// Wait (at most `limit`: the terminal may have stalled) for the display to write out
/// what is still queued, so the last output reaches the screen before the summary.
pub fn drain_display(handle: thread::JoinHandle<()>, limit: std::time::Duration) {
    let deadline = Instant::now() + limit;
    while !handle.is_finished() && Instant::now() < deadline {
        thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Small writes (a keystroke, its echo) go straight to the fd when nothing is queued
/// ahead of them and it can take them now: two thread hand-offs fewer per keystroke.
/// This much at most, well under what a terminal or PTY with room takes at once. (On a
/// terminal opened without blocking, writes of any size go straight, see
/// [`Outlet::start_terminal`].)
const DIRECT_MAX: usize = 256;

/// A writer thread's queue, with the direct path for small writes.
pub struct Outlet {
    tx: Sender<Vec<u8>>,
    /// Chunks queued or being written by the thread.
    pending: Arc<AtomicUsize>,
    direct: File,
    /// `direct` never blocks: any write may try it, and what it does not take is queued.
    nonblocking: bool,
}

/// The writer thread is gone (its fd failed).
#[derive(Debug)]
pub struct Closed;

impl Outlet {
    /// A queue of `capacity` chunks to a new writer thread over `out`, which rings `bell`
    /// whenever it takes a chunk.
    pub fn start(
        name: &str,
        out: File,
        capacity: usize,
        bell: &Bell,
    ) -> std::io::Result<(Outlet, thread::JoinHandle<()>)> {
        let (tx, rx) = bounded(capacity);
        let pending = Arc::new(AtomicUsize::new(0));
        let handle = writer(
            name,
            out.try_clone()?,
            rx,
            Arc::clone(&pending),
            bell.clone(),
        )?;
        Ok((
            Outlet {
                tx,
                pending,
                direct: out,
                nonblocking: false,
            },
            handle,
        ))
    }

    /// As [`Outlet::start`], for the user's terminal: when `out` is a terminal, it is
    /// opened once more without blocking, so output of any size is written by the caller
    /// itself while the terminal keeps up (one thread hand-off fewer per chunk), and only
    /// what it cannot take at once waits for the thread. The new open file description is
    /// breakglass's own: the non-blocking flag never reaches the user's shell.
    pub fn start_terminal(
        name: &str,
        out: File,
        capacity: usize,
        bell: &Bell,
    ) -> std::io::Result<(Outlet, thread::JoinHandle<()>)> {
        let (mut outlet, handle) = Outlet::start(name, out, capacity, bell)?;
        if let Some(f) = reopen_nonblocking(&outlet.direct) {
            outlet.direct = f;
            outlet.nonblocking = true;
        }
        Ok((outlet, handle))
    }

    /// Chunks waiting for the thread.
    pub fn queued(&self) -> usize {
        self.tx.len()
    }

    /// Write or queue `bytes`; a full queue drops them (callers send only when there is
    /// room, except for notices).
    pub fn send(&self, bytes: &[u8]) -> Result<(), Closed> {
        if self.pending.load(Ordering::Acquire) == 0
            && (self.nonblocking || bytes.len() <= DIRECT_MAX && writable_now(&self.direct))
        {
            return match (&self.direct).write(bytes) {
                Ok(n) if n == bytes.len() => Ok(()),
                Ok(n) => self.queue(&bytes[n..]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                    self.queue(bytes)
                }
                Err(_) => Err(Closed),
            };
        }
        self.queue(bytes)
    }

    fn queue(&self, bytes: &[u8]) -> Result<(), Closed> {
        self.pending.fetch_add(1, Ordering::AcqRel);
        match self.tx.try_send(bytes.to_vec()) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                Ok(())
            }
            Err(TrySendError::Disconnected(_)) => Err(Closed),
        }
    }
}

/// The terminal `f` is, opened again for writing without blocking; None if `f` is not a
/// terminal or cannot be opened again.
fn reopen_nonblocking(f: &File) -> Option<File> {
    if !nix::unistd::isatty(f.as_fd()).unwrap_or(false) {
        return None;
    }
    // The user's terminal, opened as the user (installed, the service may not open it).
    crate::mode::with_user_fsuid(|| {
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
            .open(format!("/proc/self/fd/{}", f.as_raw_fd()))
            .ok()
    })
}

fn writable_now(f: &File) -> bool {
    let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLOUT)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLOUT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

    /// A terminal that reads slowly takes part of each write at once and the queue the
    /// rest: the reader still gets every byte, in order.
    #[test]
    fn a_slow_terminal_gets_every_byte_in_order() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let mut mode = tcgetattr(&pty.slave).unwrap();
        cfmakeraw(&mut mode);
        tcsetattr(&pty.slave, SetArg::TCSANOW, &mode).unwrap();
        let bell = Bell::new().unwrap();
        let (outlet, thread) =
            Outlet::start_terminal("test", File::from(pty.slave), 64, &bell).unwrap();
        assert!(outlet.nonblocking, "a terminal is written without blocking");
        let want: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut master = File::from(pty.master);
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while got.len() < 2_000_000 {
                match master.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
                if got.len() < 200_000 {
                    thread::sleep(std::time::Duration::from_micros(200));
                }
            }
            got
        });
        for chunk in want.chunks(16 * 1024) {
            while outlet.queued() >= 64 {
                thread::sleep(std::time::Duration::from_millis(1));
            }
            outlet.send(chunk).unwrap();
        }
        // Every copy of the terminal closed: the reader sees the end after the last byte.
        drop(outlet);
        thread.join().unwrap();
        let got = reader.join().unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "bytes out of order");
    }
}
