//! The review commands on the bucket: `ls`, `verify`, `show`, `export`, `grep` and
//! `replay` with `--store`. The chunks of the sessions asked for, and each bastion's
//! ledger, are streamed into a private scratch dir laid out as a data dir per bastion,
//! and the command runs on that dir unchanged; the scratch dir is removed afterwards.
//!
//! Why a scratch copy and not a reader over the network: the review commands read a log
//! more than once (verify, then render; replay seeks back and forth), which a local file
//! gives for free. Filling it streams, one network buffer at a time, so memory stays flat
//! for a session of any size; the cost is its size on disk while the command runs.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Target;
use super::client::Bucket;
use super::layout;
use crate::cli::Command;
use crate::cmd;
use crate::error::Failure;
use crate::safe;
use crate::store::Store;

/// A private dir removed when dropped.
pub struct Scratch {
    pub root: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch> {
        let root =
            std::env::temp_dir().join(format!("breakglass-store-{}", crate::store::new_id()?));
        fs::DirBuilder::new().mode(0o700).create(&root)?;
        Ok(Scratch { root })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// Every bastion that ships under the URL's prefix.
pub fn bastions(bucket: &Bucket) -> Result<Vec<String>> {
    Ok(bucket
        .folders(&layout::base(&bucket.url.prefix))?
        .into_iter()
        .filter(|b| super::config::valid_bastion(b))
        .collect())
}

/// The session ids a bastion has shipped.
pub fn session_ids(bucket: &Bucket, bastion: &str) -> Result<Vec<String>> {
    Ok(bucket
        .folders(&layout::sessions_root(&bucket.url.prefix, bastion))?
        .into_iter()
        .filter(|id| crate::store::is_session_id(id))
        .collect())
}

/// Stream the log whose chunks are in `dir` into the file `to`; returns the problems
/// the listing shows (chunks overwritten, deleted or missing).
pub fn fetch_log(bucket: &Bucket, dir: &str, to: &Path) -> Result<Vec<String>> {
    let plan = layout::plan(dir, &bucket.versions(dir)?);
    let f = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(to)?;
    let mut out = BufWriter::new(f);
    for c in &plan.chunks {
        bucket.get_into(&c.key, c.version_id.as_deref(), c.skip, &mut out)?;
    }
    out.flush()?;
    Ok(plan.problems)
}

/// Copy the first version of a bastion's public signing key to `to`: Some(problems) when
/// the bastion shipped one (a later version or a delete is a problem; the first is
/// used), None when it shipped none (its sessions are unsigned).
pub fn fetch_key(bucket: &Bucket, bastion: &str, to: &Path) -> Result<Option<Vec<String>>> {
    let name = layout::signing_key(&bucket.url.prefix, bastion);
    let versions: Vec<_> = bucket
        .versions(&name)?
        .into_iter()
        .filter(|v| v.key == name)
        .collect();
    // Newest first: the last one that is not a delete marker is the first shipped.
    let Some(first) = versions.iter().rev().find(|v| !v.delete_marker) else {
        return Ok(None);
    };
    let mut f = OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(to)?;
    bucket.get_into(&name, first.version_id.as_deref(), 0, &mut f)?;
    let mut problems = Vec::new();
    if versions.len() > 1 {
        problems.push(format!(
            "the signing key {name} was replaced or deleted after shipping ({} versions); the first is used",
            versions.len()
        ));
    }
    Ok(Some(problems))
}

/// The session started last, by the `started` of each genesis in the store.
fn newest(bucket: &Bucket, all: &[(String, String)]) -> Option<(String, String)> {
    all.iter()
        .filter_map(|(b, id)| {
            let key = layout::chunk_key(&layout::session_dir(&bucket.url.prefix, b, id), 0);
            let line = bucket.first_line(&key, crate::log::lines::MAX_LINE).ok()?;
            match crate::log::parse::decode(&line).ok()?.body {
                crate::log::record::Body::Genesis(g) => Some((g.started, b.clone(), id.clone())),
                _ => None,
            }
        })
        .max()
        .map(|(_, b, id)| (b, id))
}

/// The sessions a command names: spec → (bastion, id); `None` means all of them. `last`
/// is the session `newest` finds.
fn pick(
    all: &[(String, String)],
    specs: &[String],
    last: impl Fn() -> Option<(String, String)>,
) -> Result<Option<Vec<(String, String)>>> {
    if specs.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for spec in specs {
        if spec == "last" {
            out.push(last().ok_or_else(|| {
                Failure::usage("no session in the store has a genesis to tell the last one")
            })?);
            continue;
        }
        let hits: Vec<_> = all
            .iter()
            .filter(|(_, id)| id.starts_with(spec.as_str()))
            .collect();
        match hits.len() {
            1 => out.push(hits[0].clone()),
            0 => {
                return Err(Failure::usage(format!(
                    "no session `{}` in the store: `breakglass --store URL ls` lists them (an id prefix or `last` names one there)",
                    safe::text(spec)
                ))
                .into());
            }
            n => {
                return Err(Failure::usage(format!(
                    "`{}` matches {n} sessions in the store: give more of the id",
                    safe::text(spec)
                ))
                .into());
            }
        }
    }
    Ok(Some(out))
}

/// The session specs a review command names.
fn specs_of(c: &Command) -> Vec<String> {
    match c {
        Command::Verify(a) => a.sessions.clone(),
        Command::Grep(a) => a.sessions.clone(),
        Command::Show(a) => vec![a.session.clone()],
        Command::Export(a) => vec![a.session.clone()],
        Command::Replay(a) => vec![a.session.clone()],
        _ => Vec::new(),
    }
}

/// Whether the command prints JSON lines (no headings then).
fn json_out(c: &Command) -> bool {
    match c {
        Command::Ls(a) => a.json,
        Command::Verify(a) => a.json,
        Command::Grep(a) => a.json,
        _ => false,
    }
}

/// Run a review command on the store of `cfg` (or `url`), across every bastion.
pub fn review(c: &Command, cfg: &crate::config::Config, url: Option<&str>) -> Result<i32> {
    let target = Target::configured(cfg, url).ok_or_else(|| {
        Failure::usage(
            "no store: pass --store s3://BUCKET/PREFIX, or set url in [store] of the config for --from-store",
        )
    })?;
    let bucket = target
        .open()
        .map_err(|e| Failure::usage(safe::text(&format!("{e:#}")).into_owned()))?;
    let unusable = |e: anyhow::Error| {
        Failure::usage(format!(
            "store {}: {}",
            target.shown(),
            safe::text(&format!("{e:#}"))
        ))
    };
    let mut all = Vec::new();
    for b in bastions(&bucket).map_err(unusable)? {
        for id in session_ids(&bucket, &b).map_err(unusable)? {
            all.push((b.clone(), id));
        }
    }
    let picked = pick(&all, &specs_of(c), || newest(&bucket, &all))?;
    let mut by_bastion: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (b, id) in picked.as_ref().unwrap_or(&all) {
        by_bastion.entry(b.clone()).or_default().push(id.clone());
    }
    if by_bastion.is_empty() {
        eprintln!("no sessions in the store {}", target.shown());
        return Ok(0);
    }
    let scratch = Scratch::new()?;
    let mut code: Option<i32> = None;
    let headings = !json_out(c)
        && !matches!(
            c,
            Command::Show(_) | Command::Export(_) | Command::Replay(_)
        );
    for (b, ids) in &by_bastion {
        let dir = scratch.root.join(b);
        fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(dir.join("sessions"))?;
        let mut problems = fetch_log(
            &bucket,
            &layout::ledger_dir(&bucket.url.prefix, b),
            &dir.join("ledger.jsonl"),
        )
        .map_err(unusable)?
        .into_iter()
        .map(|p| format!("ledger: {p}"))
        .collect::<Vec<_>>();
        // The bastion's key from the bucket, unless the reviewer names one (--pubkey).
        let key = scratch.root.join(format!("{b}.signing.pub"));
        let key = match fetch_key(&bucket, b, &key).map_err(unusable)? {
            Some(p) => {
                problems.extend(p);
                Some(key)
            }
            None => None,
        };
        for id in ids {
            let from = layout::session_dir(&bucket.url.prefix, b, id);
            let to = dir.join(Store::relative_file(id));
            for p in fetch_log(&bucket, &from, &to).map_err(unusable)? {
                problems.push(format!("session {id}: {p}"));
            }
        }
        if headings {
            println!("== bastion {} in {}", safe::text(b), target.shown());
        }
        for p in &problems {
            println!("store TAMPERED  {}/{}", safe::text(b), safe::text(p));
        }
        let store = Store::at(dir);
        let sub = run_one(c, &store, ids, picked.is_some(), key.as_deref())?;
        let sub = if problems.is_empty() {
            sub
        } else {
            cmd::verify::worst(sub, 1)
        };
        code = Some(match (code, c) {
            (None, _) => sub,
            (Some(prev), Command::Grep(_)) => prev.min(sub),
            (Some(prev), _) => cmd::verify::worst(prev, sub),
        });
    }
    Ok(code.unwrap_or(0))
}

/// One command on one bastion's scratch data dir.
fn run_one(
    c: &Command,
    store: &Store,
    ids: &[String],
    named: bool,
    key: Option<&Path>,
) -> Result<i32> {
    let only = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|s| *s == "last" || ids.iter().any(|id| id.starts_with(s.as_str())))
            .cloned()
            .collect()
    };
    match c {
        Command::Ls(a) => cmd::ls::run(a, store),
        Command::Verify(a) => {
            let mut a = a.clone();
            if named {
                a.sessions = only(&a.sessions);
            }
            if a.pubkey.is_none() {
                a.pubkey = key.map(Path::to_path_buf);
            }
            cmd::verify::run(&a, store, None)
        }
        Command::Grep(a) => {
            let mut a = a.clone();
            if named {
                a.sessions = only(&a.sessions);
            }
            cmd::grep::run(&a, store)
        }
        Command::Show(a) => cmd::show::run(a, store),
        Command::Export(a) => cmd::export::run(a, store),
        Command::Replay(a) => cmd::replay::run(a, store),
        _ => Err(
            Failure::usage("--store goes with ls, verify, show, export, grep and replay").into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_resolve_across_bastions() {
        let all = vec![
            ("a".to_string(), "abc000000000".to_string()),
            ("b".to_string(), "abd000000000".to_string()),
        ];
        let none = || None;
        assert_eq!(pick(&all, &[], none).unwrap(), None);
        assert_eq!(
            pick(&all, &["abd".into()], none).unwrap().unwrap()[0].0,
            "b"
        );
        assert!(pick(&all, &["ab".into()], none).is_err());
        assert!(pick(&all, &["zz".into()], none).is_err());
        assert!(pick(&all, &["last".into()], none).is_err());
        let second = || Some(all[1].clone());
        assert_eq!(
            pick(&all, &["last".into()], second).unwrap().unwrap(),
            vec![all[1].clone()]
        );
    }
}
