//! The timeline of a session for a postmortem (`export --format timeline`, `show`):
//! Markdown with a table of who, where, why and how it ended, the verdict and the head,
//! then everything that happened in order: commands typed (one per typed line, with who
//! typed it), markers, joins, leaves, refusals, takes, returns, kills, resizes, the end.
//!
//! Text from the log is shown with its control characters named and inside code spans
//! or escaped table cells, so a reason or marker cannot reshape the document or drive the
//! reader's terminal.

use super::keys::{KeyLine, Keys};
use super::masked::MaskWatch;
use super::{visible, who};
use crate::log::record::{Body, End, Genesis, Participant, Record};
use crate::log::vocab::{Cause, Event};
use crate::time::offset_ms;

/// Longest typed line shown, in characters: the timeline is for reading; the keys export
/// has every line whole.
pub const MAX_SHOWN_CHARS: usize = 200;

/// What `verify` says about the session, for the header.
#[derive(Debug, Clone, Default)]
pub struct Seal {
    /// `VERIFIED`, `LIVE`, `INTERRUPTED`, `TAMPERED` or `UNVERIFIABLE`.
    pub verdict: String,
    /// The head (hash of the last good line), hex.
    pub head: Option<String>,
    /// A word on the verdict: the first bad record, or who witnessed it.
    pub detail: Option<String>,
}

struct Entry {
    t: u64,
    text: String,
}

/// Collects a session's events in order.
#[derive(Default)]
pub struct Timeline {
    genesis: Option<Genesis>,
    keys: Keys,
    masked: MaskWatch,
    entries: Vec<Entry>,
    end: Option<End>,
    last_t: u64,
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline::default()
    }

    /// Take in the next record.
    pub fn record(&mut self, rec: &Record) {
        self.last_t = rec.t;
        let user = self.user().to_string();
        let text = match &rec.body {
            Body::Genesis(g) => {
                let text = format!(
                    "session started by {} on {}: {} ({}x{})",
                    visible(&g.user),
                    visible(&g.host),
                    code(&g.command.join(" ")),
                    g.cols,
                    g.rows
                );
                self.genesis = Some((**g).clone());
                text
            }
            Body::Input { by, data } => {
                for line in self.keys.input(rec.t, by, data) {
                    self.typed(line);
                }
                return;
            }
            Body::Output(d) => {
                self.masked.output(rec.t, d.bytes().unwrap_or_default());
                return;
            }
            Body::Checkpoint(_) => return,
            Body::Resize { cols, rows } => format!("terminal resized to {cols}x{rows}"),
            Body::Marker { by, text } => {
                format!("marker by {}: {}", visible(who(by, &user)), code(text))
            }
            Body::Participant(p) => match (p.extension, &self.genesis) {
                (Some(x), Some(g)) => visible(&crate::time::clock::extended(
                    &p.who,
                    &g.started,
                    x.ttl_s,
                    x.by_s,
                    &crate::time::clock::local(),
                )),
                _ => participant(p, &user),
            },
            Body::End(x) => {
                self.end = Some(x.clone());
                format!("session ended: {}", how_it_ended(x))
            }
        };
        self.entries.push(Entry { t: rec.t, text });
    }

    fn user(&self) -> &str {
        self.genesis.as_ref().map_or("", |g| g.user.as_str())
    }

    fn typed(&mut self, line: KeyLine) {
        if line.is_empty() {
            return;
        }
        self.masked.line(&line);
        let mut shown = line.shown();
        if let Some((cut, _)) = shown.char_indices().nth(MAX_SHOWN_CHARS) {
            let more = shown[cut..].chars().count();
            shown.truncate(cut);
            shown.push_str(&format!("… ({more} more)"));
        }
        let text = format!(
            "{} typed {}",
            visible(who(&line.by, self.user())),
            code(&shown)
        );
        self.entries.push(Entry { t: line.t, text });
    }

    /// The Markdown document.
    pub fn render(mut self, id: &str, seal: &Seal) -> String {
        for line in std::mem::take(&mut self.keys).finish() {
            self.typed(line);
        }
        let masked = self.masked.summary();
        for (t, flag) in std::mem::take(&mut self.masked).finish() {
            self.entries.push(Entry {
                t,
                text: format!("**{flag}**"),
            });
        }
        self.entries.sort_by_key(|e| e.t);
        let g = self.genesis.clone().unwrap_or_default();
        let mut out = format!("# Session {}\n\n| | |\n|---|---|\n", visible(id));
        let mut row = |k: &str, v: String| out.push_str(&format!("| {k} | {v} |\n"));
        row("Who", format!("{} (uid {})", cell(&g.user), g.uid));
        row(
            "Host",
            format!("{} (from {})", cell(&g.host), cell(&g.origin)),
        );
        row("Reason", cell(&g.reason));
        row("Ticket", g.ticket.as_deref().map_or("—".into(), cell));
        row("Command", cell(&code(&g.command.join(" "))));
        if let Some(c) = &g.cert {
            row("Fire id", cell(&crate::fireid::describe(c)));
        }
        row("Start", cell(&g.started));
        let (end, how) = match &self.end {
            Some(x) => (cell(&x.ended), how_it_ended(x)),
            None => ("—".into(), "no end record".into()),
        };
        row("End", end);
        let so_far = if self.end.is_some() {
            ""
        } else {
            " (to the last record)"
        };
        row(
            "Duration",
            format!(
                "{}{so_far}",
                crate::time::span(std::time::Duration::from_micros(self.last_t))
            ),
        );
        row("Ended by", cell(&how));
        row("Masked input", masked);
        let detail = seal.detail.as_deref().map(|d| format!(": {}", cell(d)));
        row(
            "Verdict",
            format!("**{}**{}", cell(&seal.verdict), detail.unwrap_or_default()),
        );
        row(
            "Head",
            seal.head
                .as_deref()
                .map_or("—".into(), |h| format!("`{h}`")),
        );
        out.push_str("\n## Timeline\n\n");
        for e in &self.entries {
            out.push_str(&format!("- `{}` {}\n", offset_ms(e.t), e.text));
        }
        out
    }
}

fn participant(p: &Participant, user: &str) -> String {
    let who = visible(&p.who);
    let mode = p.mode.as_deref().map(visible);
    let Ok(event) = p.event.parse::<Event>() else {
        return format!("{who}: {}", visible(&p.event));
    };
    match (event, mode) {
        (Event::Join, Some(m)) => format!("{who} joined ({m})"),
        (Event::Join, None) => format!("{who} joined"),
        (Event::Leave, _) => format!("{who} left"),
        (Event::Deny, Some(m)) => format!("{who} was refused (asked to {m})"),
        (Event::Deny, None) => format!("{who} was refused"),
        (Event::Take, _) => format!("{who} took the keyboard"),
        (Event::Return, _) => format!("{who} returned the keyboard"),
        (Event::Reclaim, _) => format!("{} took the keyboard back from {who}", visible(user)),
        (Event::Lost, _) => format!("{who} lost the keyboard (connection closed or not reading)"),
        (Event::Kill, _) => format!("{who} ended the session"),
        (Event::Detach, _) => {
            format!("{who}'s terminal went away: the session was held for `breakglass attach`")
        }
        (Event::Attach, _) => format!("{who} attached again from another terminal"),
        (Event::Extend, _) => format!("{who} extended the session"),
    }
}

fn how_it_ended(x: &End) -> String {
    let cause = visible(&x.cause);
    match (x.exit, &x.signal) {
        (Some(code), _) if x.cause == Cause::Exit.as_str() => format!("exit status {code}"),
        (Some(code), _) => format!("{cause}, exit status {code}"),
        (None, Some(s)) => format!("{cause}, {}", visible(s)),
        _ => cause,
    }
}

/// Text as a Markdown code span, whatever backticks it holds.
pub fn code(s: &str) -> String {
    let s = visible(s);
    if s.is_empty() {
        return "(empty)".into();
    }
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Text for a table cell: a `|` would end the cell, a newline the table.
fn cell(s: &str) -> String {
    visible(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::Data;

    fn rec(t: u64, body: Body) -> Record {
        Record {
            seq: 0,
            t,
            prev: ZERO_HASH,
            body,
        }
    }

    fn input(by: &str, s: &str) -> Body {
        Body::Input {
            by: by.into(),
            data: Data::Text(s.into()),
        }
    }

    #[test]
    fn header_and_events_in_order() {
        let g = Genesis {
            user: "alice".into(),
            host: "db1".into(),
            reason: "lag | bad".into(),
            ticket: Some("INC-1".into()),
            command: vec!["sh".into()],
            started: "2026-01-01T00:00:00Z".into(),
            ..Default::default()
        };
        let mut tl = Timeline::new();
        let join = Participant {
            event: "join".into(),
            who: "bob".into(),
            uid: Some(2),
            mode: Some("watch".into()),
            extension: None,
        };
        let take = Participant {
            event: "take".into(),
            who: "bob".into(),
            uid: None,
            mode: None,
            extension: None,
        };
        for r in [
            rec(0, Body::Genesis(Box::new(g))),
            rec(1_000_000, input("owner", "ech")),
            rec(2_000_000, Body::Participant(join)),
            rec(3_000_000, Body::Participant(take)),
            rec(3_500_000, input("bob", "uptime\r")),
            rec(
                4_000_000,
                Body::Marker {
                    by: "bob".into(),
                    text: "a `tick`".into(),
                },
            ),
            rec(5_000_000, input("owner", "o hi\r\r")),
            rec(
                6_000_000,
                Body::Input {
                    by: "owner".into(),
                    data: Data::Redacted(7),
                },
            ),
            rec(6_100_000, input("owner", "\r")),
            rec(7_000_000, input("owner", "unfinished")),
            rec(
                75_000_000,
                Body::End(End {
                    cause: "exit".into(),
                    exit: Some(0),
                    signal: None,
                    records: 9,
                    bytes_in: 1,
                    bytes_out: 1,
                    ended: "2026-01-01T00:01:15Z".into(),
                    seal: None,
                }),
            ),
        ] {
            tl.record(&r);
        }
        let seal = Seal {
            verdict: "VERIFIED".into(),
            head: Some("ab".repeat(32)),
            detail: None,
        };
        let md = tl.render("k3f9", &seal);
        assert!(md.contains("| Who | alice (uid 0) |"), "{md}");
        assert!(md.contains("| Reason | lag \\| bad |"), "{md}");
        assert!(md.contains("| Ticket | INC-1 |"), "{md}");
        assert!(md.contains("| Duration | 1m15s |"), "{md}");
        assert!(md.contains("| Ended by | exit status 0 |"), "{md}");
        assert!(md.contains("| Verdict | **VERIFIED** |"), "{md}");
        assert!(
            md.contains(&format!("| Head | `{}` |", "ab".repeat(32))),
            "{md}"
        );
        let events: Vec<&str> = md.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(
            events,
            [
                "- `+00:00.000` session started by alice on db1: `sh` (0x0)",
                "- `+00:02.000` bob joined (watch)",
                "- `+00:03.000` bob took the keyboard",
                "- `+00:03.500` bob typed `uptime`",
                "- `+00:04.000` marker by bob: `` a `tick` ``",
                "- `+00:05.000` alice typed `echo hi`",
                "- `+00:06.100` alice typed `[redacted 7 bytes]`",
                "- `+00:07.000` alice typed `unfinished`",
                "- `+01:15.000` session ended: exit status 0",
            ],
            "{md}"
        );
    }

    #[test]
    fn code_spans_and_long_lines() {
        assert_eq!(code("ls"), "`ls`");
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\x1b[Ab"), "`a<ESC>[Ab`");
        let mut tl = Timeline::new();
        tl.record(&rec(
            1,
            input("owner", &format!("{}\r", "x".repeat(MAX_SHOWN_CHARS + 3))),
        ));
        let md = tl.render("id", &Seal::default());
        assert!(
            md.contains(&format!("{}… (3 more)`", "x".repeat(MAX_SHOWN_CHARS))),
            "{md}"
        );
    }

    #[test]
    fn the_keyboard_taken_back_names_both() {
        let p = |event: &str| Participant {
            event: event.into(),
            who: "bob".into(),
            uid: Some(5),
            mode: None,
            extension: None,
        };
        assert_eq!(
            participant(&p("reclaim"), "alice"),
            "alice took the keyboard back from bob"
        );
        assert!(participant(&p("lost"), "alice").starts_with("bob lost the keyboard"));
    }

    #[test]
    fn the_owners_terminal_gone_and_back() {
        let p = |event: &str| Participant {
            event: event.into(),
            who: "alice".into(),
            uid: Some(1001),
            mode: None,
            extension: None,
        };
        assert!(participant(&p("detach"), "alice").starts_with("alice's terminal went away"));
        assert_eq!(
            participant(&p("attach"), "alice"),
            "alice attached again from another terminal"
        );
    }
}
