//! Configuration: a TOML file, found by `--config`, `BREAKGLASS_CONFIG`, the user's config
//! dir (`~/.config/breakglass/config.toml`), then `/etc/breakglass/config.toml`; the first
//! that exists is used. A bad file is reported with its path, line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::error::Failure;

/// Time limit when neither `--ttl` nor `default_ttl` gives one.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a session whose owner's terminal went away is held for `breakglass attach`
/// when the config sets no `grace`: long enough to log in again after a dropped ssh.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5 * 60);
/// Longest time limit allowed when the config sets no `max_ttl`.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(8 * 60 * 60);
/// Output ending in a match of this is a password prompt; the next line typed is masked.
/// Catches `Password:`, `[sudo] password for x:`, `Enter passphrase for key '...':`,
/// `Enter pass phrase for server.key:`, vim's `Enter encryption key:` and `Enter same key
/// again:`, and the word for password in German, French, Spanish, Portuguese, Italian,
/// Dutch, Russian, Japanese and Chinese, with an ASCII or a full-width colon.
/// `Verification code:`-style OTP prompts are left alone on purpose (codes expire).
pub const DEFAULT_SECRET_PROMPT: &str = concat!(
    r"(?i)(password|pass ?phrase|passcode|\bpin\b|encryption key|same key again|secret key",
    r"|passwort|kennwort|mot de passe|contrase[ñn]a|senha|palavra-passe|parola d.ordine",
    r"|wachtwoord|пароль|パスワード|密码|密碼|口令)[^\n]{0,120}[:：]\s*$"
);

/// One `[hosts.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// The argv that opens a shell on the host, instead of `ssh NAME`.
    pub command: Option<Vec<String>>,
    /// Send the owner's input only while an operator watches (`watch --operate`).
    #[serde(default)]
    pub require_operator: bool,
    /// While an operator drives, only they hand the keyboard back: the owner's escape key
    /// does not take it.
    #[serde(default)]
    pub operator_drives_alone: bool,
    /// Fire id: the ssh destination (name or address) of the host.
    pub address: Option<String>,
    /// Fire id: the remote user and certificate principal(s) the host is reached as.
    pub fire_id: Option<crate::fireid::Principals>,
    /// Fire id: the host's ssh port (22 when absent).
    pub port: Option<u16>,
    /// Fire id: the addresses (CIDR) the certificate may be used from.
    #[serde(default)]
    pub source_address: Vec<String>,
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    dir: Option<PathBuf>,
    #[serde(default)]
    require_ticket: bool,
    ticket_pattern: Option<Spanned<String>>,
    default_ttl: Option<Spanned<String>>,
    max_ttl: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
    secret_prompt: Option<Spanned<String>>,
    #[serde(default)]
    hosts: BTreeMap<String, HostConfig>,
    #[serde(default)]
    watchers: Vec<String>,
    #[serde(default)]
    operators: Vec<String>,
    #[serde(default)]
    require_operator: bool,
    #[serde(default)]
    operator_drives_alone: bool,
    #[serde(default)]
    extend_requires_operator: bool,
    status_line: Option<bool>,
    escape_key: Option<Spanned<String>>,
    syslog: Option<Spanned<String>>,
    review_group: Option<String>,
    #[serde(default)]
    review_own: bool,
    #[serde(default)]
    allow_user_dir: bool,
    #[serde(default)]
    allow_user_config: bool,
    #[serde(default)]
    allow_record_secrets: bool,
    seal_to: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    require_seal: bool,
    store: Option<crate::ship::config::StoreConfig>,
    #[serde(default)]
    require_store: bool,
    known_hosts: Option<PathBuf>,
}

/// The configuration, checked.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub dir: Option<PathBuf>,
    pub require_ticket: bool,
    /// The ticket pattern as written, and compiled to match a whole ticket.
    pub ticket_pattern: Option<(String, Regex)>,
    pub default_ttl: Duration,
    pub max_ttl: Duration,
    /// How long a detached session waits for `breakglass attach`; zero ends it at once.
    pub grace: Duration,
    pub secret_prompt: Regex,
    pub hosts: BTreeMap<String, HostConfig>,
    /// Users and `@groups` who may watch every session.
    pub watchers: Vec<String>,
    /// Users and `@groups` who may take the keyboard and end every session.
    pub operators: Vec<String>,
    pub require_operator: bool,
    /// The owner's escape key does not take the keyboard back from an operator.
    pub operator_drives_alone: bool,
    /// `breakglass extend` is for operators only: a session's owner cannot lengthen it.
    pub extend_requires_operator: bool,
    /// The watch escape key, as written (`ctrl-]`).
    pub escape_key: Option<String>,
    /// The owner's terminal keeps its last row for breakglass's status and notices.
    pub status_line: bool,
    /// Where session heads are sent as a witness (off when None).
    pub syslog: Option<crate::witness::syslog::Target>,
    /// Installed mode: the group whose members (and root) may review every session.
    pub review_group: Option<String>,
    /// Installed mode: every user may also review the sessions they recorded.
    pub review_own: bool,
    /// Installed mode: honour `--dir` and `BREAKGLASS_DIR`.
    pub allow_user_dir: bool,
    /// Installed mode: honour `--config`, `BREAKGLASS_CONFIG` and the user's config for
    /// the session rules (never for the keys of this block).
    pub allow_user_config: bool,
    /// Installed mode: honour `shell --record-secrets`.
    pub allow_record_secrets: bool,
    /// The auditors' age keys masked input is sealed to (dropped when None).
    pub seal_to: Option<crate::seal::Sealer>,
    /// Installed: refuse to record without `seal_to`.
    pub require_seal: bool,
    /// The S3 bucket every session is shipped to (`[store]`), checked.
    pub store: Option<crate::ship::config::StoreConfig>,
    /// A session does not start when the store cannot be written.
    pub require_store: bool,
    /// Fire id: the known-hosts file ssh checks every fire id host against.
    pub known_hosts: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            dir: None,
            require_ticket: false,
            ticket_pattern: None,
            default_ttl: DEFAULT_TTL,
            max_ttl: DEFAULT_MAX_TTL,
            grace: DEFAULT_GRACE,
            secret_prompt: Regex::new(DEFAULT_SECRET_PROMPT).expect("default pattern compiles"),
            hosts: BTreeMap::new(),
            watchers: Vec::new(),
            operators: Vec::new(),
            require_operator: false,
            operator_drives_alone: false,
            extend_requires_operator: false,
            escape_key: None,
            status_line: true,
            syslog: None,
            review_group: None,
            review_own: false,
            allow_user_dir: false,
            allow_user_config: false,
            allow_record_secrets: false,
            seal_to: None,
            require_seal: false,
            store: None,
            require_store: false,
            known_hosts: None,
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The key named on a line (`key = ...`), for error messages.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (k, _) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('[')).then(|| k.to_string())
}

impl Config {
    /// Find and load the configuration. `explicit` is `--config` or `BREAKGLASS_CONFIG`.
    pub fn load(explicit: Option<&Path>) -> Result<Config, Failure> {
        match Self::find(explicit) {
            Some(p) => Self::from_file(&p),
            None => Ok(Config::default()),
        }
    }

    /// The config file that applies: `explicit`, else the user's, else the system's.
    pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = explicit {
            return Some(p.to_path_buf());
        }
        let candidates = [
            dirs::config_dir().map(|d| d.join("breakglass/config.toml")),
            Some(PathBuf::from("/etc/breakglass/config.toml")),
        ];
        candidates.into_iter().flatten().find(|p| p.exists())
    }

    /// Load one file.
    pub fn from_file(path: &Path) -> Result<Config, Failure> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::tool(format!("cannot read config {}: {e}", path.display())))?;
        Self::parse(&text, path)
    }

    /// Parse and check the text of a config file.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Failure> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let key = line.and_then(|l| key_on_line(text, l));
            let mut msg = format!("bad config {}", path.display());
            if let Some(l) = line {
                msg.push_str(&format!(", line {l}"));
            }
            if let Some(k) = key {
                msg.push_str(&format!(", key `{k}`"));
            }
            msg.push_str(&format!(": {}", e.message()));
            Failure::tool(msg)
        })?;
        let bad = |s: &Spanned<String>, key: &str, why: String| {
            Failure::tool(format!(
                "bad config {}, line {}, key `{key}`: {why}",
                path.display(),
                line_of(text, s.span().start)
            ))
        };
        let regex = |s: &Spanned<String>, key: &str| {
            Regex::new(s.get_ref())
                .map_err(|e| bad(s, key, format!("not a valid regular expression: {e}")))
        };
        let duration = |s: &Spanned<String>, key: &str| {
            crate::time::parse_ttl(s.get_ref()).map_err(|e| bad(s, key, e))
        };
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        cfg.dir = raw.dir;
        cfg.require_ticket = raw.require_ticket;
        cfg.hosts = raw.hosts;
        cfg.watchers = raw.watchers;
        cfg.operators = raw.operators;
        cfg.require_operator = raw.require_operator;
        cfg.operator_drives_alone = raw.operator_drives_alone;
        cfg.extend_requires_operator = raw.extend_requires_operator;
        cfg.status_line = raw.status_line.unwrap_or(true);
        cfg.review_group = raw.review_group;
        cfg.review_own = raw.review_own;
        cfg.allow_user_dir = raw.allow_user_dir;
        cfg.allow_user_config = raw.allow_user_config;
        cfg.allow_record_secrets = raw.allow_record_secrets;
        cfg.known_hosts = raw.known_hosts;
        if let Some(t) = &raw.syslog {
            cfg.syslog = Some(
                crate::witness::syslog::Target::parse(t.get_ref())
                    .map_err(|e| bad(t, "syslog", e))?,
            );
        }
        if let Some(keys) = &raw.seal_to {
            let sealer = crate::seal::Sealer::parse(keys.get_ref()).map_err(|e| {
                Failure::tool(format!(
                    "bad config {}, line {}, key `seal_to`: {e}",
                    path.display(),
                    line_of(text, keys.span().start)
                ))
            })?;
            cfg.seal_to = Some(sealer);
        }
        cfg.require_seal = raw.require_seal;
        cfg.store = crate::ship::config::check(raw.store, raw.require_store)
            .map_err(|e| Failure::tool(format!("bad config {}: {e}", path.display())))?;
        cfg.require_store = raw.require_store;
        if let Some(k) = &raw.escape_key {
            if crate::live::keys::parse_escape(k.get_ref()).is_none() {
                return Err(bad(
                    k,
                    "escape_key",
                    "not a control key such as \"ctrl-]\" or \"ctrl-b\"".into(),
                ));
            }
            cfg.escape_key = Some(k.get_ref().clone());
        }
        if let Some(p) = &raw.ticket_pattern {
            regex(p, "ticket_pattern")?;
            // Anchored, so the whole ticket must match (a (?x) comment cannot be anchored).
            let whole = Regex::new(&format!("^(?:{})$", p.get_ref())).map_err(|e| {
                bad(
                    p,
                    "ticket_pattern",
                    format!("cannot be matched against a whole ticket: {e}"),
                )
            })?;
            cfg.ticket_pattern = Some((p.get_ref().clone(), whole));
        }
        if let Some(p) = &raw.secret_prompt {
            cfg.secret_prompt = regex(p, "secret_prompt")?;
        }
        if let Some(d) = &raw.max_ttl {
            cfg.max_ttl = duration(d, "max_ttl")?;
        }
        if let Some(d) = &raw.grace {
            cfg.grace = crate::time::parse_grace(d.get_ref()).map_err(|e| bad(d, "grace", e))?;
        }
        if let Some(d) = &raw.default_ttl {
            cfg.default_ttl = duration(d, "default_ttl")?;
            if cfg.default_ttl > cfg.max_ttl {
                return Err(bad(d, "default_ttl", "longer than max_ttl".into()));
            }
        } else {
            cfg.default_ttl = cfg.default_ttl.min(cfg.max_ttl);
        }
        for (name, h) in &cfg.hosts {
            if h.command.as_ref().is_some_and(|c| c.is_empty()) {
                return Err(Failure::tool(format!(
                    "bad config {}: [hosts.{name}] command is empty",
                    path.display()
                )));
            }
            crate::fireid::check_host(name, h, cfg.known_hosts.as_deref()).map_err(|e| {
                Failure::tool(format!("bad config {}: [hosts.{name}] {e}", path.display()))
            })?;
        }
        Ok(cfg)
    }

    /// Where the config came from, for messages.
    pub fn source(&self) -> String {
        self.path
            .as_ref()
            .map_or("the built-in defaults".into(), |p| p.display().to_string())
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
