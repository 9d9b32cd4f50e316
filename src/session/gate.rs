//! `--require-operator`: the command does not start until an operator watches. Until
//! then the owner's keys go nowhere, watchers may already attach, and Ctrl-C gives up.

use std::fs::File;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::events::Event;
use super::hub::Ending;
use crate::live::acl::Access;

/// How often the wait looks at the time limit.
const TICK: Duration = Duration::from_secs(1);

/// The outcome of waiting.
pub enum Gate {
    /// An operator joined: start, then act on these events first.
    Open(Vec<Event>),
    /// Given up before the start.
    Closed(Ending),
}

fn say(out: &mut File, text: &str) {
    let _ = write!(out, "\r\n\x1b[1;7m breakglass \x1b[0m {text}\r\n");
}

/// Wait for an operator to join, keeping every other event for the hub.
pub fn wait_for_operator(
    rx: &Receiver<Event>,
    out: &mut File,
    id: &str,
    ttl: Duration,
    interactive: bool,
) -> Gate {
    let start = Instant::now();
    say(
        out,
        &format!(
            "waiting for an operator to watch (breakglass watch {id}) before starting; Ctrl-C gives up"
        ),
    );
    let mut pending = Vec::new();
    loop {
        match rx.recv_timeout(TICK.min(ttl.saturating_sub(start.elapsed()))) {
            Ok(Event::Join(h)) => {
                let operator = h.access == Access::Operate;
                pending.push(Event::Join(h));
                if operator {
                    say(out, "an operator is watching: starting");
                    return Gate::Open(pending);
                }
            }
            Ok(Event::Input(b, _)) if b.contains(&0x03) || b.contains(&0x04) => {
                return Gate::Closed(Ending::Killed);
            }
            Ok(Event::Input(..)) => say(
                out,
                "still waiting for an operator; your keys are not sent (Ctrl-C gives up)",
            ),
            Ok(Event::InputEnd) if interactive => return Gate::Closed(Ending::Hangup),
            Ok(Event::InputEnd) | Ok(Event::Signal(libc::SIGWINCH)) => {}
            Ok(Event::Signal(libc::SIGHUP)) => return Gate::Closed(Ending::Hangup),
            Ok(Event::Signal(_)) => return Gate::Closed(Ending::Killed),
            Ok(other) => pending.push(other),
            Err(RecvTimeoutError::Timeout) if start.elapsed() >= ttl => {
                return Gate::Closed(Ending::Ttl);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Gate::Closed(Ending::Error),
        }
    }
}
