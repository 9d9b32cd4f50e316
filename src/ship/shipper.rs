//! The shipper: a thread beside the hub that copies the data dir's logs (every session
//! and the ledger) to the store in chunks of whole records. The local files are the
//! spool: the shipper only reads them, so a slow, dead or refusing store never slows or
//! stops a session; what is not shipped yet waits on disk and goes out when the store
//! answers again, or on the next start, or with `breakglass ship`.
//!
//! One shipper per data dir at a time (an flock on `ship.lock`): it ships every log in
//! the dir, so concurrent sessions on one bastion never write the same chunk twice.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::client::{Bucket, StoreError};
use super::layout::{self, chunk_key, whole_lines};
use super::{Target, lock_name};
use crate::store::Store;

/// A chunk is shipped at the latest this long after its first record was seen.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// A chunk is shipped once this much is waiting, and holds at most this much.
pub const CHUNK_MAX: usize = 8 * 1024 * 1024;
/// How often the logs are looked at: well inside INTERVAL.
const TICK: Duration = Duration::from_millis(500);
/// First wait after the store failed; doubled up to BACKOFF_MAX while it keeps failing.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
/// Longest wait between attempts on a store that is down.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// One local log and how much of it the store holds.
struct Tracked {
    path: PathBuf,
    dir: String,
    /// Bytes in the store from offset 0; None until listed.
    shipped: Option<u64>,
    /// When unshipped bytes were first seen.
    waiting_since: Option<Instant>,
}

/// What a shipper did, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub chunks: u64,
    pub bytes: u64,
    /// Bytes of whole records still waiting for the store.
    pub waiting: u64,
    /// The last error from the store, while it lasts.
    pub error: Option<String>,
    /// Another process holds the data dir's shipping lock and ships it.
    pub elsewhere: bool,
}

/// The shipper's state; runs in its own thread (or in `breakglass ship`'s).
pub struct Shipper {
    target: Target,
    store: Store,
    bucket: Bucket,
    logs: HashMap<String, Tracked>,
    lock: Option<File>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The data dir's public signing key is in the store (or it has none).
    key_shipped: bool,
    pub tally: Tally,
}

impl Shipper {
    pub fn new(target: Target, store: Store, bucket: Bucket) -> Shipper {
        Shipper {
            target,
            store,
            bucket,
            logs: HashMap::new(),
            lock: None,
            retry_at: None,
            backoff: BACKOFF_MIN,
            key_shipped: false,
            tally: Tally::default(),
        }
    }

    /// Take the data dir's shipping lock if it is free; true while this shipper holds it.
    pub fn take_lock(&mut self) -> bool {
        if self.lock.is_some() {
            return true;
        }
        let Ok(f) = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(self.store.file_mode())
            .open(self.store.dir.join(lock_name()))
        else {
            return false;
        };
        match f.try_lock() {
            Ok(()) => {
                // Keep the file open; the lock goes with it (also when the process dies).
                self.lock = Some(f);
                self.tally.elsewhere = false;
                true
            }
            Err(_) => {
                self.tally.elsewhere = true;
                false
            }
        }
    }

    /// Learn what the store holds of every session of this bastion (one listing).
    fn list_all(&mut self) -> Result<(), StoreError> {
        let root = layout::sessions_root(&self.bucket.url.prefix, &self.target.bastion);
        let all = self.bucket.versions(&root)?;
        let mut by_dir: HashMap<String, Vec<layout::Version>> = HashMap::new();
        for v in all {
            if let Some((id, _)) = v.key.strip_prefix(&root).and_then(|r| r.split_once('/')) {
                by_dir
                    .entry(layout::session_dir(
                        &self.bucket.url.prefix,
                        &self.target.bastion,
                        id,
                    ))
                    .or_default()
                    .push(v);
            }
        }
        for t in self.logs.values_mut().filter(|t| t.shipped.is_none()) {
            if t.dir.starts_with(&root) {
                let vs = by_dir.get(&t.dir).map_or(&[][..], |v| &v[..]);
                t.shipped = Some(layout::plan(&t.dir, vs).contiguous);
            }
        }
        Ok(())
    }

    /// Add logs that appeared in the data dir since the last look.
    fn discover(&mut self, now: Instant) {
        let (prefix, bastion) = (&self.bucket.url.prefix, &self.target.bastion);
        let mut found = vec![(
            "ledger".to_string(),
            self.store.ledger_path(),
            layout::ledger_dir(prefix, bastion),
        )];
        if let Ok(rd) = std::fs::read_dir(self.store.sessions_dir()) {
            for e in rd.flatten() {
                let name = e.file_name();
                if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".jsonl"))
                    && crate::store::is_session_id(id)
                {
                    found.push((
                        id.to_string(),
                        e.path(),
                        layout::session_dir(prefix, bastion, id),
                    ));
                }
            }
        }
        for (name, path, dir) in found {
            self.logs.entry(name).or_insert_with(|| Tracked {
                path,
                dir,
                shipped: None,
                waiting_since: Some(now),
            });
        }
    }

    /// One look at every log: ship what is due. `all` ships everything waiting (the end
    /// of a session, `breakglass ship`). Returns false when the store failed.
    pub fn pass(&mut self, all: bool) -> bool {
        let now = Instant::now();
        if self.retry_at.is_some_and(|t| now < t) || !self.take_lock() {
            return self.retry_at.is_none();
        }
        self.discover(now);
        let result = self.ship_due(now, all);
        self.tally.waiting = self
            .logs
            .values()
            .map(|t| file_len(t).saturating_sub(t.shipped.unwrap_or(0)))
            .sum();
        match result {
            Ok(()) => {
                self.retry_at = None;
                self.backoff = BACKOFF_MIN;
                self.tally.error = None;
                true
            }
            Err(e) => {
                self.retry_at = Some(now + self.backoff);
                self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
                self.tally.error = Some(e.to_string());
                false
            }
        }
    }

    /// Ship the data dir's public signing key once, before any chunk, unless the store
    /// has one for this bastion already: the first version of that object is what the
    /// bastion's signatures are checked against from the bucket (a later key reads as
    /// "a signature by another key" there).
    fn ship_key(&mut self) -> Result<(), StoreError> {
        let private = crate::sign::private_path(&self.store.dir);
        let Ok(key) = crate::sign::load_signing_key(&private) else {
            // An unsigned data dir: nothing to vouch for.
            self.key_shipped = true;
            return Ok(());
        };
        let name = layout::signing_key(&self.bucket.url.prefix, &self.target.bastion);
        if !self.bucket.versions(&name)?.iter().any(|v| v.key == name) {
            let line = format!("{}\n", hex::encode(key.verifying_key().as_bytes()));
            match self.bucket.put_new(&name, line.into_bytes()) {
                Ok(()) | Err(StoreError::Exists) => {}
                Err(e) => return Err(e),
            }
        }
        self.key_shipped = true;
        Ok(())
    }

    fn ship_due(&mut self, now: Instant, all: bool) -> Result<(), StoreError> {
        if !self.key_shipped {
            self.ship_key()?;
        }
        if self.logs.values().any(|t| t.shipped.is_none()) {
            self.list_all()?;
        }
        let names: Vec<String> = self.logs.keys().cloned().collect();
        for name in names {
            loop {
                let t = self.logs.get_mut(&name).expect("listed above");
                if t.shipped.is_none() {
                    // The ledger, or a session whose chunk was taken by another writer.
                    let plan = layout::plan(&t.dir, &self.bucket.versions(&t.dir)?);
                    t.shipped = Some(plan.contiguous);
                }
                let shipped = t.shipped.unwrap_or(0);
                let len = file_len(t);
                if len <= shipped {
                    t.waiting_since = None;
                    break;
                }
                let since = *t.waiting_since.get_or_insert(now);
                let due = all || len - shipped >= CHUNK_MAX as u64 || now - since >= INTERVAL;
                if !due {
                    break;
                }
                let n = whole_chunk(&t.path, shipped)?;
                if n == 0 {
                    break;
                }
                match self
                    .bucket
                    .put_file(&chunk_key(&t.dir, shipped), &t.path, shipped, n)
                {
                    Ok(()) => {
                        t.shipped = Some(shipped + n);
                        t.waiting_since = Some(now);
                        self.tally.chunks += 1;
                        self.tally.bytes += n;
                    }
                    Err(StoreError::Exists) => t.shipped = None,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }
}

fn file_len(t: &Tracked) -> u64 {
    std::fs::metadata(&t.path).map_or(0, |m| m.len())
}

/// Bytes read at a time while looking for the last whole record of a chunk.
const SCAN_BUF: usize = 64 * 1024;

/// The length of the whole records of the file from `offset`, at most CHUNK_MAX bytes;
/// read in small pieces, so memory does not grow with the chunk.
fn whole_chunk(path: &Path, offset: u64) -> Result<u64, StoreError> {
    let io = |e: std::io::Error| StoreError::Other(format!("cannot read {}: {e}", path.display()));
    let mut f = File::open(path).map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut f = f.take(CHUNK_MAX as u64);
    let mut buf = vec![0u8; SCAN_BUF];
    let (mut read, mut whole) = (0u64, 0u64);
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(whole);
        }
        let cut = whole_lines(&buf[..n]);
        if cut > 0 {
            whole = read + cut as u64;
        }
        read += n as u64;
    }
}

/// A write made before shipping starts (the start mark of `require_store`).
pub type FirstWrite = fn(&Target, &Bucket) -> anyhow::Result<()>;

/// A shipper running in its own thread.
pub struct Running {
    finish: Sender<()>,
    done: Receiver<Tally>,
}

impl Running {
    /// Start shipping `store` to `target` in a new thread. With `first`, the thread runs
    /// that write before anything else and sends its result on the channel.
    pub fn start(
        target: Target,
        store: Store,
        first: Option<(Sender<Result<(), String>>, FirstWrite)>,
    ) -> Running {
        let (finish, finish_rx) = crossbeam_channel::bounded::<()>(1);
        let (done_tx, done) = crossbeam_channel::bounded::<Tally>(1);
        let spawned = std::thread::Builder::new()
            .name("shipper".into())
            .spawn(move || {
                let opened = target.open();
                if let Some((ready, write)) = first {
                    let r = match &opened {
                        Ok(b) => write(&target, b).map_err(|e| format!("{e:#}")),
                        Err(e) => Err(format!("{e:#}")),
                    };
                    let failed = r.is_err();
                    let _ = ready.send(r);
                    if failed {
                        return;
                    }
                }
                let tally = match opened {
                    Ok(bucket) => run(Shipper::new(target, store, bucket), &finish_rx),
                    Err(e) => Tally {
                        error: Some(format!("{e:#}")),
                        ..Tally::default()
                    },
                };
                let _ = done_tx.send(tally);
            });
        if spawned.is_err() {
            // No thread, no shipping now: the logs wait on disk for the next start.
        }
        Running { finish, done }
    }

    /// Ship what is left, waiting at most `wait`; what the store has not taken by then
    /// stays on disk for the next start or `breakglass ship`.
    pub fn finish(self, wait: Duration) -> Option<Tally> {
        let _ = self.finish.try_send(());
        self.done.recv_timeout(wait).ok()
    }
}

fn run(mut s: Shipper, finish: &Receiver<()>) -> Tally {
    loop {
        s.pass(false);
        match finish.recv_timeout(TICK) {
            Err(RecvTimeoutError::Timeout) => continue,
            _ => {
                s.retry_at = None;
                s.pass(true);
                return s.tally;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_ends_after_its_last_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        let mut body = vec![b'x'; SCAN_BUF + 10];
        body[SCAN_BUF - 1] = b'\n';
        body.extend_from_slice(b"ab\ncd");
        std::fs::write(&p, &body).unwrap();
        let whole = body.len() as u64 - 2;
        assert_eq!(whole_chunk(&p, 0).unwrap(), whole);
        assert_eq!(
            whole_chunk(&p, SCAN_BUF as u64).unwrap(),
            whole - SCAN_BUF as u64
        );
        assert_eq!(whole_chunk(&p, whole).unwrap(), 0);
    }
}
