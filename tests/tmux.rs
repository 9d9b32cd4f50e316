//! `breakglass shell` in a real terminal (tmux): the banner and the session on screen, the
//! title while it runs, and the terminal exactly as it was afterwards.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A private tmux server, killed on drop.
struct Tmux {
    sock: PathBuf,
}

impl Tmux {
    /// Start one, or skip (None) where tmux is missing; in CI a missing tmux fails.
    fn start(dir: &Path, shell_env: &[(&str, String)]) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is required in CI (.ci/run installs it)"
            );
            eprintln!("skipping: tmux is not installed");
            return None;
        }
        let t = Tmux {
            sock: dir.join("tmux.sock"),
        };
        let mut cmd = String::from("env -i");
        for (k, v) in shell_env {
            cmd.push_str(&format!(" {k}='{v}'"));
        }
        cmd.push_str(" bash --norc --noprofile");
        let st = Command::new("tmux")
            .arg("-S")
            .arg(&t.sock)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
                &cmd,
            ])
            .status()
            .unwrap();
        assert!(st.success());
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn send(&self, keys: &str) {
        self.tmux(&["send-keys", "-l", keys]);
        self.tmux(&["send-keys", "Enter"]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&Tmux) -> bool) {
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

#[test]
fn shell_in_tmux_shows_the_session_and_restores_the_terminal() {
    let env = Env::new();
    let work = env.tmp.path();
    let shell_env = [
        ("PATH", std::env::var("PATH").unwrap()),
        ("HOME", work.display().to_string()),
        ("TERM", "screen".to_string()),
        ("PS1", "$ ".to_string()),
        ("BREAKGLASS_DIR", env.dir().display().to_string()),
        ("BREAKGLASS_CONFIG", env.config().display().to_string()),
    ];
    let Some(t) = Tmux::start(work, &shell_env) else {
        return;
    };
    let before = work.join("before");
    let after = work.join("after");
    t.send(&format!(
        "stty -a > {}; {} shell -r 'tmux test' -- bash --norc --noprofile; stty -a > {}",
        before.display(),
        bin().display(),
        after.display()
    ));
    t.wait_for("the banner", |t| t.screen().contains("RECORDING session"));
    t.wait_for("the recorded title", |t| {
        t.tmux(&["display", "-p", "#{pane_title}"])
            .contains("REC breakglass")
    });
    t.send("echo hello-$((6*7))");
    t.wait_for("the command's output", |t| t.screen().contains("hello-42"));
    t.send("exit 5");
    t.wait_for("the summary", |t| {
        after.exists() && t.screen().contains("verify: breakglass verify")
    });
    let screen = t.screen();
    assert!(screen.contains("ended: exit 5"), "{screen}");
    assert_eq!(
        std::fs::read_to_string(&before).unwrap(),
        std::fs::read_to_string(&after).unwrap(),
        "terminal settings changed"
    );
    assert!(
        !t.tmux(&["display", "-p", "#{pane_title}"])
            .contains("REC breakglass"),
        "title not restored"
    );
    let log = env.log();
    let out = String::from_utf8_lossy(&output_bytes(&log)).into_owned();
    assert!(out.contains("hello-42"));
    assert_verdict(&log, "VERIFIED");
}
