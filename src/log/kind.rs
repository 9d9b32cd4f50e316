//! The kinds of record, by the letter a line's `k` field holds (docs/FORMAT.md): one
//! place for the letters, which the codec, the parser, the verifier's fast path, replay
//! and review all use.

super::vocab::words! {
    /// A record's kind.
    Kind {
        /// The genesis, line 0.
        Genesis = "g",
        /// Output.
        Output = "o",
        /// Input, as typed by someone.
        Input = "i",
        /// A resize.
        Resize = "r",
        /// A marker.
        Marker = "m",
        /// A participant event (join, take, ...).
        Participant = "p",
        /// A signature checkpoint.
        Checkpoint = "s",
        /// The end.
        End = "x",
    }
}

impl Kind {
    /// The letter of `k` as its one byte.
    pub const fn letter(self) -> u8 {
        self.as_str().as_bytes()[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip_and_nothing_else_parses() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(*k));
            assert_eq!(k.letter(), k.as_str().as_bytes()[0]);
        }
        assert_eq!(Kind::list(), "g, o, i, r, m, p, s, x");
        for bad in ["", "G", "oo", "z", " o"] {
            assert!(bad.parse::<Kind>().is_err(), "{bad}");
        }
    }
}
