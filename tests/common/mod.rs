//! Test harness: run the built binary in a real PTY with a private data dir, read what it
//! shows, type into it, and read its log back.
#![allow(dead_code)]

pub mod fireid;
pub mod hostile;
pub mod installed;
pub mod procs;
pub mod python;
pub mod radosgw;
pub mod recorded;
pub mod rsyslog;
pub mod screen;
pub mod sealed;
pub mod serial;
pub mod signing;
pub mod skip;
pub mod tmux;
pub mod together;
pub mod users;
pub mod verdicts;
pub mod waits;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use breakglass::log::record::{Body, Record};
use nix::pty::{Winsize, openpty};
use nix::sys::termios::{self, Termios};

/// How long any wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_breakglass"))
}

/// A private data dir and config for one test.
pub struct Env {
    pub tmp: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("config.toml"), "").unwrap();
        Env { tmp }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.tmp.path().join("config.toml")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    /// A command for the binary with this env's data dir and config.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.env("BREAKGLASS_DIR", self.dir())
            .env("BREAKGLASS_CONFIG", self.config())
            .env("SHELL", "/bin/sh")
            .env("TERM", "xterm-256color");
        c
    }

    /// Run without a terminal; stdin is /dev/null. Fails if it does not end in time.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        procs::output_within(self.cmd().args(args).stdin(Stdio::null()), DEADLINE)
    }

    /// The session files, oldest first by name order of creation time.
    pub fn logs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.dir().join("sessions"))
            .map(|rd| rd.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        v
    }

    /// The only session log.
    pub fn log(&self) -> PathBuf {
        let logs = self.logs();
        assert_eq!(logs.len(), 1, "expected one session log, found {logs:?}");
        logs[0].clone()
    }

    /// Start the binary in a new PTY.
    pub fn spawn(&self, args: &[&str]) -> Pty {
        Pty::spawn(self.cmd().args(args), 100, 30)
    }
}

/// The binary running in a PTY the test owns.
pub struct Pty {
    pub child: Child,
    pub master: File,
    /// The slave side, kept open to read the terminal settings after the child is gone.
    pub slave: OwnedFd,
    pub original: Termios,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    pub fn spawn(cmd: &mut Command, cols: u16, rows: u16) -> Pty {
        let ws = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&ws), None).unwrap();
        let original = termios::tcgetattr(&pty.slave).unwrap();
        cmd.stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave.try_clone().unwrap()));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        let master = File::from(pty.master);
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            child,
            master,
            slave: pty.slave,
            original,
            out,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Everything shown so far, lossily as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    pub fn output_len(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    /// Wait until the output contains `needle`.
    pub fn expect(&self, needle: &str) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if self.screen().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "timed out waiting for {needle:?}; screen so far:\n{}",
            self.screen()
        );
    }

    pub fn send(&mut self, s: &str) {
        self.master.write_all(s.as_bytes()).unwrap();
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        let ws = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads the struct we pass for the duration of the call.
        unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Wait for the binary to exit (with the deadline), then for everything it showed.
    pub fn wait(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                self.drain();
                return st;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "breakglass did not exit; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The terminal settings now, to compare with [`Pty::original`].
    pub fn termios_now(&self) -> Termios {
        termios::tcgetattr(&self.slave).unwrap()
    }
}

/// Whether two terminal settings are the same.
pub fn same_termios(a: &Termios, b: &Termios) -> bool {
    a.input_flags == b.input_flags
        && a.output_flags == b.output_flags
        && a.control_flags == b.control_flags
        && a.local_flags == b.local_flags
        && a.control_chars == b.control_chars
}

/// Every record of a log (complete lines only).
pub fn records(path: &Path) -> Vec<Record> {
    let data = std::fs::read(path).unwrap();
    data.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map_while(|l| breakglass::log::parse::decode(l).ok())
        .collect()
}

/// All output bytes of a log, in order.
pub fn output_bytes(path: &Path) -> Vec<u8> {
    records(path)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Output(d) => d.bytes().map(|b| b.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The end record of a log, if any.
pub fn end_of(path: &Path) -> Option<breakglass::log::record::End> {
    records(path).into_iter().find_map(|r| match r.body {
        Body::End(x) => Some(x),
        _ => None,
    })
}

/// The verdict of `breakglass verify FILE --json`, with its exit status.
pub fn verify_file(path: &Path) -> (String, i32, serde_json::Value) {
    let out = procs::output_within(
        Command::new(bin())
            .args(["verify", "--json"])
            .arg(path)
            .env("BREAKGLASS_DIR", path.parent().unwrap().parent().unwrap())
            .stdin(Stdio::null()),
        DEADLINE,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let j: serde_json::Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.get("session").is_some())
        .unwrap_or_else(|| {
            panic!(
                "no verdict in {text:?} / {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (
        j["verdict"].as_str().unwrap().to_string(),
        out.status.code().unwrap(),
        j,
    )
}

/// The verdict of the independent Python verifier, written from docs/FORMAT.md alone;
/// empty where python3 is missing outside CI. With a ledger, the ledger itself must verify
/// ([`python::verify`] gives the whole report, with the listed flag).
pub fn python_verdict(path: &Path, ledger: Option<&Path>) -> String {
    let Some(run) = python::verify(path, ledger) else {
        return String::new();
    };
    if let Some(l) = &run.ledger {
        assert_eq!(l.verdict, "VERIFIED", "the ledger: {}", l.json);
    }
    run.file.verdict
}

/// Both verifiers agree on `path`, and the verdict is `expected`.
pub fn assert_verdict(path: &Path, expected: &str) {
    let (v, _, j) = verify_file(path);
    assert_eq!(v, expected, "breakglass verify: {j}");
    let py = python_verdict(path, None);
    if !py.is_empty() {
        assert_eq!(
            py,
            expected,
            "independent verifier disagrees on {}",
            path.display()
        );
    }
}

/// The id of the only session (from its file name).
pub fn session_id(env: &Env) -> String {
    let start = Instant::now();
    loop {
        if let Some(p) = env.logs().first() {
            return p.file_stem().unwrap().to_string_lossy().into_owned();
        }
        assert!(start.elapsed() < DEADLINE, "no session started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The id of the session once its live socket is listening (the log comes first).
pub fn live_session_id(env: &Env) -> String {
    let id = session_id(env);
    let sock = env.dir().join("live").join(format!("{id}.sock"));
    let start = Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < DEADLINE, "the session never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    id
}

/// Wait until the session's log has a record matching `pred`.
pub fn wait_record(path: &Path, what: &str, pred: impl Fn(&Body) -> bool) {
    let start = Instant::now();
    while !records(path).iter().any(|r| pred(&r.body)) {
        assert!(start.elapsed() < DEADLINE, "no {what} record in the log");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A raw client on a live session's socket: say hello in `mode`, return the stream and
/// the first answer.
pub fn live_client(
    env: &Env,
    id: &str,
    mode: &str,
) -> (
    std::os::unix::net::UnixStream,
    breakglass::live::protocol::Frame,
) {
    use breakglass::live::protocol::{self, Hello, kind};
    let sock = env.dir().join("live").join(format!("{id}.sock"));
    let start = Instant::now();
    let mut s = loop {
        match std::os::unix::net::UnixStream::connect(&sock) {
            Ok(s) => break s,
            Err(e) => {
                assert!(
                    start.elapsed() < DEADLINE,
                    "cannot connect to {}: {e}",
                    sock.display()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    let hello = Hello {
        v: protocol::VERSION,
        mode: mode.into(),
        save: false,
        text: None,
        by_s: None,
    };
    // Every read on it fails after the deadline rather than blocking for ever.
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    protocol::write_frame(&mut s, kind::HELLO, &serde_json::to_vec(&hello).unwrap()).unwrap();
    let f = protocol::read_frame(&mut s).unwrap().unwrap();
    (s, f)
}

/// Open file descriptors and threads of a process.
pub fn fds_and_threads(pid: i32) -> (usize, usize) {
    let count = |d: String| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    (
        count(format!("/proc/{pid}/fd")),
        count(format!("/proc/{pid}/task")),
    )
}

/// The environment for a shell in a tmux pane that uses `env`'s data dir and config.
pub fn pane_env(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        ("PATH", std::env::var("PATH").unwrap()),
        ("HOME", env.tmp.path().display().to_string()),
        ("TERM", "screen".to_string()),
        ("PS1", "$ ".to_string()),
        ("BREAKGLASS_DIR", env.dir().display().to_string()),
        ("BREAKGLASS_CONFIG", env.config().display().to_string()),
    ]
}

/// Whether the test may create users (root); outside CI a non-root run skips.
pub fn as_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    skip::skip("it creates users and needs root, which CI has");
    false
}

/// Make a user if missing, and leave it there; [`users::Users`] makes users that are
/// removed again, also when the test fails.
pub fn ensure_user(name: &str, group: &str) {
    let _ = std::process::Command::new("groupadd").arg(group).output();
    if std::process::Command::new("id")
        .arg(name)
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return;
    }
    let st = std::process::Command::new("useradd")
        .args(["-M", "-N", "-G", group, "-s", "/bin/sh", name])
        .status()
        .unwrap();
    assert!(st.success(), "useradd {name}");
}

/// A free TCP port on loopback (for a test server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Wait until the process has no more fds and threads than `base` (nothing leaked).
pub fn wait_until_no_leak(pid: i32, base: (usize, usize)) {
    let start = Instant::now();
    loop {
        let now = fds_and_threads(pid);
        assert!(now.0 > 0, "the process {pid} is gone: nothing to count");
        if now.0 <= base.0 && now.1 <= base.1 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "fds/threads grew from {base:?} to {now:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
