//! UTF-8 carry-over: a character split across two PTY reads is held back and joined to the
//! next read, so text stays text (`d`) and only bytes that are not UTF-8 at all become `b`.

use super::record::Data;

/// The longest UTF-8 sequence; at most this minus one bytes are ever carried.
const MAX_UTF8_LEN: usize = 4;

/// Splits a byte stream into [`Data`] payloads, carrying incomplete trailing characters.
#[derive(Debug, Default)]
pub struct Utf8Carry {
    carry: Vec<u8>,
}

/// Length of an incomplete but so-far-valid UTF-8 sequence at the end of `b`, if any.
fn incomplete_tail(b: &[u8]) -> usize {
    let start = b.len().saturating_sub(MAX_UTF8_LEN - 1);
    for i in (start..b.len()).rev() {
        let byte = b[i];
        if byte & 0xC0 == 0x80 {
            continue; // continuation byte: keep looking for the lead
        }
        let need = match byte {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return 0,
        };
        let have = b.len() - i;
        if have < need
            && std::str::from_utf8(&b[i..])
                .err()
                .is_some_and(|e| e.error_len().is_none())
        {
            return have;
        }
        return 0;
    }
    0
}

impl Utf8Carry {
    /// Feed one read; returns the payload to record now (None when everything was carried).
    pub fn push(&mut self, bytes: &[u8]) -> Option<Data> {
        let joined: Vec<u8>;
        let all: &[u8] = if self.carry.is_empty() {
            bytes
        } else {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(bytes);
            joined = v;
            &joined
        };
        let keep = incomplete_tail(all);
        let (now, later) = all.split_at(all.len() - keep);
        self.carry = later.to_vec();
        if now.is_empty() {
            return None;
        }
        Some(match std::str::from_utf8(now) {
            Ok(s) => Data::Text(s.to_owned()),
            Err(_) => Data::Bytes(now.to_vec()),
        })
    }

    /// Whatever is still carried at the end of the stream, as raw bytes.
    pub fn finish(&mut self) -> Option<Data> {
        if self.carry.is_empty() {
            None
        } else {
            Some(Data::Bytes(std::mem::take(&mut self.carry)))
        }
    }

    /// Bytes held back right now.
    pub fn pending(&self) -> usize {
        self.carry.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(parts: &[Data]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|d| d.bytes().unwrap().to_vec())
            .collect()
    }

    #[test]
    fn split_character_stays_text() {
        let euro = "€".as_bytes(); // 3 bytes
        let mut c = Utf8Carry::default();
        assert_eq!(c.push(&[b'a', euro[0]]), Some(Data::Text("a".into())));
        assert_eq!(c.push(&euro[1..2]), None);
        assert_eq!(c.push(&[euro[2], b'b']), Some(Data::Text("€b".into())));
        assert_eq!(c.finish(), None);
    }

    #[test]
    fn every_split_point_of_mixed_text_round_trips_as_text() {
        let s = "añ€𝄞z\u{1b}[31m";
        let b = s.as_bytes();
        for cut in 0..=b.len() {
            let mut c = Utf8Carry::default();
            let mut out: Vec<Data> = Vec::new();
            out.extend(c.push(&b[..cut]));
            out.extend(c.push(&b[cut..]));
            out.extend(c.finish());
            assert!(
                out.iter().all(|d| matches!(d, Data::Text(_))),
                "cut {cut}: {out:?}"
            );
            assert_eq!(concat(&out), b);
        }
    }

    #[test]
    fn invalid_bytes_become_b_and_are_exact() {
        let mut c = Utf8Carry::default();
        assert_eq!(c.push(&[0xff, b'a']), Some(Data::Bytes(vec![0xff, b'a'])));
        // A lone lead byte at the end is carried, then flushed as bytes.
        assert_eq!(c.push(&[b'x', 0xE2]), Some(Data::Text("x".into())));
        assert_eq!(c.pending(), 1);
        assert_eq!(c.finish(), Some(Data::Bytes(vec![0xE2])));
        // A lead byte followed by a non-continuation is not carried.
        assert_eq!(c.push(&[0xE2, b'a']), Some(Data::Bytes(vec![0xE2, b'a'])));
        // Surrogate encodings are invalid at once.
        assert_eq!(c.push(&[0xED, 0xA0]), Some(Data::Bytes(vec![0xED, 0xA0])));
    }
}
