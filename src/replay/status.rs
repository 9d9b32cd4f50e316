//! Replay's status line, pure: the position and speed always first, then whatever is
//! being said (a prompt, a message, who typed) or the session's state, cut to the
//! terminal's width; the key help as lines that fit that width; and the bytes that paint
//! both (crossterm's commands).

use crossterm::cursor::{RestorePosition, SavePosition};
use crossterm::style::{Attribute, Color, Colors, SetAttribute, SetColors};
use crossterm::terminal::{Clear, ClearType};

use super::view::{at, put};
use crate::time;

/// The keys, each a help item; pages are packed from these whole.
pub const HELP_ITEMS: &[&str] = &[
    "space pause/play",
    ". next frame",
    ", previous frame",
    "\u{2190}/\u{2192} 5s",
    "shift or </> 30s",
    "g go to time",
    "[/] previous/next marker, event or Enter",
    "/ search",
    "n/N next/previous match",
    "+/- speed",
    "i who typed",
    "s hide/show this line",
    "q quit",
];

/// The part that never leaves the line: `paused 00:12 / 01:00 1x`.
pub fn position(paused: bool, now: u64, length: u64, speed: f64) -> String {
    format!(
        "{} {} / {} {speed}x",
        if paused { "paused" } else { "playing" },
        time::position(now),
        time::position(length)
    )
}

/// The status line: `position | text`, cut to `cols` characters.
pub fn line(position: &str, text: &str, cols: usize) -> String {
    let full = if text.is_empty() {
        position.to_string()
    } else {
        format!("{position} | {text}")
    };
    // Every part is made safe where it is made; this is the last line of defence.
    crate::safe::text(&full).chars().take(cols).collect()
}

/// The bytes that paint the status line `text` on row `rows` (1-based, the last), the
/// cursor kept where it is: reverse video, or bold white on red when the log is tampered.
pub fn paint(rows: usize, tampered: bool, text: &str) -> String {
    let mut out = String::new();
    put(&mut out, SavePosition);
    put(&mut out, at(0, rows.saturating_sub(1)));
    put(&mut out, SetAttribute(Attribute::Reset));
    if tampered {
        put(&mut out, SetAttribute(Attribute::Bold));
        put(
            &mut out,
            SetColors(Colors::new(Color::White, Color::DarkRed)),
        );
    } else {
        put(&mut out, SetAttribute(Attribute::Reverse));
    }
    put(&mut out, Clear(ClearType::CurrentLine));
    out.push_str(text);
    put(&mut out, SetAttribute(Attribute::Reset));
    put(&mut out, RestorePosition);
    out
}

/// The bytes that paint help `lines` in reverse video from row `first` (1-based).
pub fn paint_help(first: usize, lines: &[String]) -> String {
    let mut out = String::new();
    for (r, l) in lines.iter().enumerate() {
        put(&mut out, at(0, (first + r).saturating_sub(1)));
        put(&mut out, SetAttribute(Attribute::Reset));
        put(&mut out, SetAttribute(Attribute::Reverse));
        put(&mut out, Clear(ClearType::CurrentLine));
        out.push_str(l);
        put(&mut out, SetAttribute(Attribute::Reset));
    }
    out
}

/// Between two help items.
const SEP: &str = "   ";

/// The help as lines that each fit `width` characters, items whole (an item wider than
/// a line gets a line of its own, cut). Shown above the status line, a page of lines at
/// a time when the terminal is short.
pub fn help_lines(width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in HELP_ITEMS {
        match lines.last_mut() {
            Some(l) if l.chars().count() + SEP.len() + item.chars().count() <= width => {
                l.push_str(SEP);
                l.push_str(item);
            }
            _ => lines.push(item.chars().take(width).collect()),
        }
    }
    lines
}

/// What the status line says while the help is open: which page, and how to go on.
pub fn help_title(page: usize, pages: usize) -> String {
    if pages > 1 {
        format!("keys, page {}/{pages}: ? next page, Esc closes", page + 1)
    } else {
        "keys: Esc closes".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_and_speed_stay_whatever_the_message() {
        let p = position(false, 12_000_000, 60_000_000, 2.0);
        assert_eq!(p, "playing 00:12 / 01:00 2x");
        let l = line(&p, &"alice joined ".repeat(20), 80);
        assert!(l.starts_with("playing 00:12 / 01:00 2x | alice joined"));
        assert_eq!(l.chars().count(), 80);
        assert_eq!(line(&p, "", 80), p);
    }

    #[test]
    fn help_lines_fit_and_hold_every_key() {
        for cols in [40, 80, 100, 120, 130, 200] {
            let lines = help_lines(cols);
            for l in &lines {
                assert!(l.chars().count() <= cols, "{cols}: {l}");
            }
            let all = lines.join("\n");
            for item in HELP_ITEMS {
                assert!(all.contains(item), "{cols} columns: {item} is missing");
            }
        }
        assert_eq!(help_lines(400).len(), 1, "one line when it fits");
        assert_eq!(help_title(0, 1), "keys: Esc closes");
        assert!(help_title(1, 3).starts_with("keys, page 2/3"));
    }

    #[test]
    fn painting_keeps_the_cursor_and_the_row() {
        assert_eq!(
            paint(24, false, "playing"),
            "\x1b7\x1b[24;1H\x1b[0m\x1b[7m\x1b[2Kplaying\x1b[0m\x1b8"
        );
        assert!(paint(24, true, "x").contains("\x1b[1m"));
        assert_eq!(
            paint_help(22, &["a".into(), "b".into()]),
            "\x1b[22;1H\x1b[0m\x1b[7m\x1b[2Ka\x1b[0m\x1b[23;1H\x1b[0m\x1b[7m\x1b[2Kb\x1b[0m"
        );
    }
}
