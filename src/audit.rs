//! Checking sessions against their chain and the ledger; [`crate::verdict`] decides which
//! ledger applies and words the result for every command.
//!
//! The ledger turns into witnesses for the session verifier: the genesis hash it holds is
//! expected at seq 0, and an ended session's head at its last seq. A session whose writer
//! still holds its lock is live: valid so far, not yet ended.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use crate::log::chain::{Hash, line_hash, to_hex};
use crate::log::ledger::{Entry, LedgerReport, verify_ledger};
use crate::log::lines::{Item, LineReader};
use crate::log::verify::{Problem, Report, Verdict, Verifier, Witness, Witnesses, verify_with};
use crate::store::{SessionFile, is_live};

/// What the ledger knows of one session.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    pub start: Option<(Entry, Hash)>,
    pub end: Option<Entry>,
}

/// The ledger, read and indexed by session.
#[derive(Debug, Default)]
pub struct LedgerIndex {
    pub report: LedgerReport,
    pub sessions: HashMap<String, Listing>,
    /// Session ids in ledger order.
    pub order: Vec<String>,
    pub exists: bool,
}

impl LedgerIndex {
    /// Read a ledger (a missing one is an empty index).
    pub fn load(path: &Path) -> std::io::Result<LedgerIndex> {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LedgerIndex::default()),
            Err(e) => return Err(e),
        };
        Ok(Self::from_report(verify_ledger(f)?))
    }

    /// Index the good entries of a walked ledger.
    pub fn from_report(report: LedgerReport) -> LedgerIndex {
        let mut sessions: HashMap<String, Listing> = HashMap::new();
        let mut order = Vec::new();
        for (e, before) in &report.entries {
            let l = sessions.entry(e.session.clone()).or_insert_with(|| {
                order.push(e.session.clone());
                Listing::default()
            });
            if e.start {
                l.start = Some((e.clone(), *before));
            } else {
                l.end = Some(e.clone());
            }
        }
        LedgerIndex {
            report,
            sessions,
            order,
            exists: true,
        }
    }
}

/// The result of checking one session.
#[derive(Debug)]
pub struct Checked {
    pub id: String,
    pub path: std::path::PathBuf,
    pub report: Report,
    pub live: bool,
    /// Whether the ledger vouched for this session.
    pub in_ledger: bool,
    /// Whether a witness from outside the data dir was given.
    pub external: bool,
}

/// What a session file in a data dir whose ledger does not list it is. The ledger's word
/// decides: whatever the file holds past a whole first line, it is not vouched for, and it
/// is TAMPERED. (breakglass lists a session before it writes its genesis.)
pub const UNLISTED: &str = "a session file the ledger does not list (added or replaced)";

impl Checked {
    pub fn verdict(&self) -> Verdict {
        self.report.verdict()
    }

    /// Who vouched for it, besides the file itself.
    pub fn witnesses(&self) -> Vec<&'static str> {
        let mut w = Vec::new();
        if self.in_ledger && !self.report.witnessed.is_empty() {
            w.push("ledger");
        }
        if self.external {
            w.push("outside witness");
        }
        w
    }
}

fn add(witnesses: &mut Witnesses, seq: u64, hash: Hash, source: String) {
    witnesses
        .entry(seq)
        .or_default()
        .push(Witness { hash, source });
}

fn tampered(report: &mut Report, line: u64, expected: String, found: String) {
    report.problem = Some(Problem {
        line,
        seq: Some(line.saturating_sub(1)),
        offset: 0,
        expected,
        found,
    });
    report.verdict = Some(Verdict::Tampered);
}

/// Verify one session file. `ledger` is the index of the data dir the file lives in (None
/// for a file elsewhere); `extra` are witnesses from outside (a witness copy).
pub fn check(
    sf: &SessionFile,
    ledger: Option<&LedgerIndex>,
    extra: &Witnesses,
    progress: impl FnMut(u64),
) -> std::io::Result<Checked> {
    check_with(sf, ledger, extra, Verifier::new, progress)
}

/// [`check`], with the session verifier made by `make` from the witnesses (to check
/// signatures: see `crate::trust`).
pub fn check_with(
    sf: &SessionFile,
    ledger: Option<&LedgerIndex>,
    extra: &Witnesses,
    make: impl FnOnce(Witnesses) -> Verifier,
    progress: impl FnMut(u64),
) -> std::io::Result<Checked> {
    let listing = ledger.and_then(|l| l.sessions.get(&sf.id)).cloned();
    // A file without a whole first line claims no session: its start was cut before the
    // genesis was written (the ledger line comes first), so the ledger's start line is no
    // witness against it unless the ledger also records an end.
    let claims = has_first_line(&sf.path);
    let mut witnesses = Witnesses::new();
    if let Some(l) = &listing {
        if let Some((start, _)) = l.start.as_ref().filter(|_| claims || l.end.is_some()) {
            add(
                &mut witnesses,
                0,
                start.hash,
                format!("the ledger (line {})", start.seq + 1),
            );
        }
        if let Some(end) = &l.end
            && let Some(n) = end.records.filter(|n| *n > 0)
        {
            add(
                &mut witnesses,
                n - 1,
                end.hash,
                format!("the ledger (line {})", end.seq + 1),
            );
        }
    }
    for (seq, ws) in extra {
        for w in ws {
            add(&mut witnesses, *seq, w.hash, w.source.clone());
        }
    }
    let live = is_live(&sf.path);
    let mut report = verify_with(File::open(&sf.path)?, make(witnesses), progress)?;
    if report.problem.is_none() && report.verdict() != Verdict::Unverifiable {
        if let Some((start, before)) = listing.as_ref().and_then(|l| l.start.as_ref())
            && let Some(prev) = report.genesis_prev
            && prev != *before
        {
            let expected = format!(
                "prev {} (the ledger head before its start line, ledger line {})",
                to_hex(before),
                start.seq + 1
            );
            tampered(&mut report, 1, expected, format!("prev {}", to_hex(&prev)));
        } else if listing.as_ref().is_some_and(|l| l.end.is_some()) && report.end.is_none() {
            // The witness check catches a cut; this covers an end entry with no records.
            let line = report.records + 1;
            tampered(
                &mut report,
                line,
                "the end the ledger records".into(),
                "no end record".into(),
            );
        } else if let (Some(_), Some(g)) = (ledger, &report.genesis)
            && g.session != sf.id
        {
            let found = format!(
                "the genesis of session {} (a copy or a replacement)",
                g.session
            );
            tampered(
                &mut report,
                1,
                format!("session {} as the file name says", sf.id),
                found,
            );
        } else if ledger.is_some_and(|l| l.exists) && listing.is_none() && claims {
            let expected = "a session the data dir's ledger lists".to_string();
            tampered(&mut report, 1, expected, UNLISTED.into());
        }
    }
    Ok(Checked {
        id: sf.id.clone(),
        path: sf.path.clone(),
        report,
        live,
        in_ledger: listing.is_some(),
        external: !extra.is_empty(),
    })
}

/// Whether the file holds a whole first line (its genesis, or what claims to be one).
fn has_first_line(path: &Path) -> bool {
    use std::io::{BufRead, BufReader, Read};
    let Ok(f) = File::open(path) else {
        return false;
    };
    let mut line = Vec::new();
    BufReader::new(f)
        .take(crate::log::lines::MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .is_ok_and(|_| line.last() == Some(&b'\n'))
}

/// Read a witness copy (`watch --save`): every complete line is a hash expected at its seq.
pub fn load_witness(path: &Path) -> std::io::Result<Witnesses> {
    let mut lines = LineReader::new(File::open(path)?);
    let mut out = Witnesses::new();
    let source = format!("the witness copy {}", path.display());
    let mut seq = 0u64;
    while let Some(item) = lines.next()? {
        match item {
            Item::Line(l, _) => {
                add(
                    &mut out,
                    seq,
                    line_hash(l),
                    format!("{source} (line {})", seq + 1),
                );
                seq += 1;
            }
            Item::TooLong(_) | Item::Fragment(..) => break,
        }
    }
    Ok(out)
}

/// Read syslog lines (`verify --syslog`): the heads each session sent, by session id.
pub fn load_syslog(path: &Path) -> std::io::Result<HashMap<String, Witnesses>> {
    use std::io::BufRead;
    let mut out: HashMap<String, Witnesses> = HashMap::new();
    let reader = std::io::BufReader::new(File::open(path)?);
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if let Some(seen) = crate::witness::syslog::parse_line(&String::from_utf8_lossy(&line)) {
            let source = format!("syslog {} (line {})", path.display(), n + 1);
            add(
                out.entry(seen.session).or_default(),
                seen.seq,
                seen.hash,
                source,
            );
        }
    }
    Ok(out)
}

/// Problems of the data dir as a whole: ledger damage, missing and unlisted files.
#[derive(Debug, Default)]
pub struct DirProblems {
    pub ledger: Option<Problem>,
    pub missing: Vec<String>,
    pub unlisted: Vec<String>,
}

impl DirProblems {
    pub fn any(&self) -> bool {
        self.ledger.is_some() || !self.missing.is_empty() || !self.unlisted.is_empty()
    }
}

/// Compare the ledger with the session files that are there.
pub fn dir_problems(index: &LedgerIndex, files: &[SessionFile]) -> DirProblems {
    let present: HashMap<&str, &SessionFile> = files.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut p = DirProblems {
        ledger: index.report.problem.clone(),
        ..Default::default()
    };
    for id in &index.order {
        if !present.contains_key(id.as_str()) {
            p.missing.push(id.clone());
        }
    }
    for f in files {
        if !index.sessions.contains_key(&f.id) && has_first_line(&f.path) {
            p.unlisted.push(f.id.clone());
        }
    }
    p
}
