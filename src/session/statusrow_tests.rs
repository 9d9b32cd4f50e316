//! The status row filter on bytes in memory.

use super::*;

/// A 80x23 session (the terminal has 24 rows) whose row says "bar".
fn filter() -> RowFilter {
    let mut f = RowFilter::new(80, 23);
    f.set_text("bar");
    f
}

fn feed(f: &mut RowFilter, s: &str) -> String {
    String::from_utf8(f.feed(s.as_bytes()).into_owned()).unwrap()
}

fn painted(s: &str) -> bool {
    s.contains("\x1b[24;1H\x1b[0;7mbar")
}

#[test]
fn plain_output_passes_untouched_and_borrowed() {
    let mut f = filter();
    let text = b"hello\r\nworld\r\n";
    assert!(matches!(f.feed(text), Cow::Borrowed(_)));
    assert_eq!(feed(&mut f, "\x1b[1mbold\x1b[0m"), "\x1b[1mbold\x1b[0m");
}

#[test]
fn a_region_reset_or_beyond_the_session_is_rewritten() {
    let mut f = filter();
    assert_eq!(feed(&mut f, "\x1b[r"), "\x1b[1;23r");
    assert_eq!(feed(&mut f, "\x1b[3r"), "\x1b[3;23r");
    assert_eq!(feed(&mut f, "\x1b[1;24r"), "\x1b[1;23r");
    assert_eq!(feed(&mut f, "\x1b[2;10r"), "\x1b[2;10r");
    assert_eq!(f.margins, Some((2, 10)));
    assert_eq!(feed(&mut f, "a\x1b[;99rb"), "a\x1b[1;23rb");
    assert_eq!(f.margins, None);
}

#[test]
fn cursor_addressing_onto_the_row_is_clamped() {
    let mut f = filter();
    assert_eq!(feed(&mut f, "\x1b[24;5H"), "\x1b[23;5H");
    assert_eq!(feed(&mut f, "\x1b[99f"), "\x1b[23f");
    assert_eq!(feed(&mut f, "\x1b[30d"), "\x1b[23d");
    assert_eq!(feed(&mut f, "\x1b[23;80H\x1b[H"), "\x1b[23;80H\x1b[H");
    // Private and other sequences with the same final bytes are not touched.
    assert_eq!(feed(&mut f, "\x1b[?99h\x1b[30;1'H"), "\x1b[?99h\x1b[30;1'H");
}

#[test]
fn sequences_cut_between_chunks_are_held_and_rewritten() {
    let mut f = filter();
    assert_eq!(feed(&mut f, "ab\x1b"), "ab");
    assert_eq!(feed(&mut f, "["), "");
    assert_eq!(feed(&mut f, "2"), "");
    assert_eq!(feed(&mut f, "4;1Hx"), "\x1b[23;1Hx");
    assert_eq!(feed(&mut f, "\x1b[1;"), "");
    assert_eq!(feed(&mut f, "99r"), "\x1b[1;23r");
    // An OSC is passed on as it comes, and nothing is read into it.
    assert_eq!(feed(&mut f, "\x1b]0;t [r"), "\x1b]0;t [r");
    let out = feed(&mut f, "itle\x07\x1b[r");
    assert!(out.starts_with("itle\x07\x1b[1;23r"), "{out:?}");
}

#[test]
fn an_overlong_sequence_is_passed_on_not_held() {
    let mut f = filter();
    let long = format!("\x1b[{}", "1;".repeat(MAX_CSI));
    let out = feed(&mut f, &long);
    assert!(out.len() > MAX_CSI, "{out:?}");
    assert!(f.held.is_empty());
}

#[test]
fn erasing_the_screen_repaints_the_row() {
    let mut f = filter();
    assert!(painted(&feed(&mut f, "\x1b[H\x1b[2J$ ")));
    assert!(painted(&feed(&mut f, "\x1b[J")));
    assert!(
        !painted(&feed(&mut f, "\x1b[1J\x1b[K")),
        "ED 1 and EL leave it"
    );
    assert!(painted(&feed(&mut f, "\x1b[?1049h")));
    assert!(painted(&feed(&mut f, "\x1b[?1049l")));
    let out = feed(&mut f, "x\x1b[2J");
    assert!(
        out.starts_with("x\x1b[2J\x1b7\x1b[1;23r\x1b[?6l\x1b(B\x1b[24;1H"),
        "{out:?}"
    );
    assert!(out.ends_with("\x1b[0m\x1b[K\x1b8"), "{out:?}");
}

#[test]
fn a_hard_reset_sets_the_region_again_at_once() {
    let mut f = filter();
    let out = feed(&mut f, "\x1bc123");
    assert!(out.starts_with("\x1bc\x1b[1;23r123"), "{out:?}");
    assert!(painted(&out));
    let out = feed(&mut f, "\x1b[!p");
    assert!(out.starts_with("\x1b[!p\x1b7\x1b[1;23r\x1b8"), "{out:?}");
}

#[test]
fn the_repaint_waits_while_the_child_has_a_saved_cursor() {
    let mut f = filter();
    let out = feed(&mut f, "\x1b7\x1b[2J");
    assert!(!painted(&out), "DECSC outstanding: {out:?}");
    assert!(f.paint().is_none());
    assert!(!painted(&feed(&mut f, "more")));
    assert!(painted(&feed(&mut f, "\x1b8")), "after DECRC");
    assert!(!painted(&feed(&mut f, "\x1b[s\x1b[J")));
    assert!(painted(&feed(&mut f, "\x1b[u")));
    // A save in the main buffer does not hold a repaint on the alternate one.
    assert!(!painted(&feed(&mut f, "\x1b7")));
    assert!(painted(&feed(&mut f, "\x1b[?47h")));
    assert!(f.paint().is_some());
    assert!(f.paint().is_none() || !f.saved[1]);
}

#[test]
fn a_saved_cursor_is_seen_through_controls_and_del_inside_its_escape() {
    // The terminal reads `ESC DEL 7` and `ESC NUL 7` as `ESC 7`: the row must not be
    // painted over the child's saved cursor.
    for save in ["\x1b\x7f7", "\x1b\x007"] {
        let mut f = filter();
        let out = feed(&mut f, &format!("{save}\x1b[2J"));
        assert!(!painted(&out), "DECSC outstanding after {save:?}: {out:?}");
    }
}

#[test]
fn the_repaint_waits_for_the_end_of_a_string_and_of_a_character() {
    let mut f = filter();
    assert!(!painted(&feed(&mut f, "\x1b[2J\x1b]0;ti")));
    assert!(painted(&feed(&mut f, "tle\x1b\\")));
    let euro = "€".as_bytes();
    assert!(matches!(f.feed(&euro[..1]), Cow::Borrowed(_)));
    assert!(f.paint().is_none(), "inside a character");
    let out = f.feed(&euro[1..]).into_owned();
    assert!(out.starts_with(&euro[1..]));
    assert!(painted(&String::from_utf8_lossy(&out)));
}

#[test]
fn the_bar_is_cut_and_padded_to_the_width() {
    let mut f = RowFilter::new(10, 5);
    f.set_text("a long status text");
    let out = String::from_utf8(f.paint().unwrap()).unwrap();
    assert!(
        out.contains("\x1b[6;1H\x1b[0;7ma long s…\x1b[0m"),
        "{out:?}"
    );
    f.set_text("短");
    let out = String::from_utf8(f.paint().unwrap()).unwrap();
    assert!(out.contains("\x1b[0;7m短       \x1b[0m"), "{out:?}");
}

#[test]
fn a_resize_repaints_with_the_new_size_and_full_margins() {
    let mut f = filter();
    feed(&mut f, "\x1b[2;10r");
    f.resize(100, 29);
    let out = String::from_utf8(f.paint().unwrap()).unwrap();
    assert!(out.contains("\x1b[1;29r"), "{out:?}");
    assert!(out.contains("\x1b[30;1H"), "{out:?}");
    assert_eq!(feed(&mut f, "\x1b[r"), "\x1b[1;29r");
}

#[test]
fn the_start_makes_room_for_the_row() {
    let mut f = filter();
    let out = String::from_utf8(f.start()).unwrap();
    assert!(out.starts_with("\n\x1b[A\x1b7\x1b[1;23r"), "{out:?}");
}
