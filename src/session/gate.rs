//! `--require-operator`: the command does not start until an operator joins to operate
//! (`watch --operate`). Until then the owner's keys are dropped (as after an operator
//! leaves, see [`super::watchers::DROPPED`]), watchers may already attach, and Ctrl-C
//! gives up.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::bell::{self, Bell, Woke};
use super::events::{Event, Outlet};
use super::hub::Ending;
use super::watchers::{DROPPED, REMIND_EVERY};

/// How often the wait looks at the time limit.
const TICK: Duration = Duration::from_secs(1);

/// The outcome of waiting.
pub enum Gate {
    /// An operator joined: start, then act on these events first.
    Open(Vec<Event>),
    /// Given up before the start.
    Closed(Ending),
}

fn say(out: &Outlet, text: &str) {
    let _ = out.send(format!("\r\n\x1b[1;7m breakglass \x1b[0m {text}\r\n").as_bytes());
}

/// Wait for an operator to join, keeping every other event for the hub.
pub fn wait_for_operator(
    control: &Receiver<Event>,
    bell: &Bell,
    out: &Outlet,
    id: &str,
    ttl: Duration,
    interactive: bool,
) -> Gate {
    let start = Instant::now();
    say(
        out,
        &format!(
            "waiting for an operator to join (breakglass watch {id} --operate) before starting; keys typed until then are dropped; Ctrl-C gives up"
        ),
    );
    let mut pending = Vec::new();
    let mut input_open = true;
    let mut reminded: Option<Instant> = None;
    loop {
        let ev = match control.try_recv() {
            Ok(ev) => Some(ev),
            Err(_) => match bell::sleep(
                bell,
                input_open,
                TICK.min(ttl.saturating_sub(start.elapsed())),
            ) {
                Woke::Keys => bell::read_keys(&mut input_open),
                Woke::Other => None,
            },
        };
        match ev {
            Some(Event::Join(h)) => {
                let operator = h.operate_now;
                let name = h.peer.name.clone();
                pending.push(Event::Join(h));
                if operator {
                    say(out, "an operator has joined: starting");
                    return Gate::Open(pending);
                }
                say(
                    out,
                    &format!(
                        "{name} watches but did not join to operate: still waiting (breakglass watch {id} --operate)"
                    ),
                );
            }
            Some(Event::Input(b, _)) if b.contains(&0x03) || b.contains(&0x04) => {
                return Gate::Closed(Ending::Killed);
            }
            // Told at most every few seconds, not on every key.
            Some(Event::Input(..)) if reminded.is_none_or(|t| t.elapsed() >= REMIND_EVERY) => {
                reminded = Some(Instant::now());
                say(out, &format!("{DROPPED} (Ctrl-C gives up)"));
            }
            Some(Event::Input(..)) => {}
            Some(Event::InputEnd) if interactive => return Gate::Closed(Ending::Hangup),
            Some(Event::InputEnd) | Some(Event::Signal(libc::SIGWINCH)) => {}
            Some(Event::Signal(libc::SIGHUP)) => return Gate::Closed(Ending::Hangup),
            Some(Event::Signal(libc::SIGTERM | libc::SIGINT | libc::SIGQUIT)) => {
                return Gate::Closed(Ending::Killed);
            }
            Some(Event::Signal(_)) => {}
            Some(Event::Extend(req)) => {
                let why =
                    "the session waits for an operator to join; extend it once it has started";
                let _ = req.reply.try_send(Err(why.into()));
            }
            Some(other) => pending.push(other),
            None if start.elapsed() >= ttl => return Gate::Closed(Ending::Ttl),
            None => {}
        }
    }
}
