//! What the socket side tells the session's hub, and the one way it tells it: the
//! server knows this type and the [`Inlet`] trait, never the session's own channels or
//! events (the session implements [`Inlet`] and turns each message into its event).

use super::acl::Peer;
use super::{FromWatcher, WatcherHandle, WatcherId};

/// A message from the socket side to the hub.
pub enum ToHub {
    /// A watcher was admitted.
    Join(Box<WatcherHandle>),
    /// Someone was refused; `mode` is what they asked for.
    Denied { peer: Peer, mode: String },
    /// A marker from `breakglass mark`.
    Mark { peer: Peer, text: String },
    /// A watcher asks for something.
    Watcher(WatcherId, FromWatcher),
    /// A watcher is gone.
    Left(WatcherId),
    /// A watcher that fell behind has caught up and wants a fresh screen.
    Resync(WatcherId),
    /// `breakglass extend` asks for more time.
    Extend(Box<super::extend::Request>),
}

/// The hub has gone: the session is over, nothing more will be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubGone;

/// Where the socket side sends: waits for room when the hub is busy, fails once it is gone.
pub trait Inlet: Send + Sync {
    fn send(&self, msg: ToHub) -> Result<(), HubGone>;
}
