//! `breakglass replay`: verify, then play a session in the terminal with its own timing;
//! pause, step, seek (exactly, backwards too), jump between markers, search, follow.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::cli::ReplayArgs;
use crate::error::{Exit, Failure};
use crate::log::read::Records;
use crate::log::record::Body;
use crate::log::verify::Verdict;
use crate::replay::index::Index;
use crate::replay::keys::Keys;
use crate::replay::player::{MESSAGE_FOR, Replay, ScreenGuard, spawn_inputs};
use crate::store::Store;
use crate::term;
use crate::verdict::Judge;

pub fn run(args: &ReplayArgs, store: &Store) -> Result<i32> {
    let sf = store.resolve(&args.session)?;
    let judged = Judge::load(store)
        .unwrap_or_else(|_| Judge::without_ledger())
        .judge(&sf)?;
    let verdict = judged.verdict();
    let tampered = verdict == Verdict::Tampered;
    if verdict == Verdict::Unverifiable {
        return Err(Failure {
            code: Exit::Unverifiable,
            message: format!("{} is not a breakglass session log", sf.path.display()),
        }
        .into());
    }
    if tampered && !args.force {
        eprintln!(
            "breakglass: session {} is TAMPERED ({}); not replaying it. `breakglass verify {}` says more; --force replays it anyway, under a warning.",
            sf.id,
            judged.detail(),
            sf.id
        );
        return Ok(1);
    }
    if !std::io::stdout().is_terminal() {
        return raw_output(&sf.path);
    }
    let verdict_text = match (verdict, judged.checked.live) {
        (Verdict::Tampered, _) => "TAMPERED: forced replay, do not trust what you see".to_string(),
        (Verdict::Interrupted, true) => "LIVE: valid so far".into(),
        (Verdict::Interrupted, false) => "INTERRUPTED: no end record".into(),
        _ => judged.label().into(),
    };
    let idx = Index::load(&sf.path)?;
    let start = args.at.unwrap_or(0);
    let speed = args.speed;
    let (tx, rx) = std::sync::mpsc::channel();
    spawn_inputs(tx)?;
    let _raw = term::RawMode::enter(&format!("breakglass replay {}", sf.id))?;
    // The replay draws the session's screen from an emulator on the alternate screen, so
    // the reviewer's own screen comes back as it was.
    let _screen = ScreenGuard::enter();
    let mut r = Replay {
        upto: idx.upto_time(start),
        clock: start.min(idx.length()),
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
        ui: Default::default(),
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
