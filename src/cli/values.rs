//! Values of flags, parsed once by clap (`value_parser`): a bad one is a usage error that
//! names the flag and says what form is expected, exit status 2, before any work starts.

use std::time::Duration;

use crate::time;

/// The slowest and fastest `replay --speed`: slower shows nothing for minutes, faster
/// plays a long session in an instant and the terminal cannot keep up anyway.
pub const SPEED_RANGE: std::ops::RangeInclusive<f64> = 0.01..=1000.0;

/// `shell --ttl`: a time limit such as `30m` or `1h30m`, whole seconds, at least 1s.
pub fn ttl(s: &str) -> Result<Duration, String> {
    time::parse_ttl(s)
}

/// `replay --speed`: a factor within [`SPEED_RANGE`].
pub fn speed(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| SPEED_RANGE.contains(x))
        .ok_or_else(|| {
            format!(
                "`{s}` is not a speed between {} and {} (1 is as recorded, 4 four times as fast)",
                SPEED_RANGE.start(),
                SPEED_RANGE.end()
            )
        })
}

/// `replay --at`: a time into the session, as microseconds.
pub fn at(s: &str) -> Result<u64, String> {
    time::parse_position(s)
        .ok_or_else(|| format!("`{s}` is not a time such as 12:30, 1:02:03, 90 (seconds) or 2m30s"))
}

/// `grep --since`: a date, or a duration back from now.
pub fn since(s: &str) -> Result<jiff::Timestamp, String> {
    time::parse_since(s, jiff::Timestamp::now())
}

/// `watch --escape`: a control key, kept as typed (for the config's spelling to stand
/// beside it) with the byte it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeKey {
    pub name: String,
    pub byte: u8,
}

impl std::ops::Deref for EscapeKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

/// `watch --escape`: `ctrl-]`, `ctrl-b`, `^]`.
pub fn escape(s: &str) -> Result<EscapeKey, String> {
    crate::live::keys::parse_escape(s)
        .map(|byte| EscapeKey {
            name: s.to_string(),
            byte,
        })
        .ok_or_else(|| format!("`{s}` is not a control key such as ctrl-] or ctrl-b"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_values() {
        assert_eq!(ttl("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(speed("4"), Ok(4.0));
        assert_eq!(at("00:22"), Ok(22_000_000));
        assert_eq!(escape("ctrl-b").map(|k| k.byte), Ok(2));
        assert!(since("2h").is_ok());
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        assert!(ttl("soon").unwrap_err().contains("30m"));
        assert!(speed("0").unwrap_err().contains("between 0.01 and 1000"));
        assert!(speed("fast").is_err());
        assert!(speed("NaN").is_err());
        assert!(at("noon").unwrap_err().contains("12:30"));
        assert!(since("whenever").unwrap_err().contains("2h"));
        assert!(escape("x").unwrap_err().contains("ctrl-]"));
    }
}
