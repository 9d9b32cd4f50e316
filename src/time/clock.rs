//! Times of day and short durations for the words about a session's time limit, said the
//! same way by the live session (its notices and banner) and by review (`show`, `replay`):
//! "ends at 14:32 (in 5m)", "ops extended the session to 15:02 (+30m)". Pure: the time
//! zone is passed in ([`local`] is the system's).

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The time zone clock times are said in: the system's (`TZ`, else `/etc/localtime`).
/// Installed, a `TZ` that names a file is not followed: the process may hold the service
/// identity, and a user's `TZ` must not make it open the service user's files.
pub fn local() -> TimeZone {
    let tz = std::env::var_os("TZ");
    if crate::mode::installed() && tz.as_deref().is_some_and(names_a_file) {
        return std::fs::read("/etc/localtime")
            .ok()
            .and_then(|b| TimeZone::tzif("localtime", &b).ok())
            .unwrap_or(TimeZone::UTC);
    }
    TimeZone::system()
}

/// Whether a `TZ` value is a path (`/x`, `:/x`, `./x`) rather than a zone name.
fn names_a_file(tz: &std::ffi::OsStr) -> bool {
    let b = tz.as_encoded_bytes();
    let b = b.strip_prefix(b":").unwrap_or(b);
    b.starts_with(b"/") || b.starts_with(b".") || b.windows(2).any(|w| w == b"..")
}

/// A duration to the second, shortest form: `30m`, `1h30m`, `45s`, `2m30s`, `8h`.
pub fn short(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Below this much left, what is left is said to the second; from it, to the minute.
const TO_THE_MINUTE: u64 = 10 * 60;

/// Time left, as people read it: to the second under ten minutes, else to the minute
/// (`45s`, `1m30s`, `5m`, `1h34m`).
pub fn left(d: Duration) -> String {
    let s = (d.as_millis() as u64 + 500) / 1000;
    if s < TO_THE_MINUTE {
        return short(Duration::from_secs(s));
    }
    short(Duration::from_secs((s + 30) / 60 * 60))
}

/// The clock time of `at` in `tz`: `14:32`.
pub fn hhmm(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone()).strftime("%H:%M").to_string()
}

/// The clock time of `at` in `tz` to the second: `14:32:05`.
pub fn hhmmss(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string()
}

/// `at` plus `d` (saturating at the largest time jiff knows).
pub fn after(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(d).unwrap_or(Timestamp::MAX)
}

/// When a session that started at `started` (RFC 3339, as the genesis says) with a time
/// limit of `limit` ends; None when `started` does not parse.
pub fn end_of(started: &str, limit: Duration) -> Option<Timestamp> {
    started.parse::<Timestamp>().ok().map(|t| after(t, limit))
}

/// "14:32 (in 5m)": the end as a clock time and what is left from `now`.
pub fn ends(end: Timestamp, now: Timestamp, tz: &TimeZone) -> String {
    let rest = Duration::try_from(end.duration_since(now)).unwrap_or_default();
    format!("{} (in {})", hhmm(end, tz), left(rest))
}

/// What an `extend` record says: "ops extended the session to 15:02 (+30m)", the clock
/// time counted from the genesis's `started` (or the limit, when that does not parse).
pub fn extended(who: &str, started: &str, ttl_s: u64, by_s: u64, tz: &TimeZone) -> String {
    let limit = Duration::from_secs(ttl_s);
    let to = end_of(started, limit).map_or_else(
        || format!("a time limit of {}", short(limit)),
        |end| hhmm(end, tz),
    );
    format!(
        "{who} extended the session to {to} (+{})",
        short(Duration::from_secs(by_s))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn a_tz_that_is_a_path_is_told_from_a_name() {
        use std::ffi::OsStr;
        for path in ["/etc/shadow", ":/var/lib/x", "./keys", "Europe/../../etc/x"] {
            assert!(names_a_file(OsStr::new(path)), "{path}");
        }
        for name in ["Europe/Berlin", ":UTC", "CET-1CEST"] {
            assert!(!names_a_file(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn short_durations() {
        assert_eq!(short(30 * MIN), "30m");
        assert_eq!(short(90 * MIN), "1h30m");
        assert_eq!(short(8 * 60 * MIN), "8h");
        assert_eq!(short(Duration::from_secs(45)), "45s");
        assert_eq!(short(Duration::from_secs(150)), "2m30s");
        assert_eq!(short(Duration::ZERO), "0s");
        assert_eq!(short(Duration::from_millis(29_600)), "30s");
    }

    #[test]
    fn time_left_to_the_second_then_to_the_minute() {
        assert_eq!(left(5 * MIN - Duration::from_millis(300)), "5m");
        assert_eq!(left(Duration::from_secs(44)), "44s");
        assert_eq!(left(34 * MIN + Duration::from_secs(12)), "34m");
        assert_eq!(left(94 * MIN), "1h34m");
        assert_eq!(left(MIN - Duration::from_millis(10)), "1m");
        assert_eq!(left(Duration::from_millis(89_900)), "1m30s");
        assert_eq!(left(10 * MIN + Duration::from_secs(20)), "10m");
    }

    #[test]
    fn clock_times_in_a_zone() {
        let at: Timestamp = "2026-11-30T14:32:10Z".parse().unwrap();
        assert_eq!(hhmm(at, &TimeZone::UTC), "14:32");
        let plus2 = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(hhmm(at, &plus2), "16:32");
        let now: Timestamp = "2026-11-30T14:27:10Z".parse().unwrap();
        assert_eq!(ends(at, now, &TimeZone::UTC), "14:32 (in 5m)");
        assert_eq!(ends(now, at, &TimeZone::UTC), "14:27 (in 0s)");
        assert_eq!(after(at, Duration::MAX), Timestamp::MAX);
    }

    #[test]
    fn extension_words() {
        let tz = TimeZone::UTC;
        assert_eq!(
            extended("ops", "2026-11-30T14:02:00.123456Z", 3600, 1800, &tz),
            "ops extended the session to 15:02 (+30m)"
        );
        assert_eq!(
            extended("ops", "yesterday", 5400, 1800, &tz),
            "ops extended the session to a time limit of 1h30m (+30m)"
        );
        assert_eq!(
            end_of("2026-11-30T14:02:00Z", 20 * MIN).map(|t| hhmm(t, &tz)),
            Some("14:22".into())
        );
    }
}
