//! The client side of the live socket, shared by `watch`, `mark`, `attach` and `ls`.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::protocol::{self, Frame, Hello, VERSION, Welcome, kind};
use super::trust;
use crate::error::{Exit, Failure};
use crate::safe;
use crate::store::{SessionFile, Store, is_live};

/// How long a client waits for the session to answer its hello.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a live session listens.
pub fn socket_path(store: &Store, id: &str) -> PathBuf {
    store.live_dir().join(format!("{id}.sock"))
}

/// What the session answered.
pub enum Answer {
    Welcome(Box<Welcome>),
    Notice(String),
}

/// Connect and say hello; a refusal is an error carrying the session's reason. Only a
/// socket of the identity sessions run as is spoken to (see [`trust`]).
pub fn connect(socket: &Path, hello: &Hello) -> Result<(UnixStream, Answer), Failure> {
    connect_as(trust::expected_owner(), socket, hello, |p| {
        UnixStream::connect(p)
    })
}

/// [`connect`] to a socket that must belong to, and be listened on by, uid `owner`,
/// opening the connection with `open` (a setuid caller passes one that connects under
/// the user's own uid, which is who the session's `SO_PEERCRED` then sees). Nothing is
/// sent before both checks pass.
pub fn connect_as(
    owner: u32,
    socket: &Path,
    hello: &Hello,
    open: impl FnOnce(&Path) -> std::io::Result<UnixStream>,
) -> Result<(UnixStream, Answer), Failure> {
    connect_sending(owner, socket, hello, None, open)
}

/// [`connect`] with `mode: "attach"`: the hello, then at once the terminal's size.
pub fn connect_attach(socket: &Path, size: (u16, u16)) -> Result<(UnixStream, Answer), Failure> {
    connect_sending(
        trust::expected_owner(),
        socket,
        &hello("attach"),
        Some(&Frame::new(
            kind::SIZE,
            protocol::size_payload(size.0, size.1),
        )),
        |p| UnixStream::connect(p),
    )
}

/// [`connect_as`], sending `then` right after the hello.
fn connect_sending(
    owner: u32,
    socket: &Path,
    hello: &Hello,
    then: Option<&Frame>,
    open: impl FnOnce(&Path) -> std::io::Result<UnixStream>,
) -> Result<(UnixStream, Answer), Failure> {
    let shown = safe::text(&socket.display().to_string()).into_owned();
    let untrusted = |e: trust::Untrusted| {
        Failure::tool(format!(
            "{shown}: {e}; someone may have put it there to catch what you type"
        ))
    };
    match trust::check_path(owner, socket) {
        Ok(verdict) => verdict.map_err(untrusted)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::usage(format!(
                "the session is not live ({shown}: {e})"
            )));
        }
        Err(e) => return Err(Failure::tool(format!("cannot look at {shown}: {e}"))),
    }
    let mut s = open(socket).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => Failure::tool(format!(
            "cannot reach {shown}: permission denied (the session's owner, root and its group may connect)"
        )),
        _ => Failure::usage(format!("the session is not live ({shown}: {e})")),
    })?;
    let peer = getsockopt(&s, PeerCredentials)
        .map_err(|e| Failure::tool(format!("cannot tell who listens on the socket: {e}")))?;
    trust::check_peer(owner, peer.uid()).map_err(untrusted)?;
    let payload = serde_json::to_vec(hello).expect("hello serializes");
    // The hello and what follows it go in one write: a session that refuses after the
    // hello closes the connection, and a second write would then fail (EPIPE) before the
    // refusal could be read.
    let mut out = Vec::new();
    protocol::write_frame(&mut out, kind::HELLO, &payload)
        .and_then(|_| match then {
            Some(f) => protocol::write_frame(&mut out, f.kind, &f.payload),
            None => Ok(()),
        })
        .and_then(|_| s.write_all(&out))
        .map_err(|e| Failure::tool(format!("cannot talk to the session: {e}")))?;
    let _ = s.set_read_timeout(Some(ANSWER_TIMEOUT));
    let f: Frame = protocol::read_frame(&mut s)
        .map_err(|e| Failure::tool(format!("no answer from the session: {e}")))?
        .ok_or_else(|| Failure::tool("the session closed the connection"))?;
    let _ = s.set_read_timeout(None);
    match f.kind {
        kind::WELCOME => Ok((
            s,
            Answer::Welcome(
                f.parse()
                    .map_err(|e| Failure::tool(format!("bad welcome: {e}")))?,
            ),
        )),
        kind::NOTICE => Ok((s, Answer::Notice(safe::bytes(&f.payload)))),
        kind::DENIED => Err(Failure {
            code: Exit::Negative,
            message: format!("refused: {}", safe::bytes(&f.payload)),
        }),
        k => Err(Failure::tool(format!(
            "unexpected answer {k:#04x} from the session"
        ))),
    }
}

/// A hello for `mode`.
pub fn hello(mode: &str) -> Hello {
    Hello {
        v: VERSION,
        mode: mode.into(),
        save: false,
        text: None,
        by_s: None,
    }
}

/// The live sessions of `user` whose terminal went away, newest first, with what each
/// says about itself: the sessions `breakglass attach` can take up.
pub fn detached_sessions(store: &Store, user: &str) -> Vec<(String, Welcome)> {
    crate::installed::store::live_ids(store)
        .into_iter()
        .filter_map(
            |id| match connect(&socket_path(store, &id), &hello("info")) {
                Ok((_, Answer::Welcome(w))) if w.detached_until.is_some() && w.user == user => {
                    Some((id, *w))
                }
                _ => None,
            },
        )
        .collect()
}

/// The live sessions of a store, with what each says about itself (if it lets us ask).
pub fn live_sessions(store: &Store) -> Vec<(SessionFile, Option<Welcome>)> {
    let Ok(all) = store.sessions() else {
        return vec![];
    };
    all.into_iter()
        .filter(|s| socket_path(store, &s.id).exists() && is_live(&s.path))
        .map(|s| {
            let info = match connect(&socket_path(store, &s.id), &hello("info")) {
                Ok((_, Answer::Welcome(w))) => Some(*w),
                _ => None,
            };
            (s, info)
        })
        .collect()
}

/// A thread that passes every frame from the session on as `frame(f)`, then `closed`
/// when the connection ends (the watch and attach clients' socket side).
pub fn spawn_frame_reader<M: Send + 'static>(
    mut s: UnixStream,
    tx: std::sync::mpsc::Sender<M>,
    frame: fn(Frame) -> M,
    closed: M,
) {
    std::thread::spawn(move || {
        while let Ok(Some(f)) = protocol::read_frame(&mut s) {
            if tx.send(frame(f)).is_err() {
                return;
            }
        }
        let _ = tx.send(closed);
    });
}

/// A thread that passes keys as they are typed, straight from fd 0, as `keys(bytes)`,
/// then `end` when stdin ends or fails (the terminal went away).
pub fn spawn_key_reader<M: Send + 'static>(
    tx: std::sync::mpsc::Sender<M>,
    keys: fn(Vec<u8>) -> M,
    end: M,
) {
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 4096];
        loop {
            match stdin.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(keys(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(end);
    });
}
