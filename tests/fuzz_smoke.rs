//! A short run of every fuzz target through `fuzz/run.sh`: a target that no longer builds,
//! or that crashes, hangs or runs out of memory within the run, fails `cargo test`.
//! Needs cargo-fuzz and a C++ compiler (`.ci/run` installs both); without cargo-fuzz the
//! test is skipped on a developer's machine and fails under CI. Long runs:
//! `bash fuzz/run.sh 600`.

mod common;

use std::path::Path;
use std::process::Command;

/// Seconds per target: enough to build, replay the seeds and regressions and explore a
/// little; the coverage-guided search proper is fuzz/run.sh's job.
const SMOKE_SECS: u32 = 15;

fn have_cargo_fuzz() -> bool {
    Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_fuzz_target_builds_and_survives_a_short_run() {
    if !have_cargo_fuzz() {
        return common::skip::skip(
            "cargo-fuzz is not installed (`cargo install cargo-fuzz`; .ci/run installs it)",
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(SMOKE_SECS.to_string())
        .output()
        .expect("run fuzz/run.sh");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "a fuzz target failed:\n{report}");
    for target in [
        "verify_log",
        "ledger",
        "live_protocol",
        "watch_keys",
        "pace",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(target) && l.contains(" ok ")),
            "{target} did not run:\n{report}"
        );
    }
}
