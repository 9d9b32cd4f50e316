//! Regression tests for edge cases found in review: piped input, stray signals, oversized
//! fields, broken pipes, odd config and programs that cannot start.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn piped_input_without_a_final_newline_still_ends() {
    let env = Env::new();
    let mut child = env
        .cmd()
        .args(["shell", "-r", "pipe", "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"abc").unwrap();
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output_bytes(&env.log())).contains("abc"));
}

#[test]
fn stray_signals_are_ignored_and_the_terminal_stays_in_order() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "signals",
        "--",
        "sh",
        "-c",
        "echo re''ady; read x; echo got:$x",
    ]);
    pty.expect("ready");
    let stray = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGALRM];
    for sig in stray {
        pty.signal(sig);
    }
    procs::wait_signals_delivered(pty.pid(), &stray);
    pty.send("still-here\r");
    pty.expect("got:still-here");
    assert_eq!(pty.wait().code(), Some(0));
    assert!(same_termios(&pty.original, &pty.termios_now()));
    assert_verdict(&env.log(), "VERIFIED");
}

#[test]
fn oversized_fields_are_refused_before_anything_starts() {
    let env = Env::new();
    let reason = "x".repeat(5000);
    let out = env.run(&["shell", "-r", &reason, "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too long"));
    let arg = "y".repeat(70_000);
    assert_eq!(
        env.run(&["shell", "-r", "x", "--", "echo", &arg])
            .status
            .code(),
        Some(2)
    );
    assert!(env.logs().is_empty());
}

#[test]
fn listing_into_a_closed_pipe_ends_quietly() {
    let env = Env::new();
    for i in 0..3 {
        assert_eq!(
            env.run(&["shell", "-r", &format!("s{i}"), "--", "true"])
                .status
                .code(),
            Some(0)
        );
    }
    // A pipe whose reader is gone before `ls` starts, so its first write meets it closed.
    for args in [&["ls"][..], &["ls", "--json"], &["verify", "--all"]] {
        let (reader, writer) = nix::unistd::pipe().unwrap();
        drop(reader);
        let out = env
            .cmd()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        // As other Unix tools: SIGPIPE ends it, and it says nothing.
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            Some(libc::SIGPIPE),
            "{args:?}: {:?}",
            out.status
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn config_errors_are_reported_not_panics() {
    let env = Env::new();
    env.write_config("ticket_pattern = \"(?x) INC-[0-9]+ # the incident\"\n");
    let out = env.run(&["shell", "-r", "x", "-t", "INC-1", "--", "true"]);
    assert_eq!(
        out.status.code(),
        Some(125),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("ticket_pattern"));
    // The review commands document 0 to 4: a bad config is a usage error there.
    assert_eq!(env.run(&["verify", "--all"]).status.code(), Some(2));
}

#[test]
fn a_script_whose_interpreter_is_missing_is_127() {
    let env = Env::new();
    let script = env.tmp.path().join("broken.sh");
    std::fs::write(&script, "#!/nonexistent/interpreter\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = env.run(&["shell", "-r", "x", "--", script.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(127),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The attempt is on record, and it verifies.
    let (v, _, _) = verify_file(&env.log());
    assert_eq!(v, "VERIFIED");
    assert_eq!(end_of(&env.log()).unwrap().cause, "error");
}

#[test]
fn the_time_limit_ends_a_session_whose_terminal_has_stalled() {
    let env = Env::new();
    // Stdout is a pipe nobody reads: the terminal stops taking output.
    let mut child = env
        .cmd()
        .args([
            "shell", "-r", "stall", "--ttl", "2s", "--", "sh", "-c", "yes",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the time limit did not end the session"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(128 + libc::SIGHUP));
    assert_eq!(end_of(&env.log()).unwrap().cause, "ttl");
}

#[test]
fn the_last_output_reaches_the_terminal_before_the_summary() {
    let env = Env::new();
    for _ in 0..5 {
        let mut pty = env.spawn(&["shell", "-r", "tail", "--", "sh", "-c", "seq 1 30000"]);
        assert_eq!(pty.wait().code(), Some(0));
        let screen = pty.screen();
        let last = screen.find("30000\r\n").unwrap_or_else(|| {
            panic!(
                "the last line never reached the terminal: {}",
                &screen[screen.len().saturating_sub(300)..]
            )
        });
        let summary = screen.find("ended: exit 0").expect("a summary");
        assert!(last < summary, "the summary came before the last output");
    }
}

#[test]
fn ctrl_c_gets_through_a_flood_of_output() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "flood",
        "--",
        "sh",
        "-c",
        "yes; echo unreachable",
    ]);
    pty.expect_len(1_000_000);
    let start = Instant::now();
    pty.send("\x03");
    let status = pty.wait();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "Ctrl-C took {:?}",
        start.elapsed()
    );
    // sh was interrupted with `yes`: 128 + SIGINT, and the key is in the log as typed.
    assert_eq!(status.code(), Some(130));
    let log = env.log();
    assert_verdict(&log, "VERIFIED");
    let typed = records(&log).into_iter().any(|r| {
        matches!(&r.body, breakglass::log::record::Body::Input { data, .. }
            if matches!(data, breakglass::log::record::Data::Text(t) if t == "\u{3}"))
    });
    assert!(typed, "no Ctrl-C input record");
}

#[test]
fn a_failed_test_leaves_no_session_running() {
    let env = Env::new();
    // A command that shrugs off the hangup and the TERM a session ends with.
    let pty = env.spawn(&[
        "shell",
        "-r",
        "left behind",
        "--",
        "sh",
        "-c",
        "trap '' HUP TERM; echo re''ady; sleep 60; sleep 60",
    ]);
    pty.expect("ready");
    // Once sh has started its sleep: breakglass, sh and sleep.
    let start = std::time::Instant::now();
    let mut all = vec![pty.pid()];
    while all.len() < 3 {
        all = vec![pty.pid()];
        all.extend(procs::descendants(pty.pid()).iter().map(|(p, _)| p));
        assert!(start.elapsed() < DEADLINE, "no sleep under {all:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The test fails while its session runs: unwinding drops the Pty.
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _session = pty;
        panic!("a test failing mid-session");
    }));
    assert!(failed.is_err());
    let left: Vec<i32> = all.into_iter().filter(|&p| procs::running(p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
}
