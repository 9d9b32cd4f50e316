//! The transcript a person reads (`export --format text`): output played through the
//! terminal emulator (avt), so what was overwritten (progress bars, line editing, `\r`)
//! reads as it was finally shown, with no escape codes left.
//!
//! The primary screen keeps no scrollback of its own: every row that scrolls off it goes
//! straight to the transcript through avt's `Transcript` observer (soft-wrapped rows
//! joined), and the rows still on screen are added at the end. That is the text an
//! unlimited scrollback would hold, without holding it: memory stays flat however long the
//! session, and a hard reset cannot wipe history. Output of full-screen programs on the
//! alternate screen never reaches the primary screen, so it is not in the transcript.

use avt::Terminal;
use avt::observer::Transcript;

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
        let lines = match std::str::from_utf8(bytes) {
            Ok(s) => self.term.feed_with(s, &mut self.transcript),
            Err(_) => self.term.feed_with(
                String::from_utf8_lossy(bytes).as_ref(),
                &mut self.transcript,
            ),
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
}
