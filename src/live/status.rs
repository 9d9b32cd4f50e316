//! The watcher's status row, pure: the bottom row of the watcher's terminal, which nothing
//! of the session ever writes on. It says the session's state (`● REC id · alice on db1 ·
//! keyboard: alice · watching: bob`), a notice for [`NOTICE_FOR`] after it came (with the
//! time it came), the prompt being typed, or, on request, the help a page at a time or
//! the past notices one at a time; the cut indicator of the view stays at its right end.
//! Everything is cut to the terminal's width by display width.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How long a notice stays on the status row before the state shows again: long enough
/// to read a sentence, short enough that the state is back before it matters.
pub const NOTICE_FOR: Duration = Duration::from_secs(6);

/// How many past notices the history keeps: a session's recent story, not its log (the
/// log has everything).
pub const HISTORY: usize = 20;

/// Between the parts of the row.
const SEP: &str = " · ";

/// One notice: when it came (as shown, and as a clock for how long it shows) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub at: Instant,
    pub clock: String,
    pub text: String,
}

/// What the row shows instead of the state until any other key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The help, page `n` (each `?` turns the page).
    Help(usize),
    /// The `n`-th newest notice (each `h` steps older).
    History(usize),
}

/// The session's state as the row says it; names already as `ls` shows them.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub session: String,
    pub user: String,
    pub host: String,
    pub holder: String,
    pub watchers: Vec<String>,
}

/// The notices seen and what the row shows.
#[derive(Debug, Default)]
pub struct Status {
    /// Oldest first, at most [`HISTORY`].
    notices: VecDeque<Notice>,
    pub overlay: Option<Overlay>,
}

impl Status {
    /// A notice came at `at` (`clock` is that time as shown).
    pub fn notice(&mut self, text: &str, clock: &str, at: Instant) {
        if self.notices.len() == HISTORY {
            self.notices.pop_front();
        }
        self.notices.push_back(Notice {
            at,
            clock: clock.to_string(),
            text: crate::safe::text(text).into_owned(),
        });
    }

    /// The notices still on show at `now`, newest first.
    fn fresh(&self, now: Instant) -> impl Iterator<Item = &Notice> {
        self.notices
            .iter()
            .rev()
            .take_while(move |n| now.saturating_duration_since(n.at) < NOTICE_FOR)
    }

    /// When what the row shows changes by itself next (a notice expires), from `now`.
    pub fn next_change(&self, now: Instant) -> Option<Duration> {
        self.fresh(now)
            .last()
            .map(|n| NOTICE_FOR.saturating_sub(now.saturating_duration_since(n.at)))
    }

    /// `?` again while the help shows: the next page; `h` again in the history: older.
    pub fn step(&mut self) {
        self.overlay = match self.overlay {
            Some(Overlay::Help(n)) => Some(Overlay::Help(n + 1)),
            Some(Overlay::History(n)) => Some(Overlay::History(
                (n + 1).min(self.notices.len().saturating_sub(1)),
            )),
            None => None,
        };
    }

    /// The row's text, `width` columns at most: the overlay, else the prompt, else the
    /// fresh notices (newest first), else the state; the cut indicator `cut` at the right
    /// end of the state, and of the notices when the newest still fits whole with it. `help` is the help text, paged at its commas.
    pub fn row(
        &self,
        facts: &Facts,
        prompt: Option<&str>,
        help: &str,
        cut: Option<&str>,
        width: usize,
        now: Instant,
    ) -> String {
        match (self.overlay, prompt) {
            (Some(Overlay::Help(n)), _) => {
                let pages = pages(help, width.saturating_sub(PAGE_LABEL));
                let k = n % pages.len();
                let label = if pages.len() > 1 {
                    format!(" [{}/{} ? more]", k + 1, pages.len())
                } else {
                    String::new()
                };
                fit(&format!("{}{label}", pages[k]), width)
            }
            (Some(Overlay::History(n)), _) => {
                let text = match self.notices.len() {
                    0 => "no notices yet".to_string(),
                    len => {
                        let k = n.min(len - 1);
                        let it = &self.notices[len - 1 - k];
                        format!("notice {}/{len} (h older): {} {}", k + 1, it.clock, it.text)
                    }
                };
                fit(&text, width)
            }
            (None, Some(p)) => fit(&crate::safe::text(p), width),
            (None, None) => {
                let fresh: Vec<String> = self
                    .fresh(now)
                    .map(|n| format!("{} {}", n.clock, n.text))
                    .collect();
                match (fresh.first(), cut) {
                    (None, _) => with_right(&state(facts), cut, width),
                    // A notice is read whole: the cut indicator only where it still fits.
                    (Some(newest), Some(c)) if newest.width() + SEP.width() + c.width() > width => {
                        fit(&fresh.join(SEP), width)
                    }
                    (Some(_), _) => with_right(&fresh.join(SEP), cut, width),
                }
            }
        }
    }
}

/// The state part: `● REC id · alice on db1 · keyboard: alice · watching: bob, carol`.
pub fn state(f: &Facts) -> String {
    let mut s = format!(
        "\u{25cf} REC {}{SEP}{} on {}{SEP}keyboard: {}",
        f.session, f.user, f.host, f.holder
    );
    if !f.watchers.is_empty() {
        s.push_str(SEP);
        s.push_str("watching: ");
        s.push_str(&f.watchers.join(", "));
    }
    crate::safe::text(&s).into_owned()
}

/// `left`, cut so that `right` (if any) fits after it at the row's end.
fn with_right(left: &str, right: Option<&str>, width: usize) -> String {
    let Some(right) = right else {
        return fit(left, width);
    };
    let rw = right.width() + SEP.width();
    if rw >= width {
        return fit(right, width);
    }
    format!("{}{SEP}{right}", fit(left, width - rw))
}

/// `s` cut to at most `width` display columns (a wide character that would straddle the
/// end is left out).
pub fn fit(s: &str, width: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// Room kept on a help page for its ` [1/2 ? more]` label.
const PAGE_LABEL: usize = 14;

/// `text` in pages of at most `width` columns, broken after its commas and semicolons
/// (a piece wider than a page is cut).
pub fn pages(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in text.split_inclusive([',', ';']) {
        match out.last_mut() {
            Some(p) if p.width() + piece.width() <= width => p.push_str(piece),
            _ => out.push(fit(piece.trim_start(), width)),
        }
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            session: "s1".into(),
            user: "alice".into(),
            host: "db1".into(),
            holder: "alice".into(),
            watchers: vec!["bob".into(), "carol".into()],
        }
    }

    #[test]
    fn the_state_with_the_cut_indicator_kept_at_the_end() {
        let s = Status::default();
        let now = Instant::now();
        let row = s.row(&facts(), None, "", None, 200, now);
        assert_eq!(
            row,
            "\u{25cf} REC s1 · alice on db1 · keyboard: alice · watching: bob, carol"
        );
        let cut = "view rows 1-14/30";
        let row = s.row(&facts(), None, "", Some(cut), 40, now);
        assert!(row.ends_with(" · view rows 1-14/30"), "{row}");
        assert!(row.starts_with("\u{25cf} REC s1"), "{row}");
        assert_eq!(row.width(), 40, "{row}");
        assert_eq!(s.row(&facts(), None, "", Some(cut), 10, now), "view rows ");
    }

    #[test]
    fn cutting_counts_display_columns() {
        assert_eq!(fit("\u{65e5}\u{672c}\u{8a9e}", 5), "\u{65e5}\u{672c}");
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(fit("\u{25cf} x", 2), "\u{25cf} ");
    }

    #[test]
    fn a_notice_shows_with_its_time_for_a_while_then_the_state_again() {
        let mut s = Status::default();
        let t0 = Instant::now();
        s.notice("bob is now watching", "10:00:01", t0);
        let row = s.row(&facts(), None, "", Some("view rows 1-5/9"), 80, t0);
        assert_eq!(row, "10:00:01 bob is now watching · view rows 1-5/9");
        s.notice(
            "bob has taken the keyboard",
            "10:00:02",
            t0 + Duration::from_secs(1),
        );
        let row = s.row(&facts(), None, "", None, 80, t0 + Duration::from_secs(2));
        assert!(
            row.starts_with("10:00:02 bob has taken the keyboard · 10:00:01 bob is now"),
            "newest first: {row}"
        );
        let later = t0 + Duration::from_secs(1) + NOTICE_FOR;
        assert!(
            s.row(&facts(), None, "", None, 80, later)
                .starts_with("\u{25cf} REC")
        );
        assert_eq!(
            s.next_change(t0 + Duration::from_secs(2)),
            Some(NOTICE_FOR - Duration::from_secs(2))
        );
        assert_eq!(s.next_change(later), None);
        s.notice(&"long ".repeat(10), "10:00:03", later);
        let row = s.row(&facts(), None, "", Some("view rows 1-5/9"), 60, later);
        assert!(
            row.starts_with("10:00:03 long long") && !row.contains("view"),
            "{row}"
        );
        s.notice("a \x1b]0;title\x07 b", "10:00:03", later);
        assert!(!s.row(&facts(), None, "", None, 80, later).contains('\x1b'));
    }

    #[test]
    fn history_steps_older_and_keeps_the_last_twenty() {
        let mut s = Status::default();
        let t0 = Instant::now();
        for i in 0..25 {
            s.notice(&format!("n{i}"), "10:00:00", t0);
        }
        s.overlay = Some(Overlay::History(0));
        let later = t0 + NOTICE_FOR * 2;
        assert!(s.row(&facts(), None, "", None, 80, later).ends_with("n24"));
        s.step();
        let row = s.row(&facts(), None, "", None, 80, later);
        assert!(
            row.starts_with("notice 2/20 (h older): 10:00:00 n23"),
            "{row}"
        );
        for _ in 0..30 {
            s.step();
        }
        assert!(
            s.row(&facts(), None, "", None, 80, later).ends_with(" n5"),
            "the oldest kept"
        );
        assert_eq!(
            Status {
                overlay: Some(Overlay::History(0)),
                ..Status::default()
            }
            .row(&facts(), None, "", None, 80, later),
            "no notices yet"
        );
    }

    #[test]
    fn help_pages_fit_the_row_and_turn() {
        let help =
            "Ctrl-g then: t take the keyboard, r return it, d detach; Ctrl-g Ctrl-g sends Ctrl-g";
        let mut s = Status {
            overlay: Some(Overlay::Help(0)),
            ..Status::default()
        };
        let now = Instant::now();
        let one = s.row(&facts(), None, help, Some("view"), 200, now);
        assert_eq!(one, help, "one page when it fits, no cut indicator over it");
        let p1 = s.row(&facts(), None, help, None, 50, now);
        assert!(p1.starts_with("Ctrl-g then: t take the keyboard,"), "{p1}");
        assert!(p1.ends_with("[1/3 ? more]") && p1.width() <= 50, "{p1}");
        s.step();
        let p2 = s.row(&facts(), None, help, None, 50, now);
        assert!(p2.starts_with("r return it, d detach;"), "{p2}");
        for w in [20, 30, 60, 90] {
            for p in pages(help, w) {
                assert!(p.width() <= w, "{w}: {p}");
            }
        }
    }

    #[test]
    fn a_prompt_takes_the_row() {
        let s = Status::default();
        let row = s.row(
            &facts(),
            Some("marker text: db fix"),
            "",
            Some("view"),
            80,
            Instant::now(),
        );
        assert_eq!(row, "marker text: db fix");
    }
}
