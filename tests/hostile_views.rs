//! Nothing a recorded user types or prints, and nothing in a file name or the ledger,
//! reaches a reviewer's terminal raw: every view of a session whose every string is
//! hostile is run on the built binary and its bytes checked. The same session says its
//! window is 65535×65535: `export --format text` and `replay` stay within a memory bound.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::hostile::*;
use common::*;

fn run(env: &Env, args: &[&str]) -> std::process::Output {
    env.run(args)
}

/// Every view that is not the session's own screen, with what it wrote to stdout and stderr.
fn views(env: &Env, file: &Path) -> Vec<(String, Vec<u8>)> {
    let f = file.to_str().unwrap();
    let mut out = Vec::new();
    for args in [
        vec!["ls"],
        vec!["verify", f],
        vec!["verify", "--all"],
        vec!["show", f],
        vec!["export", "--format", "keys", f],
        vec!["export", "--format", "text", f],
        vec!["export", "--format", "timeline", f],
        vec!["grep", "GREPME"],
        vec!["grep", "typed"],
        vec!["grep", "GREPME", f],
    ] {
        let o = run(env, &args);
        out.push((format!("{args:?} stdout"), o.stdout));
        out.push((format!("{args:?} stderr"), o.stderr));
    }
    out
}

#[test]
fn hostile_strings_are_inert_in_every_review_view() {
    let env = Env::new();
    let file = hostile_store(&env.dir());
    let all = views(&env, &file);
    for (view, bytes) in &all {
        assert_inert(view, bytes);
    }
    // The strings were shown (named), not dropped.
    let joined: Vec<u8> = all.iter().flat_map(|(_, b)| b.clone()).collect();
    let text = String::from_utf8(joined).unwrap();
    for tag in [
        "reason",
        "ticket",
        "host",
        "typed",
        "marker",
        "watcher",
        "who",
        "SIGEVIL",
        "ledger-id",
        "evil",
    ] {
        assert!(
            text.contains(&format!("{tag}<ESC>]0;pwned^G"))
                || text.contains(&format!("{tag}<M-]>0;pwned^G")),
            "{tag} is not shown escaped anywhere:\n{text}"
        );
    }
    assert!(text.contains("<U+202E>"), "bidi controls are named");
    assert!(text.contains("GREPME output"), "grep found the output");
}

/// The texts of the status lines replay drew: what it wrote between "clear line" and
/// "restore cursor".
fn status_lines(screen: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = screen;
    while let Some(i) = find(rest, b"\x1b[2K") {
        rest = &rest[i + 4..];
        // A status or help line ends where its attributes are reset.
        let Some(j) = find(rest, b"\x1b[0m") else {
            break;
        };
        out.push(rest[..j].to_vec());
        rest = &rest[j..];
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn replay_status_and_help_lines_are_inert_and_a_huge_size_costs_little() {
    let env = Env::new();
    let file = hostile_store(&env.dir());
    let mut cmd = env.cmd();
    cmd.args(["replay", "--force", "--speed", "100"]).arg(&file);
    let mut p = Pty::spawn(&mut cmd, 250, 40);
    let _kill = KillOnDrop(p.pid());
    p.expect("? help");
    p.send("i");
    p.expect("typed typedbytes<ESC>]0;pwned^G");
    // The help pauses the playback: open it only once the playback is past the marker
    // (at the end), or `[` steps back from before it and never reaches it.
    p.expect("the session ended (signal)");
    p.send("?");
    p.expect("Esc closes");
    p.send("\x1b");
    // Back to the previous marker until the marker's status line is shown: no count of
    // presses is assumed. Everything drawn since the first press counts, so a status line
    // drawn late (after its press's wait ran out) is not missed.
    let marker = "marker by marker-by<ESC>]0;pwned^G";
    let mut seen = false;
    let before = p.output_len();
    for _ in 0..MAX_PRESSES {
        p.send("[");
        let start = std::time::Instant::now();
        while start.elapsed() < PRESS_WAIT && !seen {
            let screen = p.screen();
            // The screen is decoded lossily: start at a character boundary.
            let from = (0..=before.min(screen.len()))
                .rev()
                .find(|&i| screen.is_char_boundary(i))
                .unwrap_or(0);
            seen = screen[from..].contains(marker);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        if seen {
            break;
        }
    }
    assert!(seen, "no marker reached by [ in {MAX_PRESSES} presses");
    let peak = peak_rss_kib(p.pid());
    p.send("q");
    p.wait();
    let screen = p.screen();
    let lines = status_lines(screen.as_bytes());
    assert!(lines.len() > 3, "no status lines in {screen:?}");
    for l in &lines {
        assert_inert("replay's status line", l);
    }
    assert!(
        peak < MAX_RSS_KIB,
        "replay of a 65535x65535 session took {peak} KiB"
    );
}

/// Presses of `[` that reach the marker from the end of the hostile session, at most.
const MAX_PRESSES: usize = 20;
/// How long one press may take to show its status line.
const PRESS_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a process may take to review a session sized 65535×65535: the emulators are
/// clamped to 1000×500 cells (a few MiB each), so 200 MiB is generous; unclamped, one
/// screen would be tens of GiB.
const MAX_RSS_KIB: u64 = 200 * 1024;

/// The peak resident size of a running process (VmHWM), in KiB.
fn peak_rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn export_text_of_a_65535_square_session_is_bounded() {
    let env = Env::new();
    let file = hostile_store(&env.dir());
    let start = Instant::now();
    // /usr/bin/time is not everywhere: the peak is read from /proc while it runs.
    let mut child = env
        .cmd()
        .args(["export", "--format", "text"])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let _kill = KillOnDrop(pid);
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(peak_rss_kib(pid));
        assert!(start.elapsed() < DEADLINE, "export did not finish");
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "export aborted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("GREPME wide"), "{text}");
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(
        widest <= 1000 * 8,
        "a row is no wider than 1000 cells (escaped: {widest} chars)"
    );
    assert!(peak < MAX_RSS_KIB, "export took {peak} KiB");
    // A player sizes its screen from the asciicast header and resize events.
    let cast = env.run(&["export", "--format", "asciicast", file.to_str().unwrap()]);
    let cast = String::from_utf8(cast.stdout).unwrap();
    let header = cast.lines().next().unwrap();
    let h: serde_json::Value = serde_json::from_str(header).unwrap();
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(1000), Some(500))
    );
    assert_inert("the asciicast header", header.as_bytes());
    assert!(cast.contains(r#""r","1000x500"]"#), "{cast}");
}
