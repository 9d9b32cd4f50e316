//! Times for people and from people, pure but for the clock: every way the product writes
//! a duration or a time into a session (`12:30`, `+00:12.345`, `3h05m`, `5 minutes`) or a
//! point in time (the log's RFC 3339 UTC, `14:05` local), and every way it reads one
//! (`--ttl 1h30m`, `--at 12:30`, `g 1:02:03`, `--since 2h`), plus the one spelling of
//! RFC 3339 UTC the log format allows, checked against the calendar.

pub mod clock;

use std::time::Duration;

/// Microseconds in a second, the unit of a record's `t`.
pub const MICROS: u64 = 1_000_000;

/// The shortest time limit: the genesis records it in whole seconds (`ttl_s`), so a
/// shorter one could not be recorded as it was given.
pub const MIN_TTL: Duration = Duration::from_secs(1);

/// `MM:SS` under an hour, `H:MM:SS` from an hour on (the form `replay --at` takes).
pub fn hms(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A time into the session in microseconds as [`hms`]: `12:30`, `1:02:03`.
pub fn position(t_us: u64) -> String {
    hms(t_us / MICROS)
}

/// Time into the session in whole seconds: `+00:12`, `+1:02:03` past an hour.
pub fn offset(t_us: u64) -> String {
    format!("+{}", position(t_us))
}

/// Time into the session with milliseconds: `+00:12.345`, `+1:02:03.456` past an hour.
pub fn offset_ms(t_us: u64) -> String {
    format!("{}.{:03}", offset(t_us), (t_us % MICROS) / 1000)
}

/// A length in a table column, two units at most: `41s`, `12m03s`, `3h05m`.
pub fn compact(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A length to the second: `41s`, `12m03s`, `3h05m09s`.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..3600 => compact(d),
        _ => format!("{}h{:02}m{:02}s", s / 3600, (s % 3600) / 60, s % 60),
    }
}

/// How long something took, in words of units, at least a second: `1h 2m 3s`, `1s`.
pub fn elapsed(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs().max(1))).to_string()
}

/// A duration for people, to the nearest second, past a minute to the nearest minute:
/// `5 minutes`, `1 minute` (also for 59.99 s left), `30 seconds`.
pub fn human(d: Duration) -> String {
    let s = (d.as_millis() as u64 + 500) / 1000;
    match s {
        0..=59 => format!("{s} second{}", if s == 1 { "" } else { "s" }),
        _ => {
            let m = (s + 30) / 60;
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
    }
}

/// Now as the log writes a time: RFC 3339 UTC with microseconds.
pub fn now_rfc3339() -> String {
    rfc3339_micros(jiff::Timestamp::now())
}

/// A time as the log writes it: `2026-03-01T12:00:00.123456Z`.
pub fn rfc3339_micros(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Seconds since the epoch in RFC 3339 UTC to the second, or the number itself when it
/// is out of range: `2026-03-01T12:00:00Z`.
pub fn utc_seconds(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map_or_else(
            || secs.to_string(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
}

/// Seconds since the epoch as `HH:MM` in this machine's time zone (empty when out of
/// range): when something happens today, for the person at the terminal.
pub fn local_hm(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| clock::hhmm(t, &clock::local()))
        .unwrap_or_default()
}

/// Parse a time limit such as `30m`, `1h30m` or `90s`: whole seconds, at least [`MIN_TTL`].
pub fn parse_ttl(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration such as 30m, 1h or 1h30m ({e})"))?;
    if d < MIN_TTL {
        return Err(format!(
            "`{s}` is shorter than the shortest time limit, {}s",
            MIN_TTL.as_secs()
        ));
    }
    whole_seconds(s, d)
}

/// Parse a grace period as a time limit is parsed, where `0s` (end at once) is allowed.
pub fn parse_grace(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration such as 30s, 5m or 1h ({e})"))?;
    whole_seconds(s, d)
}

/// `d` (parsed from `s`) when it is a whole number of seconds, as the log records limits.
fn whole_seconds(s: &str, d: Duration) -> Result<Duration, String> {
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "`{s}` is not a whole number of seconds, as the log records the limit (try {}s)",
            d.as_secs()
        ));
    }
    Ok(d)
}

/// A time into the session typed by a person, as microseconds: `12:30`, `1:02:03`, `90`
/// (seconds), or a duration such as `2m30s`.
pub fn parse_position(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.contains(':') {
        let mut total = 0f64;
        for part in s.split(':') {
            total = total * 60.0 + part.parse::<f64>().ok().filter(|v| *v >= 0.0)?;
        }
        return Some((total * 1e6) as u64);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return (secs >= 0.0).then_some((secs * 1e6) as u64);
    }
    humantime::parse_duration(s)
        .ok()
        .map(|d| d.as_micros() as u64)
}

/// A point in time typed by a person (`--since`): an RFC 3339 time, or a duration back
/// from `now` such as `2h` or `7d`. The error says which forms are taken.
pub fn parse_since(s: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let d = humantime::parse_duration(s).map_err(|_| {
        format!("`{s}` is not a date (2026-03-01T00:00:00Z) or a duration back (2h, 7d)")
    })?;
    now.checked_sub(d)
        .map_err(|_| format!("`{s}` is too far back"))
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, the one spelling of RFC 3339 UTC the format uses, on a
/// day the calendar has (no February 31st). Second 60 is taken, for a leap second.
pub fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let punct = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20
        || !(digits(0..4)
            && digits(5..7)
            && digits(8..10)
            && digits(11..13)
            && digits(14..16)
            && digits(17..19))
    {
        return false;
    }
    if punct.iter().any(|&(i, c)| b[i] != c) || b[b.len() - 1] != b'Z' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<i16>().unwrap_or(99);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let in_range = i8::try_from(month)
        .is_ok_and(|m| i8::try_from(day).is_ok_and(|d| jiff::civil::Date::new(year, m, d).is_ok()))
        && num(11..13) <= 23
        && num(14..16) <= 59
        && num(17..19) <= 60;
    if !in_range {
        return false;
    }
    let frac = &b[19..b.len() - 1];
    frac.is_empty()
        || (frac[0] == b'.'
            && (2..=10).contains(&frac.len())
            && frac[1..].iter().all(u8::is_ascii_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_grace_period_may_be_zero_but_is_whole_seconds() {
        assert_eq!(parse_grace("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_grace("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_grace("1.5s").is_err());
        assert!(parse_ttl("0s").is_err());
    }

    #[test]
    fn positions_and_offsets() {
        assert_eq!(offset_ms(12_345_678), "+00:12.345");
        assert_eq!(offset_ms(3_723_456_000), "+1:02:03.456");
        assert_eq!(offset(59_999_999), "+00:59");
        assert_eq!(offset(600_000_000), "+10:00");
        assert_eq!(hms(3600), "1:00:00");
        assert_eq!(position(750_000_000), "12:30");
        assert_eq!(position(3_723_000_000), "1:02:03");
    }

    #[test]
    fn lengths() {
        let s = Duration::from_secs;
        assert_eq!(compact(s(41)), "41s");
        assert_eq!(compact(s(723)), "12m03s");
        assert_eq!(compact(s(11100)), "3h05m");
        assert_eq!(span(s(723)), "12m03s");
        assert_eq!(span(s(11109)), "3h05m09s");
        assert_eq!(elapsed(Duration::ZERO), "1s");
        assert_eq!(elapsed(s(3723)), "1h 2m 3s");
    }

    #[test]
    fn points_in_time() {
        let t: jiff::Timestamp = "2026-03-01T12:00:00.5Z".parse().unwrap();
        assert_eq!(rfc3339_micros(t), "2026-03-01T12:00:00.500000Z");
        assert!(is_rfc3339_utc(&now_rfc3339()));
        assert_eq!(utc_seconds(1_772_366_400), "2026-03-01T12:00:00Z");
        assert_eq!(utc_seconds(u64::MAX), u64::MAX.to_string());
        assert_eq!(local_hm(1_772_366_400).len(), 5);
        assert_eq!(local_hm(u64::MAX), "");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(5 * MIN), "5 minutes");
        assert_eq!(human(MIN), "1 minute");
        assert_eq!(human(Duration::from_secs(30)), "30 seconds");
        assert_eq!(human(Duration::from_secs(1)), "1 second");
        // What a timer that wakes a little early or late leaves: the notice it stands for.
        assert_eq!(human(MIN - Duration::from_millis(10)), "1 minute");
        assert_eq!(human(5 * MIN - Duration::from_millis(300)), "5 minutes");
        assert_eq!(human(Duration::from_millis(29_600)), "30 seconds");
    }

    #[test]
    fn time_limits() {
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_ttl(" 90s "), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0s").unwrap_err().contains("shortest"));
        assert!(parse_ttl("1500ms").unwrap_err().contains("try 1s"));
        assert!(parse_ttl("soon").unwrap_err().contains("such as 30m"));
    }

    #[test]
    fn positions_typed() {
        assert_eq!(parse_position("12:30"), Some(750_000_000));
        assert_eq!(parse_position("00:22"), Some(22_000_000));
        assert_eq!(parse_position("1:02:03"), Some(3_723_000_000));
        assert_eq!(parse_position("90"), Some(90_000_000));
        assert_eq!(parse_position("2m30s"), Some(150_000_000));
        assert_eq!(parse_position("x"), None);
        assert_eq!(parse_position("-1"), None);
        assert_eq!(parse_position("1:-2"), None);
    }

    #[test]
    fn since() {
        let now: jiff::Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
        let at = |s| parse_since(s, now).map(|t| t.to_string());
        assert_eq!(at("2h").unwrap(), "2026-03-01T22:00:00Z");
        assert_eq!(at("2026-03-01T00:00:00Z").unwrap(), "2026-03-01T00:00:00Z");
        assert!(at("yesterday").unwrap_err().contains("a duration back"));
    }

    #[test]
    fn rfc3339_utc() {
        for ok in [
            "2026-03-01T12:00:00Z",
            "2026-03-01T12:00:00.5Z",
            "2026-03-01T12:00:00.123456789Z",
            "2024-02-29T00:00:00Z",
            "2016-12-31T23:59:60Z",
        ] {
            assert!(is_rfc3339_utc(ok), "{ok}");
        }
        for bad in [
            "2026-02-31T12:00:00Z",
            "2025-02-29T12:00:00Z",
            "2026-04-31T12:00:00Z",
            "2026-13-01T12:00:00Z",
            "2026-00-01T12:00:00Z",
            "2026-03-00T12:00:00Z",
            "2026-03-01T24:00:00Z",
            "2026-03-01 12:00:00Z",
            "2026-03-01T12:00:00+00:00",
            "2026-03-01T12:00:00.Z",
            "2026-03-01T12:00:00.1234567890Z",
            "2026-03-01T12:00Z",
            "9999-99-99T99:99:99Z",
            "x",
        ] {
            assert!(!is_rfc3339_utc(bad), "{bad}");
        }
    }
}
