//! The tamper table: every way of changing a log, the verdict it must get and the line
//! where it must be caught, checked three ways: the library's verifier on bytes in memory,
//! `breakglass verify` on a file, and the independent Python verifier.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use breakglass::log::chain::ZERO_HASH;
use breakglass::log::record::{Body, Data, End, Genesis};
use breakglass::log::stream::verify_reader;
use breakglass::log::writer::LogWriter;
use common::*;

fn genesis(id: &str) -> Genesis {
    Genesis {
        v: 1,
        session: id.into(),
        host: "prod-db1".into(),
        user: "alice".into(),
        uid: 1000,
        reason: "INC-1 test".into(),
        ticket: Some("INC-1".into()),
        command: vec!["ssh".into(), "prod-db1".into()],
        cols: 80,
        rows: 24,
        term: "xterm".into(),
        started: "2026-11-22T03:00:00.000001Z".into(),
        ttl_s: Some(3600),
        tool: "breakglass 0.1.0".into(),
        origin: "bastion".into(),
        cert: None,
    }
}

/// A complete, valid log of 8 lines, as lines without LF.
fn good_log(dir: &Path, id: &str) -> Vec<Vec<u8>> {
    let path = dir.join(format!("{id}.jsonl"));
    let f = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .read(true)
        .open(&path)
        .unwrap();
    let mut w = LogWriter::create(f, genesis(id), ZERO_HASH).unwrap();
    w.output(10, b"$ ").unwrap();
    w.input(20, "owner", Data::Text("ls\r".into())).unwrap();
    w.output(30, b"a  b  \x1b[1mAc\xc3").unwrap();
    w.output(40, b"\xa9\r\n$ ").unwrap();
    w.append(
        50,
        Body::Resize {
            cols: 100,
            rows: 30,
        },
    )
    .unwrap();
    w.input(60, "owner", Data::Redacted(5)).unwrap();
    let end = End {
        cause: "exit".into(),
        exit: Some(0),
        signal: None,
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        ended: "2026-11-22T03:00:01Z".into(),
        seal: None,
    };
    w.finish(70, end).unwrap();
    let data = std::fs::read(&path).unwrap();
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.to_vec())
        .collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect()
}

fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(line.to_vec()).unwrap();
    assert!(s.contains(from), "{from} not in {s}");
    s.replacen(from, to, 1).into_bytes()
}

/// One case: a name, the bytes, the verdict, and the 1-based line where it is caught.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    verdict: &'static str,
    line: Option<u64>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let g = good_log(dir, "aaaaaaaaaaaa");
    let other = good_log(dir, "bbbbbbbbbbbb");
    let mut out = Vec::new();
    let case = |out: &mut Vec<Case>, name, lines: Vec<Vec<u8>>, verdict, line| {
        out.push(Case {
            name,
            bytes: join(&lines),
            verdict,
            line,
        })
    };
    case(&mut out, "intact", g.clone(), "VERIFIED", None);
    let mut l = g.clone();
    l[3] = replace(&l[3], "a  b", "a  c");
    case(&mut out, "flip a byte in a payload", l, "TAMPERED", Some(5));
    let mut l = g.clone();
    l.remove(3);
    case(&mut out, "delete a line", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l.swap(3, 4);
    case(&mut out, "swap two lines", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l.insert(3, g[3].clone());
    case(&mut out, "duplicate a line", l, "TAMPERED", Some(5));
    let mut l = g.clone();
    let forged = replace(&g[3], "a  b", "rm -rf /");
    l.insert(4, replace(&forged, "\"seq\":3", "\"seq\":4"));
    case(&mut out, "insert a forged line", l, "TAMPERED", Some(5));
    let mut l = g.clone();
    l[3] = other[3].clone();
    // Same content, but chained to the other session's line 2 (its genesis differs).
    case(
        &mut out,
        "splice a line from another session",
        l,
        "TAMPERED",
        Some(4),
    );
    let mut l = g.clone();
    l[3] = replace(&l[3], ",\"t\":", ", \"t\":");
    case(&mut out, "add whitespace", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "{\"seq\":3,\"t\":30,", "{\"t\":30,\"seq\":3,");
    case(&mut out, "change key order", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "Ac", "\\u0041c");
    case(&mut out, "escape A as \\u0041", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "\"k\":\"o\"", "\"k\":\"o\",\"note\":1");
    case(&mut out, "unknown field", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "\"k\":\"o\"", "\"k\":\"o\",\"k\":\"o\"");
    case(&mut out, "duplicate key", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l.push(g[2].clone());
    case(&mut out, "a line after x", l, "TAMPERED", Some(9));
    let mut bytes = join(&g);
    bytes.extend_from_slice(b"{\"seq\":8");
    out.push(Case {
        name: "bytes after x",
        bytes,
        verdict: "TAMPERED",
        line: Some(9),
    });
    let mut l = g.clone();
    l.insert(2, replace(&g[0], "\"seq\":0", "\"seq\":2"));
    case(&mut out, "second genesis", l, "TAMPERED", Some(3));
    let mut l = g.clone();
    l[3] = replace(&l[3], "\"seq\":3", "\"seq\":4");
    case(&mut out, "seq gap", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "\"t\":30", "\"t\":15");
    case(&mut out, "time goes backwards", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[3] = replace(&l[3], "a  b", &"x".repeat(1_100_000));
    case(&mut out, "over-long line", l, "TAMPERED", Some(4));
    let mut l = g.clone();
    l[7] = replace(&l[7], "\"records\":8", "\"records\":9");
    case(&mut out, "wrong record count", l, "TAMPERED", Some(8));
    // The end record, edited: every count and field is checked...
    for (name, from, to) in [
        ("x: wrong bytes_out", "\"bytes_out\":", "\"bytes_out\":1"),
        ("x: wrong bytes_in", "\"bytes_in\":", "\"bytes_in\":1"),
        (
            "x: unknown cause",
            "\"cause\":\"exit\"",
            "\"cause\":\"crash\"",
        ),
        ("x: exit status as a string", "\"exit\":0", "\"exit\":\"0\""),
        (
            "x: no ended time",
            ",\"ended\":\"2026-11-22T03:00:01Z\"",
            "",
        ),
        ("x: broken link", "\"prev\":\"", "\"prev\":\"0"),
    ] {
        let mut l = g.clone();
        l[7] = replace(&l[7], from, to);
        if name == "x: broken link" {
            // Still 64 hex digits, one of them changed.
            let s = String::from_utf8(l[7].clone()).unwrap();
            let at = s.find("\"prev\":\"").unwrap() + 8;
            l[7] = format!("{}{}", &s[..at + 64], &s[at + 65..]).into_bytes();
        }
        case(&mut out, name, l, "TAMPERED", Some(8));
    }
    // ...but a consistent edit of the last line leaves no trace in the chain: only the
    // ledger's head (below), or another witness, can tell.
    let mut l = g.clone();
    l[7] = replace(&l[7], "\"exit\":0", "\"exit\":1");
    case(&mut out, "x: exit status rewritten", l, "VERIFIED", None);
    let mut bytes = join(&g[..6]);
    bytes.extend_from_slice(&g[6][..20]);
    out.push(Case {
        name: "truncated mid-line",
        bytes,
        verdict: "INTERRUPTED",
        line: None,
    });
    let mut bytes = join(&g[..6]);
    bytes.extend(std::iter::repeat_n(0u8, 8192));
    out.push(Case {
        name: "NUL-padded tail",
        bytes,
        verdict: "INTERRUPTED",
        line: None,
    });
    let mut bytes = join(&g);
    bytes.extend(std::iter::repeat_n(0u8, 100));
    out.push(Case {
        name: "NUL bytes after x",
        bytes,
        verdict: "TAMPERED",
        line: Some(9),
    });
    out.push(Case {
        name: "cut cleanly before x",
        bytes: join(&g[..7]),
        verdict: "INTERRUPTED",
        line: None,
    });
    out.push(Case {
        name: "empty file",
        bytes: vec![],
        verdict: "INTERRUPTED",
        line: None,
    });
    out.push(Case {
        name: "genesis cut mid-write",
        bytes: g[0][..15].to_vec(),
        verdict: "INTERRUPTED",
        line: None,
    });
    out.push(Case {
        name: "not a log",
        bytes: b"hello world\n".to_vec(),
        verdict: "UNVERIFIABLE",
        line: Some(1),
    });
    out.push(Case {
        name: "not a log, no LF",
        bytes: b"\x7fELF\x02\x01".to_vec(),
        verdict: "UNVERIFIABLE",
        line: None,
    });
    let mut l = g.clone();
    l[0] = replace(&l[0], "\"v\":1", "\"v\":2");
    case(&mut out, "format version 2", l, "UNVERIFIABLE", Some(1));
    let mut l = g.clone();
    l[0] = replace(&l[0], "\"host\":\"prod-db1\"", "\"host\":\"prod-db2\"");
    case(&mut out, "edit the genesis", l, "TAMPERED", Some(2));
    let mut l = g.clone();
    l[0] = replace(&l[0], "\"reason\":", "\"reason\" ");
    case(&mut out, "break the genesis JSON", l, "TAMPERED", Some(1));
    out
}

#[test]
fn every_tamper_case_gets_its_verdict_from_all_three_verifiers() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for (i, c) in cases(&work).into_iter().enumerate() {
        let report = verify_reader(&c.bytes[..], BTreeMap::new(), |_| {}).unwrap();
        assert_eq!(
            report.verdict().as_str(),
            c.verdict,
            "{}: library verifier: {:?}",
            c.name,
            report.problem
        );
        assert_eq!(
            report.problem.as_ref().map(|p| p.line),
            c.line,
            "{}: line: {:?}",
            c.name,
            report.problem
        );
        let file = tmp.path().join(format!("case{i}.jsonl"));
        std::fs::write(&file, &c.bytes).unwrap();
        let (v, code, j) = verify_file(&file);
        assert_eq!(v, c.verdict, "{}: breakglass verify: {j}", c.name);
        let want_code = match c.verdict {
            "VERIFIED" => 0,
            "TAMPERED" => 1,
            "INTERRUPTED" => 3,
            _ => 4,
        };
        assert_eq!(code, want_code, "{}: exit status", c.name);
        if let Some(line) = c.line {
            assert_eq!(j["problem"]["line"], line, "{}: {j}", c.name);
        }
        if let Some(py) = python::verify(&file, None) {
            let py = py.file;
            assert_eq!(
                py.verdict, c.verdict,
                "{}: independent verifier disagrees: {}",
                c.name, py.json
            );
            assert_eq!(
                py.line, c.line,
                "{}: independent verifier's line: {}",
                c.name, py.json
            );
        }
    }
}

#[test]
fn the_ledger_catches_an_end_record_rewritten_or_cut() {
    let env = Env::new();
    let out = env.run(&["shell", "-r", "end", "--", "sh", "-c", "echo hi; exit 0"]);
    assert_eq!(out.status.code(), Some(0));
    let log = env.log();
    let ledger = env.dir().join("ledger.jsonl");
    let original = std::fs::read(&log).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    let lines = text.lines().count() as u64;
    let (last_at, _) = text.trim_end().rsplit_once('\n').unwrap();
    for (name, bytes) in [
        (
            "exit status rewritten",
            text.replacen("\"exit\":0", "\"exit\":1", 1).into_bytes(),
        ),
        (
            "cause rewritten",
            text.replacen("\"cause\":\"exit\"", "\"cause\":\"ttl\"", 1)
                .into_bytes(),
        ),
        ("end record cut off", format!("{last_at}\n").into_bytes()),
    ] {
        std::fs::write(&log, &bytes).unwrap();
        let (v, code, j) = verify_file(&log);
        assert_eq!((v.as_str(), code), ("TAMPERED", 1), "{name}: {j}");
        assert_eq!(j["problem"]["line"], lines, "{name}: {j}");
        if let Some(py) = python::verify(&log, Some(&ledger)) {
            py.assert_with_ledger("TAMPERED", "listed");
            assert_eq!(py.file.line, Some(lines), "{name}: {}", py.file.json);
        }
    }
    std::fs::write(&log, &original).unwrap();
    assert_verdict(&log, "VERIFIED");
}
