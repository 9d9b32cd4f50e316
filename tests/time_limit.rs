//! The end of the time limit, as people meet it: the last warning rings the bell and
//! puts the end in the title, and vim, hung up at the limit while on the alternate
//! screen, has time to keep the unsaved text in its swap file.

mod common;

use std::process::Command;

use common::*;

/// Columns of the owner's terminal: the notices here are longer than 100 columns, and the
/// status row shows a notice cut to the terminal's width.
const WIDE: u16 = 250;

#[test]
fn vim_keeps_unsaved_text_in_its_swap_file_when_the_time_limit_ends_it() {
    if Command::new("vim").arg("--version").output().is_err() {
        skip::skip("vim is not installed");
        return;
    }
    let env = Env::new();
    let file = env.tmp.path().join("notes.txt");
    // Wide enough that the whole notice fits on the status row.
    let mut pty = Pty::spawn(
        env.cmd().args([
            "shell",
            "-r",
            "vim at the limit",
            "--ttl",
            "15s",
            "--",
            "vim",
            "-N",
            "-u",
            "NONE",
            "-i",
            "NONE",
            // No sync of the swap file while typing or idle: only vim's own handling of the
            // hangup writes the text there, so finding it proves vim had the time to.
            "-c",
            "set updatecount=10000 updatetime=3600000",
            file.to_str().unwrap(),
        ]),
        WIDE,
        30,
    );
    pty.expect("[New");
    pty.send("ihello-unsaved-4242");
    pty.expect("hello-unsaved-4242");
    pty.wait();
    pty.expect("the full-screen program is told to hang up and has 10s to save");
    let log = env.log();
    assert_eq!(end_of(&log).unwrap().cause, "ttl");
    let swap = env.tmp.path().join(".notes.txt.swp");
    let bytes = std::fs::read(&swap).unwrap_or_else(|e| {
        panic!(
            "no swap file {}: {e}; screen:\n{}",
            swap.display(),
            pty.screen()
        )
    });
    assert!(
        bytes
            .windows(b"hello-unsaved-4242".len())
            .any(|w| w == b"hello-unsaved-4242"),
        "the swap file does not hold the typed text"
    );
    assert_verdict(&log, "VERIFIED");
}

#[test]
fn the_last_warning_rings_the_bell_and_sets_the_title() {
    let env = Env::new();
    // 62 s: the one-minute notice is due 2 s in.
    let mut pty = Pty::spawn(
        env.cmd()
            .args(["shell", "-r", "bell", "--ttl", "62s", "--", "sh"]),
        WIDE,
        30,
    );
    pty.expect("Save your work now; for more time: breakglass extend ");
    pty.expect("ENDS AT ");
    let screen = pty.screen();
    let at = screen.find("Save your work now").unwrap();
    assert!(screen[at..].contains('\x07'), "no bell after the warning");
    assert!(screen.contains("(in 1m"), "{screen}");
    pty.send("exit\r");
    pty.wait();
}
