//! The closed sets of words the format uses (docs/FORMAT.md), each an enum with its
//! spelling in one place: how a session ended (`x` records' `cause`), what a participant
//! did (`p` records' `event`) and how they joined (`mode`). Records keep the words as
//! read, so that the verifier, not the parser, judges a word it does not know.

/// An enum of words: `ALL`, `as_str`, `Display`, and `FromStr` that takes only the words.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every word, in the order docs/FORMAT.md lists them.
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            /// The word as the log spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// Every word, `, ` between them, for messages.
            pub fn list() -> String {
                Self::ALL.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<$name, ()> {
                Self::ALL.iter().copied().find(|w| w.as_str() == s).ok_or(())
            }
        }
    };
}
pub(crate) use words;

words! {
    /// How a session ended.
    Cause {
        /// The command exited.
        Exit = "exit",
        /// A signal killed the command.
        Signal = "signal",
        /// The time limit ran out.
        Ttl = "ttl",
        /// breakglass was asked to end it (SIGTERM, SIGINT, an operator's kill).
        Killed = "killed",
        /// The owner's terminal went away (SIGHUP).
        Hangup = "hangup",
        /// breakglass failed (the log could not be written).
        Error = "error",
    }
}

words! {
    /// What a participant did.
    Event {
        /// Joined to watch or operate.
        Join = "join",
        /// Stopped watching.
        Leave = "leave",
        /// Was refused.
        Deny = "deny",
        /// Took the keyboard.
        Take = "take",
        /// Gave the keyboard back.
        Return = "return",
        /// Ended the session.
        Kill = "kill",
        /// Lost the keyboard to the owner's escape key.
        Reclaim = "reclaim",
        /// Lost the keyboard: connection closed, or not reading.
        Lost = "lost",
        /// The owner's terminal went away; the session is held for an attach.
        Detach = "detach",
        /// The owner came back with `breakglass attach`.
        Attach = "attach",
        /// Moved the time limit later (`breakglass extend`).
        Extend = "extend",
    }
}

words! {
    /// How a participant joined, or asked to: what they may do.
    Mode {
        /// See the session.
        Watch = "watch",
        /// See it, take the keyboard and end it.
        Operate = "operate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_as_the_log_spells_them() {
        assert_eq!(Cause::list(), "exit, signal, ttl, killed, hangup, error");
        assert_eq!(
            Event::list(),
            "join, leave, deny, take, return, kill, reclaim, lost, detach, attach, extend"
        );
        assert_eq!(Mode::list(), "watch, operate");
        for c in Cause::ALL {
            assert_eq!(c.as_str().parse::<Cause>(), Ok(*c));
        }
        for e in Event::ALL {
            assert_eq!(e.to_string().parse::<Event>(), Ok(*e));
        }
        assert_eq!("operate".parse::<Mode>(), Ok(Mode::Operate));
        assert!("Exit".parse::<Cause>().is_err());
        assert!("".parse::<Event>().is_err());
        assert!(
            Mode::Watch < Mode::Operate,
            "operating is more than watching"
        );
    }
}
