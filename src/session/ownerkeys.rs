//! The owner's escape key (`Plan.escape`, default Ctrl-]) and what follows it: `t` takes
//! the keyboard back from a watcher, `h` shows the notices before (each further `h` an
//! older one), `?` the help; the escape key twice sends it once, and any other key after
//! it is typed as it is. While notices or help are shown, the next key only leaves them.
//! One reader for every owner command, and the help built from the same key and rights.
//! Pure.

use crate::live::keys::key_name;

/// What the owner asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Take the keyboard back from the watcher who holds it.
    Take,
    /// Show the notice before the one shown (the newest at first).
    History,
    Help,
    /// Leave the notices or help.
    Leave,
}

/// What the owner's keys come to: bytes for the session and commands, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Keys {
    pub pass: Vec<u8>,
    pub commands: Vec<Command>,
}

/// Follows the owner's keys across reads.
#[derive(Debug)]
pub struct OwnerKeys {
    escape: u8,
    /// The last key was the escape key.
    escaped: bool,
    /// Notices or help are shown: the next key leaves them (`h` steps back instead).
    viewing: bool,
}

impl OwnerKeys {
    pub fn new(escape: u8) -> OwnerKeys {
        OwnerKeys {
            escape,
            escaped: false,
            viewing: false,
        }
    }

    /// Start afresh (a new keyboard holder).
    pub fn reset(&mut self) {
        self.escaped = false;
    }

    /// Read what the owner typed.
    pub fn read(&mut self, bytes: &[u8]) -> Keys {
        let mut k = Keys::default();
        for &b in bytes {
            if self.viewing {
                self.viewing = b == b'h';
                k.commands.push(if self.viewing {
                    Command::History
                } else {
                    Command::Leave
                });
                continue;
            }
            if !self.escaped {
                self.escaped = b == self.escape;
                if !self.escaped {
                    k.pass.push(b);
                }
                continue;
            }
            self.escaped = false;
            let command = match b {
                b't' => Command::Take,
                b'h' => Command::History,
                b'?' => Command::Help,
                _ if b == self.escape => {
                    k.pass.push(b);
                    continue;
                }
                _ => {
                    k.pass.extend_from_slice(&[self.escape, b]);
                    continue;
                }
            };
            self.viewing = matches!(command, Command::History | Command::Help);
            k.commands.push(command);
        }
        k
    }
}

/// The owner's help: only the keys they may use, with their own escape key.
pub fn help_line(escape: u8, takes_back: bool) -> String {
    let e = key_name(escape);
    let take = if takes_back {
        "t take the keyboard back, "
    } else {
        ""
    };
    format!("{e} then: {take}h notices before, ? help; {e} {e} sends {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(k: &mut OwnerKeys, s: &[u8]) -> (Vec<u8>, Vec<Command>) {
        let r = k.read(s);
        (r.pass, r.commands)
    }

    #[test]
    fn commands_follow_the_escape_key_even_across_reads() {
        let mut k = OwnerKeys::new(0x1d);
        assert_eq!(read(&mut k, b"ls\r\x1d"), (b"ls\r".to_vec(), vec![]));
        assert_eq!(read(&mut k, b"t"), (vec![], vec![Command::Take]));
        assert_eq!(
            read(&mut k, b"\x1d\x1dt"),
            (b"\x1dt".to_vec(), vec![]),
            "the escape key twice is the key itself"
        );
        assert_eq!(
            read(&mut k, b"\x1dmx"),
            (b"\x1dmx".to_vec(), vec![]),
            "any other key after it is just typed"
        );
    }

    #[test]
    fn notices_step_back_with_h_and_any_other_key_leaves() {
        let mut k = OwnerKeys::new(0x07);
        assert_eq!(read(&mut k, b"\x1dh"), (b"\x1dh".to_vec(), vec![]));
        assert_eq!(read(&mut k, b"\x07h"), (vec![], vec![Command::History]));
        assert_eq!(
            read(&mut k, b"hh"),
            (vec![], vec![Command::History, Command::History])
        );
        assert_eq!(read(&mut k, b"xy"), (b"y".to_vec(), vec![Command::Leave]));
        assert_eq!(read(&mut k, b"\x07?"), (vec![], vec![Command::Help]));
        assert_eq!(read(&mut k, b"\r"), (vec![], vec![Command::Leave]));
    }

    #[test]
    fn help_names_the_configured_key_and_only_what_the_owner_may_do() {
        let h = help_line(0x07, true);
        assert!(
            h.starts_with("Ctrl-g then: t take the keyboard back"),
            "{h}"
        );
        let h = help_line(0x1d, false);
        assert!(!h.contains("t take"), "{h}");
        assert!(h.contains("Ctrl-] Ctrl-] sends Ctrl-]"), "{h}");
    }
}
