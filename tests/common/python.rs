//! The independent Python verifier (tests/independent_verifier.py, written from
//! docs/FORMAT.md alone): its whole report, the ledger's verdict and the listed flag too.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Once;

use serde_json::Value;

use super::DEADLINE;
use super::skip::skip;

/// What the verifier says about one file (a session, or the ledger itself).
#[derive(Debug)]
pub struct Report {
    pub verdict: String,
    /// The 1-based line of the first bad record, if it names one.
    pub line: Option<u64>,
    /// With a ledger: `listed` or `unlisted` (None for a file with no genesis).
    pub listed: Option<String>,
    pub json: Value,
}

/// Its report on a session and, when one was given, on the ledger.
#[derive(Debug)]
pub struct Run {
    pub ledger: Option<Report>,
    pub file: Report,
    pub status: i32,
}

static SAID: Once = Once::new();

/// Run the verifier on `path` (against `ledger` if given). None where python3 cannot run
/// outside CI, said once on stderr; in CI that fails.
pub fn verify(path: &Path, ledger: Option<&Path>) -> Option<Run> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/independent_verifier.py");
    let mut c = Command::new("python3");
    c.arg(script);
    if let Some(l) = ledger {
        c.arg("--ledger").arg(l);
    }
    // python3 missing: skip; there, it still may not hang.
    let out = match Command::new("python3").arg("-c").arg("").output() {
        Ok(_) => super::procs::output_within(c.arg(path).stdin(Stdio::null()), DEADLINE),
        Err(e) => {
            SAID.call_once(|| skip(&format!("the independent verifier: python3 ({e})")));
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let said = || format!("{text} {}", String::from_utf8_lossy(&out.stderr));
    let reports: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {}", said())))
        .collect();
    let report = |j: &Value| Report {
        verdict: j["verdict"]
            .as_str()
            .unwrap_or_else(|| panic!("no verdict: {}", said()))
            .to_string(),
        line: j["line"].as_u64(),
        listed: j["ledger"].as_str().map(String::from),
        json: j.clone(),
    };
    let (ledger_report, file) = match (ledger, &reports[..]) {
        (Some(_), [l, f]) if l["ledger"] == true => (Some(report(l)), report(f)),
        (None, [f]) => (None, report(f)),
        _ => panic!("unexpected reports from the verifier: {}", said()),
    };
    Some(Run {
        ledger: ledger_report,
        file,
        status: out.status.code().unwrap_or(-1),
    })
}

impl Run {
    /// The ledger verified, and the file got `verdict` and is `listed` or `unlisted`.
    pub fn assert_with_ledger(&self, verdict: &str, listed: &str) {
        let l = self.ledger.as_ref().expect("a report on the ledger");
        assert_eq!(l.verdict, "VERIFIED", "the ledger: {}", l.json);
        assert_eq!(
            (self.file.verdict.as_str(), self.file.listed.as_deref()),
            (verdict, Some(listed)),
            "{}",
            self.file.json
        );
    }
}
