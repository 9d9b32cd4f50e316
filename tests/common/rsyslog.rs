//! A private rsyslogd for tests: listening on a loopback TCP port, with the rule given.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{DEADLINE, free_port};

pub struct Rsyslog {
    child: Child,
    pub port: u16,
    pub out: PathBuf,
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// rsyslogd on a loopback TCP port with `rule`, its file `/var/log/breakglass.log` moved
/// into `dir`.
pub fn rsyslogd(dir: &Path, rule: &str) -> Option<Rsyslog> {
    let bin = Path::new("/usr/sbin/rsyslogd");
    if !bin.exists() {
        super::skip::skip("no rsyslogd (.ci/run installs rsyslog)");
        return None;
    }
    let port = free_port();
    let out = dir.join("breakglass.log");
    let conf = format!(
        "global(workDirectory=\"{d}\")\nmodule(load=\"imtcp\")\ninput(type=\"imtcp\" address=\"127.0.0.1\" port=\"{port}\")\n{r}",
        d = dir.display(),
        r = rule.replace("/var/log/breakglass.log", &out.display().to_string())
    );
    std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
    let child = Command::new(bin)
        .args(["-n", "-f"])
        .arg(dir.join("rsyslog.conf"))
        .arg("-i")
        .arg(dir.join("rsyslog.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < DEADLINE, "rsyslogd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(Rsyslog { child, port, out })
}
