//! The largest terminal breakglass runs, records or emulates.
//!
//! A window size is two u16s, so a terminal, a log line or a client can say 65535×65535:
//! four billion cells, gigabytes in any emulator. Every size is clamped to
//! [`MAX_COLS`]×[`MAX_ROWS`] where it enters: the user's terminal (so the PTY and the log
//! never hold more), and every emulator that plays a log (the live screen, replay,
//! export, review), so logs written before the clamp, or edited, are clamped as they are
//! read. The log keeps what it says: its bytes are what the chain covers.

/// Most columns: wider than any real screen at a readable font (a 8K display is ~960
/// columns of 8-pixel cells).
pub const MAX_COLS: u16 = 1000;

/// Most rows: taller than any real screen (an 8K display is ~270 rows of 16-pixel cells).
pub const MAX_ROWS: u16 = 500;

/// `cols`×`rows` within 1×1 and [`MAX_COLS`]×[`MAX_ROWS`].
pub fn clamp(cols: u16, rows: u16) -> (u16, u16) {
    (cols.clamp(1, MAX_COLS), rows.clamp(1, MAX_ROWS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_clamped_both_ways() {
        assert_eq!(clamp(80, 24), (80, 24));
        assert_eq!(clamp(65535, 65535), (MAX_COLS, MAX_ROWS));
        assert_eq!(clamp(0, 0), (1, 1));
        assert_eq!(clamp(MAX_COLS, MAX_ROWS), (MAX_COLS, MAX_ROWS));
    }
}
