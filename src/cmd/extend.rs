//! `breakglass extend SESSION DURATION`: ask a live session to end later. The session
//! decides (session/extend.rs): its owner or an operator may, up to `max_ttl` from its
//! start; this side finds the session, says whether it has already ended, and prints the
//! answer.

use anyhow::Result;

use crate::cli::ExtendArgs;
use crate::error::Failure;
use crate::live::client::{self, Answer};
use crate::safe;
use crate::store::{Store, is_live};

/// The help after the options; the exit statuses are these: 0 extended, 1 refused (with
/// why), 2 not live.
pub const EXTEND_HELP: &str = "\
Ask a live session to end DURATION later (the same form as shell --ttl: 30m, 1h, 1h30m).
Its owner may, and so may its operators (root, --operators, `operators` in the config);
with `extend_requires_operator = true` in the policy only an operator may. The new end may
not pass max_ttl counted from the session's start: a longer extension is refused whole,
with the latest end allowed. The extension is recorded in the log (who, uid, the new
limit) and everyone in the session is told the new end.

Exit status: 0 extended; 1 refused (one line says why); 2 the session has ended, is not
live, or the arguments are wrong.

Examples:
  breakglass extend 7f3a 30m
  breakglass extend last 1h";

pub fn run(args: &ExtendArgs, store: &Store) -> Result<i32> {
    let id = live_id(store, &args.session)?;
    let mut hello = client::hello("extend");
    hello.by_s = Some(args.duration.as_secs());
    match client::connect(&client::socket_path(store, &id), &hello) {
        Ok((_, Answer::Notice(said))) => {
            println!("{id}: {said}");
            Ok(0)
        }
        Ok((_, Answer::Welcome(_))) => Err(Failure::tool(format!(
            "{id}: the session answered with a welcome, not an answer"
        ))
        .into()),
        Err(e) if e.code == crate::error::Exit::Usage && has_ended(store, &id) => {
            Err(ended(&id).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The live session `spec` names; a session that names one that has ended says so.
fn live_id(store: &Store, spec: &str) -> Result<String, Failure> {
    if crate::mode::installed() {
        return crate::installed::store::resolve_live(store, Some(spec)).map_err(|e| {
            match store.resolve(spec) {
                Ok(s) if !is_live(&s.path) => ended(&s.id),
                _ => e,
            }
        });
    }
    let s = store.resolve(spec)?;
    if !is_live(&s.path) {
        return Err(ended(&s.id));
    }
    Ok(s.id)
}

fn has_ended(store: &Store, id: &str) -> bool {
    store.resolve(id).is_ok_and(|s| !is_live(&s.path))
}

fn ended(id: &str) -> Failure {
    Failure::usage(format!(
        "session {} has ended: there is nothing to extend (start a new session)",
        safe::text(id)
    ))
}
