//! Seek time in a recorded session: load the replay index once, then time seeks to
//! random moments (the screen at that moment, as replay draws it). Run by bench/run.sh:
//!
//!     cargo run --release --example seek -- SESSION.jsonl [SEEKS]
//!
//! Prints the load time, then the median, p90 and worst seek, in milliseconds, as JSON.

use std::time::Instant;

use breakglass::replay::index::Index;

/// Seeks timed when no count is given.
const DEFAULT_SEEKS: usize = 50;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: seek SESSION.jsonl [SEEKS]");
    let seeks: usize = args
        .next()
        .map_or(DEFAULT_SEEKS, |s| s.parse().expect("SEEKS is a number"));
    let t0 = Instant::now();
    let idx = Index::load(std::path::Path::new(&path)).expect("a session log");
    let load = t0.elapsed().as_secs_f64() * 1e3;
    let n = idx.entries.len();
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut times = Vec::with_capacity(seeks);
    for _ in 0..seeks {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let upto = 1 + (rng as usize) % n;
        let t = Instant::now();
        let screen = idx.screen_at(upto).expect("seek");
        let dump = screen.snapshot().dump;
        std::hint::black_box(dump);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "{{\"records\":{n},\"keyframes\":{},\"load_ms\":{load:.1},\"seeks\":{seeks},\"median_ms\":{:.2},\"p90_ms\":{:.2},\"max_ms\":{:.2}}}",
        idx.keyframes.len(),
        pct(0.5),
        pct(0.9),
        times[times.len() - 1]
    );
}
