//! Every ending leaves the developer's and the watcher's terminals as they were: two
//! real users in tmux panes of different sizes, a program that switches on the alternate
//! screen, mouse reports, bracketed paste, keypad, a scroll region, insert mode and bold
//! red, then the session ends by an operator's kill, the time limit, a dropped connection
//! or a detach; tmux's own record of each pane's modes is compared before and after.

mod common;

use common::tmux::Tmux;
use common::together::*;
use common::*;

/// What a full-screen program switches on (and leaves on: it is still running).
const MODES_ON: &str = "printf '\\033[?1049h\\033[?1000h\\033[?1002h\\033[?1003h\\033[?1006h\\033[?2004h\\033[?25l\\033[?1h\\033=\\033[3;10r\\033[4h\\033[?7l\\033[1;31m'; echo modes-on; exec sleep 600\n";

/// The modes tmux shows for a pane running [`MODES_ON`].
const MODES_SEEN: &str = "1 mouse:1001 cursor:0 keypad:11 region:2-9 insert:1 wrap:0";

/// The modes of the watcher's pane (120x36) meanwhile: the session's modes stay in the
/// watcher's emulator; its terminal is on the alternate screen with wrap off, the cursor
/// hidden as the session's is.
const WATCHING: &str = "1 mouse:0000 cursor:0 keypad:00 region:0-35 insert:0 wrap:0";

#[derive(PartialEq)]
enum Ending {
    Kill,
    TimeLimit,
    Hangup,
    Detach,
}

#[test]
fn an_operators_kill_restores_both_terminals() {
    restored_after(Ending::Kill, "k");
}

#[test]
fn the_time_limit_restores_both_terminals() {
    restored_after(Ending::TimeLimit, "t");
}

#[test]
fn a_dropped_connection_restores_the_watchers_terminal() {
    restored_after(Ending::Hangup, "h");
}

#[test]
fn a_detach_restores_the_watchers_terminal_and_the_exit_the_developers() {
    restored_after(Ending::Detach, "d");
}

fn restored_after(ending: Ending, tag: &str) {
    if !as_root() {
        return;
    }
    let (dev, ops) = (format!("bgw-dev{tag}"), format!("bgw-ops{tag}"));
    let group = format!("bgw-rs{tag}");
    let _users = Users::new(&group, &[&dev, &ops]);
    let env = Env::new();
    if ending == Ending::Hangup {
        // Ended at once, not held for `breakglass attach` (tests/attach.rs).
        env.write_config("grace = \"0s\"\n");
    }
    let shared = shared_dir(&env, &group);
    let script = env.tmp.path().join("modes.sh");
    std::fs::write(&script, MODES_ON).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let Some(t) = Tmux::start(env.tmp.path(), &pane_env(&env)) else {
        return;
    };
    t.new_window_sized("wat", &Tmux::shell_cmd(&pane_env(&env)), 120, 36);
    t.wait_in("main", "$");
    t.wait_in("wat", "$");
    let before = |p| pane_modes(&t, p);
    let (main_before, wat_before) = (before("main"), before("wat"));

    let ttl = if ending == Ending::TimeLimit {
        "--ttl 20s"
    } else {
        ""
    };
    t.send(&as_user(
        &env,
        &shared,
        &dev,
        &format!("shell -r restore-test --operators {ops} {ttl} -- sh"),
    ));
    t.wait_in("main", "RECORDING session");
    let id = shared_session_id(&shared);
    t.send_to("wat", &as_user(&env, &shared, &ops, &format!("watch {id}")));
    t.wait_in("main", "is now watching");
    t.send(&format!("sh {}", script.display()));
    wait_modes(&t, "main", MODES_SEEN);
    wait_modes(&t, "wat", WATCHING);

    match ending {
        Ending::Kill => t.keys_to("wat", &["C-]", "k", "y"]),
        Ending::TimeLimit => {}
        Ending::Hangup => {
            t.tmux(&["kill-session", "-t", "main"]);
        }
        Ending::Detach => {
            t.keys_to("wat", &["C-]", "d"]);
            t.wait_in("wat", "detached from session");
            assert_eq!(pane_modes(&t, "wat"), wat_before, "after the detach");
            assert_usable(&t, "wat");
            t.keys_to("main", &["C-c"]);
            t.wait_in("main", "modes-on");
            t.send("exit");
        }
    }
    if ending != Ending::Detach {
        t.wait_in("wat", "ended (");
        assert_eq!(pane_modes(&t, "wat"), wat_before, "watcher's pane");
        assert_usable(&t, "wat");
    }
    if ending != Ending::Hangup {
        t.wait_in("main", "verify: breakglass verify");
        assert_eq!(pane_modes(&t, "main"), main_before, "developer's pane");
        assert_usable(&t, "main");
    }
}

/// The pane's shell prints in plain colours and a paste reaches a program unbracketed.
fn assert_usable(t: &Tmux, pane: &str) {
    t.send_to(pane, "echo plain-$((2*3))");
    t.wait_in(pane, "\nplain-6");
    let coloured = t.tmux(&["capture-pane", "-e", "-p", "-t", pane]);
    let line = coloured
        .lines()
        .find(|l| l.contains("plain-6") && !l.contains("echo"))
        .unwrap();
    assert_eq!(line.trim_end(), "plain-6", "attributes left on: {line:?}");
    t.send_to(pane, "cat -v");
    // The shell's own line editor brackets pastes until it starts the command.
    t.wait_for("cat to run", |t| {
        t.tmux(&["display", "-p", "-t", pane, "#{pane_current_command}"])
            .trim()
            == "cat"
    });
    t.tmux(&["set-buffer", "pasted-text"]);
    t.tmux(&["paste-buffer", "-p", "-t", pane]);
    t.keys_to(pane, &["Enter"]);
    t.wait_in(pane, "\npasted-text");
    assert!(
        !t.screen_of(pane).contains("^[[200~"),
        "bracketed paste left on:\n{}",
        t.screen_of(pane)
    );
    t.keys_to(pane, &["C-c"]);
}
