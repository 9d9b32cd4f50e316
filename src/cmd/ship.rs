//! `breakglass ship`, and the store's part in `ls`, `verify --all` and `--store`.

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::cli::{Command, LsArgs, ShipArgs, VerifyArgs};
use crate::config::Config;
use crate::error::{Exit, Failure};
use crate::ship::shipper::Shipper;
use crate::ship::{self, Target, progress, witness};
use crate::store::Store;

/// Pause between attempts while the store does not answer.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

fn target(cfg: &Config) -> Result<Target> {
    Target::configured(cfg, None).ok_or_else(|| {
        Failure::usage(format!(
            "no store to ship to: add a [store] table with url to {}",
            cfg.source()
        ))
        .into()
    })
}

/// Ship everything that waits, trying for at most `--wait`.
pub fn run(args: &ShipArgs, store: &Store, cfg: &Config) -> Result<i32> {
    let wait = humantime::parse_duration(&args.wait)
        .map_err(|e| Failure::usage(format!("--wait {:?}: {e} (e.g. 30s, 5m)", args.wait)))?;
    let t = target(cfg)?;
    let store = Store::prepare(store.dir.clone())?;
    let bucket = t
        .open()
        .map_err(|e| Failure::tool(crate::safe::text(&format!("{e:#}")).into_owned()))?;
    let url = t.shown();
    let mut s = Shipper::new(t, store, bucket);
    let deadline = Instant::now() + wait;
    loop {
        let ok = s.pass(true);
        if (ok && s.tally.waiting == 0) || s.tally.elsewhere || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(RETRY_PAUSE);
    }
    eprint!(
        "shipped {} chunks ({} bytes); {}",
        s.tally.chunks,
        s.tally.bytes,
        ship::describe(&s.tally, &url)
    );
    Ok(if s.tally.waiting == 0 || s.tally.elsewhere {
        Exit::Success
    } else {
        Exit::Negative
    }
    .code())
}

/// `ls`, followed on a bastion that ships by how much of each session the store holds.
pub fn ls(args: &LsArgs, store: &Store, cfg: &Config) -> Result<i32> {
    let code = crate::cmd::ls::run(args, store)?;
    if let Some(t) = Target::configured(cfg, None)
        && let Err(e) = progress::print(&t, store, args.json)
    {
        eprintln!(
            "breakglass: cannot tell what reached the store {}: {}",
            t.shown(),
            crate::safe::text(&format!("{e:#}"))
        );
    }
    Ok(code)
}

/// `verify`; with `--all` on a bastion that ships, local logs are also held against the
/// store.
pub fn verify(args: &VerifyArgs, store: &Store, cfg: &Config) -> Result<i32> {
    let code = crate::cmd::verify::run(args, store, cfg.path.as_deref())?;
    match Target::configured(cfg, None) {
        Some(t) if args.all => Ok(crate::cmd::verify::worst(
            code,
            witness::check(&t, store, args.json),
        )),
        _ => Ok(code),
    }
}

/// A review command with `--store URL` or `--from-store`.
pub fn review(c: &Command, cfg: &Config, url: Option<&str>) -> Result<i32> {
    if !matches!(
        c,
        Command::Ls(_)
            | Command::Verify(_)
            | Command::Show(_)
            | Command::Export(_)
            | Command::Grep(_)
            | Command::Replay(_)
    ) {
        return Err(
            Failure::usage("--store goes with ls, verify, show, export, grep and replay").into(),
        );
    }
    ship::source::review(c, cfg, url)
}
