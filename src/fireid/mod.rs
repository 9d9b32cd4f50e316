//! Fire id: per-session OpenSSH user certificates that the developer never holds.
//!
//! A host with `fire_id` in the policy is reached as that remote user with a fresh key and
//! a certificate signed by the breakglass CA, whose private key only the service user can
//! read. This module turns the policy's host table into a [`Target`] and keeps the fire
//! id hosts the policy's own; [`cert`] makes the certificate (pure), [`ssh`] the ssh
//! invocation, [`session`] the files of one session and their removal.

pub mod cert;
pub mod session;
pub mod ssh;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{Config, HostConfig};

/// The CA private key, in the data dir (0600, the service user's).
pub const CA_KEY_FILE: &str = "keys/ca.key";
/// The CA public key, beside the policy (what production hosts trust).
pub const CA_PUB_FILE: &str = "ca.pub";
/// Most principals one host may name (a certificate lists each one).
const MAX_PRINCIPALS: usize = 16;
/// Most `source_address` entries (sshd reads them as one comma-separated list).
const MAX_SOURCES: usize = 64;

/// `fire_id = "firefighter"` or `fire_id = ["firefighter", "dba"]`: the first is the
/// remote user, all of them are the certificate's principals.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Principals {
    One(String),
    Many(Vec<String>),
}

impl Principals {
    pub fn list(&self) -> Vec<String> {
        match self {
            Principals::One(p) => vec![p.clone()],
            Principals::Many(v) => v.clone(),
        }
    }
}

/// Everything a fire id session needs to know about its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host's name in the policy (`[hosts.NAME]`).
    pub name: String,
    pub address: String,
    pub port: u16,
    /// The remote user first, then any other principals.
    pub principals: Vec<String>,
    pub source_address: Vec<String>,
    pub known_hosts: PathBuf,
}

impl Target {
    /// The remote user: the first principal.
    pub fn user(&self) -> &str {
        &self.principals[0]
    }
}

/// Made of ASCII letters, digits and `extra`, and not taken for an option.
fn plain(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// A host name or an IPv4/IPv6 address (with an optional `%zone`): no `user@`, no spaces.
fn address_ok(s: &str) -> bool {
    plain(s, b"._-:%")
}

/// A user name as useradd makes them.
fn user_ok(s: &str) -> bool {
    plain(s, b"._-")
}

/// A `source-address` entry: an IPv4 or IPv6 address with an optional `/bits`.
fn cidr(s: &str) -> bool {
    let (addr, bits) = s.split_once('/').unwrap_or((s, ""));
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.is_empty() || bits.parse::<u32>().is_ok_and(|b| b <= max)
}

/// Check the fire id keys of one `[hosts.NAME]` table; the error names the key and fix.
pub fn check_host(name: &str, h: &HostConfig, known_hosts: Option<&Path>) -> Result<(), String> {
    let Some(fire) = &h.fire_id else {
        if h.address.is_some() || h.port.is_some() || !h.source_address.is_empty() {
            return Err("has address, port or source_address but no fire_id: add fire_id = \"USER\" or remove them".into());
        }
        return Ok(());
    };
    let principals = fire.list();
    if principals.is_empty() || principals.len() > MAX_PRINCIPALS {
        return Err(format!(
            "fire_id must name 1 to {MAX_PRINCIPALS} remote users"
        ));
    }
    if let Some(p) = principals.iter().find(|p| !user_ok(p)) {
        return Err(format!(
            "fire_id `{}` is not a user name",
            crate::safe::text(p)
        ));
    }
    if h.command.is_some() {
        return Err("has both command and fire_id: a fire id host runs breakglass's own ssh; remove command".into());
    }
    if !h.address.as_deref().is_some_and(address_ok) {
        return Err("needs address = \"NAME-OR-IP\" (the ssh destination) with fire_id".into());
    }
    if h.port == Some(0) {
        return Err("port must be 1 to 65535".into());
    }
    if h.source_address.len() > MAX_SOURCES {
        return Err(format!(
            "source_address has more than {MAX_SOURCES} entries"
        ));
    }
    if let Some(s) = h.source_address.iter().find(|s| !cidr(s)) {
        return Err(format!(
            "source_address `{}` is not an address or CIDR such as \"10.0.0.5/32\"",
            crate::safe::text(s)
        ));
    }
    match known_hosts {
        Some(k) if k.is_absolute() => Ok(()),
        _ => Err(format!(
            "has fire_id `{}`, which needs known_hosts = \"/etc/breakglass/known_hosts\" (an absolute path) at the top of the policy",
            crate::safe::text(name)
        )),
    }
}

/// The fire id target of host `name`, if the config gives it a fire id.
pub fn target(cfg: &Config, name: &str) -> Option<Target> {
    let h = cfg.hosts.get(name)?;
    let principals = h.fire_id.as_ref()?.list();
    Some(Target {
        name: name.to_string(),
        address: h.address.clone()?,
        port: h.port.unwrap_or(22),
        principals,
        source_address: h.source_address.clone(),
        known_hosts: cfg.known_hosts.clone()?,
    })
}

/// Where a user's config is honoured: fire ids, their hosts and the known-hosts file stay
/// the policy's; a user's host table can neither add a fire id nor change one.
pub fn keep_policy_hosts(
    policy_hosts: BTreeMap<String, HostConfig>,
    known_hosts: Option<PathBuf>,
    user: &mut Config,
) {
    user.known_hosts = known_hosts;
    user.hosts.retain(|_, h| h.fire_id.is_none());
    for (name, h) in policy_hosts {
        if h.fire_id.is_some() {
            user.hosts.insert(name, h);
        }
    }
}

/// One line for reviewers: whom the session was on the host as, and its certificate.
pub fn describe(c: &crate::log::record::CertBinding) -> String {
    let at = crate::time::utc_seconds;
    format!(
        "{} (certificate serial {}, key id {}, valid {} to {}, CA {})",
        c.principals.join(", "),
        c.serial,
        c.key_id,
        at(c.valid_after),
        at(c.valid_before),
        c.ca
    )
}

#[cfg(test)]
mod tests;
