//! A shared bastion with real Unix users: one group-owned data dir; alice records, bob
//! (a watcher) watches, mallory (in the group, not listed) is refused, carol (an operator)
//! takes the keyboard; several users record at once and `verify --all` passes.

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

    // bob watches: he sees the screen as it is.
    let mut bob = Pty::spawn(&mut b.cmd("bob", &["watch", &id]), 100, 30);
    bob.expect("ready");
    // mallory is in the group, so she can reach the socket, but she is not listed.
    let refused = b
        .cmd("mallory", &["watch", &id])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    alice.expect("was refused");
    // carol, an operator, takes the keyboard and answers the prompt.
    let mut carol = Pty::spawn(&mut b.cmd("carol", &["watch", &id, "--operate"]), 100, 30);
    alice.expect("has taken the keyboard");
    // Her own client shows it once it knows she holds the keyboard: keys typed before
    // that are not sent.
    carol.expect("has taken the keyboard");
    carol.send("from-carol\r");
    alice.expect("got:from-carol");
    assert_eq!(alice.wait().code(), Some(0));
    bob.wait();
    carol.wait();

    let text = std::fs::read_to_string(&log).unwrap();
    let name = |role| b.users.name(role);
    for want in [
        format!("\"event\":\"join\",\"who\":\"{}\"", name("bob")),
        format!("\"event\":\"deny\",\"who\":\"{}\"", name("mallory")),
        format!("\"event\":\"take\",\"who\":\"{}\"", name("carol")),
        format!("\"by\":\"{}\",\"d\":\"from-carol\\r\"", name("carol")),
    ] {
        assert!(text.contains(&want), "{want} not in the log");
    }
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
