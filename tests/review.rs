//! `export`, `show` and `grep` on sessions recorded by the built binary in a real PTY.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use breakglass::escapes::strip_escapes;
use breakglass::log::record::{Body, Data, Genesis};
use breakglass::time::offset;
use common::*;

/// The prompt of the recorded shells. Typing waits for it: before it, the test's terminal
/// may not be in raw mode yet, and would turn the Enter typed into a LF.
const PROMPT: &str = "sh-ready$ ";

/// An interactive `sh` recorded by breakglass with `args`, at its first prompt.
fn spawn_sh(env: &Env, args: &[&str]) -> Pty {
    let mut cmd = env.cmd();
    cmd.env("PS1", PROMPT)
        .args(["shell"])
        .args(args)
        .args(["--", "sh"]);
    let pty = Pty::spawn(&mut cmd, 100, 30);
    pty.expect(PROMPT);
    pty
}

/// Type `steps` into an interactive `sh` recorded by breakglass, each a line to type and
/// the output to wait for, then `exit`. Returns the session's log.
fn interactive(env: &Env, reason: &str, steps: &[(&str, &str)]) -> PathBuf {
    let before = env.logs().len();
    let mut pty = spawn_sh(env, &["-r", reason, "-t", "INC-7"]);
    for (line, want) in steps {
        pty.send(line);
        pty.expect(want);
    }
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    let logs = env.logs();
    assert_eq!(logs.len(), before + 1);
    logs[before].clone()
}

fn id_of(log: &Path) -> String {
    log.file_stem().unwrap().to_string_lossy().into_owned()
}

fn genesis(log: &Path) -> Genesis {
    match &records(log)[0].body {
        Body::Genesis(g) => (**g).clone(),
        other => panic!("line 0 is {other:?}"),
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run and require exit status `code`.
fn run_ok(env: &Env, args: &[&str], code: i32) -> Output {
    let out = env.run(args);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    out
}

/// Text without escape sequences and CRs, for comparing what two programs printed.
fn plain(b: &[u8]) -> String {
    String::from_utf8_lossy(&strip_escapes(b)).into_owned()
}

/// The time of the Enter that ended the first typed line containing `needle`.
fn typed_at(log: &Path, needle: &str) -> u64 {
    let mut typed = String::new();
    for r in records(log) {
        if let Body::Input {
            data: Data::Text(s),
            ..
        } = &r.body
        {
            typed.push_str(s);
            if typed.contains(needle) && s.contains('\r') {
                return r.t;
            }
        }
    }
    panic!("{needle:?} was not typed");
}

/// `asciinema cat FILE`, given a terminal of its own (it opens /dev/tty) and its stdout
/// on a pipe; None when asciinema is not installed.
fn asciinema_cat(env: &Env, file: &Path) -> Option<Output> {
    let pty = nix::pty::openpty(None, None).unwrap();
    let mut cmd = Command::new("asciinema");
    cmd.arg("cat")
        .arg(file)
        .env("HOME", env.tmp.path())
        .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY as _, 0);
            Ok(())
        });
    }
    match cmd.output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run asciinema: {e}"),
    }
}

#[test]
fn asciicast_is_v2_with_every_event_and_asciinema_plays_the_same_output() {
    let env = Env::new();
    let mut pty = spawn_sh(&env, &["-r", "cast test"]);
    pty.send("echo hel''lo-one\r");
    pty.expect("hello-one");
    let id = session_id(&env);
    pty.resize(132, 43);
    pty.signal(libc::SIGWINCH);
    wait_record(&env.log(), "resize", |b| {
        matches!(b, Body::Resize { cols: 132, .. })
    });
    run_ok(&env, &["mark", &id, "check point"], 0);
    wait_record(&env.log(), "marker", |b| matches!(b, Body::Marker { .. }));
    pty.send("stty size; printf 'caf\\303\\251 \\033[1mbold\\033[0m\\n'\r");
    pty.expect("café");
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    let g = genesis(&log);

    let cast = env.tmp.path().join("s.cast");
    let out = run_ok(
        &env,
        &[
            "export",
            &id,
            "--format",
            "asciicast",
            "-o",
            cast.to_str().unwrap(),
        ],
        0,
    );
    assert!(
        stdout(&out).is_empty() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&cast).unwrap();
    let mut lines = text.lines().map(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l:?}: {e}"))
    });
    let header = lines.next().unwrap();
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        // The session's size: the terminal's but its status row.
        (Some(100), Some(29))
    );
    let started: jiff::Timestamp = g.started.parse().unwrap();
    assert_eq!(header["timestamp"].as_i64(), Some(started.as_second()));
    assert_eq!(header["title"], format!("{}: cast test", g.host));
    assert_eq!(header["env"]["TERM"], "xterm-256color");
    let mut last = 0.0;
    let mut kinds = std::collections::BTreeMap::<String, Vec<String>>::new();
    for ev in lines {
        let ev = ev.as_array().unwrap().clone();
        assert_eq!(ev.len(), 3, "{ev:?}");
        let t = ev[0].as_f64().unwrap();
        assert!(t >= last, "time goes back: {ev:?}");
        last = t;
        kinds
            .entry(ev[1].as_str().unwrap().into())
            .or_default()
            .push(ev[2].as_str().unwrap().into());
    }
    assert_eq!(kinds.keys().collect::<Vec<_>>(), ["i", "m", "o", "r"]);
    assert_eq!(kinds["r"], ["132x42"]);
    assert_eq!(
        kinds["m"],
        ["check point", breakglass::review::asciicast::END_MARKER]
    );
    assert!(
        kinds["i"].concat().contains("echo hel''lo-one\r"),
        "{:?}",
        kinds["i"]
    );
    let output = output_bytes(&log);
    let restore = breakglass::review::asciicast::RESTORE;
    assert_eq!(
        kinds["o"].concat().as_bytes(),
        [output.as_slice(), restore.as_bytes()].concat(),
        "the output, then the terminal restored"
    );

    match asciinema_cat(&env, &cast) {
        Some(out) => {
            assert_eq!(out.status.code(), Some(0), "asciinema: {}", stderr(&out));
            assert!(plain(&out.stdout).contains("café bold"), "{}", stdout(&out));
            let played = [output.as_slice(), restore.as_bytes()].concat();
            assert_eq!(plain(&out.stdout), plain(&played));
        }
        None => common::skip::skip("asciinema cat: asciinema is not installed"),
    }
}

#[test]
fn text_transcript_holds_every_command_and_its_output() {
    let env = Env::new();
    let log = interactive(
        &env,
        "transcript",
        &[
            ("echo hel''lo-one\r", "hello-one"),
            ("seq 1 150\r", "149\r\n150"),
            ("printf '10%%\\r50%%\\r100%%\\n'; echo do''ne\r", "done"),
        ],
    );
    let out = run_ok(&env, &["export", "last", "-f", "text"], 0);
    let text = stdout(&out);
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    for typed in ["echo hel''lo-one", "seq 1 150", "echo do''ne", "exit"] {
        assert!(
            lines.iter().any(|l| l.ends_with(typed)),
            "{typed:?} missing:\n{text}"
        );
    }
    assert!(
        lines.contains(&"hello-one") && lines.contains(&"done"),
        "{text}"
    );
    // 150 lines of output on a 30-row screen: every one kept, in order.
    let at = lines.iter().position(|l| *l == "1").expect("seq output");
    let want: Vec<String> = (1..=150).map(|i| i.to_string()).collect();
    assert_eq!(lines[at..at + 150], want);
    // The progress line reads as it was finally shown.
    assert!(lines.contains(&"100%"), "{text}");
    assert!(!lines.iter().any(|l| l.starts_with("50%")), "{text}");
    assert!(!text.ends_with("\n\n"), "trailing blank lines: {text:?}");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn keys_and_json_show_masked_input_only_by_its_length() {
    let env = Env::new();
    // Echo off before the prompt, as getpass does: the prompt on screen means it is ready.
    let script = "stty -echo; printf 'Pass''word: '; read a; stty echo; echo; echo \"got ${#a}\"; \
                  read b; echo \"b=$b\"; printf 'x\\377y\\n'";
    let mut pty = env.spawn(&["shell", "-r", "keys", "--", "sh", "-c", script]);
    pty.expect("Password: ");
    pty.send("hunter2\r");
    pty.expect("got 7");
    pty.send("vsi\x7f\x7fisible\x1b[D\t\r");
    pty.expect("b=visible");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    let user = genesis(&log).user;

    let keys = stdout(&run_ok(&env, &["export", "last", "--format", "keys"], 0));
    let lines: Vec<&str> = keys.lines().collect();
    assert_eq!(lines.len(), 2, "{keys}");
    let t = typed_at(&log, "isible");
    assert_eq!(
        lines[1],
        format!(
            "{}  {user}  visible<Left><TAB>",
            breakglass::time::offset_ms(t)
        )
    );
    assert!(
        lines[0].ends_with(&format!("  {user}  [redacted 7 bytes]")),
        "{keys}"
    );
    assert!(!keys.contains("hunter2"));

    let json = stdout(&run_ok(&env, &["export", "last", "--format", "json"], 0));
    let recs: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), records(&log).len());
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["seq"], i as u64);
        assert!(
            r["t"].is_u64() && r["k"].is_string() && r.get("prev").is_none(),
            "{r}"
        );
    }
    assert_eq!(recs[0]["k"], "g");
    assert_eq!(recs[0]["reason"], "keys");
    assert!(
        recs.iter().any(|r| r["k"] == "i" && r["redacted"] == 7),
        "{json}"
    );
    assert!(
        recs.iter()
            .any(|r| r["k"] == "o" && r["base64"].is_string()),
        "{json}"
    );
    assert!(
        recs.iter().any(|r| r["k"] == "x" && r["exit"] == 0),
        "{json}"
    );

    // Bytes that are not UTF-8: replaced in the asciicast, and said so.
    let out = run_ok(&env, &["export", "last", "--format", "asciicast"], 0);
    assert!(stdout(&out).contains("x\u{fffd}y"));
    assert!(stderr(&out).contains("replaced 1 byte"), "{}", stderr(&out));

    // Masked input is never found by grep, not even by its placeholder.
    for pattern in ["hunter2", "redacted", "7 bytes"] {
        let out = run_ok(&env, &["grep", "--input", pattern], 1);
        assert!(stdout(&out).is_empty(), "{pattern}: {}", stdout(&out));
    }
}

#[test]
fn grep_names_the_session_time_and_person() {
    let env = Env::new();
    interactive(&env, "first", &[("echo al''pha\r", "alpha")]);
    let target = interactive(
        &env,
        "second",
        &[
            ("echo be''ta\r", "beta"),
            ("echo nee\x7f\x7f\x7fneedle-''42\r", "needle-42"),
        ],
    );
    interactive(&env, "third", &[("echo gam''ma\r", "gamma")]);
    let id = id_of(&target);
    let user = genesis(&target).user;
    let at = offset(typed_at(&target, "needle"));

    let out = run_ok(&env, &["grep", "--input", "needle-"], 0);
    assert_eq!(
        stdout(&out),
        format!("{id}  {at}  {user}  echo needle-''42\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(&format!("breakglass replay {id} --at {}", &at[1..])),
        "{}",
        stderr(&out)
    );
    // Output is searched too: only the target session printed it.
    let out = run_ok(&env, &["grep", "--output", "^needle-42$"], 0);
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with(&format!("{id}  +"))
            && stdout(&out).contains("  output  needle-42")
    );
    // Both, as JSON.
    let out = run_ok(&env, &["grep", "needle-..", "--json"], 0);
    let hits: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(hits.iter().all(|h| h["session"] == id.as_str()), "{hits:?}");
    let input: Vec<_> = hits.iter().filter(|h| h["source"] == "input").collect();
    assert_eq!(input.len(), 1);
    assert_eq!(input[0]["by"], user.as_str());
    assert_eq!(input[0]["at"], at.as_str());
    assert!(
        hits.iter()
            .any(|h| h["source"] == "output" && h["line"] == "needle-42")
    );

    // Filters, named sessions and exit statuses.
    run_ok(&env, &["grep", "needle", "--since", "1h"], 0);
    run_ok(
        &env,
        &["grep", "needle", "--since", "2000-01-01T00:00:00Z"],
        0,
    );
    run_ok(
        &env,
        &["grep", "needle", "--since", "2999-01-01T00:00:00Z"],
        1,
    );
    run_ok(&env, &["grep", "needle", "--user", "no-such-user"], 1);
    run_ok(
        &env,
        &[
            "grep",
            "needle",
            "--user",
            &user,
            "--host",
            &genesis(&target).host,
        ],
        0,
    );
    run_ok(&env, &["grep", "needle", "last"], 1);
    run_ok(&env, &["grep", "needle", &id[..8]], 0);
    run_ok(&env, &["grep", "-i", "NEEDLE-42", &id], 0);
    run_ok(&env, &["grep", "("], 2);
    run_ok(&env, &["grep", "needle", "--since", "whenever"], 2);
    run_ok(&env, &["grep", "needle", "zzzz"], 2);
}

#[test]
fn show_prints_the_timeline_with_the_verdict_and_a_tampered_log_is_flagged() {
    let env = Env::new();
    let mut pty = spawn_sh(&env, &["-r", "db lag | INC", "-t", "INC-9"]);
    pty.send("echo fir''st\r");
    pty.expect("first");
    let id = session_id(&env);
    let (watcher, _) = live_client(&env, &id, "watch");
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    run_ok(&env, &["mark", &id, "replication caught up"], 0);
    wait_record(&env.log(), "marker", |b| matches!(b, Body::Marker { .. }));
    drop(watcher);
    wait_record(
        &env.log(),
        "leave",
        |b| matches!(b, Body::Participant(p) if p.event == "leave"),
    );
    pty.send("echo sec''ond\r");
    pty.expect("second");
    pty.send("exit 3\r");
    assert_eq!(pty.wait().code(), Some(3));
    let log = env.log();
    let g = genesis(&log);
    let (_, _, verdict) = verify_file(&log);

    let out = run_ok(&env, &["show", &id[..6]], 0);
    let md = stdout(&out);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    for want in [
        format!("# Session {id}"),
        format!("| Who | {} (uid {}) |", g.user, g.uid),
        "| Reason | db lag \\| INC |".to_string(),
        "| Ticket | INC-9 |".to_string(),
        format!("| Start | {} |", g.started),
        "| Ended by | exit status 3 |".to_string(),
        "| Verdict | **VERIFIED**".to_string(),
        format!("| Head | `{}` |", verdict["head"].as_str().unwrap()),
    ] {
        assert!(md.contains(&want), "{want:?} missing:\n{md}");
    }
    let events: Vec<&str> = md.lines().filter(|l| l.starts_with("- `+")).collect();
    let find = |what: &str| {
        events
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what:?} missing:\n{md}"))
    };
    let order = [
        find("session started by"),
        find(&format!("{} typed `echo fir''st`", g.user)),
        find("joined ("),
        find("marker by"),
        find(" left"),
        find(&format!("{} typed `echo sec''ond`", g.user)),
        find("session ended: exit status 3"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{md}");
    assert!(
        events[order[3]].ends_with("`replication caught up`"),
        "{md}"
    );
    // The export is the same document, and a second export to the same file is refused.
    let file = env.tmp.path().join("timeline.md");
    let f = file.to_str().unwrap();
    run_ok(&env, &["export", &id, "-f", "timeline", "-o", f], 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), md);
    let out = run_ok(&env, &["export", &id, "-f", "json", "-o", f], 2);
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), md);
    run_ok(&env, &["export", &id, "-f", "json", "-o", f, "--force"], 0);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("{\"seq\":0,")
    );

    // A rewritten line: still shown and exported, but never silently.
    let copy = env.tmp.path().join("copy.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&copy, text.replacen("fir''st", "FIR''ST", 1)).unwrap();
    let out = run_ok(&env, &["show", copy.to_str().unwrap()], 0);
    assert!(
        stdout(&out).contains("| Verdict | **TAMPERED**"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("typed `echo FIR''ST`"));
    for format in ["asciicast", "text", "keys", "json"] {
        let out = run_ok(&env, &["export", copy.to_str().unwrap(), "-f", format], 0);
        assert!(
            stderr(&out).contains("TAMPERED"),
            "{format}: {}",
            stderr(&out)
        );
    }
    let junk = env.tmp.path().join("junk.jsonl");
    std::fs::write(&junk, "not a log\n").unwrap();
    let out = run_ok(&env, &["export", junk.to_str().unwrap(), "-f", "keys"], 0);
    assert!(stderr(&out).contains("UNVERIFIABLE"), "{}", stderr(&out));
}

#[test]
fn a_live_session_exports_what_it_holds_so_far() {
    let env = Env::new();
    let mut pty = spawn_sh(&env, &["-r", "live"]);
    pty.send("echo so''far\r");
    pty.expect("sofar");
    let start = Instant::now();
    let out = run_ok(&env, &["export", "last", "-f", "keys"], 0);
    assert!(stdout(&out).contains("echo so''far"), "{}", stdout(&out));
    assert!(stderr(&out).contains("LIVE"), "{}", stderr(&out));
    assert!(start.elapsed() < DEADLINE);
    pty.send("exit\r");
    pty.wait();
}
