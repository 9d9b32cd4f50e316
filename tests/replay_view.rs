//! `breakglass replay` in tmux, as a reviewer sees it: seeking by the clock across long
//! pauses, a terminal of the session's size or smaller, the status line that always shows
//! the position, the help at common widths, Esc, and who typed what.

mod common;

use std::process::Stdio;

use breakglass::live::screen::Player;
use breakglass::log::record::Body;
use common::tmux::Tmux;
use common::*;

/// The session's screen after its whole log, rows trimmed, trailing blank rows dropped.
fn final_screen(log: &std::path::Path) -> Vec<String> {
    let g = breakglass::store::read_genesis(log).unwrap();
    let mut p = Player::new(g.cols, g.rows);
    for line in std::fs::read(log).unwrap().split(|&b| b == b'\n') {
        p.line(line);
    }
    trimmed(p.text().iter().map(String::as_str))
}

fn trimmed<'a>(rows: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = rows.map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// Wait until `pane` shows what `ok` wants; on timeout, fail with that pane's screen.
fn wait_pane(t: &Tmux, pane: &str, what: &str, ok: impl Fn(&str) -> bool) {
    let start = std::time::Instant::now();
    loop {
        let s = t.screen_of(pane);
        if ok(&s) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}:\n{s}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Record a session that runs `script` with no terminal; its log.
fn record(env: &Env, script: &str) -> std::path::PathBuf {
    let out = env.run(&["shell", "-r", "replay view", "--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    env.log()
}

#[test]
fn arrows_seek_by_the_clock_across_a_long_pause_and_times_land_where_asked() {
    let env = Env::new();
    record(
        &env,
        "echo before-1; sleep 8; echo after-2; sleep 4; echo done-3",
    );
    let pane = pane_env(&env);
    let Some(t) = Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    let bg = bin().display().to_string();
    t.new_window_sized("rep", &Tmux::shell_cmd(&pane), 100, 30);
    t.send_to(
        "rep",
        &format!("{bg} replay last --at 0; echo quit-$((2+3))"),
    );
    t.wait_in("rep", "paused 00:00 /");

    // The first output after 8 s of nothing: the arrow moves the clock, 5 s a press.
    t.keys_to("rep", &["Right"]);
    t.wait_in("rep", "paused 00:05 /");
    let s = t.screen_of("rep");
    assert!(
        s.contains("before-1") && !s.contains("after-2"),
        "in the pause: {s}"
    );
    t.keys_to("rep", &["Right"]);
    t.wait_in("rep", "paused 00:10 /");
    let s = t.screen_of("rep");
    assert!(s.contains("after-2") && !s.contains("done-3"), "{s}");
    t.keys_to("rep", &["Left"]);
    t.wait_in("rep", "paused 00:05 /");
    assert!(
        !t.screen_of("rep").contains("after-2"),
        "back into the pause"
    );

    // `g` lands on the time typed, in the pause or not.
    t.keys_to("rep", &["g"]);
    t.send_to("rep", "00:09");
    t.wait_in("rep", "paused 00:09 /");
    assert!(t.screen_of("rep").contains("after-2"));
    t.keys_to("rep", &["g"]);
    t.send_to("rep", "00:07");
    t.wait_in("rep", "paused 00:07 /");
    assert!(!t.screen_of("rep").contains("after-2"));
    t.keys_to("rep", &["q"]);
    t.wait_in("rep", "quit-5");

    // So does --at.
    t.send_to(
        "rep",
        &format!("clear; {bg} replay last --at 00:06; echo quit-$((3+4))"),
    );
    t.wait_in("rep", "paused 00:06 /");
    assert!(!t.screen_of("rep").contains("after-2"));
    t.keys_to("rep", &["q"]);
    t.wait_in("rep", "quit-7");
}

#[test]
fn a_terminal_of_the_session_size_or_smaller_shows_what_fits_and_says_what_is_cut() {
    let env = Env::new();
    let log = record(&env, "seq 1 40");
    let fin = final_screen(&log);
    assert_eq!(fin.first().map(String::as_str), Some("18"), "{fin:?}");
    let pane = pane_env(&env);
    let Some(t) = Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    let bg = bin().display().to_string();

    // Exactly the session's size (80x24): the status line takes the top row's place, the
    // view follows the cursor at the bottom, and seeking never complains.
    t.new_window_sized("same", &Tmux::shell_cmd(&pane), 80, 24);
    t.send_to("same", &format!("{bg} replay last; echo quit-$((2+3))"));
    t.wait_in("same", "view rows 2-24/24");
    t.keys_to("same", &["Space"]);
    t.wait_in("same", "paused");
    t.keys_to("same", &["Left"]);
    wait_pane(&t, "same", "the blank screen of the start", |s| {
        trimmed(s.lines().take(23)).is_empty() && s.contains("paused 00:00")
    });
    t.keys_to("same", &["Right"]);
    wait_pane(&t, "same", "the end screen under the status line", |s| {
        trimmed(s.lines().take(22)) == fin[1..]
    });
    assert!(!t.screen_of("same").contains("smaller"));
    // `s` hides the status line: the whole screen, as the session had it.
    t.keys_to("same", &["s"]);
    wait_pane(&t, "same", "the whole screen", |s| {
        trimmed(s.lines().take(24)) == fin
    });
    t.keys_to("same", &["s"]);
    t.wait_in("same", "view rows 2-24/24");
    t.keys_to("same", &["q"]);
    t.wait_in("same", "quit-5");

    // Smaller (60x15): not refused; the rows around the cursor, and the status line says
    // which rows and columns are on view.
    t.new_window_sized("small", &Tmux::shell_cmd(&pane), 60, 15);
    t.send_to("small", &format!("{bg} replay last; echo quit-$((3+4))"));
    t.wait_in("small", "view rows 11-24/24 cols 1-60/80");
    wait_pane(&t, "small", "the rows around the cursor", |s| {
        trimmed(s.lines().take(13)) == fin[10..]
    });
    t.keys_to("small", &["q"]);
    t.wait_in("small", "quit-7");
}

#[test]
fn position_stays_through_events_help_fits_esc_is_one_key_and_names_match_show() {
    let env = Env::new();
    let pane = pane_env(&env);
    let Some(t) = common::recorded::recorded_bash(&env, "replay keys") else {
        return;
    };
    let bg = bin().display().to_string();
    t.send("echo start-$((0+1))");
    t.wait_in("main", "start-1");
    let id = session_id(&env);
    let out = env.run(&["mark", &id, "disk", "checked"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    wait_record(&env.log(), "marker", |b| matches!(b, Body::Marker { .. }));
    // Two seconds between the marker and the end, so its text stays up during play.
    t.send("sleep 2; echo slept-$((1+1))");
    t.wait_in("main", "slept-2");
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
    let user = breakglass::store::read_genesis(&env.log()).unwrap().user;
    let shown = env
        .cmd()
        .args(["show", &id])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains(&user));

    t.new_window_sized("rep", &Tmux::shell_cmd(&pane), 120, 30);
    t.send_to("rep", &format!("{bg} replay {id}; echo quit-$((2+3))"));
    // While the marker's text shows, so do the position and the speed.
    wait_pane(&t, "rep", "the marker beside the position", |s| {
        s.contains(&format!("marker by {user}: disk checked"))
            && s.contains(" / ")
            && s.contains(" 1x")
    });

    // The help at 120 and 130 columns: every key on screen.
    for cols in ["120", "130"] {
        t.tmux(&["resize-window", "-t", "rep", "-x", cols, "-y", "30"]);
        t.keys_to("rep", &["?"]);
        t.wait_in("rep", "Esc closes");
        let s = t.screen_of("rep");
        for item in breakglass::replay::status::HELP_ITEMS {
            assert!(s.contains(item), "{cols} columns: {item:?} missing:\n{s}");
        }
        t.keys_to("rep", &["Escape"]);
        t.wait_for("the help to close", |t| {
            !t.screen_of("rep").contains("Esc closes")
        });
    }

    // `i`: who typed, by the name `show` gives them, with Enter made visible.
    t.keys_to("rep", &["g"]);
    t.send_to("rep", "59:00");
    t.wait_in("rep", "paused");
    t.keys_to("rep", &["i"]);
    t.wait_in("rep", &format!("{user} typed "));
    let s = t.screen_of("rep");
    assert!(s.contains("^M at"), "{s}");
    assert!(!s.contains("owner typed") && !s.contains("\\r"), "{s}");

    // Esc then q: Esc is a key of its own, q still quits.
    t.keys_to("rep", &["Escape"]);
    t.keys_to("rep", &["q"]);
    t.wait_in("rep", "quit-5");
}
