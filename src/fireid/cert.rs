//! The fire id certificate: a fresh Ed25519 key and an OpenSSH user certificate for it,
//! signed by the CA, with the session in its key id. Pure: keys, randomness and the time
//! come in as arguments, so every property is tested on bytes in memory.

use std::time::Duration;

use ssh_key::certificate::{Builder, CertType};
use ssh_key::rand_core::CryptoRngCore;
use ssh_key::{Algorithm, Certificate, HashAlg, PrivateKey};

use crate::log::record::CertBinding;

/// The certificate is valid from this long before now, so a host whose clock is a little
/// behind the bastion's still accepts it (OpenSSH's own `ssh-keygen -V -1m:` habit).
pub const BACKDATE: Duration = Duration::from_secs(60);
/// The certificate stays valid this long after the session's time limit, so the limit
/// itself (which ends the session) and not the certificate decides when it stops, even
/// with a few seconds of clock difference; after it the certificate is useless.
pub const MARGIN: Duration = Duration::from_secs(60);
/// The only extension: a terminal. No agent, port or X11 forwarding, no user rc.
pub const EXTENSION: &str = "permit-pty";

/// What a certificate is issued for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub session: &'a str,
    pub user: &'a str,
    pub ticket: Option<&'a str>,
    pub principals: &'a [String],
    pub source_address: &'a [String],
    /// Unix seconds now, and the session's time limit.
    pub now: u64,
    pub ttl: Duration,
}

/// A session's key pair and certificate. The private key is zeroized when dropped.
pub struct Issued {
    pub key: PrivateKey,
    pub cert: Certificate,
}

/// `breakglass:<session>:<user>:<ticket>` (empty ticket when there is none); sshd logs it.
pub fn key_id(session: &str, user: &str, ticket: Option<&str>) -> String {
    format!("breakglass:{session}:{user}:{}", ticket.unwrap_or(""))
}

/// Valid after and before, Unix seconds: [`BACKDATE`] before now to the time limit plus
/// [`MARGIN`].
pub fn validity(now: u64, ttl: Duration) -> (u64, u64) {
    (
        now.saturating_sub(BACKDATE.as_secs()),
        now.saturating_add(ttl.as_secs())
            .saturating_add(MARGIN.as_secs()),
    )
}

/// The fingerprint as ssh-keygen prints it (`SHA256:...`).
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

/// Make a key pair and sign its certificate with `ca`.
pub fn issue(
    ca: &PrivateKey,
    req: &Request<'_>,
    rng: &mut impl CryptoRngCore,
) -> ssh_key::Result<Issued> {
    let key = PrivateKey::random(rng, Algorithm::Ed25519)?;
    let (after, before) = validity(req.now, req.ttl);
    let mut b = Builder::new_with_random_nonce(rng, key.public_key(), after, before)?;
    b.serial(rng.next_u64())?
        .cert_type(CertType::User)?
        .key_id(key_id(req.session, req.user, req.ticket))?;
    for p in req.principals {
        b.valid_principal(p.clone())?;
    }
    if !req.source_address.is_empty() {
        b.critical_option("source-address", req.source_address.join(","))?;
    }
    b.extension(EXTENSION, "")?;
    let cert = b.sign(ca)?;
    Ok(Issued { key, cert })
}

/// What the genesis record keeps of a certificate.
pub fn binding(cert: &Certificate, ca: &PrivateKey) -> CertBinding {
    CertBinding {
        serial: format!("{:016x}", cert.serial()),
        key_id: cert.key_id().to_string(),
        principals: cert.valid_principals().to_vec(),
        valid_after: cert.valid_after(),
        valid_before: cert.valid_before(),
        ca: fingerprint(ca),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::rand_core::OsRng;

    fn request<'a>(principals: &'a [String], sources: &'a [String]) -> Request<'a> {
        Request {
            session: "20261130-052000-ab12",
            user: "dev",
            ticket: Some("INC-1"),
            principals,
            source_address: sources,
            now: 1_800_000_000,
            ttl: Duration::from_secs(1800),
        }
    }

    #[test]
    fn the_certificate_says_who_for_how_long_and_allows_only_a_terminal() {
        let ca = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let principals = vec!["firefighter".to_string()];
        let sources = vec!["10.0.0.5/32".to_string()];
        let got = issue(&ca, &request(&principals, &sources), &mut OsRng).unwrap();
        let c = &got.cert;
        assert_eq!(c.cert_type(), CertType::User);
        assert_eq!(c.key_id(), "breakglass:20261130-052000-ab12:dev:INC-1");
        assert_eq!(c.valid_principals(), &principals[..]);
        assert_eq!(c.valid_after(), 1_800_000_000 - 60);
        assert_eq!(c.valid_before(), 1_800_000_000 + 1800 + 60);
        let ext: Vec<_> = c.extensions().iter().collect();
        assert_eq!(ext, vec![(&"permit-pty".to_string(), &String::new())]);
        let opts: Vec<_> = c.critical_options().iter().collect();
        assert_eq!(
            opts,
            vec![(&"source-address".to_string(), &"10.0.0.5/32".to_string())]
        );
        assert_eq!(c.public_key(), got.key.public_key().key_data());
        // Signed by the CA and by nothing else.
        let fp = ca.public_key().fingerprint(HashAlg::Sha256);
        c.validate_at(1_800_000_000, [&fp]).unwrap();
        let other = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let ofp = other.public_key().fingerprint(HashAlg::Sha256);
        assert!(c.validate_at(1_800_000_000, [&ofp]).is_err());
        // Useless after its validity.
        assert!(c.validate_at(1_800_000_000 + 1800 + 61, [&fp]).is_err());
        // The text form round-trips, as ssh reads it.
        let text = c.to_openssh().unwrap();
        assert!(text.starts_with("ssh-ed25519-cert-v01@openssh.com "));
        assert_eq!(&Certificate::from_openssh(&text).unwrap(), c);
    }

    #[test]
    fn no_source_address_means_no_critical_option_and_every_issue_is_new() {
        let ca = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let principals = vec!["a".to_string(), "b".to_string()];
        let req = request(&principals, &[]);
        let one = issue(&ca, &req, &mut OsRng).unwrap();
        let two = issue(&ca, &req, &mut OsRng).unwrap();
        assert!(one.cert.critical_options().is_empty());
        assert_ne!(one.cert.serial(), two.cert.serial());
        assert_ne!(one.key.public_key(), two.key.public_key());
        let b = binding(&one.cert, &ca);
        assert_eq!(b.serial.len(), 16);
        assert_eq!(b.principals, principals);
        assert!(b.ca.starts_with("SHA256:"));
        assert_eq!(b.ca, fingerprint(&ca));
    }

    #[test]
    fn key_id_and_validity_edges() {
        assert_eq!(key_id("s", "u", None), "breakglass:s:u:");
        assert_eq!(validity(10, Duration::from_secs(5)), (0, 75));
        assert_eq!(validity(u64::MAX, Duration::from_secs(5)).1, u64::MAX);
    }
}
