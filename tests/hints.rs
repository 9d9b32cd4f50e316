//! What a new user is told instead of a raw error: a session that has ended cannot be
//! watched (replay it), a host name that is a typo, a ticket that does not match its
//! pattern asked again, and how to get `breakglass` on PATH before the README uses it.

mod common;

use common::verdicts::*;
use common::*;

#[test]
fn watching_a_session_that_has_ended_says_how_to_replay_it() {
    let env = Env::new();
    assert_eq!(record_one(&env, "over", "true"), 0);
    let id = session_id(&env);
    let copy = env.tmp.path().join("witness.jsonl");
    let out = env.run(&["watch", &id, "--save", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    assert!(
        err(&out).contains(&format!("session {id} has ended"))
            && err(&out).contains(&format!("breakglass replay {id}")),
        "{}",
        err(&out)
    );
    assert!(!err(&out).contains("os error"), "{}", err(&out));
    assert!(
        !copy.exists(),
        "a failed watch left its witness file behind"
    );
}

#[test]
fn a_host_typo_gets_a_suggestion_before_anything_is_recorded() {
    let env = Env::new();
    env.write_config("[hosts.\"prod-db1.invalid\"]\ncommand = [\"true\"]\n");
    let out = env.run(&["shell", "prod-db.invalid", "-r", "typo"]);
    assert_eq!(out.status.code(), Some(2), "{}", err(&out));
    assert!(
        err(&out).contains("did you mean prod-db1.invalid?"),
        "{}",
        err(&out)
    );
    assert!(!env.dir().exists(), "a data dir was made for a typo");
    // The configured name itself runs.
    let out = env.run(&["shell", "prod-db1.invalid", "-r", "right"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
}

#[test]
fn a_typed_ticket_that_fails_the_pattern_is_asked_again() {
    let env = Env::new();
    env.write_config("require_ticket = true\nticket_pattern = \"INC-[0-9]+\"\n");
    let mut pty = env.spawn(&["shell", "-r", "x", "--", "sh", "-c", "echo in''side"]);
    pty.expect("Ticket or incident id");
    pty.send("oops\r");
    pty.expect("does not match the pattern `INC-[0-9]+`; type it again");
    let start = std::time::Instant::now();
    while pty.screen().matches("Ticket or incident id").count() < 2 {
        assert!(
            start.elapsed() < DEADLINE,
            "not asked again: {}",
            pty.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    pty.send("INC-7\r");
    pty.expect("inside");
    assert_eq!(pty.wait().code(), Some(0));
    let g = breakglass::store::read_genesis(&env.log()).unwrap();
    assert_eq!(g.ticket.as_deref(), Some("INC-7"));
}

#[test]
fn the_readme_puts_breakglass_on_path_before_its_first_breakglass_command() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let run = readme
        .find("cargo run --release -- shell")
        .expect("the README starts with cargo run");
    let after = &readme[run..];
    let first_use = ["\nbreakglass ", "`breakglass "]
        .iter()
        .filter_map(|p| after.find(p))
        .min()
        .expect("the README uses breakglass");
    let install = after
        .find("cargo install --path .")
        .expect("the README says how to install");
    // It says why: the hints breakglass prints need it on PATH.
    assert!(
        after[..first_use].contains("on your PATH"),
        "the README does not say to put breakglass on PATH before using it"
    );
    assert!(
        install < first_use,
        "`breakglass` is used before it is installed: {:?}",
        &after[first_use..first_use + 60]
    );
}
