//! The transcript a person reads (`export --format text`): output played through the
//! terminal emulator (avt), so what was overwritten (progress bars, line editing, `\r`)
//! reads as it was finally shown, with no escape codes left.
//!
//! The primary screen keeps no scrollback of its own: every row that scrolls off it goes
//! straight to the transcript through avt's `Transcript` observer (soft-wrapped rows
//! joined), and the rows still on screen are added at the end. That is the text an
//! unlimited scrollback would hold, without holding it: memory stays flat however long the
//! session, and a hard reset cannot wipe history. A clear keeps what was on the screen
//! however it is sent: `ESC[2J` passes the rows to history in avt, and `ESC[H ESC[J` (what
//! `clear` sends for TERM=screen and tmux), which erases them in place, has them passed on
//! here just before. Output of full-screen programs on the alternate screen never reaches
//! the primary screen, so it is not in the transcript.

use avt::observer::{Observation, Transcript};
use avt::parser::{EdScope, Function};
use avt::{Line, Observer, Operation, ScreenKind, Terminal};

/// Renders output records into transcript lines.
pub struct TextRender {
    term: Terminal,
    transcript: Transcript,
    /// Blank lines seen but not yet given out: they are kept back so the trailing ones
    /// can be trimmed.
    blank: usize,
}

impl TextRender {
    pub fn new(cols: u16, rows: u16) -> TextRender {
        let (cols, rows) = crate::size::clamp(cols, rows);
        let term =
            Terminal::with_scrollback(cols.into(), rows.into(), Some(0)).expect("size is positive");
        TextRender {
            term,
            transcript: Transcript::new(),
            blank: 0,
        }
    }

    /// Play output; returns the lines that are final (scrolled off the screen).
    pub fn output(&mut self, bytes: &[u8]) -> Vec<String> {
        let keep = KeepCleared(&mut self.transcript);
        let lines = match std::str::from_utf8(bytes) {
            Ok(s) => self.term.feed_with(s, keep),
            Err(_) => self
                .term
                .feed_with(String::from_utf8_lossy(bytes).as_ref(), keep),
        };
        self.settle(lines)
    }

    /// The terminal was resized.
    pub fn resize(&mut self, cols: u16, rows: u16) -> Vec<String> {
        let (cols, rows) = crate::size::clamp(cols, rows);
        let lines = self
            .term
            .resize_with(cols.into(), rows.into(), &mut self.transcript);
        self.settle(lines)
    }

    /// The lines still on the screen, trailing blank lines trimmed.
    pub fn finish(mut self) -> Vec<String> {
        let rest = std::mem::take(&mut self.transcript).finish(&self.term);
        let mut out = self.settle(rest);
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }

    /// Hold blank lines back until a line with text follows them.
    fn settle(&mut self, lines: Vec<String>) -> Vec<String> {
        let mut out = Vec::with_capacity(lines.len());
        for l in lines {
            if l.is_empty() {
                self.blank += 1;
            } else {
                out.extend(std::iter::repeat_n(String::new(), self.blank));
                self.blank = 0;
                out.push(l);
            }
        }
        out
    }
}

/// avt's transcript, given the rows an erase of the whole primary screen is about to
/// wipe in place, as if they had scrolled off.
struct KeepCleared<'a>(&'a mut Transcript);

/// Whether `scope` erases every row of `term`'s screen from where its cursor is.
fn erases_whole_screen(term: &Terminal, scope: &EdScope) -> bool {
    let c = term.cursor();
    let (cols, rows) = term.size();
    match scope {
        EdScope::Below => c.row == 0 && c.col == 0,
        EdScope::Above => c.row + 1 >= rows && c.col + 1 >= cols,
        _ => false,
    }
}

impl Observer for KeepCleared<'_> {
    type Output = Vec<String>;

    fn before(&mut self, context: &mut Observation<'_>, operation: &Operation) {
        self.0.before(context, operation);
        let t = context.terminal();
        if let Operation::Function(Function::Ed(scope)) = operation
            && t.active_screen_kind() == ScreenKind::Primary
            && erases_whole_screen(t, scope)
        {
            let rows: Vec<Line> = t.primary_screen().visible_lines().cloned().collect();
            let used = rows
                .iter()
                .rposition(|l| !l.text().trim_end().is_empty())
                .map_or(0, |i| i + 1);
            for row in &rows[..used] {
                self.0.evicted(context, row);
            }
        }
    }

    fn evicted(&mut self, context: &mut Observation<'_>, line: &Line) {
        self.0.evicted(context, line);
    }

    fn end(&mut self, context: &mut Observation<'_>) -> Self::Output {
        self.0.end(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(cols: u16, rows: u16, chunks: &[&[u8]]) -> Vec<String> {
        let mut r = TextRender::new(cols, rows);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(r.output(c));
        }
        out.extend(r.finish());
        out
    }

    #[test]
    fn scrolled_off_lines_are_kept_and_overwrites_applied() {
        let mut chunks: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("line {i}\r\n").into_bytes())
            .collect();
        chunks.push(b"10%\r50%\r100%\r\n\x1b[1mbold\x1b[0m\r\n\r\n\r\n".to_vec());
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let got = render(20, 5, &refs);
        assert_eq!(got.len(), 52, "{got:?}");
        assert_eq!(got[0], "line 0");
        assert_eq!(got[49], "line 49");
        assert_eq!(got[50..], ["100%", "bold"]);
    }

    #[test]
    fn wrapped_lines_are_joined_and_blank_lines_inside_kept() {
        let got = render(5, 3, &[b"abcdefghij\r\n\r\nk\r\n", b"l\r\nm\r\nn"]);
        assert_eq!(got, ["abcdefghij", "", "k", "l", "m", "n"]);
    }

    #[test]
    fn the_alternate_screen_is_not_in_the_transcript() {
        let got = render(
            20,
            5,
            &[
                b"before\r\n\x1b[?1049h\x1b[Hin vim\x1b[?1049l",
                b"after\r\n",
            ],
        );
        assert_eq!(got, ["before", "after"]);
    }

    #[test]
    fn a_clear_screen_keeps_what_was_on_it() {
        let got = render(20, 5, &[b"one\r\ntwo\r\n\x1b[H\x1b[2J\x1b[3Jthree\r\n"]);
        assert_eq!(got, ["one", "two", "three"]);
    }

    #[test]
    fn a_clear_from_the_top_as_screen_and_tmux_send_it_keeps_what_was_on_it() {
        // `echo one; echo two; clear; echo three` with TERM=screen, the clear in its own
        // record and in the same one, and more rows than the screen has before it.
        let got = render(20, 5, &[b"one\r\ntwo\r\n", b"\x1b[H\x1b[J", b"three\r\n"]);
        assert_eq!(got, ["one", "two", "three"]);
        let got = render(20, 5, &[b"one\r\ntwo\r\n\x1b[H\x1b[Jthree\r\n"]);
        assert_eq!(got, ["one", "two", "three"]);
        let many: String = (1..=8).map(|i| format!("l{i}\r\n")).collect();
        let got = render(20, 5, &[many.as_bytes(), b"\x1b[H\x1b[0Jthree"]);
        let want: Vec<String> = (1..=8)
            .map(|i| format!("l{i}"))
            .chain(["three".into()])
            .collect();
        assert_eq!(got, want);
        let got = render(5, 3, &[b"abcdefgh\r\nx\x1b[3;5H\x1b[1Jy"]);
        assert_eq!(
            got,
            ["abcdefgh", "x", "", "", "    y"],
            "an erase from the end up"
        );
    }

    #[test]
    fn erasing_part_of_the_screen_or_the_alternate_screen_keeps_the_final_text() {
        let got = render(20, 5, &[b"one\r\ntwo\x1b[2;1H\x1b[Jnew"]);
        assert_eq!(got, ["one", "new"], "a redraw below the first row");
        let got = render(20, 5, &[b"a\r\n\x1b[?1049hvim\x1b[H\x1b[J\x1b[?1049lb"]);
        assert_eq!(got, ["a", "b"]);
    }
}
