//! `breakglass shell` end to end: the built binary in a real PTY with a private data dir.

mod common;

use std::time::{Duration, Instant};

use breakglass::log::record::{Body, Data};
use common::*;

#[test]
fn exit_status_and_output_are_recorded_exactly() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "exit test",
        "--",
        "sh",
        "-c",
        "printf 'hello\\n\\303\\251t\\303\\251\\n'; exit 7",
    ]);
    let st = pty.wait();
    assert_eq!(st.code(), Some(7), "{}", pty.screen());
    let log = env.log();
    assert_eq!(output_bytes(&log), "hello\r\nété\r\n".as_bytes());
    let x = end_of(&log).unwrap();
    assert_eq!((x.cause.as_str(), x.exit), ("exit", Some(7)));
    assert!(pty.screen().contains("RECORDING"));
    assert!(pty.screen().contains("head "));
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn large_text_and_random_bytes_are_recorded_exactly() {
    let env = Env::new();
    let text: Vec<u8> = (0..20_000_000u32)
        .map(|i| b"abcdefghij\xc3\xa9 \x1b[1mk\n"[(i % 19) as usize])
        .collect();
    let mut seed = 0x2545F4914F6CDD1Du64;
    let random: Vec<u8> = (0..2_000_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    for (name, data) in [("text", text), ("random", random)] {
        let file = env.tmp.path().join(name);
        std::fs::write(&file, &data).unwrap();
        // Raw mode on the PTY so the bytes arrive untranslated.
        let script = format!("stty raw -echo; cat {}", file.display());
        let mut pty = env.spawn(&["shell", "-r", name, "--", "sh", "-c", &script]);
        assert_eq!(pty.wait().code(), Some(0));
        let log = env.logs().pop().unwrap();
        let got = output_bytes(&log);
        assert_eq!(got.len(), data.len(), "{name}: length");
        assert!(got == data, "{name}: bytes differ");
        assert_verdict(&log, "VERIFIED");
    }
}

#[test]
fn password_typed_at_a_prompt_is_not_stored() {
    let env = Env::new();
    // A prompt with echo off in canonical mode (as getpass does: echo goes off before the
    // prompt is shown, so the prompt on screen says the terminal is ready), then one seen
    // only as text while the PTY is not canonical (as over ssh, where the far side turns
    // echo off). (Prompts split by '' so the banner, which shows the command, does not
    // match them.)
    let script = "stty -echo; printf 'Pass''word: '; read a; stty echo; echo; echo \"got ${#a}\"; \
                  stty -icanon -echo min 1; printf '[sudo] pass''word for alice: '; \
                  b=$(dd bs=1 count=10 2>/dev/null); stty sane; echo \"got ${#b}\"; read c; echo \"c=$c\"";
    let mut pty = env.spawn(&["shell", "-r", "secrets", "--", "sh", "-c", script]);
    pty.expect("Password: ");
    pty.send("hunter2\r");
    pty.expect("got 7");
    pty.expect("password for alice: ");
    pty.send("sw0rdfish\r");
    pty.expect("got 9");
    pty.send("visible\r");
    pty.expect("c=visible");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    let raw = std::fs::read_to_string(&log).unwrap();
    assert!(
        !raw.contains("hunter2") && !raw.contains("sw0rdfish"),
        "secret in the log:\n{raw}"
    );
    assert!(raw.contains("visible"), "ordinary input must be recorded");
    let redacted: Vec<u64> = records(&log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Input {
                data: Data::Redacted(n),
                ..
            } => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(redacted.iter().sum::<u64>(), 16, "{redacted:?}");
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn record_secrets_keeps_them() {
    let env = Env::new();
    let script = "stty -echo; printf 'Pass''word: '; read a; stty echo; echo \"got ${#a}\"";
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "secrets",
        "--record-secrets",
        "--",
        "sh",
        "-c",
        script,
    ]);
    pty.expect("Password: ");
    pty.send("hunter2\r");
    pty.expect("got 7");
    pty.wait();
    assert!(
        std::fs::read_to_string(env.log())
            .unwrap()
            .contains("hunter2")
    );
}

#[test]
fn resize_reaches_the_child_and_the_log() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "resize",
        "--",
        "sh",
        "-c",
        "stty size; read x; stty size",
    ]);
    // The session is the terminal but its last row, the status row.
    pty.expect("29 100");
    pty.resize(132, 43);
    pty.signal(libc::SIGWINCH);
    wait_record(&env.log(), "resize", |b| {
        matches!(
            b,
            Body::Resize {
                cols: 132,
                rows: 42
            }
        )
    });
    pty.send("\r");
    pty.expect("42 132");
    assert_eq!(pty.wait().code(), Some(0));
    assert_verdict(&env.log(), "VERIFIED");
}

#[test]
fn sigkill_mid_output_leaves_an_interrupted_log() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "kill",
        "--",
        "sh",
        "-c",
        "while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz; done",
    ]);
    pty.expect_len(2_000_000);
    pty.signal(libc::SIGKILL);
    pty.wait();
    let log = env.log();
    assert_verdict(&log, "INTERRUPTED");
    let (_, code, _) = verify_file(&log);
    assert_eq!(code, 3);
    assert!(output_bytes(&log).len() > 100_000);
}

#[test]
fn terminal_is_restored_on_exit_sigterm_and_sighup() {
    for sig in [None, Some(libc::SIGTERM), Some(libc::SIGHUP)] {
        let env = Env::new();
        // A hangup ends the session at once without a grace period (else it is held for
        // `breakglass attach`: tests/attach.rs).
        env.write_config("grace = \"0s\"\n");
        let mut pty = env.spawn(&[
            "shell",
            "-r",
            "restore",
            "--",
            "sh",
            "-c",
            // Quoted so the banner, which shows the command, does not match.
            "echo re''ady; sleep 30",
        ]);
        pty.expect("ready");
        assert!(
            !same_termios(&pty.original, &pty.termios_now()),
            "raw mode was not entered"
        );
        match sig {
            Some(s) => pty.signal(s),
            None => {
                // "ready" shows before sh has started sleep, and a Ctrl-C typed then
                // may be taken and dropped by sh: type it once sleep runs in front.
                common::procs::wait_foreground(pty.child.id() as i32, "sleep");
                pty.send("\x03")
            }
        }
        let st = pty.wait();
        assert!(
            same_termios(&pty.original, &pty.termios_now()),
            "terminal not restored after {sig:?}"
        );
        let x = end_of(&env.log()).unwrap();
        let want = match sig {
            Some(libc::SIGTERM) => "killed",
            Some(_) => "hangup",
            None => "signal",
        };
        assert_eq!(x.cause, want, "{sig:?}");
        // The child died of a signal: 128 + N.
        assert!(st.code().unwrap() > 128, "{st:?}");
        assert_verdict(&env.log(), "VERIFIED");
    }
}

#[test]
fn a_background_job_holding_the_pty_does_not_lose_output_or_hang() {
    let env = Env::new();
    let start = Instant::now();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "bg",
        "--",
        "sh",
        "-c",
        "sleep 20 & i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done; exit 3",
    ]);
    assert_eq!(pty.wait().code(), Some(3));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    let out = String::from_utf8(output_bytes(&env.log())).unwrap();
    assert!(
        out.ends_with("line1999\r\n"),
        "{}",
        &out[out.len().saturating_sub(100)..]
    );
}

#[test]
fn ttl_ends_the_session_even_when_sighup_is_ignored() {
    let env = Env::new();
    let start = Instant::now();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "ttl",
        "--ttl",
        "2s",
        "--",
        "sh",
        "-c",
        "trap '' HUP; echo u''p; sleep 60",
    ]);
    pty.expect("up");
    let st = pty.wait();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "{took:?}"
    );
    let x = end_of(&env.log()).unwrap();
    assert_eq!(x.cause, "ttl");
    assert_eq!(x.signal.as_deref(), Some("SIGKILL"));
    assert_eq!(st.code(), Some(128 + 9));
    assert!(pty.screen().contains("time limit"));
    assert_verdict(&env.log(), "VERIFIED");
}

#[test]
fn usage_errors_exit_2_and_leave_no_session() {
    let env = Env::new();
    let out = env.run(&["shell", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reason") && err.contains("-r"), "{err}");
    assert_eq!(
        env.run(&["shell", "-r", "x", "--ttl", "soon", "--", "true"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        env.run(&["shell", "-r", "x", "--ttl", "99h", "--", "true"])
            .status
            .code(),
        Some(2)
    );
    env.write_config("require_ticket = true\nticket_pattern = \"INC-[0-9]+\"\n");
    let out = env.run(&["shell", "-r", "x", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ticket"));
    let out = env.run(&["shell", "-r", "x", "-t", "JIRA-1", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("INC-[0-9]+"));
    assert!(env.logs().is_empty());
    assert_eq!(
        env.run(&["shell", "-r", "x", "-t", "INC-42", "--", "true"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn missing_program_is_127_and_tool_errors_are_125() {
    let env = Env::new();
    let out = env.run(&["shell", "-r", "x", "--", "no-such-program-zz"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-program-zz"));
    assert!(
        env.logs().is_empty(),
        "no log for a session that never started"
    );
    env.write_config("default_ttl = 5\n");
    let out = env.run(&["shell", "-r", "x", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1") && err.contains("default_ttl"),
        "{err}"
    );
    env.write_config("");
    let out = env
        .cmd()
        .args(["shell", "-r", "x", "--", "true"])
        .env("BREAKGLASS_DIR", "/proc/no-such-dir")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
}

#[test]
fn concurrent_sessions_all_verify_with_the_ledger() {
    let env = Env::new();
    let kids: Vec<_> = (0..6)
        .map(|i| {
            env.cmd()
                .args([
                    "shell",
                    "-r",
                    &format!("parallel {i}"),
                    "--",
                    "sh",
                    "-c",
                    "echo hi",
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut k in kids {
        assert_eq!(k.wait().unwrap().code(), Some(0));
    }
    assert_eq!(env.logs().len(), 6);
    let out = env.run(&["verify", "--all"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The independent verifier agrees: the ledger verifies and lists every session...
    let ledger = env.dir().join("ledger.jsonl");
    for log in env.logs() {
        let Some(py) = python::verify(&log, Some(&ledger)) else {
            return;
        };
        py.assert_with_ledger("VERIFIED", "listed");
        let l = py.ledger.unwrap().json;
        assert_eq!(l["records"], 12, "a start and an end line each: {l}");
        assert_eq!(py.status, 0);
    }
    // ...and a session recorded elsewhere is not in it.
    let other = Env::new();
    assert!(
        other
            .run(&["shell", "-r", "elsewhere", "--", "true"])
            .status
            .success()
    );
    let py = python::verify(&other.log(), Some(&ledger)).unwrap();
    py.assert_with_ledger("VERIFIED", "unlisted");
}

/// A mounted tmpfs, unmounted on drop (also when the test fails).
struct Tmpfs(std::path::PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A small tmpfs for a disk-full test; None (skip) when not root outside CI.
fn small_tmpfs(at: &std::path::Path, size: &str) -> Option<Tmpfs> {
    std::fs::create_dir_all(at).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::skip::skip("cannot mount a tmpfs: it needs root, which CI has");
        return None;
    }
    Some(Tmpfs(at.to_path_buf()))
}

#[test]
fn disk_full_ends_the_session_with_a_clear_message() {
    let env = Env::new();
    let mnt = env.tmp.path().join("full");
    let Some(mount) = small_tmpfs(&mnt, "256k") else {
        return;
    };
    let data = mnt.join("data");
    let start = Instant::now();
    let mut pty = Pty::spawn(
        env.cmd().env("BREAKGLASS_DIR", &data).args([
            "shell",
            "-r",
            "fill",
            "--",
            "sh",
            "-c",
            "while :; do echo 0123456789abcdefghijklmnopqrstuvwxyz0123456789; done",
        ]),
        100,
        30,
    );
    let st = pty.wait();
    let screen = pty.screen();
    let logs: Vec<_> = std::fs::read_dir(data.join("sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let copy = env.tmp.path().join("copy.jsonl");
    std::fs::copy(&logs[0], &copy).unwrap();
    drop(mount);
    assert_eq!(st.code(), Some(125), "{screen}");
    assert!(start.elapsed() < Duration::from_secs(15));
    assert!(
        screen.contains("could not be written") && screen.contains("No space left"),
        "{screen}"
    );
    assert!(
        same_termios(&pty.original, &pty.termios_now()),
        "terminal not restored"
    );
    assert!(!screen.contains("no recording"), "{screen}");
    let (v, _, _) = verify_file(&copy);
    assert!(v == "INTERRUPTED" || v == "VERIFIED", "{v}");
    // What the owner is told about the record matches what verify finds.
    if v == "VERIFIED" {
        assert_eq!(end_of(&copy).unwrap().cause, "error");
        assert!(
            screen.contains("the record up to that point is complete: ")
                && screen.contains("ends with an end record"),
            "{screen}"
        );
    } else {
        assert!(
            screen.contains("end record could not be written") && screen.contains("INTERRUPTED"),
            "{screen}"
        );
    }
}

#[test]
fn reason_and_ticket_are_asked_for_on_a_terminal() {
    let env = Env::new();
    env.write_config("require_ticket = true\n");
    let mut pty = env.spawn(&["shell", "--", "sh", "-c", "echo in''side"]);
    pty.expect("Reason for this emergency access");
    pty.send("disk full on db1\r");
    pty.expect("Ticket or incident id");
    pty.send("INC-7\r");
    pty.expect("inside");
    assert_eq!(pty.wait().code(), Some(0));
    let g = breakglass::store::read_genesis(&env.log()).unwrap();
    assert_eq!(g.reason, "disk full on db1");
    assert_eq!(g.ticket.as_deref(), Some("INC-7"));
}
