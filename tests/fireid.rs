//! Fire id against a real OpenSSH server on loopback: a "production" sshd that trusts
//! only the breakglass CA, a developer (useradd) with no key it accepts, and the binary
//! installed setuid to a service user. The developer gets a shell as the fire id only
//! through `breakglass shell`, never holds the key, and nothing of it outlives the session.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::fireid::*;
use common::installed::{as_user, uid_of};
use common::*;

/// Stdout and stderr of a finished command, as text.
fn text(out: &Output) -> (String, String) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (s(&out.stdout), s(&out.stderr))
}

/// Whether `line` succeeded run by `user`, and what it printed.
fn try_as(user: &str, line: &str) -> (bool, String) {
    let out = as_user(user, "/bin/sh")
        .args(["-c", line])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), text(&out).0)
}

/// Assert that `line` run by `user` fails and prints nothing.
fn refused(user: &str, line: &str) {
    let (ok, out) = try_as(user, line);
    assert!(!ok && out.is_empty(), "{line}: {out}");
}

/// Wait for the session's private dir; the session id.
fn session_dir(b: &FireBastion) -> String {
    wait_until("a fire id session", || !b.fire_left().is_empty());
    let first = b.fire_left().remove(0);
    first.file_name().unwrap().to_string_lossy().into_owned()
}

/// Start a session as the developer in a PTY of the test's; the PTY and the session id.
fn start(b: &FireBastion, args: &[&str]) -> (Pty, String) {
    let pty = Pty::spawn(b.inst.cmd(&b.dev).args(args), 100, 30);
    let id = session_dir(b);
    (pty, id)
}

/// The log of session `id`.
fn log_of(b: &FireBastion, id: &str) -> std::path::PathBuf {
    let all = b.inst.sessions();
    all.into_iter()
        .find(|p| p.to_string_lossy().contains(id))
        .expect("the session's log")
}

/// `ssh-keygen -L` of a certificate file.
fn keygen_list(cert: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-L")
        .arg("-f")
        .arg(cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    text(&out).0
}

/// `date` of Unix seconds as ssh-keygen -L prints validity (local time).
fn keygen_time(secs: u64) -> String {
    let out = Command::new("date")
        .arg("-d")
        .arg(format!("@{secs}"))
        .arg("+%Y-%m-%dT%H:%M:%S")
        .output()
        .unwrap();
    text(&out).0.trim().to_string()
}

/// The value after `label` on its own line of ssh-keygen -L output.
fn field<'a>(listing: &'a str, label: &str) -> &'a str {
    listing
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("{label} in {listing}"))
        .trim()
}

/// Attacks the developer can try while a session is live; each must fail.
fn developer_cannot_reach_the_key(b: &FireBastion, id: &str) {
    let dir = b.fire_dir().join(id);
    let ca = b.inst.data().join("keys/ca.key");
    for path in [dir.join("key"), dir.join("key-cert.pub"), ca.clone()] {
        refused(&b.dev, &format!("cat '{}'", path.display()));
    }
    refused(&b.dev, &format!("ls '{}'", b.fire_dir().display()));
    let pid = ssh_pid(id).expect("the session's ssh");
    let svc = uid_of(&b.svc);
    assert_eq!(uids(pid), vec![svc; 4], "ssh runs as the service user");
    for what in ["environ", "mem", "maps"] {
        refused(&b.dev, &format!("head -c 64 /proc/{pid}/{what}"));
    }
    let (_, fds) = try_as(&b.dev, &format!("cat /proc/{pid}/fd/* 2>&1 | head -c 4096"));
    assert!(!fds.contains("PRIVATE"), "{fds}");
    refused(&b.dev, &format!("ls /proc/{pid}/fd"));
    refused(&b.dev, &format!("kill -STOP {pid}"));
    // The environment of ssh is breakglass's own, nothing of the developer's.
    let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let mut names: Vec<String> = env
        .split(|&b| b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v.split(|&b| b == b'=').next().unwrap()).into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["BREAKGLASS_SESSION", "HOME", "PATH", "TERM"]);
    // No agent: nothing to connect to.
    assert!(!String::from_utf8_lossy(&env).contains("SSH_AUTH_SOCK"));
}

#[test]
fn the_developer_gets_the_fire_id_only_through_breakglass_and_never_the_key() {
    if !as_root() || !have_openssh() {
        return;
    }
    let b = FireBastion::new("bgfa", "source_address = [\"127.0.0.1/32\"]\n");
    let port = b.sshd().port.to_string();
    // Plain ssh with the developer's own means: refused.
    let plain = as_user(&b.dev, "ssh")
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", "-p", &port])
        .arg(format!("{}@127.0.0.1", b.ff))
        .arg("id -un")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(plain.status.code(), Some(255));
    assert!(!text(&plain).0.contains(&b.ff));

    let args = ["shell", HOST, "-r", "lag", "-t", "INC-7", "--ttl", "10m"];
    let (mut pty, id) = start(&b, &args);
    pty.expect(&format!("on {HOST} as {} until ", b.ff));
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));

    // The certificate as ssh-keygen sees it.
    let cert = b.fire_dir().join(&id).join("key-cert.pub");
    let listing = keygen_list(&cert);
    let key_id = format!("breakglass:{id}:{}:INC-7", b.dev);
    assert_eq!(field(&listing, "Key ID:"), format!("\"{key_id}\""));
    assert!(listing.contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate"));
    let principals = listing.split("Principals:").nth(1).unwrap();
    assert_eq!(
        principals.split("Critical Options:").next().unwrap().trim(),
        b.ff
    );
    let extensions = listing.split("Extensions:").nth(1).unwrap().trim();
    assert_eq!(extensions, "permit-pty");
    assert!(listing.contains("source-address 127.0.0.1/32"));

    developer_cannot_reach_the_key(&b, &id);

    // Escapes are plain text: `~C` opens no command line, `~.` does not disconnect.
    pty.send("\r~C\r");
    pty.send("\r~.\r");
    pty.send("echo STILL-$((40+2))\r");
    pty.expect("STILL-42");
    assert!(!pty.screen().contains("ssh>"), "an ssh command line opened");
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());

    // The genesis binds the certificate, as issued.
    let log = log_of(&b, &id);
    let g = breakglass::store::read_genesis(&log).unwrap();
    let c = g.cert.clone().expect("the genesis binds the certificate");
    assert_eq!(c.key_id, key_id);
    assert_eq!(c.principals, std::slice::from_ref(&b.ff));
    assert_eq!(c.valid_before - c.valid_after, 600 + 60 + 60);
    assert_eq!(
        field(&listing, "Serial:"),
        u64::from_str_radix(&c.serial, 16).unwrap().to_string()
    );
    assert_eq!(
        field(&listing, "Valid:"),
        format!(
            "from {} to {}",
            keygen_time(c.valid_after),
            keygen_time(c.valid_before)
        )
    );
    let ca_fp = Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(b.inst.policy_dir().join("ca.pub"))
        .output()
        .unwrap();
    assert!(text(&ca_fp).0.contains(&c.ca), "{}", c.ca);
    assert!(field(&listing, "Signing CA:").contains(&c.ca));
    let verify = b.inst.run("root", &["verify", &id]);
    assert!(text(&verify).0.contains("VERIFIED"), "{:?}", text(&verify));
    let independent = python_verdict(&log, None);
    assert!(
        independent.is_empty() || independent == "VERIFIED",
        "{independent}"
    );

    // sshd's log names the session in the key id.
    wait_until("the key id in sshd's log", || {
        b.sshd().log().contains(&key_id)
    });

    // Nothing of the key outlives the session.
    assert!(b.fire_left().is_empty(), "{:?}", b.fire_left());
    let ca = b.inst.data().join("keys/ca.key");
    assert!(private_keys_under(b.inst.root(), &ca).is_empty());

    // A second session: another key, another serial.
    let (mut pty, id2) = start(&b, &["shell", HOST, "-r", "again", "-t", "INC-8"]);
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    let log2 = log_of(&b, &id2);
    let c2 = breakglass::store::read_genesis(&log2)
        .unwrap()
        .cert
        .unwrap();
    assert_ne!(c2.serial, c.serial);
    assert_eq!(c2.ca, c.ca);
    let fp = |id: &str| {
        let log = b.sshd().log();
        let line = log
            .lines()
            .find(|l| l.contains(id) && l.contains("Accepted publickey"))
            .unwrap()
            .to_string();
        line.split("ED25519-CERT ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    assert_ne!(fp(&id), fp(&id2), "the same key twice");
    assert!(b.fire_left().is_empty());
}

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
    let b = FireBastion::new("bgfb", "");
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
    let (code, err) = attempt(&b);
    assert_ne!(code, Some(0));
    one_line(&err, "run `breakglass ca init`");
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

    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "hangup"]);
    pty.send("echo U=$(id -un)\r");
    pty.expect(&format!("U={}", b.ff));
    pty.signal(libc::SIGHUP);
    pty.wait();
    let log = log_of(&b, &id);
    assert_eq!(end_of(&log).unwrap().cause, "hangup");
    assert!(b.fire_left().is_empty(), "{:?}", b.fire_left());
    assert!(ssh_pid(&id).is_none(), "ssh outlived its session");

    let (mut pty, id) = start(&b, &["shell", HOST, "-r", "operator"]);
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
