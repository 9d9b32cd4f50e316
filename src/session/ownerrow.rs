//! What breakglass tells the owner, and where, so that nothing is written over the
//! session's screen: on the status row (session/statusrow.rs) when the owner's terminal
//! has one; else in the terminal's title; else (stdout is not a terminal) as a line on
//! stderr. The row shows the session's state, each notice for [`NOTICE_SHOW`] after it
//! came, and on the owner's command (session/ownerkeys.rs) the notices before, or help.
//!
//! [`OwnerView`] keeps the row, the notices and the title; what it says about the rest of
//! the session comes in as [`Facts`], and what is to be shown goes back to the hub as
//! bytes and a title ([`Paint`]).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

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

/// What the row and the title say about the rest of the session, gathered by the hub.
#[derive(Debug, Clone)]
pub struct Facts {
    /// When the session ends, HH:MM.
    pub ends: String,
    /// Who watches, by name (safe).
    pub watchers: Vec<String>,
    /// Who holds the keyboard when a watcher does (safe).
    pub driver: Option<String>,
    /// The owner's escape key, and whether they may take the keyboard back (for help).
    pub escape: u8,
    pub takes_back: bool,
    /// The terminal title without the watcher count.
    pub title: String,
}

/// What to put on the owner's terminal after a change.
#[derive(Debug, Default)]
pub struct Paint {
    /// The row repainted.
    pub row: Option<Vec<u8>>,
    /// A new title.
    pub title: Option<String>,
}

impl OwnerView {
    /// A line from breakglass itself for the owner: kept, and shown by the next
    /// [`OwnerView::refresh`].
    pub fn notice(&mut self, text: &str) {
        let text = crate::safe::text(text).into_owned();
        if self.place == Place::Stderr {
            eprint!("\r\n\x1b[1;7m breakglass \x1b[0m {text}\r\n");
        }
        self.history
            .push_back((clock::hhmmss(jiff::Timestamp::now(), &clock::local()), text));
        if self.history.len() > HISTORY {
            self.history.pop_front();
        }
        match self.view {
            View::History(i) => self.view = View::History((i + 1).min(self.history.len() - 1)),
            View::Help => {}
            _ => self.view = View::Notice(Instant::now() + NOTICE_SHOW),
        }
    }

    /// The child's output as the owner's terminal is to get it: through the status row's
    /// filter when there is a row.
    pub fn filter<'a>(&mut self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match self.row.as_mut() {
            Some(row) => row.feed(bytes),
            None => Cow::Borrowed(bytes),
        }
    }

    /// What the row says now.
    fn row_text(&self, f: &Facts) -> String {
        let newest = |back: usize| {
            self.history
                .len()
                .checked_sub(back + 1)
                .and_then(|i| self.history.get(i))
        };
        match self.view {
            View::State => state_text(
                &self.short_id,
                &self.host,
                &f.ends,
                &f.watchers,
                f.driver.as_deref(),
            ),
            View::Notice(_) => newest(0)
                .map(|(t, n)| format!("\u{25cf} {t} {n}"))
                .unwrap_or_default(),
            View::History(i) => match newest(i) {
                Some((t, n)) => format!(
                    "[{}/{}] {t} {n}  (h: before, any key: back)",
                    i + 1,
                    self.history.len()
                ),
                None => "no notices yet (any key: back)".into(),
            },
            View::Help => ownerkeys::help_line(f.escape, f.takes_back),
        }
    }

    /// The session's title when nothing else is shown there.
    fn state_title(f: &Facts) -> String {
        match f.watchers.len() {
            0 => f.title.clone(),
            n => format!("{} \u{b7} {n} watching", f.title),
        }
    }

    /// What is to be shown now: the row repainted (its end time from the current time
    /// limit), the title when it changes.
    pub fn refresh(&mut self, f: &Facts) -> Paint {
        let text = self.row_text(f);
        let on_row = self.row.is_some();
        let mut paint = Paint::default();
        if let Some(row) = self.row.as_mut() {
            row.set_text(&text);
            paint.row = row.paint();
        }
        let title = if on_row || self.view == View::State {
            Self::state_title(f)
        } else {
            format!("breakglass: {text}")
        };
        if title != self.title {
            paint.title = Some(title.clone());
            self.title = title;
        }
        paint
    }

    /// Act on what the owner asked for with their escape key (all but taking the
    /// keyboard, which is the hub's); then [`OwnerView::refresh`].
    pub fn command(&mut self, c: Command, f: &Facts) {
        self.view = match (c, self.view) {
            (Command::Take, v) => v,
            (Command::History, View::History(i)) => {
                View::History((i + 1).min(self.history.len().saturating_sub(1)))
            }
            (Command::History, _) => View::History(0),
            (Command::Help, _) => View::Help,
            (Command::Leave, _) => View::State,
        };
        if self.place == Place::Stderr && self.view != View::State {
            eprint!("\r\n{}\r\n", self.row_text(f));
        }
    }

    /// Whether the shown notice has had its time (the state shows again: refresh).
    pub fn tick(&mut self, now: Instant) -> bool {
        if self.until().is_some_and(|t| now >= t) {
            self.view = View::State;
            return true;
        }
        false
    }

    /// The first bytes on the owner's terminal, of `term` size: the status row, when it
    /// has one.
    pub fn start_row(&mut self, term: (u16, u16), f: &Facts) -> Option<Vec<u8>> {
        let size = session_size(self.place, term);
        if size == term {
            return None;
        }
        let mut row = RowFilter::new(size.0, size.1);
        row.set_text(&self.row_text(f));
        let bytes = row.start();
        self.row = Some(row);
        super::term::status_row(true);
        Some(bytes)
    }

    /// The owner's terminal is now `term` in size: the session's size, with the row
    /// kept, dropped (too small) or made again, and the bytes that show it.
    pub fn resized(&mut self, term: (u16, u16), f: &Facts) -> ((u16, u16), Option<Vec<u8>>) {
        let size = session_size(self.place, term);
        let bytes = match self.row.as_mut() {
            Some(row) if size != term => {
                row.resize(size.0, size.1);
                row.paint()
            }
            Some(_) => {
                self.row = None;
                super::term::status_row(false);
                Some(statusrow::LEAVE.as_bytes().to_vec())
            }
            None => self.start_row(term, f),
        };
        (size, bytes)
    }

    /// The terminal the row was on is gone: an attached terminal is the session's whole
    /// size, and breakglass's words reach it in its title.
    pub fn to_title(&mut self) {
        self.row = None;
        self.place = Place::Title;
        super::term::status_row(false);
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
