//! The socket swap, as an attacker does it: a second real user who can write the live
//! dir (or the dir above it) puts a fake session server where `watch` and `mark` look.
//! The client refuses it as "not a breakglass socket" and never sends it a byte: the fake
//! server reports what it received. A socket that looks right but is listened on by
//! someone else is refused after connecting, on the kernel's word (`SO_PEERCRED`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::hostile::Users;
use common::*;

const ID: &str = "bbbbbbbbbbbb";

/// The session file held as its live writer holds it (an exclusive flock), so the
/// client takes the session for a running one and goes on to its socket.
fn hold_live(dir: &Path) -> std::fs::File {
    let f = std::fs::File::open(dir.join("sessions").join(format!("{ID}.jsonl"))).unwrap();
    // SAFETY: flock on a valid fd this test owns; the lock goes with the fd.
    let r = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&f), libc::LOCK_EX) };
    assert_eq!(r, 0, "cannot lock the session file");
    f
}

/// A victim's data dir that the group `group` may write (live/ too), with one session file.
fn victim_dir(base: &Path, victim: &str, group: &str) -> PathBuf {
    let dir = base.join("data");
    for d in [dir.clone(), dir.join("sessions"), dir.join("live")] {
        std::fs::create_dir(&d).unwrap();
    }
    std::fs::write(dir.join("sessions").join(format!("{ID}.jsonl")), "").unwrap();
    let (uid, gid) = (Users::uid(victim), Users::gid(group));
    for p in [
        dir.clone(),
        dir.join("sessions"),
        dir.join("live"),
        dir.join("sessions").join(format!("{ID}.jsonl")),
    ] {
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
    }
    for d in [&dir, &dir.join("live")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o770)).unwrap();
    }
    dir
}

/// The fake server, run by `user`, listening at `path`.
fn fake_server(user: &str, path: &Path) -> (Child, BufReader<std::process::ChildStdout>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fake_server.py");
    let mut child = Command::new("runuser")
        .args(["-u", user, "--"])
        .arg(python())
        .arg(script)
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the fake server did not start");
    (child, out)
}

/// Stop the fake server; what it got: (connections, bytes).
fn received(mut child: Child, mut out: BufReader<std::process::ChildStdout>) -> String {
    drop(child.stdin.take());
    let mut text = String::new();
    out.read_to_string(&mut text).unwrap();
    child.wait().unwrap();
    text.trim().to_string()
}

/// `breakglass ARGS` as `user`, with `dir` as the data dir.
fn as_user(user: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new("runuser")
        .args(["-u", user, "--", "env"])
        .arg(format!("BREAKGLASS_DIR={}", dir.display()))
        .arg("BREAKGLASS_CONFIG=/dev/null")
        .arg(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn assert_refused(o: &Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{what}: {err}");
    assert!(
        err.contains("not a breakglass socket"),
        "{what} was not refused as a fake: {err}"
    );
}

/// A python3 that other users may run (not one under root's home).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn python_or_skip() -> bool {
    if Command::new(python()).arg("-V").output().is_ok() {
        return true;
    }
    common::skip::skip("python3 is not installed");
    false
}

#[test]
fn a_fake_socket_from_another_user_gets_nothing() {
    if !as_root() || !python_or_skip() {
        return;
    }
    let _users = Users::new(&["bgh-vic1", "bgh-mal1"], "bgh-swap1");
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = victim_dir(base.path(), "bgh-vic1", "bgh-swap1");
    let _live = hold_live(&dir);

    // 1. The live dir is writable by the group: mallory listens where the session would.
    let sock = dir.join("live").join(format!("{ID}.sock"));
    let (server, out) = fake_server("bgh-mal1", &sock);
    assert_refused(&as_user("bgh-vic1", &dir, &["watch", ID]), "watch");
    assert_refused(
        &as_user("bgh-vic1", &dir, &["watch", ID, "--operate"]),
        "watch --operate",
    );
    assert_refused(&as_user("bgh-vic1", &dir, &["mark", ID, "hello"]), "mark");
    assert_eq!(received(server, out), "connections 0 bytes 0");

    // 2. Mallory swaps the live dir itself for one of her own.
    std::fs::remove_file(&sock).unwrap();
    let st = Command::new("runuser")
        .args(["-u", "bgh-mal1", "--", "sh", "-c"])
        .arg("cd \"$1\" && mv live live.old && mkdir -m 755 live")
        .arg("sh")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success(), "the attacker could not swap the dir");
    let (server, out) = fake_server("bgh-mal1", &sock);
    let o = as_user("bgh-vic1", &dir, &["watch", ID]);
    assert_refused(&o, "watch in a swapped dir");
    assert_eq!(received(server, out), "connections 0 bytes 0");
}

#[test]
fn a_socket_listened_on_by_someone_else_is_refused_after_connecting() {
    if !as_root() {
        return;
    }
    let _users = Users::new(&["bgh-vic2"], "bgh-swap2");
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = victim_dir(base.path(), "bgh-vic2", "bgh-swap2");
    let _live = hold_live(&dir);
    // The dir and the socket file look right (the victim's, 0700), but the process
    // listening is root, not the victim: only SO_PEERCRED can tell.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(dir.join("live"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let sock = dir.join("live").join(format!("{ID}.sock"));
    let listener = UnixListener::bind(&sock).unwrap();
    std::os::unix::fs::lchown(&sock, Some(Users::uid("bgh-vic2")), None).unwrap();
    listener.set_nonblocking(true).unwrap();
    let victim = std::thread::spawn({
        let dir = dir.clone();
        move || as_user("bgh-vic2", &dir, &["watch", ID])
    });
    let start = Instant::now();
    let mut conn = loop {
        match listener.accept() {
            Ok((c, _)) => break c,
            Err(_) => {
                assert!(start.elapsed() < DEADLINE, "the client never connected");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    };
    conn.set_nonblocking(false).unwrap();
    let _ = conn.write_all(b"\x00\x00\x00\x02\x86!");
    let o = victim.join().unwrap();
    assert_refused(&o, "watch");
    conn.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut got = Vec::new();
    let _ = conn.read_to_end(&mut got);
    assert!(got.is_empty(), "the client sent {got:?} to a fake server");
}
