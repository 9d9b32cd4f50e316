//! `breakglass grep PATTERN [SESSION...]`: search typed input and output across sessions.
//!
//! Sessions are searched newest first, each from its first record to its last, in flat
//! memory ([`crate::review::search`]). Exit statuses as grep's: 0 if a line matched, 1 if
//! none did, 2 if anything could not be searched.

use std::io::{self, Write};

use anyhow::Result;
use regex::RegexBuilder;

use crate::cli::GrepArgs;
use crate::error::{Exit, Failure};
use crate::log::read::Records;
use crate::log::record::{Body, Genesis};
use crate::log::report::MaskedCount;
use crate::review::json::Ordered;
use crate::review::search::{Hit, Search, Source};
use crate::review::visible;
use crate::store::{SessionFile, Store};
use crate::time::offset;
use crate::verdict::{Judge, Judgement};

/// What a session must be to be searched.
struct Filter {
    user: Option<String>,
    host: Option<String>,
    since: Option<jiff::Timestamp>,
}

impl Filter {
    fn admits(&self, g: Option<&Genesis>) -> bool {
        let filtered = self.user.is_some() || self.host.is_some() || self.since.is_some();
        // Without a genesis there is nothing to filter on: searched only when unfiltered.
        let Some(g) = g else { return !filtered };
        self.user.as_ref().is_none_or(|u| *u == g.user)
            && self.host.as_ref().is_none_or(|h| *h == g.host)
            && self
                .since
                .is_none_or(|s| g.started.parse::<jiff::Timestamp>().is_ok_and(|t| t >= s))
    }
}

pub fn run(args: &GrepArgs, store: &Store) -> Result<i32> {
    let re = RegexBuilder::new(&args.pattern)
        .case_insensitive(args.ignore_case)
        .build()
        .map_err(|e| Failure::usage(format!("bad pattern: {e}")))?;
    let filter = Filter {
        user: args.user.clone(),
        host: args.host.clone(),
        since: args.since,
    };
    let mut failed = false;
    let targets: Vec<SessionFile> = if args.sessions.is_empty() {
        store.sessions().map_err(|e| {
            Failure::usage(format!(
                "cannot list {}: {e}",
                store.sessions_dir().display()
            ))
        })?
    } else {
        let mut v = Vec::new();
        for spec in &args.sessions {
            match store.resolve(spec) {
                Ok(sf) => v.push(sf),
                Err(e) => {
                    eprintln!("breakglass: {e}");
                    failed = true;
                }
            }
        }
        v
    };
    let judge = Judge::load(store).unwrap_or_else(|e| {
        eprintln!(
            "breakglass: warning: cannot read the ledger {}: {e}; checking each session's own chain only",
            store.ledger_path().display()
        );
        Judge::without_ledger()
    });
    let mut out = io::stdout().lock();
    let mut first: Option<(String, u64)> = None;
    for sf in targets
        .iter()
        .filter(|sf| filter.admits(sf.genesis.as_ref()))
    {
        // Judged only once it matches: a session with no match costs no verification.
        let mut judged: Option<Judgement> = None;
        let res = search(sf, Search::new(&re, !args.output, !args.input), |hit| {
            first.get_or_insert((sf.id.clone(), hit.t));
            if judged.is_none() {
                let j = judge.judge(sf)?;
                if let Some(w) = j.warning() {
                    let _ = out.flush();
                    eprintln!("{w}\n  its matches below are not proven");
                }
                judged = Some(j);
            }
            let verdict = judged.as_ref().map_or("", Judgement::label);
            print_hit(&mut out, sf, hit, verdict, args.json)
        });
        match res {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(0),
            Err(e) => {
                let path = sf.path.display().to_string();
                eprintln!("breakglass: cannot search {}: {e}", visible(&path));
                failed = true;
            }
            Ok(masked) if masked.lines > 0 && !args.output => {
                let _ = out.flush();
                eprintln!("{}", masked_note(&sf.id, &masked));
            }
            Ok(_) => {}
        }
    }
    if let (Some((id, t)), false) = (&first, args.json) {
        let _ = out.flush();
        // `replay --at` takes the time without its `+`.
        eprintln!(
            "open one with: breakglass replay {id} --at {}",
            &offset(*t)[1..]
        );
    }
    Ok(match (failed, first.is_some()) {
        (true, _) => Exit::Usage.code(),
        (false, true) => Exit::Success.code(),
        (false, false) => Exit::Negative.code(),
    })
}

/// Search one session, handing each match to `emit`; returns how much input was masked
/// (never searched).
fn search(
    sf: &SessionFile,
    mut search: Search,
    mut emit: impl FnMut(&Hit) -> io::Result<()>,
) -> io::Result<MaskedCount> {
    let mut masked = MaskedCount::default();
    for r in Records::open(&sf.path)? {
        let rec = r?.1;
        if let Body::Input { data, .. } = &rec.body {
            masked.input(data);
        }
        for hit in search.record(&rec) {
            emit(&hit)?;
        }
    }
    search.finish().iter().try_for_each(emit)?;
    Ok(masked)
}

/// Masked input is not searched, and grep says so: `[sealed 25 bytes]` in a matching
/// line, and this note for every session that has any.
fn masked_note(id: &str, m: &MaskedCount) -> String {
    let id = visible(id);
    let open = if m.sealed > 0 {
        format!("; breakglass reveal {id} --identity KEY opens what was sealed")
    } else {
        String::new()
    };
    format!(
        "breakglass: note: session {id}: masked input not searched: {}{open}",
        m.short()
    )
}

fn print_hit(
    out: &mut impl Write,
    sf: &SessionFile,
    hit: &Hit,
    verdict: &str,
    as_json: bool,
) -> io::Result<()> {
    if as_json {
        let g = sf.genesis.as_ref();
        let source = match hit.source {
            Source::Input => "input",
            Source::Output => "output",
        };
        let j = Ordered(vec![
            ("session", sf.id.as_str().into()),
            ("host", g.map(|g| g.host.as_str()).into()),
            ("user", g.map(|g| g.user.as_str()).into()),
            ("t", (hit.t as f64 / 1e6).into()),
            ("at", offset(hit.t).into()),
            ("source", source.into()),
            ("by", hit.by.as_deref().into()),
            ("line", hit.line.as_str().into()),
            ("verdict", verdict.into()),
        ]);
        let j = serde_json::to_string(&j).expect("JSON values serialise");
        writeln!(out, "{j}")
    } else {
        writeln!(
            out,
            "{}  {}  {}  {}",
            sf.id,
            offset(hit.t),
            visible(hit.who()),
            visible(&hit.line)
        )
    }
}
