//! The producer threads around the hub, each turning one blocking source into [`Event`]s
//! on one channel: PTY output, the user's keystrokes, signals, and the child's exit.
//! Plus the PTY writer, which the hub feeds so it never blocks on a child that does not
//! read its input.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd};
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread;
use std::time::Instant;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::live::acl::Peer;
use crate::live::{FromWatcher, WatcherHandle, WatcherId};
use crate::log::writer::MAX_PAYLOAD;

/// Events in flight to the hub. A full queue makes the PTY reader wait, and so the child:
/// output is never dropped. 16 reads of up to 64 KiB bound the memory held to 1 MiB.
pub const EVENT_QUEUE: usize = 16;

/// One PTY read; reads that are already waiting are joined up to this size, so a busy
/// session makes few large records (the kernel hands out at most 4 KiB per read).
const READ_SIZE: usize = MAX_PAYLOAD;

/// Bytes read from the user's terminal at once.
const INPUT_READ: usize = 4096;

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
    /// A watcher asks for something.
    Watcher(WatcherId, FromWatcher),
    /// A watcher is gone.
    Left(WatcherId),
    /// A watcher that fell behind has caught up and wants a fresh screen.
    Resync(WatcherId),
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
}

/// Read the PTY until it closes, joining reads that are already available.
pub fn pty_reader(mut master: File, tx: SyncSender<Event>) -> std::io::Result<()> {
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

fn readable_now(f: &File) -> bool {
    let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN))
}

/// Read the owner's keystrokes as raw bytes.
pub fn stdin_reader(tx: SyncSender<Event>) -> std::io::Result<()> {
    spawn_named("stdin-read", move || {
        // SAFETY: fd 0 is open for the life of the process; ManuallyDrop keeps it open.
        let mut stdin = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
        let mut buf = [0u8; INPUT_READ];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send(Event::Input(buf[..n].to_vec(), Instant::now()))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Event::InputEnd);
    })
}

/// Forward the signals breakglass handles.
pub fn signal_forwarder(tx: SyncSender<Event>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT])?;
    spawn_named("signals", move || {
        for sig in signals.forever() {
            if tx.send(Event::Signal(sig)).is_err() {
                return;
            }
        }
    })
}

/// Wait for the child.
pub fn child_waiter(mut child: Child, tx: SyncSender<Event>) -> std::io::Result<()> {
    spawn_named("child-wait", move || {
        let _ = tx.send(Event::Exited(child.wait()));
    })
}

/// Write what the hub sends into the PTY; a child that stops reading blocks only this.
pub fn pty_writer(mut master: File, rx: Receiver<Vec<u8>>) -> std::io::Result<()> {
    spawn_named("pty-write", move || {
        for bytes in rx {
            if master.write_all(&bytes).is_err() {
                return;
            }
        }
    })
}
