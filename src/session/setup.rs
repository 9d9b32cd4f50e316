//! Setting a session up around its log: the live socket for watchers, the syslog
//! witness, and what the end of a session means for its exit status.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};

use super::bell::Tx;
use super::hub::Ending;
use super::{Plan, hostname, login_name, pty};
use crate::error::Exit;
use crate::live::LiveState;
use crate::live::protocol::{self, State, Welcome};
use crate::live::server::{self, ServerCtx, SocketGuard};
use crate::log::chain::to_hex;
use crate::log::vocab::Cause;
use crate::time::now_rfc3339;
use crate::witness::syslog::Syslog;

/// Start listening for watchers. A session nobody can watch still runs (with a warning).
pub fn start_live(
    plan: &Plan,
    id: &str,
    size: (u16, u16),
    file: &std::path::Path,
    tx: &Tx,
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
    let mode = if crate::mode::installed() {
        crate::installed::store::SOCKET_MODE
    } else if plan.store.shared {
        0o660
    } else {
        0o600
    };
    let guard = server::listen(&socket, mode, Arc::clone(&ctx))
        .inspect_err(|e| eprintln!("breakglass: warning: nobody can watch this session: {e}"))
        .ok();
    (ctx, live, guard)
}

/// Cause, exit code, signal name and breakglass's own exit status from how it ended.
pub fn conclusion(
    status: Option<ExitStatus>,
    ending: Option<Ending>,
) -> (Cause, Option<i32>, Option<String>, i32) {
    let Some(st) = status else {
        return (
            ending.unwrap_or(Ending::Error).cause(),
            None,
            None,
            if ending == Some(Ending::Error) || ending.is_none() {
                Exit::Tool.code()
            } else {
                Exit::Negative.code()
            },
        );
    };
    let (code, sig) = match (st.code(), st.signal()) {
        (Some(c), _) => (c, None),
        (None, Some(s)) => (128 + s, Some(s)),
        (None, None) => (Exit::Tool.code(), None),
    };
    let cause = match (ending, sig) {
        (Some(e), _) => e.cause(),
        (None, Some(_)) => Cause::Signal,
        (None, None) => Cause::Exit,
    };
    (cause, st.code(), sig.map(pty::signal_name), code)
}

/// Start the syslog witness, if configured, and send the session's start.
pub fn start_syslog(
    plan: &Plan,
    id: &str,
    writer: &crate::log::writer::LogWriter,
) -> Option<Syslog> {
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
        ("genesis", to_hex(&writer.genesis_hash())),
    ];
    s.send(
        "start",
        &params,
        &format!("session {id} started by {} on {}", login_name(), plan.host),
    );
    Some(s)
}

/// Issue the fire id of a plan whose host has one, and run its ssh instead of the
/// plan's command; None for every other session.
pub fn issue_fire(
    plan: &mut Plan,
    id: &str,
) -> Result<Option<crate::fireid::session::Fire>, crate::error::Failure> {
    let Some(target) = &plan.fire else {
        return Ok(None);
    };
    let fire = crate::fireid::session::Fire::start(
        target,
        &plan.store,
        id,
        plan.ticket.as_deref(),
        plan.ttl,
    )?;
    plan.command = fire.argv.clone();
    Ok(Some(fire))
}
