//! `breakglass ca init|pubkey`: the fire id certificate authority. `init` (root, from the
//! installed binary, safe to run again) makes the CA key pair: the private key in the
//! data dir's keys/ for the service user alone, the public key beside the policy.

use anyhow::Result;
use nix::unistd::{Gid, Uid};
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, LineEnding, PrivateKey, PublicKey};

use super::init::{as_installed_root, make_dir, set_owner};
use crate::cli::{CaAction, CaArgs};
use crate::error::Failure;
use crate::fireid::session::{FIRE_DIR, PRIVATE_DIR_MODE};
use crate::fireid::{CA_KEY_FILE, CA_PUB_FILE, cert};
use crate::installed::store::KEYS_MODE;
use crate::sign::write_new;

/// Mode of the CA private key: the service user's alone.
const CA_KEY_MODE: u32 = 0o600;
/// Mode of the CA public key: anyone may read it.
const CA_PUB_MODE: u32 = 0o644;
/// The comment of the CA public key (what `ssh-keygen -l` shows).
const CA_COMMENT: &str = "breakglass fire id CA";

pub fn run(args: &CaArgs) -> Result<i32> {
    match args.action {
        CaAction::Init => init(),
        CaAction::Pubkey => pubkey(),
    }
}

fn init() -> Result<i32> {
    let (policy, svc) = as_installed_root("ca init", "Fire id")?;
    let data = policy.data_dir();
    if !data.join("keys").is_dir() {
        return Err(Failure::usage(format!(
            "no data dir at {}: run `breakglass init` first",
            data.display()
        ))
        .into());
    }
    make_dir(&data.join("keys"), svc.uid, svc.gid, KEYS_MODE)?;
    make_dir(&data.join(FIRE_DIR), svc.uid, svc.gid, PRIVATE_DIR_MODE)?;
    let private = data.join(CA_KEY_FILE);
    let public = policy.dir.join(CA_PUB_FILE);
    let made = if std::fs::symlink_metadata(&private).is_ok() {
        false
    } else {
        let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)
            .map_err(|e| anyhow::anyhow!("cannot make the CA key: {e}"))?;
        let text = key
            .to_openssh(LineEnding::LF)
            .map_err(|e| anyhow::anyhow!("cannot encode the CA key: {e}"))?;
        write_new(&private, CA_KEY_MODE, &text)?;
        let _ = std::fs::remove_file(&public);
        true
    };
    set_owner(&private, false, svc.uid, svc.gid, CA_KEY_MODE)?;
    let key = crate::fireid::session::load_ca(&data)?;
    let mut line = key
        .public_key()
        .to_openssh()
        .map_err(|e| anyhow::anyhow!("cannot encode the CA public key: {e}"))?;
    line = format!("{line} {CA_COMMENT}\n");
    if std::fs::read(&public).ok().as_deref() != Some(line.as_bytes()) {
        let _ = std::fs::remove_file(&public);
        write_new(&public, CA_PUB_MODE, &line)?;
    }
    set_owner(
        &public,
        false,
        Uid::from_raw(0),
        Gid::from_raw(0),
        CA_PUB_MODE,
    )?;
    println!(
        "fire id CA {} {}: private key {} ({}, 0600), public key {}",
        cert::fingerprint(&key),
        if made { "created" } else { "kept" },
        private.display(),
        svc.name,
        public.display()
    );
    Ok(0)
}

fn pubkey() -> Result<i32> {
    let dir = crate::installed::policy::running_policy_dir().ok_or_else(|| {
        Failure::usage(
            "this breakglass is not installed in PREFIX/bin/, so it has no CA (README: Fire id)",
        )
    })?;
    let path = dir.join(CA_PUB_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::not_found(format!(
            "no fire id CA public key at {} ({e}): as root, run `breakglass ca init`",
            path.display()
        ))
    })?;
    let key = PublicKey::from_openssh(text.trim()).map_err(|e| {
        Failure::tool(format!(
            "{} is not an OpenSSH public key ({e}): as root, run `breakglass ca init`",
            path.display()
        ))
    })?;
    println!(
        "{}",
        key.to_openssh()
            .map_err(|e| anyhow::anyhow!("cannot encode the CA public key: {e}"))?
    );
    Ok(0)
}
