//! Checking sessions against their chain and the ledger; shared by `verify` and `ls`.
//!
//! The ledger turns into witnesses for the session verifier: the genesis hash it holds is
//! expected at seq 0, and an ended session's head at its last seq. A session whose writer
//! still holds its lock is live: valid so far, not yet ended.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;

use crate::log::chain::{Hash, line_hash, to_hex};
use crate::log::ledger::{Entry, LedgerReport, verify_ledger};
use crate::log::lines::{Item, LineReader};
use crate::log::verify::{Problem, Report, Verdict, Witness, verify_reader};
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
        let report = verify_ledger(f)?;
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
        Ok(LedgerIndex {
            report,
            sessions,
            order,
            exists: true,
        })
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

impl Checked {
    pub fn verdict(&self) -> Verdict {
        self.report.verdict()
    }

    /// Who vouched for it, besides the file itself.
    pub fn witnesses(&self) -> Vec<&'static str> {
        if self.in_ledger && !self.report.witnessed.is_empty() {
            vec!["ledger"]
        } else {
            vec![]
        }
    }
}

/// Verify one session file, using the ledger entries for it when there are any.
pub fn check(
    sf: &SessionFile,
    ledger: Option<&LedgerIndex>,
    extra: &BTreeMap<u64, Witness>,
    progress: impl FnMut(u64),
) -> std::io::Result<Checked> {
    let listing = ledger.and_then(|l| l.sessions.get(&sf.id)).cloned();
    let mut witnesses = BTreeMap::new();
    if let Some(l) = &listing {
        if let Some((start, _)) = &l.start {
            witnesses.insert(
                0,
                Witness {
                    hash: start.hash,
                    source: format!("the ledger (line {})", start.seq + 1),
                },
            );
        }
        if let Some(end) = &l.end
            && let Some(n) = end.records.filter(|n| *n > 0)
        {
            witnesses.insert(
                n - 1,
                Witness {
                    hash: end.hash,
                    source: format!("the ledger (line {})", end.seq + 1),
                },
            );
        }
    }
    let external = !extra.is_empty();
    witnesses.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    let live = is_live(&sf.path);
    let mut report = verify_reader(File::open(&sf.path)?, witnesses, progress)?;
    if let Some((start, before)) = listing.as_ref().and_then(|l| l.start.as_ref())
        && report.problem.is_none()
        && let Some(prev) = report.genesis_prev
        && prev != *before
    {
        report.problem = Some(Problem {
            line: 1,
            seq: Some(0),
            offset: 0,
            expected: format!(
                "prev {} (the ledger head before its start line, ledger line {})",
                to_hex(before),
                start.seq + 1
            ),
            found: format!("prev {}", to_hex(&prev)),
        });
        report.verdict = Some(Verdict::Tampered);
    }
    if let Some(l) = &listing
        && l.end.is_some()
        && report.problem.is_none()
        && report.end.is_none()
    {
        // The witness check catches a cut; this covers an end entry with no records.
        report.verdict = Some(Verdict::Tampered);
    }
    Ok(Checked {
        id: sf.id.clone(),
        path: sf.path.clone(),
        report,
        live,
        in_ledger: listing.is_some(),
        external,
    })
}

/// Read a witness copy (`watch --save`): every complete line is a hash expected at its seq.
pub fn load_witness(path: &Path) -> std::io::Result<BTreeMap<u64, Witness>> {
    let mut lines = LineReader::new(File::open(path)?);
    let mut out = BTreeMap::new();
    let source = format!("the witness copy {}", path.display());
    let mut seq = 0u64;
    while let Some(item) = lines.next()? {
        match item {
            Item::Line(l, _) => {
                out.insert(
                    seq,
                    Witness {
                        hash: line_hash(l),
                        source: format!("{source} (line {})", seq + 1),
                    },
                );
                seq += 1;
            }
            Item::TooLong(_) | Item::Fragment(..) => break,
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
        if !index.sessions.contains_key(&f.id) {
            p.unlisted.push(f.id.clone());
        }
    }
    p
}
