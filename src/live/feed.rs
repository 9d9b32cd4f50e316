//! One admitted watcher's writer thread: it feeds the watcher's socket from the queue the
//! hub fills (output, screens, resizes, notices, state, the end), asks the hub for a
//! fresh screen once a watcher that fell behind has drained it, and with `--save` sends
//! the log's new lines as they are written.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::inlet::ToHub;
use super::protocol::{self, Ended, kind};
use super::server::ServerCtx;
use super::{ToWatcher, WatcherId};

/// How often a `--save` watcher's writer looks for new log lines, and how soon a watcher
/// that fell behind asks for a fresh screen once it has drained its queue.
const TAIL_EVERY: Duration = Duration::from_millis(100);

/// Most log bytes in one `LOG` frame (whole lines; a line is far smaller).
const LOG_CHUNK: usize = 768 * 1024;

/// Feed one watcher's socket from its queue; with `save`, also the log as it grows.
pub(super) fn writer(
    mut stream: UnixStream,
    rx: Receiver<ToWatcher>,
    id: WatcherId,
    behind: Arc<AtomicBool>,
    save: bool,
    ctx: Arc<ServerCtx>,
) {
    let log = if save {
        File::open(&ctx.log_path).ok()
    } else {
        None
    };
    let mut log_off = 0u64;
    let mut asked = false;
    loop {
        let res = match rx.recv_timeout(TAIL_EVERY) {
            Ok(ToWatcher::Snapshot(upto)) => {
                asked = false;
                match ctx.screen().and_then(|s| s.snapshot(upto)) {
                    Some(snap) => send_resize(&mut stream, snap.cols, snap.rows).and_then(|_| {
                        protocol::write_frame(&mut stream, kind::SCREEN, snap.dump.as_bytes())
                    }),
                    None => Ok(()),
                }
            }
            Ok(ToWatcher::Output(b)) => protocol::write_frame(&mut stream, kind::OUTPUT, &b),
            Ok(ToWatcher::Resize(c, r)) => send_resize(&mut stream, c, r),
            Ok(ToWatcher::Notice(t)) => {
                protocol::write_frame(&mut stream, kind::NOTICE, t.as_bytes())
            }
            Ok(ToWatcher::State(s)) => protocol::write_frame(
                &mut stream,
                kind::STATE,
                &serde_json::to_vec(&*s).unwrap_or_default(),
            ),
            Ok(ToWatcher::End(e)) => {
                if let Some(f) = &log {
                    let _ = tail_log(f, &mut log_off, &mut stream);
                }
                let _ = send_end(&mut stream, &e);
                break;
            }
            Err(RecvTimeoutError::Timeout) => {
                if behind.load(Ordering::Acquire) && !asked {
                    asked = true;
                    let _ = ctx.events.send(ToHub::Resync(id));
                }
                Ok(())
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let res = res.and_then(|_| match &log {
            Some(f) => tail_log(f, &mut log_off, &mut stream),
            None => Ok(()),
        });
        if res.is_err() {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

fn send_resize(stream: &mut UnixStream, cols: u16, rows: u16) -> io::Result<()> {
    let mut p = Vec::with_capacity(4);
    p.extend_from_slice(&cols.to_be_bytes());
    p.extend_from_slice(&rows.to_be_bytes());
    protocol::write_frame(stream, kind::RESIZE, &p)
}

fn send_end(stream: &mut UnixStream, e: &Ended) -> io::Result<()> {
    protocol::write_frame(
        stream,
        kind::END,
        &serde_json::to_vec(e).unwrap_or_default(),
    )?;
    stream.flush()
}

/// Send the whole log lines written since `off`.
fn tail_log(f: &File, off: &mut u64, stream: &mut UnixStream) -> io::Result<()> {
    let mut buf = vec![0u8; LOG_CHUNK];
    loop {
        let n = f.read_at(&mut buf, *off)?;
        let Some(last) = buf[..n].iter().rposition(|&b| b == b'\n') else {
            return Ok(());
        };
        protocol::write_frame(stream, kind::LOG, &buf[..=last])?;
        *off += last as u64 + 1;
        if n < LOG_CHUNK {
            return Ok(());
        }
    }
}
