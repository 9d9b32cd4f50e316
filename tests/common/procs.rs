//! What a test reads from /proc about the processes it started (thread names, signals
//! not yet delivered, descendants), and ending a whole tree of them when a test fails.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use super::DEADLINE;

/// How long a session started by a failed test gets to end itself (SIGTERM: the log is
/// closed and the terminal restored) before it and everything under it is killed.
const GRACE: Duration = Duration::from_secs(5);

/// How often the waits here look again.
const POLL: Duration = Duration::from_millis(10);

/// The names of a process's threads (`/proc/PID/task/*/comm`).
pub fn thread_names(pid: i32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|rd| {
            rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .map(|s| s.trim_end().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until no thread of `pid` has one of `names` (e.g. the per-watcher threads of a
/// session, before counting its threads and fds as a baseline).
pub fn wait_no_threads_named(pid: i32, names: &[&str]) {
    let start = Instant::now();
    loop {
        let now = thread_names(pid);
        if !now.iter().any(|n| names.contains(&n.as_str())) {
            return;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "threads {names:?} of {pid} never ended: {now:?}"
        );
        std::thread::sleep(POLL);
    }
}

/// The mask of one `SigPnd:`/`ShdPnd:` line of a status file.
fn pending_mask(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

/// Whether any of `sigs` is still pending for `pid` (not yet delivered to a handler).
pub fn signals_pending(pid: i32, sigs: &[i32]) -> bool {
    let want = sigs.iter().fold(0u64, |m, s| m | 1 << (s - 1));
    let mut pending = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| pending_mask(&s, "ShdPnd:"))
        .unwrap_or(0);
    if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for e in rd.flatten() {
            if let Ok(s) = std::fs::read_to_string(e.path().join("status")) {
                pending |= pending_mask(&s, "SigPnd:");
            }
        }
    }
    pending & want != 0
}

/// Wait until the signals sent to `pid` have been delivered.
pub fn wait_signals_delivered(pid: i32, sigs: &[i32]) {
    let start = Instant::now();
    while signals_pending(pid, sigs) {
        assert!(
            start.elapsed() < DEADLINE,
            "signals {sigs:?} still pending for {pid}"
        );
        std::thread::sleep(POLL);
    }
}

/// The parent pid and start time (in clock ticks since boot) of a process.
fn parent_and_start(pid: i32) -> Option<(i32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // After the name: state(3) ppid(4) ... starttime(22), numbered as in proc(5).
    Some((fields.get(1)?.parse().ok()?, fields.get(19)?.parse().ok()?))
}

/// Every process below `pid`, with its start time (to tell a reused pid apart).
pub fn descendants(pid: i32) -> Vec<(i32, u64)> {
    let all: Vec<(i32, i32, u64)> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(|p| parent_and_start(p).map(|(pp, st)| (p, pp, st)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for &(p, pp, st) in &all {
            if pp == parent {
                found.push((p, st));
                parents.push(p);
            }
        }
    }
    found
}

/// Whether `pid` runs the program `name` (it has exec'd it) in the foreground process
/// group of its terminal.
fn in_foreground_as(pid: i32, name: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return false;
    };
    // After the name: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8), as in proc(5).
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    let pgrp = fields.get(2).and_then(|f| f.parse::<i32>().ok());
    let tpgid = fields.get(5).and_then(|f| f.parse::<i32>().ok());
    &stat[open + 1..close] == name && pgrp.is_some() && pgrp == tpgid
}

/// Wait until a process below `pid` runs `name` in the foreground of its terminal: only
/// then does a Ctrl-C typed at it reach it with its own signal dispositions. Before, the
/// shell that starts it may take the SIGINT and drop it (dash catches SIGINT under `-c`
/// and ignores it in the child between its fork and exec).
pub fn wait_foreground(pid: i32, name: &str) {
    let start = Instant::now();
    while !descendants(pid)
        .iter()
        .any(|&(p, _)| in_foreground_as(p, name))
    {
        assert!(
            start.elapsed() < DEADLINE,
            "no {name} below {pid} in the foreground of its terminal"
        );
        std::thread::sleep(POLL);
    }
}

/// Send `sig` to a process, unless its pid now belongs to another one.
fn signal_if_same(pid: i32, start: u64, sig: i32) {
    if parent_and_start(pid).is_some_and(|(_, st)| st == start) {
        // SAFETY: kill(2) with a pid we checked is still the process we started.
        unsafe { libc::kill(pid, sig) };
    }
}

/// End a child that is still running and everything it started: SIGTERM first (a session
/// ends itself cleanly), SIGKILL for whatever is left after [`GRACE`]. For `Drop`: never
/// panics.
pub fn end_tree(child: &mut Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    let pid = child.id() as i32;
    let tree = descendants(pid);
    // SAFETY: signalling our own child, which has not been reaped.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let start = Instant::now();
    while matches!(child.try_wait(), Ok(None)) && start.elapsed() < GRACE {
        std::thread::sleep(POLL);
    }
    let _ = child.kill();
    let _ = child.wait();
    for &(p, st) in &tree {
        signal_if_same(p, st, libc::SIGKILL);
    }
    // A signal is delivered a moment later: return once they are gone.
    let start = Instant::now();
    while tree.iter().any(|&(p, _)| running(p)) && start.elapsed() < GRACE {
        std::thread::sleep(POLL);
    }
}

/// The processes whose real uid is `uid`.
fn processes_of(uid: u32) -> Vec<i32> {
    let uid = uid.to_string();
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/status")).is_ok_and(|s| {
                        s.lines()
                            .find_map(|l| l.strip_prefix("Uid:"))
                            .and_then(|l| l.split_whitespace().next())
                            == Some(uid.as_str())
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// End everything that runs as `uid` (SIGKILL, which also ends a stopped process) and
/// wait until it is gone, zombies reaped too (for at most [`GRACE`]), before the user is
/// removed: userdel refuses a user with processes, and a process that outlives its user
/// keeps the uid for the next user made (it is reused), whose own removal it then
/// blocks. For `Drop`: never panics.
pub fn end_processes_of(uid: u32) {
    let start = Instant::now();
    loop {
        let left = processes_of(uid);
        if left.is_empty() || start.elapsed() > GRACE {
            return;
        }
        for p in left.into_iter().filter(|&p| running(p)) {
            // SAFETY: kill(2) on a process running as a user this test made; no memory
            // is involved.
            unsafe { libc::kill(p, libc::SIGKILL) };
        }
        std::thread::sleep(POLL);
    }
}

/// The threads a session runs for each attached client (src/live/server.rs): while one
/// is alive, a client is still being served or let go.
pub const CLIENT_THREADS: &[&str] = &["live-conn", "live-write"];

/// Run `cmd` to its end, its output captured like `Command::output` (stdin as the caller
/// set it), but fail if it is still running after `limit` instead of waiting forever.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let collect = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = collect(Box::new(child.stdout.take().unwrap()));
    let err = collect(Box::new(child.stderr.take().unwrap()));
    let status = wait_within(&mut child, limit);
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Wait for a child to exit; after `limit`, end it (and what it started) and fail.
pub fn wait_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if start.elapsed() > limit {
            end_tree(child);
            panic!("process {} still ran after {limit:?}", child.id());
        }
        std::thread::sleep(POLL);
    }
}

/// Whether a process is still running (not gone, not a zombie waiting to be reaped).
pub fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|at| s[at + 2..].starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// A test that fails mid-way leaves no session running: the binary and all it started
/// are ended (it exited already when the test got as far as [`super::Pty::wait`]).
impl Drop for super::Pty {
    fn drop(&mut self) {
        end_tree(&mut self.child);
    }
}
