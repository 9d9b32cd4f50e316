//! Masked input as records: dropped to its length (`redacted`), or, with `seal_to`, sealed
//! to the auditors' keys. The hub's log (session/recorder.rs) records input through it.
//!
//! Without `seal_to`, each masked piece is recorded at once as its byte count, as it
//! reaches the session. With it, masked bytes are kept in memory until their line ends (the
//! next clear input: Enter, Ctrl-C, Ctrl-D, or anything typed after keys read one at a
//! time), the typist changes, [`SEAL_MAX`] bytes are waiting, or the session ends; then
//! they are sealed in one record. One record per masked line keeps the log small (an age
//! header per keystroke would be ~250 bytes each) and keeps the timing of each key of a
//! password out of the log.

use crate::log::record::Data;
use crate::seal::{SEAL_MAX, Sealer};

use super::secret::Piece;

/// Turns classified input into the records to write.
#[derive(Debug, Default)]
pub struct Masking {
    sealer: Option<Sealer>,
    /// Masked bytes not yet sealed, and who typed them.
    pending: Option<(String, Vec<u8>)>,
}

impl Masking {
    /// `sealer` None: masked input is dropped to its length.
    pub fn new(sealer: Option<Sealer>) -> Masking {
        Masking {
            sealer,
            pending: None,
        }
    }

    /// The records (who typed it, what) for pieces `by` typed, in order. Masked bytes may
    /// wait for the end of their line.
    pub fn records(
        &mut self,
        by: &str,
        pieces: Vec<Piece>,
    ) -> std::io::Result<Vec<(String, Data)>> {
        let mut out = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Secret(b) if self.sealer.is_none() => {
                    out.push((by.to_owned(), Data::Redacted(b.len() as u64)));
                }
                Piece::Secret(b) => {
                    if self.pending.as_ref().is_some_and(|(who, _)| who != by) {
                        out.extend(self.flush()?);
                    }
                    let (_, buf) = self
                        .pending
                        .get_or_insert_with(|| (by.to_owned(), Vec::new()));
                    buf.extend_from_slice(&b);
                    while self
                        .pending
                        .as_ref()
                        .is_some_and(|(_, b)| b.len() >= SEAL_MAX)
                    {
                        let (who, buf) = self.pending.as_mut().expect("checked above");
                        let first: Vec<u8> = buf.drain(..SEAL_MAX).collect();
                        let who = who.clone();
                        out.push((who, self.seal(first)?));
                    }
                }
                Piece::Clear(b) => {
                    out.extend(self.flush()?);
                    let data = match String::from_utf8(b) {
                        Ok(s) => Data::Text(s),
                        Err(e) => Data::Bytes(e.into_bytes()),
                    };
                    out.push((by.to_owned(), data));
                }
            }
        }
        Ok(out)
    }

    /// Seal what is waiting, if anything: at the end of the session.
    pub fn flush(&mut self) -> std::io::Result<Option<(String, Data)>> {
        match self.pending.take() {
            Some((who, buf)) if !buf.is_empty() => Ok(Some((who, self.seal(buf)?))),
            _ => Ok(None),
        }
    }

    fn seal(&self, bytes: Vec<u8>) -> std::io::Result<Data> {
        let sealer = self.sealer.as_ref().expect("only pending when sealing");
        Ok(Data::Sealed {
            len: bytes.len() as u64,
            blob: sealer.seal(&bytes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealing() -> (Masking, Vec<Box<dyn age::Identity>>) {
        let id = age::x25519::Identity::generate();
        let sealer = Sealer::parse(&[id.to_public().to_string()]).unwrap();
        (Masking::new(Some(sealer)), vec![Box::new(id)])
    }

    fn opened(ids: &[Box<dyn age::Identity>], d: &Data) -> (u64, Vec<u8>) {
        match d {
            Data::Sealed { len, blob } => (*len, crate::seal::open(ids, blob).unwrap()),
            other => panic!("not sealed: {other:?}"),
        }
    }

    #[test]
    fn a_masked_line_typed_key_by_key_is_one_sealed_record() {
        let (mut m, ids) = sealing();
        for k in b"hunter2" {
            let recs = m.records("owner", vec![Piece::Secret(vec![*k])]).unwrap();
            assert!(recs.is_empty(), "nothing recorded before the line ends");
        }
        let recs = m
            .records("owner", vec![Piece::Clear(b"\r".to_vec())])
            .unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, "owner");
        assert_eq!(opened(&ids, &recs[0].1), (7, b"hunter2".to_vec()));
        assert_eq!(recs[1], ("owner".into(), Data::Text("\r".into())));
        assert!(m.flush().unwrap().is_none());
    }

    #[test]
    fn a_new_typist_a_full_buffer_and_the_end_seal_what_waits() {
        let (mut m, ids) = sealing();
        assert!(
            m.records("owner", vec![Piece::Secret(b"ab".to_vec())])
                .unwrap()
                .is_empty()
        );
        let recs = m
            .records("ops", vec![Piece::Secret(b"cd".to_vec())])
            .unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].0, "owner");
        assert_eq!(opened(&ids, &recs[0].1).1, b"ab");
        let big = vec![b'x'; SEAL_MAX + 5];
        let recs = m.records("ops", vec![Piece::Secret(big)]).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(opened(&ids, &recs[0].1).0, SEAL_MAX as u64);
        let (who, last) = m.flush().unwrap().unwrap();
        assert_eq!(who, "ops");
        assert_eq!(opened(&ids, &last).1.len(), 2 + 5);
    }

    #[test]
    fn without_keys_masked_input_is_dropped_to_its_length() {
        let mut m = Masking::new(None);
        let recs = m
            .records(
                "owner",
                vec![Piece::Secret(b"pw".to_vec()), Piece::Clear(vec![0xff])],
            )
            .unwrap();
        assert_eq!(
            recs,
            vec![
                ("owner".into(), Data::Redacted(2)),
                ("owner".into(), Data::Bytes(vec![0xff]))
            ]
        );
    }
}
