//! A group-shared data dir with real Unix users: alice records; bob (a watcher), mallory
//! (in the group, not listed) and carol (an operator) are all refused by their own
//! clients, since any group member could have put a fake server in the shared live dir
//! (installed mode is how a bastion shares sessions); several users record at once and
//! `verify --all` passes. The users made are removed afterwards, also when a test fails
//! or leaves a process running as one of them.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::users::Users;
use common::*;

struct Bastion {
    _base: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    /// Last, so the users are removed after everything else.
    users: Users,
}

impl Bastion {
    fn new() -> Bastion {
        let users = Users::create(&["alice", "bob", "mallory", "carol"]);
        let base = tempfile::Builder::new()
            .prefix("bg-bastion")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = base.path().join("lib");
        std::fs::create_dir(&dir).unwrap();
        assert!(
            Command::new("chgrp")
                .arg(users.group())
                .arg(&dir)
                .status()
                .unwrap()
                .success()
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o2770)).unwrap();
        let config = base.path().join("config.toml");
        let text = format!(
            "dir = \"{}\"\nwatchers = [\"{}\"]\noperators = [\"{}\"]\n",
            dir.display(),
            users.name("bob"),
            users.name("carol")
        );
        std::fs::write(&config, text).unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
        Bastion {
            _base: base,
            dir,
            config,
            users,
        }
    }

    /// The binary as the user of `role`, with the bastion's config.
    fn cmd(&self, role: &str, args: &[&str]) -> Command {
        let mut c = Command::new("runuser");
        c.args([
            "-u",
            self.users.name(role),
            "--",
            "env",
            "-u",
            "BREAKGLASS_DIR",
        ])
        .arg(format!("BREAKGLASS_CONFIG={}", self.config.display()))
        .arg("TERM=xterm")
        .arg("SHELL=/bin/sh")
        .arg(bin())
        .args(args);
        c
    }

    fn sessions(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.join("sessions"))
            .map(|r| r.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }
}

fn id_of(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn a_shared_bastion_with_real_users() {
    if !as_root() {
        return;
    }
    let b = Bastion::new();
    let mut alice = Pty::spawn(
        &mut b.cmd(
            "alice",
            &[
                "shell",
                "-r",
                "INC-1 bastion",
                "--",
                "sh",
                "-c",
                "echo re''ady; read x; echo got:$x",
            ],
        ),
        100,
        30,
    );
    alice.expect("ready");
    let log = b.sessions().pop().unwrap();
    let id = id_of(&log);

    // Every member of the group can write live/, so any of them could have put a fake
    // server where the socket is: nobody's client talks to it, listed or not (installed
    // mode is how a bastion shares sessions). Not a byte reaches the session.
    for (role, args) in [
        ("bob", vec!["watch", id.as_str()]),
        ("mallory", vec!["watch", id.as_str()]),
        ("carol", vec!["watch", id.as_str(), "--operate"]),
    ] {
        let o = b.cmd(role, &args).stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(125), "{role}: {err}");
        assert!(err.contains("not a breakglass socket"), "{role}: {err}");
    }
    alice.send("from-alice\r");
    alice.expect("got:from-alice");
    assert_eq!(alice.wait().code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("\"k\":\"p\""),
        "no participant reached the session"
    );
    let meta = std::fs::metadata(&log).unwrap();
    assert_eq!(
        meta.mode() & 0o777,
        0o640,
        "readable by its owner and the group only"
    );
    assert_eq!(
        nix::unistd::Group::from_name(b.users.group())
            .unwrap()
            .unwrap()
            .gid
            .as_raw(),
        meta.gid()
    );

    // Several users recording at the same time keep the ledger consistent.
    let runs: Vec<_> = ["alice", "bob", "carol", "alice", "bob", "carol"]
        .iter()
        .map(|u| {
            b.cmd(u, &["shell", "-r", "parallel", "--", "sh", "-c", "echo hi"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(b.sessions().len(), 7);
    let all = b.cmd("bob", &["verify", "--all"]).output().unwrap();
    assert_eq!(
        all.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&all.stdout)
    );
}

#[test]
fn users_made_for_a_test_are_removed_even_when_it_fails() {
    if !as_root() {
        return;
    }
    let mut made = (String::new(), String::new());
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let users = Users::create(&["gone"]);
        made = (users.name("gone").to_string(), users.group().to_string());
        assert!(nix::unistd::User::from_name(&made.0).unwrap().is_some());
        panic!("a test failing with its users in place");
    }));
    assert!(failed.is_err());
    assert!(made.0.starts_with(common::users::PREFIX), "{made:?}");
    assert!(nix::unistd::User::from_name(&made.0).unwrap().is_none());
    assert!(nix::unistd::Group::from_name(&made.1).unwrap().is_none());
}

#[test]
fn users_are_removed_even_with_a_process_left_running_as_them() {
    if !as_root() {
        return;
    }
    let users = Users::create(&["left"]);
    let name = users.name("left").to_string();
    // A stopped process, orphaned as a failed test leaves one.
    let st = Command::new("runuser")
        .args(["-u", &name, "--", "sh", "-c", "sleep 600 & kill -STOP $!"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let uid = nix::unistd::User::from_name(&name)
        .unwrap()
        .unwrap()
        .uid
        .as_raw();
    let status_uid = |p: &std::fs::DirEntry| {
        std::fs::read_to_string(p.path().join("status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))?
            .split_whitespace()
            .next()?
            .parse::<u32>()
            .ok()
    };
    let left = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|p| status_uid(p) == Some(uid))
            .count()
    };
    assert!(left() > 0, "nothing runs as {name}");
    drop(users);
    assert!(nix::unistd::User::from_name(&name).unwrap().is_none());
    assert_eq!(left(), 0, "a process still runs with the uid of {name}");
}
