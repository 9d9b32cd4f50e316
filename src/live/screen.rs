//! The screen as it is now, for watchers who join late: a terminal emulator (avt) fed from
//! the session log by its own thread, started on the first watch so a session nobody
//! watches pays nothing for it.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};

use crate::log::parse::decode;
use crate::log::record::{Body, Data};

/// How much of the log is read at once while catching up.
const CHUNK: usize = 1024 * 1024;

/// A snapshot: escape sequences that recreate the screen, and its size.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub dump: String,
    pub cols: u16,
    pub rows: u16,
}

struct Request {
    upto: u64,
    reply: Sender<Snapshot>,
}

/// Handle to the emulator thread.
#[derive(Clone)]
pub struct ScreenService {
    tx: Sender<Request>,
}

impl ScreenService {
    /// Start the thread over the log at `path`, with the session's first size.
    pub fn start(path: PathBuf, cols: u16, rows: u16) -> std::io::Result<ScreenService> {
        let file = File::open(path)?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("screen".into())
            .spawn(move || serve(file, cols, rows, rx))?;
        Ok(ScreenService { tx })
    }

    /// The screen once the log up to `upto` bytes has been played (None if the thread died).
    pub fn snapshot(&self, upto: u64) -> Option<Snapshot> {
        let (reply, rx) = mpsc::channel();
        self.tx.send(Request { upto, reply }).ok()?;
        rx.recv().ok()
    }
}

/// Plays log lines into a terminal.
pub struct Player {
    term: avt::Terminal,
    cols: u16,
    rows: u16,
}

impl Player {
    pub fn new(cols: u16, rows: u16) -> Player {
        let (cols, rows) = crate::size::clamp(cols, rows);
        let term = avt::Terminal::new(cols.into(), rows.into()).expect("size is positive");
        Player { term, cols, rows }
    }

    /// Apply one log line (output and resizes; everything else leaves the screen alone).
    pub fn line(&mut self, line: &[u8]) {
        let Ok(rec) = decode(line) else { return };
        match rec.body {
            Body::Output(Data::Text(s)) => self.term.feed(s.as_str()),
            Body::Output(Data::Bytes(b)) => self.term.feed(String::from_utf8_lossy(&b).as_ref()),
            Body::Resize { cols, rows } => {
                (self.cols, self.rows) = crate::size::clamp(cols, rows);
                self.term.resize(self.cols.into(), self.rows.into());
            }
            _ => {}
        }
    }

    /// Start from a snapshot (a keyframe's dump).
    pub fn feed_dump(&mut self, dump: &str) {
        self.term.feed(dump);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            dump: self.term.dump(),
            cols: self.cols,
            rows: self.rows,
        }
    }

    /// The emulator itself, to draw from its cells.
    pub fn terminal(&self) -> &avt::Terminal {
        &self.term
    }

    /// The visible text, one string per row (for tests).
    pub fn text(&self) -> Vec<String> {
        self.term.screen().text()
    }
}

fn serve(file: File, cols: u16, rows: u16, rx: Receiver<Request>) {
    let mut player = Player::new(cols, rows);
    let mut offset = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut carry: Vec<u8> = Vec::new();
    for req in rx {
        while offset < req.upto {
            let want = ((req.upto - offset) as usize).min(CHUNK);
            let n = match file.read_at(&mut buf[..want], offset) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            offset += n as u64;
            carry.extend_from_slice(&buf[..n]);
            let mut start = 0;
            while let Some(i) = memchr::memchr(b'\n', &carry[start..]) {
                player.line(&carry[start..start + i]);
                start += i + 1;
            }
            carry.drain(..start);
        }
        let _ = req.reply.send(player.snapshot());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::chain::ZERO_HASH;
    use crate::log::record::{Record, encode};

    fn line(body: Body) -> Vec<u8> {
        let mut v = Vec::new();
        encode(
            &Record {
                seq: 1,
                t: 0,
                prev: ZERO_HASH,
                body,
            },
            &mut v,
        );
        v
    }

    #[test]
    fn plays_output_and_resizes_and_dumps_the_alternate_screen() {
        let mut p = Player::new(20, 4);
        p.line(&line(Body::Output(Data::Text("hello\r\nworld".into()))));
        assert_eq!(p.text()[..2], ["hello", "world"]);
        p.line(&line(Body::Output(Data::Text(
            "\x1b[?1049h\x1b[Hfull screen".into(),
        ))));
        p.line(&line(Body::Resize { cols: 30, rows: 5 }));
        let snap = p.snapshot();
        assert_eq!((snap.cols, snap.rows), (30, 5));
        // Replaying the dump on a fresh terminal gives the same screen.
        let mut again = Player::new(30, 5);
        again.term.feed(snap.dump.as_str());
        assert_eq!(again.text(), p.text());
        assert!(p.text()[0].starts_with("full screen"));
    }
}
