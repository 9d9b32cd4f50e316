//! Time limits as given and as told (the shortest allowed, recorded exactly, notices
//! rounded), and `ls` fitting the terminal and saying how each session ended.

mod common;

use common::verdicts::*;
use common::*;
use unicode_width::UnicodeWidthStr;

#[test]
fn a_time_limit_below_the_minimum_or_between_seconds_is_refused() {
    let env = Env::new();
    for ttl in ["1ns", "1ms", "500ms", "0s", "1500ms"] {
        let out = env.run(&["shell", "-r", "x", "--ttl", ttl, "--", "true"]);
        assert_eq!(out.status.code(), Some(2), "--ttl {ttl}: {}", err(&out));
        assert!(err(&out).contains("--ttl"), "{}", err(&out));
        assert!(env.logs().is_empty(), "--ttl {ttl} left a session");
    }
    let out = env.run(&["shell", "-r", "x", "--ttl", "90s", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let g = records(&env.log()).remove(0);
    let breakglass::log::record::Body::Genesis(g) = g.body else {
        panic!("no genesis")
    };
    assert_eq!(g.ttl_s, Some(90));
}

#[test]
fn the_one_minute_notice_says_one_minute() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell", "-r", "x", "--ttl", "61s", "--", "sh", "-c", "sleep 3",
    ]);
    assert_eq!(pty.wait().code(), Some(0));
    let screen = pty.screen();
    assert!(
        screen.contains("time limit 1m1s: this session ends at ") && screen.contains("(in 1m)"),
        "{screen}"
    );
}

#[test]
fn ls_fits_the_terminal_and_says_how_each_session_ended() {
    let env = Env::new();
    let long = "replication lag on the primary after the failover of 数据库复制延迟 at night";
    assert_eq!(record_one(&env, long, "exit 3"), 3);
    let out = env.run(&[
        "shell",
        "-r",
        "cut by time",
        "--ttl",
        "1s",
        "--",
        "sleep",
        "30",
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", err(&out));
    for cols in [80u16, 100] {
        let mut pty = Pty::spawn(env.cmd().arg("ls"), cols, 24);
        assert_eq!(pty.wait().code(), Some(0));
        let screen = pty.screen();
        let lines: Vec<&str> = screen.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3, "{screen}");
        for l in &lines {
            assert!(
                l.trim_end_matches('\r').width() <= cols as usize,
                "{cols}: {l:?}"
            );
        }
        assert!(
            lines[2].contains('…') && lines[2].contains("exit 3"),
            "{screen}"
        );
        assert!(lines[1].contains("ttl ("), "{screen}");
    }
    // Not a terminal: nothing cut but the reason.
    let out = env.run(&["ls"]);
    assert!(text(&out).contains("ttl ("), "{}", text(&out));
}
