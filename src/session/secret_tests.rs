//! Tests of secret masking: prompts, terminal modes and typed-ahead input, on bytes.

use super::*;
use crate::config::DEFAULT_SECRET_PROMPT;

fn filter() -> SecretFilter {
    SecretFilter::new(Some(Regex::new(DEFAULT_SECRET_PROMPT).unwrap()))
}

#[test]
fn prompt_then_password_is_masked_up_to_enter() {
    let mut f = filter();
    f.on_output(b"\x1b[0m[sudo] password for alice: \x1b[0m");
    assert_eq!(
        f.on_input(b"hunter2\rls\r", TtyMode::Open),
        vec![
            Piece::Secret(b"hunter2".to_vec()),
            Piece::Clear(b"\rls\r".to_vec())
        ]
    );
    // Typed one key at a time, across calls.
    f.on_output(b"Password: ");
    assert_eq!(
        f.on_input(b"s", TtyMode::Open),
        vec![Piece::Secret(b"s".to_vec())]
    );
    f.on_output(b"*"); // some programs echo stars: still masking
    assert_eq!(
        f.on_input(b"3\r", TtyMode::Open),
        vec![Piece::Secret(b"3".to_vec()), Piece::Clear(b"\r".to_vec())]
    );
    assert_eq!(
        f.on_input(b"ls", TtyMode::Open),
        vec![Piece::Clear(b"ls".to_vec())]
    );
}

#[test]
fn echo_off_canonical_mode_masks_and_ctrl_c_ends() {
    let mut f = filter();
    f.on_output(b"$ ");
    assert_eq!(
        f.on_input(b"abc\x03", TtyMode::SecretLine),
        vec![
            Piece::Secret(b"abc".to_vec()),
            Piece::Clear(b"\x03".to_vec())
        ]
    );
    assert_eq!(
        f.on_input(b"abc", TtyMode::Open),
        vec![Piece::Clear(b"abc".to_vec())]
    );
}

#[test]
fn ordinary_output_does_not_mask_and_off_records_all() {
    let mut f = filter();
    f.on_output(b"password changed\r\n$ ");
    assert_eq!(
        f.on_input(b"ls\r", TtyMode::Open),
        vec![Piece::Clear(b"ls\r".to_vec())]
    );
    let mut off = SecretFilter::new(None);
    off.on_output(b"Password: ");
    assert_eq!(
        off.on_input(b"pw\r", TtyMode::SecretLine),
        vec![Piece::Clear(b"pw\r".to_vec())]
    );
}

#[test]
fn terminal_modes_tell_secret_reads_from_line_editors() {
    let cooked = TtyFlags {
        icanon: true,
        echo: true,
        isig: true,
        icrnl: true,
        echoe: true,
    };
    assert_eq!(classify(cooked), TtyMode::Open);
    let getpass = TtyFlags {
        echo: false,
        ..cooked
    };
    assert_eq!(classify(getpass), TtyMode::SecretLine);
    // read -s -n 11: one key at a time, the rest cooked.
    let read_n = TtyFlags {
        icanon: false,
        ..getpass
    };
    assert_eq!(classify(read_n), TtyMode::SecretKeys);
    // readline and curses turn CR-to-NL off, less and top erase echo, vim and ssh signals.
    for f in [
        TtyFlags {
            icrnl: false,
            ..read_n
        },
        TtyFlags {
            echoe: false,
            ..read_n
        },
        TtyFlags {
            isig: false,
            ..read_n
        },
    ] {
        assert_eq!(classify(f), TtyMode::Open, "{f:?}");
    }
}

#[test]
fn keys_read_without_echo_are_secret_key_by_key() {
    let mut f = filter();
    f.on_output(b"$ ");
    assert_eq!(
        f.on_input(b"hunter2\r", TtyMode::SecretKeys),
        vec![
            Piece::Secret(b"hunter2".to_vec()),
            Piece::Clear(b"\r".to_vec())
        ]
    );
    assert!(
        !f.expecting_secret(),
        "no line stays masked after the mode ends"
    );
    assert_eq!(
        f.on_input(b"ls\r", TtyMode::Open),
        vec![Piece::Clear(b"ls\r".to_vec())]
    );
    f.on_output("Пароль: ".as_bytes());
    assert!(f.expecting_secret());
}
