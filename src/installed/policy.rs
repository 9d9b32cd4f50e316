//! Where an installed binary finds its policy, and loading it only when root (or the
//! service user) controls every step of the way to it.
//!
//! The policy dir is derived from the binary's own path (`/proc/self/exe`, which the
//! user cannot change): `<prefix>/bin/breakglass` reads `<prefix>/etc/breakglass/`, and
//! the system prefixes `/usr` and `/usr/local` read `/etc/breakglass/`. The binary's dir
//! and the policy's dirs must pass the StrictModes check, so a copy or link of the
//! binary in a dir a user can write is refused rather than pointed at their own policy.

use std::path::{Path, PathBuf};

use super::strict::{self, Untrusted};
use crate::config::Config;
use crate::error::Failure;

/// Where installed sessions are kept when the policy sets no `dir`.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/breakglass";
/// The policy file in the policy dir.
pub const POLICY_FILE: &str = "config.toml";
/// The signing public key, beside the policy.
pub const PUBLIC_KEY_FILE: &str = "signing.pub";
/// The signing private key, in `<data dir>/keys/` (0700, the service user's).
pub const PRIVATE_KEY_FILE: &str = "keys/signing.key";
/// Prefixes whose configuration lives in `/etc` (the FHS rule).
const SYSTEM_PREFIXES: &[&str] = &["/", "/usr", "/usr/local"];

/// The policy dir for a binary at `exe`, which must lie in `<prefix>/bin/`.
pub fn policy_dir_for(exe: &Path) -> Option<PathBuf> {
    let bin = exe.parent()?;
    if bin.file_name()? != "bin" {
        return None;
    }
    let prefix = bin.parent()?;
    if SYSTEM_PREFIXES.iter().any(|p| Path::new(p) == prefix) {
        Some(PathBuf::from("/etc/breakglass"))
    } else {
        Some(prefix.join("etc/breakglass"))
    }
}

/// The policy dir of the running binary (None if it does not lie in `PREFIX/bin/`), e.g.
/// to find the public key beside the policy; unchecked: [`Policy::load`] checks.
pub fn running_policy_dir() -> Option<PathBuf> {
    policy_dir_for(&std::fs::read_link("/proc/self/exe").ok()?)
}

/// The installed policy.
#[derive(Debug)]
pub struct Policy {
    /// The dir holding the policy file and the public key.
    pub dir: PathBuf,
    pub config: Config,
}

impl Policy {
    pub fn file(&self) -> PathBuf {
        self.dir.join(POLICY_FILE)
    }

    /// The data dir: the policy's `dir`, else [`DEFAULT_DATA_DIR`].
    pub fn data_dir(&self) -> PathBuf {
        self.config
            .dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The signing public key, beside the policy file.
    pub fn public_key(&self) -> PathBuf {
        self.dir.join(PUBLIC_KEY_FILE)
    }

    /// The signing private key, readable by the service user only.
    pub fn private_key(&self) -> PathBuf {
        self.data_dir().join(PRIVATE_KEY_FILE)
    }

    /// Find and load the policy of the running binary, checking the binary's dir, the
    /// policy file and every dir above them.
    pub fn load(service: u32) -> Result<Policy, Failure> {
        let exe = std::fs::read_link("/proc/self/exe")
            .map_err(|e| Failure::tool(format!("cannot find the running binary: {e}")))?;
        // A binary replaced while it runs reads `PATH (deleted)`, which the check below
        // cannot find: refused.
        let untrusted = |e: Untrusted| {
            Failure::tool(format!(
                "installed breakglass refuses its setup: {e} (README: Install on a bastion)"
            ))
        };
        strict::check_chain(&exe, service).map_err(untrusted)?;
        let dir = policy_dir_for(&exe).ok_or_else(|| {
            Failure::tool(format!(
                "installed breakglass must lie in PREFIX/bin/, not {}",
                exe.display()
            ))
        })?;
        let file = dir.join(POLICY_FILE);
        if std::fs::symlink_metadata(&file).is_err() {
            return Err(Failure::tool(format!(
                "no policy at {}: as root, write it and run `breakglass init` (README: Install on a bastion)",
                file.display()
            )));
        }
        strict::check_chain(&file, service).map_err(untrusted)?;
        let config = Config::from_file(&file)?;
        if config.dir.as_ref().is_some_and(|d| !d.is_absolute()) {
            return Err(Failure::tool(format!(
                "bad policy {}: `dir` must be an absolute path",
                file.display()
            )));
        }
        Ok(Policy { dir, config })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_dir_follows_the_prefix() {
        let p = |s: &str| policy_dir_for(Path::new(s));
        assert_eq!(p("/usr/bin/breakglass"), Some("/etc/breakglass".into()));
        assert_eq!(
            p("/usr/local/bin/breakglass"),
            Some("/etc/breakglass".into())
        );
        assert_eq!(p("/bin/breakglass"), Some("/etc/breakglass".into()));
        assert_eq!(
            p("/opt/bg/bin/breakglass"),
            Some("/opt/bg/etc/breakglass".into())
        );
        assert_eq!(p("/opt/bg/breakglass"), None);
        assert_eq!(p("/home/u/breakglass"), None);
    }

    #[test]
    fn data_dir_defaults() {
        let mut pol = Policy {
            dir: "/etc/breakglass".into(),
            config: Config::default(),
        };
        assert_eq!(pol.data_dir(), Path::new(DEFAULT_DATA_DIR));
        assert_eq!(
            pol.private_key(),
            Path::new("/var/lib/breakglass/keys/signing.key")
        );
        pol.config.dir = Some("/srv/bg".into());
        assert_eq!(pol.data_dir(), Path::new("/srv/bg"));
        assert_eq!(pol.public_key(), Path::new("/etc/breakglass/signing.pub"));
    }
}
