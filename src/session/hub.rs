//! The hub: the one thread that owns the session. It records every event in the log
//! before anything else happens with it, shows output on the user's terminal, passes input
//! to the PTY, enforces the time limit, and decides when the session is over.

use std::fs::File;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::bell::{self, Bell, Woke};
pub use super::ending::Ending;
use super::events::{DISPLAY_QUEUE, Event, Outlet, PTY_QUEUE};
use super::extend::Rules;
use super::ownerrow::OwnerView;
use super::sealing::Masking;
use super::secret::SecretFilter;
use super::term;
use super::ttl::Ttl;
use super::typeahead::Held;
use super::watchers::{Audience, RESYNC_QUIET};
use crate::log::record::Body;
use crate::log::writer::LogWriter;
use crate::witness::syslog::Syslog;

/// After the child exits, output that is still coming is recorded until the PTY has been
/// quiet this long (a background job may hold the PTY open forever)...
const DRAIN_QUIET: Duration = Duration::from_millis(100);
/// ...or this long at most.
const DRAIN_MAX: Duration = Duration::from_secs(2);
/// While the display or the PTY has no room, the loop looks again this often.
const ROOM_POLL: Duration = Duration::from_millis(5);
/// Longest sleep of the loop; nothing in it needs finer ticks than what it computes.
const MAX_WAIT: Duration = Duration::from_secs(1);
/// After a keystroke reaches the PTY, the loop looks for its echo this long without going
/// to sleep: waking a sleeping thread through a channel costs tens of microseconds, a
/// large part of what breakglass adds to echo latency. Only a keystroke starts this, so
/// the cost is at most this much CPU per key typed, never during output.
const ECHO_WATCH: Duration = Duration::from_micros(400);

/// Where the hub's events come from: two channels, the bell their senders ring, and the
/// owner's stdin.
pub struct Inputs {
    pub control: Receiver<Event>,
    pub output: Receiver<Event>,
    pub bell: Bell,
    pub output_closed: bool,
    /// Stdin has not reached its end.
    pub stdin_open: bool,
}

impl Inputs {
    pub fn new(control: Receiver<Event>, output: Receiver<Event>, bell: Bell) -> Inputs {
        Inputs {
            control,
            output,
            bell,
            output_closed: false,
            stdin_open: true,
        }
    }
}

/// What the hub leaves behind.
pub struct HubResult {
    pub status: Option<ExitStatus>,
    pub ending: Option<Ending>,
    /// The log could not be written: why.
    pub log_error: Option<String>,
    /// Who was still watching at the end.
    pub audience: Audience,
}

/// The hub's state.
pub struct Hub {
    pub writer: LogWriter,
    pub start: Instant,
    pub(super) master: File,
    pub(super) pid: i32,
    pub to_pty: Outlet,
    pub display: Outlet,
    pub secrets: SecretFilter,
    /// Masked input dropped to its length or sealed.
    pub(super) masking: Masking,
    /// Input held back until a prompt may ask for it (session/typeahead.rs).
    pub(super) held: Option<Held>,
    /// The time limit, the one place it is kept (`breakglass extend` moves it).
    pub(super) ttl: Ttl,
    /// What an extension is judged by (session/extend.rs).
    pub(super) extend_rules: Rules,
    /// Stdin is a terminal (its end means the user is gone).
    pub interactive: bool,
    pub(super) size: (u16, u16),
    pub(super) status: Option<ExitStatus>,
    exited_at: Option<Instant>,
    pub(super) last_output: Instant,
    /// A keystroke was just sent: until then, look for its echo without sleeping.
    echo_watch: Option<Instant>,
    output_done: bool,
    pub(super) ending: Option<Ending>,
    pub(super) kill_at: Option<Instant>,
    pub(super) log_error: Option<String>,
    pub(super) show: bool,
    pub audience: Audience,
    /// The last input sent ended mid-line (for the end of piped input).
    open_line: bool,
    pub(super) syslog: Option<Syslog>,
    pub(super) session_id: String,
    /// When the head was last witnessed, and output since.
    pub(super) witnessed_at: Instant,
    pub(super) witness_bytes: u64,
    /// Syslog messages lost, as last recorded in the log.
    pub(super) syslog_missed: u64,
    /// What breakglass tells the owner, and the status row.
    pub(super) owner: OwnerView,
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
            writer: p.writer,
            start: p.start,
            master: p.master,
            pid: p.pid,
            to_pty: p.to_pty,
            display: p.display,
            secrets: p.secrets,
            masking: p.masking,
            held: None,
            ttl: Ttl::new(p.ttl_limit),
            extend_rules: p.extend_rules,
            interactive: p.interactive,
            size: p.size,
            status: None,
            exited_at: None,
            last_output: p.start,
            echo_watch: None,
            output_done: false,
            ending: None,
            kill_at: None,
            log_error: None,
            show: true,
            audience: p.audience,
            open_line: false,
            syslog: p.syslog,
            session_id: p.session_id,
            witnessed_at: p.start,
            witness_bytes: 0,
            syslog_missed: 0,
            owner: p.owner,
        }
    }

    fn micros(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// Record a record of any kind now.
    pub(super) fn record_now(&mut self, body: Body) -> bool {
        let event = match &body {
            Body::Participant(p) => Some((p.event.clone(), p.who.clone())),
            _ => None,
        };
        let ok = self.record(|w, t| w.append(t, body), Instant::now());
        if ok && let Some((event, who)) = event {
            self.witness_event(&event, &who);
        }
        ok
    }

    /// Set the terminal title (only on a terminal; never recorded).
    pub(super) fn set_title(&mut self, title: &str) {
        if term::is_tty(1) {
            self.show(format!("\x1b]0;{}\x07", crate::safe::text(title)).as_bytes());
        }
    }

    /// Record, or end the session if the log cannot be written.
    pub(super) fn record(
        &mut self,
        f: impl FnOnce(&mut LogWriter, u64) -> std::io::Result<()>,
        at: Instant,
    ) -> bool {
        if self.log_error.is_some() {
            return false;
        }
        let t = self.micros(at);
        match f(&mut self.writer, t) {
            Ok(()) => true,
            Err(e) => {
                self.log_error = Some(e.to_string());
                self.end(Ending::Error);
                false
            }
        }
    }

    /// Queue bytes for the owner's terminal. Output only arrives while there is room; a
    /// notice that finds the display stalled is dropped rather than waited for.
    pub(super) fn show(&mut self, bytes: &[u8]) {
        if self.show && self.display.send(bytes).is_err() {
            self.show = false;
            self.audience.owner.lost = true;
        }
        term::shown(bytes);
        self.to_attached(bytes);
    }

    fn on_output(&mut self, bytes: Vec<u8>, at: Instant) {
        self.last_output = Instant::now();
        self.echo_watch = None;
        if self.record(|w, t| w.output(t, &bytes), at) {
            self.witness_output(bytes.len());
            self.secrets.on_output(&bytes);
            self.show_output(&bytes);
            self.audience.output(bytes, Instant::now());
        }
    }

    /// The owner typed: send it unless a watcher holds the keyboard or an operator is
    /// required and absent.
    pub(super) fn on_owner_input(&mut self, bytes: Vec<u8>, at: Instant) {
        // Piped input is read for the escape key only while a watcher holds the keyboard,
        // as the owner's keys are not sent then anyway.
        let bytes = if self.interactive || self.audience.wheel.is_some() {
            let keys = self.audience.wheel_watch.keys.read(&bytes);
            for c in keys.commands {
                self.owner_command(c);
            }
            keys.pass
        } else {
            bytes
        };
        if !bytes.is_empty() && self.owner_may_type() {
            self.on_input("owner", bytes, at);
        }
    }

    /// Record input (masking secrets) and pass it to the PTY.
    pub(super) fn pass_input(&mut self, by: &str, bytes: Vec<u8>, at: Instant) {
        if self.status.is_some() || self.ending.is_some() {
            return;
        }
        if let Some(&last) = bytes.last() {
            self.open_line = !matches!(last, b'\r' | b'\n' | 0x04);
        }
        if !self.record_input(by, &bytes, at) {
            return;
        }
        // There is room: input is only taken while the PTY queue has some.
        let _ = self.to_pty.send(&bytes);
        self.echo_watch = Some(Instant::now() + ECHO_WATCH);
    }

    /// When the loop must wake up next at the latest.
    fn wait_time(&self) -> Duration {
        let now = Instant::now();
        let mut wait = MAX_WAIT;
        if let Some(d) = self.ttl.until_next(self.start.elapsed()) {
            wait = wait.min(d);
        }
        if let Some(k) = self.kill_at {
            wait = wait.min(k.saturating_duration_since(now));
        }
        if let Some(c) = self.until_checkpoint(now) {
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
        if let Some(h) = &self.held {
            wait = wait.min(h.due().saturating_duration_since(now));
        }
        if let Some(o) = self.owner_due() {
            wait = wait.min(o.saturating_duration_since(now));
        }
        if let Some(t) = self.owner.until() {
            wait = wait.min(t.saturating_duration_since(now));
        }
        if let Some(x) = self.exited_at {
            let quiet = (self.last_output.max(x) + DRAIN_QUIET).saturating_duration_since(now);
            wait = wait.min(quiet);
        }
        wait
    }

    /// Whether the session is over: the child is gone and its output drained. While
    /// output is `waiting` (read but not yet recorded: the display was slow to take it, or
    /// not yet read) the PTY is not quiet, however long that takes on a loaded machine.
    fn finished(&self, waiting: bool) -> bool {
        let Some(x) = self.exited_at else {
            return false;
        };
        let now = Instant::now();
        self.output_done
            || now >= x + DRAIN_MAX
            || (!waiting && now >= self.last_output.max(x) + DRAIN_QUIET)
            || self.log_error.is_some()
    }

    /// Run until the session is over.
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
            Event::Exited(st) => {
                self.status = st.ok();
                self.exited_at = Some(Instant::now());
            }
            Event::Join(h) if h.attach.is_some() => self.on_attach(*h),
            Event::Join(h) => self.on_join(*h),
            Event::Denied { peer, mode } => self.on_denied(peer, &mode),
            Event::Mark { peer, text } => self.on_mark(&peer.name, &text),
            Event::Watcher(id, msg) if self.audience.owner.is(id) => self.on_attached(msg),
            Event::Extend(req) => self.on_extend(*req),
            Event::Watcher(id, msg) => self.on_watcher(id, msg),
            Event::Left(id) if self.audience.owner.is(id) => self.attached_left(),
            Event::Left(id) => self.on_left(id),
            Event::Resync(id) if self.audience.owner.is(id) => self.attached_resync(),
            Event::Resync(id) => self.on_resync(id),
        }
    }

    /// Whether the PTY writer can take more input now.
    pub(super) fn pty_has_room(&self) -> bool {
        self.to_pty.queued() < PTY_QUEUE
    }

    /// The next event: control events always; output only while the display has room and
    /// keystrokes only while the PTY has room. None on a timeout.
    fn next_event(&self, rx: &mut Inputs) -> Option<Event> {
        let display_room = !self.show || self.display.queued() < DISPLAY_QUEUE;
        let pty_room = self.pty_has_room();
        let keys = pty_room && rx.stdin_open;
        // Keystrokes first: a flood of output must not hold up a Ctrl-C.
        if keys && !rx.output.is_empty() && bell::keys_waiting() {
            return bell::read_keys(&mut rx.stdin_open);
        }
        if let Some(ev) = Self::poll_once(rx, display_room) {
            return Some(ev);
        }
        if let Some(until) = self.echo_watch {
            while Instant::now() < until {
                if let Some(ev) = Self::poll_once(rx, display_room) {
                    return Some(ev);
                }
                std::thread::yield_now();
            }
        }
        let mut wait = self.wait_time();
        if !display_room || !pty_room {
            // The writer threads ring when they take a chunk; this is only a safety net.
            wait = wait.min(ROOM_POLL);
        }
        match bell::sleep(&rx.bell, keys, wait) {
            Woke::Keys => bell::read_keys(&mut rx.stdin_open),
            Woke::Other => None,
        }
    }

    /// An event that is already waiting, without blocking: control first, then output if
    /// there is room for it.
    fn poll_once(rx: &mut Inputs, display_room: bool) -> Option<Event> {
        if let Ok(ev) = rx.control.try_recv() {
            return Some(ev);
        }
        if display_room && !rx.output_closed {
            return Self::take_from(&rx.output, &mut rx.output_closed);
        }
        None
    }

    /// One event from `from` if it has one; notes in `closed` that it is gone.
    fn take_from(from: &Receiver<Event>, closed: &mut bool) -> Option<Event> {
        match from.try_recv() {
            Ok(ev) => Some(ev),
            Err(e) => {
                *closed = e.is_disconnected();
                None
            }
        }
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
            self.audience.pace(self.size.1, Instant::now(), false);
            self.grant_resyncs();
            self.watch_wheel(Instant::now());
            self.on_ttl();
            self.status_tick(Instant::now());
            self.sign_if_due();
            if let Some(k) = self.kill_at
                && self.status.is_none()
                && Instant::now() >= k
            {
                self.hard_kill();
                self.kill_at = None;
            }
            let waiting = !rx.output.is_empty() || super::events::readable_now(&self.master);
            if self.finished(waiting) {
                break;
            }
        }
        self.flush_sealed();
        self.grant_resyncs_at_end();
        self.audience.pace(self.size.1, Instant::now(), true);
        let res = HubResult {
            status: self.status,
            ending: self.ending,
            log_error: self.log_error,
            audience: self.audience,
        };
        (res, self.writer)
    }
}
