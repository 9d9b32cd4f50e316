//! `breakglass watch`: attach to a live session, see its screen, take the keyboard, hand
//! it back, add markers, end it; with `--save`, keep a byte-identical witness copy of its
//! log.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::mpsc;

use anyhow::Result;

use crate::cli::WatchArgs;
use crate::config::Config;
use crate::error::Failure;
use crate::live::client::{self, Answer};
use crate::live::keys;
use crate::live::protocol::{Ended, Frame, kind};
use crate::live::watcher::{Ui, Who};
use crate::live::words;
use crate::log::chain::{Hash, line_hash, to_hex};
use crate::review::visible;
use crate::safe;
use crate::store::{Store, is_live};
use crate::table;
use crate::term;

enum Msg {
    Frame(Frame),
    Closed,
    Keys(Vec<u8>),
    StdinEnd,
    Signal(i32),
}

/// The witness copy and what it has seen.
struct Witness {
    file: File,
    path: std::path::PathBuf,
    records: u64,
    head: Option<Hash>,
}

impl Witness {
    fn add(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            self.head = Some(line_hash(line));
            self.records += 1;
        }
        Ok(())
    }
}

/// Whether the session's writer let go of its log: it is over. A log this user cannot open
/// says nothing either way (the socket decides).
fn has_ended(path: &std::path::Path) -> bool {
    File::open(path).is_ok() && !is_live(path)
}

/// A session that is over cannot be watched; it can be replayed.
fn ended(id: &str) -> Failure {
    Failure::usage(format!(
        "session {id} has ended, so there is nothing to watch; replay it with `breakglass replay {id}`"
    ))
}

/// The live sessions to pick from, when there are several.
const PICK_HEADER: [&str; 6] = ["ID", "USER", "HOST", "STARTED (UTC)", "WATCHERS", "REASON"];
/// On a narrow terminal the reason is cut first, then the host.
const PICK_FIT: table::Fit = table::Fit {
    shrink: &[5, 2],
    drop: &[4],
};

fn pick(store: &Store) -> Result<String, Failure> {
    let live = client::live_sessions(store);
    match live.len() {
        0 => Err(Failure::usage(format!(
            "no live sessions in {} to watch",
            store.dir.display()
        ))),
        1 => Ok(live[0].0.id.clone()),
        _ => {
            let rows: Vec<Vec<String>> = live
                .iter()
                .map(|(s, info)| {
                    let g = s.genesis.clone().unwrap_or_default();
                    let watchers = info
                        .as_ref()
                        .map_or("?".into(), |w| w.state.watchers.len().to_string());
                    vec![
                        visible(&s.id),
                        visible(&g.user),
                        visible(&g.host),
                        visible(&g.started.get(..16).unwrap_or("").replace('T', " ")),
                        watchers,
                        visible(&g.reason),
                    ]
                })
                .collect();
            let width = term::window_size(1).map(|(c, _)| c as usize);
            for line in table::render(&PICK_HEADER, &rows, width, PICK_FIT) {
                println!("{line}");
            }
            Err(Failure::usage(
                "several sessions are live: pick one with `breakglass watch ID`",
            ))
        }
    }
}

pub fn run(args: &WatchArgs, store: &Store, cfg: &Config) -> Result<i32> {
    let escape = match args.escape.as_deref().or(cfg.escape_key.as_deref()) {
        Some(s) => keys::parse_escape(s).ok_or_else(|| {
            Failure::usage(format!(
                "`{s}` is not a control key such as ctrl-] or ctrl-b"
            ))
        })?,
        None => keys::DEFAULT_ESCAPE,
    };
    let id = match &args.session {
        _ if crate::mode::installed() => {
            crate::installed::store::resolve_live(store, args.session.as_deref())?
        }
        Some(s) => {
            let sf = store.resolve(s)?;
            if has_ended(&sf.path) {
                return Err(ended(&sf.id).into());
            }
            sf.id
        }
        None => pick(store)?,
    };
    let mut witness = match &args.save {
        Some(p) => Some(Witness {
            // A new file, never through a symlink: in a dir others can write, a planted
            // link must not turn the copy into an overwrite of someone's file.
            file: OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .mode(0o600)
                .open(p)
                .map_err(|e| {
                    Failure::usage(format!(
                        "cannot create {}: {e}; --save writes a new file, pick a new name",
                        p.display()
                    ))
                })?,
            path: p.clone(),
            records: 0,
            head: None,
        }),
        None => None,
    };
    let mut hello = client::hello(if args.operate { "operate" } else { "watch" });
    hello.save = witness.is_some();
    let (stream, answer) =
        client::connect(&client::socket_path(store, &id), &hello).map_err(|e| {
            // It may have ended between the look and the connect.
            let path = store.dir.join(Store::relative_file(&id));
            if has_ended(&path) { ended(&id) } else { e }
        })?;
    let Answer::Welcome(w) = answer else {
        return Err(Failure::tool("unexpected answer from the session").into());
    };
    let me = w.you.clone();
    let operator = w.role == "operate";
    eprintln!(
        "breakglass: watching session {id}: {} on {} ({})",
        visible(&w.user),
        visible(&w.host),
        visible(&w.reason)
    );
    eprintln!(
        "  {}",
        if operator {
            "you may take the keyboard and end the session"
        } else {
            "read-only: you may watch and add markers"
        }
    );
    eprintln!("  {}\r", words::help_line(escape, operator));

    let (tx, rx) = mpsc::channel();
    client::spawn_frame_reader(stream.try_clone()?, tx.clone(), Msg::Frame, Msg::Closed);
    client::spawn_key_reader(tx.clone(), Msg::Keys, Msg::StdinEnd);
    // The keyboard is read as raw bytes (typed keys go to the session as typed), not by
    // crossterm's event reader, so the terminal's resizes come as SIGWINCH here.
    let mut signals = signal_hook::iterator::Signals::new([
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGWINCH,
    ])?;
    let stx = tx.clone();
    std::thread::spawn(move || {
        for s in signals.forever() {
            if stx.send(Msg::Signal(s)).is_err() {
                return;
            }
        }
    });
    let title = format!("breakglass: watching {} on {} ({id})", w.user, w.host);
    let title = safe::text(&title);
    // Whether stdin was a terminal at the start: once it has hung up it no longer
    // reports being one, and its end must still end the watch (and free the keyboard).
    let interactive = term::is_tty(0);
    let _guard = if interactive {
        Some(term::RawMode::enter(&title)?)
    } else {
        Some(term::RawMode::title_only(&title))
    };
    let who = Who {
        session: id.clone(),
        user: w.user.clone(),
        host: w.host.clone(),
        me,
        operator,
        escape,
    };
    let mut ui = Ui::new(stream, who, w.state.clone(), (w.cols, w.rows));
    ui.enter();
    let mut ended: Option<Ended> = None;
    loop {
        let msg = match rx.recv_timeout(ui.wait()) {
            Ok(m) => m,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                ui.tick();
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            Msg::Frame(f) => match f.kind {
                kind::LOG => {
                    if let Some(wt) = witness.as_mut()
                        && let Err(e) = wt.add(&f.payload)
                    {
                        ui.say(&format!("cannot write the witness copy: {e}"));
                    }
                }
                kind::END => {
                    ended = f.parse().ok();
                    break;
                }
                _ => ui.frame(&f),
            },
            Msg::Closed => break,
            Msg::Keys(b) => {
                if ui.keys_typed(&b) {
                    break;
                }
            }
            Msg::StdinEnd => {
                if interactive {
                    break;
                }
            }
            Msg::Signal(libc::SIGWINCH) => ui.resized(),
            Msg::Signal(_) => break,
        }
        ui.tick();
    }
    ui.draw();
    drop(_guard);
    match &ended {
        Some(e) => eprintln!(
            "\r\nbreakglass: session {id} ended ({}, exit {}); {} records, head {}",
            safe::text(&e.cause),
            e.exit.map_or("-".into(), |c| c.to_string()),
            e.records,
            safe::text(&e.head)
        ),
        None => eprintln!("\r\nbreakglass: detached from session {id}"),
    }
    if let Some(wt) = &witness {
        eprintln!(
            "  witness copy {}: {} records, last head seen {}\n  check the session against it: breakglass verify {id} --witness {}",
            wt.path.display(),
            wt.records,
            wt.head.map_or("(none)".into(), |h| to_hex(&h)),
            wt.path.display()
        );
    }
    Ok(0)
}
