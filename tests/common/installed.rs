//! Installed mode for tests: real users and groups (removed when the guard drops, even
//! when the test fails), and the built binary installed setuid to a real service user
//! in a fresh root-owned prefix under /opt (removed afterwards), with its policy.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::unistd::{Group, User};

/// useradd and friends lock /etc/passwd; helpers in parallel take turns.
static ACCOUNTS: Mutex<()> = Mutex::new(());
/// Exit status of useradd/groupadd/userdel when /etc/passwd or /etc/group is locked.
const LOCKED: i32 = 10;
/// How long to retry a locked account database.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Run an account tool, retrying while another process holds the lock.
fn account_tool(tool: &str, args: &[&str]) -> bool {
    account_tool_quiet(tool, args, false)
}

/// Remove what a crashed earlier run may have left; absence is no error.
fn clean(tool: &str, name: &str) {
    account_tool_quiet(tool, &[name], true);
}

fn account_tool_quiet(tool: &str, args: &[&str], quiet: bool) -> bool {
    let _turn = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    loop {
        let st = Command::new(tool).args(args).output().unwrap();
        if st.status.code() != Some(LOCKED) || start.elapsed() > LOCK_WAIT {
            if !st.status.success() && !quiet {
                eprintln!("{tool} {args:?}: {}", String::from_utf8_lossy(&st.stderr));
            }
            return st.status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Users and groups made for one test; all removed on drop.
#[derive(Default)]
pub struct Accounts {
    users: Vec<String>,
    groups: Vec<String>,
}

impl Accounts {
    pub fn group(&mut self, name: &str) {
        clean("groupdel", name);
        assert!(account_tool("groupadd", &[name]), "groupadd {name}");
        self.groups.push(name.to_string());
    }

    /// A login user with `home` as home dir (made), in `groups`.
    pub fn user(&mut self, name: &str, home: &Path, groups: &[&str]) {
        clean("userdel", name);
        let home = home.to_str().unwrap();
        let mut args = vec!["-m", "-d", home, "-s", "/bin/sh", "-U"];
        let list = groups.join(",");
        if !groups.is_empty() {
            args.extend(["-G", &list]);
        }
        args.push(name);
        assert!(account_tool("useradd", &args), "useradd {name}");
        self.users.push(name.to_string());
    }

    /// A system user with no login and no home.
    pub fn service(&mut self, name: &str) {
        clean("userdel", name);
        assert!(
            account_tool(
                "useradd",
                &["--system", "-M", "-U", "-s", "/usr/sbin/nologin", name]
            ),
            "useradd {name}"
        );
        self.users.push(name.to_string());
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for u in &self.users {
            // -f: even if a process of the user outlived a failed test.
            account_tool("userdel", &["-f", u]);
            // -U made a group of the same name; userdel removes it with the user.
            clean("groupdel", u);
        }
        for g in &self.groups {
            account_tool("groupdel", &[g]);
        }
    }
}

/// The uid of a user.
pub fn uid_of(name: &str) -> u32 {
    User::from_name(name).unwrap().unwrap().uid.as_raw()
}

/// The gid of a group.
pub fn gid_of(name: &str) -> u32 {
    Group::from_name(name).unwrap().unwrap().gid.as_raw()
}

/// A command run as `user`: their uid, gid and groups (as a login would give them),
/// HOME and USER, a PATH, and nothing else of the test's environment.
pub fn as_user(user: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let u = User::from_name(user).unwrap().unwrap();
    let groups = nix::unistd::getgrouplist(&CString::new(user).unwrap(), u.gid).unwrap();
    let (uid, gid) = (u.uid.as_raw(), u.gid.as_raw());
    let gids: Vec<libc::gid_t> = groups.iter().map(|g| g.as_raw()).collect();
    let mut c = Command::new(program);
    c.env_clear()
        .env("HOME", &u.dir)
        .env("USER", user)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm-256color")
        .current_dir(&u.dir);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            if libc::setgroups(gids.len(), gids.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c
}

/// Run `cmd` to its end. A copy of the binary just installed can be busy for a moment
/// (ETXTBSY): a child another test thread forked meanwhile holds the copy's descriptor
/// until it execs. That passes; anything else fails the test.
pub fn output_of(cmd: &mut Command) -> Output {
    let start = Instant::now();
    loop {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                assert!(
                    start.elapsed() < super::DEADLINE,
                    "the binary stayed busy: {e}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            r => return r.unwrap(),
        }
    }
}

/// The binary installed setuid to a service user in a prefix of its own.
pub struct Installed {
    /// `/opt/bgi-test-XXXX`, root 0755; removed on drop.
    pub prefix: tempfile::TempDir,
    pub service: String,
    pub review_group: String,
}

impl Installed {
    /// Install the built binary as `<prefix>/bin/breakglass`, owned by `service`, mode
    /// 4755, with `policy` (the data dir line is added) as its policy.
    pub fn new(service: &str, review_group: &str, policy: &str) -> Installed {
        // /opt is root's 0755 on Debian; a minimal image may lack it.
        std::fs::create_dir_all("/opt").unwrap();
        let prefix = tempfile::Builder::new()
            .prefix("bgi-test-")
            .tempdir_in("/opt")
            .unwrap();
        std::fs::set_permissions(prefix.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let me = Installed {
            prefix,
            service: service.to_string(),
            review_group: review_group.to_string(),
        };
        std::fs::create_dir_all(me.bin().parent().unwrap()).unwrap();
        std::fs::create_dir_all(me.policy_dir()).unwrap();
        std::fs::create_dir_all(me.root().join("home")).unwrap();
        std::fs::copy(super::bin(), me.bin()).unwrap();
        let svc = User::from_name(service).unwrap().unwrap();
        nix::unistd::chown(
            &me.bin(),
            Some(svc.uid),
            Some(nix::unistd::Gid::from_raw(0)),
        )
        .unwrap();
        // After the chown, which clears set-id bits.
        std::fs::set_permissions(me.bin(), std::fs::Permissions::from_mode(0o4755)).unwrap();
        me.write_policy(policy);
        me
    }

    pub fn root(&self) -> &Path {
        self.prefix.path()
    }

    pub fn bin(&self) -> PathBuf {
        self.root().join("bin/breakglass")
    }

    pub fn policy_dir(&self) -> PathBuf {
        self.root().join("etc/breakglass")
    }

    pub fn policy(&self) -> PathBuf {
        self.policy_dir().join("config.toml")
    }

    /// The data dir the policy names.
    pub fn data(&self) -> PathBuf {
        self.root().join("var/lib/breakglass")
    }

    /// A home dir for a test user, inside the prefix.
    pub fn home(&self, user: &str) -> PathBuf {
        self.root().join("home").join(user)
    }

    /// Write the policy (root 0644), with `dir` and `review_group` set.
    pub fn write_policy(&self, extra: &str) {
        let text = format!(
            "dir = \"{}\"\nreview_group = \"{}\"\n{extra}",
            self.data().display(),
            self.review_group
        );
        std::fs::write(self.policy(), text).unwrap();
        std::fs::set_permissions(self.policy(), std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    /// Run `breakglass init` as root; it must succeed.
    pub fn init(&self) {
        let out = output_of(Command::new(self.bin()).arg("init").stdin(Stdio::null()));
        assert!(
            out.status.success(),
            "init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The installed binary, run as `user`.
    pub fn cmd(&self, user: &str) -> Command {
        as_user(user, self.bin())
    }

    /// Run the installed binary as `user`, stdin /dev/null.
    pub fn run(&self, user: &str, args: &[&str]) -> Output {
        output_of(self.cmd(user).args(args).stdin(Stdio::null()))
    }

    /// The session files in the data dir.
    pub fn sessions(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.data().join("sessions"))
            .map(|rd| rd.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

/// A test's accounts and installation: a service user `<tag>_svc`, a review group
/// `<tag>_audit`, and users `<tag>_alice` (records), `<tag>_bob` (reviewer and
/// watcher) and `<tag>_mal` (neither). `tag` must start with the `bgi` prefix and be
/// unique per test, so tests can run in parallel.
pub struct Bastion {
    pub inst: Installed,
    pub alice: String,
    pub bob: String,
    pub mal: String,
    // Dropped last: the users outlive the files of the prefix.
    pub accounts: Accounts,
}

impl Bastion {
    pub fn new(tag: &str, policy: &str) -> Bastion {
        assert!(tag.starts_with("bgi"));
        let mut accounts = Accounts::default();
        let (svc, audit) = (format!("{tag}_svc"), format!("{tag}_audit"));
        accounts.service(&svc);
        accounts.group(&audit);
        let policy = format!("watchers = [\"{tag}_bob\"]\n{policy}");
        let inst = Installed::new(&svc, &audit, &policy);
        let (alice, bob, mal) = (
            format!("{tag}_alice"),
            format!("{tag}_bob"),
            format!("{tag}_mal"),
        );
        accounts.user(&alice, &inst.home(&alice), &[]);
        accounts.user(&bob, &inst.home(&bob), &[&audit]);
        accounts.user(&mal, &inst.home(&mal), &[]);
        inst.init();
        Bastion {
            inst,
            alice,
            bob,
            mal,
            accounts,
        }
    }
}

/// A process started by a test, ended (SIGTERM, then SIGKILL) when dropped, so a failed
/// test leaves no session running.
pub struct Running(pub std::process::Child);

impl Running {
    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: signalling a child of this test.
        unsafe { libc::kill(self.pid(), libc::SIGTERM) };
        let start = Instant::now();
        while self.0.try_wait().ok().flatten().is_none() {
            if start.elapsed() > super::DEADLINE {
                let _ = self.0.kill();
                let _ = self.0.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
