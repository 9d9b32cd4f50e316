//! One at a time: tests that measure how long something takes, or how much got through in
//! that time, hold this lock, so the tests of the same binary (run in parallel threads)
//! do not slow each other down and skew the figures.

use std::sync::{Mutex, MutexGuard};

static TIMED: Mutex<()> = Mutex::new(());

/// Hold it for the whole test; a test that failed while holding it does not block the rest.
pub fn timed() -> MutexGuard<'static, ()> {
    TIMED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
