//! Checks in the manner of sshd's StrictModes: a file that sets the policy, and every
//! directory above it, must belong to root or the service user and be writable by
//! nobody else; so must the directory the setuid binary lies in.
//!
//! The rule is a pure function of (owner, mode) for each path; the walk reads them with
//! `lstat`, so a symlink anywhere on the way is refused rather than followed.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Group- and other-writable bits: anyone besides the owner could replace the file.
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// What lstat said about one path, all the rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub uid: u32,
    pub mode: u32,
    pub is_dir: bool,
    pub is_symlink: bool,
}

/// Why a path cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("{path} is a symlink; point at the real path")]
    Symlink { path: PathBuf },
    #[error(
        "{path} belongs to uid {uid}, not to root or the service user; run `chown root {path}`"
    )]
    Owner { path: PathBuf, uid: u32 },
    #[error("{path} is writable by group or others (mode {mode:o}); run `chmod go-w {path}`")]
    Writable { path: PathBuf, mode: u32 },
    #[error("cannot check {path}: {why}")]
    Unreadable { path: PathBuf, why: String },
}

/// The rule for one path: owned by root or `service`, not writable by group or others.
/// The sticky bit does not help: a 1777 dir lets anyone create names in it.
pub fn judge(path: &Path, st: Stat, service: u32) -> Result<(), Untrusted> {
    let path = path.to_path_buf();
    if st.is_symlink {
        return Err(Untrusted::Symlink { path });
    }
    if st.uid != 0 && st.uid != service {
        return Err(Untrusted::Owner { path, uid: st.uid });
    }
    if st.mode & WRITABLE_BY_OTHERS != 0 {
        return Err(Untrusted::Writable {
            path,
            mode: st.mode & 0o7777,
        });
    }
    Ok(())
}

fn lstat(p: &Path) -> Result<Stat, Untrusted> {
    let m = std::fs::symlink_metadata(p).map_err(|e| Untrusted::Unreadable {
        path: p.to_path_buf(),
        why: e.to_string(),
    })?;
    Ok(Stat {
        uid: m.uid(),
        mode: m.mode(),
        is_dir: m.is_dir(),
        is_symlink: m.file_type().is_symlink(),
    })
}

/// Check `path` (absolute) and every directory above it up to `/`.
pub fn check_chain(path: &Path, service: u32) -> Result<(), Untrusted> {
    if !path.is_absolute() {
        return Err(Untrusted::Unreadable {
            path: path.to_path_buf(),
            why: "not an absolute path".into(),
        });
    }
    for p in path.ancestors() {
        judge(p, lstat(p)?, service)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(uid: u32, mode: u32) -> Stat {
        Stat {
            uid,
            mode,
            is_dir: true,
            is_symlink: false,
        }
    }

    #[test]
    fn owners_and_modes() {
        let p = Path::new("/etc/breakglass");
        assert!(judge(p, st(0, 0o40755), 990).is_ok());
        assert!(judge(p, st(990, 0o40700), 990).is_ok());
        assert_eq!(
            judge(p, st(1000, 0o40755), 990),
            Err(Untrusted::Owner {
                path: p.into(),
                uid: 1000
            })
        );
        assert!(matches!(
            judge(p, st(0, 0o41777), 990),
            Err(Untrusted::Writable { mode: 0o1777, .. })
        ));
        assert!(matches!(
            judge(p, st(0, 0o40775), 990),
            Err(Untrusted::Writable { .. })
        ));
        let link = Stat {
            is_symlink: true,
            ..st(0, 0o120777)
        };
        assert!(matches!(
            judge(p, link, 990),
            Err(Untrusted::Symlink { .. })
        ));
    }

    #[test]
    fn tmp_is_refused_and_root_dirs_pass() {
        // /tmp is 1777 on every system this runs on.
        assert!(matches!(
            check_chain(Path::new("/tmp"), 12345),
            Err(Untrusted::Writable { .. })
        ));
        assert!(check_chain(Path::new("/usr/bin"), 12345).is_ok());
        assert!(check_chain(Path::new("relative"), 1).is_err());
    }
}
