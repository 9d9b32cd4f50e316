//! Where the session owner's terminal is (here, detached until a time, or an attach
//! client), shared by the hub, which changes it as the terminal goes and comes back
//! (src/session/detach.rs), and the live socket, which claims it for `breakglass attach`
//! so that only a detached session is attached, by one client at a time.

use std::sync::{Arc, Mutex};

/// Where the owner's terminal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// The terminal the session started on.
    #[default]
    Here,
    /// Gone; the session waits for an attach until then.
    Detached { until: jiff::Timestamp },
    /// A `breakglass attach` client is the owner's terminal.
    Attached,
}

/// The presence shared by the hub (which changes it) and the live socket (which claims it).
pub type Slot = Arc<Mutex<Presence>>;

/// Why an attach was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "the session's owner is still at its terminal: only a detached session can be attached (this is not a takeover; `breakglass watch` shows it)"
    )]
    OwnerHere,
    #[error("the session is already attached from another terminal")]
    Taken,
}

/// Claim a detached session for one attaching client: the presence it had, to put back
/// with [`release`] if the client never gets as far as the hub.
pub fn claim(slot: &Slot) -> Result<Presence, Refused> {
    let mut p = slot.lock().unwrap_or_else(|e| e.into_inner());
    match *p {
        Presence::Here => Err(Refused::OwnerHere),
        Presence::Attached => Err(Refused::Taken),
        was @ Presence::Detached { .. } => {
            *p = Presence::Attached;
            Ok(was)
        }
    }
}

/// Undo a [`claim`] whose client went before the hub heard of it.
pub fn release(slot: &Slot, was: Presence) {
    let mut p = slot.lock().unwrap_or_else(|e| e.into_inner());
    if *p == Presence::Attached {
        *p = was;
    }
}

/// Until when a detached session waits, as `Welcome::detached_until` says it.
pub fn detached_until(slot: &Slot) -> Option<String> {
    match *slot.lock().unwrap_or_else(|e| e.into_inner()) {
        Presence::Detached { until } => Some(until.to_string()),
        _ => None,
    }
}
