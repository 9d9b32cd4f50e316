//! `breakglass shell HOST` against a real OpenSSH server on loopback: the remote shell,
//! resizes reaching the far side, the remote exit status, and clear failures.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// An sshd of our own on a free loopback port, killed on drop.
struct Sshd {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Start sshd, or None (skip) where OpenSSH is missing outside CI.
fn sshd(dir: &Path) -> Option<Sshd> {
    let bin = Path::new("/usr/sbin/sshd");
    if !bin.exists() || Command::new("ssh").arg("-V").output().is_err() {
        common::skip::skip("no OpenSSH server (.ci/run installs openssh-server)");
        return None;
    }
    let _ = std::fs::create_dir_all("/run/sshd");
    keygen(&dir.join("host_key"));
    keygen(&dir.join("user_key"));
    std::fs::copy(dir.join("user_key.pub"), dir.join("authorized_keys")).unwrap();
    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
         PidFile {d}/sshd.pid\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         PermitRootLogin yes\nPrintMotd no\nPrintLastLog no\nAcceptEnv TERM\n",
        d = dir.display()
    );
    std::fs::write(dir.join("sshd_config"), config).unwrap();
    let child = Command::new(bin)
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < DEADLINE, "sshd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Sshd {
        child,
        port,
        dir: dir.to_path_buf(),
    })
}

/// An ssh config with `testhost` pointing at the server, with `key` as the identity.
fn ssh_config(s: &Sshd, port: u16, key: &str) -> PathBuf {
    let user = breakglass::session::login_name();
    let path = s.dir.join(format!("ssh_config_{port}_{key}"));
    let text = format!(
        "Host testhost\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {d}/{key}\n  IdentitiesOnly yes\n\
         UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n  BatchMode yes\n",
        d = s.dir.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn use_host(env: &Env, config: &Path) {
    env.write_config(&format!(
        "[hosts.testhost]\ncommand = [\"ssh\", \"-F\", \"{}\", \"-t\", \"testhost\"]\n",
        config.display()
    ));
}

#[test]
fn a_real_ssh_session_is_recorded_whole() {
    let env = Env::new();
    let Some(s) = sshd(env.tmp.path()) else {
        return;
    };
    use_host(&env, &ssh_config(&s, s.port, "user_key"));
    let mut pty = env.spawn(&["shell", "testhost", "-r", "ssh test"]);
    pty.wait_raw();
    pty.send("export PS1='remote$ '; echo hello-from-$((6*7))\r");
    pty.expect("hello-from-42");
    pty.send("stty size\r");
    // The session is the terminal but its last row, the status row.
    pty.expect("29 100");
    pty.resize(132, 43);
    pty.signal(libc::SIGWINCH);
    wait_record(&env.log(), "resize", |b| {
        matches!(
            b,
            breakglass::log::record::Body::Resize {
                cols: 132,
                rows: 42
            }
        )
    });
    // ssh passes the new size on by itself: ask the far side until it has it.
    let start = Instant::now();
    for n in 0.. {
        pty.send(&format!("stty size; echo asked-{n}-$((1+1))\r"));
        pty.expect(&format!("asked-{n}-2"));
        if pty.screen().contains("42 132") {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "the far side kept the old size");
    }
    pty.send("exit 3\r");
    assert_eq!(pty.wait().code(), Some(3), "{}", pty.screen());
    let log = env.log();
    let out = String::from_utf8_lossy(&output_bytes(&log)).into_owned();
    assert!(out.contains("hello-from-42") && out.contains("42 132"));
    let x = end_of(&log).unwrap();
    assert_eq!((x.cause.as_str(), x.exit), ("exit", Some(3)));
    let g = breakglass::store::read_genesis(&log).unwrap();
    assert_eq!(g.host, "testhost");
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn ssh_failures_are_clear_and_recorded() {
    let env = Env::new();
    let Some(s) = sshd(env.tmp.path()) else {
        return;
    };
    keygen(&s.dir.join("stranger_key"));
    let refused = free_port();
    for (config, what) in [
        (ssh_config(&s, refused, "user_key"), "refused"),
        (ssh_config(&s, s.port, "stranger_key"), "denied"),
    ] {
        use_host(&env, &config);
        let mut pty = env.spawn(&["shell", "testhost", "-r", what]);
        assert_eq!(pty.wait().code(), Some(255), "{what}: {}", pty.screen());
        let log = env.logs().pop().unwrap();
        let screen = pty.screen().to_lowercase();
        assert!(
            screen.contains(what) || screen.contains("permission"),
            "{what}: {screen}"
        );
        assert_eq!(end_of(&log).unwrap().exit, Some(255));
        assert_verdict(&log, "VERIFIED");
    }
    // An unknown host: ssh's own message, and its status.
    env.write_config("");
    let mut pty = env.spawn(&["shell", "no-such-host.invalid", "-r", "unknown"]);
    assert_eq!(pty.wait().code(), Some(255));
    assert!(
        pty.screen().to_lowercase().contains("could not resolve"),
        "{}",
        pty.screen()
    );
}

/// An ssh-agent of the test's own, on a socket in `dir`, killed on drop.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent_with(dir: &Path, key: &Path) -> Agent {
    let sock = dir.join("agent.sock");
    let child = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let agent = Agent { child, sock };
    let start = Instant::now();
    while !agent.sock.exists() {
        assert!(start.elapsed() < DEADLINE, "ssh-agent did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("ssh-add")
        .arg(key)
        .env("SSH_AUTH_SOCK", &agent.sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "ssh-add");
    agent
}

#[test]
fn the_users_own_ssh_agent_works_in_personal_mode() {
    let env = Env::new();
    let Some(s) = sshd(env.tmp.path()) else {
        return;
    };
    let agent = agent_with(env.tmp.path(), &s.dir.join("user_key"));
    // The host is reached with the agent's key alone: no identity file is named.
    let config = s.dir.join("ssh_config_agent");
    let text = format!(
        "Host testhost\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile /nonexistent\n\
         UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n  BatchMode yes\n",
        s.port,
        breakglass::session::login_name()
    );
    std::fs::write(&config, text).unwrap();
    use_host(&env, &config);
    let mut cmd = env.cmd();
    cmd.env("SSH_AUTH_SOCK", &agent.sock)
        .args(["shell", "testhost", "-r", "agent test"]);
    let mut pty = Pty::spawn(&mut cmd, 100, 30);
    pty.wait_raw();
    pty.send("echo agent-login-$((2*21)); exit\r");
    pty.expect("agent-login-42");
    assert_eq!(pty.wait().code(), Some(0), "{}", pty.screen());
    assert_verdict(&env.log(), "VERIFIED");
}
