//! The data dir: where it is, checking it is safe to trust, creating session files, and
//! finding sessions by id prefix or `last`.
//!
//! Layout: `sessions/<id>.jsonl`, `ledger.jsonl`, `live/`. Dirs are 0700 and files 0600;
//! in a setgid dir (a shared bastion) dirs are 2770 and files 0640, so the owning group of
//! operators can read every session.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::Failure;
use crate::log::lines::MAX_LINE;
use crate::log::parse::decode;
use crate::log::record::{Body, Genesis};

pub use crate::log::id::{is_session_id, new_id};

/// A data dir.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
    /// Shared (setgid) dir: group-readable files.
    pub shared: bool,
}

/// A session file in the store, with its genesis when it could be read.
#[derive(Debug, Clone)]
pub struct SessionFile {
    pub id: String,
    pub path: PathBuf,
    pub genesis: Option<Genesis>,
}

/// Resolve the data dir: `--dir`, `BREAKGLASS_DIR` (both arrive as `flag`), config `dir`,
/// then the per-user data dir.
pub fn data_dir(flag: Option<&Path>, config: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(d) = flag.or(config) {
        return Ok(d.to_path_buf());
    }
    dirs::data_local_dir()
        .map(|d| d.join("breakglass"))
        .ok_or_else(|| Failure::tool("cannot find a data dir: set BREAKGLASS_DIR or pass --dir"))
}

impl Store {
    /// Open the store for reading; it need not exist.
    pub fn at(dir: PathBuf) -> Store {
        // Installed, the setgid bit only gives new files the review group.
        let shared =
            !crate::mode::installed() && fs::metadata(&dir).is_ok_and(|m| m.mode() & 0o2000 != 0);
        Store { dir, shared }
    }

    /// Open the store for recording: create what is missing and check it can be trusted.
    pub fn prepare(dir: PathBuf) -> Result<Store, Failure> {
        if let Some(service) = crate::mode::service_uid() {
            return crate::installed::store::open_for_recording(&dir, service);
        }
        let fix = "pass --dir DIR or set BREAKGLASS_DIR to a dir of your own";
        let mkdir = |p: &Path, mode: u32| {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(mode)
                .create(p)
                .map_err(|e| {
                    Failure::tool(format!(
                        "cannot create data dir {}: {e}; {fix}",
                        p.display()
                    ))
                })
        };
        mkdir(&dir, 0o700)?;
        let store = Store::at(dir);
        store.check_trust(&store.dir)?;
        let sub_mode = if store.shared { 0o2770 } else { 0o700 };
        for sub in ["sessions", "live"] {
            let p = store.dir.join(sub);
            if !p.exists() {
                mkdir(&p, sub_mode)?;
                if store.shared {
                    // The umask may have taken the group bits away.
                    let _ = fs::set_permissions(&p, fs::Permissions::from_mode(sub_mode));
                }
            }
            store.check_trust(&p)?;
        }
        Ok(store)
    }

    /// Refuse a dir that others could tamper with: not ours (or root's), or world-writable.
    fn check_trust(&self, p: &Path) -> Result<(), Failure> {
        let m = fs::metadata(p)
            .map_err(|e| Failure::tool(format!("cannot use data dir {}: {e}", p.display())))?;
        if !m.is_dir() {
            return Err(Failure::tool(format!("{} is not a directory", p.display())));
        }
        let me = nix::unistd::geteuid().as_raw();
        // In a shared dir, sessions/ and live/ belong to whichever member recorded first;
        // they are trusted when they carry the shared dir's group and its setgid bit.
        let shared_sub = self.shared
            && p != self.dir
            && m.mode() & 0o2000 != 0
            && fs::metadata(&self.dir).is_ok_and(|top| top.gid() == m.gid());
        if m.uid() != me && m.uid() != 0 && !shared_sub {
            return Err(Failure::tool(format!(
                "data dir {} belongs to uid {}, not to you or root; refusing to record there",
                p.display(),
                m.uid()
            )));
        }
        if m.mode() & 0o002 != 0 {
            return Err(Failure::tool(format!(
                "data dir {} is writable by everyone; run `chmod o-w {}`",
                p.display(),
                p.display()
            )));
        }
        if m.mode() & 0o020 != 0 && !self.shared {
            return Err(Failure::tool(format!(
                "data dir {} is group-writable but not setgid; for a shared dir run `chmod g+s {}`, else `chmod g-w {}`",
                p.display(),
                p.display(),
                p.display()
            )));
        }
        Ok(())
    }

    /// Mode for new session files: group-readable in a shared dir.
    pub fn file_mode(&self) -> u32 {
        if crate::mode::installed() {
            return crate::installed::store::RECORD_MODE;
        }
        if self.shared { 0o640 } else { 0o600 }
    }

    /// Mode of the ledger: in a shared dir every member of the group appends to it.
    pub fn ledger_mode(&self) -> u32 {
        if crate::mode::installed() {
            return crate::installed::store::RECORD_MODE;
        }
        if self.shared { 0o660 } else { 0o600 }
    }

    pub fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join("ledger.jsonl")
    }

    pub fn live_dir(&self) -> PathBuf {
        self.dir.join("live")
    }

    /// Path of a session file, relative to the data dir, as the ledger names it.
    pub fn relative_file(id: &str) -> String {
        format!("sessions/{id}.jsonl")
    }

    /// Create a new session file (O_EXCL, append-only) and lock it as live.
    pub fn create_session(&self, id: &str) -> std::io::Result<File> {
        let f = OpenOptions::new()
            .append(true)
            .read(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(self.file_mode())
            .open(self.dir.join(Self::relative_file(id)))?;
        if self.shared || crate::mode::installed() {
            // The umask (the recorded user's, installed) may have taken the group bits away.
            let _ = f.set_permissions(fs::Permissions::from_mode(self.file_mode()));
        }
        // flock(2), exclusive: held until the file is closed, which `is_live` sees.
        f.try_lock()?;
        Ok(f)
    }

    /// Every session file, newest first by the ledger (unlisted files last).
    pub fn sessions(&self) -> std::io::Result<Vec<SessionFile>> {
        let mut out = Vec::new();
        let rd = match fs::read_dir(self.sessions_dir()) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for entry in rd {
            let entry = entry?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            let path = entry.path();
            out.push(SessionFile {
                // A name breakglass did not make may carry controls: it is shown, not obeyed.
                id: crate::safe::text(id).into_owned(),
                genesis: read_genesis(&path),
                path,
            });
        }
        if let Some(uid) = crate::installed::only_sessions_of() {
            out.retain(|s| s.genesis.as_ref().is_some_and(|g| g.uid == uid));
        }
        // Newest first by the ledger's order, which a file cannot claim for itself; files
        // the ledger does not list come after every listed one, by the time they claim.
        let listed = self.ledger_positions();
        out.sort_by_cached_key(|s| {
            let claimed = s.genesis.as_ref().map(|g| g.started.clone());
            std::cmp::Reverse((listed.get(&s.id).copied(), claimed, s.id.clone()))
        });
        Ok(out)
    }

    /// Find one session by `last`, a unique id prefix, or a path to a file.
    pub fn resolve(&self, spec: &str) -> Result<SessionFile, Failure> {
        let as_path = Path::new(spec);
        if crate::installed::only_sessions_of().is_some()
            && !crate::installed::rules::names_stored_session(spec)
        {
            return Err(Failure::usage(
                "you may review your own sessions by id, not files",
            ));
        }
        if spec.contains('/') || (spec.ends_with(".jsonl") && as_path.exists()) {
            if !as_path.exists() {
                return Err(Failure::usage(format!("no such file: {spec}")));
            }
            let id = as_path
                .file_stem()
                .map(|s| crate::safe::bytes(s.as_encoded_bytes()))
                .unwrap_or_default();
            return Ok(SessionFile {
                id,
                genesis: read_genesis(as_path),
                path: as_path.to_path_buf(),
            });
        }
        let all = self.sessions().map_err(|e| {
            Failure::usage(format!(
                "cannot read {}: {e}",
                self.sessions_dir().display()
            ))
        })?;
        if spec == "last" {
            // Only a session the ledger lists can be the last one.
            let listed = self.ledger_positions();
            return all
                .into_iter()
                .find(|s| listed.contains_key(&s.id))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "no session in {} is listed in its ledger, so none is `last`; name one by its id (`breakglass ls`)",
                        self.dir.display()
                    ))
                });
        }
        let mut hits: Vec<SessionFile> =
            all.into_iter().filter(|s| s.id.starts_with(spec)).collect();
        match hits.len() {
            1 => Ok(hits.remove(0)),
            0 => Err(Failure::usage(format!(
                "no session matches `{spec}` in {} (`breakglass ls` lists them)",
                self.dir.display()
            ))),
            _ => Err(Failure::usage(format!(
                "`{spec}` matches {} sessions ({}); type more of the id",
                hits.len(),
                hits.iter()
                    .take(5)
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

impl Store {
    /// The line of each session's start in the ledger (as far as the ledger reads).
    fn ledger_positions(&self) -> std::collections::HashMap<String, usize> {
        let Ok(f) = File::open(self.ledger_path()) else {
            return Default::default();
        };
        let entries =
            crate::log::ledger::verify_ledger(f).map_or_else(|_| Vec::new(), |r| r.entries);
        entries
            .into_iter()
            .enumerate()
            .filter(|(_, (e, _))| e.start)
            .map(|(n, (e, _))| (e.session, n))
            .collect()
    }
}

/// Whether a session's writer still holds its lock (the session is running).
pub fn is_live(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    // A shared flock(2) fails only while the writer holds its exclusive one; ours goes
    // with the file when it is closed here.
    matches!(f.try_lock_shared(), Err(fs::TryLockError::WouldBlock))
}

/// Read line 0 of a session file, if it is a genesis record.
pub fn read_genesis(path: &Path) -> Option<Genesis> {
    let f = File::open(path).ok()?;
    let mut line = Vec::new();
    BufReader::new(f)
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)
        .ok()?;
    if line.pop() != Some(b'\n') {
        return None;
    }
    match decode(&line).ok()?.body {
        Body::Genesis(g) => Some(*g),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_creates_private_dirs_and_refuses_world_writable() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("data");
        let s = Store::prepare(d.clone()).unwrap();
        assert_eq!(
            fs::metadata(s.sessions_dir()).unwrap().mode() & 0o777,
            0o700
        );
        let f = s.create_session("abc").unwrap();
        assert_eq!(f.metadata().unwrap().mode() & 0o777, 0o600);
        assert!(is_live(&s.sessions_dir().join("abc.jsonl")));
        drop(f);
        assert!(!is_live(&s.sessions_dir().join("abc.jsonl")));
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        let e = Store::prepare(d).unwrap_err();
        assert!(e.message.contains("writable by everyone"), "{}", e.message);
    }

    #[test]
    fn resolve_by_prefix() {
        let t = tempfile::tempdir().unwrap();
        let s = Store::prepare(t.path().to_path_buf()).unwrap();
        for id in ["abc111", "abd222"] {
            s.create_session(id).unwrap();
        }
        assert_eq!(s.resolve("abc").unwrap().id, "abc111");
        assert!(s.resolve("ab").unwrap_err().message.contains("matches 2"));
        assert!(
            s.resolve("zz")
                .unwrap_err()
                .message
                .contains("no session matches")
        );
    }
}
