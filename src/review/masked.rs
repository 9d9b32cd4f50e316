//! Masked input for reviewers: how much there was, and when it looks like more than
//! passwords. Masking is decided by prompts and terminal modes that the recorded user
//! controls (`stty -echo; PS1='Password: '` masks every command after it), so masked input
//! is never silently left out of a review: `show` counts it, and flags masking that a
//! password exchange does not explain, from what the log holds (never the secret):
//!
//! - [`MASKED_RUN`] masked lines in a row, with no line in clear between them: more than a
//!   password and its retries (sudo asks three times, passwd twice);
//! - a masked line followed by more than [`OUTPUT_LINES_AFTER`] lines of output before the
//!   next line typed: a password prompt answers with a line or two, a hidden `ls` or `cat`
//!   with many;
//! - most typed lines masked ([`MASKED_SHARE`]), from two masked lines on: a session that
//!   hid most of what was typed.

use super::keys::KeyLine;

/// Masked lines in a row that are flagged.
pub const MASKED_RUN: u64 = 4;
/// Lines of output after a masked line that are flagged.
pub const OUTPUT_LINES_AFTER: u64 = 50;
/// Masked lines flagged when they are more than this share of the lines typed (a half).
const MASKED_SHARE: (u64, u64) = (1, 2);

/// Counts masked lines and flags unusual masking, line by line.
#[derive(Debug, Default)]
pub struct MaskWatch {
    pub lines: u64,
    pub bytes: u64,
    pub sealed: u64,
    typed: u64,
    run: u64,
    /// Output lines since the last masked line, while no line was typed after it.
    after: Option<u64>,
    last_masked_t: u64,
    flags: Vec<(u64, String)>,
}

impl MaskWatch {
    /// A typed line ended.
    pub fn line(&mut self, line: &KeyLine) {
        if line.is_empty() {
            return;
        }
        self.typed += 1;
        let Some((n, sealed)) = line.masked() else {
            self.run = 0;
            self.after = None;
            return;
        };
        self.lines += 1;
        self.bytes += n;
        self.sealed += u64::from(sealed);
        self.run += 1;
        self.last_masked_t = line.t;
        self.after = Some(0);
        if self.run == MASKED_RUN {
            self.flags.push((
                line.t,
                format!(
                    "unusual masking: {MASKED_RUN} masked lines in a row, more than a password and its retries"
                ),
            ));
        }
    }

    /// Session output.
    pub fn output(&mut self, t: u64, bytes: &[u8]) {
        let Some(n) = &mut self.after else { return };
        *n += memchr::memchr_iter(b'\n', bytes).count() as u64;
        if *n > OUTPUT_LINES_AFTER {
            self.after = None;
            self.flags.push((
                t,
                format!(
                    "unusual masking: a masked line was followed by more than {OUTPUT_LINES_AFTER} lines of output, which a password prompt does not print"
                ),
            ));
        }
    }

    /// The flags, each with its time, once every line is in.
    pub fn finish(mut self) -> Vec<(u64, String)> {
        let (num, den) = MASKED_SHARE;
        if self.lines >= 2 && self.lines * den > self.typed * num {
            self.flags.push((
                self.last_masked_t,
                format!(
                    "unusual masking: {} of {} typed lines were masked",
                    self.lines, self.typed
                ),
            ));
        }
        self.flags
    }

    /// The masked input in words, for the timeline's table.
    pub fn summary(&self) -> String {
        if self.lines == 0 {
            return "none".into();
        }
        let unit = if self.lines == 1 { "line" } else { "lines" };
        let how = if self.sealed == self.lines {
            "sealed (`breakglass reveal` opens them with an auditor's key)"
        } else if self.sealed == 0 {
            "dropped when recorded (no `seal_to`): only their length is known"
        } else {
            "partly sealed, partly dropped (no `seal_to` for some)"
        };
        format!("{} {unit}, {} bytes, {how}", self.lines, self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::Data;
    use crate::review::keys::Keys;

    fn feed(w: &mut MaskWatch, k: &mut Keys, t: u64, data: Data) {
        for l in k.input(t, "owner", &data) {
            w.line(&l);
        }
    }

    fn sealed(n: u64) -> Data {
        Data::Sealed {
            len: n,
            blob: vec![],
        }
    }

    #[test]
    fn a_sudo_password_is_not_flagged() {
        let (mut w, mut k) = (MaskWatch::default(), Keys::new());
        feed(&mut w, &mut k, 1, Data::Text("sudo -i\r".into()));
        feed(&mut w, &mut k, 2, Data::Redacted(3));
        feed(&mut w, &mut k, 3, Data::Redacted(4));
        feed(&mut w, &mut k, 4, Data::Text("\r".into()));
        w.output(5, b"Last login: today\r\n# ");
        feed(&mut w, &mut k, 6, Data::Text("ls\r".into()));
        assert_eq!((w.lines, w.bytes, w.sealed), (1, 7, 0));
        assert!(w.summary().starts_with("1 line, 7 bytes, dropped"));
        assert!(w.finish().is_empty());
    }

    #[test]
    fn runs_output_and_share_are_flagged() {
        let (mut w, mut k) = (MaskWatch::default(), Keys::new());
        for t in 1..=4 {
            feed(&mut w, &mut k, t * 10, sealed(5));
            feed(&mut w, &mut k, t * 10 + 1, Data::Text("\r".into()));
        }
        w.output(50, "x\n".repeat(51).as_bytes());
        let flags = w.finish();
        assert_eq!(flags.len(), 3, "{flags:?}");
        assert_eq!(flags[0].0, 41);
        assert!(flags[0].1.contains("4 masked lines in a row"));
        assert!(flags[1].1.contains("more than 50 lines of output"));
        assert!(flags[2].1.contains("4 of 4 typed lines were masked"));
    }
}
