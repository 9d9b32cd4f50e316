//! `breakglass shell` in a real terminal (tmux): the banner and the session on screen, the
//! title while it runs, and the terminal exactly as it was afterwards.

mod common;

use common::tmux::Tmux;
use common::*;

#[test]
fn shell_in_tmux_shows_the_session_and_restores_the_terminal() {
    let env = Env::new();
    let work = env.tmp.path();
    let shell_env = [
        ("PATH", std::env::var("PATH").unwrap()),
        ("HOME", work.display().to_string()),
        ("TERM", "screen".to_string()),
        ("PS1", "$ ".to_string()),
        ("BREAKGLASS_DIR", env.dir().display().to_string()),
        ("BREAKGLASS_CONFIG", env.config().display().to_string()),
    ];
    let Some(t) = Tmux::start(work, &shell_env) else {
        return;
    };
    let before = work.join("before");
    let after = work.join("after");
    // The settings after are written whole, then renamed: the file appears complete.
    t.send(&format!(
        "stty -a > {0}; {1} shell -r 'tmux test' -- bash --norc --noprofile; stty -a > {2}.part; mv {2}.part {2}",
        before.display(),
        bin().display(),
        after.display()
    ));
    t.wait_for("the banner", |t| t.screen().contains("RECORDING session"));
    t.wait_for("the recorded title", |t| {
        t.tmux(&["display", "-p", "#{pane_title}"])
            .contains("REC breakglass")
    });
    t.send("echo hello-$((6*7))");
    t.wait_for("the command's output", |t| t.screen().contains("hello-42"));
    t.send("exit 5");
    t.wait_for("the summary", |t| {
        after.exists() && t.screen().contains("verify: breakglass verify")
    });
    let screen = t.screen();
    assert!(screen.contains("ended: exit 5"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(&before).unwrap(),
        std::fs::read_to_string(&after).unwrap(),
        "terminal settings changed"
    );
    assert!(
        !t.tmux(&["display", "-p", "#{pane_title}"])
            .contains("REC breakglass"),
        "title not restored"
    );
    let log = env.log();
    let out = String::from_utf8_lossy(&output_bytes(&log)).into_owned();
    assert!(out.contains("hello-42"));
    assert_verdict(&log, "VERIFIED");
}
