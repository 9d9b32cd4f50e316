//! Catch-up frames for paced watchers, on arbitrary session output.
//!
//! The first three bytes choose the screen height, where the watcher starts to skip and
//! how the output is cut into reads; the rest is the output. Checks:
//! - `live::pace::Tracker::push` and `catch_up` never panic, whatever the output;
//! - a frame takes the watcher forward, never back;
//! - a terminal that got the output up to the skip, the frame, then the rest shows exactly
//!   what a terminal that got every byte shows (avt is the judge): a frame is never a
//!   likeness.

#![no_main]

use std::sync::Arc;

use breakglass::live::pace::{CatchUp, Tracker};
use libfuzzer_sys::fuzz_target;

const COLS: usize = 20;

fn screen(bytes: &[u8], rows: usize) -> String {
    let mut t = avt::Terminal::new(COLS, rows).expect("size is positive");
    t.feed(String::from_utf8_lossy(bytes).as_ref());
    t.dump()
}

fuzz_target!(|data: &[u8]| {
    let [r, skip, cut, output @ ..] = data else {
        return;
    };
    let rows = 1 + (*r % 6) as u16;
    let skip = (*skip as usize * output.len()) / 256;
    let cut = 1 + *cut as usize;

    let mut t = Tracker::new();
    t.push(&Arc::new(output[..skip.min(3)].to_vec()));
    t.set_watching(true);
    let mut from = None;
    let mut at = skip.min(3);
    for piece in output[at..].chunks(cut) {
        if from.is_none() && at >= skip {
            from = Some(t.mark());
        }
        t.push(&Arc::new(piece.to_vec()));
        at += piece.len();
    }
    let Some(from) = from else { return };
    let (frame, to) = match t.catch_up(from, rows) {
        CatchUp::Caught | CatchUp::Lost => return,
        CatchUp::Frame { bytes, to } => (bytes, to),
    };
    assert!(to.offset > from.offset && to.offset <= output.len() as u64);
    let mut watcher = output[..from.offset as usize].to_vec();
    watcher.extend_from_slice(&frame);
    watcher.extend_from_slice(&output[to.offset as usize..]);
    assert_eq!(
        screen(output, rows.into()),
        screen(&watcher, rows.into()),
        "the frame from {} to {} of {} bytes is not exact",
        from.offset,
        to.offset,
        output.len()
    );
});
