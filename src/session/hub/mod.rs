//! The hub: the one thread that owns the session. It records every event in the log
//! before anything else happens with it, shows output on the user's terminal, passes input
//! to the PTY, enforces the time limit, and decides when the session is over.
//!
//! The hub's state is in parts that each own their data: the log ([`Recorder`]), the
//! syslog witness ([`Witness`]), the child and its end ([`Child`]), the time limit
//! ([`Limit`]), input held for a prompt ([`Typeahead`]), everyone attached and the
//! keyboard ([`Audience`]), and what the owner's terminal shows ([`OwnerView`]). The hub
//! itself only coordinates: this file has the loop and what every event is sent to, and
//! the few acts every part uses (record, show, tell); `owner.rs` is what it does for the
//! owner's terminal and the child, `socket.rs` for the watchers, and `inputs.rs` is where
//! its events come from.

mod inputs;
mod owner;
mod socket;

use std::fs::File;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::ending::Child;
pub use super::ending::Ending;
use super::events::{DISPLAY_QUEUE, Event, Outlet, PTY_QUEUE};
use super::extend::{Limit, Rules};
use super::ownerrow::{Facts, OwnerView};
use super::recorder::{Recorder, Written};
use super::sealing::Masking;
use super::secret::SecretFilter;
use super::term;
use super::typeahead::Typeahead;
use super::watchers::{Audience, RESYNC_QUIET};
use super::witnessing::Witness;
use crate::live::ToWatcher;
use crate::log::record::Body;
use crate::log::writer::LogWriter;
use crate::time::clock;
use crate::witness::syslog::Syslog;
pub use inputs::Inputs;

/// After the child exits, output that is still coming is recorded until the PTY has been
/// quiet this long (a background job may hold the PTY open forever)...
const DRAIN_QUIET: Duration = Duration::from_millis(100);
/// ...or this long at most.
const DRAIN_MAX: Duration = Duration::from_secs(2);
/// Longest sleep of the loop; nothing in it needs finer ticks than what it computes.
const MAX_WAIT: Duration = Duration::from_secs(1);
/// After a keystroke reaches the PTY, the loop looks for its echo this long without going
/// to sleep: waking a sleeping thread through a channel costs tens of microseconds, a
/// large part of what breakglass adds to echo latency. Only a keystroke starts this, so
/// the cost is at most this much CPU per key typed, never during output.
const ECHO_WATCH: Duration = Duration::from_micros(400);

/// What the hub leaves behind.
pub struct HubResult {
    pub status: Option<ExitStatus>,
    pub ending: Option<Ending>,
    /// The log could not be written: why.
    pub log_error: Option<String>,
    /// Who was still watching at the end.
    pub audience: Audience,
}

/// The hub's state: its parts, and what the loop itself keeps.
pub struct Hub {
    start: Instant,
    /// The log, and masked input on its way in.
    log: Recorder,
    witness: Witness,
    /// The child, its size, and its end.
    child: Child,
    to_pty: Outlet,
    display: Outlet,
    secrets: SecretFilter,
    /// Input held back until a prompt may ask for it (session/typeahead.rs).
    typeahead: Typeahead,
    /// The time limit, the one place it is kept (`breakglass extend` moves it).
    limit: Limit,
    /// Stdin is a terminal (its end means the user is gone).
    interactive: bool,
    last_output: Instant,
    /// A keystroke was just sent: until then, look for its echo without sleeping.
    echo_watch: Option<Instant>,
    output_done: bool,
    /// The owner's terminal takes what is shown.
    show: bool,
    audience: Audience,
    /// The last input sent ended mid-line (for the end of piped input).
    open_line: bool,
    /// What breakglass tells the owner, and the status row.
    owner: OwnerView,
}

/// What a hub is made of.
pub struct HubParts {
    pub writer: LogWriter,
    pub start: Instant,
    pub master: File,
    pub pid: i32,
    pub to_pty: Outlet,
    pub display: Outlet,
    pub secrets: SecretFilter,
    pub masking: Masking,
    pub ttl_limit: Duration,
    pub extend_rules: Rules,
    pub interactive: bool,
    pub size: (u16, u16),
    pub audience: Audience,
    pub syslog: Option<Syslog>,
    pub session_id: String,
    pub owner: OwnerView,
}

impl Hub {
    pub fn new(p: HubParts) -> Hub {
        Hub {
            start: p.start,
            log: Recorder::new(p.writer, p.start, p.masking),
            witness: Witness::new(p.syslog, p.session_id.clone(), p.start),
            child: Child::new(p.master, p.pid, p.size),
            to_pty: p.to_pty,
            display: p.display,
            secrets: p.secrets,
            typeahead: Typeahead::default(),
            limit: Limit::new(p.ttl_limit, p.extend_rules, p.start, p.session_id),
            interactive: p.interactive,
            last_output: p.start,
            echo_watch: None,
            output_done: false,
            show: true,
            audience: p.audience,
            open_line: false,
            owner: p.owner,
        }
    }

    /// What became of a record: false unless written; a log that failed now ends the
    /// session.
    fn wrote(&mut self, w: Written) -> bool {
        match w {
            Written::Done => true,
            Written::Down => false,
            Written::Broke => {
                self.end(Ending::Error);
                false
            }
        }
    }

    /// Record, or end the session if the log cannot be written.
    fn record(
        &mut self,
        f: impl FnOnce(&mut LogWriter, u64) -> std::io::Result<()>,
        at: Instant,
    ) -> bool {
        let w = self.log.record(f, at);
        self.wrote(w)
    }

    /// Record a record of any kind now; a participant event is witnessed too.
    fn record_now(&mut self, body: Body) -> bool {
        let event = match &body {
            Body::Participant(p) => Some((p.event.clone(), p.who.clone())),
            _ => None,
        };
        let ok = self.record(|w, t| w.append(t, body), Instant::now());
        if ok
            && let Some((event, who)) = event
            && let Some(marker) = self.witness.event(&event, &who, &self.log.writer)
        {
            self.record_now(marker);
        }
        ok
    }

    /// Queue bytes for the owner's terminal. Output only arrives while there is room; a
    /// notice that finds the display stalled is dropped rather than waited for.
    fn show(&mut self, bytes: &[u8]) {
        if self.show && self.display.send(bytes).is_err() {
            self.show = false;
            self.audience.owner.lost = true;
        }
        term::shown(bytes);
        self.audience.owner.show(bytes);
    }

    /// Set the terminal title (only on a terminal; never recorded).
    fn set_title(&mut self, title: &str) {
        if term::is_tty(1) {
            self.show(format!("\x1b]0;{}\x07", crate::safe::text(title)).as_bytes());
        }
    }

    /// What the owner's row and title say about the rest of the session.
    fn facts(&self) -> Facts {
        let a = &self.audience;
        Facts {
            ends: clock::hhmm(self.limit.ends_at(), &clock::local()),
            watchers: a
                .watchers
                .iter()
                .map(|w| crate::safe::text(&w.peer.name).into_owned())
                .collect(),
            driver: a.wheel.map(|_| crate::safe::text(&a.driver()).into_owned()),
            escape: a.wheel_watch.escape,
            takes_back: a.wheel_watch.allowed,
            title: a.title.clone(),
        }
    }

    /// Show the owner what is to be shown now: repaint the row, set the title.
    fn status_changed(&mut self) {
        let facts = self.facts();
        let paint = self.owner.refresh(&facts);
        if let Some(bytes) = paint.row {
            self.show(&bytes);
        }
        if let Some(title) = paint.title {
            self.set_title(&title);
        }
    }

    /// A line from breakglass itself for the owner (never sent to the child).
    fn notice(&mut self, text: &str) {
        self.owner.notice(text);
        self.status_changed();
    }

    /// A line for the owner and every watcher.
    fn announce(&mut self, text: &str) {
        self.notice(text);
        let text = crate::safe::text(text);
        self.audience
            .broadcast(&ToWatcher::Notice(std::sync::Arc::from(&*text)));
    }

    /// Tell everyone who holds the keyboard and who watches; update the title.
    fn state_changed(&mut self) {
        self.audience.publish();
        self.status_changed();
    }

    /// End the session: hang up the child, and kill it if it is still there after a grace.
    pub fn end(&mut self, why: Ending) {
        self.child.end(why);
    }

    /// When the loop must wake up next at the latest.
    fn wait_time(&self) -> Duration {
        let now = Instant::now();
        let mut wait = MAX_WAIT;
        if let Some(d) = self.limit.until_next() {
            wait = wait.min(d);
        }
        if let Some(k) = self.child.kill_at {
            wait = wait.min(k.saturating_duration_since(now));
        }
        if let Some(c) = self.log.until_checkpoint(now) {
            wait = wait.min(c);
        }
        if let Some(f) = self.audience.next_frame() {
            wait = wait.min(f.saturating_duration_since(now));
        }
        if let Some(s) = self.audience.wheel_watch.next_sample() {
            wait = wait.min(s.saturating_duration_since(now));
        }
        if !self.audience.resync_wanted.is_empty() {
            let quiet = self.last_output + RESYNC_QUIET;
            wait = wait.min(quiet.saturating_duration_since(now));
        }
        if let Some(h) = self.typeahead.due() {
            wait = wait.min(h.saturating_duration_since(now));
        }
        if let Some(o) = self.audience.owner.due(self.last_output) {
            wait = wait.min(o.saturating_duration_since(now));
        }
        if let Some(t) = self.owner.until() {
            wait = wait.min(t.saturating_duration_since(now));
        }
        if let Some(x) = self.child.exited_at {
            let quiet = (self.last_output.max(x) + DRAIN_QUIET).saturating_duration_since(now);
            wait = wait.min(quiet);
        }
        wait
    }

    /// Whether the session is over: the child is gone and its output drained. While
    /// output is `waiting` (read but not yet recorded: the display was slow to take it, or
    /// not yet read) the PTY is not quiet, however long that takes on a loaded machine.
    fn finished(&self, waiting: bool) -> bool {
        let Some(x) = self.child.exited_at else {
            return false;
        };
        let now = Instant::now();
        self.output_done
            || now >= x + DRAIN_MAX
            || (!waiting && now >= self.last_output.max(x) + DRAIN_QUIET)
            || self.log.error.is_some()
    }

    /// Act on one event.
    pub fn handle(&mut self, ev: Event) {
        match ev {
            Event::Output(b, at) => self.on_output(b, at),
            Event::OutputEnd => self.output_done = true,
            Event::Input(b, at) => self.on_owner_input(b, at),
            Event::InputEnd if self.interactive => self.terminal_gone(),
            // Piped input ran out: pass the end on, as a typed Ctrl-D would; after a line
            // without its newline, one Ctrl-D only sends that line, so a second ends it.
            Event::InputEnd => {
                let eof = if self.open_line {
                    vec![0x04, 0x04]
                } else {
                    vec![0x04]
                };
                self.on_owner_input(eof, Instant::now())
            }
            Event::Signal(sig) => self.on_signal(sig),
            Event::Exited(st) => self.child.exited(st.ok()),
            Event::Join(h) if h.attach.is_some() => self.on_attach(*h),
            Event::Join(h) => self.on_join(*h),
            Event::Denied { peer, mode } => self.on_denied(peer, &mode),
            Event::Mark { peer, text } => self.on_mark(&peer.name, &text),
            Event::Watcher(id, msg) if self.audience.owner.is(id) => self.on_attached(msg),
            Event::Extend(req) => self.on_extend(*req),
            Event::Watcher(id, msg) => self.on_watcher(id, msg),
            Event::Left(id) if self.audience.owner.is(id) => self.attached_left(),
            Event::Left(id) => self.on_left(id),
            Event::Resync(id) if self.audience.owner.is(id) => self.audience.owner.want_resync(),
            Event::Resync(id) => self.on_resync(id),
        }
    }

    /// Whether the PTY writer can take more input now.
    fn pty_has_room(&self) -> bool {
        self.to_pty.queued() < PTY_QUEUE
    }

    /// The next event: control events always; output only while the display has room and
    /// keystrokes only while the PTY has room. None on a timeout.
    fn next_event(&self, rx: &mut Inputs) -> Option<Event> {
        let display_room = !self.show || self.display.queued() < DISPLAY_QUEUE;
        rx.next(display_room, self.pty_has_room(), self.echo_watch, || {
            self.wait_time()
        })
    }

    /// Run until the session is over, after acting on `earlier` events.
    pub fn run(mut self, earlier: Vec<Event>, mut rx: Inputs) -> (HubResult, LogWriter) {
        self.start_row(term::user_size());
        for ev in earlier {
            self.handle(ev);
        }
        loop {
            if let Some(ev) = self.next_event(&mut rx) {
                self.handle(ev);
            }
            self.check_held();
            self.tend_owner(&mut rx);
            self.audience.pace(self.child.size.1, Instant::now(), false);
            self.grant_resyncs();
            self.watch_wheel(Instant::now());
            self.on_ttl();
            self.status_tick(Instant::now());
            let signed = self.log.sign_if_due();
            self.wrote(signed);
            self.child.kill_if_due();
            let waiting = !rx.output.is_empty() || super::events::readable_now(&self.child.master);
            if self.finished(waiting) {
                break;
            }
        }
        let flushed = self.log.flush_sealed();
        self.wrote(flushed);
        self.audience.grant_resyncs_at_end(self.log.writer.len());
        self.audience.pace(self.child.size.1, Instant::now(), true);
        let res = HubResult {
            status: self.child.status,
            ending: self.child.ending,
            log_error: self.log.error,
            audience: self.audience,
        };
        (res, self.log.writer)
    }
}
