//! The watcher's side of `breakglass watch`: the session's output played into an emulator
//! of the session's size and drawn on the watcher's terminal (alternate screen) through a
//! viewport, with breakglass's status row at the bottom; redraws coalesced to at most
//! [`FRAME`] apart and only changed rows sent; the watcher's keys (raw bytes, see
//! `keys.rs`) turned into what it asked for. The terminal is driven through crossterm's
//! commands and `term.rs`. The pure parts are `render.rs`, `status.rs`, `keys.rs` and
//! `words.rs`.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen};

use super::keys::{Action, Keys};
use super::protocol::{self, Frame, State, kind};
use super::render::{self, Picture};
use super::status::{Facts, Overlay, Status};
use super::words;
use crate::log::record::Data;
use crate::log::utf8::Utf8Carry;
use crate::replay::view::{Viewport, put};
use crate::review::who;
use crate::safe;
use crate::term;

/// The least time between two redraws (~60 a second): smooth to the eye, and a burst of
/// output costs one redraw, not one per frame.
pub const FRAME: Duration = Duration::from_millis(16);

/// The longest the loop sleeps with nothing to do.
pub const IDLE: Duration = Duration::from_secs(1);

/// Auto-wrap (DECAWM) off, so a row never scrolls the terminal: crossterm has no command
/// for it (the terminal's restore turns it back on).
const WRAP_OFF: &str = "\x1b[?7l";

/// Attributes off and the screen cleared (crossterm's commands).
fn cleared() -> String {
    let mut s = String::new();
    put(&mut s, SetAttribute(Attribute::Reset));
    put(&mut s, Clear(ClearType::All));
    s
}

/// Enter the alternate screen, auto-wrap off, cleared.
fn enter_bytes() -> String {
    let mut s = String::new();
    put(&mut s, EnterAlternateScreen);
    s.push_str(WRAP_OFF);
    s + &cleared()
}

/// Who the watcher is and what the session is, from the welcome.
pub struct Who {
    pub session: String,
    pub user: String,
    pub host: String,
    pub me: String,
    pub operator: bool,
    pub escape: u8,
}

/// The watcher's screen and keys.
pub struct Ui {
    out: std::io::Stdout,
    sock: UnixStream,
    keys: Keys,
    who: Who,
    state: State,
    told_readonly: bool,
    term: avt::Terminal,
    utf8: Utf8Carry,
    /// The session's size (cols, rows).
    session: (u16, u16),
    /// The watcher's terminal's size (cols, rows).
    mine: (u16, u16),
    view: Viewport,
    drawn: Picture,
    status: Status,
    /// Something changed since the last draw.
    dirty: bool,
    last_draw: Option<Instant>,
    /// When the status row changes by itself (a notice expires).
    expires: Option<Instant>,
}

fn emulator((cols, rows): (u16, u16)) -> avt::Terminal {
    let (cols, rows) = crate::size::clamp(cols, rows);
    avt::Terminal::new(cols.into(), rows.into()).expect("size is positive")
}

impl Ui {
    pub fn new(sock: UnixStream, who: Who, state: State, session: (u16, u16)) -> Ui {
        Ui {
            out: std::io::stdout(),
            sock,
            keys: Keys::new(who.escape),
            who,
            state,
            told_readonly: false,
            term: emulator(session),
            utf8: Utf8Carry::default(),
            session,
            mine: term::user_size(),
            view: Viewport::default(),
            drawn: Picture::default(),
            status: Status::default(),
            dirty: true,
            last_draw: None,
            expires: None,
        }
    }

    /// Switch the watcher's terminal to the alternate screen (left by the terminal's
    /// restore, however the watch ends) and say what is cut, if anything.
    pub fn enter(&mut self) {
        let enter = enter_bytes();
        term::shown(enter.as_bytes());
        self.write(enter.as_bytes());
        if let Some(n) = words::size_note(self.mine, self.session, false) {
            self.say(&n);
        }
    }

    fn write(&mut self, b: &[u8]) {
        let mut o = self.out.lock();
        let _ = o.write_all(b);
        let _ = o.flush();
    }

    /// Tell the watcher something on the status row (and keep it in the history).
    pub fn say(&mut self, text: &str) {
        let clock = jiff::Zoned::now().strftime("%H:%M:%S").to_string();
        self.status.notice(text, &clock, Instant::now());
        self.dirty = true;
    }

    fn send(&mut self, k: u8, payload: &[u8]) {
        if protocol::write_frame(&mut self.sock, k, payload).is_err() {
            self.say("the session is gone");
        }
    }

    fn driving(&self) -> bool {
        self.state.wheel == self.who.me
    }

    fn holder(&self) -> String {
        safe::text(who(&self.state.wheel, &self.who.user)).into_owned()
    }

    /// The watcher's terminal changed size: everything is drawn again.
    pub fn resized(&mut self) {
        let was = std::mem::replace(&mut self.mine, term::user_size());
        self.drawn = Picture::default();
        self.write(cleared().as_bytes());
        self.dirty = true;
        if was != self.mine
            && let Some(n) = words::size_note(self.mine, self.session, false)
        {
            self.say(&n);
        }
    }

    pub fn frame(&mut self, f: &Frame) {
        match f.kind {
            kind::SCREEN => {
                self.term = emulator(self.session);
                self.utf8 = Utf8Carry::default();
                self.term.feed(String::from_utf8_lossy(&f.payload).as_ref());
            }
            kind::OUTPUT => match self.utf8.push(&f.payload) {
                Some(Data::Text(s)) => self.term.feed(&s),
                Some(Data::Bytes(b)) => self.term.feed(String::from_utf8_lossy(&b).as_ref()),
                _ => {}
            },
            kind::RESIZE if f.payload.len() == 4 => {
                let size = (
                    u16::from_be_bytes([f.payload[0], f.payload[1]]),
                    u16::from_be_bytes([f.payload[2], f.payload[3]]),
                );
                if size != self.session {
                    self.session = size;
                    let (c, r) = crate::size::clamp(size.0, size.1);
                    self.term.resize(c.into(), r.into());
                    if let Some(n) = words::size_note(self.mine, size, true) {
                        self.say(&n);
                    }
                }
            }
            kind::NOTICE => self.say(&safe::bytes(&f.payload)),
            kind::STATE => {
                if let Ok(s) = f.parse::<State>() {
                    let was_mine = self.driving();
                    self.state = s;
                    if was_mine != self.driving() {
                        let text = words::wheel_changed(self.who.escape, !was_mine, &self.holder());
                        self.say(&text);
                    }
                }
            }
            _ => return,
        }
        self.dirty = true;
    }

    /// Handle typed keys; true to detach.
    pub fn keys_typed(&mut self, bytes: &[u8]) -> bool {
        self.dirty = true;
        if let Some(o) = self.status.overlay {
            match (o, bytes) {
                (Overlay::Help(_), b"?") | (Overlay::History(_), b"h") => self.status.step(),
                _ => self.status.overlay = None,
            }
            return false;
        }
        for action in self.keys.feed(bytes) {
            match action {
                Action::Send(b) if self.driving() => self.send(kind::INPUT, &b),
                Action::Send(_) => {
                    if !self.told_readonly {
                        self.told_readonly = true;
                        let text =
                            words::not_sent(self.who.escape, self.who.operator, &self.holder());
                        self.say(&text);
                    }
                }
                Action::Take if !self.who.operator => {
                    self.say("only root and the operators may take the keyboard")
                }
                Action::Take => self.send(kind::TAKE, b""),
                Action::Return => self.send(kind::RETURN, b""),
                Action::Kill => self.send(kind::KILL, b""),
                Action::Mark(t) => self.send(kind::MARK, t.as_bytes()),
                Action::Detach => {
                    if self.driving() {
                        self.send(kind::RETURN, b"");
                    }
                    self.send(kind::DETACH, b"");
                    return true;
                }
                Action::Help => self.status.overlay = Some(Overlay::Help(0)),
                Action::History => self.status.overlay = Some(Overlay::History(0)),
                Action::Say(t) => self.say(t),
            }
        }
        false
    }

    /// How long the loop may wait before [`Ui::tick`] has something to draw.
    pub fn wait(&self) -> Duration {
        let now = Instant::now();
        if self.dirty {
            return self
                .last_draw
                .map_or(Duration::ZERO, |d| FRAME.saturating_sub(d.elapsed()));
        }
        self.expires
            .map_or(IDLE, |e| e.saturating_duration_since(now).min(IDLE))
    }

    /// Draw if something changed and the last draw is [`FRAME`] old.
    pub fn tick(&mut self) {
        let now = Instant::now();
        if self.expires.is_some_and(|e| e <= now) {
            self.dirty = true;
        }
        if self.dirty && self.last_draw.is_none_or(|d| d.elapsed() >= FRAME) {
            self.draw();
        }
    }

    /// Draw now whatever changed (before the watch ends, so its last screen shows).
    pub fn draw(&mut self) {
        let now = Instant::now();
        self.dirty = false;
        self.last_draw = Some(now);
        let (cols, rows) = (usize::from(self.mine.0), usize::from(self.mine.1));
        let total = self.term.size();
        let c = self.term.cursor();
        let area = (cols, rows.saturating_sub(1));
        self.view = Viewport::place(self.view, (c.col, c.row), area, total);
        let facts = Facts {
            session: self.who.session.clone(),
            user: safe::text(&self.who.user).into_owned(),
            host: safe::text(&self.who.host).into_owned(),
            holder: self.holder(),
            watchers: self.state.watchers.clone(),
        };
        let help = words::help_line(self.who.escape, self.who.operator);
        let cut = self.view.cut(total);
        let prompt = self.keys.prompt();
        let text = self
            .status
            .row(&facts, prompt.as_deref(), &help, cut.as_deref(), cols, now);
        self.expires = self.status.next_change(now).map(|d| now + d);
        let next = render::picture(&self.term, &self.view, (cols, rows), &text);
        if let Some(bytes) = render::diff(&self.drawn, &next) {
            self.write(bytes.as_bytes());
        }
        self.drawn = next;
    }
}
