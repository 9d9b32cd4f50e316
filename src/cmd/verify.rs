//! `breakglass verify`: verdicts and exit statuses as docs/FORMAT.md gives them.

use std::io::IsTerminal;

use anyhow::Result;
use serde_json::json;

use crate::audit::{self, Checked, LedgerIndex};
use crate::cli::VerifyArgs;
use crate::error::{EXIT_USAGE, Failure};
use crate::log::chain::to_hex;
use crate::log::verify::{Problem, Verdict, Witnesses};
use crate::sign::find_trusted;
use crate::store::{SessionFile, Store};
use crate::trust::{LedgerSeals, Trust};
use std::path::Path;

/// Files larger than this get a progress bar on a terminal.
const PROGRESS_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// Severity order for the overall exit status: the worst wins.
fn severity(code: i32) -> u8 {
    match code {
        1 => 4, // TAMPERED
        4 => 3, // UNVERIFIABLE
        2 => 2, // usage or I/O error
        3 => 1, // INTERRUPTED
        _ => 0,
    }
}

/// The worse of two exit statuses.
pub fn worst(a: i32, b: i32) -> i32 {
    if severity(b) > severity(a) { b } else { a }
}

fn problem_json(p: &Problem) -> serde_json::Value {
    json!({"line": p.line, "seq": p.seq, "offset": p.offset, "expected": p.expected, "found": p.found})
}

/// How a checked session reads, in words and as JSON.
fn describe(c: &Checked, trust: &Trust, must_sign: bool) -> (String, serde_json::Value) {
    let r = &c.report;
    let verdict = if c.live && r.verdict() == Verdict::Interrupted {
        "LIVE".to_string()
    } else {
        r.verdict().as_str().to_string()
    };
    let head = r.head.map(|h| to_hex(&h));
    let mut text = format!("{}  {verdict}", c.id);
    match (r.verdict(), c.live) {
        (Verdict::Verified, _) => {
            let x = r.end.as_ref().expect("verified means ended");
            let how = match (x.exit, &x.signal) {
                (Some(code), _) => format!("exit {code}"),
                (None, Some(s)) => s.clone(),
                _ => "no status".into(),
            };
            text.push_str(&format!(
                "  {} records, ended by {} ({how})\n  head {}\n",
                r.records,
                x.cause,
                head.clone().unwrap_or_default()
            ));
        }
        (Verdict::Interrupted, true) => text.push_str(&format!(
            "  still running: valid so far, {} records\n  head so far {}\n",
            r.records,
            head.clone().unwrap_or_default()
        )),
        (Verdict::Interrupted, false) => {
            text.push_str(&format!(
                "  chain intact for {} records, but no end record: the session was killed or crashed\n",
                r.records
            ));
            if let Some(f) = r.fragment {
                text.push_str(&format!(
                    "  an incomplete last line of {f} bytes follows (cut mid-write)\n"
                ));
            }
            if let Some(h) = &head {
                text.push_str(&format!("  head {h}\n"));
            }
        }
        (Verdict::Tampered | Verdict::Unverifiable, _) => {
            if let Some(p) = &r.problem {
                let seq = p.seq.map(|s| format!(" (seq {s})")).unwrap_or_default();
                text.push_str(&format!(
                    "\n  line {}{seq}, byte offset {}:\n    expected {}\n    found    {}\n",
                    p.line, p.offset, p.expected, p.found
                ));
            } else if r.verdict() == Verdict::Tampered {
                text.push_str(
                    "\n  the ledger records an end for this session, but the log has none\n",
                );
            }
            match &head {
                Some(h) => text.push_str(&format!(
                    "  last good head {h} after {} records\n",
                    r.records
                )),
                None => text.push_str("  no good record\n"),
            }
        }
    }
    let witnesses = c.witnesses();
    let (signed, signature) = crate::trust::describe(r, trust, must_sign);
    if matches!(r.verdict(), Verdict::Verified | Verdict::Interrupted)
        && let Some(s) = signed
    {
        text.push_str(&s);
    }
    if matches!(r.verdict(), Verdict::Verified | Verdict::Interrupted) {
        if witnesses.is_empty() {
            text.push_str("  (unwitnessed: nothing outside the file vouches for it; compare the head with the one in the ticket)\n");
        } else {
            for w in &witnesses {
                match *w {
                    "ledger" => text.push_str("  witnessed by the ledger (note: whoever can write the data dir can rewrite the ledger too)\n"),
                    _ => text.push_str("  agrees with the outside witness (the witness copy or syslog lines given)\n"),
                }
            }
        }
    }
    let j = json!({
        "session": c.id,
        "file": c.path.display().to_string(),
        "verdict": verdict,
        "live": c.live,
        "records": r.records,
        "head": head,
        "fragment_bytes": r.fragment,
        "problem": r.problem.as_ref().map(problem_json),
        "witnesses": witnesses,
        "unwitnessed": witnesses.is_empty(),
        "signature": signature,
    });
    (text, j)
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
        pb.set_message(format!("verifying {}", sf.id));
        pb
    })
}

/// How a run of `verify` checks signatures: the trust, and the ledger's signed lines.
struct Signing {
    trust: Trust,
    ledger: LedgerSeals,
}

/// Verify one session and print the result; returns its exit status.
fn one(
    sf: &SessionFile,
    index: Option<&LedgerIndex>,
    witness: &Witnesses,
    signing: &Signing,
    json_out: bool,
) -> i32 {
    let pb = progress_bar(sf);
    let start = index
        .and_then(|i| i.sessions.get(&sf.id))
        .and_then(|l| l.start.as_ref())
        .map(|(e, _)| e.seq);
    let elsewhere;
    let trust = match index {
        Some(_) => &signing.trust,
        None => {
            elsewhere = signing.trust.elsewhere();
            &elsewhere
        }
    };
    let must_sign = signing.ledger.must_sign(trust, start);
    let make = |w| trust.verifier(w, must_sign);
    let res = audit::check_with(sf, index, witness, make, |n| {
        if let Some(pb) = &pb {
            pb.set_position(n);
        }
    });
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    match res {
        Ok(c) => {
            let (text, j) = describe(&c, trust, must_sign);
            if json_out {
                println!("{j}")
            } else {
                print!("{text}")
            }
            c.verdict().exit_code()
        }
        Err(e) => {
            if json_out {
                println!(
                    "{}",
                    json!({"session": sf.id, "file": sf.path.display().to_string(), "error": e.to_string()})
                );
            } else {
                eprintln!("breakglass: cannot read {}: {e}", sf.path.display());
            }
            EXIT_USAGE
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
    let key = find_trusted(args.pubkey.as_deref(), config, &store.dir)
        .map_err(|e| Failure::usage(format!("{e:#}")))?;
    let trust = Trust::new(key, crate::mode::installed());
    let (index, ledger_seals) =
        crate::trust::load_index(&store.ledger_path(), &trust).map_err(|e| {
            Failure::usage(format!(
                "cannot read the ledger {}: {e}",
                store.ledger_path().display()
            ))
        })?;
    let signing = Signing {
        trust,
        ledger: ledger_seals,
    };
    let mut code = 0;
    let mut targets = Vec::new();
    for spec in &args.sessions {
        match store.resolve(spec) {
            Ok(sf) => targets.push(sf),
            Err(e) => {
                eprintln!("breakglass: {e}");
                code = worst(code, EXIT_USAGE);
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
        let p = audit::dir_problems(&index, &files);
        report_dir(&p, store, &signing.ledger, args.json);
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
    // A file given by path is checked against this dir's ledger only if it lives here.
    let sessions_dir = store.sessions_dir().canonicalize().ok();
    for sf in &targets {
        let here = sf.path.parent().and_then(|p| p.canonicalize().ok()) == sessions_dir;
        let mut extra = witness.clone();
        let id = breakglass_id(sf);
        if let Some(seen) = syslog.as_ref().and_then(|s| s.get(&id)) {
            for (seq, ws) in seen {
                extra.entry(*seq).or_default().extend(ws.iter().cloned());
            }
        }
        let index = here.then_some(&index);
        code = worst(code, one(sf, index, &extra, &signing, args.json));
    }
    Ok(code)
}

/// The session id a file claims in its genesis (its name, when that cannot be read).
fn breakglass_id(sf: &SessionFile) -> String {
    sf.genesis
        .as_ref()
        .map_or_else(|| sf.id.clone(), |g| g.session.clone())
}

fn report_dir(p: &audit::DirProblems, store: &Store, seals: &LedgerSeals, json_out: bool) {
    let ledger = store.ledger_path();
    if json_out {
        println!(
            "{}",
            json!({
                "ledger": ledger.display().to_string(),
                "verdict": if p.any() { "TAMPERED" } else { "VERIFIED" },
                "problem": p.ledger.as_ref().map(problem_json),
                "missing": p.missing,
                "unlisted": p.unlisted,
                "cut_at_start": p.cut_at_start,
                "signed_lines": seals.signed,
                "signed_from_line": seals.first_signed.map(|s| s + 1),
                "key": seals.key,
            })
        );
        return;
    }
    match &p.ledger {
        Some(pr) => println!(
            "ledger  TAMPERED\n  line {}, byte offset {}:\n    expected {}\n    found    {}",
            pr.line, pr.offset, pr.expected, pr.found
        ),
        None => println!("ledger  {}", if p.any() { "TAMPERED" } else { "VERIFIED" }),
    }
    if let (Some(key), Some(first)) = (&seals.key, seals.first_signed) {
        println!(
            "  {} line(s) signed by {key}, from line {} on",
            seals.signed,
            first + 1
        );
    }
    for id in &p.missing {
        println!("  {id}: listed in the ledger, but its file is missing (deleted or renamed)");
    }
    for id in &p.cut_at_start {
        println!(
            "  {id}: not in the ledger, holds no more than its first line: a start that was cut short"
        );
    }
    for id in &p.unlisted {
        println!("  {id}: a session file the ledger does not list (added or replaced)");
    }
}
