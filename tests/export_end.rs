//! `breakglass export` keeps what a clear erased in the text transcript, and its asciicast
//! leaves the player's terminal as it found it when the session ended inside a
//! full-screen program (played with asciinema in tmux, the pane's modes read back).

mod common;

use common::tmux::Tmux;
use common::*;

/// Record `sh -c script` with no terminal and `TERM` as given.
fn record(env: &Env, term: &str, script: &str) {
    let out = env
        .cmd()
        .env("TERM", term)
        .args(["shell", "-r", "export end", "--", "sh", "-c", script])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn the_text_transcript_keeps_what_a_clear_from_the_top_erased() {
    for term in ["screen", "tmux-256color", "xterm-256color"] {
        let env = Env::new();
        record(&env, term, "echo one-1; echo two-2; clear; echo three-3");
        let out = env.run(&["export", "last", "--format", "text"]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, ["one-1", "two-2", "three-3"], "TERM={term}");
    }
}

#[test]
fn an_asciicast_played_to_the_end_leaves_the_terminal_restored() {
    let env = Env::new();
    // A full-screen program that never cleans up: alternate screen, mouse reporting (SGR),
    // bracketed paste, hidden cursor, application keypad and cursor keys, a scroll region.
    record(
        &env,
        "xterm-256color",
        r"printf '\033[?1049h\033[?1000h\033[?1006h\033[?2004h\033[?25l\033=\033[?1h\033[3;10r\033[1mfull screen'",
    );
    let cast = env.tmp.path().join("s.cast");
    let out = env.run(&[
        "export",
        "last",
        "--format",
        "asciicast",
        "-o",
        cast.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = std::fs::read_to_string(&cast).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let n = events.len();
    assert!(n >= 3, "{text}");
    assert_eq!(events[n - 2][1], "m");
    assert_eq!(events[n - 2][2], breakglass::review::asciicast::END_MARKER);
    assert_eq!(events[n - 1][1], "o");
    let last = events[n - 1][2].as_str().unwrap();
    assert!(last.starts_with("\x1b[?1049l"), "{last:?}");

    let pane = pane_env(&env);
    let Some(t) = Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    if std::process::Command::new("asciinema")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skip::skip("asciinema is not installed (.ci/run installs it)");
        return;
    }
    let flags = "#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag} #{cursor_flag} #{keypad_flag} #{keypad_cursor_flag} #{scroll_region_upper} #{scroll_region_lower}";
    let modes = || t.tmux(&["display", "-p", "-t", "play", flags]);
    t.new_window("play", &Tmux::shell_cmd(&pane));
    let baseline = modes();
    assert_eq!(baseline.trim(), "0 0 0 1 0 0 0 29", "a fresh pane");
    // No prompt after the play (`exec cat`), so the shell does not set modes of its own.
    t.send_to(
        "play",
        &format!(
            "asciinema play {}; echo played-$((1+1)); exec cat",
            cast.display()
        ),
    );
    t.wait_in("play", "played-2");
    assert_eq!(modes(), baseline, "the pane's modes after the cast");
}
