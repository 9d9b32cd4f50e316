//! What a watcher reads about the keyboard, from its own point of view: help built from
//! its escape key and what it may do, people named as `ls` names them (the session's user,
//! never "owner", by [`crate::review::who`]), and what it is told when the keyboard comes to it or leaves it. Pure.

use super::keys::key_name;

/// The help line: only the keys this watcher may use (an operator may take, return and
/// end; anyone may detach, mark and ask for help), with its own escape key.
pub fn help_line(escape: u8, operator: bool) -> String {
    let e = key_name(escape);
    let mine = if operator {
        "t take the keyboard, r return it, d detach, k end the session, m add a marker, ? help"
    } else {
        "d detach, m add a marker, ? help"
    };
    format!("{e} then: {mine}; {e} {e} sends {e}")
}

/// What a watcher that does not hold the keyboard is told when it types.
pub fn not_sent(escape: u8, operator: bool, holder: &str) -> String {
    let hint = if operator {
        format!("press {} t to take the keyboard", key_name(escape))
    } else {
        "you may only watch".into()
    };
    format!("your keys are not sent: {holder} holds the keyboard ({hint})")
}

/// What this watcher is told when the keyboard comes to it (`now_mine`) or leaves it.
pub fn wheel_changed(escape: u8, now_mine: bool, holder: &str) -> String {
    if now_mine {
        format!(
            "you have the keyboard: what you type goes to the session; {} r hands it back",
            key_name(escape)
        )
    } else {
        format!("you no longer hold the keyboard: {holder} has it; your keys are not sent")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_names_the_configured_key_and_only_what_the_reader_may_do() {
        let op = help_line(0x07, true);
        assert!(op.starts_with("Ctrl-g then: t take"), "{op}");
        assert!(op.contains("k end the session"), "{op}");
        let watcher = help_line(0x07, false);
        assert!(watcher.starts_with("Ctrl-g then: d detach"), "{watcher}");
        for k in ["t take", "r return", "k end"] {
            assert!(!watcher.contains(k), "{k} offered to a watcher: {watcher}");
        }
        assert!(!watcher.contains("Ctrl-]"), "{watcher}");
    }

    #[test]
    fn the_holder_is_named_as_given() {
        assert!(not_sent(0x1d, false, "alice").contains("alice holds"));
        assert!(not_sent(0x07, true, "bob").contains("press Ctrl-g t"));
    }

    #[test]
    fn the_taker_is_not_told_its_keys_are_not_sent() {
        let mine = wheel_changed(0x07, true, "bob");
        assert!(!mine.contains("not sent"), "{mine}");
        assert!(mine.contains("Ctrl-g r"), "{mine}");
        assert!(wheel_changed(0x07, false, "alice").contains("alice has it"));
    }
}
