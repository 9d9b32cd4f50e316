//! What signing costs the recorder: the same output written through the log writer
//! unsigned and signed, rounds alternating, timed in CPU seconds of this process (the
//! recorder's own work, apart from the PTY and the terminal). Run as:
//!
//!     cargo run --release --example sign_cost -- FILE [ROUNDS]
//!
//! FILE is the output to record (bench/out/text-100MiB-*.txt, say); it is fed in 64 KiB
//! reads as a PTY gives them. Prints JSON: CPU medians, checkpoints, and the time of one
//! signature.

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use breakglass::log::chain::ZERO_HASH;
use breakglass::log::record::Genesis;
use breakglass::log::writer::{LogWriter, MAX_PAYLOAD};
use breakglass::sign::Signer;

/// Rounds of each variant when no count is given.
const DEFAULT_ROUNDS: usize = 5;
/// Signatures timed alone, for the cost of one.
const SIGNATURES: u32 = 2000;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given, nothing else.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// Record `data` into a fresh log in `dir`; CPU seconds taken and lines written.
fn record(dir: &std::path::Path, data: &[u8], signer: Option<Arc<Signer>>) -> (f64, u64) {
    let path = dir.join("bench.jsonl");
    let _ = std::fs::remove_file(&path);
    let f = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .expect("a log file");
    let g = Genesis {
        v: 1,
        session: "aaaaaaaaaaaa".into(),
        started: "2026-01-01T00:00:00Z".into(),
        tool: "breakglass bench".into(),
        ..Genesis::default()
    };
    let t0 = cpu_seconds();
    let mut w = LogWriter::create_signed(f, g, ZERO_HASH, signer).expect("genesis");
    for (i, chunk) in data.chunks(MAX_PAYLOAD).enumerate() {
        w.output(i as u64, chunk).expect("a record");
    }
    let checkpoints = w.records();
    drop(w);
    (cpu_seconds() - t0, checkpoints)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: sign_cost FILE [ROUNDS]");
    let rounds: usize = args
        .next()
        .map_or(DEFAULT_ROUNDS, |s| s.parse().expect("ROUNDS is a number"));
    let mut data = Vec::new();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .expect("the input file");
    let dir = tempfile::tempdir().expect("a temp dir");
    let signer = Arc::new(Signer::new(ed25519_dalek::SigningKey::from_bytes(&[7; 32])));
    let (mut plain, mut signed) = (Vec::new(), Vec::new());
    let (mut plain_lines, mut signed_lines) = (0, 0);
    for _ in 0..rounds {
        let (t, n) = record(dir.path(), &data, None);
        plain.push(t);
        plain_lines = n;
        let (t, n) = record(dir.path(), &data, Some(signer.clone()));
        signed.push(t);
        signed_lines = n;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let t = Instant::now();
    for i in 0..SIGNATURES {
        std::hint::black_box(signer.sign(&i.to_le_bytes().repeat(64)));
    }
    let per_sig_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(SIGNATURES);
    let (p, s) = (median(&mut plain), median(&mut signed));
    println!(
        "{{\"bytes\":{},\"rounds\":{rounds},\"cpu_unsigned_s\":{p:.4},\"cpu_signed_s\":{s:.4},\"ratio\":{:.4},\"checkpoints\":{},\"signature_us\":{per_sig_us:.1}}}",
        data.len(),
        s / p,
        signed_lines - plain_lines
    );
}
