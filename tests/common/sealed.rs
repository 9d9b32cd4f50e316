//! Helpers for tests of sealed input: an auditor's age key pair, a config that seals to
//! it, and the inner PTY's terminal modes, read through the path the session prints.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use age::secrecy::ExposeSecret;
use breakglass::log::record::{Body, Data};
use nix::sys::termios::{LocalFlags, tcgetattr};

use super::{DEADLINE, Env, Pty, records};

/// An auditor: the identity file (secret key) and the public key.
pub struct Auditor {
    pub identity: PathBuf,
    pub public: String,
}

/// Make an auditor's key pair in the env's temp dir and seal the env's sessions to it.
pub fn sealing_env(extra_config: &str) -> (Env, Auditor) {
    let env = Env::new();
    let id = age::x25519::Identity::generate();
    let identity = env.tmp.path().join("auditor.agekey");
    std::fs::write(
        &identity,
        format!("# auditor\n{}\n", id.to_string().expose_secret()),
    )
    .unwrap();
    let public = id.to_public().to_string();
    env.write_config(&format!("seal_to = [\"{public}\"]\n{extra_config}"));
    (env, Auditor { identity, public })
}

/// The masked input records of a log: (byte count, sealed).
pub fn masked_inputs(log: &Path) -> Vec<(u64, bool)> {
    records(log)
        .into_iter()
        .filter_map(|r| match r.body {
            Body::Input { data, .. } => data.masked(),
            _ => None,
        })
        .collect()
}

/// Whether the log holds any sealed record.
pub fn has_sealed(log: &Path) -> bool {
    records(log).into_iter().any(|r| {
        matches!(
            r.body,
            Body::Input {
                data: Data::Sealed { .. },
                ..
            }
        )
    })
}

/// Wait until the terminal at `tty` (a PTY slave's path) has echo off and canonical mode
/// as `canonical` says: the program in the session is reading.
pub fn wait_echo_off(tty: &Path, canonical: bool) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(tty)
        .unwrap_or_else(|e| panic!("open {}: {e}", tty.display()));
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        let t = tcgetattr(&f).unwrap();
        if !t.local_flags.contains(LocalFlags::ECHO)
            && t.local_flags.contains(LocalFlags::ICANON) == canonical
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("{} never turned echo off", tty.display());
}

/// Run a review command; its stdout and stderr as text, and the exit code.
pub fn review(env: &Env, args: &[&str]) -> (String, String, i32) {
    let out = env.run(args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

pub fn wait_for_file(p: &Path) {
    let start = Instant::now();
    while !p.exists() {
        assert!(start.elapsed() < DEADLINE, "{} never appeared", p.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `bash --norc` recorded with `reason`, once its prompt shows; run through `via` (such as
/// `runuser -u NAME --`), if given.
pub fn bash_at_its_prompt(env: &Env, reason: &str, via: &[&str]) -> Pty {
    let mut argv = vec!["shell", "-r", reason, "--"];
    argv.extend_from_slice(via);
    argv.extend_from_slice(&["env", "PS1=bgx$ ", "bash", "--norc"]);
    let pty = env.spawn(&argv);
    pty.expect("bgx$ ");
    pty
}

/// The first line written to `p`, once it is whole.
pub fn wait_for_line(p: &Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        if let Some((line, _)) = text.split_once('\n') {
            return line.to_string();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "nothing written to {}",
            p.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The log holds none of `secrets`, anywhere.
pub fn assert_not_in_log(log: &Path, secrets: &[&str]) {
    let raw = std::fs::read_to_string(log).unwrap();
    for s in secrets {
        assert!(!raw.contains(s), "{s:?} is in the log:\n{raw}");
    }
}

/// A session of `bash -c 'read -s -n N x; echo; echo "got ${#x}"; THEN'`, once the read
/// has turned echo off (seen on the session's own terminal, whose path it prints first).
pub fn reading_keys(env: &Env, reason: &str, n: usize, then: &str) -> Pty {
    let tty = env.tmp.path().join("tty");
    let script = format!(
        "tty > {}; read -s -n {n} x; echo; echo \"got ${{#x}}\"; {then}",
        tty.display()
    );
    let pty = env.spawn(&["shell", "-r", reason, "--", "bash", "--norc", "-c", &script]);
    wait_echo_off(Path::new(&wait_for_line(&tty)), false);
    pty
}

/// A user made for one test who may run sudo with a password; removed again on drop.
pub struct SudoUser {
    pub name: &'static str,
    sudoers: PathBuf,
}

impl SudoUser {
    /// Create `name` with `password`; None (skip) where sudo is missing, failing in CI.
    pub fn create(name: &'static str, password: &str) -> Option<SudoUser> {
        if !Path::new("/etc/sudoers.d").is_dir() {
            super::skip::skip("sudo is not installed (.ci/run installs it)");
            return None;
        }
        let run = |cmd: &str, args: &[&str], input: Option<String>| {
            let mut c = std::process::Command::new(cmd);
            c.args(args).stdin(std::process::Stdio::piped());
            let mut child = c.spawn().unwrap();
            if let Some(text) = input {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
            }
            assert!(child.wait().unwrap().success(), "{cmd} {args:?}");
        };
        let _ = std::process::Command::new("userdel").arg(name).output();
        run("useradd", &["-M", "-N", "-s", "/bin/bash", name], None);
        let user = SudoUser {
            name,
            sudoers: PathBuf::from(format!("/etc/sudoers.d/{name}")),
        };
        run("chpasswd", &[], Some(format!("{name}:{password}\n")));
        std::fs::write(
            &user.sudoers,
            format!("Defaults:{name} lecture=never\n{name} ALL=(ALL) ALL\n"),
        )
        .unwrap();
        Some(user)
    }
}

impl Drop for SudoUser {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sudoers);
        let _ = std::process::Command::new("userdel")
            .arg(self.name)
            .output();
    }
}
