//! One fire id session's key material: the certificate issued with the CA key, the
//! private key written to a 0700 dir of the service user for ssh to read, and all of it
//! removed when the session ends, however it ends (docs/SECURITY.md says why a file and
//! not an agent).

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ssh_key::rand_core::OsRng;
use ssh_key::{LineEnding, PrivateKey};

use super::cert::{self, Issued, Request};
use super::ssh::{self, Files};
use super::{CA_KEY_FILE, Target};
use crate::error::Failure;
use crate::log::record::CertBinding;
use crate::sign::write_new;

/// Where sessions' private dirs are, in the data dir.
pub const FIRE_DIR: &str = "fire";
/// Mode of the fire dir and of each session's dir: the service user's alone.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of the key and certificate files.
const KEY_MODE: u32 = 0o600;
/// A session dir younger than this is never swept: its session may still be between
/// making the dir and locking its log (milliseconds apart).
const SWEEP_AGE: Duration = Duration::from_secs(60);
/// Most bytes of ssh's error log read back to explain a failure.
const MAX_LOG: u64 = 64 * 1024;

/// A running fire id session's credentials; dropping it destroys them.
pub struct Fire {
    pub target: Target,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub binding: CertBinding,
    /// The session's private dir.
    pub dir: PathBuf,
    log: PathBuf,
    /// The session's private key, zeroized on drop (when the file is removed).
    key: PrivateKey,
}

/// Read the CA key as the service user; the error says how to fix it.
pub fn load_ca(data_dir: &Path) -> Result<PrivateKey, Failure> {
    let path = data_dir.join(CA_KEY_FILE);
    let text = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .and_then(std::io::read_to_string)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Failure::tool(format!(
                "no fire id CA key at {}: as root, run `breakglass ca init` once",
                path.display()
            )),
            _ => Failure::tool(format!(
                "cannot read the fire id CA key {}: {e}; it must be the service user's, mode 0600 (as root: `breakglass ca init` repairs it)",
                path.display()
            )),
        })?;
    let text = zeroize::Zeroizing::new(text);
    PrivateKey::from_openssh(text.as_bytes()).map_err(|e| {
        Failure::tool(format!(
            "the fire id CA key {} is not an OpenSSH private key ({e}): as root, move it away and run `breakglass ca init`",
            path.display()
        ))
    })
}

/// The fire dir, made when missing; refused unless it is a real dir of this user, 0700.
fn fire_dir(data_dir: &Path) -> Result<PathBuf, Failure> {
    let dir = data_dir.join(FIRE_DIR);
    let fail = |e: String| {
        Failure::tool(format!(
            "cannot use {} for fire id keys: {e} (as root: `breakglass ca init` repairs it)",
            dir.display()
        ))
    };
    match std::fs::DirBuilder::new()
        .mode(PRIVATE_DIR_MODE)
        .create(&dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    let md = std::fs::symlink_metadata(&dir).map_err(|e| fail(e.to_string()))?;
    let euid = nix::unistd::geteuid().as_raw();
    if !md.is_dir() || md.uid() != euid || md.mode() & 0o077 != 0 {
        return Err(fail(format!(
            "it must be a dir owned by uid {euid} with mode 0700"
        )));
    }
    Ok(dir)
}

/// Remove session dirs left by a recorder that was killed outright (older than
/// [`SWEEP_AGE`], their session no longer live): their certificates have expired or will, their keys go now.
fn sweep(fire: &Path, sessions: &Path) {
    let Ok(rd) = std::fs::read_dir(fire) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(id) = name.to_str().filter(|n| crate::store::is_session_id(n)) else {
            continue;
        };
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > SWEEP_AGE));
        if old && !crate::store::is_live(&sessions.join(format!("{id}.jsonl"))) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Fire {
    /// Issue the session's certificate and lay out its files. Nothing is left behind when
    /// this fails.
    pub fn start(
        target: &Target,
        store: &crate::store::Store,
        session: &str,
        ticket: Option<&str>,
        ttl: Duration,
    ) -> Result<Fire, Failure> {
        if !crate::mode::installed() {
            return Err(Failure::usage(format!(
                "host {} has a fire_id, which only installed breakglass can issue (README: Install on a bastion, Fire id)",
                crate::safe::text(&target.name)
            )));
        }
        let ca = load_ca(&store.dir)?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| {
                Failure::tool("the clock is before 1970: set it (e.g. with chrony) and try again")
            })?
            .as_secs();
        let user = crate::session::login_name();
        let req = Request {
            session,
            user: &user,
            ticket,
            principals: &target.principals,
            source_address: &target.source_address,
            now,
            ttl,
        };
        let Issued { key, cert } = cert::issue(&ca, &req, &mut OsRng)
            .map_err(|e| Failure::tool(format!("cannot issue the fire id certificate: {e}")))?;
        let binding = cert::binding(&cert, &ca);
        drop(ca);
        let fire = fire_dir(&store.dir)?;
        sweep(&fire, &store.sessions_dir());
        let dir = fire.join(session);
        std::fs::DirBuilder::new()
            .mode(PRIVATE_DIR_MODE)
            .create(&dir)
            .map_err(|e| Failure::tool(format!("cannot create {}: {e}", dir.display())))?;
        let made = Fire {
            target: target.clone(),
            argv: Vec::new(),
            env: Vec::new(),
            binding,
            log: dir.join("ssh.log"),
            dir,
            key,
        };
        made.finish_layout(&cert)
    }

    fn finish_layout(mut self, cert: &ssh_key::Certificate) -> Result<Fire, Failure> {
        let key_path = self.dir.join("key");
        let cert_path = self.dir.join("key-cert.pub");
        let fail = |e: String| Failure::tool(format!("cannot write the fire id key: {e}"));
        let private = self
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|e| fail(e.to_string()))?;
        write_new(&key_path, KEY_MODE, &private).map_err(|e| fail(format!("{e:#}")))?;
        let public = cert.to_openssh().map_err(|e| fail(e.to_string()))?;
        write_new(&cert_path, KEY_MODE, &format!("{public}\n"))
            .map_err(|e| fail(format!("{e:#}")))?;
        let files = Files {
            key: &key_path,
            cert: &cert_path,
            log: &self.log,
        };
        self.argv = ssh::argv(&self.target, &files);
        let term = std::env::var("TERM").ok();
        self.env = ssh::environment(term.as_deref(), &self.dir, self.dir_name());
        Ok(self)
    }

    fn dir_name(&self) -> &str {
        self.dir.file_name().and_then(|n| n.to_str()).unwrap_or("")
    }

    /// The end of the session's time limit, Unix seconds (the certificate lasts [`cert::MARGIN`] more).
    pub fn until(&self) -> u64 {
        self.binding.valid_before - cert::MARGIN.as_secs()
    }

    /// One line with the fix when ssh failed (exit 255) and said why in its log.
    pub fn failure(&self, exit: Option<i32>) -> Option<String> {
        if exit != Some(255) {
            return None;
        }
        let mut text = String::new();
        let f = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.log)
            .ok()?;
        std::io::Read::read_to_string(&mut std::io::Read::take(f, MAX_LOG), &mut text).ok()?;
        ssh::classify(&text).map(|p| ssh::explain(&p, &self.target))
    }
}

impl Drop for Fire {
    fn drop(&mut self) {
        // The key in memory is zeroized by its own drop; the files go here.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
