//! `breakglass watch` and `mark` end to end: live watching in tmux, taking and returning
//! the keyboard, ending a session, late joiners, slow and hostile clients, refusals,
//! witness copies.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use breakglass::live::protocol::{self, kind};
use breakglass::log::record::{Body, Data};
use common::tmux::Tmux;
use common::*;

fn inputs_by(log: &std::path::Path, who: &str) -> String {
    records(log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Input {
                by,
                data: Data::Text(t),
            } if by == who => Some(t),
            _ => None,
        })
        .collect()
}

fn events(log: &std::path::Path) -> Vec<String> {
    records(log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Participant(p) => Some(format!("{}:{}", p.event, p.who)),
            _ => None,
        })
        .collect()
}

#[test]
fn watch_take_return_and_end_in_tmux() {
    let env = Env::new();
    let pane = pane_env(&env);
    let Some(t) = Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    let me = breakglass::session::login_name();
    let bg = bin().display().to_string();
    t.send(&format!(
        "{bg} shell -r 'watch test' --operators {me} -- bash --norc --noprofile"
    ));
    t.wait_for("the banner", |t| t.screen().contains("RECORDING session"));
    t.send("echo typed-by-$((1+1))-owner");
    t.wait_in("main", "typed-by-2-owner");

    let cmd = Tmux::shell_cmd(&pane);
    t.new_window("wat", &cmd);
    t.send_to("wat", &format!("{bg} watch"));
    t.wait_in("wat", "typed-by-2-owner");
    t.wait_in("main", "is now watching this session");
    t.send("echo live-$((2+3))");
    t.wait_in("wat", "live-5");

    // A full-screen program, then a late joiner: it sees the screen as it is now.
    t.send("seq 1 500 | less");
    t.wait_in("main", "\n28\n");
    t.new_window("late", &cmd);
    t.send_to("late", &format!("{bg} watch"));
    t.wait_in("late", "\n27\n28\n");
    assert!(
        !t.screen_of("late").contains("live-5"),
        "a snapshot, not a replay of history:\n{}",
        t.screen_of("late")
    );
    t.keys_to("main", &["q"]);
    t.wait_in("wat", "$ ");

    // Watcher keys are not sent until it takes the keyboard.
    t.send_to("wat", "echo from-watcher-$((3+4))");
    t.wait_in("wat", "your keys are not sent");
    t.keys_to("wat", &["C-]", "t"]);
    t.wait_in("main", "has taken the keyboard");
    // The watcher's own client says so once it knows: keys typed before are not sent.
    t.wait_in("wat", "you have the keyboard");
    t.send_to("wat", "echo op-$((40+2))");
    t.wait_in("main", "op-42");
    t.send("echo owner-$((5+5))-blocked");
    t.wait_in("main", "holds the keyboard; your keys are not sent");
    t.keys_to("wat", &["C-]", "r"]);
    t.wait_in("main", "handed the keyboard back");
    t.send("echo back-$((3*3))");
    t.wait_in("wat", "back-9");
    t.keys_to("wat", &["C-]", "m"]);
    t.send_to("wat", "checked replication");
    t.wait_in("main", "marker by");
    t.keys_to("wat", &["C-]", "k", "y"]);
    t.wait_in("main", "ended by request");
    t.wait_in("wat", "ended (killed");

    let log = env.log();
    assert_eq!(end_of(&log).unwrap().cause, "killed");
    let ev = events(&log);
    for want in ["join", "take", "return", "kill"] {
        assert!(
            ev.iter().any(|e| e.starts_with(want)),
            "no {want} in {ev:?}"
        );
    }
    assert_eq!(
        ev.iter().filter(|e| e.starts_with("join")).count(),
        2,
        "{ev:?}"
    );
    let by_watcher = inputs_by(&log, &me);
    assert!(by_watcher.contains("echo op-$((40+2))"), "{by_watcher:?}");
    let everything = std::fs::read_to_string(&log).unwrap();
    assert!(
        !everything.contains("from-watcher"),
        "a watcher's keys reached the session"
    );
    assert!(
        !everything.contains("blocked\\r"),
        "the owner's keys reached the session while an operator drove"
    );
    assert!(inputs_by(&log, "owner").contains("echo back-$((3*3))"));
    assert!(
        records(&log)
            .iter()
            .any(|r| matches!(&r.body, Body::Marker { text, .. } if text == "checked replication"))
    );
    assert_verdict(&log, "VERIFIED");
}

/// How much longer a session with a stopped watcher may take than the same session
/// alone, both run side by side so a loaded machine slows both alike: the watcher is
/// paced and skipped, so only the screen it is later shown costs extra; a session that
/// waited for the watcher would not end at all.
const STOPPED_WATCHER_SLOWDOWN: f64 = 2.0;
/// Plus this, for the noise of short runs.
const STOPPED_WATCHER_SLACK: Duration = Duration::from_secs(2);

/// A session ready to flood 50 MB once its `go` file appears.
struct Flood {
    // Fields drop in this order: the processes end before their data dir goes.
    owner: Pty,
    watcher: Option<Pty>,
    go: std::path::PathBuf,
    env: Env,
}

impl Flood {
    fn new(stopped_watcher: bool) -> Flood {
        let env = Env::new();
        let go = env.tmp.path().join("go");
        let script = format!(
            "stty raw -echo; while [ ! -e {} ]; do sleep 0.05; done; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 50000000",
            go.display()
        );
        let owner = env.spawn(&["shell", "-r", "flood", "--", "sh", "-c", &script]);
        let id = live_session_id(&env);
        let mut watcher = None;
        if stopped_watcher {
            let w = Pty::spawn(env.cmd().args(["watch", &id]), 80, 24);
            wait_record(
                &env.log(),
                "join",
                |b| matches!(b, Body::Participant(p) if p.event == "join"),
            );
            w.signal(libc::SIGSTOP);
            watcher = Some(w);
        }
        Flood {
            owner,
            watcher,
            go,
            env,
        }
    }

    /// Whether the session has ended.
    fn ended(&mut self) -> bool {
        self.owner.child.try_wait().unwrap().is_some()
    }

    /// Check it ended well and its log is whole.
    fn check(mut self) {
        assert_eq!(self.owner.wait().code(), Some(0));
        let log = self.env.log();
        assert_eq!(output_bytes(&log).len(), 50_000_000);
        assert_verdict(&log, "VERIFIED");
        if let Some(mut w) = self.watcher.take() {
            w.signal(libc::SIGCONT);
            w.wait();
        }
    }
}

#[test]
fn a_stopped_watcher_does_not_slow_the_session_and_the_log_is_whole() {
    let _one_at_a_time = serial::timed();
    let alone = Flood::new(false);
    let watched = Flood::new(true);
    let mut floods = [alone, watched];
    let start = Instant::now();
    for f in &floods {
        std::fs::write(&f.go, "").unwrap();
    }
    let mut took = [None, None];
    while took.contains(&None) {
        for (f, t) in floods.iter_mut().zip(&mut took) {
            if t.is_none() && f.ended() {
                *t = Some(start.elapsed());
            }
        }
        assert!(start.elapsed() < DEADLINE, "ended after {took:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    let [Some(alone_took), Some(watched_took)] = took else {
        unreachable!()
    };
    for f in floods {
        f.check();
    }
    eprintln!("alone {alone_took:?}, with a stopped watcher {watched_took:?}");
    assert!(
        watched_took.as_secs_f64()
            <= alone_took.as_secs_f64() * STOPPED_WATCHER_SLOWDOWN
                + STOPPED_WATCHER_SLACK.as_secs_f64(),
        "with a stopped watcher {watched_took:?}, alone {alone_took:?}"
    );
}

/// The rows of a terminal of `cols` x `rows` that was sent `bytes`.
fn rows_after(bytes: &[u8], cols: usize, rows: usize) -> Vec<String> {
    let mut t = avt::Terminal::new(cols, rows).unwrap();
    t.feed(String::from_utf8_lossy(bytes).as_ref());
    t.screen().text()
}

#[test]
fn a_watcher_of_a_flood_is_sent_screens_not_every_byte_and_sees_the_owners_screen() {
    // 21 MB of output in long lines (numbers padded to 90 digits): the cost of a line, not
    // of a byte, is what makes a session slow, and a slow flood cannot tell pacing apart.
    const LINES: u32 = 230_000;
    let number = |n: u32| format!("{n:090}");
    let _one_at_a_time = serial::timed();
    let env = Env::new();
    let go = env.tmp.path().join("go");
    let script = format!(
        "while [ ! -e {} ]; do sleep 0.05; done; seq -f %090.0f 1 {LINES}; sleep 1",
        go.display()
    );
    let mut owner = env.spawn(&["shell", "-r", "flood", "--", "sh", "-c", &script]);
    let id = live_session_id(&env);
    let mut watcher = Pty::spawn(env.cmd().args(["watch", &id]), 100, 30);
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    std::fs::write(&go, "").unwrap();
    let flood = std::time::Instant::now();
    assert_eq!(owner.wait().code(), Some(0));
    let secs = flood.elapsed().as_secs_f64();
    watcher.wait();
    let log = env.log();
    let total = output_bytes(&log).len();
    assert!(total > 20_000_000, "{total}");
    assert_verdict(&log, "VERIFIED");
    // The watcher was paced: its burst, then its rate and a screen 20 times a second,
    // for as long as the flood lasted (a slow build makes it last longer), and that is
    // fewer bytes than the session wrote (the budget must leave a tenth out at least, or
    // a watcher sent every byte would pass)...
    let screen = 100 * 30 + 1024;
    let budget = (256 << 10) as f64 + secs * ((1 << 20) + 20 * screen) as f64;
    let seen = watcher.output_len();
    eprintln!("watcher got {seen} of {total} bytes in {secs:.1} s (budget {budget:.0})");
    assert!(budget < total as f64 * 0.9, "too slow to tell: {secs:.1} s");
    assert!(
        (seen as f64) < budget,
        "the watcher got {seen} of {total} bytes in {secs:.1} s"
    );
    // ...and its screen ends exactly as the owner's: the last numbers, in order.
    // As drawn before the watch ended and left the alternate screen.
    let out = watcher.screen();
    let drawn = out.rfind("\x1b[?1049l").map_or(&out[..], |i| &out[..i]);
    let shown = rows_after(drawn.as_bytes(), 100, 30);
    let last = shown
        .iter()
        .position(|r| r.trim() == number(LINES))
        .unwrap_or_else(|| panic!("no {LINES} on the watcher's screen: {shown:#?}"));
    assert!(last >= 20, "{shown:#?}");
    for (i, row) in shown[..=last].iter().enumerate() {
        let want = LINES - (last - i) as u32;
        assert_eq!(row.trim(), number(want), "row {i} of {shown:#?}");
    }
}

#[test]
fn a_watcher_of_binary_output_waits_for_a_pause_and_then_sees_the_screen() {
    let _one_at_a_time = serial::timed();
    let env = Env::new();
    let go = env.tmp.path().join("go");
    let script = format!(
        "while [ ! -e {} ]; do sleep 0.05; done; head -c 6000000 /dev/urandom; sleep 0.6; \
         printf '\\033c'; echo after''wards; sleep 1",
        go.display()
    );
    let mut owner = env.spawn(&["shell", "-r", "binary", "--", "sh", "-c", &script]);
    let id = live_session_id(&env);
    // One row more than the session: all of it shows above the status row.
    let mut watcher = Pty::spawn(env.cmd().args(["watch", &id]), 100, 31);
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    std::fs::write(&go, "").unwrap();
    assert_eq!(owner.wait().code(), Some(0));
    watcher.wait();
    let log = env.log();
    assert_verdict(&log, "VERIFIED");
    let seen = watcher.screen();
    assert!(
        seen.contains("too fast to show"),
        "no notice: {}",
        &seen[seen.len().saturating_sub(2000)..]
    );
    assert!(
        seen.contains("afterwards"),
        "the screen did not catch up: {:?}",
        &seen[seen.len().saturating_sub(3000)..]
    );
    assert!(
        seen.len() < 3_000_000,
        "the watcher got {} bytes of a 6 MB flood",
        seen.len()
    );
}

#[test]
fn watchers_learn_when_the_owner_resizes() {
    let env = Env::new();
    let mut owner = env.spawn(&[
        "shell",
        "-r",
        "resize",
        "--",
        "sh",
        "-c",
        "echo rea''dy; read x",
    ]);
    owner.expect("ready");
    let id = session_id(&env);
    let mut watcher = Pty::spawn(env.cmd().args(["watch", &id]), 100, 30);
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    owner.resize(120, 40);
    owner.signal(libc::SIGWINCH);
    // The session is the owner's terminal but its last row, the status row.
    wait_record(&env.log(), "resize", |b| {
        matches!(
            b,
            Body::Resize {
                cols: 120,
                rows: 39
            }
        )
    });
    watcher.expect("the session is 120x39");
    owner.send("done\r");
    assert_eq!(owner.wait().code(), Some(0));
    watcher.wait();
}

#[test]
fn witness_copy_is_byte_identical_and_catches_a_rewrite() {
    let env = Env::new();
    let mut owner = env.spawn(&[
        "shell",
        "-r",
        "witness",
        "--",
        "sh",
        "-c",
        "echo be''fore; read x; echo af''ter",
    ]);
    owner.expect("before");
    let id = session_id(&env);
    let copy = env.tmp.path().join("witness.jsonl");
    let mut watcher = Pty::spawn(env.cmd().args(["watch", &id, "--save"]).arg(&copy), 100, 30);
    wait_record(
        &env.log(),
        "join",
        |b| matches!(b, Body::Participant(p) if p.event == "join"),
    );
    owner.send("go\r");
    owner.expect("after");
    owner.wait();
    watcher.wait();
    assert!(
        watcher.screen().contains("witness copy"),
        "{}",
        watcher.screen()
    );
    let log = env.log();
    let original = std::fs::read(&log).unwrap();
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        original,
        "the witness copy differs from the log"
    );
    let verify = |extra: &[&str]| {
        env.cmd()
            .args(["verify", &id, "--witness"])
            .arg(&copy)
            .args(extra)
            .output()
            .unwrap()
    };
    let agreed = verify(&[]);
    assert_eq!(agreed.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&agreed.stdout).contains("agrees with the outside witness"),
        "{}",
        String::from_utf8_lossy(&agreed.stdout)
    );

    // Rewritten consistently (every hash recomputed) and put back: only a witness can tell.
    let mut lines: Vec<Vec<u8>> = original
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let forged = lines
        .iter()
        .position(|l| String::from_utf8_lossy(l).contains("before"))
        .unwrap();
    lines[forged] = String::from_utf8(lines[forged].clone())
        .unwrap()
        .replace("before", "BEFORE")
        .into_bytes();
    for i in forged + 1..lines.len() {
        let prev =
            breakglass::log::chain::to_hex(&breakglass::log::chain::line_hash(&lines[i - 1]));
        let s = String::from_utf8(lines[i].clone()).unwrap();
        let at = s.find("\"prev\":\"").unwrap() + 8;
        lines[i] = format!("{}{}{}", &s[..at], prev, &s[at + 64..]).into_bytes();
    }
    let rewritten: Vec<u8> = lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect();
    let outside = env.tmp.path().join("outside").join("sessions");
    std::fs::create_dir_all(&outside).unwrap();
    let moved = outside.join(log.file_name().unwrap());
    std::fs::write(&moved, &rewritten).unwrap();
    assert_verdict(&moved, "VERIFIED"); // the chain alone cannot tell
    let against_witness = || {
        let out = env
            .cmd()
            .arg("verify")
            .arg(&moved)
            .arg("--witness")
            .arg(&copy)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, stdout) = against_witness();
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("witness copy"));

    // Cut after the witness saw it.
    let cut = original[..original.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&moved, &original[..cut]).unwrap();
    let (code, stdout) = against_witness();
    assert_eq!(code, Some(1), "{stdout}");
}

#[test]
fn many_watchers_hostile_clients_and_churn_leave_the_session_unharmed() {
    let env = Env::new();
    let mut owner = env.spawn(&[
        "shell",
        "-r",
        "crowd",
        "--",
        "sh",
        "-c",
        "echo re''ady; read x; echo got:$x; read y; echo got:$y",
    ]);
    owner.expect("ready");
    let id = session_id(&env);
    let pid = owner.pid();
    // Warm up: one watcher starts the screen thread; measure after it is gone.
    drop(live_client(&env, &id, "watch"));
    let base = waits::baseline_after_a_client(&env, pid);

    let crowd: Vec<_> = (0..32).map(|_| live_client(&env, &id, "watch")).collect();
    assert!(crowd.iter().all(|(_, f)| f.kind == kind::WELCOME));
    owner.send("one\r");
    owner.expect("got:one");

    // Hostile and broken clients.
    let sock = env.dir().join("live").join(format!("{id}.sock"));
    let mut garbage = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let _ = garbage.write_all(b"\xff\xff\xff\xffGET / HTTP/1.1\r\n\r\n");
    let mut huge = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let _ = huge.write_all(&[0x7f, 0xff, 0xff, 0xff, kind::HELLO]);
    let mut early = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let _ = protocol::write_frame(&mut early, kind::INPUT, b"rm -rf /\r");
    let _silent = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let (never_reads, _) = live_client(&env, &id, "watch");
    let (mut bad_after, _) = live_client(&env, &id, "watch");
    let _ = protocol::write_frame(&mut bad_after, kind::WELCOME, b"{}");
    drop(crowd);

    // Churn: attach and detach in a loop.
    for _ in 0..200 {
        let (mut s, f) = live_client(&env, &id, "watch");
        assert_eq!(f.kind, kind::WELCOME);
        let _ = protocol::write_frame(&mut s, kind::DETACH, b"");
        // The session closes its end once the watcher is gone.
        waits::read_until_closed(&mut s);
    }
    drop((garbage, huge, early, bad_after, never_reads));
    wait_until_no_leak(pid, base);
    owner.send("two\r");
    owner.expect("got:two");
    assert_eq!(owner.wait().code(), Some(0));
    let log = env.log();
    assert!(!std::fs::read_to_string(&log).unwrap().contains("rm -rf"));
    assert!(
        events(&log)
            .iter()
            .filter(|e| e.starts_with("join"))
            .count()
            >= 32 + 200
    );
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn mark_and_require_operator() {
    let env = Env::new();
    let script = "echo sta''rted; read x; echo got:$x; read y; echo got:$y";
    let mut owner = env.spawn(&[
        "shell",
        "-r",
        "held",
        "--require-operator",
        "--",
        "sh",
        "-c",
        script,
    ]);
    owner.expect("waiting for an operator to join");
    let id = session_id(&env);
    // One rule, told when the owner types: keys typed while no operator is there are dropped.
    owner.send("early\r");
    owner.expect("your keys are dropped, not sent");
    let out = env
        .cmd()
        .args(["mark", &id, "before", "the", "operator"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A plain watch, even by root who may operate, is not an operator joining.
    let (_watcher, f) = live_client(&env, &id, "watch");
    assert_eq!(f.kind, kind::WELCOME);
    owner.expect("watches but did not join to operate");
    assert!(
        !owner.screen().contains("started"),
        "the command started before an operator joined"
    );
    let mut op = operator_joins(&env, &id, &owner, 1);
    owner.expect("started");
    owner.send("one\r");
    owner.expect("got:one");
    // The operator leaves: the same rule, told again.
    op.shutdown(std::net::Shutdown::Both).unwrap();
    drop(op);
    wait_record(
        &env.log(),
        "leave",
        |b| matches!(b, Body::Participant(p) if p.event == "leave" && p.mode.as_deref() == Some("operate")),
    );
    // Told when the operator leaves (the early keys were told once), and again on typing.
    let told = |owner: &Pty, n: usize| {
        let start = std::time::Instant::now();
        while owner.screen().matches("your keys are dropped").count() < n {
            assert!(start.elapsed() < DEADLINE, "not told: {}", owner.screen());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    told(&owner, 2);
    owner.send("two\r");
    told(&owner, 3);
    op = operator_joins(&env, &id, &owner, 2);
    owner.send("three\r");
    owner.expect("got:three");
    assert_eq!(owner.wait().code(), Some(0));
    drop(op);
    assert!(!owner.screen().contains("got:two"), "{}", owner.screen());
    let log = env.log();
    let recs = records(&log);
    assert!(
        recs.iter()
            .any(|r| matches!(&r.body, Body::Marker { text, .. } if text == "before the operator"))
    );
    // The join records say how each joined: root's plain watch as `watch`.
    let joins: Vec<Option<String>> = recs
        .iter()
        .filter_map(|r| match &r.body {
            Body::Participant(p) if p.event == "join" => Some(p.mode.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        joins,
        [
            Some("watch".into()),
            Some("operate".into()),
            Some("operate".into())
        ]
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("early") && !text.contains("two"),
        "dropped keys reached the log as input"
    );
    assert_verdict(&log, "VERIFIED");
}

/// An operator joins with `watch --operate` (taking the keyboard), then hands it back to
/// the owner; `n` is how many operators have joined so far, this one included.
fn operator_joins(env: &Env, id: &str, owner: &Pty, n: usize) -> std::os::unix::net::UnixStream {
    let (mut op, f) = live_client(env, id, "operate");
    assert_eq!(f.kind, kind::WELCOME);
    let wait_for = |event: &str| {
        let start = std::time::Instant::now();
        let count = || {
            records(&env.log())
                .iter()
                .filter(|r| matches!(&r.body, Body::Participant(p) if p.event == event))
                .count()
        };
        while count() < n {
            assert!(start.elapsed() < DEADLINE, "no {event}: {}", owner.screen());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for("take");
    protocol::write_frame(&mut op, kind::RETURN, b"").unwrap();
    wait_for("return");
    op
}

#[test]
fn an_unauthorised_user_is_refused_and_the_refusal_is_recorded() {
    if !as_root() {
        return;
    }
    let users = common::users::Users::create(&["mallory", "bob"]);
    let (group, mallory, bob) = (users.group(), users.name("mallory"), users.name("bob"));
    let env = Env::new();
    // A shared data dir: setgid, owned by the group, reachable by its members.
    let base = tempfile::Builder::new()
        .prefix("bg-shared")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(
        base.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let shared = base.path().join("data");
    std::fs::create_dir(&shared).unwrap();
    assert!(
        std::process::Command::new("chgrp")
            .arg(group)
            .arg(&shared)
            .status()
            .unwrap()
            .success()
    );
    std::fs::set_permissions(
        &shared,
        std::os::unix::fs::PermissionsExt::from_mode(0o2770),
    )
    .unwrap();

    let mut owner = Pty::spawn(
        env.cmd().env("BREAKGLASS_DIR", &shared).args([
            "shell",
            "-r",
            "shared",
            "--watchers",
            bob,
            "--",
            "sh",
            "-c",
            "echo re''ady; read x",
        ]),
        // Wide enough for the refusal's notice, hostile name and all, on the status row.
        160,
        30,
    );
    owner.expect("ready");
    let log = std::fs::read_dir(shared.join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let id = log.file_stem().unwrap().to_string_lossy().into_owned();
    let as_user = |user: &str, args: &[&str]| {
        std::process::Command::new("runuser")
            .args(["-u", user, "--", "env"])
            .arg(format!("BREAKGLASS_DIR={}", shared.display()))
            .arg(format!("BREAKGLASS_CONFIG={}", env.config().display()))
            .arg(bin())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    std::fs::set_permissions(
        env.tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(
        env.config(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    // The group can write live/, so breakglass's own client trusts no socket there...
    let refused = as_user(mallory, &["watch", &id]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a breakglass socket"));
    // ...but a client of one's own reaches it: the session refuses mallory itself, and
    // the escape sequences in her hello and in bob's marker reach no terminal raw.
    let sock = shared.join("live").join(format!("{id}.sock"));
    let hostile = "watch\x1b]0;pwned\x07\u{202e}";
    let answer = raw_hello(mallory, &sock, &[hostile]);
    assert!(answer.starts_with("0x82 "), "{answer}");
    let answer = raw_hello(bob, &sock, &["mark", "bob\x1b[2J was here"]);
    assert!(answer.starts_with("0x86 "), "{answer}");
    owner.expect("was refused");
    owner.expect("bob<ESC>[2J was here");
    // More refusals within 10 s are recorded, but told about once.
    for _ in 0..3 {
        let answer = raw_hello(mallory, &sock, &["watch"]);
        assert!(answer.starts_with("0x82 "), "{answer}");
    }
    wait_record(&log, "4 refusals", |_| {
        events(&log)
            .iter()
            .filter(|e| **e == format!("deny:{mallory}"))
            .count()
            == 4
    });
    assert!(owner.screen().contains("watch<ESC>]0;pwned^G<U+202E>"));
    assert!(!owner.screen().contains("\x1b]0;pwned"));
    owner.send("\r");
    assert_eq!(owner.wait().code(), Some(0));
    assert_eq!(owner.screen().matches("was refused").count(), 1);
    let ev = events(&log);
    assert!(ev.contains(&format!("deny:{mallory}")), "{ev:?}");
    assert!(
        records(&log)
            .iter()
            .any(|r| matches!(&r.body, Body::Marker { by, .. } if by == bob))
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&log).unwrap().permissions());
    assert_eq!(
        mode & 0o777,
        0o640,
        "a shared dir's sessions are readable by the group"
    );
}

/// A HELLO sent as `user` by a client of their own (tests/data/hello_client.py); the
/// answer's type and payload.
fn raw_hello(user: &str, sock: &std::path::Path, args: &[&str]) -> String {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hello_client.py");
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("python3");
    let o = std::process::Command::new("runuser")
        .args(["-u", user, "--", python])
        .arg(script)
        .arg(sock)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}
