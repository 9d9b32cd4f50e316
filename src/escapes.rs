//! Output as a person reads it, pure: escape sequences (CSI, OSC, two-byte ESC) and CRs
//! dropped. The secret filter matches password prompts on it, and `grep` searches it.

/// Drop escape sequences (CSI, OSC, two-byte ESC) and CRs, to match prompts as shown.
pub fn strip_escapes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b if b.get(i + 1) == Some(&b'[') => {
                i += 2;
                while i < b.len() && !(0x40..=0x7e).contains(&b[i]) {
                    i += 1;
                }
                i += 1;
            }
            0x1b if b.get(i + 1) == Some(&b']') => {
                i += 2;
                while i < b.len() && b[i] != 0x07 && !(b[i] == 0x1b && b.get(i + 1) == Some(&b'\\'))
                {
                    i += 1;
                }
                i += if b.get(i) == Some(&0x1b) { 2 } else { 1 };
            }
            0x1b => i += 2,
            b'\r' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_cr() {
        assert_eq!(
            strip_escapes(b"a\x1b[31mb\x1b]0;t\x07c\x1b]2;x\x1b\\d\re"),
            b"abcde"
        );
    }
}
