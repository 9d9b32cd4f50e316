//! A recorded session: create the log and chain it into the ledger, start the child in a
//! PTY, run the threads around the hub, and close the log and the ledger entry at the end.
//!
//! Thread layout (docs/ARCHITECTURE.md has the picture): producers (PTY reader, stdin
//! reader, signals, child waiter) → one channel → the hub → log, terminal, PTY writer.

pub mod events;
pub mod gate;
pub mod hub;
pub mod logfile;
pub mod pty;
pub mod report;
pub mod secret;
pub mod term;
pub mod ttl;
pub mod watchers;
pub mod witnessing;

use std::fs::File;
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use regex::Regex;

use crate::error::{EXIT_TOOL, Failure};
use crate::live::acl::Acl;
use crate::live::protocol::{self, Ended, State, Welcome};
use crate::live::server::{self, ServerCtx, SocketGuard};
use crate::live::{LiveState, ToWatcher};
use crate::log::chain::{Hash, to_hex};
use crate::log::record::End;
use crate::store::{self, Store};
use gate::Gate;
use hub::{Ending, Hub, HubParts};
use logfile::{close_ledger, open_log};
pub use report::summary;
use secret::SecretFilter;
use watchers::Audience;

use crate::witness::syslog::Syslog;

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
    /// Where heads are sent as a witness.
    pub syslog: Option<crate::witness::syslog::Target>,
}

/// How long the end of a session waits for its last syslog messages to go out.
const SYSLOG_FLUSH: Duration = Duration::from_secs(1);

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

/// Start listening for watchers. A session nobody can watch still runs (with a warning).
fn start_live(
    plan: &Plan,
    id: &str,
    size: (u16, u16),
    file: &std::path::Path,
    tx: &crossbeam_channel::Sender<events::Event>,
) -> (Arc<ServerCtx>, LiveState, Option<SocketGuard>) {
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
        session: id.to_string(),
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
        file.to_path_buf(),
        tx.clone(),
    ));
    let socket = plan.store.live_dir().join(format!("{id}.sock"));
    let mode = if plan.store.shared { 0o660 } else { 0o600 };
    let guard = server::listen(&socket, mode, Arc::clone(&ctx))
        .inspect_err(|e| eprintln!("breakglass: warning: nobody can watch this session: {e}"))
        .ok();
    (ctx, live, guard)
}

/// Cause, exit code, signal name and breakglass's own exit status from how it ended.
fn conclusion(
    status: Option<ExitStatus>,
    ending: Option<Ending>,
) -> (&'static str, Option<i32>, Option<String>, i32) {
    let Some(st) = status else {
        return (
            ending.unwrap_or(Ending::Error).cause(),
            None,
            None,
            if ending == Some(Ending::Error) || ending.is_none() {
                EXIT_TOOL
            } else {
                1
            },
        );
    };
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

/// Run a recorded session to its end.
pub fn run(plan: Plan) -> Result<Outcome> {
    pty::resolve_program(&plan.command[0])?;
    let interactive = term::is_tty(0);
    let size = term::user_size();
    let id = store::new_id().context("cannot read /dev/urandom for a session id")?;
    let mut writer = open_log(&plan, &id, size)?;
    let syslog = start_syslog(&plan, &id, &writer);
    let file = plan.store.sessions_dir().join(format!("{id}.jsonl"));
    eprint!("{}", report::banner(&plan, &id));
    writer
        .start_syncer()
        .map_err(|e| Failure::tool(format!("cannot start the log syncer: {e}")))?;

    let inbound = events::Inbound::new();
    let (control, control_rx) = inbound.control;
    let (ctx, live, _socket) = start_live(&plan, &id, size, &file, &control);
    events::stdin_reader(inbound.input.0)?;
    events::signal_forwarder(control.clone())?;
    let title = format!("\u{25cf} REC breakglass {} ({id})", plan.host);
    let guard = if interactive {
        term::RawMode::enter(&title)?
    } else {
        term::RawMode::title_only(&title)
    };
    let (display, display_rx) = crossbeam_channel::bounded(events::DISPLAY_QUEUE);
    events::display_writer(
        File::from(std::io::stdout().as_fd().try_clone_to_owned()?),
        display_rx,
    )?;
    let start = Instant::now();

    let earlier = if plan.require_operator {
        match gate::wait_for_operator(
            &control_rx,
            &inbound.input.1,
            &display,
            &id,
            plan.ttl,
            interactive,
        ) {
            Gate::Open(earlier) => earlier,
            Gate::Closed(ending) => {
                drop(guard);
                return finish(
                    &plan,
                    id,
                    writer,
                    file,
                    start,
                    (None, Some(ending), None),
                    &ctx,
                    None,
                    None,
                );
            }
        }
    } else {
        Vec::new()
    };
    let size = term::user_size();
    let spawned = match pty::spawn(
        &plan.command,
        size.0,
        size.1,
        &[("BREAKGLASS_SESSION", &id)],
    ) {
        Ok(s) => s,
        Err(e) => {
            drop(guard);
            finish(
                &plan,
                id,
                writer,
                file,
                start,
                (None, Some(Ending::Error), None),
                &ctx,
                None,
                None,
            )?;
            let msg = format!("cannot start {}: {e}", plan.command[0]);
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound => Failure::not_found(msg),
                std::io::ErrorKind::PermissionDenied => Failure::cannot_exec(msg),
                _ => Failure::tool(msg),
            }
            .into());
        }
    };
    let (to_pty, pty_rx) = crossbeam_channel::bounded(events::PTY_QUEUE);
    events::pty_reader(spawned.master.try_clone()?, inbound.output.0)?;
    events::pty_writer(spawned.master.try_clone()?, pty_rx)?;
    events::child_waiter(spawned.child, control)?;
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
        syslog: syslog.clone(),
        session_id: id.clone(),
    });
    let (res, writer) = hub.run(
        earlier,
        hub::Inputs::new(control_rx, inbound.output.1, inbound.input.1),
    );
    drop(guard);
    finish(
        &plan,
        id,
        writer,
        file,
        start,
        (res.status, res.ending, res.log_error),
        &ctx,
        Some(res.audience),
        syslog.as_ref(),
    )
}

/// Write the end record, close the ledger entry, tell the watchers.
#[allow(clippy::too_many_arguments)]
fn finish(
    plan: &Plan,
    id: String,
    mut writer: crate::log::writer::LogWriter,
    file: std::path::PathBuf,
    start: Instant,
    (status, ending, log_error): (Option<ExitStatus>, Option<Ending>, Option<String>),
    ctx: &ServerCtx,
    audience: Option<Audience>,
    syslog: Option<&Syslog>,
) -> Result<Outcome> {
    let duration = start.elapsed();
    let (cause, exit, signal, mut code) = conclusion(status, ending);
    let end = End {
        cause: cause.into(),
        exit,
        signal,
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        ended: now_rfc3339(),
    };
    let mut log_error = log_error;
    if let Some(s) = syslog {
        s.flush(SYSLOG_FLUSH);
        if s.missed() > 0 {
            let text = format!(
                "syslog witness: {} message(s) could not be sent during the session",
                s.missed()
            );
            let _ = writer.append(
                duration.as_micros() as u64,
                crate::log::record::Body::Marker {
                    by: "breakglass".into(),
                    text,
                },
            );
        }
    }
    let head = match writer.finish(duration.as_micros() as u64, end) {
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
    if let (Some(s), Some(h)) = (syslog, head) {
        let extra = [
            ("records", writer.records().to_string()),
            ("cause", cause.to_string()),
        ];
        s.head(
            &id,
            "end",
            writer.records() - 1,
            &h,
            &extra,
            &format!("session {id} ended ({cause})"),
        );
        s.flush(SYSLOG_FLUSH);
    }
    if let Some(a) = audience {
        let ended = Ended {
            cause: cause.into(),
            exit,
            head: to_hex(&writer.head()),
            records: writer.records(),
        };
        a.broadcast(&ToWatcher::End(Arc::new(ended)));
        let deadline = Instant::now() + END_FLUSH;
        while ctx.count.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
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

/// Start the syslog witness, if configured, and send the session's start.
fn start_syslog(plan: &Plan, id: &str, writer: &crate::log::writer::LogWriter) -> Option<Syslog> {
    let target = plan.syslog.clone()?;
    let s = Syslog::start(target, hostname())
        .inspect_err(|e| eprintln!("breakglass: warning: no syslog witness for this session: {e}"))
        .ok()?;
    let params = [
        ("session", id.to_string()),
        ("user", login_name()),
        ("host", plan.host.clone()),
        ("reason", plan.reason.clone()),
        ("ticket", plan.ticket.clone().unwrap_or_default()),
        ("genesis", to_hex(&writer.head())),
    ];
    s.send(
        "start",
        &params,
        &format!("session {id} started by {} on {}", login_name(), plan.host),
    );
    Some(s)
}
