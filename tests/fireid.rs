//! Fire id against a real OpenSSH server on loopback: a "production" sshd that trusts
//! only the breakglass CA, a developer (useradd) with no key it accepts, and the binary
//! installed setuid to a service user. The developer gets a shell as the fire id only
//! through `breakglass shell`, never holds the key, and nothing of it outlives the session.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::fireid::*;
use common::installed::{as_user, uid_of};
use common::*;

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
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "{core}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap(),
        Path::new("/")
    );
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
    let show = b.inst.run("root", &["show", &id]);
    assert!(
        text(&show).0.contains(&format!(
            "| Fire id | {} (certificate serial {}",
            b.ff, c.serial
        )),
        "{:?}",
        text(&show)
    );
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
