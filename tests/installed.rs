//! Installed mode as an attacker meets it: the binary setuid to a real service user in a
//! prefix of its own, real users (alice records, bob reviews and watches, mal is
//! neither), and each attack carried out and failing, judged on bytes, files and
//! processes. Plus the user's view: their own shell, with their own ids.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::installed::{Bastion, Running, as_user, gid_of, uid_of};
use common::*;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run a shell command line as `user`; its output.
fn sh_as(user: &str, line: &str) -> Output {
    as_user(user, "/bin/sh")
        .args(["-c", line])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Wait for a live socket in the data dir; the session id.
fn live_id(b: &Bastion) -> String {
    let live = b.inst.data().join("live");
    let start = Instant::now();
    loop {
        let found = std::fs::read_dir(&live).unwrap().flatten().find_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".sock").map(str::to_string)
        });
        if let Some(id) = found {
            return id;
        }
        assert!(start.elapsed() < DEADLINE, "the session never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_recorded_user_gets_their_own_ids_and_the_service_keeps_the_files() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_ids", "");
    let probe = "id; stat -c '%U' \"$(tty)\"; umask; for f in /proc/$$/fd/*; do echo FD $(readlink $f); done; env";
    let out = as_user(&b.alice, "/bin/sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec {} shell -r 'check ids' -- sh -c \"$0\"",
            b.inst.bin().display()
        ))
        .arg(probe)
        .env("LD_LIBRARY_PATH", "/nonexistent")
        .env("GCONV_PATH", "/nonexistent")
        .env("BGI_KEEP", "kept")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let (uid, gid) = (uid_of(&b.alice), gid_of(&b.alice));
    let a = &b.alice;
    assert!(
        stdout.contains(&format!("uid={uid}({a}) gid={gid}({a}) groups={gid}({a})")),
        "{stdout}"
    );
    assert!(!stdout.contains("euid="), "{stdout}");
    // The shell keeps alice's umask; the recorder's files keep their modes all the same.
    assert!(stdout.contains(&format!("\n{a}\r\n0077")), "{stdout}");
    assert!(stdout.contains("BGI_KEEP=kept"), "{stdout}");
    // No descriptor of the recorder's (log, ledger, socket, PTY master) reaches the shell.
    let data = b.inst.data().display().to_string();
    let fds: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FD ")).collect();
    assert!(fds.len() >= 3, "{stdout}");
    for fd in fds {
        assert!(
            !fd.contains(&data) && !fd.contains("socket:") && !fd.contains("ptmx"),
            "{fd}"
        );
    }
    assert!(!stdout.contains("LD_LIBRARY_PATH") && !stdout.contains("GCONV_PATH"));

    let svc = uid_of(&b.inst.service);
    let audit = gid_of(&b.inst.review_group);
    let files = b.inst.sessions();
    assert_eq!(files.len(), 1);
    for f in [&files[0], &b.inst.data().join("ledger.jsonl")] {
        let m = std::fs::metadata(f).unwrap();
        assert_eq!(
            (m.uid(), m.gid(), m.mode() & 0o7777),
            (svc, audit, 0o640),
            "{f:?}"
        );
    }
    let genesis = breakglass::store::read_genesis(&files[0]).unwrap();
    assert_eq!((genesis.user.as_str(), genesis.uid), (a.as_str(), uid));
    let out = b.inst.run(&b.bob, &["verify", "last"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!text(&out).1.contains("personal mode"), "{:?}", text(&out));

    // On a terminal, as anyone would use it.
    let mut pty = Pty::spawn(b.inst.cmd(a).args(["shell", "-r", "by hand"]), 100, 30);
    pty.send("echo \"I am $(id -un) $(id -u) $(id -ru)\"\r");
    pty.expect(&format!("I am {a} {uid} {uid}"));
    pty.send("exit 7\r");
    assert_eq!(pty.wait().code(), Some(7));
    assert_eq!(b.inst.sessions().len(), 2);
}

#[test]
fn a_live_session_is_closed_to_a_non_reviewer_and_to_its_own_user() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_live", "");
    let session = Running(
        b.inst
            .cmd(&b.alice)
            .args(["shell", "-r", "live", "--", "sh", "-c"])
            .arg("echo TOP-SECRET-42; exec sleep 60")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = session.pid();
    let id = live_id(&b);
    let file = b.inst.data().join(format!("sessions/{id}.jsonl"));
    wait_record(&file, "the secret", |_| {
        output_bytes(&file)
            .windows(13)
            .any(|w| w == b"TOP-SECRET-42")
    });

    // mal, in no group, asks every review command for the session: refused, no bytes.
    let path = file.to_str().unwrap();
    for args in [
        vec!["replay", &id, "--follow"],
        vec!["replay", path],
        vec!["ls"],
        vec!["show", &id],
        vec!["export", &id, "--format", "text"],
        vec!["grep", "TOP"],
        vec!["verify", "--all"],
    ] {
        let out = b.inst.run(&b.mal, &args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stdout.contains("TOP-SECRET") && !stderr.contains("TOP-SECRET"));
        if args.get(1) != Some(&path) {
            assert!(stderr.contains("may not review"), "{args:?}: {stderr}");
        }
    }
    // Neither mal nor alice (whose session it records) can look inside the recorder.
    for user in [&b.mal, &b.alice] {
        for what in [
            "cat environ",
            "cat mem",
            "ls fd",
            "readlink fd/0",
            "cat maps",
        ] {
            let out = sh_as(user, &format!("cd /proc/{pid} && {what}"));
            assert!(!out.status.success(), "{user}: {what} in /proc/{pid}");
            assert!(out.stdout.is_empty(), "{user}: {:?}", text(&out));
        }
    }

    // mal is no watcher: the session refuses him by his own uid (watch connects as the
    // caller, not as the service), and he sees nothing of it.
    let out = b.inst.run(&b.mal, &["watch", &id]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{} may not watch", b.mal)),
        "{stderr}"
    );
    assert!(!stdout.contains("TOP-SECRET") && !stderr.contains("TOP-SECRET"));

    // bob, a watcher, watches: he sees the session's screen.
    let mut watch = Pty::spawn(b.inst.cmd(&b.bob).args(["watch", &id]), 100, 30);
    watch.expect("TOP-SECRET-42");
    watch.send("\x1dd");
    watch.wait();

    // A link planted where bob saves a witness copy is not written through.
    let home = b.inst.home(&b.bob);
    let victim = home.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, home.join("copy.jsonl")).unwrap();
    let out = b.inst.run(&b.bob, &["watch", &id, "--save", "copy.jsonl"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(text(&out).1.contains("cannot create"), "{:?}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    drop(session);
}

/// The bytes of every file in the data dir but the keys.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v = vec![];
    for sub in ["", "sessions"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                v.push((e.path(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn no_recorded_user_can_write_the_records() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_forge", "");
    let out = b.inst.run(&b.alice, &["shell", "-r", "one", "--", "true"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let data = b.inst.data();
    let file = b.inst.sessions()[0].clone();
    let before = snapshot(&data);
    let (f, d) = (file.display(), data.display());
    let attacks = [
        // Turn "exit":0 into 1 in one's own end record.
        format!("sed -i 's/\"exit\":0/\"exit\":1/' {f}"),
        format!("printf 'x' >> {f}"),
        format!("printf '{{}}\\n' >> {d}/ledger.jsonl"),
        format!("cp {f} {d}/sessions/aaaaaaaaaaaa.jsonl"),
        format!("ln -s /etc/passwd {d}/sessions/bbbbbbbbbbbb.jsonl"),
        format!("mv {d}/ledger.jsonl {d}/old && ln -s {f} {d}/ledger.jsonl"),
        format!("rm -f {f}"),
        format!("touch {d}/live/cccccccccccc.sock"),
        format!("chmod 666 {f}"),
    ];
    for user in [&b.alice, &b.mal, &b.bob] {
        for line in &attacks {
            let out = sh_as(user, line);
            assert!(!out.status.success(), "{user} could: {line}");
        }
    }
    assert_eq!(snapshot(&data), before);
    assert!(
        std::fs::read_dir(data.join("live"))
            .unwrap()
            .next()
            .is_none()
    );
    let out = b.inst.run(&b.bob, &["verify", "--all"]);
    assert!(out.status.success(), "{:?}", text(&out));
}

#[test]
fn overrides_are_refused_unless_the_policy_allows_them() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_over", "");
    let mine = b.inst.home(&b.alice).join("mine");
    let conf = b.inst.home(&b.alice).join("lax.toml");
    let mine = mine.to_str().unwrap();
    let conf = conf.to_str().unwrap();
    let shell = ["shell", "-r", "x", "--", "true"];
    fn with<'a>(pre: &[&'a str], shell: &[&'a str]) -> Vec<&'a str> {
        pre.iter().chain(shell).copied().collect()
    }
    /// Arguments, a variable set, what the one-line refusal says.
    type Case<'a> = (Vec<&'a str>, Option<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (with(&["--dir", mine], &shell), None, "--dir is refused"),
        (
            with(&["--config", conf], &shell),
            None,
            "--config is refused",
        ),
        (
            shell.to_vec(),
            Some(("BREAKGLASS_DIR", mine)),
            "BREAKGLASS_DIR",
        ),
        (
            shell.to_vec(),
            Some(("BREAKGLASS_CONFIG", conf)),
            "BREAKGLASS_CONFIG",
        ),
        (
            vec!["shell", "--record-secrets", "-r", "x", "--", "true"],
            None,
            "--record-secrets is refused",
        ),
        (vec!["ls", "--dir", mine], None, "--dir is refused"),
    ];
    for (args, env, expect) in &cases {
        let mut c = b.inst.cmd(&b.alice);
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        let out = c.args(args).stdin(Stdio::null()).output().unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expect), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    // A config of alice's own, with no rules at all, does not replace the policy.
    let cfg = b.inst.home(&b.alice).join(".config/breakglass");
    let out = sh_as(
        &b.alice,
        &format!(
            "mkdir -p {0} && printf 'secret_prompt = \"\"\\n' > {0}/config.toml",
            cfg.display()
        ),
    );
    assert!(out.status.success());
    let out = b.inst.run(&b.alice, &shell);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("your config"), "{:?}", text(&out));
    assert!(b.inst.sessions().is_empty());
    assert!(!Path::new(mine).exists());

    // What the policy allows goes through.
    std::fs::remove_dir_all(&cfg).unwrap();
    b.inst.write_policy("allow_record_secrets = true\n");
    let out = b.inst.run(
        &b.alice,
        &["shell", "--record-secrets", "-r", "x", "--", "true"],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(b.inst.sessions().len(), 1);
}

#[test]
fn the_policy_and_the_binary_must_be_out_of_users_reach() {
    if !as_root() {
        return;
    }
    let b = Bastion::new("bgi_strict", "");
    let shell = ["shell", "-r", "x", "--", "true"];
    let mode = |m: u32| {
        std::fs::set_permissions(b.inst.policy(), std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(0o666);
    let out = b.inst.run(&b.alice, &shell);
    assert_eq!(out.status.code(), Some(125), "{:?}", text(&out));
    assert!(text(&out).1.contains("writable by group or others"));
    let out = b.inst.run(&b.bob, &["ls"]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    mode(0o644);

    // A link of the binary under a prefix alice owns, with her own lax policy.
    let evil = b.inst.root().join("evil");
    std::fs::create_dir_all(evil.join("bin")).unwrap();
    std::fs::create_dir_all(evil.join("etc/breakglass")).unwrap();
    std::fs::write(
        evil.join("etc/breakglass/config.toml"),
        format!("dir = \"{}\"\n", evil.join("data").display()),
    )
    .unwrap();
    let status = Command::new("chown")
        .args(["-R", &b.alice])
        .arg(&evil)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::hard_link(b.inst.bin(), evil.join("bin/breakglass")).unwrap();
    let linked = evil.join("bin/breakglass");
    let out = as_user(&b.alice, &linked)
        .args(shell)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(!evil.join("data").exists());
    assert!(b.inst.sessions().is_empty());
}
