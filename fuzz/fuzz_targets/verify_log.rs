//! Session logs are untrusted input: `breakglass verify` must give a verdict on any bytes
//! without panicking, in flat memory however long a line claims to be.
//!
//! Checks, for arbitrary bytes:
//! - `log::stream::verify_reader` never panics;
//! - its report does not depend on how the reader splits the bytes (one read, or short
//!   reads of varying size with `Interrupted` errors in between, as a pipe may give);
//! - `log::read::Records` never panics, and yields every line the verifier accepted;
//! - the heap high-water mark stays under a fixed bound, and a log whose line runs far
//!   past the 1 MiB limit (the fuzzer's bytes followed by megabytes of filler) is refused
//!   without memory growing with that line.

#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use breakglass::log::read::Records;
use breakglass::log::stream::verify_reader;
use breakglass::log::verify::{Report, Verdict};
use libfuzzer_sys::fuzz_target;

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
            grew(new);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Run `f` and return its result and the most heap it held at once beyond what was live
/// before.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

const MIB: usize = 1024 * 1024;

/// The line reader's fixed buffer is 1.25 MiB; decoding the fuzzer's few KiB adds little.
/// Anything that reads an over-long line whole goes far past this.
const HEAP_LIMIT: usize = 4 * MIB;

/// Filler appended in the long-line cases: well past both the 1 MiB line limit and
/// [`HEAP_LIMIT`].
const FILLER: u64 = 6 * MIB as u64;

/// A reader that hands out its bytes in short reads of varying size, with an
/// `Interrupted` error now and then.
struct Choppy<R> {
    inner: R,
    sizes: Vec<usize>,
    i: usize,
}

impl<R: Read> Read for Choppy<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = self.sizes[self.i % self.sizes.len()];
        self.i += 1;
        if s == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = s.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

fn choppy<R: Read>(inner: R, data: &[u8]) -> Choppy<R> {
    // Read sizes from the input itself: 0 (Interrupted) to 16 bytes, then larger.
    let mut sizes: Vec<usize> = data
        .iter()
        .take(8)
        .map(|&b| match b % 20 {
            0 => 0,
            17 => 4096,
            18 => 65_536,
            19 => 1 << 20,
            n => n as usize,
        })
        .collect();
    sizes.push(7);
    Choppy {
        inner,
        sizes,
        i: 0,
    }
}

fn summary(r: &Report) -> String {
    format!("{r:?}")
}

fn check(data: &[u8]) {
    let (whole, heap) = measured(|| verify_reader(data, Default::default(), |_| {}));
    let whole = whole.expect("reading from a slice cannot fail");
    assert!(
        heap <= HEAP_LIMIT,
        "verify_reader held {heap} bytes of heap for {} bytes of input",
        data.len()
    );

    let split = verify_reader(choppy(data, data), Default::default(), |_| {})
        .expect("Interrupted is retried; nothing else fails");
    assert_eq!(
        summary(&whole),
        summary(&split),
        "the verdict depends on how the input was read"
    );

    // Records reads the lines the verifier accepted (and stops at the first bad one).
    let (n, heap) = measured(|| {
        let mut n = 0u64;
        for item in Records::new(data) {
            let (_offset, _record) = item.expect("reading from a slice cannot fail");
            n += 1;
        }
        n
    });
    assert!(heap <= HEAP_LIMIT, "Records held {heap} bytes of heap");
    assert!(
        n >= whole.records,
        "the verifier accepted {} lines, Records read only {n}",
        whole.records
    );
    if whole.verdict() == Verdict::Verified {
        assert_eq!(n, whole.records, "a verified log has exactly its records");
    }
}

/// The fuzzer's bytes, then `FILLER` bytes of `fill`, then (for some inputs) the
/// fuzzer's bytes again: an over-long line, or a long NUL tail with or without data after
/// it.
fn check_long(data: &[u8], fill: u8, again: bool) {
    let tail: &[u8] = if again { data } else { &[] };
    let make = || data.chain(io::repeat(fill).take(FILLER)).chain(tail);
    let (rep, heap) = measured(|| verify_reader(make(), Default::default(), |_| {}));
    let rep = rep.expect("in-memory reader");
    assert!(
        heap <= HEAP_LIMIT,
        "verify_reader held {heap} bytes of heap for a line of over {FILLER} bytes"
    );
    assert_ne!(
        rep.verdict(),
        Verdict::Verified,
        "a log with an over-long line or a NUL tail is not intact"
    );
    let (_, heap) = measured(|| Records::new(make()).count());
    assert!(heap <= HEAP_LIMIT, "Records held {heap} bytes of heap");
}

fuzz_target!(|data: &[u8]| {
    check(data);
    // One input in 16 also gets the (slower) long-line treatment.
    if data.len() % 16 == 0 {
        let fill = data.last().copied().unwrap_or(0);
        check_long(data, fill, data.len() % 32 == 0);
    }
});
