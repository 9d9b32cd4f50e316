//! Fire id for tests: a "production" sshd on loopback that trusts only the breakglass CA
//! (TrustedUserCAKeys, AuthorizedPrincipalsFile, no password, no authorized keys), the
//! binary installed setuid to a service user, a developer who has no key that sshd
//! accepts, and the fire id user the host is reached as.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::Pty;
use std::time::{Duration, Instant};

use super::installed::{Accounts, Installed};
use super::{DEADLINE, free_port};

/// The policy's name for the production host.
pub const HOST: &str = "prod";

/// An sshd of the test's own, killed on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The `known_hosts` line of this server's host key.
    pub fn known_hosts_line(&self) -> String {
        let key = std::fs::read_to_string(self.dir.path().join("host_key.pub")).unwrap();
        let mut it = key.split_whitespace();
        format!(
            "[127.0.0.1]:{} {} {}\n",
            self.port,
            it.next().unwrap(),
            it.next().unwrap()
        )
    }

    /// Let `user` in with the certificate principals in `allowed`.
    pub fn allow(&self, user: &str, allowed: &[&str]) {
        let file = self.dir.path().join("principals").join(user);
        std::fs::write(&file, allowed.join("\n") + "\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}

/// Poll `ready` until it holds, failing after [`DEADLINE`].
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether OpenSSH is here; outside CI a missing one skips, in CI it fails.
pub fn have_openssh() -> bool {
    if Path::new("/usr/sbin/sshd").exists() && Path::new("/usr/bin/ssh").exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "OpenSSH is required in CI (.ci/run installs openssh-server)"
    );
    eprintln!("skipping: no OpenSSH server");
    false
}

pub fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// libfaketime, to give an sshd a clock of its own; None (skip, or fail in CI) without it.
pub fn faketime_lib() -> Option<PathBuf> {
    let found = std::fs::read_dir("/usr/lib").ok()?.flatten().find_map(|e| {
        let p = e.path().join("faketime/libfaketime.so.1");
        p.exists().then_some(p)
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "libfaketime is required in CI (.ci/run installs faketime)"
        );
        eprintln!("skipping the clock skew case: no libfaketime");
    }
    found
}

/// Start an sshd trusting the CA key in `ca_pub` only; with `authorized_keys`, that
/// file's keys too (for the measurement against the user's own key).
pub fn sshd(ca_pub: &Path, authorized_keys: Option<&Path>) -> Sshd {
    sshd_with_clock(ca_pub, authorized_keys, None)
}

/// [`sshd`] whose clock is off by `skew` (libfaketime, e.g. `("/usr/lib/...", "-7200")`).
pub fn sshd_with_clock(
    ca_pub: &Path,
    authorized_keys: Option<&Path>,
    skew: Option<(&Path, &str)>,
) -> Sshd {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    keygen(&dir.path().join("host_key"));
    std::fs::create_dir(dir.path().join("principals")).unwrap();
    std::fs::set_permissions(
        dir.path().join("principals"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let port = free_port();
    let d = dir.path().display();
    let keys = authorized_keys.map_or("none".to_string(), |p| p.display().to_string());
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
         TrustedUserCAKeys {ca}\nAuthorizedPrincipalsFile {d}/principals/%u\nAuthorizedKeysFile {keys}\n\
         PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         UsePAM no\nStrictModes no\nPermitRootLogin no\nPrintMotd no\nPrintLastLog no\nLogLevel VERBOSE\n",
        ca = ca_pub.display()
    );
    std::fs::write(dir.path().join("sshd_config"), config).unwrap();
    let mut cmd = Command::new("/usr/sbin/sshd");
    if let Some((lib, offset)) = skew {
        cmd.env("LD_PRELOAD", lib).env("FAKETIME", offset);
    }
    let child = cmd
        .args(["-D", "-E"])
        .arg(dir.path().join("sshd.log"))
        .arg("-f")
        .arg(dir.path().join("sshd_config"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("sshd to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    Sshd { child, port, dir }
}

/// A bastion with fire id: `<tag>_svc` (service), `<tag>_dev` (the developer),
/// `<tag>_ff` (the fire id on the host), and a production sshd that trusts the CA.
pub struct FireBastion {
    pub sshd: Option<Sshd>,
    pub inst: Installed,
    pub dev: String,
    pub ff: String,
    pub svc: String,
    // Dropped last: the users outlive the files and the server.
    pub accounts: Accounts,
}

/// Unlock an account for public key logins (useradd leaves it locked with `!`, which
/// sshd without PAM refuses).
fn unlock(user: &str) {
    let st = Command::new("usermod")
        .args(["-p", "*", user])
        .status()
        .unwrap();
    assert!(st.success(), "usermod -p '*' {user}");
}

impl FireBastion {
    /// `extra` is added to the host's table (e.g. `source_address = [...]`).
    pub fn new(tag: &str, extra: &str) -> FireBastion {
        assert!(tag.starts_with("bgf"));
        let mut accounts = Accounts::default();
        let (svc, audit) = (format!("{tag}_svc"), format!("{tag}_audit"));
        accounts.service(&svc);
        accounts.group(&audit);
        let inst = Installed::new(&svc, &audit, "");
        let (dev, ff) = (format!("{tag}_dev"), format!("{tag}_ff"));
        accounts.user(&dev, &inst.home(&dev), &[]);
        accounts.user(&ff, &inst.home(&ff), &[]);
        unlock(&ff);
        unlock(&dev);
        inst.init();
        let mut me = FireBastion {
            sshd: None,
            inst,
            dev,
            ff,
            svc,
            accounts,
        };
        me.ca_init();
        me.use_sshd(sshd(&me.inst.policy_dir().join("ca.pub"), None), extra);
        me
    }

    /// Make `sshd` the production host: the fire id allowed, its host key known.
    pub fn use_sshd(&mut self, sshd: Sshd, extra: &str) {
        sshd.allow(&self.ff, &[&self.ff]);
        self.write_known_hosts(&sshd.known_hosts_line());
        self.write_policy(sshd.port, extra);
        self.sshd = Some(sshd);
    }

    pub fn sshd(&self) -> &Sshd {
        self.sshd.as_ref().unwrap()
    }

    pub fn ca_init(&self) -> Output {
        let out = Command::new(self.inst.bin())
            .args(["ca", "init"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ca init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.inst.policy_dir().join("known_hosts")
    }

    pub fn write_known_hosts(&self, text: &str) {
        std::fs::write(self.known_hosts(), text).unwrap();
        std::fs::set_permissions(self.known_hosts(), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }

    pub fn write_policy(&self, port: u16, extra: &str) {
        self.inst.write_policy(&format!(
            "known_hosts = \"{}\"\n[hosts.{HOST}]\naddress = \"127.0.0.1\"\nport = {port}\nfire_id = \"{}\"\n{extra}",
            self.known_hosts().display(),
            self.ff
        ));
    }

    /// The data dir's fire dir (sessions' private dirs).
    pub fn fire_dir(&self) -> PathBuf {
        self.inst.data().join("fire")
    }

    /// What is left in the fire dir.
    pub fn fire_left(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.fire_dir())
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}

/// Every file under `dir` whose bytes hold an OpenSSH private key, but `except`.
pub fn private_keys_under(dir: &Path, except: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                todo.push(p);
            } else if ft.is_file()
                && p != except
                && std::fs::read(&p)
                    .is_ok_and(|b| b.windows(27).any(|w| w == b"BEGIN OPENSSH PRIVATE KEY--"))
            {
                found.push(p);
            }
        }
    }
    found
}

/// The pid of the ssh process whose argv names `needle` (the session id), if any.
pub fn ssh_pid(needle: &str) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let argv = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let text = String::from_utf8_lossy(&argv);
        (text.starts_with("/usr/bin/ssh\0") && text.contains(needle)).then_some(pid)
    })
}

/// The real, effective, saved and fs uid of a process.
pub fn uids(pid: i32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect()
}

/// Stdout and stderr of a finished command, as text.
pub fn text(out: &Output) -> (String, String) {
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (s(&out.stdout), s(&out.stderr))
}

/// Start a session as the developer in a PTY of the test's; the PTY and the session id
/// (the name of the private dir it makes, which was not there before).
pub fn start(b: &FireBastion, args: &[&str]) -> (Pty, String) {
    let before = b.fire_left();
    let pty = Pty::spawn(b.inst.cmd(&b.dev).args(args), 100, 30);
    let mut new = None;
    wait_until("a fire id session", || {
        new = b.fire_left().into_iter().find(|p| !before.contains(p));
        new.is_some()
    });
    let id = new
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    (pty, id)
}

/// The log of session `id`.
pub fn log_of(b: &FireBastion, id: &str) -> std::path::PathBuf {
    let all = b.inst.sessions();
    all.into_iter()
        .find(|p| p.to_string_lossy().contains(id))
        .expect("the session's log")
}
