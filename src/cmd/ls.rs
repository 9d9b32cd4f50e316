//! `breakglass ls`: the sessions of the data dir, newest first, each with its state.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use crate::audit::{self, LedgerIndex};
use crate::cli::LsArgs;
use crate::error::Failure;
use crate::log::verify::Verdict;
use crate::review::visible;
use crate::store::Store;

/// Widest reason shown in the table; `--json` has it whole.
const REASON_WIDTH: usize = 40;

/// One row of the listing.
struct Row {
    id: String,
    start: String,
    duration: String,
    user: String,
    host: String,
    reason: String,
    ticket: String,
    exit: String,
    /// Masked input: lines and bytes, sealed or dropped.
    masked: String,
    state: String,
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

/// `3h05m`, `12m03s`, `41s`.
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
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
    let index = LedgerIndex::load(&store.ledger_path()).unwrap_or_default();
    let mut rows = Vec::new();
    for sf in &files {
        let checked = match audit::check(sf, Some(&index), &Default::default(), |_| {}) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("breakglass: skipping {}: {e}", sf.path.display());
                continue;
            }
        };
        let r = &checked.report;
        let state = match (checked.live, r.verdict()) {
            (true, Verdict::Interrupted) => "live",
            (_, v) => v.as_str(),
        };
        let g = r
            .genesis
            .clone()
            .or_else(|| sf.genesis.clone())
            .unwrap_or_default();
        let duration = Duration::from_micros(r.last_t);
        let exit = r.end.as_ref().map(|x| match (x.exit, &x.signal) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => s.clone(),
            _ => x.cause.clone(),
        });
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
                })
            );
            continue;
        }
        rows.push(Row {
            id: sf.id.clone(),
            start: g.started.get(..16).unwrap_or(&g.started).replace('T', " "),
            duration: short_duration(duration),
            user: visible(&g.user),
            host: visible(&g.host),
            reason: clip(&visible(&g.reason), REASON_WIDTH),
            ticket: g.ticket.as_deref().map_or_else(|| "-".into(), visible),
            exit: exit.unwrap_or_else(|| "-".into()),
            masked: r.masked.short(),
            state: state.to_string(),
        });
    }
    if !args.json {
        print_table(&rows);
    }
    Ok(0)
}

fn print_table(rows: &[Row]) {
    let header = [
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
    let cells: Vec<[&str; 10]> = rows
        .iter()
        .map(|r| {
            [
                &*r.id,
                &*r.start,
                &*r.duration,
                &*r.user,
                &*r.host,
                &*r.reason,
                &*r.ticket,
                &*r.exit,
                &*r.masked,
                &*r.state,
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            width[i] = width[i].max(v.chars().count());
        }
    }
    let line = |c: &[&str; 10]| {
        let mut s = String::new();
        for (i, v) in c.iter().enumerate() {
            if i == 9 {
                s.push_str(v);
            } else {
                s.push_str(&format!("{v:<w$}  ", w = width[i]));
            }
        }
        s
    };
    println!("{}", line(&header));
    for c in &cells {
        println!("{}", line(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_clipping() {
        assert_eq!(short_duration(Duration::from_secs(41)), "41s");
        assert_eq!(short_duration(Duration::from_secs(723)), "12m03s");
        assert_eq!(short_duration(Duration::from_secs(11100)), "3h05m");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
