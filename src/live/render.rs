//! What the watcher's terminal shows, pure: the session's screen from the client's own
//! emulator through a [`Viewport`], its edge where the terminal is larger than the
//! session, the status row at the bottom; and, from what was drawn last time, the bytes
//! that redraw only the rows that changed. Only text and colours are drawn (see
//! [`crate::replay::view`]): the recording's own escape sequences never reach the
//! watcher's terminal. Cursor moves and clears are crossterm's commands; the edge's and
//! the status row's pens are one SGR sequence each, as replay's cells are.

use avt::Terminal;
use crossterm::cursor::{Hide, MoveToColumn, Show};
use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::{Clear, ClearType};

use crate::replay::view::{self, Viewport, at, put};

/// How the session's edge is drawn: dimmed, so it reads as a frame, not as output.
const EDGE: &str = "\x1b[0;2m";
/// The right edge (a column) and the bottom edge (a row), and where they meet.
pub const EDGE_RIGHT: char = '\u{2502}';
pub const EDGE_BOTTOM: char = '\u{2500}';
pub const EDGE_CORNER: char = '\u{2518}';
/// How the status row is drawn: inverse, like replay's.
const STATUS: &str = "\x1b[0;7m";

/// One picture of the watcher's terminal: each row's bytes (drawn from its first
/// column) and where the cursor shows, if it does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picture {
    pub rows: Vec<String>,
    pub cursor: Option<(usize, usize)>,
}

/// The picture of `term` through `vp` on a terminal of `size` (cols, rows), whose last
/// row is the status row saying `status` (already cut to fit).
pub fn picture(term: &Terminal, vp: &Viewport, size: (usize, usize), status: &str) -> Picture {
    let (cols, rows) = size;
    let (total_cols, total_rows) = term.size();
    let area = rows.saturating_sub(1);
    let right = cols > total_cols;
    let bottom = area > total_rows;
    let lines: Vec<_> = term.screen().visible_lines().collect();
    let mut out = Vec::with_capacity(rows);
    for r in 0..area {
        // Cleared first: with auto-wrap off, a clear after a full row would take its last
        // column with it.
        let mut s = String::new();
        put(&mut s, SetAttribute(Attribute::Reset));
        put(&mut s, Clear(ClearType::UntilNewLine));
        if let Some(line) = (r < vp.rows).then(|| lines.get(vp.top + r)).flatten() {
            view::row(&mut s, line.cells(), vp.left, vp.cols);
            put(&mut s, SetAttribute(Attribute::Reset));
            if right {
                put(
                    &mut s,
                    MoveToColumn(u16::try_from(total_cols).unwrap_or(u16::MAX)),
                );
                s.push_str(EDGE);
                s.push(EDGE_RIGHT);
                put(&mut s, SetAttribute(Attribute::Reset));
            }
        } else if bottom && r == total_rows {
            s.push_str(EDGE);
            s.extend(std::iter::repeat_n(EDGE_BOTTOM, total_cols));
            if right {
                s.push(EDGE_CORNER);
            }
            put(&mut s, SetAttribute(Attribute::Reset));
        }
        out.push(s);
    }
    if rows > 0 {
        let pad = cols.saturating_sub(unicode_width::UnicodeWidthStr::width(status));
        let mut s = format!("{STATUS}{status}{}", " ".repeat(pad));
        put(&mut s, SetAttribute(Attribute::Reset));
        out.push(s);
    }
    let c = term.cursor();
    let inside = c.row >= vp.top
        && c.row < vp.top + vp.rows
        && c.col >= vp.left
        && c.col < vp.left + vp.cols;
    Picture {
        rows: out,
        cursor: (c.visible && inside).then(|| (c.row - vp.top, c.col - vp.left)),
    }
}

/// The bytes that turn a terminal showing `prev` into one showing `next`: the rows that
/// differ, then the cursor; None when nothing changed.
pub fn diff(prev: &Picture, next: &Picture) -> Option<String> {
    let mut out = String::new();
    for (i, row) in next.rows.iter().enumerate() {
        if prev.rows.get(i) != Some(row) {
            put(&mut out, at(0, i));
            out.push_str(row);
        }
    }
    if out.is_empty() && prev.cursor == next.cursor {
        return None;
    }
    let mut bytes = String::new();
    put(&mut bytes, Hide);
    bytes.push_str(&out);
    if let Some((r, c)) = next.cursor {
        put(&mut bytes, at(c, r));
        put(&mut bytes, Show);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The screen the bytes make on a fresh terminal of `cols` x `rows`.
    fn shown(bytes: &str, cols: usize, rows: usize) -> Vec<String> {
        let mut t = Terminal::new(cols, rows).unwrap();
        t.feed("\x1b[?7l");
        t.feed(bytes);
        t.screen()
            .text()
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    fn session() -> Terminal {
        let mut t = Terminal::new(10, 4).unwrap();
        t.feed("\x1b]52;c;Y2xpcA==\x07row0\r\nrow1\r\n\x1b[31mrow2\x1b[0m\r\nrow3 end!");
        t
    }

    fn place(t: &Terminal, size: (usize, usize)) -> Viewport {
        let c = t.cursor();
        Viewport::place(
            Viewport::default(),
            (c.col, c.row),
            (size.0, size.1 - 1),
            t.size(),
        )
    }

    #[test]
    fn a_larger_terminal_shows_the_whole_session_and_its_edge() {
        let t = session();
        let p = picture(&t, &place(&t, (14, 7)), (14, 7), "status");
        let bytes = diff(&Picture::default(), &p).unwrap();
        assert!(
            !bytes.contains("]52;"),
            "the recording's OSC is not passed on"
        );
        assert_eq!(
            shown(&bytes, 14, 7),
            [
                "row0      \u{2502}",
                "row1      \u{2502}",
                "row2      \u{2502}",
                "row3 end! \u{2502}",
                &("\u{2500}".repeat(10) + "\u{2518}"),
                "",
                "status",
            ]
        );
        assert!(bytes.ends_with("\x1b[4;10H\x1b[?25h"), "{bytes:?}");
        assert!(bytes.contains("\x1b[0;38;5;1mrow2"), "colours kept");
    }

    #[test]
    fn one_row_more_than_the_session_shows_all_of_it_without_an_edge() {
        let t = session();
        let p = picture(&t, &place(&t, (10, 5)), (10, 5), "st");
        let bytes = diff(&Picture::default(), &p).unwrap();
        assert_eq!(
            shown(&bytes, 10, 5),
            ["row0", "row1", "row2", "row3 end!", "st"]
        );
    }

    #[test]
    fn a_row_as_wide_as_the_terminal_keeps_its_last_column() {
        let mut t = Terminal::new(10, 2).unwrap();
        t.feed("0123456789\r\nx");
        let p = picture(&t, &place(&t, (10, 3)), (10, 3), "st");
        let bytes = diff(&Picture::default(), &p).unwrap();
        assert_eq!(shown(&bytes, 10, 3)[0], "0123456789");
    }

    #[test]
    fn a_smaller_terminal_shows_the_part_around_the_cursor() {
        let t = session();
        let vp = place(&t, (6, 3));
        assert_eq!(
            vp.cut(t.size()).as_deref(),
            Some("view rows 3-4/4 cols 5-10/10")
        );
        let p = picture(&t, &vp, (6, 3), "st");
        assert_eq!(p.cursor, Some((1, 5)));
        let bytes = diff(&Picture::default(), &p).unwrap();
        assert_eq!(shown(&bytes, 6, 3), ["", " end!", "st"]);
    }

    #[test]
    fn only_changed_rows_are_redrawn_and_nothing_when_nothing_changed() {
        let mut t = session();
        let vp = place(&t, (12, 6));
        let before = picture(&t, &vp, (12, 6), "st");
        assert_eq!(diff(&before, &before), None);
        t.feed("\x1b[2;1Hnew1");
        let after = picture(&t, &vp, (12, 6), "st");
        let bytes = diff(&before, &after).unwrap();
        assert!(bytes.contains("\x1b[2;1H"), "{bytes:?}");
        for r in [1, 3, 4, 5, 6] {
            assert!(
                !bytes.contains(&format!("\x1b[{r};1H")),
                "row {r}: {bytes:?}"
            );
        }
        let mut status = after.clone();
        status.rows[5] = picture(&t, &vp, (12, 6), "other").rows[5].clone();
        let bytes = diff(&after, &status).unwrap();
        assert!(
            bytes.starts_with("\x1b[?25l\x1b[6;1H\x1b[0;7mother"),
            "{bytes:?}"
        );
        t.feed("\x1b[?25l");
        let hidden = picture(&t, &vp, (12, 6), "st");
        assert_eq!(hidden.cursor, None);
        assert_eq!(diff(&after, &hidden).as_deref(), Some("\x1b[?25l"));
    }
}
