//! The index a replay seeks in: one entry per record (time, offset, kind), emulator
//! keyframes every [`KEYFRAME_OUTPUT`] bytes of output, and the moments `[`/`]` jump to.
//! Built in one pass that also verifies; a seek plays at most one keyframe's worth of
//! output, so any seek costs the same however long the session is.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::live::screen::Player;
use crate::log::kind::Kind;
use crate::log::lines::{Item, LineReader};
use crate::log::parse::decode;
use crate::log::record::{Body, Data, Genesis, Record};
use crate::log::verify::Verifier;
use crate::log::vocab::Event;

/// A keyframe after this much output: a seek replays at most this much (avt plays
/// ~60 MB/s, so a few ms), and 100 MiB of output costs ~400 keyframes of a few KiB.
pub const KEYFRAME_OUTPUT: u64 = 256 * 1024;
/// ...or after this many records, so a session of many tiny records seeks as fast.
pub const KEYFRAME_RECORDS: usize = 4096;

/// One record, as the index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub t: u64,
    pub offset: u64,
    pub len: u32,
    pub kind: Kind,
}

/// The screen after the first `upto` entries.
pub struct Keyframe {
    pub upto: usize,
    pub dump: String,
    pub cols: u16,
    pub rows: u16,
}

/// Everything needed to seek.
pub struct Index {
    pub path: PathBuf,
    pub genesis: Genesis,
    /// Every record, the genesis first.
    pub entries: Vec<Entry>,
    pub keyframes: Vec<Keyframe>,
    /// Entries `[` and `]` stop at: markers, participant events, typed Enters.
    pub marks: Vec<usize>,
    /// Who holds the keyboard from an entry on.
    pub wheel: Vec<(usize, String)>,
    pub ended: bool,
    file: File,
    next_offset: u64,
    player: Player,
    since_keyframe: (u64, usize),
    verifier: Verifier,
}

impl Index {
    /// Read a whole log.
    pub fn load(path: &Path) -> io::Result<Index> {
        let file = File::open(path)?;
        let mut first = String::new();
        let mut head = vec![0u8; crate::log::lines::MAX_LINE + 1];
        let n = file.read_at(&mut head, 0)?;
        let end = head[..n].iter().position(|&b| b == b'\n').unwrap_or(n);
        let genesis = match decode(&head[..end]).map(|r| r.body) {
            Ok(Body::Genesis(g)) => *g,
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a breakglass session log",
                ));
            }
        };
        first.clear();
        let player = Player::new(genesis.cols, genesis.rows);
        let mut idx = Index {
            path: path.to_path_buf(),
            keyframes: vec![Keyframe {
                upto: 0,
                dump: player.snapshot().dump,
                cols: genesis.cols,
                rows: genesis.rows,
            }],
            genesis,
            entries: Vec::new(),
            marks: Vec::new(),
            wheel: Vec::new(),
            ended: false,
            file,
            next_offset: 0,
            player,
            since_keyframe: (0, 0),
            verifier: Verifier::default(),
        };
        idx.extend()?;
        Ok(idx)
    }

    /// Read the whole lines written since the last call (for `--follow`); how many.
    pub fn extend(&mut self) -> io::Result<usize> {
        let before = self.entries.len();
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.next_offset))?;
        let base = self.next_offset;
        let mut lines = LineReader::new(f);
        while !self.ended && !self.verifier.failed() {
            let Some(Item::Line(l, at)) = lines.next()? else {
                break;
            };
            let at = base + at;
            self.verifier.line(l, at);
            let Ok(rec) = decode(l) else { break };
            self.player.line(l);
            self.next_offset = at + l.len() as u64 + 1;
            let len = l.len();
            self.add(&rec, at, len);
        }
        Ok(self.entries.len() - before)
    }

    fn add(&mut self, rec: &Record, offset: u64, len: usize) {
        let i = self.entries.len();
        self.entries.push(Entry {
            t: rec.t,
            offset,
            len: len as u32,
            kind: rec.body.kind(),
        });
        match &rec.body {
            Body::Output(d) => self.since_keyframe.0 += d.byte_len(),
            Body::Marker { .. } => self.marks.push(i),
            Body::Participant(p) => {
                self.marks.push(i);
                match p.event.parse() {
                    Ok(Event::Take) => self.wheel.push((i, p.who.clone())),
                    Ok(Event::Return | Event::Leave | Event::Reclaim | Event::Lost) => {
                        self.wheel.push((i, "owner".into()))
                    }
                    _ => {}
                }
            }
            Body::Input {
                data: Data::Text(t),
                ..
            } if t.contains(['\r', '\n']) => self.marks.push(i),
            Body::End(_) => self.ended = true,
            _ => {}
        }
        self.since_keyframe.1 += 1;
        if self.since_keyframe.0 >= KEYFRAME_OUTPUT || self.since_keyframe.1 >= KEYFRAME_RECORDS {
            let snap = self.player.snapshot();
            self.keyframes.push(Keyframe {
                upto: i + 1,
                dump: snap.dump,
                cols: snap.cols,
                rows: snap.rows,
            });
            self.since_keyframe = (0, 0);
        }
    }

    /// Whether the chain is intact so far.
    pub fn intact(&self) -> bool {
        !self.verifier.failed()
    }

    /// The session's length (time of its last record), in microseconds.
    pub fn length(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.t)
    }

    /// The position (records applied) at time `t`.
    pub fn upto_time(&self, t: u64) -> usize {
        super::nav::at_time(&self.entries, t)
    }

    /// The time of the moment after `upto` entries.
    pub fn time_at(&self, upto: usize) -> u64 {
        super::nav::time_at(&self.entries, upto)
    }

    /// The raw line of entry `i`.
    pub fn line(&self, i: usize) -> io::Result<Vec<u8>> {
        let e = self.entries[i];
        let mut buf = vec![0u8; e.len as usize];
        self.file.read_exact_at(&mut buf, e.offset)?;
        Ok(buf)
    }

    /// Entry `i`, decoded.
    pub fn record(&self, i: usize) -> io::Result<Record> {
        decode(&self.line(i)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The screen after the first `upto` entries: the keyframe before, then the rest.
    pub fn screen_at(&self, upto: usize) -> io::Result<Player> {
        let k = &self.keyframes[self.keyframes.partition_point(|k| k.upto <= upto) - 1];
        let mut p = Player::new(k.cols, k.rows);
        p.feed_dump(&k.dump);
        for i in k.upto..upto.min(self.entries.len()) {
            if matches!(self.entries[i].kind, Kind::Output | Kind::Resize) {
                p.line(&self.line(i)?);
            }
        }
        Ok(p)
    }

    /// Who held the keyboard after the first `upto` entries.
    pub fn driver_at(&self, upto: usize) -> &str {
        self.wheel
            .iter()
            .rev()
            .find(|(i, _)| *i < upto)
            .map_or("owner", |(_, w)| w.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::record::Participant;
    use crate::log::writer::test_log;

    /// A log with a full-screen program in the middle and enough output for keyframes.
    fn sample(dir: &Path) -> PathBuf {
        let path = dir.join("s.jsonl");
        let mut w = test_log(&path, 40, 10);
        let mut t = 0;
        for i in 0..3000u32 {
            t += 1000;
            w.output(t, format!("line {i} {}\r\n", "x".repeat(100)).as_bytes())
                .unwrap();
        }
        w.input(t + 1, "owner", Data::Text("less\r".into()))
            .unwrap();
        w.output(t + 2, b"\x1b[?1049h\x1b[Hfull screen here")
            .unwrap();
        w.append(
            t + 3,
            Body::Participant(Participant {
                event: "take".into(),
                who: "ops".into(),
                uid: Some(1),
                mode: Some("operate".into()),
                extension: None,
            }),
        )
        .unwrap();
        w.output(t + 4, b"\x1b[?1049lback").unwrap();
        w.finish(t + 5, crate::log::writer::test_end()).unwrap();
        path
    }

    /// The screen after `upto` entries, by playing everything from the start.
    fn slow_screen(idx: &Index, upto: usize) -> Vec<String> {
        let mut p = Player::new(idx.genesis.cols, idx.genesis.rows);
        for i in 0..upto {
            p.line(&idx.line(i).unwrap());
        }
        p.text()
    }

    #[test]
    fn seeking_anywhere_gives_the_screen_of_that_moment() {
        let dir = tempfile::tempdir().unwrap();
        let idx = Index::load(&sample(dir.path())).unwrap();
        assert!(idx.ended && idx.intact());
        assert!(idx.keyframes.len() > 1, "keyframes were taken");
        let n = idx.entries.len();
        for upto in [0, 1, 2, 500, 1234, 2999, n - 4, n - 3, n - 2, n] {
            assert_eq!(
                idx.screen_at(upto).unwrap().text(),
                slow_screen(&idx, upto),
                "upto {upto}"
            );
        }
        assert!(idx.screen_at(n - 2).unwrap().text()[0].starts_with("full screen here"));
        assert_eq!(idx.driver_at(n), "ops");
        assert_eq!(idx.driver_at(n - 3), "owner");
        assert_eq!(idx.upto_time(0), 1, "only the genesis is at t 0");
        assert_eq!(idx.marks.len(), 2);
    }
}
