//! `breakglass replay`: verify, then play a session in the terminal with its own timing;
//! pause, step, seek (exactly, backwards too), jump between markers, search, follow.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::audit::{self, LedgerIndex};
use crate::cli::ReplayArgs;
use crate::error::Failure;
use crate::log::read::Records;
use crate::log::record::Body;
use crate::log::verify::Verdict;
use crate::replay::index::Index;
use crate::replay::keys::Keys;
use crate::replay::player::{MESSAGE_FOR, Replay, ScreenGuard, spawn_inputs};
use crate::replay::timing::parse_time;
use crate::safe;
use crate::session::term;
use crate::store::Store;

pub fn run(args: &ReplayArgs, store: &Store) -> Result<i32> {
    let sf = store.resolve(&args.session)?;
    let ledger = LedgerIndex::load(&store.ledger_path()).unwrap_or_default();
    let checked = audit::check(&sf, Some(&ledger), &Default::default(), |_| {})?;
    let verdict = checked.verdict();
    let tampered = verdict == Verdict::Tampered;
    if verdict == Verdict::Unverifiable {
        return Err(Failure {
            code: 4,
            message: format!("{} is not a breakglass session log", sf.path.display()),
        }
        .into());
    }
    if tampered && !args.force {
        let p = checked.report.problem.as_ref();
        eprintln!(
            "breakglass: session {} is TAMPERED{}; not replaying it. `breakglass verify {}` says more; --force replays it anyway, under a warning.",
            sf.id,
            p.map(|p| format!(
                " (line {}: expected {}, found {})",
                p.line,
                safe::text(&p.expected),
                safe::text(&p.found)
            ))
            .unwrap_or_default(),
            sf.id
        );
        return Ok(1);
    }
    if !std::io::stdout().is_terminal() {
        return raw_output(&sf.path);
    }
    let verdict_text = match (verdict, checked.live) {
        (Verdict::Tampered, _) => "TAMPERED: forced replay, do not trust what you see".to_string(),
        (Verdict::Interrupted, true) => "LIVE: valid so far".into(),
        (Verdict::Interrupted, false) => "INTERRUPTED: no end record".into(),
        (v, _) => v.as_str().into(),
    };
    let idx = Index::load(&sf.path)?;
    let start = match &args.at {
        Some(a) => parse_time(a)
            .ok_or_else(|| Failure::usage(format!("--at {a}: not a time such as 12:30 or 90")))?,
        None => 0,
    };
    let speed = args.speed;
    if !(0.01..=1000.0).contains(&speed) {
        return Err(Failure::usage("--speed must be between 0.01 and 1000").into());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    spawn_inputs(tx)?;
    let _raw = term::RawMode::enter(&format!("breakglass replay {}", sf.id))?;
    // The replay draws on the normal screen, as the session did: its own switches to the
    // alternate screen then work as they did, and each redraw starts from the normal one.
    let _screen = ScreenGuard;
    let mut r = Replay {
        upto: idx.upto_time(start),
        idx,
        paused: args.at.is_some(),
        speed,
        idle: Duration::from_secs_f64(args.idle_limit.max(0.0)),
        keys: Keys::default(),
        hits: Vec::new(),
        hit: 0,
        verdict_text,
        tampered,
        follow: args.follow,
        prompt: None,
        message: None,
        show_who: false,
        out: std::io::stdout(),
        last_status: Instant::now() - MESSAGE_FOR,
    };
    r.render();
    r.run(rx)?;
    Ok(0)
}

/// Stdout is not a terminal: the raw output, no timing (for pipes).
fn raw_output(path: &std::path::Path) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    for rec in Records::open(path)? {
        if let Body::Output(d) = rec?.1.body
            && let Some(b) = d.bytes()
            && out.write_all(b).is_err()
        {
            break;
        }
    }
    Ok(0)
}
