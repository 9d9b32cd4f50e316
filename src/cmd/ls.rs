//! `breakglass ls`: the sessions of the data dir, newest first, each with its state.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::cli::LsArgs;
use crate::error::Failure;
use crate::log::record::End;
use crate::log::vocab::Cause;
use crate::review::visible;
use crate::store::Store;
use crate::table::{self, clip};
use crate::term;
use crate::verdict::Judge;

/// Widest reason shown when the output is not a terminal; `--json` has it whole.
const REASON_WIDTH: usize = 40;

const HEADER: [&str; 10] = [
    "ID",
    "START (UTC)",
    "DURATION",
    "USER",
    "HOST",
    "REASON",
    "TICKET",
    "EXIT",
    "MASKED",
    "STATE",
];
/// The MASKED column, left out when no session listed had masked input.
const MASKED: usize = 8;
/// To fit a narrow terminal, ticket, duration and masked input are left out (in this
/// order) while even the narrowest table would not fit (`show` always has the masked
/// input), then reason, ticket, host and user are cut.
const FIT: table::Fit = table::Fit {
    shrink: &[5, 6, 4, 3],
    drop: &[6, 2, MASKED],
};

/// How a session ended, cause first: `exit 0`, `signal SIGSEGV`, `ttl (SIGHUP)`,
/// `killed (255)`, `hangup (129)`, `error (1)`.
pub fn ended(x: &End) -> String {
    let status = match (x.exit, &x.signal) {
        (Some(c), _) => Some(c.to_string()),
        (None, Some(s)) => Some(visible(s)),
        _ => None,
    };
    let cause = visible(&x.cause);
    match (x.cause.parse::<Cause>(), status) {
        (Ok(Cause::Exit | Cause::Signal), Some(s)) => format!("{cause} {s}"),
        (_, Some(s)) => format!("{cause} ({s})"),
        (_, None) => cause,
    }
}

/// Until when a live session whose owner's terminal went away waits for `breakglass
/// attach`, if the session says so.
fn detached_until(store: &Store, id: &str) -> Option<jiff::Timestamp> {
    use crate::live::client::{self, Answer};
    let socket = client::socket_path(store, id);
    // Asked as the user: a reviewer keeping the service identity is not who it admits.
    let answer = crate::mode::as_real_user(|| client::connect(&socket, &client::hello("info")));
    match answer.ok()? {
        Ok((_, Answer::Welcome(w))) => w.detached_until?.parse().ok(),
        _ => None,
    }
}

pub fn run(args: &LsArgs, store: &Store) -> Result<i32> {
    let files = store.sessions().map_err(|e| {
        Failure::usage(format!(
            "cannot list {}: {e}",
            store.sessions_dir().display()
        ))
    })?;
    if files.is_empty() && !args.json {
        eprintln!(
            "no sessions yet in {} (start one with: breakglass shell -r REASON)",
            store.dir.display()
        );
        return Ok(0);
    }
    let judge = Judge::load(store).unwrap_or_else(|e| {
        eprintln!(
            "breakglass: warning: cannot read the ledger {}: {e}; checking each session's own chain only",
            store.ledger_path().display()
        );
        Judge::without_ledger()
    });
    let width = term::window_size(1).map(|(c, _)| c as usize);
    let mut rows = Vec::new();
    for sf in &files {
        let judged = match judge.judge(sf) {
            Ok(c) => c,
            Err(e) => {
                let path = sf.path.display().to_string();
                eprintln!("breakglass: skipping {}: {e}", visible(&path));
                continue;
            }
        };
        let r = &judged.checked.report;
        let state = match judged.label() {
            "LIVE" => "live",
            v => v,
        };
        let until = (state == "live")
            .then(|| detached_until(store, &sf.id))
            .flatten();
        let g = r
            .genesis
            .clone()
            .or_else(|| sf.genesis.clone())
            .unwrap_or_default();
        let duration = Duration::from_micros(r.last_t);
        if args.json {
            println!(
                "{}",
                json!({
                    "id": sf.id,
                    "file": sf.path.display().to_string(),
                    "started": g.started,
                    "duration_s": duration.as_secs_f64(),
                    "user": g.user,
                    "host": g.host,
                    "reason": g.reason,
                    "ticket": g.ticket,
                    "command": g.command,
                    "exit": r.end.as_ref().and_then(|x| x.exit),
                    "signal": r.end.as_ref().and_then(|x| x.signal.clone()),
                    "cause": r.end.as_ref().map(|x| x.cause.clone()),
                    "records": r.records,
                    "masked": {
                        "lines": r.masked.lines,
                        "bytes": r.masked.bytes,
                        "sealed_lines": r.masked.sealed,
                    },
                    "state": state,
                    "detached_until": until.map(|t| t.to_string()),
                    "detail": judged.detail(),
                })
            );
            continue;
        }
        let reason = visible(&g.reason);
        rows.push(vec![
            visible(&sf.id),
            visible(g.started.get(..16).unwrap_or(&g.started)).replace('T', " "),
            crate::time::compact(duration),
            visible(&g.user),
            visible(&g.host),
            // On a terminal the table is cut to its width; elsewhere the reason alone.
            if width.is_some() {
                reason
            } else {
                clip(&reason, REASON_WIDTH)
            },
            g.ticket.as_deref().map_or_else(|| "-".into(), visible),
            r.end.as_ref().map_or_else(|| "-".into(), ended),
            r.masked.short(),
            match until {
                Some(t) => format!(
                    "detached until {}",
                    crate::time::clock::hhmm(t, &crate::time::clock::local())
                ),
                None => state.to_string(),
            },
        ]);
    }
    if !args.json {
        let mut header = HEADER.to_vec();
        if rows.iter().all(|r| r[MASKED] == "-") {
            // Nothing was masked: the column would say nothing (an empty header leaves
            // it out).
            header[MASKED] = "";
        }
        for line in table::render(&header, &rows, width, FIT) {
            println!("{line}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_clipping() {
        let x = |cause: &str, exit, signal: Option<&str>| End {
            cause: cause.into(),
            exit,
            signal: signal.map(String::from),
            records: 0,
            bytes_in: 0,
            bytes_out: 0,
            ended: String::new(),
            seal: None,
        };
        assert_eq!(ended(&x("exit", Some(0), None)), "exit 0");
        assert_eq!(ended(&x("ttl", Some(255), None)), "ttl (255)");
        assert_eq!(ended(&x("signal", None, Some("SIGSEGV"))), "signal SIGSEGV");
        assert_eq!(ended(&x("hangup", None, Some("SIGHUP"))), "hangup (SIGHUP)");
        assert_eq!(ended(&x("killed", None, None)), "killed");
    }
}
