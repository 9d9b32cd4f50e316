//! A recorded session: create the log and chain it into the ledger, start the child in a
//! PTY, run the threads around the hub, and close the log and the ledger entry at the end.
//!
//! Thread layout (docs/ARCHITECTURE.md has the picture): producers (PTY reader; signals,
//! child waiter and the socket side's `ToHub`) → two channels, output and control, each
//! send ringing the hub's bell (events.rs, bell.rs); the hub reads the owner's stdin
//! itself → log, terminal (display writer), PTY writer, watchers' queues.

pub mod bell;
pub mod detach;
pub mod ending;
pub mod events;
pub mod extend;
pub mod gate;
pub mod hub;
pub mod logfile;
pub mod ownerkeys;
pub mod ownerrow;
pub mod pty;
pub mod recorder;
pub mod refusals;
pub mod report;
pub mod sealing;
pub mod secret;
pub mod setup;
pub mod statusrow;
pub use crate::term;
pub mod ttl;
pub mod typeahead;
pub mod watchers;
pub mod wheel;
pub mod witnessing;

use std::fs::File;
use std::os::fd::AsFd;
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use regex::Regex;

use crate::error::{Exit, Failure};
use crate::live::ToWatcher;
use crate::live::acl::Acl;
use crate::live::protocol::Ended;
use crate::live::server::ServerCtx;
use crate::log::chain::{Hash, to_hex};
use crate::log::record::End;
use crate::log::vocab::Cause;
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
    /// The longest the time limit may become (config `max_ttl`), counted from the start.
    pub max_ttl: Duration,
    /// Only operators may extend the time limit (config `extend_requires_operator`).
    pub extend_requires_operator: bool,
    /// None: record secrets too (`--record-secrets`).
    pub secret_prompt: Option<Regex>,
    /// The auditors' keys masked input is sealed to; None: dropped to its length.
    pub seal: Option<crate::seal::Sealer>,
    /// Who may watch and operate, besides the owner and root.
    pub acl: Acl,
    /// Hold the owner's input until an operator is attached.
    pub require_operator: bool,
    /// Where heads are sent as a witness.
    pub syslog: Option<crate::witness::syslog::Target>,
    /// How long the session is held for `breakglass attach` when the owner's terminal
    /// goes away; zero ends it at once.
    pub grace: Duration,
    /// The owner's escape key: then `t` takes the keyboard back from a watcher.
    pub escape: u8,
    /// Whether it may (config `operator_drives_alone` off).
    pub owner_takes_back: bool,
    /// Keep the last row of the owner's terminal for breakglass's own words (config
    /// `status_line`, `--no-status-line`).
    pub status_line: bool,
    /// The host's fire id: the session runs breakglass's own ssh as the service user with
    /// a certificate issued for it (src/fireid/).
    pub fire: Option<crate::fireid::Target>,
}

/// How long the end of a session waits for its last syslog messages to go out.
const SYSLOG_FLUSH: Duration = Duration::from_secs(1);

/// How long the end of a session waits for watchers to receive its last frames.
const END_FLUSH: Duration = Duration::from_secs(2);

/// How a session ended.
pub struct Outcome {
    pub id: String,
    pub exit_code: i32,
    pub cause: Cause,
    pub records: u64,
    pub head: Hash,
    pub duration: Duration,
    pub log_error: Option<String>,
    /// Whether the end record was written: the log is then whole up to the end.
    pub ended_in_log: bool,
    pub file: std::path::PathBuf,
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

/// Run a recorded session to its end.
pub fn run(mut plan: Plan) -> Result<Outcome> {
    pty::resolve_program(&plan.command[0])?;
    let interactive = term::is_tty(0);
    let place = if !term::is_tty(1) {
        ownerrow::Place::Stderr
    } else if plan.status_line && interactive {
        ownerrow::Place::Row
    } else {
        ownerrow::Place::Title
    };
    let size = ownerrow::session_size(place, term::user_size());
    let id = store::new_id().context("cannot read /dev/urandom for a session id")?;
    // Signals are caught before the log exists: a hangup or kill from then on is an
    // event the hub ends the session on, never a death that leaves the log unfinished
    // (or, under an inherited SIG_IGN, a signal lost before the handler was there).
    let inbound = events::Inbound::new()?;
    events::signal_forwarder(inbound.control.0.clone())?;
    // A fire id: the certificate is issued before the log exists, so the genesis binds it;
    // dropping `fire` (at any return below) destroys the key.
    let fire = setup::issue_fire(&mut plan, &id)?;
    let mut writer = open_log(&plan, &id, size, fire.as_ref().map(|f| f.binding.clone()))?;
    let syslog = setup::start_syslog(&plan, &id, &writer);
    let file = plan.store.sessions_dir().join(format!("{id}.jsonl"));
    eprint!("{}", report::banner(&plan, &id, fire.as_ref()));
    writer
        .start_syncer()
        .map_err(|e| Failure::tool(format!("cannot start the log syncer: {e}")))?;

    let bell = inbound.bell;
    let (control, control_rx) = inbound.control;
    let (ctx, live, _socket) = setup::start_live(&plan, &id, size, &file, &control);
    let title = format!("\u{25cf} REC breakglass {} ({id})", plan.host);
    let guard = if interactive {
        term::RawMode::enter(&title)?
    } else {
        term::RawMode::title_only(&title)
    };
    let stdout = File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
    let (display, display_thread) =
        events::Outlet::start_terminal("display", stdout, events::DISPLAY_QUEUE, &bell)?;
    let start = Instant::now();

    let earlier = if plan.require_operator {
        match gate::wait_for_operator(&control_rx, &bell, &display, &id, plan.ttl, interactive) {
            Gate::Open(earlier) => earlier,
            Gate::Closed(ending) => {
                drop(guard);
                return finish(Finish {
                    plan: &plan,
                    id,
                    writer,
                    file,
                    start,
                    status: None,
                    ending: Some(ending),
                    log_error: None,
                    ctx: &ctx,
                    audience: None,
                    syslog: None,
                });
            }
        }
    } else {
        Vec::new()
    };
    let size = ownerrow::session_size(place, term::user_size());
    let fire_env: Vec<(&str, &str)> = fire
        .iter()
        .flat_map(|f| f.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    let env = if fire.is_some() {
        fire_env
    } else {
        vec![("BREAKGLASS_SESSION", id.as_str())]
    };
    let spawned = match pty::spawn_as(&plan.command, size, &env, fire.is_some()) {
        Ok(s) => s,
        Err(e) => {
            drop(guard);
            finish(Finish {
                plan: &plan,
                id,
                writer,
                file,
                start,
                status: None,
                ending: Some(Ending::Error),
                log_error: None,
                ctx: &ctx,
                audience: None,
                syslog: None,
            })?;
            let msg = format!("cannot start {}: {e}", plan.command[0]);
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound => Failure::not_found(msg),
                std::io::ErrorKind::PermissionDenied => Failure::cannot_exec(msg),
                _ => Failure::tool(msg),
            }
            .into());
        }
    };
    let (to_pty, _) = events::Outlet::start(
        "pty-write",
        spawned.master.try_clone()?,
        events::PTY_QUEUE,
        &bell,
    )?;
    events::pty_reader(spawned.master.try_clone()?, inbound.output.0)?;
    events::child_waiter(spawned.child, control)?;
    let mut audience = Audience::new(
        live,
        plan.require_operator,
        title,
        wheel::Wheel::new(plan.escape, plan.owner_takes_back),
    );
    audience.owner = detach::Owner::new(plan.grace, Arc::clone(&ctx.presence));
    let hub = Hub::new(HubParts {
        writer,
        start,
        master: spawned.master,
        pid: spawned.pid,
        to_pty,
        display,
        secrets: SecretFilter::new(plan.secret_prompt.clone()),
        masking: sealing::Masking::new(plan.seal.clone()),
        ttl_limit: plan.ttl,
        extend_rules: extend::Rules {
            max: plan.max_ttl,
            operator_only: plan.extend_requires_operator,
        },
        interactive,
        size,
        audience,
        syslog: syslog.clone(),
        session_id: id.clone(),
        owner: ownerrow::OwnerView::new(place, &id, &plan.host),
    });
    let (res, writer) = hub.run(
        earlier,
        hub::Inputs::new(control_rx, inbound.output.1, bell),
    );
    // The hub is gone, and with it the display's sender: let the display finish.
    events::drain_display(display_thread, END_FLUSH);
    drop(guard);
    if let Some(line) = fire
        .as_ref()
        .and_then(|f| f.failure(res.status.and_then(|s| s.code())))
    {
        eprintln!("breakglass: {line}");
    }
    // The session is over: its fire id key goes now, before the log is closed.
    drop(fire);
    finish(Finish {
        plan: &plan,
        id,
        writer,
        file,
        start,
        status: res.status,
        ending: res.ending,
        log_error: res.log_error,
        ctx: &ctx,
        audience: Some(res.audience),
        syslog: syslog.as_ref(),
    })
}

/// A session being closed: what [`finish`] needs, and how the session ended.
struct Finish<'a> {
    plan: &'a Plan,
    id: String,
    writer: crate::log::writer::LogWriter,
    file: std::path::PathBuf,
    start: Instant,
    /// The child's exit status, if it exited.
    status: Option<ExitStatus>,
    /// Why breakglass ended the session, if it did.
    ending: Option<Ending>,
    /// Why the log could not be written, if it could not.
    log_error: Option<String>,
    ctx: &'a ServerCtx,
    /// The watchers, to be told the end.
    audience: Option<Audience>,
    syslog: Option<&'a Syslog>,
}

/// Write the end record, close the ledger entry, tell the watchers.
fn finish(f: Finish) -> Result<Outcome> {
    let Finish {
        plan,
        id,
        mut writer,
        file,
        start,
        status,
        ending,
        log_error,
        ctx,
        audience,
        syslog,
    } = f;
    let duration = start.elapsed();
    let (cause, exit, signal, mut code) = setup::conclusion(status, ending);
    let end = End {
        cause: cause.as_str().into(),
        exit,
        signal,
        records: 0,
        bytes_in: 0,
        bytes_out: 0,
        ended: crate::time::now_rfc3339(),
        seal: None,
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
        code = Exit::Tool.code();
    }
    close_ledger(&plan.store, &id, head, writer.records(), writer.signer());
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
            cause: cause.as_str().into(),
            exit,
            head: to_hex(&writer.head()),
            records: writer.records(),
            status: Some(code),
        };
        let end = ToWatcher::End(Arc::new(ended));
        a.broadcast(&end);
        a.owner.end(&end);
        // A watcher that fell behind gets no end frame and would only hold the exit up.
        for w in a
            .watchers
            .iter()
            .filter(|w| w.behind.load(Ordering::Acquire))
        {
            let _ = w.stream.shutdown(std::net::Shutdown::Both);
        }
        let deadline = Instant::now() + END_FLUSH;
        while ctx.count.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    Ok(Outcome {
        id,
        exit_code: code,
        cause,
        records: writer.records(),
        head: writer.head(),
        duration,
        log_error,
        ended_in_log: head.is_some(),
        file,
    })
}
