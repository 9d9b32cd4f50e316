//! Which of the two trust modes this process runs in, and the ids it started with.
//!
//! Personal: run as the user, with the user's own data dir; it proves nothing against
//! that user. Installed: the binary is setuid to a service user (never root), so the
//! effective uid differs from the real one; the policy comes from root and the records
//! belong to the service user. docs/SECURITY.md states what each mode proves.
//!
//! The ids are taken once, at start ([`startup`]): a command that gives the service
//! identity up still runs installed, and still knows which uid the service is.

use std::sync::OnceLock;

use nix::unistd::{Gid, Uid};

/// The two trust modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Personal,
    Installed,
}

/// The ids the process started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    /// Who ran the binary.
    pub real_uid: u32,
    pub real_gid: u32,
    /// The service user when installed (the owner of the setuid binary), else the user.
    pub service_uid: u32,
}

impl Ids {
    pub fn mode(&self) -> Mode {
        if self.real_uid != self.service_uid {
            Mode::Installed
        } else {
            Mode::Personal
        }
    }
}

static STARTED: OnceLock<Ids> = OnceLock::new();

fn now() -> Ids {
    Ids {
        real_uid: nix::unistd::getuid().as_raw(),
        real_gid: nix::unistd::getgid().as_raw(),
        service_uid: nix::unistd::geteuid().as_raw(),
    }
}

/// Take the ids as the process started, once; when installed, make the process
/// undumpable at once (no core file, no ptrace, no /proc/PID/{fd,mem,environ} for the
/// user who ran it). Call first thing in `main`.
pub fn startup() -> Ids {
    let ids = *STARTED.get_or_init(now);
    if ids.mode() == Mode::Installed {
        set_undumpable();
    }
    ids
}

/// The ids the process started with (taken now if [`startup`] was not called).
pub fn ids() -> Ids {
    *STARTED.get_or_init(now)
}

/// The mode of this process, from its ids at start: installed when the effective uid
/// was not the real uid (a setuid binary run by someone else).
pub fn current() -> Mode {
    ids().mode()
}

/// Whether this process runs installed.
pub fn installed() -> bool {
    current() == Mode::Installed
}

/// The uid that owns the installed data dir, keys and live sockets (the effective uid
/// at start); None in personal mode.
pub fn service_uid() -> Option<u32> {
    let ids = ids();
    (ids.mode() == Mode::Installed).then_some(ids.service_uid)
}

/// Keep the process undumpable: the kernel then refuses ptrace and /proc/PID/{mem,fd,
/// environ} to everyone but root, whatever the process's ids become later.
pub fn set_undumpable() {
    // SAFETY: PR_SET_DUMPABLE takes an integer argument and touches no memory.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
}

/// Give the service identity up for good: real, effective and saved uid all become the
/// real uid (root stays root). Supplementary groups are the caller's already (a setuid
/// binary does not change them).
pub fn drop_to_real_user() -> std::io::Result<()> {
    let ids = ids();
    let uid = Uid::from_raw(ids.real_uid);
    let gid = Gid::from_raw(ids.real_gid);
    nix::unistd::setresgid(gid, gid, gid)?;
    nix::unistd::setresuid(uid, uid, uid)?;
    // Undumpable stays: the process may still hold descriptors opened before the drop.
    set_undumpable();
    if nix::unistd::geteuid() != uid {
        return Err(std::io::Error::other(
            "the service identity could not be dropped",
        ));
    }
    Ok(())
}

/// Open files as the real user on this thread only (its filesystem uid), e.g. a PTY the
/// user must own or the user's own terminal; other threads keep the service identity.
pub fn with_user_fsuid<T>(f: impl FnOnce() -> T) -> T {
    let ids = ids();
    if ids.mode() == Mode::Personal {
        return f();
    }
    // SAFETY: setfsuid only changes this thread's filesystem uid; it cannot fail in a
    // way that matters here (the real and service uids are both allowed).
    unsafe { libc::setfsuid(ids.real_uid) };
    let out = f();
    // SAFETY: as above, back to the service uid (still the effective uid).
    unsafe { libc::setfsuid(nix::unistd::geteuid().as_raw()) };
    out
}

/// Act as the real user for a while (filesystem access, new PTYs), then as the service
/// again: the effective uid is switched, the saved uid keeps the way back.
pub fn as_real_user<T>(f: impl FnOnce() -> T) -> std::io::Result<T> {
    let ids = ids();
    if ids.mode() == Mode::Personal || nix::unistd::geteuid().as_raw() == ids.real_uid {
        return Ok(f());
    }
    nix::unistd::seteuid(Uid::from_raw(ids.real_uid))?;
    let out = f();
    nix::unistd::seteuid(Uid::from_raw(ids.service_uid))?;
    Ok(out)
}
