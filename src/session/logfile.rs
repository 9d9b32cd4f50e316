//! The session's log file and its two ledger lines: at the start, under the ledger lock,
//! the start line listing the genesis, then the genesis chained to the ledger head before
//! it; the end line with the head at the end. When the data dir has a signing key, the
//! log and both ledger lines are signed with it.

use std::sync::Arc;

use crate::error::Failure;
use crate::log::chain::Hash;
use crate::log::ledger::{Entry, Ledger};
use crate::log::record::{CertBinding, FORMAT_VERSION, Genesis};
use crate::log::writer::LogWriter;
use crate::sign::Signer;
use crate::store::Store;

use super::{Plan, hostname, login_name};
use crate::time::now_rfc3339;

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
    // The key first: installed, a session that cannot be signed does not start.
    let signer = crate::sign::session_signer(&plan.store.dir, crate::mode::installed())
        .map_err(|e| Failure::tool(format!("{e:#}")))?
        .map(Arc::new);
    // Under the ledger lock, in this order: the file (empty), the ledger's start line, the
    // genesis. Cut anywhere, what is left is never a session the ledger does not list: an
    // empty file claims nothing, and a listed file without its first line reads
    // INTERRUPTED (docs/FORMAT.md, "One verdict in every command").
    let mut ledger = Ledger::lock(&plan.store.ledger_path(), plan.store.ledger_mode())
        .map_err(|e| fail("open the ledger", e))?;
    ledger.set_signer(signer.clone());
    let file = plan
        .store
        .create_session(id)
        .map_err(|e| fail("create the session log", e))?;
    let path = plan.store.dir.join(Store::relative_file(id));
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
    let prev = ledger.head();
    let hash = LogWriter::hash_of_genesis(&genesis, prev);
    ledger
        .append(Entry {
            seq: 0,
            at: now_rfc3339(),
            start: true,
            session: id.to_string(),
            file: Store::relative_file(id),
            prev,
            hash,
            records: None,
        })
        .map_err(|e| {
            // Not listed: the session never started, and leaves no file behind.
            let _ = std::fs::remove_file(&path);
            fail("append to the ledger", e)
        })?;
    // Listed now: a file that cannot take its genesis stays, and reads INTERRUPTED.
    let writer = LogWriter::create_signed(file, genesis, prev, signer)
        .map_err(|e| fail("write the session log", e))?;
    debug_assert_eq!(writer.genesis_hash(), hash);
    Ok(writer)
}

/// Add the ledger's end line (signed by `signer`, if any); a failure here is reported but
/// the log itself is whole.
pub fn close_ledger(
    store: &Store,
    id: &str,
    head: Option<Hash>,
    records: u64,
    signer: Option<Arc<Signer>>,
) {
    let Some(head) = head else { return };
    let res = Ledger::lock(&store.ledger_path(), store.ledger_mode()).and_then(|mut l| {
        l.set_signer(signer);
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
