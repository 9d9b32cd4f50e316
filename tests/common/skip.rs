//! Skipping a test that needs something this machine lacks: never silent, never in CI.
//!
//! libtest captures what a passing test prints with `print!`/`eprint!` (the macros look
//! for its capture buffer), so an `eprintln!` skip notice is lost unless `--nocapture` is
//! given. A `Write` on `std::io::stderr()` itself bypasses the capture and reaches the
//! process's stderr, which `cargo test` passes through: the notice is always shown.

use std::io::Write;

/// Set in CI (`.ci/run` sets it), where every tool the suite needs is installed: a test
/// that would skip there fails instead.
const CI_VAR: &str = "CI";

/// Whether this is a CI run.
pub fn in_ci() -> bool {
    std::env::var_os(CI_VAR).is_some_and(|v| !v.is_empty() && v != "false")
}

/// Say on stderr that the running test skips, and why; under CI, fail with that reason.
/// The caller returns right after.
pub fn skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if in_ci() {
        panic!("{test} cannot run: {why}; nothing may be skipped in CI");
    }
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
}
