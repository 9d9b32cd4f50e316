//! What breakglass tells the owner, and where, so that nothing is written over the
//! session's screen: on the status row (session/statusrow.rs) when the owner's terminal
//! has one; else in the terminal's title; else (stdout is not a terminal) as a line on
//! stderr. The row shows the session's state, each notice for [`NOTICE_SHOW`] after it
//! came, and on the owner's command (session/ownerkeys.rs) the notices before, or help.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::hub::Hub;
use super::ownerkeys::{self, Command};
use super::statusrow::{self, RowFilter};
use crate::time::clock;

/// A notice stays on the row this long, then the row shows the session's state again:
/// long enough to read a line, short enough that the state is back soon.
pub const NOTICE_SHOW: Duration = Duration::from_secs(6);

/// Notices the owner can step back through: a session's worth of joins and markers in
/// an incident, in a few bytes each.
pub const HISTORY: usize = 20;

/// Where the owner's notices go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The status row; the title while the terminal is too small for one.
    Row,
    /// The terminal's title (`status_line = false`, or stdin is not a terminal).
    Title,
    /// A line on stderr: stdout is not a terminal.
    Stderr,
}

/// What the row (or title) shows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    State,
    /// The newest notice, until then.
    Notice(Instant),
    /// The notice this many before the newest.
    History(usize),
    Help,
}

/// The owner's side of breakglass's words.
#[derive(Debug)]
pub struct OwnerView {
    pub place: Place,
    /// The status row while the terminal has one.
    pub row: Option<RowFilter>,
    /// Notices as `(HH:MM:SS, text)`, the newest last.
    history: VecDeque<(String, String)>,
    view: View,
    short_id: String,
    host: String,
    /// The title last set, so that it is set only when it changes.
    title: String,
}

/// Decide where notices go, for a terminal of `term` size: the session's size with it.
pub fn session_size(place: Place, term: (u16, u16)) -> (u16, u16) {
    if place == Place::Row && term.1 >= statusrow::MIN_ROWS {
        (term.0, term.1 - 1)
    } else {
        term
    }
}

/// The row in the session's ordinary state (all text already safe).
pub fn state_text(
    short_id: &str,
    host: &str,
    ends: &str,
    watchers: &[String],
    driver: Option<&str>,
) -> String {
    let mut s = format!("\u{25cf} REC {short_id} \u{b7} {host} \u{b7} ends {ends}");
    if !watchers.is_empty() {
        s.push_str(&format!(" \u{b7} watched by {}", watchers.join(", ")));
    }
    if let Some(d) = driver {
        s.push_str(&format!(" \u{b7} {d} drives"));
    }
    s
}

impl OwnerView {
    pub fn new(place: Place, id: &str, host: &str) -> OwnerView {
        OwnerView {
            place,
            row: None,
            history: VecDeque::new(),
            view: View::State,
            short_id: id.chars().take(8).collect(),
            host: crate::safe::text(host).into_owned(),
            title: String::new(),
        }
    }

    /// When the shown notice goes.
    pub fn until(&self) -> Option<Instant> {
        match self.view {
            View::Notice(t) => Some(t),
            _ => None,
        }
    }
}

impl Hub {
    /// A line from breakglass itself for the owner (never sent to the child).
    pub(super) fn notice(&mut self, text: &str) {
        let text = crate::safe::text(text).into_owned();
        if self.owner.place == Place::Stderr {
            eprint!("\r\n\x1b[1;7m breakglass \x1b[0m {text}\r\n");
        }
        let o = &mut self.owner;
        o.history
            .push_back((clock::hhmmss(jiff::Timestamp::now(), &clock::local()), text));
        if o.history.len() > HISTORY {
            o.history.pop_front();
        }
        match o.view {
            View::History(i) => o.view = View::History((i + 1).min(o.history.len() - 1)),
            View::Help => {}
            _ => o.view = View::Notice(Instant::now() + NOTICE_SHOW),
        }
        self.status_changed();
    }

    /// Show the child's output, through the status row's filter when there is a row.
    pub(super) fn show_output(&mut self, bytes: &[u8]) {
        match self.owner.row.as_mut() {
            Some(row) => {
                let shown = row.feed(bytes);
                self.show(&shown);
            }
            None => self.show(bytes),
        }
    }

    /// What the row says now.
    fn row_text(&self) -> String {
        let o = &self.owner;
        let newest = |back: usize| {
            o.history
                .len()
                .checked_sub(back + 1)
                .and_then(|i| o.history.get(i))
        };
        match o.view {
            View::State => {
                let left = self.ttl_limit().saturating_sub(self.start.elapsed());
                let ends = clock::hhmm(clock::after(jiff::Timestamp::now(), left), &clock::local());
                let watchers: Vec<String> = self
                    .audience
                    .watchers
                    .iter()
                    .map(|w| crate::safe::text(&w.peer.name).into_owned())
                    .collect();
                let driver = self
                    .audience
                    .wheel
                    .map(|_| crate::safe::text(&self.audience.driver()).into_owned());
                state_text(&o.short_id, &o.host, &ends, &watchers, driver.as_deref())
            }
            View::Notice(_) => newest(0)
                .map(|(t, n)| format!("\u{25cf} {t} {n}"))
                .unwrap_or_default(),
            View::History(i) => match newest(i) {
                Some((t, n)) => format!(
                    "[{}/{}] {t} {n}  (h: before, any key: back)",
                    i + 1,
                    o.history.len()
                ),
                None => "no notices yet (any key: back)".into(),
            },
            View::Help => ownerkeys::help_line(
                self.audience.wheel_watch.escape,
                self.audience.wheel_watch.allowed,
            ),
        }
    }

    /// The session's title when nothing else is shown there.
    fn state_title(&self) -> String {
        match self.audience.watchers.len() {
            0 => self.audience.title.clone(),
            n => format!("{} \u{b7} {n} watching", self.audience.title),
        }
    }

    /// Show the owner what is to be shown now: repaint the row (its end time from the
    /// current time limit), set the title.
    pub fn status_changed(&mut self) {
        let text = self.row_text();
        let on_row = self.owner.row.is_some();
        if let Some(row) = self.owner.row.as_mut() {
            row.set_text(&text);
            if let Some(bytes) = row.paint() {
                self.show(&bytes);
            }
        }
        let title = if on_row || self.owner.view == View::State {
            self.state_title()
        } else {
            format!("breakglass: {text}")
        };
        if title != self.owner.title {
            self.set_title(&title);
            self.owner.title = title;
        }
    }

    /// Act on what the owner asked for with their escape key.
    pub(super) fn owner_command(&mut self, c: Command) {
        let o = &mut self.owner;
        o.view = match (c, o.view) {
            (Command::Take, _) => {
                self.owner_reclaims();
                return;
            }
            (Command::History, View::History(i)) => {
                View::History((i + 1).min(o.history.len().saturating_sub(1)))
            }
            (Command::History, _) => View::History(0),
            (Command::Help, _) => View::Help,
            (Command::Leave, _) => View::State,
        };
        if self.owner.place == Place::Stderr && self.owner.view != View::State {
            eprint!("\r\n{}\r\n", self.row_text());
        }
        self.status_changed();
    }

    /// The shown notice has had its time.
    pub(super) fn status_tick(&mut self, now: Instant) {
        if self.owner.until().is_some_and(|t| now >= t) {
            self.owner.view = View::State;
            self.status_changed();
        }
    }

    /// The first bytes on the owner's terminal, of `term` size: the status row, when it
    /// has one.
    pub(super) fn start_row(&mut self, term: (u16, u16)) {
        let size = session_size(self.owner.place, term);
        if size == term {
            return;
        }
        let mut row = RowFilter::new(size.0, size.1);
        row.set_text(&self.row_text());
        let bytes = row.start();
        self.owner.row = Some(row);
        super::term::status_row(true);
        self.show(&bytes);
    }

    /// The owner's terminal is now `term` in size: the session's size, with the row
    /// kept, dropped (too small) or made again.
    pub(super) fn row_resized(&mut self, term: (u16, u16)) -> (u16, u16) {
        let size = session_size(self.owner.place, term);
        match self.owner.row.as_mut() {
            Some(row) if size != term => {
                row.resize(size.0, size.1);
                if let Some(bytes) = row.paint() {
                    self.show(&bytes);
                }
            }
            Some(_) => {
                self.owner.row = None;
                super::term::status_row(false);
                self.show(statusrow::LEAVE.as_bytes());
            }
            None => self.start_row(term),
        }
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_names_watchers_and_the_driver_only_when_there_are() {
        let s = state_text("abcd1234", "db1", "14:32", &[], None);
        assert_eq!(s, "\u{25cf} REC abcd1234 \u{b7} db1 \u{b7} ends 14:32");
        let s = state_text(
            "abcd1234",
            "db1",
            "14:32",
            &["ops".into(), "carol".into()],
            Some("ops"),
        );
        assert!(
            s.ends_with("ends 14:32 \u{b7} watched by ops, carol \u{b7} ops drives"),
            "{s}"
        );
    }

    #[test]
    fn a_terminal_too_small_has_no_row() {
        assert_eq!(session_size(Place::Row, (80, 24)), (80, 23));
        assert_eq!(session_size(Place::Row, (80, 3)), (80, 3));
        assert_eq!(session_size(Place::Title, (80, 24)), (80, 24));
    }
}
