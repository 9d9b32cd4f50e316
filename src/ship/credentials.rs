//! Where the store's credentials come from. Personal mode: the standard AWS chain
//! (environment, then the shared credentials file), or `credentials_file` from the config.
//! Installed mode: only `credentials_file`, which root's config names, owned by the
//! service user and readable by it alone; the invoking user's environment is not used,
//! since it could point the shipper at keys and buckets of the user's choosing.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{Result, bail};

/// Permission bits that let anyone but the owner read or change the file.
const OTHERS_BITS: u32 = 0o077;

/// The credentials file to read instead of the standard chain, if any.
pub fn file_to_use(configured: Option<&Path>) -> Option<&Path> {
    configured
}

/// Whether a file of this owner and mode may hold the store's keys for `euid`.
pub fn private_enough(owner: u32, mode: u32, euid: u32) -> Result<(), String> {
    if owner != euid {
        return Err(format!(
            "belongs to uid {owner}, not to the service user (uid {euid})"
        ));
    }
    if mode & OTHERS_BITS != 0 {
        return Err(format!(
            "has mode {:04o}: others may read it",
            mode & 0o7777
        ));
    }
    Ok(())
}

/// Refuse credentials that installed mode cannot trust.
pub fn check(configured: Option<&Path>) -> Result<()> {
    if !crate::mode::installed() {
        return Ok(());
    }
    let Some(p) = configured else {
        bail!(
            "installed mode reads the store's keys only from a file: set credentials_file in [store] of the config"
        );
    };
    let shown = crate::safe::text(&p.display().to_string()).into_owned();
    let m = std::fs::metadata(p)
        .map_err(|e| anyhow::anyhow!("cannot read the credentials file {shown}: {e}"))?;
    let euid = nix::unistd::geteuid().as_raw();
    private_enough(m.uid(), m.mode(), euid).map_err(|why| {
        anyhow::anyhow!(
            "the credentials file {shown} {why}: chown it to the service user and chmod 600"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_may_read() {
        assert!(private_enough(5, 0o100600, 5).is_ok());
        assert!(private_enough(5, 0o100400, 5).is_ok());
        assert!(private_enough(5, 0o100640, 5).unwrap_err().contains("0640"));
        assert!(private_enough(5, 0o100604, 5).is_err());
        assert!(
            private_enough(0, 0o100600, 5)
                .unwrap_err()
                .contains("uid 0")
        );
    }
}
