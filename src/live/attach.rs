//! The session side of `breakglass attach`: the session owner's uid only (checked by the
//! caller), the terminal size that follows the hello, and the claim on a detached
//! session (presence.rs) that makes a second attach, or one while the owner's
//! terminal is there, a refusal.

use std::os::unix::net::UnixStream;
use std::sync::Arc;

use super::acl::{Access, Peer};
use super::admission;
use super::presence as detach;
use super::protocol::{self, kind};
use super::server::{ServerCtx, admit, deny};

/// Admit the owner's new terminal if the session is detached; the claim is given back
/// if the client goes before the hub hears of it.
pub(super) fn admit_owner(mut stream: UnixStream, ctx: Arc<ServerCtx>, peer: Peer) {
    let size = match admission::read_hello(&mut stream, admission::HELLO_TIMEOUT) {
        Some(f) if f.kind == kind::SIZE => match protocol::size_of(&f.payload) {
            Some(s) => s,
            None => return,
        },
        _ => return, // no size, or not in time: drop this client only
    };
    let was = match detach::claim(&ctx.presence) {
        Ok(was) => was,
        Err(why) => return deny(&mut stream, &why.to_string()),
    };
    let presence = Arc::clone(&ctx.presence);
    let joined = admit(
        stream,
        ctx,
        peer,
        Access::Operate,
        (false, Some(size)),
        false,
    );
    if !joined {
        detach::release(&presence, was);
    }
}
