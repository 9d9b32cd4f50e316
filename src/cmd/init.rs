//! `breakglass init`: run once by root from the installed binary, and safely again: make
//! the data dir, its sub dirs, the ledger and the signing key pair with the owners and
//! modes of installed mode (src/installed/store.rs), and adopt the sessions of an old
//! group-shared data dir.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result};
use nix::sys::stat::{Mode, fchmod};
use nix::unistd::{Gid, Group, Uid, User, fchown};

use crate::cli::InitArgs;
use crate::error::Failure;
use crate::installed::store::{DATA_DIR_MODE, KEYS_MODE, LIVE_MODE, RECORD_MODE, SESSIONS_MODE};
use crate::installed::{Policy, strict};
use crate::{mode, store};

/// Mode of the dirs above the data dir that init creates.
const PARENT_DIR_MODE: u32 = 0o755;
/// init's umask: every mode is set explicitly, except the dirs above the data dir that it
/// makes, which must be traversable by everyone (watchers reach `live/` through them).
const INIT_UMASK: u32 = 0o022;
/// Mode of the private signing key.
const PRIVATE_KEY_MODE: u32 = 0o600;
/// Mode of the public signing key.
const PUBLIC_KEY_MODE: u32 = 0o644;

/// Open a path without following a symlink, for fchown and fchmod.
fn open_nofollow(p: &Path, dir: bool) -> Result<File> {
    let flags = libc::O_NOFOLLOW | if dir { libc::O_DIRECTORY } else { 0 };
    OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(p)
        .with_context(|| format!("cannot open {} (a symlink is refused)", p.display()))
}

/// Give a file or dir its owner and mode.
pub(crate) fn set_owner(p: &Path, dir: bool, uid: Uid, gid: Gid, mode: u32) -> Result<()> {
    let f = open_nofollow(p, dir)?;
    fchown(f.as_fd(), Some(uid), Some(gid))
        .with_context(|| format!("cannot chown {}", p.display()))?;
    fchmod(f.as_fd(), Mode::from_bits_truncate(mode))
        .with_context(|| format!("cannot chmod {}", p.display()))?;
    Ok(())
}

/// Make a dir if missing, then give it its owner and mode.
pub(crate) fn make_dir(p: &Path, uid: Uid, gid: Gid, mode: u32) -> Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(p) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", p.display())),
    }
    set_owner(p, true, uid, gid, mode)
}

/// Copy a file into a new one (O_EXCL), never through a symlink at either end.
fn copy_new(from: &Path, to: &Path) -> Result<File> {
    let mut src = open_nofollow(from, false)?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(to)
        .with_context(|| format!("cannot create {}", to.display()))?;
    let mut buf = Vec::new();
    src.read_to_end(&mut buf)?;
    dst.write_all(&buf)?;
    dst.sync_all()?;
    Ok(dst)
}

/// Adopt an old data dir: its ledger becomes the new one, its sessions are copied.
fn adopt(old: &Path, data: &Path, uid: Uid, gid: Gid) -> Result<usize> {
    let ledger = data.join("ledger.jsonl");
    if std::fs::metadata(&ledger)?.len() > 0 {
        return Err(Failure::usage(format!(
            "{} already has sessions: --adopt only fills a fresh data dir",
            data.display()
        ))
        .into());
    }
    let old_ledger = old.join("ledger.jsonl");
    if old_ledger.exists() {
        let mut src = open_nofollow(&old_ledger, false)?;
        let mut buf = Vec::new();
        src.read_to_end(&mut buf)?;
        let mut dst = OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&ledger)?;
        dst.write_all(&buf)?;
        dst.sync_all()?;
    }
    let mut n = 0;
    let rd = std::fs::read_dir(old.join("sessions"))
        .with_context(|| format!("cannot read {}/sessions", old.display()))?;
    for entry in rd {
        let entry = entry?;
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
            continue;
        };
        if !store::is_session_id(id) || store::is_live(&entry.path()) {
            continue;
        }
        let to = data.join(store::Store::relative_file(id));
        copy_new(&entry.path(), &to)?;
        set_owner(&to, false, uid, gid, RECORD_MODE)?;
        n += 1;
    }
    Ok(n)
}

/// The policy and the service user, for a command only root may run from the installed
/// binary (`what` names it in the refusal, `readme` the README section to read).
pub(crate) fn as_installed_root(what: &str, readme: &str) -> Result<(Policy, User)> {
    let ids = mode::ids();
    if !mode::installed() || ids.real_uid != 0 {
        return Err(Failure::usage(format!(
            "`breakglass {what}` must be run by root from the installed setuid binary (README: {readme})"
        ))
        .into());
    }
    nix::sys::stat::umask(Mode::from_bits_truncate(INIT_UMASK));
    let policy = Policy::load(ids.service_uid)?;
    let svc = User::from_uid(Uid::from_raw(ids.service_uid))?
        .ok_or_else(|| Failure::tool(format!("the service uid {} has no user", ids.service_uid)))?;
    Ok((policy, svc))
}

pub fn run(args: &InitArgs) -> Result<i32> {
    let (policy, svc) = as_installed_root("init", "Install on a bastion")?;
    let group = match &policy.config.review_group {
        Some(g) => Group::from_name(g)?
            .ok_or_else(|| {
                Failure::usage(format!(
                    "group `{g}` (review_group in {}) does not exist: run `groupadd --system {g}`",
                    policy.file().display()
                ))
            })?
            .gid,
        None => svc.gid,
    };
    let data = policy.data_dir();
    if let Some(parent) = data.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(PARENT_DIR_MODE)
            .create(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        strict::check_chain(parent, svc.uid.as_raw())
            .map_err(|e| Failure::tool(format!("cannot put the data dir there: {e}")))?;
    }
    make_dir(&data, svc.uid, group, DATA_DIR_MODE)?;
    make_dir(&data.join("sessions"), svc.uid, group, SESSIONS_MODE)?;
    make_dir(&data.join("live"), svc.uid, svc.gid, LIVE_MODE)?;
    make_dir(&data.join("keys"), svc.uid, svc.gid, KEYS_MODE)?;
    let ledger = data.join("ledger.jsonl");
    OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&ledger)
        .with_context(|| format!("cannot create {}", ledger.display()))?;
    set_owner(&ledger, false, svc.uid, group, RECORD_MODE)?;
    let made = crate::sign::ensure_keypair(&policy.private_key(), &policy.public_key())?;
    set_owner(
        &policy.private_key(),
        false,
        svc.uid,
        svc.gid,
        PRIVATE_KEY_MODE,
    )?;
    set_owner(
        &policy.public_key(),
        false,
        Uid::from_raw(0),
        Gid::from_raw(0),
        PUBLIC_KEY_MODE,
    )?;
    if let Some(old) = &args.adopt {
        let n = adopt(old, &data, svc.uid, group)?;
        println!(
            "adopted {n} sessions and the ledger of {}; `breakglass verify --all` checks them",
            old.display()
        );
    }
    println!(
        "data dir {} ready for {} (reviewers: group {}); signing key {}: {}",
        data.display(),
        svc.name,
        Group::from_gid(group)?.map_or(group.to_string(), |g| g.name),
        if made { "created" } else { "kept" },
        policy.public_key().display()
    );
    Ok(0)
}
