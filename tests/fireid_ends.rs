//! How fire id sessions fail and end, against a real OpenSSH server on loopback: each
//! failure is one line with the fix and leaves no key; the time limit, an operator's kill
//! and a hangup destroy the key; hosts without a fire id keep the user's own ssh; and the
//! time a fire id adds to a session's start (bench/fireid-start.sh).

mod common;

use std::process::Command;

use common::fireid::*;
use common::installed::as_user;
use common::*;

/// Run a fire id session with no terminal on stdin; its exit code and stderr.
fn attempt(b: &FireBastion) -> (Option<i32>, String) {
    let out = b.inst.run(&b.dev, &["shell", HOST, "-r", "attempt"]);
    (out.status.code(), text(&out).1)
}

/// The one `breakglass:` line of a failed attempt, checked to contain `want`.
fn one_line(stderr: &str, want: &str) {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("breakglass: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(want), "{stderr}");
}

#[test]
fn fire_id_failures_are_one_line_with_the_fix_and_leave_nothing() {
    if !as_root() || !have_openssh() {
        return;
    }
    let mut b = FireBastion::new("bgfb", "");
    // The CA public key for hosts; only root makes the CA.
    let out = b.inst.run(&b.dev, &["ca", "pubkey"]);
    let printed = text(&out).0;
    let stored = std::fs::read_to_string(b.inst.policy_dir().join("ca.pub")).unwrap();
    assert!(printed.starts_with("ssh-ed25519 ") && stored.starts_with(printed.trim()));
    let out = b.inst.run(&b.dev, &["ca", "init"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    // Run again, init keeps the key.
    assert!(text(&b.ca_init()).0.contains("kept"));
    let sessions = b.inst.sessions().len();

    let ca = b.inst.data().join("keys/ca.key");
    let aside = b.inst.data().join("keys/ca.key.aside");
    std::fs::rename(&ca, &aside).unwrap();
    // (With no ssh on the user's PATH: breakglass runs its own, by absolute path.)
    let out = b
        .inst
        .cmd(&b.dev)
        .env("PATH", "/nonexistent")
        .args(["shell", HOST, "-r", "attempt"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    one_line(&text(&out).1, "run `breakglass ca init`");
    std::fs::rename(&aside, &ca).unwrap();
    nix::unistd::chown(&ca, Some(nix::unistd::Uid::from_raw(0)), None).unwrap();
    let (code, err) = attempt(&b);
    assert_ne!(code, Some(0));
    one_line(&err, "cannot read the fire id CA key");
    b.ca_init();
    assert_eq!(b.inst.sessions().len(), sessions, "a session without a CA");
    assert!(b.fire_left().is_empty());

    // The host key: unknown, then changed.
    b.write_known_hosts("");
    let (code, err) = attempt(&b);
    assert_eq!(code, Some(255));
    one_line(&err, "is unknown or has changed");
    assert!(err.contains("ssh-keyscan -p"), "{err}");
    let other = tempfile::tempdir().unwrap();
    keygen(&other.path().join("k"));
    let key = std::fs::read_to_string(other.path().join("k.pub")).unwrap();
    let line = b.sshd().known_hosts_line();
    let host = line.split_whitespace().next().unwrap();
    b.write_known_hosts(&format!("{host} {}\n", key.trim()));
    let (code, err) = attempt(&b);
    assert_eq!(code, Some(255));
    one_line(&err, "is unknown or has changed");
    assert!(b.fire_left().is_empty());

    // The host does not let the fire id in with this certificate.
    b.write_known_hosts(&line);
    b.sshd().allow(&b.ff, &["somebody-else"]);
    let (code, err) = attempt(&b);
    assert_eq!(code, Some(255));
    one_line(&err, &format!("refused fire id `{}`", b.ff));
    assert!(
        err.contains("TrustedUserCAKeys") && err.contains("clock"),
        "{err}"
    );
    assert!(b.fire_left().is_empty());
    let ca = b.inst.data().join("keys/ca.key");
    assert!(private_keys_under(b.inst.root(), &ca).is_empty());

    // The host's clock is two hours behind: the certificate is not yet valid there.
    if let Some(lib) = faketime_lib() {
        let ca_pub = b.inst.policy_dir().join("ca.pub");
        b.use_sshd(sshd_with_clock(&ca_pub, None, Some((&lib, "-7200"))), "");
        let (code, err) = attempt(&b);
        assert_eq!(code, Some(255));
        one_line(&err, "a clock within 60 s of this bastion's");
        wait_until("sshd to say why", || {
            b.sshd().log().contains("not yet valid")
        });
        assert!(b.fire_left().is_empty());
    }

    // A fire id host runs a terminal only.
    let out = b.inst.run(&b.dev, &["shell", HOST, "-r", "x", "--", "id"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("drop `-- COMMAND`"));
}

/// End a live session as an operator would (root always may): HELLO to operate, then KILL.
fn operator_kill(b: &FireBastion, id: &str) {
    use breakglass::live::protocol::{self, Hello, kind};
    let sock = b.inst.data().join("live").join(format!("{id}.sock"));
    let mut s = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    let hello = Hello {
        v: protocol::VERSION,
        mode: "operate".into(),
        save: false,
        text: None,
        by_s: None,
    };
    protocol::write_frame(&mut s, kind::HELLO, &serde_json::to_vec(&hello).unwrap()).unwrap();
    let welcome = protocol::read_frame(&mut s).unwrap().unwrap();
    assert_eq!(welcome.kind, kind::WELCOME);
    protocol::write_frame(&mut s, kind::KILL, b"").unwrap();
}

#[test]
fn the_time_limit_an_operator_and_a_hangup_end_the_session_and_destroy_the_key() {
    if !as_root() || !have_openssh() {
        return;
    }
    let b = FireBastion::new("bgfc", "");
    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "ttl", "--ttl", "3s"]);
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));
    pty.wait();
    let log = log_of(&b, &id);
    assert_eq!(end_of(&log).unwrap().cause, "ttl");
    let c = breakglass::store::read_genesis(&log).unwrap().cert.unwrap();
    assert_eq!(c.valid_before - c.valid_after, 3 + 60 + 60);
    assert!(b.fire_left().is_empty(), "{:?}", b.fire_left());

    // A hangup ends the session at once only without a grace period (by default the
    // session is held for `breakglass attach`: tests/attach.rs).
    let policy = std::fs::read_to_string(b.inst.policy()).unwrap();
    std::fs::write(b.inst.policy(), format!("grace = \"0s\"\n{policy}")).unwrap();
    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "hangup"]);
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));
    pty.signal(libc::SIGHUP);
    pty.wait();
    let log = log_of(&b, &id);
    assert_eq!(end_of(&log).unwrap().cause, "hangup");
    assert!(b.fire_left().is_empty(), "{:?}", b.fire_left());
    assert!(ssh_pid(&id).is_none(), "ssh outlived its session");

    // A recorder killed outright cannot remove its key: the next session does, once the
    // leftover is older than a session start can take.
    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "sigkill"]);
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));
    pty.signal(libc::SIGKILL);
    pty.wait();
    let left = b.fire_dir().join(&id);
    assert!(left.join("key").exists());
    let aged = Command::new("touch")
        .args(["-d", "2 minutes ago"])
        .arg(&left)
        .status()
        .unwrap();
    assert!(aged.success());
    wait_until("the killed session's ssh to go", || ssh_pid(&id).is_none());

    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "operator"]);
    wait_until("the leftover to be swept", || !left.exists());
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));
    operator_kill(&b, &id);
    pty.wait();
    assert_eq!(end_of(&log_of(&b, &id)).unwrap().cause, "killed");
    assert!(b.fire_left().is_empty(), "{:?}", b.fire_left());
    assert!(ssh_pid(&id).is_none(), "ssh outlived its session");
}

#[test]
fn hosts_without_a_fire_id_say_they_use_your_own_ssh() {
    let env = Env::new();
    env.write_config(
        "known_hosts = \"/nonexistent/known_hosts\"\n[hosts.fire]\naddress = \"127.0.0.1\"\nfire_id = \"ff\"\n",
    );
    // Personal mode has no CA that the user cannot read: refused before anything runs.
    let out = env.run(&["shell", "fire", "-r", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("only installed breakglass"),
        "{:?}",
        text(&out)
    );
    assert!(env.logs().is_empty());
    let out = env.run(&["shell", "nohost.invalid", "-r", "x"]);
    let err = text(&out).1;
    assert!(
        err.contains("on nohost.invalid with your own ssh credentials (no fire_id"),
        "{err}"
    );
}

/// One session start of `host`: from starting breakglass to the remote shell's first
/// answer.
fn one_start(b: &FireBastion, host: &str) -> std::time::Duration {
    let t = std::time::Instant::now();
    let mut pty = Pty::spawn(
        b.inst.cmd(&b.dev).args(["shell", host, "-r", "bench"]),
        100,
        30,
    );
    pty.send("echo R$((40+2))\r");
    pty.expect("R42");
    let took = t.elapsed();
    pty.send("exit\r");
    pty.wait();
    took
}

fn median(mut v: Vec<std::time::Duration>) -> std::time::Duration {
    v.sort();
    v[v.len() / 2]
}

/// The time fire id adds to a session's start, against the same session with the
/// developer's own key (bench/fireid-start.sh runs it).
#[test]
#[ignore]
fn start_time_with_and_without_a_fire_id() {
    if !as_root() || !have_openssh() {
        return;
    }
    const RUNS: usize = 10;
    let b = FireBastion::new("bgfd", "");
    let home = b.inst.home(&b.dev);
    let key = home.join("id_bench");
    let made = as_user(&b.dev, "ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let own = sshd(
        &b.inst.policy_dir().join("ca.pub"),
        Some(&home.join("id_bench.pub")),
    );
    let config = home.join("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host own\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n",
            own.port,
            b.dev,
            key.display()
        ),
    )
    .unwrap();
    b.write_policy(
        b.sshd().port,
        &format!(
            "\n[hosts.own]\ncommand = [\"ssh\", \"-F\", \"{}\", \"-t\", \"own\"]\n",
            config.display()
        ),
    );
    // Interleaved, so a change of load on the machine weighs on both alike.
    let (mut own, mut fire) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        own.push(one_start(&b, "own"));
        fire.push(one_start(&b, HOST));
    }
    let (own, fire) = (median(own), median(fire));
    eprintln!(
        "session start, median of {RUNS}: own key {own:?}, fire id {fire:?}, added {:?}",
        fire.saturating_sub(own)
    );
}

#[test]
fn the_independent_verifier_takes_the_certificate_fields_all_or_none() {
    use breakglass::log::record::{Body, CertBinding, Genesis, Record, encode};
    let genesis = Genesis {
        v: 1,
        session: "xq34jpzvs6wp".into(),
        host: "prod-db1".into(),
        user: "alice".into(),
        command: vec!["/usr/bin/ssh".into()],
        term: "xterm".into(),
        started: "2026-11-30T05:30:00.000000Z".into(),
        tool: "breakglass 0.1.0".into(),
        cert: Some(CertBinding {
            serial: "0ccd1a9b5e27f32b".into(),
            key_id: "breakglass:xq34jpzvs6wp:alice:".into(),
            principals: vec!["firefighter".into()],
            valid_after: 1_795_930_140,
            valid_before: 1_795_930_860,
            ca: "SHA256:f7iV6eu8A+lcS883fnAapSYH6HlbxV5nZyNMLpXov9I".into(),
        }),
        ..Genesis::default()
    };
    let record = Record {
        seq: 0,
        t: 0,
        prev: [0; 32],
        body: Body::Genesis(Box::new(genesis)),
    };
    let mut line = Vec::new();
    encode(&record, &mut line);
    let whole = String::from_utf8(line).unwrap();
    let partial = whole.replace(r#","cert_serial":"0ccd1a9b5e27f32b""#, "");
    assert_ne!(whole, partial);
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [(&whole, "INTERRUPTED"), (&partial, "TAMPERED")] {
        let file = dir.path().join("xq34jpzvs6wp.jsonl");
        std::fs::write(&file, format!("{text}\n")).unwrap();
        let got = python_verdict(&file, None);
        assert!(got.is_empty() || got == want, "{want}: {got}");
        assert_verdict(&file, want);
    }
}
