//! What the owner's status row filter costs on the hot path: the same output fed in
//! 64 KiB reads through `termstate::Modes` (which follows every chunk shown anyway) and
//! through the status row's filter, rounds alternating, in CPU-free wall time of this
//! process alone. Run as:
//!
//!     cargo run --release --example statusrow -- FILE [ROUNDS]
//!
//! FILE is the output to show (bench/out/text-*.txt, say). Prints MiB/s of each.

use std::time::Instant;

use breakglass::session::statusrow::RowFilter;
use breakglass::termstate::Modes;

/// Rounds of each when no count is given.
const DEFAULT_ROUNDS: usize = 5;
/// Reads of this size, as the PTY reader joins them.
const CHUNK: usize = 64 * 1024;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: statusrow FILE [ROUNDS]");
    let rounds: usize = args
        .next()
        .map_or(DEFAULT_ROUNDS, |r| r.parse().expect("ROUNDS"));
    let data = std::fs::read(file).expect("read FILE");
    let mib = data.len() as f64 / (1024.0 * 1024.0);
    let (mut modes_s, mut row_s) = (Vec::new(), Vec::new());
    let mut shown = 0usize;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut m = Modes::new();
        for c in data.chunks(CHUNK) {
            m.feed(c);
        }
        modes_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut f = RowFilter::new(100, 29);
        f.set_text("\u{25cf} REC abcd1234 \u{b7} db1 \u{b7} ends 14:32");
        for c in data.chunks(CHUNK) {
            shown += f.feed(c).len();
        }
        row_s.push(t.elapsed().as_secs_f64());
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (m, r) = (med(&mut modes_s), med(&mut row_s));
    println!(
        "{{\"mib\":{mib:.1},\"modes_mib_s\":{:.0},\"row_filter_mib_s\":{:.0},\"shown\":{shown}}}",
        mib / m,
        mib / r
    );
}
