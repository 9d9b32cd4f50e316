//! Where things live in the bucket, and how a listing of object versions becomes the
//! bytes of one log. Pure: names and plans, no I/O.
//!
//! ```text
//! PREFIX/BASTION/sessions/ID/OFFSET.jsonl   chunks of a session log
//! PREFIX/BASTION/ledger/OFFSET.jsonl        chunks of the bastion's ledger
//! PREFIX/BASTION/starts/TIME-ID.json        one mark per session start (require_store)
//! PREFIX/BASTION/signing.pub                the bastion's public signing key (first version)
//! ```
//!
//! OFFSET is the chunk's first byte in the local file, zero-padded to 20 digits (every
//! u64), so a listing, which S3 sorts by key, gives the chunks in order, and the
//! concatenation of the chunks is the file. A chunk holds whole records (lines).

/// Digits of a chunk's offset in its name: u64::MAX has 20.
const OFFSET_DIGITS: usize = 20;
/// Suffix of every chunk.
const CHUNK_SUFFIX: &str = ".jsonl";

/// One version of an object, as a version listing gives it (newest first per key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub key: String,
    pub version_id: Option<String>,
    pub size: u64,
    pub delete_marker: bool,
}

/// One chunk to read: the first version of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub key: String,
    pub version_id: Option<String>,
    pub offset: u64,
    pub size: u64,
    /// Leading bytes that an earlier chunk already holds (only after an overlap).
    pub skip: u64,
}

/// How the chunks of one log read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub chunks: Vec<Chunk>,
    /// Bytes from offset 0 without a gap: what the store holds of the log.
    pub contiguous: u64,
    /// Objects replaced, deleted or missing, in words.
    pub problems: Vec<String>,
}

/// `PREFIX/` or the empty string.
pub fn base(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    }
}

/// The folder of one session's chunks.
pub fn session_dir(prefix: &str, bastion: &str, id: &str) -> String {
    format!("{}{bastion}/sessions/{id}/", base(prefix))
}

/// The folder of a bastion's ledger chunks.
pub fn ledger_dir(prefix: &str, bastion: &str) -> String {
    format!("{}{bastion}/ledger/", base(prefix))
}

/// The folder of a bastion's session folders.
pub fn sessions_root(prefix: &str, bastion: &str) -> String {
    format!("{}{bastion}/sessions/", base(prefix))
}

/// The object holding a bastion's public signing key: its first version is the key the
/// bastion's sessions and ledger are checked against when reviewed from the bucket.
pub fn signing_key(prefix: &str, bastion: &str) -> String {
    format!("{}{bastion}/signing.pub", base(prefix))
}

/// The key of the chunk starting at `offset` in the folder `dir`.
pub fn chunk_key(dir: &str, offset: u64) -> String {
    format!("{dir}{offset:0OFFSET_DIGITS$}{CHUNK_SUFFIX}")
}

/// The key of a start mark.
pub fn start_key(prefix: &str, bastion: &str, time: &str, nonce: &str) -> String {
    format!("{}{bastion}/starts/{time}-{nonce}.json", base(prefix))
}

/// The offset a chunk key in `dir` names, if it is one.
pub fn chunk_offset(dir: &str, key: &str) -> Option<u64> {
    let digits = key.strip_prefix(dir)?.strip_suffix(CHUNK_SUFFIX)?;
    (digits.len() == OFFSET_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The length of the leading whole lines of `buf`: up to and including its last LF.
pub fn whole_lines(buf: &[u8]) -> usize {
    memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1)
}

/// Plan the reading of the log in `dir` from a version listing of it (newest version
/// first within each key, as S3 lists them). The first version of each key is the one
/// shipped; later versions and delete markers are problems (Object Lock keeps the first).
pub fn plan(dir: &str, versions: &[Version]) -> Plan {
    let mut out = Plan::default();
    let mut firsts: Vec<Chunk> = Vec::new();
    let mut i = 0;
    while i < versions.len() {
        let key = &versions[i].key;
        let mut j = i;
        while j < versions.len() && &versions[j].key == key {
            j += 1;
        }
        let group = &versions[i..j];
        i = j;
        let Some(offset) = chunk_offset(dir, key) else {
            out.problems.push(format!("{key}: not a chunk name"));
            continue;
        };
        if group.len() > 1 {
            let what = if group.iter().any(|v| v.delete_marker) {
                "was deleted or replaced"
            } else {
                "was overwritten"
            };
            out.problems.push(format!(
                "the chunk at byte {offset} {what} after shipping ({} versions); the first is read",
                group.len()
            ));
        }
        if let Some(first) = group.iter().rev().find(|v| !v.delete_marker) {
            firsts.push(Chunk {
                key: key.clone(),
                version_id: first.version_id.clone(),
                offset,
                size: first.size,
                skip: 0,
            });
        }
    }
    firsts.sort_by_key(|c| c.offset);
    let mut end = 0u64;
    let mut gap = false;
    for mut c in firsts {
        if c.offset > end {
            out.problems.push(format!(
                "bytes {end} to {} are missing from the store",
                c.offset
            ));
            gap = true;
            end = c.offset;
        }
        let stop = c.offset + c.size;
        if stop <= end {
            continue;
        }
        c.skip = end - c.offset;
        end = stop;
        if !gap {
            out.contiguous = end;
        }
        out.chunks.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(dir: &str, off: u64, size: u64, id: &str, dm: bool) -> Version {
        Version {
            key: chunk_key(dir, off),
            version_id: Some(id.into()),
            size,
            delete_marker: dm,
        }
    }

    #[test]
    fn names_sort_in_order_and_parse_back() {
        let d = session_dir("p/q", "b1", "abc");
        assert_eq!(d, "p/q/b1/sessions/abc/");
        assert_eq!(session_dir("", "b1", "abc"), "b1/sessions/abc/");
        let (a, b) = (chunk_key(&d, 9), chunk_key(&d, 10));
        assert!(a < b);
        assert_eq!(chunk_offset(&d, &b), Some(10));
        assert_eq!(chunk_offset(&d, "p/q/b1/sessions/abc/12.jsonl"), None);
        assert_eq!(chunk_offset(&d, &chunk_key(&d, u64::MAX)), Some(u64::MAX));
    }

    #[test]
    fn whole_lines_only() {
        assert_eq!(whole_lines(b"a\nbc\nde"), 5);
        assert_eq!(whole_lines(b"abc"), 0);
        assert_eq!(whole_lines(b""), 0);
    }

    #[test]
    fn a_clean_listing_reads_in_order() {
        let d = "x/";
        let p = plan(d, &[v(d, 0, 10, "a", false), v(d, 10, 5, "b", false)]);
        assert!(p.problems.is_empty());
        assert_eq!(p.contiguous, 15);
        assert_eq!(p.chunks.len(), 2);
        assert_eq!(p.chunks[1].skip, 0);
    }

    #[test]
    fn overwrites_deletes_and_gaps_are_problems_and_the_first_version_is_read() {
        let d = "x/";
        let p = plan(
            d,
            &[
                v(d, 0, 7, "new", false),
                v(d, 0, 10, "old", false),
                v(d, 10, 0, "dm", true),
                v(d, 10, 5, "orig", false),
                v(d, 20, 5, "c", false),
            ],
        );
        assert_eq!(p.chunks[0].version_id.as_deref(), Some("old"));
        assert_eq!(p.chunks[1].version_id.as_deref(), Some("orig"));
        assert_eq!(p.contiguous, 15);
        assert_eq!(p.problems.len(), 3, "{:?}", p.problems);
        assert!(p.problems[2].contains("bytes 15 to 20"));
    }

    #[test]
    fn overlaps_are_skipped() {
        let d = "x/";
        let p = plan(
            d,
            &[
                v(d, 0, 10, "a", false),
                v(d, 4, 10, "b", false),
                v(d, 5, 3, "c", false),
            ],
        );
        assert_eq!(p.chunks.len(), 2);
        assert_eq!(p.chunks[1].skip, 6);
        assert_eq!(p.contiguous, 14);
    }
}
