//! `breakglass extend`: a live session's time limit moved later by its owner or an
//! operator, recorded, told to everyone, never past `max_ttl`; refused with a reason to a
//! plain watcher, to someone with no rights, to the owner when the policy wants an
//! operator, and for a session that has ended; both verifiers on `extend` records.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use breakglass::log::chain::ZERO_HASH;
use breakglass::log::record::{Body, End, Extension, Genesis, Participant};
use breakglass::log::writer::LogWriter;
use common::tmux::Tmux;
use common::together::*;
use common::*;

/// How long past the old end the session must still be there.
const MARGIN: Duration = Duration::from_secs(5);

/// The `extend` records of a log: who, and what they carry.
fn extensions(log: &std::path::Path) -> Vec<(String, Extension)> {
    records(log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Participant(p) if p.event == "extend" => Some((p.who, p.extension?)),
            _ => None,
        })
        .collect()
}

/// Wait until the clock passes `at` (the old end plus a margin), polling it.
fn wait_past(at: Instant) {
    while Instant::now() < at {
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(out: &std::process::Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_owner_extends_past_the_old_limit_but_not_past_max_ttl() {
    let env = Env::new();
    env.write_config("max_ttl = \"2m\"\n");
    let mut pty = env.spawn(&["shell", "-r", "extend me", "--ttl", "20s", "--", "sh"]);
    pty.expect("time limit: 20s (ends at ");
    let id = live_session_id(&env);
    // The session started before its socket listened: its old end is before this.
    let old_end = Instant::now() + Duration::from_secs(20);

    let (code, out, err) = text(&env.run(&["extend", &id[..6], "30s"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("{id}: extended by 30s: the session now ends at ")),
        "{out}"
    );
    pty.expect("extended the session to ");
    pty.expect("(+30s): it now ends at ");

    let (code, out, err) = text(&env.run(&["extend", &id, "5m"]));
    assert_eq!(code, 1, "past max_ttl: {out}{err}");
    assert!(
        err.contains("+5m would end the session at") && err.contains("the latest end allowed is"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");

    wait_past(old_end + MARGIN);
    assert!(
        pty.child.try_wait().unwrap().is_none(),
        "the session ended at its old limit:\n{}",
        pty.screen()
    );
    assert!(!pty.screen().contains("time limit of"), "{}", pty.screen());
    pty.send("exit\r");
    pty.wait();

    let log = env.log();
    let ext = extensions(&log);
    assert_eq!(ext.len(), 1, "only the extension made is recorded: {ext:?}");
    assert_eq!(
        ext[0].1,
        Extension {
            ttl_s: 50,
            by_s: 30
        }
    );
    assert_eq!(end_of(&log).unwrap().cause, "exit");
    assert_verdict(&log, "VERIFIED");
    let (_, show, err) = text(&env.run(&["show", &id]));
    assert!(
        show.contains("extended the session to ") && show.contains("(+30s)"),
        "{show}{err}"
    );

    let (code, out, err) = text(&env.run(&["extend", &id, "1m"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&format!("session {id} has ended")), "{err}");
}

#[test]
fn a_session_waiting_for_its_operator_is_not_extended() {
    let env = Env::new();
    let mut pty = env.spawn(&["shell", "-r", "gate", "--require-operator", "--", "sh"]);
    let id = live_session_id(&env);
    let (code, out, err) = text(&env.run(&["extend", &id, "10m"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("waits for an operator to join"), "{err}");
    pty.send("\x03");
    pty.wait();
    assert!(extensions(&env.log()).is_empty());
}

/// A bastion with `dev`'s session (`--ttl ttl`, `shell_args`) and its id, `config` as
/// the policy; the users are `dev`, `ops` (operator), `pl` (plain watcher) and `nobody`.
struct Bastion {
    t: Tmux,
    shared: Shared,
    id: String,
    names: [String; 4],
    _users: Users,
}

fn bastion(env: &Env, tag: &str, config: &str, ttl: &str) -> Bastion {
    let names = ["dev", "ops", "pl", "nob"].map(|n| format!("bgx-{n}{tag}"));
    let [dev, ops, pl, _] = &names;
    let users = Users::new(
        &format!("bgx-ex{tag}"),
        &names.each_ref().map(|s| s.as_str()),
    );
    env.write_config(config);
    let shared = shared_dir(env, &format!("bgx-ex{tag}"));
    let t = Tmux::start(env.tmp.path(), &pane_env(env)).expect("tmux");
    t.new_window_sized("wat", &Tmux::shell_cmd(&pane_env(env)), 100, 30);
    t.wait_in("main", "$");
    t.send(&as_user(
        env,
        &shared,
        dev,
        &format!("shell -r extend-test --ttl {ttl} --operators {ops} --watchers {pl} -- sh"),
    ));
    t.wait_in("main", "RECORDING session");
    let id = shared_session_id(&shared);
    Bastion {
        t,
        shared,
        id,
        names,
        _users: users,
    }
}

impl Bastion {
    /// `breakglass extend ID by` as `user`: exit status, stdout, stderr.
    fn extend(&self, env: &Env, user: &str, by: &str) -> (i32, String, String) {
        let line = as_user(env, &self.shared, user, &format!("extend {} {by}", self.id));
        text(&procs::output_within(
            Command::new("sh")
                .arg("-c")
                .arg(line)
                .stdin(std::process::Stdio::null()),
            DEADLINE,
        ))
    }

    fn log(&self) -> std::path::PathBuf {
        self.shared
            .join("sessions")
            .join(format!("{}.jsonl", self.id))
    }

    fn live(&self) -> bool {
        self.shared
            .join("live")
            .join(format!("{}.sock", self.id))
            .exists()
    }
}

#[test]
fn owner_and_operator_extend_a_shared_session_and_everyone_is_told() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let b = bastion(&env, "a", "max_ttl = \"3m\"\n", "20s");
    let old_end = Instant::now() + Duration::from_secs(20);
    let [dev, ops, pl, nob] = &b.names;
    let t = &b.t;
    t.send_to(
        "wat",
        &as_user(&env, &b.shared, ops, &format!("watch {}", b.id)),
    );
    t.wait_in("main", &format!("{ops} is now watching"));

    let (code, out, err) = b.extend(&env, dev, "30s");
    assert_eq!(code, 0, "the owner: {out}{err}");
    assert!(
        out.contains("extended by 30s: the session now ends at"),
        "{out}"
    );
    let said = format!("{dev} extended the session to ");
    t.wait_in("main", &said);
    t.wait_in("wat", &said);
    t.wait_in("wat", "(+30s): it now ends at ");

    let (code, out, err) = b.extend(&env, ops, "10s");
    assert_eq!(code, 0, "an operator: {out}{err}");
    t.wait_in("wat", &format!("{ops} extended the session to "));

    let (code, out, err) = b.extend(&env, pl, "10s");
    assert_eq!(code, 1, "a plain watcher: {out}{err}");
    assert!(
        err.contains("only the session's owner and its operators may extend it"),
        "{err}"
    );
    let (code, out, err) = b.extend(&env, nob, "10s");
    assert_eq!(code, 1, "neither: {out}{err}");
    assert!(
        err.contains(&format!("{nob} may not extend this session")),
        "{err}"
    );
    let (code, out, err) = b.extend(&env, dev, "5m");
    assert_eq!(code, 1, "past max_ttl: {out}{err}");
    assert!(err.contains("the latest end allowed is"), "{err}");

    wait_past(old_end + MARGIN);
    assert!(b.live(), "the session ended at its old limit");
    assert!(!t.screen_of("main").contains("time limit of"));
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");

    let log = b.log();
    let ext = extensions(&log);
    assert_eq!(
        ext,
        vec![
            (
                dev.clone(),
                Extension {
                    ttl_s: 50,
                    by_s: 30
                }
            ),
            (
                ops.clone(),
                Extension {
                    ttl_s: 60,
                    by_s: 10
                }
            ),
        ]
    );
    let events = participant_events(&log);
    for want in [format!("deny:{pl}"), format!("deny:{nob}")] {
        assert!(events.contains(&want), "{want} not in {events:?}");
    }
    assert_verdict(&log, "VERIFIED");
    let show = text(&procs::output_within(
        Command::new(bin())
            .arg("show")
            .arg(&log)
            .env("BREAKGLASS_DIR", &*b.shared)
            .stdin(std::process::Stdio::null()),
        DEADLINE,
    ));
    assert!(
        show.1.contains(&said) && show.1.contains("(+30s)"),
        "{show:?}"
    );

    let (code, out, err) = b.extend(&env, dev, "1m");
    assert_eq!(code, 2, "ended: {out}{err}");
    assert!(err.contains("has ended"), "{err}");
}

#[test]
fn with_extend_requires_operator_the_owner_is_refused_and_an_operator_is_not() {
    if !as_root() {
        return;
    }
    let env = Env::new();
    let b = bastion(&env, "o", "extend_requires_operator = true\n", "5m");
    let [dev, ops, ..] = &b.names;
    let (code, out, err) = b.extend(&env, dev, "30m");
    assert_eq!(code, 1, "the owner: {out}{err}");
    assert!(
        err.contains("only an operator may extend this session") && !err.trim_end().contains('\n'),
        "{err}"
    );
    let (code, out, err) = b.extend(&env, ops, "30m");
    assert_eq!(code, 0, "an operator: {out}{err}");
    b.t.wait_in("main", &format!("{ops} extended the session to "));
    b.t.send("exit");
    b.t.wait_in("main", "verify: breakglass verify");
    let log = b.log();
    assert_eq!(extensions(&log).len(), 1);
    assert!(participant_events(&log).contains(&format!("deny:{dev}")));
    assert_verdict(&log, "VERIFIED");
}

/// A log with `events` as participant records after the genesis (limit `ttl_s`), and an end.
fn log_with(
    dir: &std::path::Path,
    id: &str,
    ttl_s: Option<u64>,
    events: Vec<Participant>,
) -> std::path::PathBuf {
    let path = dir.join(format!("{id}.jsonl"));
    let g = Genesis {
        v: 1,
        session: id.into(),
        user: "alice".into(),
        reason: "INC-1 extend".into(),
        command: vec!["sh".into()],
        started: "2026-11-22T03:00:00.000001Z".into(),
        ttl_s,
        tool: "breakglass 0.1.0".into(),
        ..Genesis::default()
    };
    let f = std::fs::File::create_new(&path).unwrap();
    let mut w = LogWriter::create(f, g, ZERO_HASH).unwrap();
    for (i, p) in events.into_iter().enumerate() {
        w.append(10 + i as u64, Body::Participant(p)).unwrap();
    }
    let end = End {
        cause: "ttl".into(),
        exit: None,
        signal: Some("SIGHUP".into()),
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        ended: "2026-11-22T04:30:00Z".into(),
        seal: None,
    };
    w.finish(100, end).unwrap();
    path
}

fn extend(ttl_s: u64, by_s: u64) -> Participant {
    Participant {
        event: "extend".into(),
        who: "ops".into(),
        uid: Some(1002),
        mode: None,
        extension: Some(Extension { ttl_s, by_s }),
    }
}

#[test]
fn both_verifiers_accept_extensions_that_add_up_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = log_with(
        dir,
        "aaaaaaaaaaaa",
        Some(3600),
        vec![extend(5400, 1800), extend(5460, 60)],
    );
    assert_verdict(&good, "VERIFIED");
    let unlimited = log_with(dir, "bbbbbbbbbbbb", None, vec![extend(5400, 1800)]);
    assert_verdict(&unlimited, "VERIFIED");
    let mut on_join = extend(5400, 1800);
    on_join.event = "join".into();
    let mut with_mode = extend(5400, 1800);
    with_mode.mode = Some("operate".into());
    let mut no_uid = extend(5400, 1800);
    no_uid.uid = None;
    for (id, events) in [
        ("cccccccccccc", vec![extend(5400, 1800), extend(9000, 60)]),
        ("dddddddddddd", vec![on_join]),
        ("eeeeeeeeeeee", vec![with_mode]),
        ("ffffffffffff", vec![no_uid]),
        ("gggggggggggg", vec![extend(3600, 0)]),
    ] {
        let bad = log_with(dir, id, Some(3600), events);
        assert_verdict(&bad, "TAMPERED");
    }
}
