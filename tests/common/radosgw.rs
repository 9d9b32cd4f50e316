//! A real S3 store for the tests: a single-node Ceph cluster with radosgw, started by
//! tests/support/radosgw.sh under a temp dir and stopped (by PID) when dropped; and a
//! second S3 client (tests/support/s3.py, boto3) acting with the same keys.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use super::{DEADLINE, Env, free_port};

/// The bastion's S3 keys (radosgw-admin makes a user with them).
pub const ACCESS_KEY: &str = "BGKTESTACCESSKEY0001";
pub const SECRET_KEY: &str = "bgk-test-secret-key-0123456789abcdef";

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// A Python that has boto3 (the one first on PATH, or Debian's).
fn python() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import boto3"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Skip on a developer's machine without what the gateway needs; fail in CI.
fn missing(why: &str) -> Option<Gateway> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: .ci/run installs it"
    );
    eprintln!("skipping: {why}");
    None
}

/// A running single-node Ceph with radosgw on 127.0.0.1.
pub struct Gateway {
    pub dir: tempfile::TempDir,
    pub endpoint: String,
    python: &'static str,
}

impl Gateway {
    /// Start one, or None (with the reason on stderr) where it cannot run.
    pub fn start() -> Option<Gateway> {
        if !nix::unistd::geteuid().is_root() {
            return missing("Ceph's daemons need root");
        }
        if !Path::new("/usr/bin/radosgw").exists() || !Path::new("/usr/bin/ceph-mon").exists() {
            return missing("radosgw and ceph-mon are not installed");
        }
        let Some(python) = python() else {
            return missing("python3 with boto3 is not installed");
        };
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let out = Command::new("bash")
            .arg(support("radosgw.sh"))
            .args(["start", dir.path().to_str().unwrap(), &port.to_string()])
            .args([ACCESS_KEY, SECRET_KEY])
            .output()
            .unwrap();
        let gw = Gateway {
            dir,
            endpoint: format!("http://127.0.0.1:{port}"),
            python,
        };
        assert!(
            out.status.success(),
            "radosgw.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(gw)
    }

    fn script(&self, args: &[&str]) {
        let out = Command::new("bash")
            .arg(support("radosgw.sh"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "radosgw.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pid(&self, name: &str) -> i32 {
        let p = self.dir.path().join(format!("{name}.pid"));
        std::fs::read_to_string(p).unwrap().trim().parse().unwrap()
    }

    /// Kill the gateway (the store dies); the cluster behind it stays up.
    pub fn kill_gateway(&self) {
        let pid = self.pid("rgw");
        // SAFETY: kill(2) on a pid this test started; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let start = Instant::now();
        while Path::new(&format!("/proc/{pid}/stat")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
        {
            assert!(start.elapsed() < DEADLINE, "radosgw {pid} did not die");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Start the gateway again after a kill; returns when it answers.
    pub fn restart_gateway(&self) {
        self.script(&["start-rgw", self.dir.path().to_str().unwrap()]);
    }

    /// Run tests/support/s3.py with the bastion's keys.
    pub fn s3(&self, args: &[&str]) -> Output {
        let out = Command::new(self.python)
            .arg(support("s3.py"))
            .args(args)
            .env("S3_ENDPOINT", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "s3.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A bucket with Object Lock and a default COMPLIANCE retention of one day.
    pub fn bucket(&self, name: &str) {
        self.s3(&["mkbucket", name, "1"]);
    }

    /// Keys under `prefix` and how many versions each has.
    pub fn keys(&self, bucket: &str, prefix: &str) -> serde_json::Map<String, serde_json::Value> {
        let out = self.s3(&["keys", bucket, prefix]);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Wait until some key under `prefix` exists.
    pub fn wait_for_key(&self, bucket: &str, prefix: &str, wait: std::time::Duration) {
        let start = Instant::now();
        while self.keys(bucket, prefix).is_empty() {
            assert!(
                start.elapsed() < wait,
                "nothing reached {prefix} in {wait:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// The `[store]` config of a bastion shipping to `url`.
    pub fn config(&self, url: &str, bastion: &str) -> String {
        format!(
            "[store]\nurl = \"{url}\"\nendpoint = \"{}\"\nbastion = \"{bastion}\"\n",
            self.endpoint
        )
    }

    /// A command for the binary in `env`, with the bastion's keys in its environment.
    pub fn cmd(&self, env: &Env) -> Command {
        let mut c = env.cmd();
        c.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
        c
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(support("radosgw.sh"))
            .args(["stop", self.dir.path().to_str().unwrap()])
            .output();
    }
}
