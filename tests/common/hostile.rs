//! Hostile material for tests: strings that try to drive a reviewer's terminal, a data dir
//! whose session, file name and ledger carry them, a check that printed bytes are inert,
//! and real users that are removed when the test ends.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use breakglass::log::chain::ZERO_HASH;
use breakglass::log::ledger::{Entry, Ledger};
use breakglass::log::record::{Body, Data, End, Genesis, Participant};
use breakglass::log::writer::LogWriter;

/// A string with every kind of trick, tagged so a test can find where it went: an OSC
/// title set, a screen clear, a colour, the C1 CSI and NEL, bidi overrides and isolates,
/// a lone CR that would overwrite the line with a fake verdict, DEL and backspace.
pub fn hostile(tag: &str) -> String {
    format!(
        "{tag}\x1b]0;pwned\x07\x1b[2J\x1b[31m\u{9b}1m\u{85}\u{202e}desrever\u{2066}x\u{2069}\u{200f}\u{61c}\rVERIFIED\x7f\x08end"
    )
}

/// The same with bytes that are not UTF-8 (for fields that are bytes: typed input, output).
pub fn hostile_bytes(tag: &str) -> Vec<u8> {
    let mut b = hostile(tag).into_bytes();
    b.extend_from_slice(b"\xff\xc3(\x9b2J\n");
    b
}

/// Why `bytes` could act on a terminal, if they could: a raw control (other than LF), DEL,
/// a C1 control, a bidi control, or bytes that are not UTF-8.
pub fn unsafe_in(bytes: &[u8]) -> Option<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            return Some(format!(
                "invalid UTF-8 at byte {at}: {:?}",
                String::from_utf8_lossy(&bytes[at.saturating_sub(40)..(at + 8).min(bytes.len())])
            ));
        }
    };
    text.char_indices()
        .find(|&(_, c)| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .map(|(i, c)| {
            let before: String = text[..i].chars().rev().take(60).collect();
            let before: String = before.chars().rev().collect();
            format!("{c:?} at byte {i}, after {before:?}")
        })
}

/// Fail with the view's name if `bytes` are not inert.
pub fn assert_inert(view: &str, bytes: &[u8]) {
    if let Some(why) = unsafe_in(bytes) {
        panic!("{view} printed a raw {why}");
    }
}

/// A hostile file name for a copy of the session (without `.jsonl`).
pub const HOSTILE_ID: &str = "evil\x1b]0;pwned\x07\u{202e}\u{9b}2J\rid";

/// The session's own id, as breakglass makes them.
pub const GOOD_ID: &str = "aaaaaaaaaaaa";

/// When the session started and ended (the verifier wants real times there).
const AT: &str = "2026-01-01T00:00:00Z";

/// A data dir at `dir` with one session whose every string is hostile, listed in the
/// ledger, a copy of it under a hostile file name, and a ledger line with a hostile id
/// for a file that is not there. Its size records say 65535×65535. Returns the session
/// file (the one with a good name).
pub fn hostile_store(dir: &Path) -> PathBuf {
    let sessions = dir.join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    std::fs::create_dir_all(dir.join("live")).unwrap();
    for d in [dir, &sessions, &dir.join("live")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut ledger = Ledger::lock(&dir.join("ledger.jsonl"), 0o600).unwrap();
    let path = sessions.join(format!("{GOOD_ID}.jsonl"));
    let file = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .read(true)
        .open(&path)
        .unwrap();
    let genesis = Genesis {
        v: 1,
        session: GOOD_ID.into(),
        host: hostile("host"),
        user: hostile("user"),
        uid: 0,
        reason: hostile("reason"),
        ticket: Some(hostile("ticket")),
        command: vec!["sh".into(), hostile("cmd")],
        cols: 65535,
        rows: 65535,
        term: hostile("term"),
        started: AT.into(),
        ttl_s: None,
        tool: format!("breakglass {}", hostile("tool")),
        origin: hostile("origin"),
        cert: None,
    };
    let mut w = LogWriter::create(file, genesis, ledger.head()).unwrap();
    ledger
        .append(Entry {
            seq: 0,
            at: AT.into(),
            start: true,
            session: GOOD_ID.into(),
            file: format!("sessions/{GOOD_ID}.jsonl"),
            prev: ZERO_HASH,
            hash: w.head(),
            records: None,
        })
        .unwrap();
    let typed = format!("echo {}\r", hostile("typed"));
    w.input(1_000, "owner", Data::Text(typed)).unwrap();
    w.input(
        2_000,
        &hostile("watcher"),
        Data::Bytes(hostile_bytes("typedbytes")),
    )
    .unwrap();
    w.output(3_000, &hostile_bytes("GREPME output")).unwrap();
    w.append(
        4_000,
        Body::Resize {
            cols: 65535,
            rows: 65535,
        },
    )
    .unwrap();
    w.output(
        5_000,
        format!("GREPME wide {}\r\n", "x".repeat(3000)).as_bytes(),
    )
    .unwrap();
    w.append(
        6_000,
        Body::Marker {
            by: hostile("marker-by"),
            text: hostile("marker"),
        },
    )
    .unwrap();
    w.append(
        7_000,
        Body::Participant(Participant {
            event: "deny".into(),
            who: hostile("who"),
            uid: Some(1),
            mode: Some("watch".into()),
            extension: None,
        }),
    )
    .unwrap();
    let records = w.records() + 1;
    let (bytes_in, bytes_out) = w.totals();
    let head = w
        .finish(
            8_000,
            End {
                cause: "signal".into(),
                exit: None,
                signal: Some(hostile("SIGEVIL")),
                records,
                bytes_in,
                bytes_out,
                ended: AT.into(),
                seal: None,
            },
        )
        .unwrap();
    let end = |session: String, file: String| Entry {
        seq: 0,
        at: AT.into(),
        start: false,
        session,
        file,
        prev: ZERO_HASH,
        hash: head,
        records: Some(records),
    };
    ledger
        .append(end(GOOD_ID.into(), format!("sessions/{GOOD_ID}.jsonl")))
        .unwrap();
    let gone = format!("gone{}", hostile("ledger-id"));
    ledger
        .append(Entry {
            start: true,
            ..end(gone.clone(), format!("sessions/{gone}.jsonl"))
        })
        .unwrap();
    std::fs::copy(&path, sessions.join(format!("{HOSTILE_ID}.jsonl"))).unwrap();
    path
}

/// Real users and groups (names start with `bgh`), removed when this is dropped.
pub struct Users {
    pub names: Vec<String>,
    pub groups: Vec<String>,
}

impl Users {
    /// Create `names`, each in the supplementary `group` (created too).
    pub fn new(names: &[&str], group: &str) -> Users {
        for n in names.iter().chain([&group]) {
            assert!(n.starts_with("bgh"), "test users are named bgh*");
        }
        let _ = Command::new("groupadd").arg(group).output();
        for n in names {
            let _ = Command::new("userdel").arg(n).output();
            let st = Command::new("useradd")
                .args(["-M", "-N", "-G", group, "-s", "/bin/sh", n])
                .status()
                .unwrap();
            assert!(st.success(), "useradd {n}");
        }
        Users {
            names: names.iter().map(|s| s.to_string()).collect(),
            groups: vec![group.to_string()],
        }
    }

    pub fn uid(name: &str) -> u32 {
        nix::unistd::User::from_name(name)
            .unwrap()
            .unwrap()
            .uid
            .as_raw()
    }

    pub fn gid(group: &str) -> u32 {
        nix::unistd::Group::from_name(group)
            .unwrap()
            .unwrap()
            .gid
            .as_raw()
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("userdel").arg(n).output();
        }
        for g in &self.groups {
            let _ = Command::new("groupdel").arg(g).output();
        }
    }
}

/// Kills a process the test started when the test ends, passed or failed.
pub struct KillOnDrop(pub i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // SAFETY: kill(2) on a pid this test spawned; no memory is involved.
        unsafe { libc::kill(self.0, libc::SIGKILL) };
    }
}
