//! Sealed input: masked input encrypted to the auditors' age keys (`seal_to`), so that
//! watchers and reviewers never see a password while an investigation can still open what
//! was typed. The crypto is the `age` crate's (X25519 recipients); nothing here is home made.
//!
//! A sealed blob is one binary age file whose plaintext is exactly the masked bytes.

use std::io::{Read, Write};
use std::path::Path;

use thiserror::Error;

/// Every age file begins with this line; a `sealed` field that does not is refused.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Most masked bytes sealed in one record: a masked line longer than this is sealed in
/// several records. Far above any password, and it bounds what a record holds
/// (base64 of 4 KiB plus the age header stays far under the 1 MiB line limit).
pub const SEAL_MAX: usize = 4096;

/// Most bytes `reveal` decrypts from one blob: a blob claiming more is not one breakglass
/// wrote, and is not read on into memory.
const OPEN_MAX: u64 = SEAL_MAX as u64;

/// Why `seal_to` was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("`seal_to` is empty: give at least one age public key (age1...)")]
    Empty,
    #[error("`{0}` is not an age X25519 public key (age1..., from `age-keygen -y`)")]
    NotAKey(String),
}

/// Why a sealed blob could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error("sealed to other keys than the identity given")]
    NoMatchingKey,
    #[error("the sealed blob is damaged: {0}")]
    Damaged(String),
}

/// The auditors' public keys, ready to seal to.
#[derive(Clone)]
pub struct Sealer {
    recipients: Vec<age::x25519::Recipient>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({} recipients)", self.recipients.len())
    }
}

impl Sealer {
    /// Parse `seal_to`: one or more `age1...` X25519 public keys.
    pub fn parse(keys: &[String]) -> Result<Sealer, KeyError> {
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        let recipients = keys
            .iter()
            .map(|k| {
                k.trim()
                    .parse::<age::x25519::Recipient>()
                    .map_err(|_| KeyError::NotAKey(k.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sealer { recipients })
    }

    /// Encrypt `bytes` to every recipient: one binary age file.
    pub fn seal(&self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let enc = age::Encryptor::with_recipients(
            self.recipients.iter().map(|r| r as &dyn age::Recipient),
        )
        .map_err(std::io::Error::other)?;
        let mut out = Vec::with_capacity(bytes.len() + 256);
        let mut w = enc.wrap_output(&mut out)?;
        w.write_all(bytes)?;
        w.finish()?;
        Ok(out)
    }
}

/// The identities of an age identity file (`AGE-SECRET-KEY-1...` lines, `#` comments).
pub fn load_identities(path: &Path) -> anyhow::Result<Vec<Box<dyn age::Identity>>> {
    let text = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read identity file {}: {e} (--identity takes the auditor's age key file, made by age-keygen)",
            crate::safe::text(&path.display().to_string())
        )
    })?;
    let ids = age::IdentityFile::from_buffer(&text[..])
        .and_then(|f| f.into_identities().map_err(std::io::Error::other))
        .map_err(|e| {
            anyhow::anyhow!(
                "{} is not an age identity file (make one with age-keygen): {e}",
                crate::safe::text(&path.display().to_string())
            )
        })?;
    if ids.is_empty() {
        anyhow::bail!(
            "{} holds no age identity (make one with age-keygen)",
            crate::safe::text(&path.display().to_string())
        );
    }
    Ok(ids)
}

/// Decrypt one sealed blob with any of `identities`.
pub fn open(identities: &[Box<dyn age::Identity>], blob: &[u8]) -> Result<Vec<u8>, OpenError> {
    let dec = age::Decryptor::new_buffered(blob).map_err(|e| OpenError::Damaged(e.to_string()))?;
    let mut r = dec
        .decrypt(identities.iter().map(|i| i.as_ref()))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => OpenError::NoMatchingKey,
            e => OpenError::Damaged(e.to_string()),
        })?;
    let mut out = Vec::new();
    (&mut r)
        .take(OPEN_MAX + 1)
        .read_to_end(&mut out)
        .map_err(|e| OpenError::Damaged(e.to_string()))?;
    if out.len() as u64 > OPEN_MAX {
        return Err(OpenError::Damaged(
            "more bytes than a sealed record holds".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn seals_to_every_key_and_opens_with_any() {
        let a = age::x25519::Identity::generate();
        let b = age::x25519::Identity::generate();
        let sealer =
            Sealer::parse(&[a.to_public().to_string(), b.to_public().to_string()]).unwrap();
        let blob = sealer.seal(b"hunter2\x1b[A").unwrap();
        assert!(blob.starts_with(AGE_MAGIC));
        assert!(!blob.windows(7).any(|w| w == b"hunter2"));
        for id in [a, b] {
            let file = format!("# auditor\n{}\n", id.to_string().expose_secret());
            let ids = age::IdentityFile::from_buffer(file.as_bytes())
                .unwrap()
                .into_identities()
                .unwrap();
            assert_eq!(open(&ids, &blob).unwrap(), b"hunter2\x1b[A");
        }
        let other: Vec<Box<dyn age::Identity>> = vec![Box::new(age::x25519::Identity::generate())];
        assert!(matches!(open(&other, &blob), Err(OpenError::NoMatchingKey)));
        let mut cut = blob.clone();
        cut.truncate(blob.len() - 3);
        let ids: Vec<Box<dyn age::Identity>> = vec![];
        assert!(open(&ids, &cut).is_err());
    }

    #[test]
    fn refuses_what_is_not_a_public_key() {
        assert_eq!(Sealer::parse(&[]).unwrap_err(), KeyError::Empty);
        let id = age::x25519::Identity::generate();
        let secret = id.to_string().expose_secret().to_string();
        assert!(matches!(
            Sealer::parse(&[secret]).unwrap_err(),
            KeyError::NotAKey(_)
        ));
        assert!(Sealer::parse(&[format!(" {} ", id.to_public())]).is_ok());
    }
}
