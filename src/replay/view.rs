//! What of the session's screen the reviewer's terminal shows, pure: a viewport that
//! follows the cursor when the terminal is smaller than the session, and the bytes that
//! draw it from the emulator's cells. The recording's own escape sequences never reach
//! the reviewer's terminal: titles, clipboard writes and mode switches stay in the
//! emulator, and only text with its colours is drawn. Cursor moves, clears and resets
//! are crossterm's commands; a pen's colours and attributes are one SGR sequence of our
//! own (crossterm writes one sequence per attribute and colour).

use std::fmt::Write;

use avt::{Color, Pen, Terminal};
use crossterm::Command;
use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::{Clear, ClearType};

/// Append a crossterm command's bytes to `out`.
pub fn put(out: &mut String, c: impl Command) {
    let _ = c.write_ansi(out);
}

/// The cursor move to 0-based (`col`, `row`).
pub fn at(col: usize, row: usize) -> MoveTo {
    let c = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    MoveTo(c(col), c(row))
}

/// The part of the session's screen on view: `rows` x `cols` from (`top`, `left`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewport {
    pub top: usize,
    pub left: usize,
    pub rows: usize,
    pub cols: usize,
}

/// Along one axis: the offset that keeps `cursor` in view, moving as little as possible
/// from `prev`, never past the end of `total`.
pub fn follow(prev: usize, cursor: usize, avail: usize, total: usize) -> usize {
    if avail >= total {
        return 0;
    }
    let max = total - avail;
    let mut off = prev.min(max);
    if cursor < off {
        off = cursor;
    } else if cursor >= off + avail {
        off = cursor + 1 - avail;
    }
    off.min(max)
}

impl Viewport {
    /// The viewport of a `total` (cols, rows) screen in `avail` (cols, rows) of terminal,
    /// following `cursor` (col, row) from where `prev` was.
    pub fn place(
        prev: Viewport,
        cursor: (usize, usize),
        avail: (usize, usize),
        total: (usize, usize),
    ) -> Viewport {
        Viewport {
            left: follow(prev.left, cursor.0, avail.0, total.0),
            top: follow(prev.top, cursor.1, avail.1, total.1),
            cols: avail.0.min(total.0),
            rows: avail.1.min(total.1),
        }
    }

    /// What is on view when something is cut, for the status line: the axes cut only,
    /// `view rows 2-30/30 cols 1-80/100`; None when the whole `total` (cols, rows) screen
    /// is on view.
    pub fn cut(&self, total: (usize, usize)) -> Option<String> {
        let mut parts = Vec::new();
        if self.rows < total.1 {
            parts.push(format!(
                "rows {}-{}/{}",
                self.top + 1,
                self.top + self.rows,
                total.1
            ));
        }
        if self.cols < total.0 {
            parts.push(format!(
                "cols {}-{}/{}",
                self.left + 1,
                self.left + self.cols,
                total.0
            ));
        }
        (!parts.is_empty()).then(|| format!("view {}", parts.join(" ")))
    }
}

/// Bytes that draw the viewport of `term` on the terminal's first `screen_rows` rows
/// (rows below the session are blanked), then place the cursor where the session's is.
pub fn draw(term: &Terminal, vp: &Viewport, screen_rows: usize) -> String {
    let mut out = String::new();
    put(&mut out, Hide);
    let lines: Vec<_> = term.screen().visible_lines().collect();
    for r in 0..screen_rows {
        put(&mut out, at(0, r));
        put(&mut out, SetAttribute(Attribute::Reset));
        if let Some(line) = (r < vp.rows).then(|| lines.get(vp.top + r)).flatten() {
            row(&mut out, line.cells(), vp.left, vp.cols);
        }
        put(&mut out, SetAttribute(Attribute::Reset));
        put(&mut out, Clear(ClearType::UntilNewLine));
    }
    let c = term.cursor();
    let (col, row) = (c.col.min(vp.left + vp.cols), c.row);
    let inside = row >= vp.top && row < vp.top + vp.rows && col >= vp.left;
    if c.visible && inside && col - vp.left < vp.cols.max(1) {
        put(&mut out, at(col - vp.left, row - vp.top));
        put(&mut out, Show);
    }
    out
}

/// One row's cells from `left`, `cols` wide, each pen change as an SGR sequence.
pub fn row(out: &mut String, cells: &[avt::Cell], left: usize, cols: usize) {
    let mut pen = Pen::default();
    for (i, cell) in cells.iter().enumerate().skip(left).take(cols) {
        if cell.width() == 0 {
            if i == left {
                out.push(' '); // the tail of a wide character cut at the left edge
            }
            continue;
        }
        if *cell.pen() != pen {
            pen = *cell.pen();
            out.push_str(&sgr(&pen));
        }
        if cell.width() == 2 && i + 1 >= left + cols {
            out.push(' '); // a wide character cut at the right edge
        } else {
            out.push(cell.char());
        }
    }
}

/// The SGR sequence that sets `pen` from scratch.
pub fn sgr(pen: &Pen) -> String {
    let mut s = String::from("\x1b[0");
    for (on, code) in [
        (pen.is_bold(), "1"),
        (pen.is_faint(), "2"),
        (pen.is_italic(), "3"),
        (pen.is_underline(), "4"),
        (pen.is_blink(), "5"),
        (pen.is_inverse(), "7"),
        (pen.is_strikethrough(), "9"),
    ] {
        if on {
            s.push(';');
            s.push_str(code);
        }
    }
    for (colour, base) in [(pen.foreground(), 38), (pen.background(), 48)] {
        match colour {
            Some(Color::Indexed(n)) => {
                let _ = write!(s, ";{base};5;{n}");
            }
            Some(Color::RGB(c)) => {
                let _ = write!(s, ";{base};2;{};{};{}", c.r, c.g, c.b);
            }
            None => {}
        }
    }
    s.push('m');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewport_follows_the_cursor_and_stays_put_otherwise() {
        assert_eq!(follow(0, 29, 30, 30), 0, "everything fits");
        assert_eq!(
            follow(0, 29, 29, 30),
            1,
            "one row short, cursor at the bottom"
        );
        assert_eq!(
            follow(1, 10, 29, 30),
            1,
            "the cursor moved but is still in view"
        );
        assert_eq!(follow(1, 0, 29, 30), 0, "the cursor went to the top");
        assert_eq!(follow(0, 99, 60, 100), 40);
        assert_eq!(follow(70, 5, 60, 100), 5);
        assert_eq!(follow(90, 50, 60, 100), 40, "never past the end");
    }

    #[test]
    fn cut_says_which_rows_and_columns_are_on_view() {
        let vp = Viewport::place(Viewport::default(), (99, 29), (60, 14), (100, 30));
        assert_eq!(
            vp,
            Viewport {
                top: 16,
                left: 40,
                rows: 14,
                cols: 60
            }
        );
        assert_eq!(
            vp.cut((100, 30)).as_deref(),
            Some("view rows 17-30/30 cols 41-100/100")
        );
        let all = Viewport::place(Viewport::default(), (99, 29), (120, 40), (100, 30));
        assert_eq!(all.cut((100, 30)), None);
        let short = Viewport::place(Viewport::default(), (0, 29), (100, 29), (100, 30));
        assert_eq!(short.cut((100, 30)).as_deref(), Some("view rows 2-30/30"));
    }

    /// The screen the drawn bytes make, read back through a second emulator.
    fn shown(bytes: &str, cols: usize, rows: usize) -> Vec<String> {
        let mut t = Terminal::new(cols, rows).unwrap();
        t.feed(bytes);
        t.screen().text()
    }

    #[test]
    fn drawing_shows_the_viewport_only_with_its_colours() {
        let mut t = Terminal::new(10, 4).unwrap();
        t.feed("\x1b]0;title\x07abc\x1b[31mdef\x1b[0m\r\nline2\r\nline3\r\n\x1b[1mline4");
        let vp = Viewport::place(Viewport::default(), (5, 3), (4, 2), (10, 4));
        let out = draw(&t, &vp, 3);
        assert!(
            !out.contains("title"),
            "the recording's OSC is not passed on"
        );
        assert_eq!(shown(&out, 4, 3), ["ne3", "ne4", ""]);
        let whole = draw(&t, &Viewport::place(vp, (5, 3), (10, 4), (10, 4)), 4);
        assert!(whole.contains("\x1b[0;38;5;1mdef"), "{whole:?}");
        assert!(whole.contains("\x1b[0;1mline4"), "{whole:?}");
        assert_eq!(shown(&whole, 10, 4), ["abcdef", "line2", "line3", "line4"]);
        assert!(whole.ends_with("\x1b[4;6H\x1b[?25h"), "the cursor placed");
    }

    #[test]
    fn wide_characters_cut_at_an_edge_become_spaces() {
        let mut t = Terminal::new(6, 1).unwrap();
        t.feed("a\u{65e5}\u{672c}b");
        let vp = Viewport {
            top: 0,
            left: 2,
            rows: 1,
            cols: 2,
        };
        let mut out = String::new();
        row(
            &mut out,
            t.screen().line(0).unwrap().cells(),
            vp.left,
            vp.cols,
        );
        assert_eq!(out, "  ", "{out:?}");
    }
}
