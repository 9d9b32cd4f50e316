//! `ls`, `verify --all` against the ledger, completions, and `--help`.

mod common;

use std::process::Stdio;

use common::*;

/// Record `n` short sessions in `env`.
fn record(env: &Env, n: usize) {
    for i in 0..n {
        let out = env
            .cmd()
            .args([
                "shell",
                "-r",
                &format!("session {i}"),
                "-t",
                &format!("INC-{i}"),
                "--",
                "sh",
                "-c",
                "echo hi; exit 3",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ls_lists_newest_first_as_table_and_json() {
    let env = Env::new();
    record(&env, 3);
    let out = env.run(&["ls"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("STATE"),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1].contains("session 2") && lines[3].contains("session 0"),
        "{text}"
    );
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.ends_with("VERIFIED") && l.contains(" 3 ")),
        "{text}"
    );
    let out = env.run(&["ls", "--json"]);
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["reason"], "session 2");
    assert_eq!(rows[0]["ticket"], "INC-2");
    assert_eq!(rows[0]["exit"], 3);
    assert_eq!(rows[0]["state"], "VERIFIED");
    // Addressing by `last` and by a unique prefix.
    let id = rows[1]["id"].as_str().unwrap();
    assert_eq!(env.run(&["verify", &id[..6]]).status.code(), Some(0));
    let out = env.run(&["verify", "last", "--json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["session"], rows[0]["id"]);
    assert_eq!(v["witnesses"][0], "ledger");
}

#[test]
fn a_live_session_is_listed_live_and_valid_so_far() {
    let env = Env::new();
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "live one",
        "--",
        "sh",
        "-c",
        "echo sta''rted; read x",
    ]);
    pty.expect("started");
    let out = env.run(&["ls"]);
    assert!(
        stdout(&out).lines().nth(1).unwrap().ends_with("live"),
        "{}",
        stdout(&out)
    );
    let out = env.run(&["verify", "last"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("LIVE") && stdout(&out).contains("valid so far"),
        "{}",
        stdout(&out)
    );
    pty.send("\r");
    pty.wait();
    assert_eq!(env.run(&["verify", "last"]).status.code(), Some(0));
}

#[test]
fn verify_all_catches_deleted_replaced_unlisted_and_cut_sessions() {
    let env = Env::new();
    record(&env, 3);
    assert_eq!(env.run(&["verify", "--all"]).status.code(), Some(0));
    let logs = env.logs();

    // A session recorded elsewhere, copied in: not in this ledger.
    let other = Env::new();
    record(&other, 1);
    let stranger = other.log();
    std::fs::copy(
        &stranger,
        env.dir()
            .join("sessions")
            .join(stranger.file_name().unwrap()),
    )
    .unwrap();
    let out = env.run(&["verify", "--all"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("does not list"), "{}", stdout(&out));
    // The independent verifier says so too: a sound file the ledger does not list.
    let copied = env
        .dir()
        .join("sessions")
        .join(stranger.file_name().unwrap());
    if let Some(py) = python::verify(&copied, Some(&env.dir().join("ledger.jsonl"))) {
        py.assert_with_ledger("VERIFIED", "unlisted");
    }
    // Named alone it is caught too, and so is a copy under another session's name.
    let stranger_id = stranger.file_stem().unwrap().to_str().unwrap().to_string();
    assert_eq!(env.run(&["verify", &stranger_id]).status.code(), Some(1));
    let renamed = env.dir().join("sessions").join("zzzzzzzzzzzz.jsonl");
    std::fs::copy(&logs[0], &renamed).unwrap();
    let out = env.run(&["verify", "zzzzzzzzzzzz"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("as the file name says"),
        "{}",
        stdout(&out)
    );
    std::fs::remove_file(&renamed).unwrap();
    std::fs::remove_file(
        env.dir()
            .join("sessions")
            .join(stranger.file_name().unwrap()),
    )
    .unwrap();

    // Cut cleanly before its end: the chain alone says INTERRUPTED, the ledger TAMPERED.
    let data = std::fs::read(&logs[1]).unwrap();
    let cut = data[..data.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    std::fs::write(&logs[1], &data[..cut]).unwrap();
    let out = env.run(&["verify", logs[1].to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("ledger"), "{}", stdout(&out));
    let ledger = env.dir().join("ledger.jsonl");
    if let Some(py) = python::verify(&logs[1], Some(&ledger)) {
        py.assert_with_ledger("TAMPERED", "listed");
        assert!(
            py.file.json["why"].as_str().unwrap().starts_with("ledger:"),
            "{}",
            py.file.json
        );
        assert_eq!(py.status, 1);
    }
    std::fs::write(&logs[1], &data).unwrap();

    // Replaced by another whole, valid session: its genesis is not the one in the ledger.
    let original = std::fs::read(&logs[2]).unwrap();
    let stranger_bytes = std::fs::read(&stranger).unwrap();
    std::fs::write(&logs[2], &stranger_bytes).unwrap();
    let name = logs[2].file_stem().unwrap().to_str().unwrap().to_string();
    let out = env.run(&["verify", &name]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    std::fs::write(&logs[2], &original).unwrap();

    // Deleted.
    std::fs::remove_file(&logs[0]).unwrap();
    let out = env.run(&["verify", "--all", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("\"missing\":[\""), "{}", stdout(&out));
}

#[test]
fn verify_usage_errors_and_worst_status_wins() {
    let env = Env::new();
    record(&env, 1);
    assert_eq!(env.run(&["verify"]).status.code(), Some(2));
    assert_eq!(env.run(&["verify", "zzzz"]).status.code(), Some(2));
    let junk = env.tmp.path().join("junk.jsonl");
    std::fs::write(&junk, "not a log\n").unwrap();
    let out = env.run(&["verify", "last", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
}

#[test]
fn bad_flag_values_are_usage_errors_naming_the_flag_and_the_form() {
    let env = Env::new();
    for (args, flag, form) in [
        (
            &["shell", "-r", "x", "--ttl", "soon", "--", "true"][..],
            "--ttl",
            "30m",
        ),
        (
            &["replay", "last", "--speed", "0"][..],
            "--speed",
            "between 0.01",
        ),
        (&["replay", "last", "--at", "noon"][..], "--at", "12:30"),
        (&["grep", "x", "--since", "whenever"][..], "--since", "2h"),
        (&["watch", "--escape", "x"][..], "--escape", "ctrl-]"),
    ] {
        let out = env.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(form), "{args:?}: {err}");
    }
    assert!(env.logs().is_empty());
}

#[test]
fn completions_match_the_checked_in_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (shell, file) in [
        ("bash", "completions/breakglass.bash"),
        ("zsh", "completions/_breakglass"),
        ("fish", "completions/breakglass.fish"),
    ] {
        let out = std::process::Command::new(bin())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let path = root.join(file);
        if std::env::var_os("BREAKGLASS_BLESS").is_some() {
            std::fs::write(&path, &out.stdout).unwrap();
        }
        let checked_in = std::fs::read(&path).unwrap_or_default();
        assert!(
            checked_in == out.stdout,
            "{file} has drifted from the CLI: run `BREAKGLASS_BLESS=1 cargo test --test cli completions` and commit"
        );
    }
}

#[test]
fn help_teaches() {
    let out = std::process::Command::new(bin())
        .args(["shell", "--help"])
        .output()
        .unwrap();
    let text = stdout(&out);
    for needle in [
        "--reason",
        "--ticket",
        "--ttl",
        "--record-secrets",
        "Exit status",
        "Examples",
    ] {
        assert!(text.contains(needle), "shell --help lacks {needle}");
    }
    let out = std::process::Command::new(bin())
        .args(["verify", "--help"])
        .output()
        .unwrap();
    assert!(stdout(&out).contains("INTERRUPTED"));
}

#[test]
fn man_page_matches_the_checked_in_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(bin())
        .arg("man")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let path = root.join("docs/man/breakglass.1");
    if std::env::var_os("BREAKGLASS_BLESS").is_some() {
        std::fs::write(&path, &out.stdout).unwrap();
    }
    assert!(
        std::fs::read(&path).unwrap_or_default() == out.stdout,
        "docs/man/breakglass.1 has drifted from the CLI: run `BREAKGLASS_BLESS=1 cargo test --test cli` and commit"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "BREAKGLASS SHELL",
        "BREAKGLASS VERIFY",
        "BREAKGLASS WATCH",
        "BREAKGLASS REPLAY",
        "BREAKGLASS EXPORT",
    ] {
        assert!(text.contains(sub), "the man page lacks {sub}");
    }
}
