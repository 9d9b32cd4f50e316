//! `breakglass verify`: verdicts and exit statuses as docs/FORMAT.md gives them.

use std::io::IsTerminal;

use anyhow::Result;
use serde_json::json;

use crate::audit;
use crate::cli::VerifyArgs;
use crate::error::{Exit, Failure};
use crate::log::chain::to_hex;
use crate::log::verify::{Verdict, Witnesses};
use crate::safe;
use crate::sign::find_trusted;
use crate::store::{SessionFile, Store};
use crate::trust::Trust;
use crate::verdict::{Judge, SyslogSeen};
use std::path::Path;

/// Said after a personal-mode verdict: the files are the user's own, so are their hashes.
pub const PERSONAL_NOTE: &str = "breakglass: note: personal mode: these files and the ledger are yours, and whoever runs as you can rewrite them consistently; VERIFIED proves nothing against you (installed mode does: docs/SECURITY.md)";

/// Files larger than this get a progress bar on a terminal.
const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// Severity order for the overall exit status: the worst wins.
fn severity(code: i32) -> u8 {
    const ORDER: [Exit; 4] = [
        Exit::Interrupted,
        Exit::Usage,
        Exit::Unverifiable,
        Exit::Negative,
    ];
    ORDER
        .iter()
        .position(|e| e.code() == code)
        .map_or(0, |i| i as u8 + 1)
}

/// The worse of two exit statuses.
pub fn worst(a: i32, b: i32) -> i32 {
    if severity(b) > severity(a) { b } else { a }
}

fn progress_bar(sf: &SessionFile) -> Option<indicatif::ProgressBar> {
    let len = std::fs::metadata(&sf.path).map(|m| m.len()).unwrap_or(0);
    (len > PROGRESS_MIN_BYTES && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(len);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb.set_message(format!("verifying {}", safe::text(&sf.id)));
        pb
    })
}

/// Verify one session and print the result; returns its exit status.
fn one(
    judge: &Judge,
    sf: &SessionFile,
    extra: &Witnesses,
    syslog: Option<(&str, SyslogSeen)>,
    json_out: bool,
) -> i32 {
    let pb = progress_bar(sf);
    let res = judge.judge_with(sf, extra, |n| {
        if let Some(pb) = &pb {
            pb.set_position(n);
        }
    });
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    match res {
        Ok(mut j) => {
            j.syslog = syslog.map(|s| s.1);
            if json_out {
                println!("{}", j.json())
            } else {
                print!("{}", j.text(syslog.map(|s| s.0)))
            }
            j.exit_code()
        }
        Err(e) => {
            if json_out {
                println!(
                    "{}",
                    json!({"session": sf.id, "file": sf.path.display().to_string(), "error": e.to_string()})
                );
            } else {
                let path = sf.path.display().to_string();
                eprintln!("breakglass: cannot read {}: {e}", safe::text(&path));
            }
            Exit::Usage.code()
        }
    }
}

pub fn run(args: &VerifyArgs, store: &Store, config: Option<&Path>) -> Result<i32> {
    if args.sessions.is_empty() && !args.all {
        return Err(Failure::usage(
            "name sessions to verify (an id prefix, `last`, or a file), or pass --all",
        )
        .into());
    }
    if args.all && !store.dir.is_dir() {
        return Err(Failure::usage(format!(
            "no data dir at {}: nothing was verified (check --dir or BREAKGLASS_DIR)",
            store.dir.display()
        ))
        .into());
    }
    let key = find_trusted(args.pubkey.as_deref(), config, &store.dir)
        .map_err(|e| Failure::usage(format!("{e:#}")))?;
    let trust = Trust::new(key, crate::mode::installed());
    let judge = Judge::load_trusting(store, trust).map_err(|e| {
        Failure::usage(format!(
            "cannot read the ledger {}: {e}",
            store.ledger_path().display()
        ))
    })?;
    let mut code = 0;
    let mut targets = Vec::new();
    for spec in &args.sessions {
        match store.resolve(spec) {
            Ok(sf) => targets.push(sf),
            Err(e) => {
                eprintln!("breakglass: {e}");
                code = worst(code, Exit::Usage.code());
            }
        }
    }
    if args.all {
        let files = store.sessions().map_err(|e| {
            Failure::usage(format!(
                "cannot list {}: {e}",
                store.sessions_dir().display()
            ))
        })?;
        let p = audit::dir_problems(judge.ledger(), &files);
        if files.is_empty() && judge.ledger().order.is_empty() && !p.any() {
            report_empty(store, args.json);
        } else {
            report_dir(&p, &judge, store, args.json);
        }
        if p.any() {
            code = worst(code, Verdict::Tampered.exit_code());
        }
        targets.extend(files);
    }
    let witness = match &args.witness {
        Some(_) if targets.len() != 1 || args.all => {
            return Err(Failure::usage("--witness goes with exactly one session").into());
        }
        Some(p) => audit::load_witness(p).map_err(|e| {
            Failure::usage(format!("cannot read the witness copy {}: {e}", p.display()))
        })?,
        None => Witnesses::new(),
    };
    let syslog = match &args.syslog {
        Some(p) => Some(audit::load_syslog(p).map_err(|e| {
            Failure::usage(format!("cannot read the syslog file {}: {e}", p.display()))
        })?),
        None => None,
    };
    let syslog_name = args.syslog.as_ref().map(|p| p.display().to_string());
    for sf in &targets {
        let mut extra = witness.clone();
        let id = breakglass_id(sf);
        let seen = syslog.as_ref().map(|s| match s.get(&id) {
            Some(seen) => {
                for (seq, ws) in seen {
                    extra.entry(*seq).or_default().extend(ws.iter().cloned());
                }
                SyslogSeen::Heads(seen.values().map(Vec::len).sum())
            }
            None => SyslogSeen::None,
        });
        let seen = syslog_name.as_deref().zip(seen);
        code = worst(code, one(&judge, sf, &extra, seen, args.json));
    }
    if let (Some(s), Some(name)) = (&syslog, &syslog_name)
        && s.is_empty()
    {
        eprintln!(
            "breakglass: {name} holds no breakglass witness line at all, so nothing was checked against it; \
             the file must keep RFC 5424 structured data (rsyslog: template=\"RSYSLOG_SyslogProtocol23Format\", see the README)"
        );
        code = worst(code, Exit::Usage.code());
    }
    if !args.json && !targets.is_empty() && !crate::mode::installed() {
        eprintln!("{PERSONAL_NOTE}");
    }
    Ok(code)
}

/// The session id a file claims in its genesis (its name, when that cannot be read).
fn breakglass_id(sf: &SessionFile) -> String {
    sf.genesis
        .as_ref()
        .map_or_else(|| sf.id.clone(), |g| g.session.clone())
}

/// A data dir with no session and no ledger entry: nothing to vouch for, nothing wrong.
fn report_empty(store: &Store, json_out: bool) {
    if json_out {
        println!(
            "{}",
            json!({"ledger": store.ledger_path().display().to_string(), "verdict": "NO SESSIONS", "sessions": 0})
        );
    } else {
        println!(
            "no sessions in {}: nothing to verify",
            crate::safe::text(&store.dir.display().to_string())
        );
    }
}

fn report_dir(p: &audit::DirProblems, judge: &Judge, store: &Store, json_out: bool) {
    let ledger = store.ledger_path();
    let head = judge.ledger().report.head.map(|h| to_hex(&h));
    let entries = judge.ledger().report.entries.len();
    let verdict = if p.any() { "TAMPERED" } else { "VERIFIED" };
    if json_out {
        println!(
            "{}",
            json!({
                "ledger": ledger.display().to_string(),
                "verdict": verdict,
                "head": head,
                "lines": entries,
                "problem": p.ledger.as_ref().map(crate::verdict::problem_json),
                "missing": p.missing,
                "unlisted": p.unlisted,
                "signed_lines": judge.seals().signed,
                "signed_from_line": judge.seals().first_signed.map(|s| s + 1),
                "key": judge.seals().key,
            })
        );
        return;
    }
    match &p.ledger {
        Some(pr) => println!(
            "ledger  TAMPERED\n  line {}, byte offset {}:\n    expected {}\n    found    {}",
            pr.line,
            pr.offset,
            safe::text(&pr.expected),
            safe::text(&pr.found)
        ),
        None => println!("ledger  {verdict}  {entries} lines"),
    }
    if let Some(h) = &head {
        let good = if p.ledger.is_some() { "last good " } else { "" };
        println!("  {good}head {h} (compare it with a copy kept off this host)");
    }
    let seals = judge.seals();
    if let (Some(key), Some(first)) = (&seals.key, seals.first_signed) {
        println!(
            "  {} line(s) signed by {key}, from line {} on",
            seals.signed,
            first + 1
        );
    }
    for id in &p.missing {
        println!(
            "  {}: listed in the ledger, but its file is missing (deleted or renamed)",
            crate::safe::text(id)
        );
    }
    for id in &p.unlisted {
        println!("  {}: {}", crate::safe::text(id), crate::audit::UNLISTED);
    }
}
