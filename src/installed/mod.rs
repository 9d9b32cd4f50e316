//! Installed mode: the binary is setuid to a service user, the policy comes from a file
//! root controls, and the records belong to the service user. This module decides, once
//! at start, which identity a command keeps, where its policy and data dir are, and what
//! the user may override; docs/SECURITY.md states the threat model.

pub mod policy;
pub mod rules;
pub mod store;
pub mod strict;

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::error::Failure;
use crate::mode;
pub use policy::Policy;
use rules::{Asked, Review};

/// Commands that read stored sessions: they keep the service identity until the policy
/// says whether the caller reviews their own sessions only (`review_own`), which needs it.
const REVIEW_COMMANDS: &[&str] = &["ls", "verify", "replay", "show", "export", "grep"];

/// Whether a command may need the service identity: `shell` writes the service's files;
/// the review commands decide in [`enter`]. Every other command gives it up at once.
pub fn keeps_service_identity(subcommand: Option<&str>) -> bool {
    subcommand.is_some_and(|s| s == "shell" || REVIEW_COMMANDS.contains(&s))
}

/// Whether a parsed command may still hold the service identity when it reaches [`enter`].
pub fn may_keep(cmd: &Command) -> bool {
    matches!(cmd, Command::Shell(_)) || stored_sessions_read(cmd).is_some()
}

/// Set when the caller reviews only their own sessions: the uid whose sessions the
/// store lists and resolves.
static OWN_SESSIONS: OnceLock<u32> = OnceLock::new();

/// The uid whose sessions alone the store shows, in an own-sessions review.
pub fn only_sessions_of() -> Option<u32> {
    OWN_SESSIONS.get().copied()
}

/// Give the service identity up unless the command line names `shell`; called before
/// the command line is parsed.
pub fn drop_early(args: &[std::ffi::OsString]) -> Result<(), Failure> {
    if keeps_service_identity(rules::subcommand_of(args).as_deref()) {
        return Ok(());
    }
    drop_now()
}

fn drop_now() -> Result<(), Failure> {
    mode::drop_to_real_user()
        .map_err(|e| Failure::tool(format!("cannot give up the service identity: {e}")))
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// What this command line asked for that the policy may refuse.
fn asked(cli: &Cli) -> Asked {
    let user_config = dirs::config_dir()
        .map(|d| d.join("breakglass/config.toml"))
        .filter(|p| mode::as_real_user(|| p.exists()).unwrap_or(false));
    Asked {
        dir_env: env_set("BREAKGLASS_DIR"),
        dir_flag: cli.dir.is_some(),
        config_env: env_set("BREAKGLASS_CONFIG"),
        config_flag: cli.config.is_some(),
        user_config,
        record_secrets: matches!(&cli.command, Command::Shell(a) if a.record_secrets),
    }
}

/// The groups of this process by name, as the kernel checks file access with them.
fn process_groups() -> Vec<String> {
    let mut gids = nix::unistd::getgroups().unwrap_or_default();
    gids.push(nix::unistd::getegid());
    gids.into_iter()
        .filter_map(|g| {
            nix::unistd::Group::from_gid(g)
                .ok()
                .flatten()
                .map(|g| g.name)
        })
        .collect()
}

/// Which session arguments a review command takes from the data dir; None for commands
/// that read no sessions.
fn stored_sessions_read(cmd: &Command) -> Option<bool> {
    let any = |v: &[String]| v.iter().any(|s| rules::names_stored_session(s));
    Some(match cmd {
        Command::Ls(_) => true,
        Command::Verify(a) => a.all || a.sessions.is_empty() || any(&a.sessions),
        Command::Replay(a) => rules::names_stored_session(&a.session),
        Command::Export(a) => rules::names_stored_session(&a.session),
        Command::Show(a) => rules::names_stored_session(&a.session),
        Command::Grep(a) => a.sessions.is_empty() || any(&a.sessions),
        _ => return None,
    })
}

/// Set an installed process up for its command: the identity it keeps, the policy, the
/// overrides refused, who may review; returns the config and the data dir to use.
pub fn enter(cli: &Cli) -> Result<(Config, PathBuf), Failure> {
    let ids = mode::ids();
    if !may_keep(&cli.command) {
        drop_now()?;
    }
    let policy = Policy::load(ids.service_uid)?;
    let file = policy.file();
    rules::check_overrides(&asked(cli), &policy.config, &file)?;
    let installed_dir = policy.data_dir();
    let data_dir = match (&cli.dir, policy.config.allow_user_dir) {
        (Some(d), true) => d.clone(),
        _ => installed_dir.clone(),
    };
    let mut config = policy.config;
    if config.allow_user_config {
        // Read as the user: a file they name must be one they can read themselves.
        let user = mode::as_real_user(|| Config::load(cli.config.as_deref()))
            .map_err(|e| Failure::tool(format!("cannot read your config: {e}")))??;
        if user.path.is_some() && user.path.as_deref() != Some(&file) {
            config = rules::merge_user_config(config, user);
        }
    }
    let Some(stored) = stored_sessions_read(&cli.command) else {
        return Ok((config, data_dir));
    };
    let access = if stored && data_dir == installed_dir {
        rules::review_access(ids.real_uid, &process_groups(), &config)
    } else {
        // Files the user names, or a dir the policy lets them name: read as the user.
        Review::All
    };
    match access {
        Review::All => drop_now()?,
        Review::Own => {
            // The service identity stays, to read the caller's sessions; the store then
            // shows no other session, and nothing the user names is opened.
            if let Some(what) = rules::own_review_refusal(&cli.command) {
                return Err(Failure::usage(format!(
                    "{what} is for reviewers; you may review your own sessions by id (review_own in {})",
                    file.display()
                )));
            }
            let _ = OWN_SESSIONS.set(ids.real_uid);
        }
        Review::Nothing => {
            drop_now()?;
            let who = config.review_group.as_ref().map_or(
                "root only: the policy names no review_group".to_string(),
                |g| format!("root and members of group `{g}`"),
            );
            return Err(Failure::usage(format!(
                "you may not review the sessions in {}: reviewers are {who} (policy {})",
                data_dir.display(),
                file.display()
            )));
        }
    }
    Ok((config, data_dir))
}
