//! Which of the two trust modes this process runs in.
//!
//! Personal: run as the user, with the user's own data dir; it proves nothing against
//! that user. Installed: the binary is setuid to a service user (never root), so the
//! effective uid differs from the real one; the policy comes from root and the records
//! belong to the service user. docs/SECURITY.md states what each mode proves.

/// The two trust modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Personal,
    Installed,
}

/// The mode of this process, from its ids: installed when the effective uid is not the
/// real uid (a setuid binary run by someone else).
pub fn current() -> Mode {
    if nix::unistd::getuid() != nix::unistd::geteuid() {
        Mode::Installed
    } else {
        Mode::Personal
    }
}

/// Whether this process runs installed.
pub fn installed() -> bool {
    current() == Mode::Installed
}
