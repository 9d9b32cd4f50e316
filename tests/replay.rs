//! `breakglass replay` in tmux: the end screen, an exact seek back to a marker in a
//! full-screen program, pause/step/search, and the terminal restored after `q`.

mod common;

use breakglass::live::screen::Player;
use breakglass::log::record::Body;
use common::tmux::Tmux;
use common::*;

/// The visible rows of a pane, trailing spaces and blank bottom rows dropped.
fn rows_of(screen: &str, n: usize) -> Vec<String> {
    let mut v: Vec<String> = screen
        .lines()
        .take(n)
        .map(|l| l.trim_end().to_string())
        .collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// Whether the status line (row 30 of the replay pane) shows who typed last (`i`):
/// `root typed ls^M at 00:03`, or `nothing typed yet` (an event reads `Enter typed by
/// root`, with no time).
fn shows_who(screen: &str) -> bool {
    screen.lines().nth(29).is_some_and(|l| {
        l.contains("nothing typed yet") || (l.contains(" typed ") && l.contains(" at "))
    })
}

/// Press `keys` in the replay pane, then `i`, and wait until the status line shows `i`
/// was handled: keys are handled in order, so all of `keys` were too.
fn press(t: &Tmux, keys: &[&str]) {
    let before = shows_who(&t.screen_of("rep"));
    let mut all = keys.to_vec();
    all.push("i");
    t.keys_to("rep", &all);
    t.wait_for(&format!("{keys:?} to be handled"), |t| {
        shows_who(&t.screen_of("rep")) != before
    });
}

/// The session's screen after its whole log, as the emulator saw it.
fn final_screen(log: &std::path::Path) -> Vec<String> {
    let g = breakglass::store::read_genesis(log).unwrap();
    let mut p = Player::new(g.cols, g.rows);
    for line in std::fs::read(log).unwrap().split(|&b| b == b'\n') {
        p.line(line);
    }
    let mut v: Vec<String> = p
        .text()
        .into_iter()
        .map(|l| l.trim_end().to_string())
        .collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

#[test]
fn replay_end_screen_seek_to_marker_search_and_quit() {
    let env = Env::new();
    let pane = pane_env(&env);
    let Some(t) = Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    let bg = bin().display().to_string();
    t.send(&format!(
        "{bg} shell -r 'replay test' -- bash --norc --noprofile"
    ));
    t.wait_for("the banner", |t| t.screen().contains("RECORDING session"));
    t.send("echo one-$((1+1))");
    t.wait_in("main", "one-2");
    t.send("seq 1 500 | less");
    // Drawn whole: its prompt on the session's last row (the pane's last is the status
    // row) comes after the lines.
    t.wait_for("less to draw its screen", |t| {
        let rows = rows_of(&t.screen_of("main"), 30);
        rows.len() == 30 && rows[27] == "28" && rows[28] == ":"
    });
    let id = session_id(&env);
    let at_marker = rows_of(&t.screen_of("main"), 29);
    let out = env
        .cmd()
        .args(["mark", &id, "reading", "the", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    wait_record(&env.log(), "marker", |b| matches!(b, Body::Marker { .. }));
    t.keys_to("main", &["q"]);
    t.send("echo final-$((3*3))");
    t.wait_in("main", "final-9");
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
    let log = env.log();

    // Replay it whole, fast: the last screen is the session's last screen.
    let cmd = Tmux::shell_cmd(&pane);
    t.new_window_sized("rep", &cmd, 100, 30);
    let stty = env.tmp.path().join("stty");
    t.send_to(
        "rep",
        &format!(
            // The settings after are written whole, then renamed: the file appears complete.
            "stty -a > {0}.before; clear; {bg} replay {id} --speed 16; stty -a > {0}.part; mv {0}.part {0}.after",
            stty.display()
        ),
    );
    t.wait_in("rep", "the session ended");
    assert_eq!(
        rows_of(&t.screen_of("rep"), 29),
        final_screen(&log),
        "end screen"
    );

    // Seek back to the marker, inside `less` on the alternate screen: exactly that screen.
    t.keys_to("rep", &["Space"]);
    t.wait_in("rep", "paused");
    let marks = records(&log)
        .iter()
        .filter(|r| match &r.body {
            Body::Input { data, .. } => data.bytes().is_some_and(|b| b.contains(&b'\r')),
            Body::Marker { .. } | Body::Participant(_) => true,
            _ => false,
        })
        .count();
    let after_marker = records(&log).iter().rev().take_while(|r| !matches!(r.body, Body::Marker { .. })).filter(|r| matches!(&r.body, Body::Input { data, .. } if data.bytes().is_some_and(|b| b.contains(&b'\r')))).count();
    assert!(marks > after_marker);
    // The presses before the last land on Enters ("Enter typed by"); only the last lands
    // on the marker, so its message shows that every press was handled.
    t.keys_to("rep", &vec!["["; after_marker + 1]);
    t.wait_in("rep", "marker by");
    assert_eq!(
        rows_of(&t.screen_of("rep"), 29),
        at_marker,
        "the screen at the marker"
    );

    // Step back a frame at a time until the screen changes (some frames only move the
    // cursor), then forward again to the same screen.
    let mut back = 0;
    while rows_of(&t.screen_of("rep"), 29) == at_marker {
        back += 1;
        assert!(back <= 10, "ten steps back did not change the screen");
        press(&t, &[","]);
    }
    press(&t, &vec!["."; back]);
    if shows_who(&t.screen_of("rep")) {
        press(&t, &[]);
    }
    assert_eq!(
        rows_of(&t.screen_of("rep"), 29),
        at_marker,
        "stepping forward again"
    );

    // Search: jumps to the moment `final-9` was printed.
    t.keys_to("rep", &["/"]);
    t.send_to("rep", "final-[0-9]");
    t.wait_in("rep", "match 1 of");
    assert!(t.screen_of("rep").contains("final-9"));

    t.keys_to("rep", &["q"]);
    t.wait_for("replay to quit", |_| stty.with_extension("after").exists());
    assert_eq!(
        std::fs::read_to_string(stty.with_extension("before")).unwrap(),
        std::fs::read_to_string(stty.with_extension("after")).unwrap(),
        "terminal settings after q"
    );
    t.send_to("rep", "echo shell-$((4+4))");
    t.wait_in("rep", "shell-8");
}

#[test]
fn replay_to_a_pipe_writes_the_raw_output_and_tampered_is_refused() {
    let env = Env::new();
    let out = env
        .cmd()
        .args([
            "shell",
            "-r",
            "pipe",
            "--",
            "sh",
            "-c",
            "printf 'a\\033[1mb\\n'",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = env.run(&["replay", "last"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, b"a\x1b[1mb\r\n");
    let log = env.log();
    let text = std::fs::read_to_string(&log)
        .unwrap()
        .replace("a\\u001b[1mb", "X\\u001b[1mb");
    std::fs::write(&log, text).unwrap();
    let out = env.run(&["replay", "last"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TAMPERED"));
    let out = env.run(&["replay", "last", "--force"]);
    assert_eq!(out.status.code(), Some(0));
}
