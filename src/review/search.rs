//! Searching one session (`grep`): typed lines ([`Keys`]) and output lines
//! ([`OutputLines`]) matched against a regular expression as the records go by.
//!
//! Masked input is never matched: in the searchable form of a typed line it is a single
//! U+FFFD, not its `[redacted N bytes]` placeholder.

use regex::Regex;

use super::keys::{KeyLine, Keys};
use super::lines::{OutputLine, OutputLines};
use super::who;
use crate::log::record::{Body, Record};

/// Where a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Input,
    Output,
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// When the line was complete, microseconds into the session.
    pub t: u64,
    pub source: Source,
    /// Who typed it (a login name), for input.
    pub by: Option<String>,
    pub line: String,
}

impl Hit {
    /// Who typed the line, or `output`.
    pub fn who(&self) -> &str {
        self.by.as_deref().unwrap_or("output")
    }
}

/// A search through one session.
pub struct Search<'a> {
    re: &'a Regex,
    input: bool,
    output: bool,
    user: String,
    keys: Keys,
    lines: OutputLines,
}

impl<'a> Search<'a> {
    /// Search typed input, output, or both.
    pub fn new(re: &'a Regex, input: bool, output: bool) -> Search<'a> {
        Search {
            re,
            input,
            output,
            user: String::new(),
            keys: Keys::new(),
            lines: OutputLines::new(),
        }
    }

    /// Take in the next record; returns the matches it completed.
    pub fn record(&mut self, rec: &Record) -> Vec<Hit> {
        match &rec.body {
            Body::Genesis(g) => {
                self.user = g.user.clone();
                vec![]
            }
            Body::Input { by, data } if self.input => {
                let lines = self.keys.input(rec.t, by, data);
                lines.into_iter().filter_map(|l| self.typed(l)).collect()
            }
            Body::Output(d) if self.output => match d.bytes() {
                Some(b) => {
                    let lines = self.lines.push(rec.t, b);
                    lines.into_iter().filter_map(|l| self.shown(l)).collect()
                }
                None => vec![],
            },
            _ => vec![],
        }
    }

    /// Matches in what was left unfinished at the end.
    pub fn finish(mut self) -> Vec<Hit> {
        let mut out: Vec<Hit> = std::mem::take(&mut self.keys)
            .finish()
            .into_iter()
            .filter_map(|l| self.typed(l))
            .collect();
        if let Some(l) = std::mem::take(&mut self.lines).finish() {
            out.extend(self.shown(l));
        }
        out
    }

    fn typed(&self, line: KeyLine) -> Option<Hit> {
        self.re.is_match(&line.searchable()).then(|| Hit {
            t: line.t,
            source: Source::Input,
            by: Some(who(&line.by, &self.user).to_string()),
            line: line.shown(),
        })
    }

    fn shown(&self, line: OutputLine) -> Option<Hit> {
        self.re.is_match(&line.text).then_some(Hit {
            t: line.t,
            source: Source::Output,
            by: None,
            line: line.text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::{Data, Genesis};

    fn run(re: &str, input: bool, output: bool, bodies: Vec<Body>) -> Vec<Hit> {
        let re = Regex::new(re).unwrap();
        let mut s = Search::new(&re, input, output);
        let mut hits = Vec::new();
        for (i, body) in bodies.into_iter().enumerate() {
            hits.extend(s.record(&Record {
                seq: i as u64,
                t: i as u64 * 1000,
                prev: ZERO_HASH,
                body,
            }));
        }
        hits.extend(s.finish());
        hits
    }

    fn session() -> Vec<Body> {
        let g = Genesis {
            user: "alice".into(),
            ..Default::default()
        };
        let i = |by: &str, d: Data| Body::Input {
            by: by.into(),
            data: d,
        };
        let text = |s: &str| Data::Text(s.into());
        vec![
            Body::Genesis(Box::new(g)),
            i("owner", text("sl\x7f\x7fls /e")),
            i("owner", text("tc\r")),
            Body::Output(Data::Text("$ ls /etc\r\npasswd\r\n".into())),
            Body::Output(Data::Text("Password: ".into())),
            i("owner", Data::Redacted(8)),
            i("owner", text("\r")),
            i("bob", text("echo redacted")),
        ]
    }

    #[test]
    fn typed_lines_with_who_and_output_lines() {
        let hits = run("ls", true, true, session());
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(
            (hits[0].source, hits[0].who(), hits[0].line.as_str()),
            (Source::Input, "alice", "ls /etc")
        );
        assert_eq!(hits[0].t, 2000);
        assert_eq!(
            (hits[1].source, hits[1].who(), hits[1].line.as_str()),
            (Source::Output, "output", "$ ls /etc")
        );
        assert_eq!(run("ls", true, false, session()).len(), 1);
        assert_eq!(run("ls", false, true, session())[0].source, Source::Output);
        // The last output line, without a LF, is searched at the end.
        assert_eq!(run("^Password: $", false, true, session()).len(), 1);
    }

    #[test]
    fn redacted_input_is_never_matched() {
        let hits = run("redacted|bytes", true, false, session());
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(
            (hits[0].who(), hits[0].line.as_str()),
            ("bob", "echo redacted")
        );
    }
}
