//! Words from the reader's point of view, with three real users in tmux panes of three
//! sizes: help built from the configured escape key and the reader's rights, the watcher
//! who takes the keyboard told it has it (not that its keys are not sent), and the
//! session's user named as `ls` names them, never "owner".

mod common;

use common::tmux::Tmux;
use common::together::*;
use common::*;

#[test]
fn each_reader_is_told_in_its_own_words_with_its_own_keys() {
    if !as_root() {
        return;
    }
    let (dev, ops, pl) = ("bgw-devw", "bgw-opsw", "bgw-plw");
    let _users = Users::new("bgw-wd", &[dev, ops, pl]);
    let env = Env::new();
    env.write_config("escape_key = \"ctrl-g\"\n");
    let shared = shared_dir(&env, "bgw-wd");
    let Some(t) = Tmux::start(env.tmp.path(), &pane_env(&env)) else {
        return;
    };
    let cmd = Tmux::shell_cmd(&pane_env(&env));
    t.new_window_sized("wat", &cmd, 120, 36);
    t.new_window_sized("pl", &cmd, 90, 28);
    t.wait_in("main", "$");
    t.send(&as_user(
        &env,
        &shared,
        dev,
        &format!("shell -r words --operators {ops} --watchers {pl} -- sh"),
    ));
    t.wait_in("main", "RECORDING session");
    let id = shared_session_id(&shared);
    for (pane, user) in [("pl", pl), ("wat", ops)] {
        t.wait_in(pane, "$");
        t.send_to(pane, &as_user(&env, &shared, user, &format!("watch {id}")));
        t.wait_in("main", &format!("{user} is now watching"));
    }
    t.keys_to("pl", &["C-g", "?"]);
    t.keys_to("wat", &["C-g", "?"]);
    t.wait_in("pl", "Ctrl-g then: d detach, m add a marker, ? help");
    t.wait_in("wat", "Ctrl-g then: t take the keyboard");
    let plain = t.screen_of("pl");
    for k in ["t take", "k end", "Ctrl-]"] {
        assert!(
            !plain.contains(k),
            "{k:?} shown to a plain watcher:\n{plain}"
        );
    }
    // Any other key closes the help (on the status row): the state shows again.
    t.keys_to("pl", &["q"]);
    t.keys_to("wat", &["q"]);
    t.wait_in("pl", &format!("keyboard: {dev} ·"));
    assert!(
        !t.screen_of("pl").contains("keyboard: owner"),
        "{}",
        t.screen_of("pl")
    );

    t.keys_to("wat", &["C-g", "t"]);
    t.wait_in(
        "wat",
        "you have the keyboard: what you type goes to the session; Ctrl-g r",
    );
    t.wait_in("pl", &format!("{ops} has taken the keyboard"));
    t.wait_in(
        "main",
        &format!("{ops} has taken the keyboard: your keys are not sent"),
    );
    t.send_to("wat", "echo driven-$((6*7))");
    t.wait_in("main", "driven-42");
    assert!(
        !t.screen_of("wat").contains("not sent"),
        "the driver was told its keys are not sent:\n{}",
        t.screen_of("wat")
    );
    assert!(
        !t.screen_of("pl").contains("not sent until"),
        "{}",
        t.screen_of("pl")
    );

    t.keys_to("wat", &["C-g", "r"]);
    t.wait_in("main", &format!("{ops} handed the keyboard back to {dev}"));
    t.wait_in(
        "wat",
        &format!("you no longer hold the keyboard: {dev} has it"),
    );
    t.send_to("pl", "x");
    t.wait_in(
        "pl",
        &format!("your keys are not sent: {dev} holds the keyboard (you may only watch)"),
    );
    for pane in ["main", "wat", "pl"] {
        let s = t.screen_of(pane);
        assert!(
            !s.contains("the owner") && !s.contains(": owner"),
            "{pane}:\n{s}"
        );
    }
    t.send("exit");
    t.wait_in("main", "verify: breakglass verify");
}
