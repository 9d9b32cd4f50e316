//! Live sessions: the Unix socket a running session listens on, who may attach, the
//! terminal snapshot a late joiner sees, and the client side of `watch`, `mark`,
//! `attach` and `extend`. The socket side tells the session's hub what happens through
//! [`inlet`], never through the session's own channels.
//!
//! The hub never writes to a socket: each watcher has a writer thread fed through a
//! bounded queue, so a slow or stopped watcher is resynced with a fresh snapshot when it
//! reads again, and never slows the session.

pub mod acl;
pub mod admission;
pub mod attach;
pub mod client;
pub mod extend;
pub mod feed;
pub mod inlet;
pub mod keys;
pub mod pace;
pub mod presence;
pub mod protocol;
pub mod render;
pub mod scan;
pub mod screen;
pub mod server;
pub mod status;
pub mod tail;
pub mod trust;
pub mod watcher;
pub mod words;

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::SyncSender;

use acl::{Access, Peer};
use protocol::{Ended, State};

/// What watchers are told about the session as it changes: keyboard holder and watcher
/// names, columns, rows. Written by the hub, read when admitting a watcher.
pub type LiveState = Arc<std::sync::Mutex<(State, u16, u16)>>;

/// Identifies a watcher for the life of the session.
pub type WatcherId = u64;

/// Frames waiting for one watcher. A stopped watcher holds at most this many output
/// chunks (of up to 64 KiB, shared with other watchers) before it is marked behind.
pub const WATCHER_QUEUE: usize = 32;

/// Most watchers at once; each costs two threads and a socket.
pub const MAX_WATCHERS: usize = 64;

/// What the hub sends a watcher's writer thread.
#[derive(Debug, Clone)]
pub enum ToWatcher {
    /// Send a snapshot of the screen as of this log length, then carry on live.
    Snapshot(u64),
    /// A chunk of output, shared with the other watchers and the pace tracker.
    Output(Arc<Vec<u8>>),
    Resize(u16, u16),
    Notice(Arc<str>),
    State(Arc<State>),
    End(Arc<Ended>),
}

/// What a watcher asks of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromWatcher {
    Input(Vec<u8>),
    Take,
    Return,
    Kill,
    Mark(String),
    Detach,
    /// The attached owner's terminal has this many columns and rows.
    Resize(u16, u16),
}

/// An admitted watcher, handed to the hub.
#[derive(Debug)]
pub struct WatcherHandle {
    pub id: WatcherId,
    pub peer: Peer,
    pub access: Access,
    /// Take the keyboard at once (`watch --operate`).
    pub operate_now: bool,
    /// The owner's terminal attached again (`breakglass attach`), of this size.
    pub attach: Option<(u16, u16)>,
    pub tx: SyncSender<ToWatcher>,
    /// Set by the hub when the queue overflowed; the writer asks for a resync once drained.
    pub behind: Arc<AtomicBool>,
    pub stream: UnixStream,
    /// What it may be sent as it is, and where it is while it skips.
    pub pace: pace::Pace,
}
