//! Masking catches the leaks, on the built binary in a real PTY: keys read without echo
//! one at a time (`read -s -n`), pass phrase and encryption key prompts (vim's `:X`),
//! prompts in other languages, and a password typed ahead of its prompt in one burst.

mod common;

use std::time::Instant;

use common::sealed::*;
use common::*;

#[test]
fn keys_read_without_echo_one_at_a_time_are_masked() {
    let env = Env::new();
    let mut pty = reading_keys(&env, "read -n", 11, "read y; echo \"y=$y\"");
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
        common::skip::skip("vim is not installed (.ci/run installs it)");
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
    let mut pty = bash_at_its_prompt(&env, "typeahead", &[]);
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
fn a_sudo_password_pasted_with_its_command_is_masked() {
    const PASSWORD: &str = "Tq7-sealed-typeahead-pw25";
    if !as_root() {
        return;
    }
    let Some(user) = SudoUser::create("bgxsealsudo", PASSWORD) else {
        return;
    };
    let env = Env::new();
    let mut pty = bash_at_its_prompt(&env, "sudo", &["runuser", "-u", user.name, "--"]);
    // One paste, before sudo has asked for anything.
    pty.send(&format!(
        "sudo -k; sudo true && echo sudo-o''k\r{PASSWORD}\r"
    ));
    pty.expect("sudo-ok");
    pty.send("exit\r");
    assert_eq!(pty.wait().code(), Some(0));
    let log = env.log();
    assert_not_in_log(&log, &[PASSWORD]);
    assert_eq!(masked_inputs(&log), [(25, false)]);
}
