//! The session's log file and its two ledger lines: the genesis chained to the ledger head
//! under the ledger lock at the start, the end line with the head at the end.

use crate::error::Failure;
use crate::log::chain::Hash;
use crate::log::ledger::{Entry, Ledger};
use crate::log::record::{CertBinding, FORMAT_VERSION, Genesis};
use crate::log::writer::LogWriter;
use crate::store::Store;

use super::{Plan, hostname, login_name, now_rfc3339};

/// Create the log, write its genesis chained to the ledger head, and add the ledger's
/// start line, all under the ledger lock so concurrent sessions chain in order.
pub fn open_log(
    plan: &Plan,
    id: &str,
    size: (u16, u16),
    cert: Option<CertBinding>,
) -> Result<LogWriter, Failure> {
    let fail = |what: &str, e: std::io::Error| {
        Failure::tool(format!(
            "cannot {what} in {}: {e}; pass --dir DIR or set BREAKGLASS_DIR to a writable dir",
            plan.store.dir.display()
        ))
    };
    // The ledger first: a session file exists only once the ledger can list it.
    let mut ledger = Ledger::lock(&plan.store.ledger_path(), plan.store.ledger_mode())
        .map_err(|e| fail("open the ledger", e))?;
    let file = plan
        .store
        .create_session(id)
        .map_err(|e| fail("create the session log", e))?;
    // If anything below fails, the session never started: leave no file behind.
    let path = plan.store.dir.join(Store::relative_file(id));
    let undo = |f: Failure| {
        let _ = std::fs::remove_file(&path);
        f
    };
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
        cert,
    };
    let writer = LogWriter::create(file, genesis, ledger.head())
        .map_err(|e| undo(fail("write the session log", e)))?;
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
        .map_err(|e| undo(fail("append to the ledger", e)))?;
    Ok(writer)
}

/// Add the ledger's end line; a failure here is reported but the log itself is whole.
pub fn close_ledger(store: &Store, id: &str, head: Option<Hash>, records: u64) {
    let Some(head) = head else { return };
    let res = Ledger::lock(&store.ledger_path(), store.ledger_mode()).and_then(|mut l| {
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
