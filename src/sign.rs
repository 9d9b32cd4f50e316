//! The signing key of a data dir: made once, read by the recorder to sign sessions and
//! ledger lines, and its public half found by `verify`.
//!
//! Files: `<data dir>/keys/signing.key` holds the 32-byte Ed25519 seed as lowercase hex on
//! one line (mode 0600); `signing.pub` the 32-byte public key the same way (0644). The
//! public key `verify` trusts comes from `--pubkey FILE`, else `signing.pub` beside the
//! config file in use, else `<data dir>/keys/signing.pub` (in personal mode that copy is
//! as writable as the sessions, so it proves nothing against their user).

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::log::seal::{self, SIG_LEN};

/// The dir of the keys inside a data dir.
pub const KEYS_DIR: &str = "keys";
/// File name of the private key.
pub const PRIVATE_NAME: &str = "signing.key";
/// File name of the public key.
pub const PUBLIC_NAME: &str = "signing.pub";
/// A key file is one line of 64 hex digits; anything much longer is not a key file, and
/// is not read whole.
const KEY_FILE_MAX: u64 = 256;

/// Where the private key of a data dir is.
pub fn private_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEYS_DIR).join(PRIVATE_NAME)
}

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

/// Where the data dir keeps a copy of its public key.
pub fn public_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEYS_DIR).join(PUBLIC_NAME)
}

/// Where the public key beside a config file is (what `verify` trusts first, after
/// `--pubkey`): `signing.pub` in the config's dir.
pub fn public_beside(config: &Path) -> Option<PathBuf> {
    config.parent().map(|d| d.join(PUBLIC_NAME))
}

/// Make a keypair if `private` does not exist: true when one was made. The private file
/// is created O_EXCL|O_NOFOLLOW with mode 0600, the public one (replaced) with 0644; the
/// seed comes from the OS's random source.
pub fn ensure_keypair(private: &Path, public: &Path) -> Result<bool> {
    if std::fs::symlink_metadata(private).is_ok() {
        let key = load_signing_key(private)?;
        if std::fs::symlink_metadata(public).is_err() {
            write_public(public, &key.verifying_key())?;
        }
        return Ok(false);
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot read the OS random source for a key")?;
    let key = SigningKey::from_bytes(&seed);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(private)
        .with_context(|| format!("cannot create the signing key {}", private.display()))?;
    let written = f
        .write_all(format!("{}\n", hex::encode(seed)).as_bytes())
        .and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(private);
        return Err(e).with_context(|| format!("cannot write {}", private.display()));
    }
    if let Err(e) = write_public(public, &key.verifying_key()) {
        let _ = std::fs::remove_file(private);
        return Err(e);
    }
    Ok(true)
}

/// Write a public key file (0644), replacing one that is there, never through a symlink.
fn write_public(path: &Path, key: &VerifyingKey) -> Result<()> {
    let tmp = path.with_extension("pub.new");
    let _ = std::fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write the public key {}", path.display()))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Read a key file: one line of 64 hex digits (a final LF allowed), opened O_NOFOLLOW.
fn read_key_bytes(path: &Path) -> Result<[u8; 32]> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut text = String::new();
    f.take(KEY_FILE_MAX)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    parse_key_hex(&text).with_context(|| format!("{} is not a breakglass key file", path.display()))
}

/// 64 lowercase hex digits, then at most one LF.
pub fn parse_key_hex(text: &str) -> Result<[u8; 32]> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.len() != 64
        || body
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        bail!("expected one line of 64 lowercase hex digits");
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(body, &mut out)?;
    Ok(out)
}

/// Load a private key file.
pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(&read_key_bytes(path)?))
}

/// Load a public key file.
pub fn load_public_key(path: &Path) -> Result<VerifyingKey> {
    VerifyingKey::from_bytes(&read_key_bytes(path)?)
        .map_err(|_| anyhow::anyhow!("{} does not hold an Ed25519 public key", path.display()))
}

/// The name of a key in records and reports (see `log::seal::key_id`).
pub fn fingerprint(key: &VerifyingKey) -> String {
    seal::key_id(key)
}

/// A loaded private key and its name.
pub struct Signer {
    key: SigningKey,
    id: String,
}

impl Signer {
    pub fn new(key: SigningKey) -> Signer {
        let id = fingerprint(&key.verifying_key());
        Signer { key, id }
    }

    /// The key's name, as it appears in `key` fields.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sign a message.
    pub fn sign(&self, msg: &[u8]) -> [u8; SIG_LEN] {
        self.key.sign(msg).to_bytes()
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// The signer for sessions recorded in `data_dir`: Some when its private key exists and
/// is readable. Installed, a missing or unreadable key is an error (the recorder fails
/// closed rather than record unsigned); personal, it means sessions are not signed. A key
/// file that is there but damaged is an error in both modes.
pub fn session_signer(data_dir: &Path, installed: bool) -> Result<Option<Signer>> {
    let path = private_path(data_dir);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !installed => return Ok(None),
        Err(e) => bail!(
            "cannot read the signing key {}: {e}; run `breakglass init` as root",
            path.display()
        ),
        Ok(m) if m.permissions().mode() & 0o077 != 0 => bail!(
            "the signing key {} can be read by others; run `chmod 600 {}`",
            path.display(),
            path.display()
        ),
        Ok(_) => {}
    }
    match load_signing_key(&path) {
        Ok(k) => {
            // A key put there by hand gets its public half beside it, for `verify`.
            let public = public_path(data_dir);
            if std::fs::symlink_metadata(&public).is_err() {
                let _ = write_public(&public, &k.verifying_key());
            }
            Ok(Some(Signer::new(k)))
        }
        Err(e) if !installed && is_permission(&e) => Ok(None),
        Err(e) => Err(e.context(
            "the recorder signs every session; run `breakglass init` as root to make the key",
        )),
    }
}

fn is_permission(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
}

/// The public key `verify` trusts, and where it came from.
#[derive(Clone)]
pub struct Trusted {
    pub key: VerifyingKey,
    pub id: String,
    pub source: PathBuf,
    /// It came from the data dir itself (personal mode: proves nothing against its user).
    pub in_data_dir: bool,
}

/// Find the trusted public key: `--pubkey`, else `signing.pub` beside the config in use,
/// else the data dir's copy. Errors only for a file named by `--pubkey`, or one that is
/// there but is not a key.
pub fn find_trusted(
    flag: Option<&Path>,
    config: Option<&Path>,
    data_dir: &Path,
) -> Result<Option<Trusted>> {
    let make = |path: &Path, in_data_dir| -> Result<Trusted> {
        let key = load_public_key(path)?;
        Ok(Trusted {
            id: fingerprint(&key),
            key,
            source: path.to_path_buf(),
            in_data_dir,
        })
    };
    if let Some(p) = flag {
        return make(p, false).map(Some);
    }
    let beside_config = config.and_then(public_beside);
    for (path, in_data_dir) in [(beside_config, false), (Some(public_path(data_dir)), true)] {
        if let Some(p) = path
            && std::fs::symlink_metadata(&p).is_ok()
        {
            return make(&p, in_data_dir).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keypair_is_made_once_with_its_modes() {
        let d = tempfile::tempdir().unwrap();
        let (sk, pk) = (d.path().join("signing.key"), d.path().join("signing.pub"));
        assert!(ensure_keypair(&sk, &pk).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&sk), mode(&pk)), (0o600, 0o644));
        let first = std::fs::read(&sk).unwrap();
        assert_eq!(first.len(), 65);
        assert!(!ensure_keypair(&sk, &pk).unwrap());
        assert_eq!(std::fs::read(&sk).unwrap(), first);
        let signer = Signer::new(load_signing_key(&sk).unwrap());
        assert_eq!(signer.verifying_key(), load_public_key(&pk).unwrap());
        assert!(signer.id().starts_with("ed25519:"));
    }

    #[test]
    fn a_private_key_is_never_written_through_a_symlink() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere");
        let sk = d.path().join("signing.key");
        std::os::unix::fs::symlink(&target, &sk).unwrap();
        assert!(ensure_keypair(&sk, &d.path().join("signing.pub")).is_err());
        assert!(!target.exists());
    }

    #[test]
    fn key_text_is_strict() {
        let ok = "ab".repeat(32);
        assert!(parse_key_hex(&ok).is_ok());
        assert!(parse_key_hex(&format!("{ok}\n")).is_ok());
        assert!(parse_key_hex(&format!("{ok}\n\n")).is_err());
        assert!(parse_key_hex(&ok.to_uppercase()).is_err());
        assert!(parse_key_hex(&ok[2..]).is_err());
    }

    #[test]
    fn the_signer_depends_on_the_mode() {
        let d = tempfile::tempdir().unwrap();
        assert!(session_signer(d.path(), false).unwrap().is_none());
        let err = session_signer(d.path(), true).err().unwrap().to_string();
        assert!(err.contains("breakglass init"), "{err}");
        std::fs::create_dir(d.path().join(KEYS_DIR)).unwrap();
        ensure_keypair(&private_path(d.path()), &public_path(d.path())).unwrap();
        std::fs::remove_file(public_path(d.path())).unwrap();
        let signer = session_signer(d.path(), false).unwrap().unwrap();
        let public = load_public_key(&public_path(d.path())).unwrap();
        assert_eq!(signer.verifying_key(), public);
        let loose = std::fs::Permissions::from_mode(0o640);
        std::fs::set_permissions(private_path(d.path()), loose).unwrap();
        let err = session_signer(d.path(), false).err().unwrap().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        let t = find_trusted(None, None, d.path()).unwrap().unwrap();
        assert!(t.in_data_dir);
    }
}
