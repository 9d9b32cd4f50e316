//! Search inside a recording for replay: the same line matching as `grep` (typed lines
//! with backspaces applied, output lines joined across records, escape sequences dropped,
//! masked input never matched), answered as the records where each matching line ended.

use regex::Regex;

use super::index::Index;
use crate::log::kind::Kind;
use crate::review::search::Search;

/// The entries (indexes) where a matching line was completed, in order.
pub fn search(idx: &Index, re: &Regex) -> std::io::Result<Vec<usize>> {
    let mut hits = Vec::new();
    let mut s = Search::new(re, true, true);
    for i in 0..idx.entries.len() {
        if !matches!(
            idx.entries[i].kind,
            Kind::Genesis | Kind::Output | Kind::Input
        ) {
            continue;
        }
        if !s.record(&idx.record(i)?).is_empty() {
            hits.push(i);
        }
    }
    if !s.finish().is_empty() && !idx.entries.is_empty() {
        hits.push(idx.entries.len() - 1);
    }
    hits.dedup();
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::Data;
    use crate::log::writer::test_log;

    #[test]
    fn finds_output_across_records_and_typed_lines_but_not_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut w = test_log(&path, 80, 24);
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
        w.finish(11, crate::log::writer::test_end()).unwrap();
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
        assert_eq!(
            find("^\\$ $"),
            vec![11],
            "the last prompt, still open at the end of the log"
        );
        assert!(find("hunter").is_empty());
    }
}
