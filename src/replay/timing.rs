//! Replay timing, pure: how long to wait before the next record at a speed, with long
//! gaps shortened to the idle limit, and the speeds `+` and `-` step through. Times typed
//! by people (`12:30`) and shown to them are [`crate::time`]'s.

use std::time::Duration;

/// Speeds `+` and `-` step through.
pub const SPEEDS: [f64; 9] = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0];

/// Wall-clock wait between two records `gap_us` apart in the session.
pub fn delay(gap_us: u64, speed: f64, idle_limit: Duration) -> Duration {
    let gap = Duration::from_micros(gap_us).min(idle_limit);
    gap.div_f64(speed.max(0.01))
}

/// The next speed up (`faster`) or down from `speed`.
pub fn step_speed(speed: f64, faster: bool) -> f64 {
    if faster {
        SPEEDS
            .iter()
            .copied()
            .find(|s| *s > speed + 1e-9)
            .unwrap_or(speed)
    } else {
        SPEEDS
            .iter()
            .rev()
            .copied()
            .find(|s| *s < speed - 1e-9)
            .unwrap_or(speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_scale_with_speed_and_cap_at_the_idle_limit() {
        let idle = Duration::from_secs(2);
        assert_eq!(delay(1_000_000, 1.0, idle), Duration::from_secs(1));
        assert_eq!(delay(1_000_000, 2.0, idle), Duration::from_millis(500));
        assert_eq!(
            delay(60_000_000, 1.0, idle),
            Duration::from_secs(2),
            "an idle minute plays as the limit"
        );
        assert_eq!(delay(60_000_000, 4.0, idle), Duration::from_millis(500));
        assert_eq!(delay(0, 1.0, idle), Duration::ZERO);
    }

    #[test]
    fn speed_steps() {
        assert_eq!(step_speed(1.0, true), 2.0);
        assert_eq!(step_speed(1.0, false), 0.5);
        assert_eq!(step_speed(64.0, true), 64.0);
        assert_eq!(step_speed(0.1, false), 0.1);
        assert_eq!(step_speed(3.0, true), 4.0);
    }
}
