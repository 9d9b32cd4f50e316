//! The session side of the live socket: accept, identify the peer by `SO_PEERCRED`, check
//! what it may do, and run one reader and one writer thread per admitted watcher. This
//! file accepts and admits, and reads each watcher's frames for the hub; what a watcher's
//! writer thread sends it is in `feed.rs`.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::acl::{Access, Acl, Peer};
use super::admission::{self, Pending};
use super::feed;
use super::inlet::{Inlet, ToHub};
use super::pace::Pace;
use super::presence::{self, Slot};
use super::protocol::{self, Frame, Hello, MAX_MARKER, VERSION, Welcome, kind};
use super::screen::ScreenService;
use super::{FromWatcher, LiveState, MAX_WATCHERS, WATCHER_QUEUE, WatcherHandle, WatcherId};

/// The longest path a Unix socket can have (`sun_path` is 108 bytes with its NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// What the session shares with its connection threads.
pub struct ServerCtx {
    pub acl: Acl,
    /// The unchanging part of every `WELCOME`.
    pub welcome: Welcome,
    /// The changing part: keyboard holder, watchers, size.
    pub live: LiveState,
    pub log_path: PathBuf,
    pub events: Box<dyn Inlet>,
    screen: Mutex<Option<ScreenService>>,
    next_id: AtomicU64,
    /// Watchers whose connection is open (admitted, or being admitted).
    pub count: AtomicUsize,
    /// Where the owner's terminal is; an attach claims it (session/detach.rs).
    pub presence: Slot,
}

impl ServerCtx {
    pub fn new(
        acl: Acl,
        welcome: Welcome,
        live: LiveState,
        log_path: PathBuf,
        events: impl Inlet + 'static,
    ) -> Self {
        ServerCtx {
            acl,
            welcome,
            live,
            log_path,
            events: Box::new(events),
            screen: Mutex::new(None),
            next_id: AtomicU64::new(1),
            count: AtomicUsize::new(0),
            presence: Slot::default(),
        }
    }

    /// The emulator, started on first use.
    pub(super) fn screen(&self) -> Option<ScreenService> {
        let mut s = self.screen.lock().unwrap_or_else(|p| p.into_inner());
        if s.is_none() {
            *s = ScreenService::start(self.log_path.clone(), self.welcome.cols, self.welcome.rows)
                .ok();
        }
        s.clone()
    }

    fn welcome_for(&self, peer: &Peer, access: Access) -> Welcome {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        Welcome {
            role: access.as_str().into(),
            you: peer.name.clone(),
            state: live.0.clone(),
            cols: live.1,
            rows: live.2,
            detached_until: presence::detached_until(&self.presence),
            ..self.welcome.clone()
        }
    }
}

/// Removes the socket file when the session ends.
pub struct SocketGuard(PathBuf);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Listen on `path` (mode `mode`) and serve connections on their own threads.
pub fn listen(path: &Path, mode: u32, ctx: Arc<ServerCtx>) -> io::Result<SocketGuard> {
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the socket path {} is longer than {MAX_SOCKET_PATH} bytes; use a shorter --dir",
                path.display()
            ),
        ));
    }
    let listener = UnixListener::bind(path)?;
    let guard = SocketGuard(path.to_path_buf());
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    std::thread::Builder::new()
        .name("live-accept".into())
        .spawn(move || {
            let pending = Arc::new(Pending::default());
            for conn in listener.incoming() {
                let stream = match conn {
                    Ok(s) => s,
                    Err(e) if admission::must_back_off(&e) => {
                        std::thread::sleep(admission::ACCEPT_BACKOFF);
                        continue;
                    }
                    Err(_) => continue,
                };
                let ctx = Arc::clone(&ctx);
                let pending = Arc::clone(&pending);
                let _ = std::thread::Builder::new()
                    .name("live-conn".into())
                    .spawn(move || serve(stream, ctx, &pending));
            }
        })?;
    Ok(guard)
}

pub(super) fn deny(stream: &mut UnixStream, why: &str) {
    let _ = protocol::write_frame(stream, kind::DENIED, why.as_bytes());
}

/// One connection: hello, admission, then read the watcher's frames until it goes.
fn serve(mut stream: UnixStream, ctx: Arc<ServerCtx>, pending: &Pending) {
    let Ok(cred) = getsockopt(&stream, PeerCredentials) else {
        return;
    };
    let Ok(ticket) = pending.enter(cred.uid(), &stream) else {
        return;
    };
    let hello: Hello = match admission::read_hello(&mut stream, admission::HELLO_TIMEOUT) {
        Some(f) if f.kind == kind::HELLO => match f.parse() {
            Ok(h) => h,
            Err(_) => return,
        },
        _ => return, // garbage, silence or the wrong first frame: drop this client only
    };
    drop(ticket);
    let peer = Peer::lookup(cred.uid());
    if hello.v != VERSION {
        return deny(
            &mut stream,
            &format!(
                "protocol version {} is not spoken here (this session speaks {VERSION}); use the same breakglass version",
                hello.v
            ),
        );
    }
    let access = ctx.acl.access(&peer);
    let refuse = |stream: &mut UnixStream, why: &str| {
        deny(stream, why);
        let _ = ctx.events.send(ToHub::Denied {
            peer: peer.clone(),
            mode: hello.mode.clone(),
        });
    };
    match (hello.mode.as_str(), access) {
        ("info", Some(a)) => {
            let _ = protocol::write_frame(
                &mut stream,
                kind::WELCOME,
                &serde_json::to_vec(&ctx.welcome_for(&peer, a)).unwrap_or_default(),
            );
        }
        ("info", None) => deny(&mut stream, "you may not watch this session"),
        ("attach", _) if cred.uid() != ctx.acl.owner_uid => refuse(
            &mut stream,
            &format!(
                "{} is not the session's owner: only the user who started it may attach to it (others may watch)",
                peer.name
            ),
        ),
        ("attach", _) => super::attach::admit_owner(stream, ctx, peer),
        ("extend", None) => refuse(
            &mut stream,
            &format!(
                "{} may not extend this session: only its owner and its operators may",
                peer.name
            ),
        ),
        (_, None) => refuse(
            &mut stream,
            &format!(
                "{} may not {} this session (ask its owner to add you with --watchers or --operators)",
                peer.name, hello.mode
            ),
        ),
        ("extend", Some(a)) => {
            let owner = peer.uid == ctx.acl.owner_uid;
            match super::extend::ask(&*ctx.events, peer, owner, a, hello.by_s) {
                Ok(said) => {
                    let _ = protocol::write_frame(&mut stream, kind::NOTICE, said.as_bytes());
                }
                Err(why) => deny(&mut stream, &why),
            }
        }
        ("mark", Some(_)) => match hello.text {
            Some(t) if !t.trim().is_empty() && t.len() <= MAX_MARKER => {
                let _ = ctx.events.send(ToHub::Mark { peer, text: t });
                let _ = protocol::write_frame(&mut stream, kind::NOTICE, b"marker added");
            }
            _ => deny(
                &mut stream,
                &format!("a marker needs text of 1 to {MAX_MARKER} bytes"),
            ),
        },
        ("operate", Some(Access::Watch)) => refuse(
            &mut stream,
            &format!(
                "{} may watch but not operate: only root and the operators may take the keyboard",
                peer.name
            ),
        ),
        ("watch" | "operate", Some(a)) => {
            admit(
                stream,
                ctx,
                peer,
                a,
                (hello.mode == "operate", None),
                hello.save,
            );
        }
        (other, Some(_)) => deny(&mut stream, &format!("unknown mode `{other}`")),
    }
}

/// Admit a watcher (`operate_now`) or an attaching owner (`attach`: their size); false if
/// the hub never heard of it.
pub(super) fn admit(
    mut stream: UnixStream,
    ctx: Arc<ServerCtx>,
    peer: Peer,
    access: Access,
    (operate_now, attach): (bool, Option<(u16, u16)>),
    save: bool,
) -> bool {
    let _place = Place::take(&ctx.count);
    if ctx.count.load(Ordering::Acquire) > MAX_WATCHERS {
        deny(
            &mut stream,
            &format!("this session already has {MAX_WATCHERS} watchers"),
        );
        return false;
    }
    let id: WatcherId = ctx.next_id.fetch_add(1, Ordering::Relaxed);
    let welcome = serde_json::to_vec(&ctx.welcome_for(&peer, access)).unwrap_or_default();
    let clones = (stream.try_clone(), stream.try_clone());
    let (Ok(w), Ok(h)) = clones else {
        return false;
    };
    if protocol::write_frame(&mut stream, kind::WELCOME, &welcome).is_err() {
        return false;
    }
    let _ = stream.set_read_timeout(None);
    let (tx, rx) = mpsc::sync_channel(WATCHER_QUEUE);
    let behind = Arc::new(AtomicBool::new(false));
    let wctx = Arc::clone(&ctx);
    let wbehind = Arc::clone(&behind);
    if std::thread::Builder::new()
        .name("live-write".into())
        .spawn(move || feed::writer(w, rx, id, wbehind, save, wctx))
        .is_err()
    {
        return false;
    }
    let handle = WatcherHandle {
        id,
        peer,
        access,
        operate_now,
        attach,
        tx,
        behind,
        stream: h,
        pace: Pace::new(std::time::Instant::now()),
    };
    if ctx.events.send(ToHub::Join(Box::new(handle))).is_err() {
        return false;
    }
    // A frame out of place or malformed ends the loop: this client is dropped.
    while let Ok(Some(msg)) =
        protocol::read_frame(&mut stream).map(|f| f.as_ref().and_then(to_message))
    {
        let detach = msg == FromWatcher::Detach;
        if ctx.events.send(ToHub::Watcher(id, msg)).is_err() || detach {
            break;
        }
    }
    let _ = ctx.events.send(ToHub::Left(id));
    let _ = stream.shutdown(std::net::Shutdown::Both);
    true
}

/// One of the [`MAX_WATCHERS`] places, held while the watcher's connection is open.
struct Place<'a>(&'a AtomicUsize);

impl<'a> Place<'a> {
    fn take(count: &'a AtomicUsize) -> Place<'a> {
        count.fetch_add(1, Ordering::AcqRel);
        Place(count)
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A client frame as a request, or None if it has no place after the hello.
pub fn to_message(f: &Frame) -> Option<FromWatcher> {
    Some(match f.kind {
        kind::INPUT => FromWatcher::Input(f.payload.clone()),
        kind::TAKE => FromWatcher::Take,
        kind::RETURN => FromWatcher::Return,
        kind::KILL => FromWatcher::Kill,
        kind::DETACH => FromWatcher::Detach,
        kind::SIZE => {
            let (cols, rows) = protocol::size_of(&f.payload)?;
            FromWatcher::Resize(cols, rows)
        }
        kind::MARK => {
            let t = f.text().ok()?;
            if t.trim().is_empty() || t.len() > MAX_MARKER {
                return None;
            }
            FromWatcher::Mark(t.to_string())
        }
        _ => return None,
    })
}
