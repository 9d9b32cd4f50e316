//! Shipping to an S3 bucket with Object Lock, and reading back from it.
//!
//! Every session and the ledger are copied, while they are recorded, to
//! `s3://BUCKET/PREFIX/BASTION/...` as create-only chunk objects of whole records
//! (`layout`), by a shipper thread that reads the local logs (`shipper`). The review
//! commands can read the bucket instead of a data dir (`source`), and `verify --all`
//! holds local logs against what was shipped (`witness`).

pub mod client;
pub mod config;
pub mod credentials;
pub mod layout;
pub mod progress;
pub mod shipper;
pub mod source;
pub mod witness;

use std::time::Duration;

use anyhow::Result;

use crate::error::Failure;
use crate::safe;
use crate::store::Store;
use client::Bucket;
use config::StoreConfig;
use shipper::{Running, Tally};

/// The data dir's lock file: whoever holds it ships the dir.
const LOCK_FILE: &str = "ship.lock";
/// With `require_store`, how long the start mark may take before the session is refused.
const REQUIRE_WAIT: Duration = Duration::from_secs(20);
/// After a session, how long its last chunks may take before they are left for later.
const END_WAIT: Duration = Duration::from_secs(15);

/// The name of the shipping lock file in a data dir.
pub fn lock_name() -> &'static str {
    LOCK_FILE
}

/// Where to ship: the store's settings and this bastion's name.
#[derive(Debug, Clone)]
pub struct Target {
    pub cfg: StoreConfig,
    /// A URL given on the command line instead of the config's.
    pub url: Option<String>,
    pub bastion: String,
}

impl Target {
    /// The configured target, if the config has a `[store]`; `url` overrides its URL.
    pub fn configured(cfg: &crate::config::Config, url: Option<&str>) -> Option<Target> {
        let s = cfg.store.clone().or_else(|| {
            url.map(|u| StoreConfig {
                url: u.to_string(),
                ..StoreConfig::default()
            })
        })?;
        let bastion = s.bastion.clone().unwrap_or_else(crate::session::hostname);
        Some(Target {
            cfg: s,
            url: url.map(str::to_string),
            bastion,
        })
    }

    /// Connect; must be called in the thread that will use the bucket.
    pub fn open(&self) -> Result<Bucket> {
        Bucket::open(&self.cfg, self.url.as_deref())
    }

    /// The URL shown to people.
    pub fn shown(&self) -> String {
        safe::text(self.url.as_deref().unwrap_or(&self.cfg.url)).into_owned()
    }
}

/// Write a start mark: proof the store takes writes before a session starts.
fn start_mark(target: &Target, bucket: &Bucket) -> Result<()> {
    let time = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.6fZ")
        .to_string();
    let nonce = crate::store::new_id()?;
    let key = layout::start_key(&bucket.url.prefix, &target.bastion, &time, &nonce);
    let body = serde_json::json!({
        "bastion": target.bastion,
        "uid": nix::unistd::getuid().as_raw(),
        "time": time,
    });
    bucket.put_new(&key, body.to_string().into_bytes())?;
    Ok(())
}

/// Before a session: start the shipper if a store is configured. With `require_store`,
/// the store must take a write first, or the session does not start.
pub fn before_session(cfg: &crate::config::Config, store: &Store) -> Result<Option<Running>> {
    let Some(target) = Target::configured(cfg, None) else {
        return Ok(None);
    };
    if !cfg.require_store {
        return Ok(Some(Running::start(target, store.clone(), None)));
    }
    let (ready_tx, ready) = crossbeam_channel::bounded(1);
    let shown = target.shown();
    let running = Running::start(target, store.clone(), Some((ready_tx, start_mark)));
    match ready.recv_timeout(REQUIRE_WAIT) {
        Ok(Ok(())) => Ok(Some(running)),
        Ok(Err(e)) => Err(Failure::tool(format!(
            "the store {shown} cannot be written ({}), and require_store is set: no session without it; fix the store or its credentials, or ask an admin",
            safe::text(&e)
        ))
        .into()),
        Err(_) => Err(Failure::tool(format!(
            "the store {shown} did not answer within {}s, and require_store is set: no session without it",
            REQUIRE_WAIT.as_secs()
        ))
        .into()),
    }
}

/// After a session: ship what is left, and say how much reached the store.
pub fn after_session(running: Option<Running>, target_url: Option<String>) -> Option<String> {
    let running = running?;
    let url = target_url.unwrap_or_default();
    Some(match running.finish(END_WAIT) {
        None => format!(
            "store {url}: still shipping after {}s; the rest waits on disk: run `breakglass ship`\n",
            END_WAIT.as_secs()
        ),
        Some(t) => describe(&t, &url),
    })
}

/// One line about a shipper's tally.
pub fn describe(t: &Tally, url: &str) -> String {
    if t.elsewhere {
        return format!("store {url}: another breakglass process on this data dir ships it\n");
    }
    match (&t.error, t.waiting) {
        (None, 0) => format!("store {url}: everything shipped\n"),
        (err, n) => format!(
            "store {url}: {n} bytes wait on disk{}; they ship on the next start or with `breakglass ship`\n",
            err.as_ref()
                .map(|e| format!(" ({})", safe::text(e)))
                .unwrap_or_default()
        ),
    }
}
