//! Sealed input and masking, on the built binary in a real PTY: masked input sealed to an
//! auditor's age key and opened by `reveal`, the hiding attack, the leaks masking must
//! catch (keys read without echo, pass phrase and encryption key prompts, prompts in other
//! languages, a password typed ahead of its prompt), and the `require_seal` policy.

mod common;

use std::path::Path;
use std::time::Instant;

use common::sealed::*;
use common::*;

/// Run a review command; its stdout and stderr as text, and the exit code.
fn review(env: &Env, args: &[&str]) -> (String, String, i32) {
    let out = env.run(args);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn wait_for_file(p: &Path) {
    let start = Instant::now();
    while !p.exists() {
        assert!(start.elapsed() < DEADLINE, "{} never appeared", p.display());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `bash --norc` recorded with `reason`, once its prompt shows.
fn bash_at_its_prompt(env: &Env, reason: &str) -> Pty {
    let pty = env.spawn(&[
        "shell",
        "-r",
        reason,
        "--",
        "env",
        "PS1=bgx$ ",
        "bash",
        "--norc",
    ]);
    pty.expect("bgx$ ");
    pty
}

/// The first line written to `p`, once it is whole.
fn wait_for_line(p: &Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        if let Some((line, _)) = text.split_once('\n') {
            return line.to_string();
        }
        assert!(
            start.elapsed() < DEADLINE,
            "nothing written to {}",
            p.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The log holds none of `secrets`, anywhere.
fn assert_not_in_log(log: &Path, secrets: &[&str]) {
    let raw = std::fs::read_to_string(log).unwrap();
    for s in secrets {
        assert!(!raw.contains(s), "{s:?} is in the log:\n{raw}");
    }
}

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
    let mut pty = bash_at_its_prompt(&env, "hiding");
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
fn keys_read_without_echo_one_at_a_time_are_masked() {
    let env = Env::new();
    let tty = env.tmp.path().join("tty");
    let script = format!(
        "tty > {}; read -s -n 11 x; echo; echo \"got ${{#x}}\"; read y; echo \"y=$y\"",
        tty.display()
    );
    let mut pty = env.spawn(&[
        "shell", "-r", "read -n", "--", "bash", "--norc", "-c", &script,
    ]);
    let path = wait_for_line(&tty);
    wait_echo_off(Path::new(&path), false);
    pty.send("Sw0rdF1sh!x");
    pty.expect("got 11");
    pty.send("visible\r");
    pty.expect("y=visible");
    pty.wait();
    let log = env.log();
    assert_not_in_log(&log, &["Sw0rdF1sh"]);
    assert_eq!(masked_inputs(&log), [(11, false)]);
    assert!(std::fs::read_to_string(&log).unwrap().contains("visible"));
}

#[test]
fn pass_phrase_and_prompts_in_other_languages_are_masked() {
    let env = Env::new();
    let prompts = [
        "Enter pass phrase for server.key:",
        "Passwort:",
        "Mot de passe :",
        "Contraseña:",
        "Senha:",
        "Parola d'ordine:",
        "Password:",
        "Wachtwoord:",
        "Пароль:",
        "パスワード:",
        "密码：",
    ];
    // The prompts come from a file, so the banner (which shows the command) holds none.
    // Echo off without canonical mode or signals, as a remote prompt seen through ssh:
    // only the prompt can tell.
    let list = env.tmp.path().join("prompts");
    std::fs::write(&list, prompts.join("\n") + "\n").unwrap();
    let script = format!(
        "stty -echo -icanon -isig min 1; while IFS= read -r p <&3; do printf '%s ' \"$p\"; \
         read -r x; echo; echo \"got ${{#x}}\"; done 3< {}; stty sane",
        list.display()
    );
    let mut pty = env.spawn(&["shell", "-r", "prompts", "--", "sh", "-c", &script]);
    let mut secrets = Vec::new();
    for (i, p) in prompts.iter().enumerate() {
        let secret = format!("Zq{i}{}", "k".repeat(i + 3));
        let start = Instant::now();
        while pty.screen().matches(p).count() == 0 || pty.screen().matches("got ").count() < i {
            assert!(
                start.elapsed() < DEADLINE,
                "no prompt {p:?}: {}",
                pty.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        pty.send(&format!("{secret}\r"));
        pty.expect(&format!("got {}", secret.len()));
        secrets.push(secret);
    }
    pty.wait();
    let log = env.log();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_not_in_log(&log, &refs);
    assert_eq!(masked_inputs(&log).len(), prompts.len());
}

#[test]
fn vim_encryption_key_is_masked() {
    if which("vim").is_none() {
        assert!(std::env::var_os("CI").is_none(), "vim is needed in CI");
        eprintln!("skipping: vim is not installed");
        return;
    }
    let env = Env::new();
    let file = env.tmp.path().join("notes.txt");
    let mut pty = env.spawn(&[
        "shell",
        "-r",
        "vim",
        "--",
        "vim",
        "-u",
        "NONE",
        "-N",
        "-n",
        "-i",
        "NONE",
        file.to_str().unwrap(),
    ]);
    pty.expect("notes.txt");
    pty.send(":X\r");
    pty.expect("Enter encryption key: ");
    pty.send("vimSecret7\r");
    pty.expect("Enter same key again: ");
    pty.send("vimSecret7\r");
    pty.send(":q!\r");
    pty.wait();
    let log = env.log();
    assert_not_in_log(&log, &["vimSecret7"]);
    assert_eq!(masked_inputs(&log).iter().map(|m| m.0).sum::<u64>(), 20);
}

fn which(prog: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(prog))
            .find(|f| f.is_file())
    })
}

#[test]
fn a_password_typed_ahead_of_its_prompt_is_masked() {
    let env = Env::new();
    let mut pty = bash_at_its_prompt(&env, "typeahead");
    // One paste: the command that will ask, and the password, before any prompt.
    pty.send("read -rs -p 'Pass''word: ' pw; echo; echo \"got ${#pw}\"\rtypedAhead9\r");
    pty.expect("got 11");
    pty.send("exit\r");
    pty.wait();
    let log = env.log();
    assert_not_in_log(&log, &["typedAhead9"]);
    assert_eq!(masked_inputs(&log), [(11, false)]);
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
    let tty = env.tmp.path().join("tty");
    let script = format!(
        "tty > {}; read -s -n 5 x; echo \"got ${{#x}}\"",
        tty.display()
    );
    let mut pty = env.spawn(&[
        "shell", "-r", "replay i", "--", "bash", "--norc", "-c", &script,
    ]);
    wait_echo_off(Path::new(&wait_for_line(&tty)), false);
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
