//! The keyboard is always recoverable, with two real users in tmux panes of different
//! sizes: the owner takes it back with their own escape key; a watcher whose terminal
//! hangs up without a SIGHUP (as under `su -`) or who stops reading loses it; each is a
//! record in the log and the owner types on.

mod common;

use common::tmux::Tmux;
use common::together::*;
use common::*;

/// A session of `dev` with `ops` as operator, watched by `ops` holding the keyboard
/// (`watch --operate`, started by `watch_prefix`); returns the tmux server and the log.
struct Driven {
    t: Tmux,
    shared: Shared,
    _users: Users,
}

fn driven(env: &Env, tag: &str, config: &str, watch_prefix: &str) -> Driven {
    let (dev, ops) = (format!("bgw-dev{tag}"), format!("bgw-ops{tag}"));
    let users = Users::new(&format!("bgw-wh{tag}"), &[&dev, &ops]);
    env.write_config(config);
    let shared = shared_dir(env, &format!("bgw-wh{tag}"));
    let t = Tmux::start(env.tmp.path(), &pane_env(env)).expect("tmux");
    t.new_window_sized("wat", &Tmux::shell_cmd(&pane_env(env)), 80, 24);
    t.wait_in("main", "$");
    t.send(&as_user(
        env,
        &shared,
        &dev,
        &format!("shell -r wheel-test --operators {ops} -- sh"),
    ));
    t.wait_in("main", "RECORDING session");
    let id = shared_session_id(&shared);
    t.send_to(
        "wat",
        &format!(
            "{watch_prefix}{}",
            as_user(env, &shared, &ops, &format!("watch --operate {id}"))
        ),
    );
    t.wait_in("main", "has taken the keyboard");
    Driven {
        t,
        shared,
        _users: users,
    }
}

fn the_log(shared: &std::path::Path) -> std::path::PathBuf {
    std::fs::read_dir(shared.join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// The owner's keys are not sent while the watcher drives, then are once it lost it.
fn owner_types_again(t: &Tmux) {
    t.send("echo mine-$((2+2))");
    t.wait_in("main", "\nmine-4");
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
}

#[test]
fn the_owner_takes_the_keyboard_back_with_their_own_escape_key() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let d = driven(&env, "r", "escape_key = \"ctrl-g\"\n", "");
    let t = &d.t;
    t.send("echo blocked-$((1+1))");
    t.wait_in("main", "your keys are not sent. Take it back with Ctrl-g t");
    t.keys_to("main", &["C-]", "t"]);
    t.keys_to("main", &["C-g", "t"]);
    t.wait_in("main", "bgw-devr took the keyboard back");
    t.wait_in("wat", "you no longer hold the keyboard");
    owner_types_again(t);
    let log = the_log(&d.shared);
    let ev = participant_events(&log);
    assert!(ev.contains(&"reclaim:bgw-opsr".to_string()), "{ev:?}");
    let all = std::fs::read_to_string(&log).unwrap();
    assert!(
        !all.contains("blocked-"),
        "keys typed while the watcher drove were sent"
    );
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn policy_can_make_the_operator_the_only_one_to_hand_the_keyboard_back() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let d = driven(&env, "p", "operator_drives_alone = true\n", "");
    let t = &d.t;
    t.keys_to("main", &["C-]", "t"]);
    t.send("echo blocked-$((1+1))");
    t.wait_in("main", "Only they can hand it back");
    t.keys_to("wat", &["C-]", "r"]);
    t.wait_in("main", "handed the keyboard back");
    owner_types_again(t);
    let log = the_log(&d.shared);
    let ev = participant_events(&log);
    assert!(!ev.iter().any(|e| e.starts_with("reclaim")), "{ev:?}");
    assert!(ev.contains(&"return:bgw-opsp".to_string()), "{ev:?}");
    let all = std::fs::read_to_string(&log).unwrap();
    assert!(
        !all.contains("blocked-"),
        "keys typed while the operator drove were sent"
    );
}

#[test]
fn a_watcher_whose_terminal_hangs_up_without_sighup_loses_the_keyboard() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    // In a session of its own, as under `su -`: the hangup sends it no SIGHUP, its
    // terminal only reads as ended.
    let d = driven(&env, "g", "", "setsid -w ");
    let t = &d.t;
    t.tmux(&["kill-session", "-t", "wat"]);
    t.wait_in(
        "main",
        "bgw-opsg's connection closed: the keyboard is back with bgw-devg",
    );
    owner_types_again(t);
    let log = the_log(&d.shared);
    let ev = participant_events(&log);
    assert!(ev.contains(&"lost:bgw-opsg".to_string()), "{ev:?}");
    assert!(!ev.iter().any(|e| e.starts_with("return")), "{ev:?}");
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn a_watcher_that_stops_reading_loses_the_keyboard_after_30_seconds() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let d = driven(&env, "s", "", "");
    let t = &d.t;
    // Output keeps coming while the watcher is stopped.
    t.keys_to("wat", &["C-]", "r"]);
    t.wait_in("main", "handed the keyboard back");
    t.send("while :; do echo tick; sleep 0.3; done &");
    t.wait_in("wat", "tick");
    let log = the_log(&d.shared);
    // The hub's stall watch starts afresh when the keyboard is taken, never before.
    let taken = std::time::Instant::now();
    t.keys_to("wat", &["C-]", "t"]);
    // Its second take, in the log: the notice of the first one may still be on the
    // owner's screen, and a watcher stopped before it read the `t` never holds it.
    let takes = || {
        participant_events(&log)
            .iter()
            .filter(|e| *e == "take:bgw-opss")
            .count()
    };
    t.wait_for("the watcher to take the keyboard again", |_| takes() == 2);
    let stopped = pids_of(&d.shared, "bgw-opss");
    assert!(!stopped.is_empty(), "no watcher process");
    for &pid in &stopped {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGSTOP).unwrap();
    }
    let start = std::time::Instant::now();
    let wait = std::time::Duration::from_secs(60);
    while !participant_events(&log).contains(&"lost:bgw-opss".to_string()) {
        assert!(
            start.elapsed() < wait,
            "the stopped watcher kept the keyboard"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        taken.elapsed() >= std::time::Duration::from_secs(30),
        "lost {:?} after it was taken, before the 30 s",
        taken.elapsed()
    );
    t.wait_in("main", "has not read the session for 30 s");
    t.send("kill %1");
    owner_types_again(t);
    for &pid in &stopped {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
    }
}
