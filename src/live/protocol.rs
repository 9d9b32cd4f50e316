//! The live wire protocol between a running session and its watchers.
//!
//! # Transport and trust
//! A Unix stream socket at `<data dir>/live/<session id>.sock`, mode 0600 (0660 in a
//! shared, setgid data dir) inside a 0700 (2770) dir. Who is connecting comes from the
//! kernel (`SO_PEERCRED`), never from the client: nothing a client sends names it. Every
//! byte from a client is untrusted; a frame that breaks these rules drops that client
//! only, never the session. Before admission the limits of `admission.rs` apply. The
//! client trusts the server the same way: it speaks only to a socket of the session's
//! identity, in a dir nobody else can write, listened on by that identity (`trust.rs`).
//!
//! # Framing
//! Every frame is `len: u32 big-endian | type: u8 | payload`, where `len` counts the type
//! byte and the payload. `len` is at least 1 and at most [`MAX_FRAME`].
//!
//! # Conversation
//! 1. The client sends `HELLO` (JSON [`Hello`]), whole, within [`HELLO_TIMEOUT`] and in at
//!    most `admission::MAX_HELLO` bytes. Any other first
//!    frame, or a second `HELLO`, drops the client.
//! 2. The session answers `WELCOME` (JSON [`Welcome`]) or `DENIED` (text) and closes.
//!    For `mode: "info"` and `mode: "mark"` the connection ends after the answer.
//!    `mode: "extend"` with `by_s` (seconds, at least 1) asks to move the time limit later
//!    by that much (`breakglass extend`): the session answers `NOTICE` (text: the new end)
//!    when it did, or `DENIED` (text: why not, one line) when the asker is neither the
//!    owner nor an operator (only an operator with the policy's
//!    `extend_requires_operator`), the new limit would pass `max_ttl` from the start, or
//!    the session is ending or still waits for its operator; then the connection ends. `by_s` is only sent in this mode,
//!    so the hellos of other modes are what they always were; a session older than this
//!    mode does not know the field and closes the connection without an answer.
//! 3. Watching: the session sends `SCREEN` (a terminal snapshot: escape sequences that
//!    recreate the screen), then `OUTPUT`, `RESIZE`, `NOTICE`, `STATE` and, when asked
//!    for with `save`, `LOG` (the log's bytes, whole lines, from offset 0), then `END`.
//!    Above 1 MiB/s of output, `OUTPUT` carries catch-up frames (see `pace.rs`) that
//!    leave the watcher's screen as the owner's is, 20 times a second; a watcher that
//!    falls behind, or for whom no exact frame exists, gets a fresh `SCREEN` instead.
//! 4. The client may send `INPUT` (acted on only while it holds the keyboard), `TAKE`,
//!    `RETURN`, `KILL`, `MARK` (text) and `DETACH`.
//!
//! # Attach
//! `mode: "attach"`, followed at once by a `SIZE` frame with the client's terminal size,
//! makes the client the owner's terminal
//! again, in a session whose owner's terminal went away (it is *detached*: its `WELCOME`
//! to `info` carries `detached_until`). Only the session owner's uid is admitted, only
//! while the session is detached, and only one client at a time; every other attach is
//! `DENIED` with the reason (a client whose `SIZE` does not follow within the hello's
//! deadline is dropped). The attached client gets `SCREEN`, then `OUTPUT` (everything
//! the owner's terminal would show, breakglass's notices included) and `END`; it may
//! ignore `RESIZE`, `NOTICE` and `STATE`. Its `INPUT` is the owner's input, and `SIZE`
//! (`cols: u16 BE | rows: u16 BE`) resizes the session. When its connection closes, the
//! session is detached again.
//!
//! # Version
//! `HELLO` and `WELCOME` carry `v`; this is version [`VERSION`]. A session refuses a
//! client of another version with a `DENIED` that says so.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

/// Protocol version.
pub const VERSION: u32 = 1;

/// Largest frame (type byte and payload). Output chunks are at most 64 KiB and snapshots
/// of even a huge screen are far smaller; a client sending more is not a watcher.
pub const MAX_FRAME: usize = 1024 * 1024;

/// A client must say its whole hello this fast (one deadline for all its reads), so a
/// connection that says nothing, or a byte at a time, holds nothing for long.
pub const HELLO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Largest marker text; a marker is a line in a postmortem, not a document.
pub const MAX_MARKER: usize = 4096;

pub mod kind {
    pub const HELLO: u8 = 0x01;
    pub const INPUT: u8 = 0x02;
    pub const TAKE: u8 = 0x03;
    pub const RETURN: u8 = 0x04;
    pub const KILL: u8 = 0x05;
    pub const MARK: u8 = 0x06;
    pub const DETACH: u8 = 0x07;
    pub const SIZE: u8 = 0x08;
    pub const WELCOME: u8 = 0x81;
    pub const DENIED: u8 = 0x82;
    pub const SCREEN: u8 = 0x83;
    pub const OUTPUT: u8 = 0x84;
    pub const RESIZE: u8 = 0x85;
    pub const NOTICE: u8 = 0x86;
    pub const LOG: u8 = 0x87;
    pub const END: u8 = 0x88;
    pub const STATE: u8 = 0x89;
}

/// What a client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub v: u32,
    /// `watch`, `operate` (watch and take the keyboard at once), `mark`, `info`, `attach`
    /// or `extend`.
    pub mode: String,
    /// Send the log's bytes too (a witness copy).
    #[serde(default)]
    pub save: bool,
    /// The marker text, for `mode: "mark"`.
    #[serde(default)]
    pub text: Option<String>,
    /// How many seconds to add to the time limit, for `mode: "extend"` (left out otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_s: Option<u64>,
}

/// What a session says about itself to an admitted client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Welcome {
    pub v: u32,
    pub session: String,
    pub host: String,
    pub user: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub started: String,
    pub cols: u16,
    pub rows: u16,
    /// `watch` or `operate`: what this client may do.
    pub role: String,
    /// The client's own name, as the session knows it.
    pub you: String,
    pub state: State,
    /// The owner's terminal went away: the session waits until then (RFC 3339) for
    /// `breakglass attach`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detached_until: Option<String>,
}

/// Who holds the keyboard and who is watching; sent again whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct State {
    /// `owner`, or the name of the watcher who holds the keyboard.
    pub wheel: String,
    pub watchers: Vec<String>,
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ended {
    pub cause: String,
    pub exit: Option<i32>,
    pub head: String,
    pub records: u64,
    /// breakglass's own exit status for the session (what `shell` exits with), for an
    /// attached client to exit with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
}

/// Why a frame was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes is over the limit of {MAX_FRAME}")]
    TooLarge(usize),
    #[error("empty frame")]
    Empty,
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    #[error("bad payload: {0}")]
    BadPayload(String),
}

/// One frame: its type and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn new(kind: u8, payload: impl Into<Vec<u8>>) -> Frame {
        Frame {
            kind,
            payload: payload.into(),
        }
    }

    pub fn json(kind: u8, value: &impl Serialize) -> Frame {
        Frame::new(
            kind,
            serde_json::to_vec(value).expect("protocol structs serialize"),
        )
    }

    /// The payload as JSON of type `T`.
    pub fn parse<T: for<'a> Deserialize<'a>>(&self) -> Result<T, FrameError> {
        serde_json::from_slice(&self.payload).map_err(|e| FrameError::BadPayload(e.to_string()))
    }

    /// The payload as UTF-8 text.
    pub fn text(&self) -> Result<&str, FrameError> {
        std::str::from_utf8(&self.payload).map_err(|_| FrameError::BadPayload("not UTF-8".into()))
    }
}

fn known(kind: u8) -> bool {
    matches!(kind, 0x01..=0x08 | 0x81..=0x89)
}

/// A `SIZE` (or `RESIZE`) payload.
pub fn size_payload(cols: u16, rows: u16) -> Vec<u8> {
    let mut p = cols.to_be_bytes().to_vec();
    p.extend_from_slice(&rows.to_be_bytes());
    p
}

/// The columns and rows of a `SIZE` payload (`cols: u16 BE | rows: u16 BE`).
pub fn size_of(payload: &[u8]) -> Option<(u16, u16)> {
    match payload {
        &[c0, c1, r0, r1] => Some((u16::from_be_bytes([c0, c1]), u16::from_be_bytes([r0, r1]))),
        _ => None,
    }
}

/// Encode a frame header for a payload of `len` bytes.
pub fn header(kind_byte: u8, len: usize) -> [u8; 5] {
    let n = (len + 1) as u32;
    let b = n.to_be_bytes();
    [b[0], b[1], b[2], b[3], kind_byte]
}

/// Write one frame.
pub fn write_frame(w: &mut impl Write, kind_byte: u8, payload: &[u8]) -> io::Result<()> {
    if payload.len() + 1 > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            FrameError::TooLarge(payload.len() + 1),
        ));
    }
    w.write_all(&header(kind_byte, payload.len()))?;
    w.write_all(payload)
}

/// Read one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = check_len(u32::from_be_bytes(len) as usize)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let mut body = vec![0u8; n];
    r.read_exact(&mut body)?;
    let kind_byte = body[0];
    if !known(kind_byte) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            FrameError::UnknownType(kind_byte),
        ));
    }
    body.remove(0);
    Ok(Some(Frame {
        kind: kind_byte,
        payload: body,
    }))
}

fn check_len(n: usize) -> Result<usize, FrameError> {
    match n {
        0 => Err(FrameError::Empty),
        n if n > MAX_FRAME => Err(FrameError::TooLarge(n)),
        n => Ok(n),
    }
}

/// Split a byte buffer into frames (for tests and fuzzing): the frames, and how many bytes
/// were used (the rest is an incomplete frame).
pub fn decode_all(buf: &[u8]) -> Result<(Vec<Frame>, usize), FrameError> {
    let mut out = Vec::new();
    let mut at = 0;
    while buf.len() - at >= 4 {
        let n =
            check_len(u32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize)?;
        if buf.len() - at - 4 < n {
            break;
        }
        let kind_byte = buf[at + 4];
        if !known(kind_byte) {
            return Err(FrameError::UnknownType(kind_byte));
        }
        out.push(Frame {
            kind: kind_byte,
            payload: buf[at + 5..at + 4 + n].to_vec(),
        });
        at += 4 + n;
    }
    Ok((out, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(kind_byte: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_frame(&mut v, kind_byte, payload).unwrap();
        v
    }

    #[test]
    fn round_trip_and_partial_frames() {
        let mut buf = encoded(kind::OUTPUT, b"hello");
        buf.extend(encoded(kind::TAKE, b""));
        let (frames, used) = decode_all(&buf).unwrap();
        assert_eq!(used, buf.len());
        assert_eq!(
            frames,
            vec![
                Frame::new(kind::OUTPUT, *b"hello"),
                Frame::new(kind::TAKE, Vec::new())
            ]
        );
        let (frames, used) = decode_all(&buf[..buf.len() - 1]).unwrap();
        assert_eq!((frames.len(), used), (1, 10));
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r).unwrap().unwrap().payload, b"hello");
        assert_eq!(read_frame(&mut r).unwrap().unwrap().kind, kind::TAKE);
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn refuses_oversized_empty_unknown_and_truncated() {
        let big = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert_eq!(
            decode_all(&[&big[..], &[1]].concat()),
            Err(FrameError::TooLarge(MAX_FRAME + 1))
        );
        assert!(read_frame(&mut &[&big[..], &[1]].concat()[..]).is_err());
        assert_eq!(decode_all(&[0, 0, 0, 0]), Err(FrameError::Empty));
        assert_eq!(
            decode_all(&[0, 0, 0, 1, 0x42]),
            Err(FrameError::UnknownType(0x42))
        );
        let mut cut = &encoded(kind::OUTPUT, b"hello")[..7];
        assert!(
            read_frame(&mut cut).is_err(),
            "a frame cut short is an error, not an end"
        );
        assert!(write_frame(&mut Vec::new(), kind::OUTPUT, &vec![0; MAX_FRAME]).is_err());
    }

    #[test]
    fn a_size_is_four_bytes() {
        assert_eq!(size_of(&[0, 120, 0, 40]), Some((120, 40)));
        assert_eq!(size_of(&size_payload(1000, 500)), Some((1000, 500)));
        assert_eq!(size_of(&[1, 0, 1, 244]), Some((256, 500)));
        assert_eq!(size_of(&[0, 120, 0]), None);
        assert_eq!(size_of(&[0, 120, 0, 40, 0]), None);
    }

    #[test]
    fn hello_is_strict_json() {
        let f = Frame::new(kind::HELLO, br#"{"v":1,"mode":"watch"}"#.to_vec());
        let h: Hello = f.parse().unwrap();
        assert_eq!(
            h,
            Hello {
                v: 1,
                mode: "watch".into(),
                save: false,
                text: None,
                by_s: None,
            }
        );
        let ext = Frame::new(
            kind::HELLO,
            br#"{"v":1,"mode":"extend","save":false,"text":null,"by_s":1800}"#.to_vec(),
        );
        assert_eq!(ext.parse::<Hello>().unwrap().by_s, Some(1800));
        let watch = serde_json::to_string(&Hello {
            v: 1,
            mode: "watch".into(),
            save: false,
            text: None,
            by_s: None,
        })
        .unwrap();
        assert_eq!(
            watch, r#"{"v":1,"mode":"watch","save":false,"text":null}"#,
            "other hellos stay as older sessions read them"
        );
        let bad = Frame::new(kind::HELLO, br#"{"v":1,"mode":"watch","uid":0}"#.to_vec());
        assert!(bad.parse::<Hello>().is_err(), "a client cannot claim a uid");
        assert!(
            Frame::new(kind::HELLO, b"\xff".to_vec())
                .parse::<Hello>()
                .is_err()
        );
    }
}
