//! `verify --all` on a bastion that ships: each local log is held against the chunks the
//! store holds of it (the bucket is the witness). A local log that differs from what was
//! shipped, or is shorter, is TAMPERED, naming the first seq that differs.

use std::fs::File;
use std::io::{BufReader, Read, Write};

use anyhow::Result;
use serde_json::json;

use super::Target;
use super::layout;
use crate::safe;
use crate::store::Store;

/// Exit status of TAMPERED (docs/FORMAT.md).
const TAMPERED: i32 = 1;
/// Exit status of UNVERIFIABLE: the store could not be read, so nothing was compared.
const UNVERIFIABLE: i32 = 4;

/// Where a local log first departs from the shipped bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Departure {
    /// Line (= seq) of the first byte that differs.
    pub seq: u64,
    pub offset: u64,
}

/// A `Write` sink for the shipped bytes that reads the local log alongside and notes
/// the first difference; memory is one buffer.
pub struct Compare<R: Read> {
    local: R,
    buf: Vec<u8>,
    offset: u64,
    line: u64,
    pub departure: Option<Departure>,
}

impl<R: Read> Compare<R> {
    pub fn new(local: R) -> Self {
        Compare {
            local,
            buf: Vec::new(),
            offset: 0,
            line: 0,
            departure: None,
        }
    }
}

impl<R: Read> Write for Compare<R> {
    fn write(&mut self, shipped: &[u8]) -> std::io::Result<usize> {
        if self.departure.is_some() {
            return Ok(shipped.len());
        }
        self.buf.resize(shipped.len(), 0);
        let mut got = 0;
        while got < shipped.len() {
            match self.local.read(&mut self.buf[got..])? {
                0 => break,
                n => got += n,
            }
        }
        let same = shipped[..got]
            .iter()
            .zip(&self.buf[..got])
            .position(|(a, b)| a != b)
            .unwrap_or(got);
        let matched = &shipped[..same];
        self.line += memchr::memchr_iter(b'\n', matched).count() as u64;
        self.offset += same as u64;
        if same < shipped.len() {
            self.departure = Some(Departure {
                seq: self.line,
                offset: self.offset,
            });
        }
        Ok(shipped.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hold every local log of `store` against the store; print findings; the exit status.
pub fn check(target: &Target, store: &Store, as_json: bool) -> i32 {
    match compare_all(target, store, as_json) {
        Ok(code) => code,
        Err(e) => {
            let msg = format!("{e:#}");
            if as_json {
                println!(
                    "{}",
                    json!({"store": target.shown(), "verdict": "UNVERIFIABLE", "error": msg})
                );
            } else {
                println!(
                    "store  UNVERIFIABLE\n  cannot compare with {}: {}",
                    target.shown(),
                    safe::text(&msg)
                );
            }
            UNVERIFIABLE
        }
    }
}

fn compare_all(target: &Target, store: &Store, as_json: bool) -> Result<i32> {
    let bucket = target.open()?;
    let (prefix, b) = (&bucket.url.prefix, &target.bastion);
    let mut logs = vec![(
        "ledger".to_string(),
        store.ledger_path(),
        layout::ledger_dir(prefix, b),
    )];
    for sf in store.sessions()? {
        let dir = layout::session_dir(prefix, b, &sf.id);
        logs.push((sf.id, sf.path, dir));
    }
    let mut code = 0;
    let (mut compared, mut bytes) = (0u64, 0u64);
    for (name, path, dir) in logs {
        let plan = layout::plan(&dir, &bucket.versions(&dir)?);
        if plan.chunks.is_empty() {
            continue;
        }
        let local = File::open(&path).map(BufReader::new);
        let mut cmp = Compare::new(local.map_or_else(
            |_| Box::new(std::io::empty()) as Box<dyn Read>,
            |r| Box::new(r) as Box<dyn Read>,
        ));
        for c in &plan.chunks {
            bucket.get_into(&c.key, c.version_id.as_deref(), c.skip, &mut cmp)?;
        }
        compared += 1;
        bytes += plan.contiguous;
        if let Some(d) = cmp.departure {
            code = TAMPERED;
            if as_json {
                println!(
                    "{}",
                    json!({"session": name, "verdict": "TAMPERED", "witness": "store", "seq": d.seq, "offset": d.offset, "store": target.shown()})
                );
            } else {
                println!(
                    "{}  TAMPERED\n  seq {}, byte offset {}: the local log differs from what was shipped to {}",
                    safe::text(&name),
                    d.seq,
                    d.offset,
                    target.shown()
                );
            }
        }
    }
    if !as_json && code == 0 {
        println!(
            "store  VERIFIED\n  {compared} logs match the {bytes} bytes shipped to {}",
            target.shown()
        );
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(local: &[u8], shipped: &[&[u8]]) -> Option<Departure> {
        let mut c = Compare::new(local);
        for s in shipped {
            c.write_all(s).unwrap();
        }
        c.departure
    }

    #[test]
    fn equal_logs_and_a_longer_local_log_match() {
        assert_eq!(run(b"a\nb\nc\n", &[b"a\n", b"b\n"]), None);
        assert_eq!(run(b"a\nb\n", &[b"a\nb\n"]), None);
    }

    #[test]
    fn the_first_difference_names_its_line() {
        assert_eq!(
            run(b"a\nb\nX\n", &[b"a\nb\n", b"c\n"]),
            Some(Departure { seq: 2, offset: 4 })
        );
        assert_eq!(
            run(b"a\nbX", &[b"a\nbc\n"]),
            Some(Departure { seq: 1, offset: 3 })
        );
    }

    #[test]
    fn a_shorter_local_log_departs_where_it_ends() {
        assert_eq!(
            run(b"a\n", &[b"a\nb\n"]),
            Some(Departure { seq: 1, offset: 2 })
        );
        assert_eq!(run(b"", &[b"a\n"]), Some(Departure { seq: 0, offset: 0 }));
    }
}
