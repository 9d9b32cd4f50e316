//! The installed data dir: its layout (owners and modes, set by `breakglass init`) and
//! the checks a session makes before it records there.
//!
//! `<dir>` 0755 service; `sessions/` 2750 service:review group (new files take the
//! group), session files 0640; `ledger.jsonl` 0640 service:review group; `live/` 0755
//! service, sockets 0666 (who may connect is decided by the session, from SO_PEERCRED);
//! `keys/` 0700 service. No recorded user can write any of it.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::strict;
use crate::error::Failure;
use crate::store::Store;

/// Mode of the data dir.
pub const DATA_DIR_MODE: u32 = 0o755;
/// Mode of `sessions/`: setgid, so files take the review group.
pub const SESSIONS_MODE: u32 = 0o2750;
/// Mode of `live/`: anyone may reach a socket; the session decides who is let in.
pub const LIVE_MODE: u32 = 0o755;
/// Mode of `keys/`.
pub const KEYS_MODE: u32 = 0o700;
/// Mode of session files and the ledger: the review group reads them.
pub const RECORD_MODE: u32 = 0o640;
/// Mode of a live socket in installed mode.
pub const SOCKET_MODE: u32 = 0o666;

/// Open the installed data dir for recording: it must exist (made by `init`), every dir
/// above it must pass the StrictModes check, and `sessions/` and `live/` must be the
/// service user's and writable by nobody else.
pub fn open_for_recording(dir: &Path, service: u32) -> Result<Store, Failure> {
    let fix = "run `breakglass init` as root (README: Install on a bastion)";
    if std::fs::symlink_metadata(dir).is_err() {
        return Err(Failure::tool(format!(
            "the data dir {} does not exist: {fix}",
            dir.display()
        )));
    }
    strict::check_chain(dir, service)
        .map_err(|e| Failure::tool(format!("refusing to record: {e}")))?;
    for sub in ["sessions", "live"] {
        let p = dir.join(sub);
        let m = std::fs::symlink_metadata(&p)
            .map_err(|e| Failure::tool(format!("cannot use {}: {e}; {fix}", p.display())))?;
        if !m.is_dir() || m.uid() != service || m.mode() & 0o022 != 0 {
            return Err(Failure::tool(format!(
                "{} is not a dir of the service user that only it can write; {fix}",
                p.display()
            )));
        }
    }
    Ok(Store::at(dir.to_path_buf()))
}

/// Ids of the live sessions, from the sockets in `live/` (which every user may list,
/// while `sessions/` is for reviewers), newest socket first.
pub fn live_ids(store: &Store) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(store.live_dir()) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, String)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".sock")?.to_string();
            let t = e.metadata().and_then(|m| m.modified()).ok()?;
            crate::store::is_session_id(&name).then_some((t, name))
        })
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().map(|(_, id)| id).collect()
}

/// The live session a watcher or marker means: an id prefix, `last`, or (None) the only
/// live one.
pub fn resolve_live(store: &Store, spec: Option<&str>) -> Result<String, Failure> {
    let ids = live_ids(store);
    let hits: Vec<&String> = match spec {
        Some("last") => ids.iter().take(1).collect(),
        Some(p) => ids.iter().filter(|id| id.starts_with(p)).collect(),
        None => ids.iter().collect(),
    };
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::usage(format!(
            "no live session{} in {}",
            spec.map_or(String::new(), |s| format!(
                " matches `{}`",
                crate::safe::text(s)
            )),
            store.live_dir().display()
        ))),
        many => Err(Failure::usage(format!(
            "{} live sessions match ({}): pick one with its id",
            many.len(),
            many.iter()
                .take(5)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
