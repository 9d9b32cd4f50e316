//! How many bytes at the start of a string need no JSON escape: no control character
//! (< 0x20), no `"`, no `\`. Both hot paths over text output use it: escaping it into the
//! log and checking that a logged string is canonical when verifying. On x86-64 it looks at
//! 16 bytes a step with SSE2 (part of every x86-64 CPU); elsewhere, and for the last few
//! bytes, eight at a time with integer bit tricks.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The number of leading bytes of `b` that a JSON string holds as they are.
pub fn plain_prefix(b: &[u8]) -> usize {
    // SAFETY: simd_prefix needs SSE2, which every x86-64 CPU has (it is in the target's
    // baseline); elsewhere it is a plain function.
    #[allow(unused_unsafe)]
    let mut i = unsafe { simd_prefix(b) };
    while let Some(w) = b.get(i..i + 8) {
        let mask = look_mask(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..].iter().take_while(|&&c| !needs_escape(c)).count()
}

/// Whether a JSON string must escape this byte.
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

/// Plain bytes found 16 at a time; stops at the first 16 that hold one that is not, or
/// where fewer than 16 are left (the caller looks at the rest).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn simd_prefix(b: &[u8]) -> usize {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let last_control = _mm_set1_epi8(0x1f);
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let mut i = 0;
    while let Some(w) = b.get(i..i + 16) {
        // SAFETY: `w` is 16 readable bytes, and an unaligned load has no other requirement.
        let x = unsafe { _mm_loadu_si128(w.as_ptr().cast()) };
        // A byte is a control character when min(byte, 0x1f) is the byte itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, last_control), x);
        let special = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash));
        let hits = _mm_movemask_epi8(_mm_or_si128(control, special)) as u32;
        if hits != 0 {
            return i + hits.trailing_zeros() as usize;
        }
        i += 16;
    }
    i
}

#[cfg(not(target_arch = "x86_64"))]
fn simd_prefix(_: &[u8]) -> usize {
    0
}

/// The high bit of each of the 8 bytes (little-endian) that is a control character
/// (< 0x20), `"` or `\`, by the "has a zero byte" and "has a byte less than n" bit tricks.
/// Non-zero exactly when one is; the lowest bit set marks the first such byte (bits above
/// it may be set for bytes that are not).
fn look_mask(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    below_space | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(b: &[u8]) -> usize {
        b.iter().take_while(|&&c| !needs_escape(c)).count()
    }

    #[test]
    fn every_byte_value_at_every_position_is_judged_as_one_at_a_time() {
        let base: Vec<u8> = b"plain text, \xe2\x82\xac and \x7f \xff: "
            .iter()
            .copied()
            .cycle()
            .take(53)
            .collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 53] {
            let text = &base[..len];
            assert_eq!(plain_prefix(text), len);
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut b = text.to_vec();
                    b[at] = c;
                    assert_eq!(plain_prefix(&b), naive(&b), "{c:#x} at {at} of {len}");
                }
            }
        }
    }

    #[test]
    fn the_eight_byte_test_misses_nothing() {
        for special in [0u8, 0x1f, b'"', b'\\'] {
            for at in 0..8 {
                let mut b = *b"abcdefgh";
                b[at] = special;
                let mask = look_mask(u64::from_le_bytes(b));
                assert_eq!(mask.trailing_zeros() / 8, at as u32, "{special:#x} at {at}");
            }
        }
        for plain in [
            *b"plain \x7f!",
            *b"        ",
            [0xe2, 0x82, 0xac, 0x20, 0x7f, 0xff, 0x80, 0x21],
        ] {
            assert_eq!(look_mask(u64::from_le_bytes(plain)), 0);
        }
    }
}
