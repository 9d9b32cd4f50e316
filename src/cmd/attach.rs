//! `breakglass attach`: take up your own session whose terminal went away (a dropped ssh
//! connection). This terminal becomes the session's: its screen as it is now, then live
//! output, your keys as the owner's, and its size as the session's, until the session
//! ends (then the summary the shell prints, and the session's exit status) or this
//! terminal goes too (the session is held again for another attach).

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;

use crate::cli::AttachArgs;
use crate::error::{Exit, Failure};
use crate::live::client::{self, Answer};
use crate::live::protocol::{self, Ended, Frame, Welcome, kind};
use crate::replay::view::put;
use crate::review::visible;
use crate::session::{self, Outcome, term};
use crate::store::Store;

enum Msg {
    Frame(Frame),
    Closed,
    Keys(Vec<u8>),
    StdinEnd,
    Signal(i32),
}

/// Which session: the one named (id prefix or `last`), else your one detached session.
fn pick(store: &Store, spec: Option<&str>) -> Result<String, Failure> {
    if let Some(s) = spec {
        return if crate::mode::installed() {
            crate::installed::store::resolve_live(store, Some(s))
        } else {
            store.resolve(s).map(|sf| sf.id)
        };
    }
    let mine = client::detached_sessions(store, &session::login_name());
    match mine.as_slice() {
        [(id, _)] => Ok(id.clone()),
        [] => Err(Failure::usage(format!(
            "you have no detached session in {} (a session is detached when its terminal goes away)",
            store.dir.display()
        ))),
        many => Err(Failure::usage(format!(
            "you have {} detached sessions ({}): pick one with `breakglass attach ID`",
            many.len(),
            many.iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub fn run(args: &AttachArgs, store: &Store) -> Result<i32> {
    let id = pick(store, args.session.as_deref())?;
    let (stream, answer) =
        client::connect_attach(&client::socket_path(store, &id), term::user_size())?;
    let Answer::Welcome(w) = answer else {
        return Err(Failure::tool("unexpected answer from the session").into());
    };
    eprintln!(
        "breakglass: attached to session {id} on {} ({}); it is recorded as before\r",
        visible(&w.host),
        visible(&w.reason)
    );
    let (tx, rx) = mpsc::channel();
    client::spawn_frame_reader(stream.try_clone()?, tx.clone(), Msg::Frame, Msg::Closed);
    client::spawn_key_reader(tx.clone(), Msg::Keys, Msg::StdinEnd);
    let mut signals = signal_hook::iterator::Signals::new([
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGWINCH,
    ])?;
    std::thread::spawn(move || {
        for s in signals.forever() {
            if tx.send(Msg::Signal(s)).is_err() {
                return;
            }
        }
    });
    let title = format!("\u{25cf} REC breakglass {} ({id})", w.host);
    let guard = if term::is_tty(0) {
        Some(term::RawMode::enter(&title)?)
    } else {
        None
    };
    let ended = passthrough(stream, &rx);
    drop(guard);
    term::restore();
    let Some(e) = ended else {
        let _ = writeln!(
            std::io::stderr(),
            "\r\nbreakglass: detached from session {id}; it is held for a while: breakglass attach {id}"
        );
        return Ok(0);
    };
    let outcome = outcome(&id, &w, &e, store);
    let _ = write!(std::io::stderr(), "\r\n{}", session::summary(&outcome));
    Ok(outcome.exit_code)
}

/// Attributes off, the cursor home and the screen cleared, before a late-join screen is
/// drawn (crossterm's commands).
fn home_cleared() -> String {
    use crossterm::style::{Attribute, SetAttribute};
    use crossterm::terminal::{Clear, ClearType};
    let mut s = String::new();
    put(&mut s, SetAttribute(Attribute::Reset));
    put(&mut s, crossterm::cursor::MoveTo(0, 0));
    put(&mut s, Clear(ClearType::All));
    s
}

/// Frames to the terminal and keys to the session until the session ends (its end frame)
/// or either side goes away (None).
fn passthrough(mut sock: UnixStream, rx: &mpsc::Receiver<Msg>) -> Option<Ended> {
    let out = std::io::stdout();
    let show = |b: &[u8]| {
        term::shown(b);
        let mut o = out.lock();
        o.write_all(b).and_then(|_| o.flush()).is_ok()
    };
    for msg in rx {
        let ok = match msg {
            Msg::Frame(f) => match f.kind {
                kind::SCREEN => show(home_cleared().as_bytes()) && show(&f.payload),
                kind::OUTPUT => show(&f.payload),
                kind::END => return f.parse().ok(),
                _ => true, // notices reach this terminal as output, as the owner's
            },
            Msg::Keys(b) => protocol::write_frame(&mut sock, kind::INPUT, &b).is_ok(),
            Msg::Signal(libc::SIGWINCH) => {
                let (c, r) = term::user_size();
                protocol::write_frame(&mut sock, kind::SIZE, &protocol::size_payload(c, r)).is_ok()
            }
            Msg::Closed | Msg::StdinEnd | Msg::Signal(_) => false,
        };
        if !ok {
            break;
        }
    }
    let _ = sock.shutdown(std::net::Shutdown::Both);
    None
}

/// The session's end as the shell that started it would report it.
fn outcome(id: &str, w: &Welcome, e: &Ended, store: &Store) -> Outcome {
    let duration = jiff::Timestamp::now()
        .duration_since(w.started.parse().unwrap_or_else(|_| jiff::Timestamp::now()))
        .unsigned_abs();
    Outcome {
        id: id.to_string(),
        exit_code: e.status.or(e.exit).unwrap_or(Exit::Tool.code()),
        cause: e.cause.parse().unwrap_or(crate::log::vocab::Cause::Error),
        records: e.records,
        head: crate::log::chain::from_hex(&e.head).unwrap_or_default(),
        duration: Duration::from_secs(duration.as_secs()),
        log_error: None,
        ended_in_log: true,
        file: store.dir.join(Store::relative_file(id)),
    }
}
