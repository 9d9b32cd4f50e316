//! The session signing key pair: an Ed25519 key that only the service user can read,
//! and its public half beside the policy. Files: the private key is the 32-byte seed in
//! hex on one line; the public key is the 32-byte key in hex on one line.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result};
use ed25519_dalek::SigningKey;

/// Mode of the private key file.
const PRIVATE_MODE: u32 = 0o600;
/// Mode of the public key file.
const PUBLIC_MODE: u32 = 0o644;

/// Write a new file (never over one, never through a symlink) and sync it.
pub(crate) fn write_new(path: &Path, mode: u32, text: &str) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Make the key pair unless the private key exists; true when it was made. An existing
/// private key whose public file is missing has the public file written again.
pub fn ensure_keypair(private: &Path, public: &Path) -> Result<bool> {
    if std::fs::symlink_metadata(private).is_ok() {
        if std::fs::symlink_metadata(public).is_err() {
            let seed = std::fs::read_to_string(private)
                .with_context(|| format!("cannot read {}", private.display()))?;
            let seed: [u8; 32] = hex::decode(seed.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .with_context(|| format!("{} is not a 32-byte hex seed", private.display()))?;
            let key = SigningKey::from_bytes(&seed);
            write_new(
                public,
                PUBLIC_MODE,
                &format!("{}\n", hex::encode(key.verifying_key().as_bytes())),
            )?;
        }
        return Ok(false);
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot read random bytes for the signing key")?;
    let key = SigningKey::from_bytes(&seed);
    write_new(private, PRIVATE_MODE, &format!("{}\n", hex::encode(seed)))?;
    let _ = std::fs::remove_file(public);
    write_new(
        public,
        PUBLIC_MODE,
        &format!("{}\n", hex::encode(key.verifying_key().as_bytes())),
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn makes_a_pair_once() {
        let t = tempfile::tempdir().unwrap();
        let (private, public) = (t.path().join("k"), t.path().join("k.pub"));
        assert!(ensure_keypair(&private, &public).unwrap());
        let seed = std::fs::read_to_string(&private).unwrap();
        let pubhex = std::fs::read_to_string(&public).unwrap();
        assert_eq!(seed.trim().len(), 64);
        let key = SigningKey::from_bytes(&hex::decode(seed.trim()).unwrap().try_into().unwrap());
        assert_eq!(pubhex.trim(), hex::encode(key.verifying_key().as_bytes()));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&private), mode(&public)), (0o600, 0o644));
        assert!(!ensure_keypair(&private, &public).unwrap());
        assert_eq!(std::fs::read_to_string(&private).unwrap(), seed);
        std::fs::remove_file(&public).unwrap();
        assert!(!ensure_keypair(&private, &public).unwrap());
        assert_eq!(std::fs::read_to_string(&public).unwrap(), pubhex);
    }
}
