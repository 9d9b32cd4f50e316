//! Tests of the config: parsing, errors with file, line and key, the secret prompt.

use super::*;

fn parse(text: &str) -> Result<Config, Failure> {
    Config::parse(text, Path::new("/etc/bg.toml"))
}

#[test]
fn full_config_parses() {
    let c = parse(
        r#"
dir = "/var/lib/breakglass"
require_ticket = true
ticket_pattern = "INC-[0-9]+"
default_ttl = "30m"
max_ttl = "2h"
secret_prompt = "(?i)secret:\\s*$"

watchers = ["bob", "@audit"]
operators = ["@ops"]
require_operator = false
operator_drives_alone = true
escape_key = "ctrl-b"

[hosts.prod-db1]
command = ["ssh", "-t", "bastion", "ssh", "prod-db1"]
require_operator = true
operator_drives_alone = true
"#,
    )
    .unwrap();
    assert_eq!(c.default_ttl, Duration::from_secs(1800));
    assert_eq!(c.max_ttl, Duration::from_secs(7200));
    assert!(c.require_ticket);
    assert!(c.operator_drives_alone && c.hosts["prod-db1"].operator_drives_alone);
    assert_eq!(c.hosts["prod-db1"].command.as_ref().unwrap().len(), 5);
    assert!(c.secret_prompt.is_match("Secret: "));
    assert_eq!(c.operators, ["@ops"]);
    assert!(c.hosts["prod-db1"].require_operator);
    assert_eq!(c.escape_key.as_deref(), Some("ctrl-b"));
}

#[test]
fn errors_name_file_line_and_key() {
    let e = parse("dir = \"/x\"\ndefault_ttl = 5\n").unwrap_err();
    assert!(
        e.message
            .contains("/etc/bg.toml, line 2, key `default_ttl`"),
        "{}",
        e.message
    );
    let e = parse("\n\nmax_ttl = \"soon\"\n").unwrap_err();
    assert!(e.message.contains("line 3, key `max_ttl`"), "{}", e.message);
    let e = parse("ticket_pattern = \"(\"\n").unwrap_err();
    assert!(
        e.message.contains("line 1, key `ticket_pattern`"),
        "{}",
        e.message
    );
    let e = parse("colour = true\n").unwrap_err();
    assert!(
        e.message.contains("line 1, key `colour`") && e.message.contains("unknown field"),
        "{}",
        e.message
    );
    assert_eq!(e.code, crate::error::Exit::Tool);
}

#[test]
fn default_prompt_catches_the_usual_prompts() {
    let r = Regex::new(DEFAULT_SECRET_PROMPT).unwrap();
    for p in [
        "Password: ",
        "[sudo] password for alice: ",
        "Enter passphrase for key '/home/a/.ssh/id_ed25519': ",
        "alice@db1's password:",
        "Enter pass phrase for server.key:",
        "\r\nEnter encryption key: ",
        "Enter same key again: ",
        "Passwort: ",
        "Mot de passe : ",
        "Contraseña:",
        "Senha:",
        "Parola d'ordine:",
        "Wachtwoord:",
        "Пароль:",
        "パスワード:",
        "密码：",
    ] {
        assert!(r.is_match(p), "{p}");
    }
    for p in [
        "$ ",
        "password changed.\n$ ",
        "Enter file name: ",
        "Passwort geändert.\n$ ",
        "Enter file in which to save the key (/root/.ssh/id_ed25519): x\n$ ",
    ] {
        assert!(!r.is_match(p), "{p}");
    }
}

#[test]
fn grace_is_whole_seconds_and_may_be_zero() {
    assert_eq!(
        parse("grace = \"3s\"\n").unwrap().grace,
        Duration::from_secs(3)
    );
    assert_eq!(parse("grace = \"0s\"\n").unwrap().grace, Duration::ZERO);
    assert!(
        parse("grace = \"soon\"\n")
            .unwrap_err()
            .message
            .contains("key `grace`")
    );
}
