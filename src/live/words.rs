//! What a watcher reads about the keyboard, from its own point of view: help built from
//! its escape key and what it may do, people named as `ls` names them (the session's user,
//! never "owner", by [`crate::review::who`]), and what it is told when the keyboard comes to it or leaves it. Pure.

use super::keys::key_name;

/// The help line: only the keys this watcher may use (an operator may take, return and
/// end; anyone may detach, mark, ask for help and see past notices), with its own
/// escape key.
pub fn help_line(escape: u8, operator: bool) -> String {
    let e = key_name(escape);
    let mine = if operator {
        "t take the keyboard, r return it, d detach, k end the session, m add a marker, ? help, h past notices"
    } else {
        "d detach, m add a marker, ? help, h past notices"
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

/// What a watcher is told about sizes: the session's `session` (cols, rows) against its
/// own terminal's `mine`, whose last row is the status row. None when all of it shows
/// and nothing changed (`changed`: the session was just resized).
pub fn size_note(mine: (u16, u16), session: (u16, u16), changed: bool) -> Option<String> {
    let (c, r) = mine;
    let (sc, sr) = session;
    let fits = c >= sc && r > sr;
    let what = if changed {
        format!("the session is {sc}x{sr} now")
    } else {
        format!("the session is {sc}x{sr}")
    };
    match (fits, changed) {
        (true, false) => None,
        (true, true) => Some(what),
        (false, _) => Some(format!(
            "{what}, your terminal {c}x{r}: the view follows the cursor ({sc}x{} shows all of it, with this row)",
            sr + 1
        )),
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

    #[test]
    fn sizes_are_told_when_something_is_cut_or_changed() {
        assert_eq!(size_note((100, 31), (100, 30), false), None);
        let same = size_note((100, 30), (100, 30), false).unwrap();
        assert!(same.contains("100x31 shows all of it"), "{same}");
        assert_eq!(
            size_note((140, 40), (120, 30), true).as_deref(),
            Some("the session is 120x30 now")
        );
        assert!(
            size_note((60, 15), (100, 30), true)
                .unwrap()
                .contains("your terminal 60x15")
        );
    }
}
