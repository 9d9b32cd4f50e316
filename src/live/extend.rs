//! `breakglass extend` on the socket side: the request a connection's thread hands the
//! hub, and the wait for its answer. The hub decides (src/session/extend.rs).

use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use super::acl::{Access, Peer};
use super::inlet::{Inlet, ToHub};

/// A request the hub takes up later than this after it was asked is refused, not made:
/// the one asking may have been told the session did not answer.
pub const ANSWER_WAIT: Duration = Duration::from_secs(5);
/// How long the connection asking waits for the hub's answer: a little longer than the
/// hub acts on a request, so no extension is made after the asker was told it was not,
/// and under the client's own 10 s wait, so the client hears why.
pub const REPLY_WAIT: Duration = Duration::from_secs(6);

/// One request, as the connection's thread hands it to the hub.
#[derive(Debug)]
pub struct Request {
    pub peer: Peer,
    /// The peer is the session's owner (its uid).
    pub owner: bool,
    /// The peer may operate (root, or listed as an operator).
    pub operator: bool,
    /// How much later the session should end.
    pub by: Duration,
    /// When it was asked (see [`ANSWER_WAIT`]).
    pub asked: Instant,
    /// The answer: the new end in words, or why not.
    pub reply: SyncSender<Result<String, String>>,
}

/// Ask the hub on `events` for `by_s` more seconds, on behalf of `peer` (a connection's
/// thread, which waits here at most [`REPLY_WAIT`]): what to tell the asker, or why not.
pub fn ask(
    events: &dyn Inlet,
    peer: Peer,
    owner: bool,
    access: Access,
    by_s: Option<u64>,
) -> Result<String, String> {
    let Some(by) = by_s.filter(|s| *s > 0).map(Duration::from_secs) else {
        return Err("an extension needs `by_s` of at least 1 second".into());
    };
    let (reply, answer) = std::sync::mpsc::sync_channel(1);
    let req = Request {
        peer,
        owner,
        operator: access == Access::Operate,
        by,
        asked: Instant::now(),
        reply,
    };
    if events.send(ToHub::Extend(Box::new(req))).is_err() {
        return Err("the session is ending".into());
    }
    answer
        .recv_timeout(REPLY_WAIT)
        .unwrap_or_else(|_| Err("the session did not answer in time; nothing was changed".into()))
}
