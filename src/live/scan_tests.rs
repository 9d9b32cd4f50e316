//! The scanner on bytes in memory: what it reports for text, colours, other sequences,
//! margins and C1 controls, whole or cut into pieces.

use super::*;

fn seen(input: &[&[u8]], skim: Skim) -> Vec<Seen> {
    let mut s = Scanner::default();
    let mut out = Vec::new();
    let mut base = 0;
    for piece in input {
        s.scan(piece, base, skim, &mut |e| out.push(e));
        base += piece.len() as u64;
    }
    out
}

#[test]
fn text_and_plain_controls_report_nothing() {
    let text: &[u8] = "héllo\tworld\x08!\x07\r\n°C\r\n".as_bytes();
    assert_eq!(seen(&[text], Skim::Controls), vec![]);
}

#[test]
fn colours_are_reported_whole_even_across_pieces() {
    let want = vec![
        Seen::Colour { start: 1, len: 7 },
        Seen::Colour { start: 9, len: 3 },
    ];
    assert_eq!(seen(&[b"a\x1b[1;31mb\x1b[m"], Skim::Controls), want);
    assert_eq!(
        seen(&[b"a\x1b[1;", b"31mb\x1b", b"[m"], Skim::Controls),
        want
    );
    assert!(is_reset(b"\x1b[m") && is_reset(b"\x1b[00;1m") && is_reset(b"\x1b[;5m"));
    assert!(!is_reset(b"\x1b[01m") && !is_reset(b"\x1b[:1;m") && !is_reset(b"\x1b[0;4:3m"));
}

#[test]
fn everything_else_ends_plain_output_where_it_ends() {
    for (input, end) in [
        (&b"ab\x1b[5;1Hc"[..], 8),
        (b"\x1b]0;title\x07x", 10),
        (b"\x1b]0;t\x1b\\x", 7),
        (b"\x1b7", 2),
        (b"\x1b(0", 3),
        (b"x\x0e", 2),
        ("\u{85}".as_bytes(), 2),
        ("\u{9b}1m".as_bytes(), 4),
        ("\u{9f}x\x07y\u{9c}".as_bytes(), 7),
        ("\u{9d}0;t\x07".as_bytes(), 6),
        (b"\x1b[?1049h", 8),
        // DEL is ignored inside a sequence: ESC DEL 7 is ESC 7.
        (b"\x1b\x7f7x", 3),
        (b"\x1b(\x7f0x", 4),
    ] {
        assert_eq!(
            seen(&[input], Skim::Controls),
            vec![Seen::NotPlain(end)],
            "{input:?}"
        );
    }
}

#[test]
fn a_control_inside_a_sequence_ends_plain_output_where_it_is_carried_out() {
    // A line feed inside a CSI moves the cursor; SO after an ESC that is then cut off by
    // another ESC still shifts to G1: neither stretch is plain, whatever follows.
    assert_eq!(
        seen(&[b"\x1b[3\n1m"], Skim::Controls),
        vec![Seen::NotPlain(4), Seen::NotPlain(6)]
    );
    assert_eq!(
        seen(&[b"ab\x1b", b"\x0e\x1b[5m"], Skim::Sequences),
        vec![Seen::NotPlain(4), Seen::Colour { start: 4, len: 4 }]
    );
}

#[test]
fn margins_and_resets_are_followed_when_skimming_for_sequences_only() {
    let input: &[&[u8]] = &[b"x\x0e\x1b[2;", b"6r..\x1b[r\x1b[?69h\x1bc"];
    let got = seen(input, Skim::Sequences);
    assert_eq!(
        got,
        vec![
            Seen::Margins { full: false },
            Seen::NotPlain(8),
            Seen::Margins { full: true },
            Seen::NotPlain(13),
            Seen::LeftRight { on: true },
            Seen::NotPlain(19),
            Seen::Reset,
            Seen::NotPlain(21),
        ]
    );
}

#[test]
fn margins_are_followed_through_controls_inside_and_overlong_parameters() {
    // A terminal carries out a control inside a CSI and goes on with the sequence.
    let nul = seen(&[b"\x1b[2\x00\x00;4rx"], Skim::Controls);
    assert_eq!(
        nul,
        vec![
            Seen::NotPlain(4),
            Seen::NotPlain(5),
            Seen::Margins { full: false },
            Seen::NotPlain(8)
        ]
    );
    // Parameters too long to keep: margins assumed not full, DECLRMM assumed on.
    let long = format!("\x1b[{}r", "0".repeat(MAX_PARAMS + 5));
    assert_eq!(
        seen(&[long.as_bytes()], Skim::Sequences)[0],
        Seen::Margins { full: false }
    );
    let modes = format!("\x1b[?{}h", "1;".repeat(MAX_PARAMS));
    assert_eq!(
        seen(&[modes.as_bytes()], Skim::Sequences)[0],
        Seen::LeftRight { on: true }
    );
    // A private marker or an intermediate makes `r` something else.
    assert_eq!(
        seen(&[b"\x1b[?2;4r", b"\x1b[2 r"], Skim::Controls),
        vec![Seen::NotPlain(7), Seen::NotPlain(12)]
    );
}

#[test]
fn a_colour_change_with_other_bytes_inside_is_none() {
    // A terminal ignores the whole sequence: it neither sets nor resets a colour.
    assert_eq!(
        seen(&[b"\x1b[\xc2\xc20m"], Skim::Controls),
        vec![Seen::NotPlain(6)]
    );
}

#[test]
fn a_string_cut_by_an_escape_starts_the_next_sequence() {
    assert_eq!(
        seen(&[b"\x1b]0;t\x1b[1mx"], Skim::Controls),
        vec![Seen::NotPlain(5), Seen::Colour { start: 5, len: 4 }]
    );
}
