//! Sealed input, on the built binary in a real PTY: masked input sealed to an auditor's
//! age key and opened by `reveal`, shown in place by every view, the hiding attack sealed
//! and flagged, the `require_seal` policy, and the sealed record in both verifiers. The
//! leaks masking catches are in tests/masking.rs.

mod common;

use std::path::Path;
use std::time::Instant;

use common::sealed::*;
use common::*;

#[test]
fn a_sealed_password_is_never_in_clear_and_reveal_opens_it() {
    let (env, auditor) = sealing_env("");
    let script = "stty -echo; printf 'Pass''word: '; read a; stty echo; echo; echo \"got ${#a}\"";
    let mut pty = env.spawn(&["shell", "-r", "sealing", "--", "sh", "-c", script]);
    pty.expect("Password: ");
    pty.send("hunter2 and more\r");
    pty.expect("got 16");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    assert_not_in_log(&log, &["hunter2"]);
    assert_eq!(
        masked_inputs(&log),
        [(16, true)],
        "one sealed record for the line"
    );
    assert_verdict(&log, "VERIFIED");
    let id = session_id(&env);
    let who = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name;
    let key = auditor.identity.to_str().unwrap();
    let (out, err, code) = review(&env, &["reveal", &id, "--identity", key]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().next().unwrap();
    assert!(
        line.starts_with("+00:")
            && line.contains("  seq ")
            && line.ends_with(&format!("  {who}  hunter2 and more")),
        "{out}"
    );
    assert!(out.contains("1 sealed input, 1 opened"), "{out}");
    // Every view shows it in place, never the secret.
    let (keys, _, _) = review(&env, &["export", &id, "--format", "keys"]);
    assert!(
        keys.contains("[sealed 16 bytes]") && !keys.contains("hunter2"),
        "{keys}"
    );
    let (ls, _, _) = review(&env, &["ls"]);
    assert!(
        ls.contains("MASKED") && ls.contains("1 line, 16 B sealed"),
        "{ls}"
    );
    let (show, _, _) = review(&env, &["show", &id]);
    assert!(
        show.contains("| Masked input | 1 line, 16 bytes, sealed"),
        "{show}"
    );
    assert!(!show.contains("unusual masking"), "{show}");
    let (_, note, _) = review(&env, &["grep", "hunter2"]);
    assert!(
        note.contains("masked input not searched: 1 line, 16 B sealed"),
        "{note}"
    );
    // Another key opens nothing.
    let other = env.tmp.path().join("other.agekey");
    std::fs::write(&other, {
        use age::secrecy::ExposeSecret;
        age::x25519::Identity::generate()
            .to_string()
            .expose_secret()
            .to_string()
    })
    .unwrap();
    let (out, _, code) = review(&env, &["reveal", &id, "-i", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("sealed to other keys") && !out.contains("hunter2"),
        "{out}"
    );
    assert!(!auditor.public.is_empty());
}

#[test]
fn the_hiding_attack_leaves_commands_sealed_flagged_and_revealable() {
    let (env, auditor) = sealing_env("");
    let hidden = env.tmp.path().join("HIDDEN");
    let mut pty = bash_at_its_prompt(&env, "hiding", &[]);
    pty.send("stty -echo; PS1='Pass''word: '\r");
    pty.expect("Password: ");
    pty.send(&format!("touch {}\r", hidden.display()));
    wait_for_file(&hidden);
    // The next prompt, so `exit` is typed at it too.
    let start = Instant::now();
    while pty.screen().matches("Password: ").count() < 2 {
        assert!(
            start.elapsed() < DEADLINE,
            "no second prompt: {}",
            pty.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    assert_not_in_log(&log, &["HIDDEN", "touch"]);
    assert!(has_sealed(&log));
    assert_verdict(&log, "VERIFIED");
    let id = session_id(&env);
    let (out, err, code) = review(
        &env,
        &[
            "reveal",
            &id,
            "--identity",
            auditor.identity.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("touch {}", hidden.display())),
        "{out}"
    );
    assert!(out.lines().any(|l| l.ends_with("  exit")), "{out}");
    let (show, _, _) = review(&env, &["show", &id]);
    assert!(show.contains("[sealed "), "{show}");
    assert!(
        show.contains("**unusual masking: 2 of 3 typed lines were masked**"),
        "{show}"
    );
}

#[test]
fn without_seal_to_masked_input_is_dropped_and_every_view_says_so() {
    let env = Env::new();
    let script = "stty -echo; printf 'Pass''word: '; read a; stty echo; echo; echo \"got ${#a}\"";
    let mut pty = env.spawn(&["shell", "-r", "dropped", "--", "sh", "-c", script]);
    pty.expect("Password: ");
    pty.send("hunter2\r");
    pty.expect("got 7");
    pty.wait();
    let log = env.log();
    assert_eq!(masked_inputs(&log).iter().map(|m| m.0).sum::<u64>(), 7);
    assert!(!has_sealed(&log));
    let id = session_id(&env);
    let (show, _, _) = review(&env, &["show", &id]);
    assert!(show.contains("7 bytes, dropped when recorded"), "{show}");
    let (keys, _, _) = review(&env, &["export", &id, "--format", "keys"]);
    assert!(keys.contains("[redacted 7 bytes]"), "{keys}");
    let (ls, _, _) = review(&env, &["ls"]);
    assert!(ls.contains("1 line, 7 B dropped"), "{ls}");
}

#[test]
fn require_seal_refuses_a_session_without_seal_to_or_with_record_secrets() {
    let env = Env::new();
    env.write_config("require_seal = true\n");
    let out = env.run(&["shell", "-r", "x", "--", "true"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("require_seal") && err.contains("seal_to"),
        "{err}"
    );
    assert!(env.logs().is_empty(), "no session is left behind");
    let (env, _) = sealing_env("require_seal = true\n");
    let out = env.run(&["shell", "-r", "x", "--record-secrets", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(env.logs().is_empty());
    let out = env.run(&["shell", "-r", "x", "--", "true"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = Env::new();
    bad.write_config("seal_to = [\"AGE-SECRET-KEY-1XYZ\"]\n");
    let out = bad.run(&["shell", "-r", "x", "--", "true"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 1, key `seal_to`") && err.contains("not an age X25519 public key"),
        "{err}"
    );
}

/// A log whose last line is a sealed record, written by the library; cut before its end
/// so that an edit of that line is caught at it, not at a broken link after it.
fn sealed_log_lines(dir: &Path) -> Vec<String> {
    use breakglass::log::chain::ZERO_HASH;
    use breakglass::log::record::{Data, Genesis};
    use breakglass::log::writer::LogWriter;
    let path = dir.join("sealed.jsonl");
    let mut opts = std::fs::File::options();
    let f = opts.create_new(true).append(true).read(true).open(&path);
    let g = Genesis {
        v: 1,
        session: "aaaaaaaaaaaa".into(),
        user: "alice".into(),
        term: "xterm".into(),
        started: "2026-11-22T03:00:00Z".into(),
        tool: "breakglass 0.1.0".into(),
        cols: 80,
        rows: 24,
        ..Genesis::default()
    };
    let mut w = LogWriter::create(f.unwrap(), g, ZERO_HASH).unwrap();
    let sealer = breakglass::seal::Sealer::parse(&[age::x25519::Identity::generate()
        .to_public()
        .to_string()])
    .unwrap();
    let blob = sealer.seal(b"hunter2").unwrap();
    w.input(5, "owner", Data::Sealed { len: 7, blob }).unwrap();
    drop(w);
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn both_verifiers_accept_a_sealed_record_and_refuse_a_bent_one() {
    let tmp = tempfile::tempdir().unwrap();
    let lines = sealed_log_lines(tmp.path());
    assert!(
        lines[1].contains(r#""by":"owner","redacted":7,"sealed":"YWdlLWVuY3J5cHRpb24ub3JnL3YxC"#)
    );
    let case = |name: &str, last: String, want: &str| {
        let file = tmp.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, format!("{}\n{last}\n", lines[0])).unwrap();
        assert_verdict(&file, want);
    };
    case("intact", lines[1].clone(), "INTERRUPTED");
    case(
        "no count",
        lines[1].replacen(r#""redacted":7,"#, "", 1),
        "TAMPERED",
    );
    let start = lines[1].find(r#""sealed":""#).unwrap() + 10;
    let mut not_age = lines[1].clone();
    not_age.replace_range(start..start + 4, "aGVs");
    case("not an age file", not_age, "TAMPERED");
    case(
        "beside clear input",
        lines[1].replacen(r#""redacted":7,"#, r#""d":"x","#, 1),
        "TAMPERED",
    );
}

#[test]
fn replay_i_shows_sealed_input_in_place() {
    let (env, _) = sealing_env("");
    let mut pty = reading_keys(&env, "replay i", 5, "");
    pty.send("qwert");
    pty.expect("got 5");
    assert_eq!(pty.wait().code(), Some(0));
    assert_eq!(masked_inputs(&env.log()), [(5, true)], "sealed at the end");
    let id = session_id(&env);
    let pane = pane_env(&env);
    let Some(t) = common::tmux::Tmux::start(env.tmp.path(), &pane) else {
        return;
    };
    t.new_window_sized("rep", &common::tmux::Tmux::shell_cmd(&pane), 100, 31);
    t.send_to(
        "rep",
        &format!("{} replay {id} --speed 16", bin().display()),
    );
    t.wait_in("rep", "the session ended");
    t.keys_to("rep", &["i"]);
    t.wait_in("rep", "typed [sealed 5 bytes]");
    assert!(!t.screen_of("rep").contains("qwert"));
    t.keys_to("rep", &["q"]);
}
