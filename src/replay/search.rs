//! Search inside a recording: a regex over the output text (escape sequences dropped,
//! lines joined across records) and over typed input. Redacted input is never searched.

use regex::Regex;

use super::index::Index;
use crate::log::record::{Body, Data};
use crate::session::secret::strip_escapes;

/// Longest output line kept while looking for its end; longer lines are searched in pieces.
const MAX_LINE: usize = 64 * 1024;

/// The entries (indexes) where a match ends, in order.
pub fn search(idx: &Index, re: &Regex) -> std::io::Result<Vec<usize>> {
    let mut hits = Vec::new();
    let mut line = String::new();
    // Whether the line being built already gave a hit (a prompt, before its Enter).
    let mut line_hit = false;
    let mut typed = String::new();
    for i in 0..idx.entries.len() {
        if !matches!(idx.entries[i].kind, b'o' | b'i') {
            continue;
        }
        match idx.record(i)?.body {
            Body::Output(d) => {
                let bytes = d.bytes().map(strip_escapes).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                let mut found = false;
                for (n, piece) in text.split('\n').enumerate() {
                    if n > 0 || line.len() > MAX_LINE {
                        found |= !line_hit && re.is_match(&line);
                        line.clear();
                        line_hit = false;
                    }
                    line.push_str(piece);
                }
                if !line_hit && re.is_match(&line) {
                    line_hit = true;
                    found = true;
                }
                if found {
                    hits.push(i);
                }
            }
            Body::Input {
                data: Data::Text(t),
                ..
            } => {
                // Typed lines are searched when Enter is pressed, backspaces applied.
                for c in t.chars() {
                    match c {
                        '\r' | '\n' => {
                            if re.is_match(&typed) {
                                hits.push(i);
                            }
                            typed.clear();
                        }
                        '\x7f' | '\x08' => {
                            typed.pop();
                        }
                        c if !c.is_control() => typed.push(c),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::{End, Genesis};
    use crate::log::writer::LogWriter;

    #[test]
    fn finds_output_across_records_and_typed_lines_but_not_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let f = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .read(true)
            .open(&path)
            .unwrap();
        let g = Genesis {
            v: 1,
            cols: 80,
            rows: 24,
            session: "aaaaaaaaaaaa".into(),
            started: "2026-01-01T00:00:00Z".into(),
            tool: "breakglass 0".into(),
            ..Genesis::default()
        };
        let mut w = LogWriter::create(f, g, ZERO_HASH).unwrap();
        w.output(1, b"$ ").unwrap(); // 1
        for (t, k) in [
            (2, "s"),
            (3, "l"),
            (4, "\x7f"),
            (5, "\x7f"),
            (6, "ls -la"),
            (7, "\r"),
        ] {
            w.input(t, "owner", Data::Text(k.into())).unwrap(); // 2..=7
        }
        w.output(8, b"total \x1b[1m4").unwrap(); // 8
        w.output(9, b"2\x1b[0m\r\n$ ").unwrap(); // 9
        w.input(10, "owner", Data::Redacted(7)).unwrap(); // 10
        let end = End {
            cause: "exit".into(),
            exit: Some(0),
            signal: None,
            records: 0,
            bytes_in: 0,
            bytes_out: 0,
            ended: "2026-01-01T00:00:01Z".into(),
        };
        w.finish(11, end).unwrap();
        let idx = Index::load(&path).unwrap();
        let find = |p: &str| search(&idx, &Regex::new(p).unwrap()).unwrap();
        assert_eq!(
            find("^ls -la$"),
            vec![7],
            "typed line with backspaces applied"
        );
        assert_eq!(
            find("total 42"),
            vec![9],
            "output joined across records, escapes dropped"
        );
        assert_eq!(find("\\$ $"), vec![1, 9], "open prompt lines");
        assert!(find("hunter").is_empty());
    }
}
