//! A recorded session: create the log and chain it into the ledger, start the child in a
//! PTY, run the threads around the hub, and close the log and the ledger entry at the end.
//!
//! Thread layout (docs/ARCHITECTURE.md has the picture): producers (PTY reader, stdin
//! reader, signals, child waiter) → one channel → the hub → log, terminal, PTY writer.

pub mod events;
pub mod hub;
pub mod pty;
pub mod secret;
pub mod term;
pub mod ttl;
pub mod watchers;

use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use regex::Regex;

use crate::error::{EXIT_TOOL, Failure};
use crate::live::ToWatcher;
use crate::live::acl::Acl;
use crate::live::protocol::{self, Ended, State, Welcome};
use crate::live::server::{self, ServerCtx};
use crate::log::chain::{Hash, to_hex};
use crate::log::ledger::{Entry, Ledger};
use crate::log::record::{End, FORMAT_VERSION, Genesis};
use crate::log::writer::LogWriter;
use crate::store::{self, Store};
use hub::{Ending, Hub, HubParts};
use secret::SecretFilter;
use watchers::Audience;

/// Everything a session needs, decided before it starts.
pub struct Plan {
    pub store: Store,
    pub host: String,
    pub command: Vec<String>,
    pub reason: String,
    pub ticket: Option<String>,
    pub ttl: Duration,
    /// None: record secrets too (`--record-secrets`).
    pub secret_prompt: Option<Regex>,
    /// Who may watch and operate, besides the owner and root.
    pub acl: Acl,
    /// Hold the owner's input until an operator is attached.
    pub require_operator: bool,
}

/// How long the end of a session waits for watchers to receive its last frames.
const END_FLUSH: Duration = Duration::from_secs(2);

/// How a session ended.
pub struct Outcome {
    pub id: String,
    pub exit_code: i32,
    pub cause: String,
    pub records: u64,
    pub head: Hash,
    pub duration: Duration,
    pub log_error: Option<String>,
    pub file: std::path::PathBuf,
}

/// Current time as RFC 3339 UTC with microseconds.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// This machine's name.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The login name of the real user.
pub fn login_name() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| uid.to_string())
}

/// Create the log, write its genesis chained to the ledger head, and add the ledger's
/// start line, all under the ledger lock so concurrent sessions chain in order.
fn open_log(plan: &Plan, id: &str, size: (u16, u16)) -> Result<LogWriter, Failure> {
    let fail = |what: &str, e: std::io::Error| {
        Failure::tool(format!(
            "cannot {what} in {}: {e}; pass --dir DIR or set BREAKGLASS_DIR to a writable dir",
            plan.store.dir.display()
        ))
    };
    let file = plan
        .store
        .create_session(id)
        .map_err(|e| fail("create the session log", e))?;
    let mut ledger = Ledger::lock(&plan.store.ledger_path(), plan.store.file_mode())
        .map_err(|e| fail("open the ledger", e))?;
    let genesis = Genesis {
        v: FORMAT_VERSION,
        session: id.to_string(),
        host: plan.host.clone(),
        user: login_name(),
        uid: nix::unistd::getuid().as_raw(),
        reason: plan.reason.clone(),
        ticket: plan.ticket.clone(),
        command: plan.command.clone(),
        cols: size.0,
        rows: size.1,
        term: std::env::var("TERM").unwrap_or_else(|_| "dumb".into()),
        started: now_rfc3339(),
        ttl_s: Some(plan.ttl.as_secs()),
        tool: format!("breakglass {}", env!("CARGO_PKG_VERSION")),
        origin: hostname(),
    };
    let writer = LogWriter::create(file, genesis, ledger.head())
        .map_err(|e| fail("write the session log", e))?;
    ledger
        .append(Entry {
            seq: 0,
            at: now_rfc3339(),
            start: true,
            session: id.to_string(),
            file: Store::relative_file(id),
            prev: ledger.head(),
            hash: writer.head(),
            records: None,
        })
        .map_err(|e| fail("append to the ledger", e))?;
    Ok(writer)
}

/// The label that starts breakglass's own lines: reverse red on a terminal.
fn label() -> &'static str {
    if term::is_tty(2) {
        "\x1b[1;41;97m breakglass \x1b[0m"
    } else {
        "[breakglass]"
    }
}

fn banner(plan: &Plan, id: &str) -> String {
    let ticket = plan
        .ticket
        .as_deref()
        .map(|t| format!("  ticket: {t}"))
        .unwrap_or_default();
    format!(
        "{label} RECORDING session {id} on {host} ({cmd})\n\
         \x20 reason: {reason}{ticket}  time limit: {ttl}\n\
         \x20 every keystroke and all output are recorded; watch it: breakglass watch {id}\n{op}",
        label = label(),
        host = plan.host,
        cmd = plan.command.join(" "),
        reason = plan.reason,
        ttl = humantime::format_duration(plan.ttl),
        op = if plan.require_operator {
            "  an operator must watch before your input is sent\n"
        } else {
            ""
        },
    )
}

/// Run a recorded session to its end.
pub fn run(plan: Plan) -> Result<Outcome> {
    pty::resolve_program(&plan.command[0])?;
    let interactive = term::is_tty(0);
    let size = term::user_size();
    let id = store::new_id().context("cannot read /dev/urandom for a session id")?;
    let mut writer = open_log(&plan, &id, size)?;
    let file = plan.store.sessions_dir().join(format!("{id}.jsonl"));
    eprint!("{}", banner(&plan, &id));
    writer
        .start_syncer()
        .map_err(|e| Failure::tool(format!("cannot start the log syncer: {e}")))?;

    let spawned = match pty::spawn(
        &plan.command,
        size.0,
        size.1,
        &[("BREAKGLASS_SESSION", &id)],
    ) {
        Ok(s) => s,
        Err(e) => {
            let end = End {
                cause: "error".into(),
                exit: None,
                signal: None,
                records: 0,
                bytes_in: 0,
                bytes_out: 0,
                ended: now_rfc3339(),
            };
            let head = writer.finish(0, end).ok();
            close_ledger(&plan.store, &id, head, writer.records());
            return Err(Failure::tool(format!("cannot start {}: {e}", plan.command[0])).into());
        }
    };
    let start = Instant::now();
    let title = format!("\u{25cf} REC breakglass {} ({id})", plan.host);
    let guard = if interactive {
        Some(term::RawMode::enter(&title)?)
    } else {
        Some(term::RawMode::title_only(&title))
    };

    let (tx, rx) = mpsc::sync_channel(events::EVENT_QUEUE);
    let (to_pty, pty_rx) = mpsc::channel();
    let live = Arc::new(Mutex::new((
        State {
            wheel: "owner".into(),
            watchers: vec![],
        },
        size.0,
        size.1,
    )));
    let welcome = Welcome {
        v: protocol::VERSION,
        session: id.clone(),
        host: plan.host.clone(),
        user: login_name(),
        reason: plan.reason.clone(),
        ticket: plan.ticket.clone(),
        started: now_rfc3339(),
        cols: size.0,
        rows: size.1,
        ..Welcome::default()
    };
    let ctx = Arc::new(ServerCtx::new(
        plan.acl.clone(),
        welcome,
        Arc::clone(&live),
        file.clone(),
        tx.clone(),
    ));
    let socket = plan.store.live_dir().join(format!("{id}.sock"));
    let socket_mode = if plan.store.shared { 0o660 } else { 0o600 };
    let _socket = match server::listen(&socket, socket_mode, Arc::clone(&ctx)) {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("breakglass: warning: nobody can watch this session: {e}");
            None
        }
    };
    events::pty_reader(spawned.master.try_clone()?, tx.clone())?;
    events::pty_writer(spawned.master.try_clone()?, pty_rx)?;
    events::stdin_reader(tx.clone())?;
    events::signal_forwarder(tx.clone())?;
    events::child_waiter(spawned.child, tx)?;
    let display = File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    let hub = Hub::new(HubParts {
        writer,
        start,
        master: spawned.master,
        pid: spawned.pid,
        to_pty,
        display,
        secrets: SecretFilter::new(plan.secret_prompt.clone()),
        ttl_limit: plan.ttl,
        interactive,
        size,
        audience: Audience::new(live, plan.require_operator, title),
    });
    let (res, mut writer) = hub.run(rx);
    let duration = start.elapsed();
    drop(guard);

    let (cause, exit, signal, mut code) = match (res.status, res.ending) {
        (Some(st), ending) => {
            let (code, sig) = match (st.code(), st.signal()) {
                (Some(c), _) => (c, None),
                (None, Some(s)) => (128 + s, Some(s)),
                (None, None) => (EXIT_TOOL, None),
            };
            let cause = match (ending, sig) {
                (Some(e), _) => e.cause(),
                (None, Some(_)) => "signal",
                (None, None) => "exit",
            };
            (cause, st.code(), sig.map(pty::signal_name), code)
        }
        (None, ending) => (
            ending.unwrap_or(Ending::Error).cause(),
            None,
            None,
            EXIT_TOOL,
        ),
    };
    let end = End {
        cause: cause.into(),
        exit,
        signal,
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        ended: now_rfc3339(),
    };
    let t = duration.as_micros() as u64;
    let mut log_error = res.log_error;
    let head = match writer.finish(t, end) {
        Ok(h) => Some(h),
        Err(e) => {
            log_error.get_or_insert(e.to_string());
            None
        }
    };
    if log_error.is_some() {
        code = EXIT_TOOL;
    }
    close_ledger(&plan.store, &id, head, writer.records());
    let ended = Ended {
        cause: cause.into(),
        exit,
        head: to_hex(&writer.head()),
        records: writer.records(),
    };
    res.audience.broadcast(&ToWatcher::End(Arc::new(ended)));
    let deadline = Instant::now() + END_FLUSH;
    while ctx.count.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(Outcome {
        id,
        exit_code: code,
        cause: cause.into(),
        records: writer.records(),
        head: writer.head(),
        duration,
        log_error,
        file,
    })
}

/// Add the ledger's end line; a failure here is reported but the log itself is whole.
fn close_ledger(store: &Store, id: &str, head: Option<Hash>, records: u64) {
    let Some(head) = head else { return };
    let res = Ledger::lock(&store.ledger_path(), store.file_mode()).and_then(|mut l| {
        let prev = l.head();
        l.append(Entry {
            seq: 0,
            at: now_rfc3339(),
            start: false,
            session: id.to_string(),
            file: Store::relative_file(id),
            prev,
            hash: head,
            records: Some(records),
        })
    });
    if let Err(e) = res {
        eprintln!("breakglass: warning: could not add the session's end to the ledger: {e}");
    }
}

/// The lines printed after a session.
pub fn summary(o: &Outcome) -> String {
    let status = match o.cause.as_str() {
        "exit" => format!("exit {}", o.exit_code),
        "signal" => format!("killed by signal (exit {})", o.exit_code),
        "ttl" => format!("ended by its time limit (exit {})", o.exit_code),
        "killed" => format!("ended by request (exit {})", o.exit_code),
        "hangup" => format!("ended: the terminal went away (exit {})", o.exit_code),
        _ => format!("ended by an error (exit {})", o.exit_code),
    };
    let mut s = format!(
        "{} session {} ended: {status} after {}\n\
         \x20 {} records, head {}\n\
         \x20 verify: breakglass verify {}\n",
        label(),
        o.id,
        humantime::format_duration(Duration::from_secs(o.duration.as_secs().max(1))),
        o.records,
        to_hex(&o.head),
        o.id,
    );
    if let Some(e) = &o.log_error {
        s = format!(
            "breakglass: the session was ended because its log could not be written ({e}); no recording, no session.\n\
             \x20 the log {} holds everything recorded until then.\n{s}",
            o.file.display()
        );
    }
    s
}
