//! Whether a live socket is one a breakglass session made, before a client says a word.
//!
//! A client (`watch`, `mark`) connects only to a socket that belongs to the identity the
//! session runs as, in a dir nobody else can write: installed, the service user (the
//! effective uid of the setuid binary); personal, the user themself. Anything else could
//! be a fake server put there by someone who can write the dir, showing a fake screen and
//! collecting what an operator types, so it is refused with "not a breakglass socket"
//! before a byte is sent. The check is made twice: with `lstat` on the dir and the socket
//! before connecting ([`check`], pure), and on the kernel's word for who listens
//! (`SO_PEERCRED`) after connecting ([`check_peer`]), which no rename in between can fool.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Write bits for the group and others: a dir with either lets someone else swap its files.
const GROUP_OR_OTHER_WRITE: u32 = 0o022;

/// What the refusal says, whatever the reason; the reason follows it.
pub const NOT_OURS: &str = "not a breakglass socket";

/// What `lstat` says about a path, as far as trust goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub uid: u32,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    pub kind: Kind,
}

/// The file types that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    Socket,
    Other,
}

impl Stat {
    /// `lstat(2)` of `path` (a symlink is `Other`, never followed).
    pub fn of(path: &Path) -> std::io::Result<Stat> {
        let m = std::fs::symlink_metadata(path)?;
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            Kind::Dir
        } else if ft.is_socket() {
            Kind::Socket
        } else {
            Kind::Other
        };
        Ok(Stat {
            uid: m.uid(),
            mode: m.mode() & 0o7777,
            kind,
        })
    }
}

/// Why a socket is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("{NOT_OURS}: its dir is not a directory")]
    DirNotDir,
    #[error("{NOT_OURS}: its dir belongs to uid {found}, not to uid {expected} or root")]
    DirOwner { found: u32, expected: u32 },
    #[error("{NOT_OURS}: its dir is writable by others (mode {mode:04o})")]
    DirWritable { mode: u32 },
    #[error("{NOT_OURS}: it is not a socket")]
    NotSocket,
    #[error("{NOT_OURS}: it belongs to uid {found}, not to uid {expected}")]
    Owner { found: u32, expected: u32 },
    #[error("{NOT_OURS}: the process listening on it runs as uid {found}, not as uid {expected}")]
    Peer { found: u32, expected: u32 },
}

/// The uid a genuine session's socket belongs to: the effective uid this process started
/// with (installed, the service user that owns the setuid binary, even after the command
/// gave that identity up; personal, the user).
pub fn expected_owner() -> u32 {
    crate::mode::ids().service_uid
}

/// Whether a socket with `sock` in a dir with `dir` may be trusted as a session of
/// `expected` (pure: the stat results are given).
pub fn check(expected: u32, dir: Stat, sock: Stat) -> Result<(), Untrusted> {
    if dir.kind != Kind::Dir {
        return Err(Untrusted::DirNotDir);
    }
    if dir.uid != expected && dir.uid != 0 {
        return Err(Untrusted::DirOwner {
            found: dir.uid,
            expected,
        });
    }
    if dir.mode & GROUP_OR_OTHER_WRITE != 0 {
        return Err(Untrusted::DirWritable { mode: dir.mode });
    }
    if sock.kind != Kind::Socket {
        return Err(Untrusted::NotSocket);
    }
    if sock.uid != expected {
        return Err(Untrusted::Owner {
            found: sock.uid,
            expected,
        });
    }
    Ok(())
}

/// Whether the process listening (by `SO_PEERCRED`) runs as `expected`.
pub fn check_peer(expected: u32, peer_uid: u32) -> Result<(), Untrusted> {
    if peer_uid == expected {
        Ok(())
    } else {
        Err(Untrusted::Peer {
            found: peer_uid,
            expected,
        })
    }
}

/// [`check`] on the socket at `path` and its dir, by `lstat`. A path that does not
/// exist is `Ok(None)`: not live, which the connect reports.
pub fn check_path(expected: u32, path: &Path) -> std::io::Result<Result<(), Untrusted>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    Ok(check(expected, Stat::of(dir)?, Stat::of(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 1000;

    fn dir(uid: u32, mode: u32) -> Stat {
        Stat {
            uid,
            mode,
            kind: Kind::Dir,
        }
    }

    fn sock(uid: u32) -> Stat {
        Stat {
            uid,
            mode: 0o600,
            kind: Kind::Socket,
        }
    }

    #[test]
    fn own_socket_in_own_or_root_dir_is_trusted() {
        assert_eq!(check(ME, dir(ME, 0o700), sock(ME)), Ok(()));
        assert_eq!(check(ME, dir(0, 0o755), sock(ME)), Ok(()));
        assert_eq!(check(ME, dir(ME, 0o2750), sock(ME)), Ok(()));
    }

    #[test]
    fn a_socket_of_someone_else_is_refused() {
        assert_eq!(
            check(ME, dir(ME, 0o700), sock(1001)),
            Err(Untrusted::Owner {
                found: 1001,
                expected: ME
            })
        );
        assert_eq!(
            check(ME, dir(ME, 0o700), sock(0)),
            Err(Untrusted::Owner {
                found: 0,
                expected: ME
            }),
            "not even root's: no session of ME runs as root"
        );
    }

    #[test]
    fn a_dir_others_can_write_or_own_is_refused() {
        for mode in [0o770, 0o2770, 0o707, 0o1777, 0o720] {
            assert_eq!(
                check(ME, dir(ME, mode), sock(ME)),
                Err(Untrusted::DirWritable { mode }),
                "{mode:o}"
            );
        }
        assert_eq!(
            check(ME, dir(1001, 0o700), sock(ME)),
            Err(Untrusted::DirOwner {
                found: 1001,
                expected: ME
            })
        );
    }

    #[test]
    fn symlinks_and_other_files_are_refused() {
        let link = Stat {
            uid: ME,
            mode: 0o777,
            kind: Kind::Other,
        };
        assert_eq!(check(ME, link, sock(ME)), Err(Untrusted::DirNotDir));
        assert_eq!(check(ME, dir(ME, 0o700), link), Err(Untrusted::NotSocket));
    }

    #[test]
    fn the_listener_must_run_as_the_owner() {
        assert_eq!(check_peer(ME, ME), Ok(()));
        let e = check_peer(ME, 1001).unwrap_err();
        assert!(e.to_string().starts_with(NOT_OURS), "{e}");
    }

    #[test]
    fn every_refusal_says_not_a_breakglass_socket() {
        for e in [
            Untrusted::DirNotDir,
            Untrusted::DirWritable { mode: 0o777 },
            Untrusted::NotSocket,
        ] {
            assert!(e.to_string().starts_with(NOT_OURS));
        }
    }

    #[test]
    fn real_paths_are_stat_without_following_links() {
        let t = tempfile::tempdir().unwrap();
        let l = t.path().join("l");
        std::os::unix::fs::symlink("/", &l).unwrap();
        assert_eq!(Stat::of(&l).unwrap().kind, Kind::Other);
        assert_eq!(Stat::of(t.path()).unwrap().kind, Kind::Dir);
    }
}
