//! Driving the verifier over a reader: lines in flat memory, the final fragment, and the
//! rule for a file that holds nothing but a fragment.

use std::io::Read;

use super::lines::{Item, LineReader};
use super::verify::{Report, Verdict, Verifier, Witnesses};

/// Verify a whole log from a reader. I/O errors are returned as such (not a verdict).
pub fn verify_reader<R: Read>(
    r: R,
    witnesses: Witnesses,
    progress: impl FnMut(u64),
) -> std::io::Result<Report> {
    verify_with(r, Verifier::new(witnesses), progress)
}

/// Verify a whole log with a verifier set up by the caller (witnesses, trusted key).
pub fn verify_with<R: Read>(
    r: R,
    mut v: Verifier,
    mut progress: impl FnMut(u64),
) -> std::io::Result<Report> {
    let mut lines = LineReader::new(r);
    let mut fragment = None;
    let mut fragment_head = Vec::new();
    while let Some(item) = lines.next()? {
        match item {
            Item::Line(l, at) => v.line(l, at),
            Item::TooLong(at) => v.too_long(at),
            Item::Fragment(at, len, head) => {
                fragment = Some((at, len));
                fragment_head = head;
            }
        }
        if v.failed() {
            break;
        }
        progress(lines.offset());
    }
    let only_fragment = v.report().records == 0 && !v.failed() && fragment.is_some();
    let mut report = v.finish(fragment);
    if only_fragment && !could_be_cut_genesis(&fragment_head) {
        report.verdict = Some(Verdict::Unverifiable);
    }
    Ok(report)
}

/// How every genesis line begins.
pub const GENESIS_START: &[u8] = b"{\"seq\":0,\"t\":0,\"k\":\"g\",";

/// A file holding only a fragment is a log cut during its first line if the fragment is
/// NUL padding or starts like a genesis line; otherwise it is not a breakglass log.
fn could_be_cut_genesis(head: &[u8]) -> bool {
    let n = head.len().min(GENESIS_START.len());
    head.iter().all(|&b| b == 0) || head[..n] == GENESIS_START[..n]
}
