//! A dropped connection: the owner's terminal goes away (its tmux window killed, as a
//! dropped ssh to the bastion: SIGHUP and EIO; or a SIGHUP alone), the session is held,
//! its output still recorded, and `breakglass attach` in another window of another size
//! takes it up: the screen as it is, typing as the owner, the new size, the end's summary.
//! A grace period that runs out ends it as `hangup`; attaching is refused while the owner
//! is there, to a second client, and to anyone but the owner.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use breakglass::log::record::Body;
use common::recorded::recorded_bash;
use common::tmux::Tmux;
use common::together::*;
use common::*;

/// The session's participant event `event` is in the log.
fn has_event(log: &Path, event: &str) -> bool {
    records(log)
        .iter()
        .any(|r| matches!(&r.body, Body::Participant(p) if p.event == event))
}

fn wait_event(log: &Path, event: &str) {
    wait_record(
        log,
        event,
        |b| matches!(b, Body::Participant(p) if p.event == event),
    );
}

/// Output recorded after the first `event` record.
fn output_after(log: &Path, event: &str) -> String {
    let recs = records(log);
    let at = recs
        .iter()
        .position(|r| matches!(&r.body, Body::Participant(p) if p.event == event))
        .unwrap_or(recs.len());
    recs[at..]
        .iter()
        .filter_map(|r| match &r.body {
            Body::Output(d) => d.bytes().map(|b| String::from_utf8_lossy(b).into_owned()),
            _ => None,
        })
        .collect()
}

/// Everything typed as the owner.
fn owner_input(log: &Path) -> String {
    records(log)
        .iter()
        .filter_map(|r| match &r.body {
            Body::Input { by, data } if by == "owner" => data
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
            _ => None,
        })
        .collect()
}

fn wait_until(what: &str, ok: impl Fn() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A job in the session that writes a numbered line five times a second.
fn start_loop(t: &Tmux, log: &Path) {
    t.send("(while :; do echo loop-$((n++)); sleep 0.2; done) &");
    wait_until("the loop's output", || {
        String::from_utf8_lossy(&output_bytes(log)).contains("loop-2")
    });
}

/// Attach in a new window `att` of 120x40 with `attach_cmd`; type as the owner there,
/// check the size, end the session there and see its summary.
fn attach_and_finish(t: &Tmux, env: &Env, log: &Path, attach_cmd: &str) {
    t.new_window_sized("att", &Tmux::shell_cmd(&pane_env(env)), 120, 40);
    t.wait_in("att", "$");
    let (before, after) = (env.tmp.path().join("before"), env.tmp.path().join("after"));
    t.send_to(
        "att",
        &format!(
            "stty -g > {}; {attach_cmd}; echo attach-exit=$?; stty -g > {}",
            before.display(),
            after.display()
        ),
    );
    // The screen as it is now: the loop's lines, drawn from the snapshot and live.
    t.wait_in("att", "loop-");
    wait_event(log, "attach");
    t.send_to("att", "echo attached-$((6*7)); stty size");
    t.wait_in("att", "\nattached-42");
    let size = t.tmux(&["display", "-p", "-t", "att", "#{pane_height} #{pane_width}"]);
    t.wait_in("att", &format!("\n{}", size.trim()));
    assert!(
        owner_input(log).contains("echo attached-$((6*7))"),
        "the attached keys are not recorded as the owner's"
    );
    let (h, w) = size.trim().split_once(' ').unwrap();
    let (rows, cols): (u16, u16) = (h.parse().unwrap(), w.parse().unwrap());
    assert!(
        records(log)
            .iter()
            .any(|r| matches!(r.body, Body::Resize { cols: c, rows: r } if (c, r) == (cols, rows))),
        "no resize record to the attached terminal's size"
    );
    t.send_to("att", "kill %1; exit 7");
    t.wait_in("att", "verify: breakglass verify");
    t.wait_in("att", "attach-exit=7");
    wait_until("the terminal settings after", || {
        std::fs::read_to_string(&after).is_ok_and(|s| !s.is_empty())
    });
    assert_eq!(
        std::fs::read_to_string(&before).unwrap(),
        std::fs::read_to_string(&after).unwrap(),
        "the attaching terminal's settings were not restored"
    );
    assert!(
        t.screen_of("att").contains("ended: exit 7"),
        "{}",
        t.screen_of("att")
    );
    wait_until("the end record", || end_of(log).is_some());
    assert_eq!(end_of(log).unwrap().cause, "exit");
    assert_verdict(log, "VERIFIED");
}

#[test]
fn a_killed_window_is_held_and_attach_takes_the_session_up_again() {
    let env = Env::new();
    let Some(t) = recorded_bash(&env, "attach test") else {
        return;
    };
    let id = live_session_id(&env);
    let log = env.log();
    start_loop(&t, &log);
    // As a dropped ssh: the terminal hangs up under breakglass (SIGHUP, then EIO).
    t.tmux(&["kill-window", "-t", "main"]);
    wait_event(&log, "detach");
    assert!(env.dir().join("live").join(format!("{id}.sock")).exists());
    let ls = env.run(&["ls"]);
    let ls = String::from_utf8_lossy(&ls.stdout);
    assert!(ls.contains("detached until"), "{ls}");
    // The job goes on, and its output is still recorded.
    wait_until("output after the detach", || {
        output_after(&log, "detach").contains("loop-")
    });
    // The shell says so on start when there is a session to attach to.
    let other = env.run(&["shell", "-r", "second", "--", "true"]);
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(
        err.contains(&format!("you have a detached session {id}")),
        "{err}"
    );
    attach_and_finish(
        &t,
        &env,
        &log,
        &format!("{} attach {}", bin().display(), &id[..6]),
    );
    assert!(has_event(&log, "detach") && has_event(&log, "attach"));
}

#[test]
fn the_grace_period_runs_out_and_the_session_ends_as_hangup() {
    let env = Env::new();
    env.write_config("grace = \"3s\"\n");
    let Some(t) = recorded_bash(&env, "grace test") else {
        return;
    };
    let log = env.log();
    start_loop(&t, &log);
    t.tmux(&["kill-window", "-t", "main"]);
    wait_event(&log, "detach");
    wait_until("the end record", || end_of(&log).is_some());
    assert_eq!(end_of(&log).unwrap().cause, "hangup");
    assert!(!has_event(&log, "attach"));
    assert_verdict(&log, "VERIFIED");
}

/// The pid of the recording breakglass of `env` (its `shell`, by its data dir).
fn recorder_pid(env: &Env) -> i32 {
    let me = bin().canonicalize().unwrap();
    let dir = format!("BREAKGLASS_DIR={}", env.dir().display());
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(e.path().join("exe")).ok();
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        if exe.as_deref() == Some(me.as_path())
            && cmdline.split(|&b| b == 0).any(|a| a == b"shell")
            && environ.split(|&b| b == 0).any(|a| a == dir.as_bytes())
        {
            return pid;
        }
    }
    panic!("no recorder running");
}

#[test]
fn a_sighup_detaches_watchers_are_told_and_attach_is_refused_while_the_owner_is_there() {
    let env = Env::new();
    let Some(t) = recorded_bash(&env, "sighup test") else {
        return;
    };
    let id = live_session_id(&env);
    let log = env.log();
    t.new_window_sized("wat", &Tmux::shell_cmd(&pane_env(&env)), 100, 30);
    t.send_to("wat", &format!("{} watch {id}", bin().display()));
    t.wait_in("wat", "is now watching this session");
    // The owner is there: an attach is no takeover.
    let early = env.run(&["attach", &id]);
    let err = String::from_utf8_lossy(&early.stderr);
    assert_ne!(early.status.code(), Some(0));
    assert!(err.contains("owner is still at its terminal"), "{err}");
    start_loop(&t, &log);
    let pid = recorder_pid(&env);
    // SAFETY: kill(2) on the pid of the recorder this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    wait_event(&log, "detach");
    t.wait_in("wat", "terminal is gone; the session is held until");
    t.new_window_sized("att", &Tmux::shell_cmd(&pane_env(&env)), 120, 40);
    t.send_to("att", &format!("{} attach", bin().display()));
    t.wait_in("att", "loop-");
    wait_event(&log, "attach");
    t.wait_in("wat", "attached to the session again");
    // A second attach while one is attached.
    let second = env.run(&["attach", &id]);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("already attached"), "{err}");
    // The attached terminal goes too: held again, and attached again.
    t.tmux(&["kill-window", "-t", "att"]);
    wait_until("a second detach", || {
        participant_events(&log)
            .iter()
            .filter(|e| e.starts_with("detach:"))
            .count()
            == 2
    });
    t.new_window_sized("att2", &Tmux::shell_cmd(&pane_env(&env)), 90, 25);
    t.send_to("att2", &format!("{} attach last", bin().display()));
    t.wait_in("att2", "loop-");
    t.send_to("att2", "kill %1; exit");
    t.wait_in("att2", "verify: breakglass verify");
    wait_until("the end record", || end_of(&log).is_some());
    assert_eq!(end_of(&log).unwrap().cause, "exit");
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn only_the_owner_may_attach_on_a_bastion() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let (dev, other) = ("bga-dev", "bga-other");
    let _users = Users::new("bga-at", &[dev, other]);
    let shared = shared_dir(&env, "bga-at");
    let t = Tmux::start(env.tmp.path(), &pane_env(&env)).expect("tmux");
    t.wait_in("main", "$");
    t.send(&as_user(
        &env,
        &shared,
        dev,
        "shell -r attach-bastion -- bash --norc --noprofile",
    ));
    t.wait_in("main", "RECORDING session");
    let id = shared_session_id(&shared);
    let log = shared.join("sessions").join(format!("{id}.jsonl"));
    start_loop(&t, &log);
    t.tmux(&["kill-window", "-t", "main"]);
    wait_event(&log, "detach");
    // The owner's next shell says there is one to attach to (asked as the user).
    let second = common::procs::output_within(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(as_user(&env, &shared, dev, "shell -r second -- true"))
            .stdin(std::process::Stdio::null()),
        DEADLINE,
    );
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!("you have a detached session {id}")),
        "{err}"
    );
    t.new_window_sized("oth", &Tmux::shell_cmd(&pane_env(&env)), 100, 30);
    t.send_to(
        "oth",
        &format!(
            "{}; echo other-exit-$?",
            as_user(&env, &shared, other, &format!("attach {id}"))
        ),
    );
    t.wait_in("oth", "other-exit-1");
    assert!(
        t.screen_of("oth").contains("is not the session's owner"),
        "{}",
        t.screen_of("oth")
    );
    assert!(
        !has_event(&log, "attach"),
        "a refused attach was recorded as one"
    );
    assert!(
        participant_events(&log).contains(&format!("deny:{other}")),
        "{:?}",
        participant_events(&log)
    );
    attach_and_finish(
        &t,
        &env,
        &log,
        &as_user(&env, &shared, dev, &format!("attach {id}")),
    );
}

#[test]
fn piped_input_is_no_terminal_to_wait_for_a_hangup_ends_the_session() {
    let env = Env::new();
    let mut child = env
        .cmd()
        .args(["shell", "-r", "piped", "--", "sleep", "30"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let id = live_session_id(&env);
    let log = env.dir().join("sessions").join(format!("{id}.jsonl"));
    // SAFETY: kill(2) on the pid of the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGHUP) }, 0);
    wait_until("the end record", || end_of(&log).is_some());
    let _ = child.wait();
    assert_eq!(end_of(&log).unwrap().cause, "hangup");
    assert!(!has_event(&log, "detach"));
}
