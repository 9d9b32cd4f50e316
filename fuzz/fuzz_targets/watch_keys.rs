//! The watcher's key state machine fed whatever a watcher types (and whatever their
//! terminal sends: escape sequences, pastes, stray control bytes). Replay's keys come
//! from crossterm's event reader, which parses the terminal's bytes; its own part is a
//! mapping of key events, unit-tested in `replay::keys`.
//!
//! Checks, for arbitrary bytes:
//! - `live::keys::Keys::new(0x1d).feed` (the watcher's Ctrl-] commands) never panics;
//!   every byte it passes through to the session was typed (no byte invented); feeding the
//!   same bytes in two pieces gives the same actions once the keystrokes to send are
//!   joined back together.

#![no_main]

use breakglass::live::keys::{Action, DEFAULT_ESCAPE, Keys as WatchKeys};
use libfuzzer_sys::fuzz_target;

/// Adjacent `Send`s joined: how the bytes are cut into feeds may cut them differently.
fn joined(actions: Vec<Action>) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::new();
    for a in actions {
        match (out.last_mut(), a) {
            (Some(Action::Send(prev)), Action::Send(more)) => prev.extend(more),
            (_, a) => out.push(a),
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    assert_eq!(DEFAULT_ESCAPE, 0x1d);
    let whole = WatchKeys::new(0x1d).feed(data);
    let sent: usize = whole
        .iter()
        .map(|a| match a {
            Action::Send(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert!(sent <= data.len(), "more bytes sent than typed");

    let cut = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    let mut keys = WatchKeys::new(0x1d);
    let mut pieces = keys.feed(&data[..cut]);
    pieces.extend(keys.feed(&data[cut..]));
    assert_eq!(
        joined(whole),
        joined(pieces),
        "the actions depend on how the keys were read"
    );
});
