//! A private tmux server for terminal tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::DEADLINE;

/// A private tmux server, killed on drop.
pub struct Tmux {
    sock: PathBuf,
}

impl Tmux {
    /// Start one, or skip (None) where tmux is missing; in CI a missing tmux fails.
    pub fn start(dir: &Path, shell_env: &[(&str, String)]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            super::skip::skip("tmux is not installed (.ci/run installs it)");
            return None;
        }
        let t = Tmux {
            sock: dir.join("tmux.sock"),
        };
        t.new_window("main", &Tmux::shell_cmd(shell_env));
        Some(t)
    }

    /// The `env -i ... bash` command line for a pane.
    pub fn shell_cmd(shell_env: &[(&str, String)]) -> String {
        let mut cmd = String::from("env -i");
        for (k, v) in shell_env {
            cmd.push_str(&format!(" {k}='{v}'"));
        }
        cmd.push_str(" bash --norc --noprofile");
        cmd
    }

    /// A new tmux session (a pane of its own) named `name`, running `cmd`.
    pub fn new_window(&self, name: &str, cmd: &str) {
        self.new_window_sized(name, cmd, 100, 30);
    }

    /// The same, `cols` x `rows`.
    pub fn new_window_sized(&self, name: &str, cmd: &str, cols: u16, rows: u16) {
        let (c, r) = (cols.to_string(), rows.to_string());
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &c,
                "-y",
                &r,
                "-s",
                name,
                cmd,
            ])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Send literal keys to a pane, then Enter.
    pub fn send_to(&self, pane: &str, keys: &str) {
        self.tmux(&["send-keys", "-t", pane, "-l", keys]);
        self.tmux(&["send-keys", "-t", pane, "Enter"]);
    }

    /// Send tmux key names (`C-]`, `t`) to a pane.
    pub fn keys_to(&self, pane: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", pane];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub fn screen_of(&self, pane: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", pane])
    }

    /// Wait until a pane shows `needle`.
    pub fn wait_in(&self, pane: &str, needle: &str) {
        let start = Instant::now();
        while !self.screen_of(pane).contains(needle) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {needle:?} in {pane}; screen:\n{}",
                self.screen_of(pane)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn send(&self, keys: &str) {
        self.send_to("main", keys);
    }

    pub fn screen(&self) -> String {
        self.screen_of("main")
    }

    pub fn wait_for(&self, what: &str, ok: impl Fn(&Tmux) -> bool) {
        let start = Instant::now();
        while !ok(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .arg("kill-server")
            .output();
    }
}
